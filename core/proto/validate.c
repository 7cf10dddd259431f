/*
 * Validation of an operation's input against its shape: required members, value
 * types, enums, lengths and ranges (patterns are not checked: Java regular
 * expressions do not map onto POSIX ones reliably).
 *
 * Each protocol family answers the way AWS does:
 *  - json, rest-json, cbor: ValidationException, "N validation error(s) detected:
 *    Value null at 'tableName' failed to satisfy constraint: Member must not be
 *    null; ..." (every violation, paths in lowerCamelCase, list items as
 *    'keySchema.1.member.keyType');
 *  - query, ec2 and awsQueryCompatible services (SQS over json): the first
 *    violation, MissingParameter "The request must contain the parameter X" or
 *    InvalidParameterValue; quirks: SNS answers InvalidParameter (STYLE_INVALID_PARAMETER), and
 *    the Coral-based query services (STS, IAM, CloudFormation) answer like json
 *    ones with the code ValidationError;
 *  - rest-xml: S3 checks little beyond required members (a body member missing is
 *    MalformedXML, a header or query member InvalidArgument); other rest-xml
 *    services answer like json ones with the code InvalidInput.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "proto/proto.h"
#include "proto/quirks.h"
#include "proto/shape.h"

/* Beyond any real shape; the value came from a parser that bounds nesting too. */
#define VALIDATE_MAX_DEPTH 100
/* Values quoted in messages are cut here, as long lists would drown the message. */
#define VALUE_TEXT_MAX 256

/* STYLE_PRESENCE_ONLY and STYLE_INVALID_PARAMETER are quirks some services have
 * (quirks.c: S3, SNS). */
typedef enum { STYLE_CORAL, STYLE_QUERY, STYLE_EC2, STYLE_PRESENCE_ONLY, STYLE_INVALID_PARAMETER } style_t;

/* Kinds from V_LEN_MIN on carry a bound. */
typedef enum { V_MISSING, V_TYPE, V_ENUM, V_NUL, V_LEN_MIN, V_LEN_MAX, V_RANGE_MIN, V_RANGE_MAX } violation_t;

typedef struct {
    const nb__spec_t *spec;
    style_t style;
    nb__buf_t path;  /* current member path, in the style's spelling */
    size_t seg;      /* where its last member name starts */
    nb__buf_t msgs;  /* "Value ... ; Value ..." (coral style) */
    int count;
    bool nul_allowed; /* the member being checked carries the overlay trait nimbusAllowNul */
    /* the first violation, for the styles that report one */
    bool have_first;
    violation_t first_kind;
    char *first_path;
    char *first_detail;
    bool first_in_body; /* S3: the member sits in the XML body */
} vctx_t;

/* ---- rendering values the way Coral's messages print them (Java toString) */

static void put_value_text(nb__buf_t *b, const nb__spec_t *spec, const json_t *shape, const json_t *v, int depth);

static void put_number(nb__buf_t *b, const json_t *v) {
    if (json_is_integer(v)) {
        nb__buf_printf(b, "%lld", (long long)json_integer_value(v));
        return;
    }
    double d = json_real_value(v);
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.15g", d);
    if (strtod(tmp, NULL) != d)
        snprintf(tmp, sizeof tmp, "%.17g", d);
    nb__buf_puts(b, tmp);
}

static void put_value_text(nb__buf_t *b, const nb__spec_t *spec, const json_t *shape, const json_t *v, int depth) {
    if (b->len > VALUE_TEXT_MAX || depth > 8) {
        nb__buf_puts(b, "...");
        return;
    }
    nb__shape_kind_t kind = nb__shape_kind(shape);
    if (kind == NB_SHAPE_BLOB && json_is_string(v)) {
        size_t n = json_string_length(v);
        nb__buf_printf(b, "java.nio.HeapByteBuffer[pos=0 lim=%zu cap=%zu]", n, n);
    } else if (json_is_string(v)) {
        nb__buf_append(b, json_string_value(v), json_string_length(v));
    } else if (json_is_number(v)) {
        put_number(b, v);
    } else if (json_is_boolean(v)) {
        nb__buf_puts(b, json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) {
        const json_t *item = nb__spec_ref_shape(spec, json_object_get(shape, "member"));
        size_t i;
        json_t *x;
        nb__buf_putc(b, '[');
        json_array_foreach(v, i, x) {
            if (i)
                nb__buf_puts(b, ", ");
            put_value_text(b, spec, item, x, depth + 1);
        }
        nb__buf_putc(b, ']');
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        bool first = true;
        nb__buf_putc(b, '{');
        json_object_foreach((json_t *)v, k, x) {
            const json_t *sub = NULL;
            if (kind == NB_SHAPE_MAP) {
                sub = nb__spec_ref_shape(spec, json_object_get(shape, "value"));
            } else {
                nb__member_t m;
                if (nb__member_get(spec, shape, k, &m))
                    sub = m.shape;
            }
            nb__buf_printf(b, "%s%s=", first ? "" : ", ", k);
            put_value_text(b, spec, sub, x, depth + 1);
            first = false;
        }
        nb__buf_putc(b, '}');
    } else {
        nb__buf_puts(b, "null");
    }
}

/* ---- collecting violations */

/* A bound as Coral prints it: integers plain, fractions in shortest form. */
static void put_bound(nb__buf_t *b, double bound) {
    if (bound == floor(bound) && fabs(bound) < 9.0e18)
        nb__buf_printf(b, "%lld", (long long)bound);
    else
        nb__buf_printf(b, "%.15g", bound);
}

/* "a, b, c": the values of the shape's enum. */
static void put_enum_values(nb__buf_t *b, const json_t *shape) {
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(shape, "enum"), i, e) {
        if (i)
            nb__buf_puts(b, ", ");
        nb__buf_puts(b, json_string_value(e) ? json_string_value(e) : "");
    }
}

static void constraint_text(nb__buf_t *b, violation_t kind, const json_t *shape, double bound) {
    switch (kind) {
    case V_MISSING: nb__buf_puts(b, "Member must not be null"); break;
    case V_TYPE: nb__buf_printf(b, "Member must be of type %s", nb__shape_type(shape)); break;
    case V_ENUM: {
        nb__buf_puts(b, "Member must satisfy enum value set: [");
        put_enum_values(b, shape);
        nb__buf_putc(b, ']');
        break;
    }
    case V_NUL: nb__buf_puts(b, "Member must not contain a NUL character"); break;
    case V_LEN_MIN: nb__buf_puts(b, "Member must have length greater than or equal to "); break;
    case V_LEN_MAX: nb__buf_puts(b, "Member must have length less than or equal to "); break;
    case V_RANGE_MIN: nb__buf_puts(b, "Member must have value greater than or equal to "); break;
    case V_RANGE_MAX: nb__buf_puts(b, "Member must have value less than or equal to "); break;
    }
    if (kind >= V_LEN_MIN)
        put_bound(b, bound);
}

/* The query-style reason, after "Value x for parameter P is invalid. Reason: ". */
static void reason_text(nb__buf_t *b, violation_t kind, const json_t *shape, double bound) {
    switch (kind) {
    case V_TYPE: nb__buf_printf(b, "Must be of type %s", nb__shape_type(shape)); break;
    case V_ENUM: {
        nb__buf_puts(b, "Must be one of: ");
        put_enum_values(b, shape);
        break;
    }
    case V_NUL: nb__buf_puts(b, "Must not contain a NUL character"); break;
    case V_LEN_MIN: nb__buf_puts(b, "Length must be at least "); break;
    case V_LEN_MAX: nb__buf_puts(b, "Length must be at most "); break;
    case V_RANGE_MIN: nb__buf_puts(b, "Must be greater than or equal to "); break;
    case V_RANGE_MAX: nb__buf_puts(b, "Must be less than or equal to "); break;
    case V_MISSING: break;
    }
    if (kind >= V_LEN_MIN)
        put_bound(b, bound);
}

static void report(vctx_t *c, violation_t kind, const json_t *shape, const json_t *v, double bound, bool in_body) {
    /* AWS does not echo a value its spec marks sensitive: the answer, and the logs that keep
     * it, must not hold the secret */
    bool secret = json_is_true(json_object_get(shape, "sensitive"));
    c->count++;
    if (c->style == STYLE_CORAL) {
        if (c->msgs.len)
            nb__buf_puts(&c->msgs, "; ");
        nb__buf_puts(&c->msgs, "Value ");
        if (v == NULL || json_is_null(v)) {
            nb__buf_puts(&c->msgs, "null ");
        } else if (secret) {
            /* "Value at 'username' failed to ...", as AWS words it */
        } else {
            nb__buf_t t = NB__BUF_INIT;
            put_value_text(&t, c->spec, shape, v, 0);
            nb__buf_printf(&c->msgs, "'%s' ", t.data ? t.data : "");
            nb__buf_free(&t);
        }
        nb__buf_printf(&c->msgs, "at '%s' failed to satisfy constraint: ", c->path.data ? c->path.data : "");
        constraint_text(&c->msgs, kind, shape, bound);
        return;
    }
    /* One violation is reported; a missing parameter wins over a bad value. */
    if (c->have_first && !(kind == V_MISSING && c->first_kind != V_MISSING))
        return;
    free(c->first_path);
    free(c->first_detail);
    c->have_first = true;
    c->first_kind = kind;
    c->first_in_body = in_body;
    c->first_path = strdup(c->path.data ? c->path.data : "");
    nb__buf_t d = NB__BUF_INIT;
    if (kind != V_MISSING) {
        nb__buf_t t = NB__BUF_INIT;
        if (secret)
            nb__buf_puts(&t, "***"); /* as in the coral form above: a secret is not echoed */
        else
            put_value_text(&t, c->spec, shape, v, 0);
        if (c->style == STYLE_EC2)
            nb__buf_printf(&d, "Value (%s) for parameter %s is invalid. ", t.data ? t.data : "", c->first_path);
        else
            nb__buf_printf(&d, "Value %s for parameter %s is invalid. ", t.data ? t.data : "", c->first_path);
        nb__buf_puts(&d, "Reason: ");
        reason_text(&d, kind, shape, bound);
        nb__buf_putc(&d, '.');
        nb__buf_free(&t);
    }
    c->first_detail = nb__buf_steal(&d, NULL);
}

/* ---- walking */

/* Appends one path segment; returns the length to truncate back to. */
static size_t path_push_member(vctx_t *c, const nb__member_t *m) {
    size_t mark = c->path.len;
    if (c->path.len)
        nb__buf_putc(&c->path, '.');
    c->seg = c->path.len;
    if (c->style == STYLE_CORAL) {
        /* Coral lower-cases only the first letter: 'sSESpecification'. */
        char first = m->name[0];
        if (first) {
            nb__buf_putc(&c->path, (char)(first >= 'A' && first <= 'Z' ? first - 'A' + 'a' : first));
            nb__buf_puts(&c->path, m->name + 1);
        }
    } else {
        nb__buf_puts(&c->path, c->style == STYLE_EC2 ? m->name : nb__member_location_name(m));
    }
    return mark;
}

static void path_pop(vctx_t *c, size_t mark) {
    c->path.len = mark;
    if (c->path.data)
        c->path.data[mark] = '\0';
}

/* Java's String.length(): UTF-16 code units. */
static size_t utf16_length(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) != 0x80)
            n += ch >= 0xF0 ? 2 : 1;
    }
    return n;
}

static void check_length(vctx_t *c, const json_t *shape, const nb__shape_facts_t *f, const json_t *v, size_t len,
                         bool in_body) {
    if (f->has_min && (double)len < f->min)
        report(c, V_LEN_MIN, shape, v, f->min, in_body);
    else if (f->has_max && (double)len > f->max)
        report(c, V_LEN_MAX, shape, v, f->max, in_body);
}

static void validate_value(vctx_t *c, const json_t *shape, const nb__shape_facts_t *f, const json_t *v, bool in_body,
                           int depth);

static void validate_structure(vctx_t *c, const json_t *shape, const json_t *v, bool in_body, int depth) {
    nb__member_values_t mv;
    if (nb__member_values_init(&mv, c->spec, shape, v, false) != 0)
        return;
    for (size_t i = 0; i < mv.n; i++) {
        const nb__member_t *m = &mv.members[i];
        if (nb__member_streaming(m))
            continue; /* a streaming payload is the body itself, never part of the value */
        const json_t *val = mv.vals[i];
        bool absent = val == NULL || json_is_null(val);
        /* Most members of a large input (PutObject's 40) are absent and optional: their path is
         * built only for a report or a value to check. */
        if (absent && !(m->traits & NB_MEMBER_REQUIRED))
            continue;
        bool body = in_body && nb__member_location(m) == NULL;
        size_t mark = path_push_member(c, m);
        if (absent) {
            report(c, V_MISSING, m->shape, NULL, 0, body);
        } else {
            c->nul_allowed = m->traits & NB_MEMBER_ALLOW_NUL;
            validate_value(c, m->shape, &m->facts, val, body, depth + 1);
            c->nul_allowed = false;
        }
        path_pop(c, mark);
    }
    nb__member_values_free(&mv);
}

/* S3 checks a key for nothing but a NUL, which would cut the name short in a plugin. */
static void validate_map_key(vctx_t *c, const json_t *key, const nb__shape_facts_t *f, const json_t *kv, bool in_body,
                             int depth) {
    if (c->style != STYLE_PRESENCE_ONLY)
        validate_value(c, key, f, kv, in_body, depth + 1);
    else if (memchr(json_string_value(kv), '\0', json_string_length(kv)))
        report(c, V_NUL, key, kv, 0, in_body);
}

/* f: the shape's facts (nb__shape_facts), read once per member or per list. */
static void validate_value(vctx_t *c, const json_t *shape, const nb__shape_facts_t *f, const json_t *v, bool in_body,
                           int depth) {
    if (depth > VALIDATE_MAX_DEPTH || shape == NULL)
        return;
    /* S3 validates nothing but presence (and the parser already checked types). */
    bool only_required = c->style == STYLE_PRESENCE_ONLY;
    nb__shape_kind_t kind = f->kind;
    bool ok_type = true;
    switch (kind) {
    case NB_SHAPE_STRUCTURE: ok_type = json_is_object(v); break;
    case NB_SHAPE_LIST: ok_type = json_is_array(v); break;
    case NB_SHAPE_MAP: ok_type = json_is_object(v); break;
    case NB_SHAPE_STRING:
    case NB_SHAPE_BLOB: ok_type = json_is_string(v); break;
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: ok_type = json_is_integer(v); break;
    case NB_SHAPE_FLOAT: {
        double d;
        ok_type = nb__value_double(v, &d);
        break;
    }
    case NB_SHAPE_BOOLEAN: ok_type = json_is_boolean(v); break;
    case NB_SHAPE_TIMESTAMP: ok_type = json_is_number(v); break;
    case NB_SHAPE_DOCUMENT:
    case NB_SHAPE_UNKNOWN: return;
    }
    if (!ok_type) {
        if (!only_required)
            report(c, V_TYPE, shape, v, 0, in_body);
        return;
    }
    switch (kind) {
    case NB_SHAPE_STRUCTURE: validate_structure(c, shape, v, in_body, depth); return;
    case NB_SHAPE_LIST: {
        if (!only_required)
            check_length(c, shape, f, v, json_array_size(v), in_body);
        const json_t *item = nb__spec_ref_shape(c->spec, json_object_get(shape, "member"));
        nb__shape_facts_t item_facts;
        nb__shape_facts(item, &item_facts);
        size_t seg = c->seg, i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (json_is_null(x))
                continue;
            size_t mark = c->path.len;
            char *saved = NULL;
            if (c->style == STYLE_CORAL) {
                nb__buf_printf(&c->path, ".%zu.member", i + 1);
            } else if (c->style == STYLE_QUERY || c->style == STYLE_INVALID_PARAMETER) {
                /* the parameter as a query client spells it: Name.member.N, or
                 * for a flattened list the item's own name: Item.N */
                const char *iname = json_string_value(json_object_get(json_object_get(shape, "member"), "locationName"));
                if (json_is_true(json_object_get(shape, "flattened"))) {
                    if (iname && seg <= c->path.len) {
                        saved = strdup(c->path.data);
                        path_pop(c, seg);
                        nb__buf_puts(&c->path, iname);
                    }
                    nb__buf_printf(&c->path, ".%zu", i + 1);
                } else {
                    nb__buf_printf(&c->path, ".%s.%zu", iname ? iname : "member", i + 1);
                }
            } else {
                nb__buf_printf(&c->path, ".%zu", i + 1);
            }
            validate_value(c, item, &item_facts, x, in_body, depth + 1);
            if (saved) {
                path_pop(c, 0);
                nb__buf_puts(&c->path, saved);
                free(saved);
            }
            path_pop(c, mark);
        }
        return;
    }
    case NB_SHAPE_MAP: {
        if (!only_required)
            check_length(c, shape, f, v, json_object_size(v), in_body);
        const json_t *key = nb__spec_ref_shape(c->spec, json_object_get(shape, "key"));
        const json_t *val = nb__spec_ref_shape(c->spec, json_object_get(shape, "value"));
        nb__shape_facts_t key_facts, val_facts;
        nb__shape_facts(key, &key_facts);
        nb__shape_facts(val, &val_facts);
        const char *k;
        size_t klen;
        json_t *x;
        size_t n = 0;
        json_object_keylen_foreach((json_t *)v, k, klen, x) {
            size_t mark = c->path.len;
            n++;
            json_t *kv = json_stringn(k, klen);
            if (c->style == STYLE_QUERY || c->style == STYLE_INVALID_PARAMETER) {
                /* Name.entry.N.key / .value, or Name.N.key / .value when flattened, with the
                 * key's and value's own names when they have them */
                bool flat = json_is_true(json_object_get(shape, "flattened"));
                const char *kn = json_string_value(json_object_get(json_object_get(shape, "key"), "locationName"));
                const char *vn = json_string_value(json_object_get(json_object_get(shape, "value"), "locationName"));
                nb__buf_printf(&c->path, flat ? ".%zu." : ".entry.%zu.", n);
                size_t entry = c->path.len;
                nb__buf_puts(&c->path, kn ? kn : "key");
                if (kv)
                    validate_map_key(c, key, &key_facts, kv, in_body, depth);
                path_pop(c, entry);
                nb__buf_puts(&c->path, vn ? vn : "value");
            } else {
                /* appended, not printf'd: this runs for every entry of every map (a DynamoDB item) */
                nb__buf_putc(&c->path, '.');
                nb__buf_append(&c->path, k, klen);
                if (c->style == STYLE_CORAL)
                    nb__buf_puts(&c->path, ".member");
                if (kv)
                    validate_map_key(c, key, &key_facts, kv, in_body, depth);
            }
            json_decref(kv);
            if (!json_is_null(x))
                validate_value(c, val, &val_facts, x, in_body, depth + 1);
            path_pop(c, mark);
        }
        return;
    }
    default: break;
    }
    if (kind == NB_SHAPE_STRING && !c->nul_allowed && memchr(json_string_value(v), '\0', json_string_length(v))) {
        report(c, V_NUL, shape, v, 0, in_body);
        return;
    }
    if (only_required)
        return;
    if (kind == NB_SHAPE_STRING) {
        if (f->enum_values) {
            size_t i;
            json_t *e;
            bool found = false;
            json_array_foreach(f->enum_values, i, e) found = found || (json_is_string(e) && strcmp(json_string_value(e), json_string_value(v)) == 0);
            if (!found) {
                report(c, V_ENUM, shape, v, 0, in_body);
                return;
            }
        }
        /* a string's UTF-16 length is counted only for a shape that bounds it: most (a message body) do not */
        if (f->has_min || f->has_max)
            check_length(c, shape, f, v, utf16_length(json_string_value(v), json_string_length(v)), in_body);
    } else if (kind == NB_SHAPE_BLOB) {
        check_length(c, shape, f, v, json_string_length(v), in_body);
    } else if (kind == NB_SHAPE_INTEGER || kind == NB_SHAPE_LONG || kind == NB_SHAPE_FLOAT) {
        double x;
        if (!nb__value_double(v, &x) || isnan(x))
            return;
        if (f->has_min && x < f->min)
            report(c, V_RANGE_MIN, shape, v, f->min, in_body);
        else if (f->has_max && x > f->max)
            report(c, V_RANGE_MAX, shape, v, f->max, in_body);
    }
}

static style_t style_for(const nb__spec_t *spec, nb__protocol_t proto) {
    if (proto == NB_PROTO_EC2)
        return STYLE_EC2;
    nb__validate_quirk_t quirk = nb__proto_quirks(spec)->validation;
    if (proto == NB_PROTO_QUERY || spec->query_compatible) {
        if (quirk == NB_VALIDATE_INVALID_PARAMETER)
            return STYLE_INVALID_PARAMETER;
        return quirk == NB_VALIDATE_CORAL ? STYLE_CORAL : STYLE_QUERY;
    }
    if (proto == NB_PROTO_REST_XML && quirk == NB_VALIDATE_PRESENCE_ONLY)
        return STYLE_PRESENCE_ONLY;
    return STYLE_CORAL;
}

int nb__proto_validate(const nb__spec_t *spec, const nb__spec_op_t *op, nb__protocol_t proto, const json_t *input,
                       nb__aws_error_t *err) {
    if (spec == NULL || op == NULL || op->input == NULL)
        return 0;
    vctx_t c = {.spec = spec, .style = style_for(spec, proto)};
    json_t *empty = NULL;
    if (!json_is_object(input))
        input = empty = json_object();
    validate_structure(&c, op->input, input, true, 0);
    json_decref(empty);
    int rc = 0;
    if (c.count) {
        rc = NB_EINVAL;
        switch (c.style) {
        case STYLE_CORAL: {
            const char *code = proto == NB_PROTO_REST_XML ? "InvalidInput"
                               : proto == NB_PROTO_QUERY  ? "ValidationError"
                                                          : "ValidationException";
            nb__aws_error_set(err, spec, op, code, 400, "%d validation error%s detected: %s", c.count,
                              c.count == 1 ? "" : "s", c.msgs.data);
            break;
        }
        case STYLE_QUERY:
        case STYLE_EC2:
            if (c.first_kind == V_MISSING)
                nb__aws_error_set(err, spec, op, "MissingParameter", 400, "The request must contain the parameter %s%s",
                                  c.first_path, c.style == STYLE_QUERY ? "." : "");
            else
                nb__aws_error_set(err, spec, op, "InvalidParameterValue", 400, "%s", c.first_detail);
            break;
        case STYLE_INVALID_PARAMETER:
            if (c.first_kind == V_MISSING)
                nb__aws_error_set(err, spec, op, "InvalidParameter", 400,
                                  "Invalid parameter: %s Reason: no value for required parameter", c.first_path);
            else
                nb__aws_error_set(err, spec, op, "InvalidParameter", 400, "Invalid parameter: %s", c.first_path);
            break;
        case STYLE_PRESENCE_ONLY:
            if (c.first_kind == V_NUL && strcmp(c.first_path, "Bucket") == 0)
                nb__aws_error_set(err, spec, op, "InvalidBucketName", 400, "The specified bucket is not valid.");
            else if (c.first_kind == V_NUL)
                nb__aws_error_set(err, spec, op, "InvalidArgument", 400, "%s must not contain a NUL character",
                                  c.first_path);
            else if (c.first_in_body)
                nb__aws_error_set(err, spec, op, "MalformedXML", 400,
                                  "The XML you provided was not well-formed or did not validate against our "
                                  "published schema");
            else
                nb__aws_error_set(err, spec, op, "InvalidArgument", 400, "%s must be specified", c.first_path);
            break;
        }
    }
    nb__buf_free(&c.path);
    nb__buf_free(&c.msgs);
    free(c.first_path);
    free(c.first_detail);
    return rc;
}
