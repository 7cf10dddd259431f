/*
 * smithy-rpc-v2-cbor: requests are POST /service/<Service>/operation/<Op> with a
 * CBOR map as body (empty body = empty input); responses are CBOR maps, errors
 * carry "__type" (a shape id) and the message.
 *
 * The protocol binding: it reads item heads with the codec (cbor_codec.h) and
 * builds the value the shape asks for directly, and writes values the way their
 * shapes say (timestamps as tag 1, floats as single precision, sparse lists).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/cbor_codec.h"
#include "proto/proto_impl.h"
#include "proto/shape.h"

/* A request body above this is refused rather than read into memory. */
#define CBOR_MAX_BODY (64u << 20)

/* ---------------------------------------------------------------- decoding */

static const char *member_wire_name(const char *name, const json_t *ref) {
    const char *loc = json_string_value(json_object_get(ref, "locationName"));
    return loc ? loc : name;
}

static json_t *decode_after(nb__cbor_dec_t *d, const nb__spec_t *spec, const json_t *shape, nb__cbor_tok_t *t,
                            int depth);

static json_t *decode(nb__cbor_dec_t *d, const nb__spec_t *spec, const json_t *shape, int depth) {
    nb__cbor_tok_t t;
    if (!nb__cbor_next(d, &t))
        return NULL;
    return decode_after(d, spec, shape, &t, depth);
}

static json_t *type_error(nb__cbor_dec_t *d, const json_t *shape, const nb__cbor_tok_t *t) {
    nb__cbor_fail(d, "expected a %s, got a CBOR %s", nb__shape_type(shape) ? nb__shape_type(shape) : "value",
             nb__cbor_kind_name(t->kind));
    return NULL;
}

/* Marks the value "absent": a null, dropped from structures and dense collections. */
static json_t absent_marker;
#define ABSENT (&absent_marker)


static json_t *decode_integer(nb__cbor_dec_t *d, const char *type, nb__shape_kind_t kind, const nb__cbor_tok_t *t) {
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (strcmp(type, "byte") == 0)
        lo = INT8_MIN, hi = INT8_MAX;
    else if (strcmp(type, "short") == 0)
        lo = INT16_MIN, hi = INT16_MAX;
    else if (kind == NB_SHAPE_INTEGER)
        lo = INT32_MIN, hi = INT32_MAX;
    int64_t v;
    if (t->kind == NB_CBOR_UINT && t->u <= (uint64_t)hi) {
        v = (int64_t)t->u;
    } else if (t->kind == NB_CBOR_NEGINT && t->u <= (uint64_t)(-(lo + 1))) {
        v = -1 - (int64_t)t->u;
    } else if (t->kind == NB_CBOR_UINT || t->kind == NB_CBOR_NEGINT) {
        nb__cbor_fail(d, "integer out of range for a %s", type);
        return NULL;
    } else {
        nb__cbor_fail(d, "expected a %s, got a CBOR %s", type, nb__cbor_kind_name(t->kind));
        return NULL;
    }
    return json_integer((json_int_t)v);
}

static json_t *decode_structure(nb__cbor_dec_t *d, const nb__spec_t *spec, const json_t *shape, const nb__cbor_tok_t *t,
                                int depth) {
    const json_t *members = json_object_get(shape, "members");
    json_t *obj = json_object();
    nb__cbor_coll_t c;
    nb__cbor_coll_init(&c, t);
    nb__buf_t key = NB__BUF_INIT;
    while (nb__cbor_coll_more(d, &c)) {
        const unsigned char *ks;
        size_t klen;
        if (!nb__cbor_read_key(d, &c, "structure key", &key, &ks, &klen))
            break;
        /* Keys are compared as NUL-terminated names: a key holding a NUL matches nothing. */
        const char *found = NULL;
        const json_t *ref = NULL;
        const char *mname;
        json_t *mref;
        if (memchr(ks, 0, klen) == NULL) {
            json_object_foreach((json_t *)members, mname, mref) {
                const char *wire = member_wire_name(mname, mref);
                if (strlen(wire) == klen && memcmp(wire, ks, klen) == 0) {
                    found = mname;
                    ref = mref;
                    break;
                }
            }
        }
        if (found == NULL) {
            if (!nb__cbor_skip_value(d, depth + 1))
                break;
            continue;
        }
        json_t *v = decode(d, spec, nb__spec_ref_shape(spec, ref), depth + 1);
        if (v == NULL)
            break;
        if (v != ABSENT)
            json_object_set_new(obj, found, v);
    }
    nb__buf_free(&key);
    if (d->failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *decode_list(nb__cbor_dec_t *d, const nb__spec_t *spec, const json_t *shape, const nb__cbor_tok_t *t,
                           int depth) {
    const json_t *item_shape = nb__spec_ref_shape(spec, json_object_get(shape, "member"));
    bool sparse = json_is_true(json_object_get(shape, "sparse"));
    json_t *arr = json_array();
    nb__cbor_coll_t c;
    nb__cbor_coll_init(&c, t);
    while (nb__cbor_coll_more(d, &c)) {
        nb__cbor_tok_t it;
        if (!nb__cbor_coll_head(d, &c, &it))
            break;
        json_t *v = decode_after(d, spec, item_shape, &it, depth + 1);
        if (v == NULL)
            break;
        if (v == ABSENT) {
            if (sparse)
                json_array_append_new(arr, json_null());
            continue;
        }
        json_array_append_new(arr, v);
    }
    if (d->failed) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *decode_map(nb__cbor_dec_t *d, const nb__spec_t *spec, const json_t *shape, const nb__cbor_tok_t *t,
                          int depth) {
    const json_t *value_shape = nb__spec_ref_shape(spec, json_object_get(shape, "value"));
    bool sparse = json_is_true(json_object_get(shape, "sparse"));
    json_t *obj = json_object();
    nb__cbor_coll_t c;
    nb__cbor_coll_init(&c, t);
    nb__buf_t key = NB__BUF_INIT;
    while (nb__cbor_coll_more(d, &c)) {
        char *k = nb__cbor_read_map_key(d, &c, &key);
        if (k == NULL)
            break;
        json_t *v = decode(d, spec, value_shape, depth + 1);
        if (v == NULL) {
            free(k);
            break;
        }
        if (v == ABSENT)
            v = sparse ? json_null() : NULL;
        if (v && json_object_set_new(obj, k, v) < 0)
            nb__cbor_fail(d, "map key is not valid UTF-8");
        free(k);
    }
    nb__buf_free(&key);
    if (d->failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Builds the value for shape from the item whose head is t. NULL on error (d says
 * why), ABSENT for a CBOR null or undefined. */
static json_t *decode_after(nb__cbor_dec_t *d, const nb__spec_t *spec, const json_t *shape, nb__cbor_tok_t *t,
                            int depth) {
    if (depth > NB_CBOR_MAX_DEPTH) {
        nb__cbor_fail(d, "CBOR nesting deeper than %d", NB_CBOR_MAX_DEPTH);
        return NULL;
    }
    const char *type = nb__shape_type(shape);
    if (t->kind == NB_CBOR_NULL)
        return ABSENT;
    if (t->kind == NB_CBOR_BREAK) {
        nb__cbor_fail(d, "unexpected CBOR break");
        return NULL;
    }
    if (type == NULL) /* a shape the spec does not define: keep nothing, stay in sync */
        return nb__cbor_skip_after(d, t, depth) ? ABSENT : NULL;
    if (t->kind == NB_CBOR_TAG) {
        if (t->u == 2 || t->u == 3) {
            nb__cbor_fail(d, "big integers are not supported: value out of range for a %s", type);
            return NULL;
        }
        bool is_ts = strcmp(type, "timestamp") == 0;
        if (t->u != 1 && is_ts) {
            nb__cbor_fail(d, "timestamp carries CBOR tag %llu, expected tag 1", (unsigned long long)t->u);
            return NULL;
        }
        /* Tags other than 1 carry nothing Smithy shapes use: read the tagged item. */
        nb__cbor_tok_t inner;
        if (!nb__cbor_next(d, &inner))
            return NULL;
        if (inner.kind == NB_CBOR_TAG) {
            nb__cbor_fail(d, "nested CBOR tags are not supported");
            return NULL;
        }
        if (is_ts && inner.kind == NB_CBOR_NULL)
            return ABSENT;
        if (t->u == 1 && !is_ts)
            return type_error(d, shape, t);
        *t = inner;
    }
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE:
        if (t->kind != NB_CBOR_MAP && t->kind != NB_CBOR_MAP_INDEF)
            return type_error(d, shape, t);
        return decode_structure(d, spec, shape, t, depth);
    case NB_SHAPE_LIST:
        if (t->kind != NB_CBOR_ARRAY && t->kind != NB_CBOR_ARRAY_INDEF)
            return type_error(d, shape, t);
        return decode_list(d, spec, shape, t, depth);
    case NB_SHAPE_MAP:
        if (t->kind != NB_CBOR_MAP && t->kind != NB_CBOR_MAP_INDEF)
            return type_error(d, shape, t);
        return decode_map(d, spec, shape, t, depth);
    case NB_SHAPE_STRING:
        if (t->kind != NB_CBOR_TEXT && t->kind != NB_CBOR_TEXT_INDEF)
            return type_error(d, shape, t);
        return nb__cbor_decode_string(d, t, true);
    case NB_SHAPE_BLOB:
        if (t->kind != NB_CBOR_BYTES && t->kind != NB_CBOR_BYTES_INDEF)
            return type_error(d, shape, t);
        return nb__cbor_decode_string(d, t, false);
    case NB_SHAPE_BOOLEAN:
        if (t->kind != NB_CBOR_BOOL)
            return type_error(d, shape, t);
        return json_boolean(t->b);
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: return decode_integer(d, type, nb__shape_kind(shape), t);
    case NB_SHAPE_FLOAT: {
        double v;
        if (!nb__cbor_number(t, &v))
            return type_error(d, shape, t);
        return nb__value_from_double(v);
    }
    case NB_SHAPE_TIMESTAMP: {
        double v;
        if (!nb__cbor_number(t, &v))
            return type_error(d, shape, t);
        if (!isfinite(v)) {
            nb__cbor_fail(d, "timestamp is not a finite number");
            return NULL;
        }
        return json_real(v);
    }
    case NB_SHAPE_DOCUMENT: return nb__cbor_decode_any(d, t, depth);
    case NB_SHAPE_UNKNOWN: break;
    }
    nb__cbor_fail(d, "shapes of type %s are not supported", type);
    return NULL;
}

static const char *body_bytes(const nb__http_request_t *req, size_t *len) {
    if (req->body == NULL) {
        *len = 0;
        return "";
    }
    int64_t size = nb__body_size(req->body);
    if (size <= 0) {
        *len = 0;
        return "";
    }
    if ((uint64_t)size > CBOR_MAX_BODY)
        return NULL;
    *len = (size_t)size;
    return nb__body_data(req->body, CBOR_MAX_BODY);
}

static int parse(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req, json_t **input,
                 nb__aws_error_t *err) {
    size_t len;
    const char *body = body_bytes(req, &len);
    *input = NULL;
    if (body == NULL) {
        nb__aws_error_set(err, spec, op, "SerializationException", 400, "request body is too large");
        return NB_EPROTO;
    }
    if (len == 0) {
        *input = json_object();
        return *input ? 0 : NB_ENOMEM;
    }
    nb__cbor_dec_t d = {.start = (const unsigned char *)body,
                        .p = (const unsigned char *)body,
                        .end = (const unsigned char *)body + len};
    nb__cbor_tok_t t;
    json_t *v = NULL;
    if (nb__cbor_next(&d, &t)) {
        if (t.kind != NB_CBOR_MAP && t.kind != NB_CBOR_MAP_INDEF) {
            nb__cbor_fail(&d, "request body is a CBOR %s, expected a map", nb__cbor_kind_name(t.kind));
        } else if (op->input == NULL) {
            /* No input members: the map must still be well-formed. */
            if (nb__cbor_skip_after(&d, &t, 0))
                v = json_object();
        } else {
            v = decode_structure(&d, spec, op->input, &t, 0);
        }
    }
    if (v && d.p != d.end) {
        nb__cbor_fail(&d, "%zu trailing bytes after the CBOR body", (size_t)(d.end - d.p));
        json_decref(v);
        v = NULL;
    }
    if (v == NULL) {
        if (!d.failed)
            nb__cbor_fail(&d, "out of memory");
        nb__aws_error_set(err, spec, op, "SerializationException", 400, "Malformed CBOR request body: %s", d.msg);
        return NB_EPROTO;
    }
    *input = v;
    return 0;
}

/* ---------------------------------------------------------------- encoding */

typedef struct {
    nb__cbor_enc_t w;
    const nb__spec_t *spec;
} enc_t;

/* Appends what a libcbor encoder wrote into a scratch head. */

static bool is_present(const json_t *v) { return v != NULL && !json_is_null(v); }

static void encode(enc_t *e, const json_t *shape, const json_t *v, int depth);

static void encode_structure(enc_t *e, const json_t *shape, const json_t *v, int depth) {
    const json_t *members = json_object_get(shape, "members");
    const char *name;
    json_t *ref;
    size_t n = 0;
    json_object_foreach((json_t *)members, name, ref) n += is_present(json_object_get(v, name));
    nb__cbor_put_map_start(&e->w, n);
    json_object_foreach((json_t *)members, name, ref) {
        const json_t *mv = json_object_get(v, name);
        if (!is_present(mv))
            continue;
        const char *wire = member_wire_name(name, ref);
        nb__cbor_put_text(&e->w, wire, strlen(wire));
        encode(e, nb__spec_ref_shape(e->spec, ref), mv, depth + 1);
    }
}


/* A value that does not fit its shape is a handler bug: the response fails
 * (500) rather than carrying something the client would misread. */
static void encode(enc_t *e, const json_t *shape, const json_t *v, int depth) {
    double x;
    if (depth > NB_CBOR_MAX_DEPTH || e->w.failed) {
        e->w.failed = true;
        return;
    }
    if (json_is_null(v)) {
        nb__cbor_put_null(&e->w);
        return;
    }
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE:
        if (!json_is_object(v))
            break;
        encode_structure(e, shape, v, depth);
        return;
    case NB_SHAPE_LIST: {
        if (!json_is_array(v))
            break;
        const json_t *item = nb__spec_ref_shape(e->spec, json_object_get(shape, "member"));
        bool sparse = json_is_true(json_object_get(shape, "sparse"));
        size_t i, n = 0;
        json_t *m;
        json_array_foreach(v, i, m) n += sparse || !json_is_null(m);
        nb__cbor_put_array_start(&e->w, n);
        json_array_foreach(v, i, m) {
            if (sparse || !json_is_null(m))
                encode(e, item, m, depth + 1);
        }
        return;
    }
    case NB_SHAPE_MAP: {
        if (!json_is_object(v))
            break;
        const json_t *val = nb__spec_ref_shape(e->spec, json_object_get(shape, "value"));
        bool sparse = json_is_true(json_object_get(shape, "sparse"));
        const char *k;
        json_t *m;
        size_t n = 0;
        json_object_foreach((json_t *)v, k, m) n += sparse || !json_is_null(m);
        nb__cbor_put_map_start(&e->w, n);
        json_object_foreach((json_t *)v, k, m) {
            if (!sparse && json_is_null(m))
                continue;
            nb__cbor_put_text(&e->w, k, strlen(k));
            encode(e, val, m, depth + 1);
        }
        return;
    }
    case NB_SHAPE_BLOB:
        if (!json_is_string(v))
            break;
        nb__cbor_put_bytes(&e->w, json_string_value(v), json_string_length(v));
        return;
    case NB_SHAPE_STRING:
        if (!json_is_string(v))
            break;
        nb__cbor_put_text(&e->w, json_string_value(v), json_string_length(v));
        return;
    case NB_SHAPE_BOOLEAN:
        if (!json_is_boolean(v))
            break;
        nb__cbor_put_bool(&e->w, json_is_true(v));
        return;
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG:
        if (json_is_integer(v)) {
            nb__cbor_put_int(&e->w, json_integer_value(v));
            return;
        }
        if (json_is_real(v) && fabs(json_real_value(v)) < 9.0e18 && json_real_value(v) == floor(json_real_value(v))) {
            nb__cbor_put_int(&e->w, (json_int_t)json_real_value(v));
            return;
        }
        break;
    case NB_SHAPE_FLOAT:
        if (!nb__value_double(v, &x))
            break;
        nb__cbor_put_float(&e->w, x, strcmp(nb__shape_type(shape), "float") == 0);
        return;
    case NB_SHAPE_TIMESTAMP:
        if (!nb__value_double(v, &x) || !isfinite(x))
            break;
        nb__cbor_put_tag(&e->w, 1);
        /* Whole seconds as an integer, fractions as a double. */
        if (x == floor(x) && fabs(x) < 9.0e15)
            nb__cbor_put_int(&e->w, (json_int_t)x);
        else
            nb__cbor_put_float(&e->w, x, false);
        return;
    case NB_SHAPE_DOCUMENT:
    case NB_SHAPE_UNKNOWN:
        nb__cbor_put_any(&e->w, v, depth);
        return;
    }
    e->w.failed = true;
}

static void common_headers(const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    nb__headers_set(&resp->headers, "smithy-protocol", "rpc-v2-cbor");
    nb__headers_set(&resp->headers, "x-amzn-RequestId", ctx->request_id);
}

static int serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                     const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    /* RPC v2 has no streaming payloads outside event streams, which Nimbus does not serve here. */
    nb__body_free(stream);
    resp->status = op->response_code ? op->response_code : 200;
    common_headers(ctx, resp);
    resp->no_body = ctx->head;
    if (op->output == NULL)
        return 0; /* no output shape: empty body, no Content-Type */
    nb__buf_reset(&resp->body);
    enc_t e = {.w = {.out = &resp->body}, .spec = spec};
    encode_structure(&e, op->output, json_is_object(output) ? output : NULL, 0);
    if (e.w.failed) {
        nb__buf_reset(&resp->body);
        return NB_EINVAL;
    }
    nb__headers_set(&resp->headers, "Content-Type", "application/cbor");
    return 0;
}

static const json_t *error_shape(const nb__spec_t *spec, const nb__spec_op_t *op, const char *code,
                                 const char **name_out) {
    *name_out = NULL;
    return nb__spec_error_shape(spec, op, code, name_out);
}

/* Shape ids need a namespace the spec does not record; clients keep only what
 * follows '#'. AWS's are com.amazonaws.<service id> ("com.amazonaws.cloudwatch"). */
static void shape_id(const nb__spec_t *spec, const char *name, nb__buf_t *out) {
    const char *ns = NULL;
    if (spec)
        ns = spec->service_id ? spec->service_id : spec->endpoint_prefix ? spec->endpoint_prefix : spec->target_prefix;
    nb__buf_puts(out, "com.amazonaws.");
    for (const char *p = ns ? ns : "nimbus"; *p; p++)
        if (*p != ' ')
            nb__buf_putc(out, (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
    nb__buf_putc(out, '#');
    nb__buf_puts(out, name);
}

static int serialize_error(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err,
                           const nb__proto_ctx_t *ctx, nb__http_response_t *resp) {
    const char *name;
    const json_t *shape = error_shape(spec, op, err->code, &name);
    if (name == NULL)
        name = err->code;
    resp->status = err->status ? err->status : 400;
    common_headers(ctx, resp);
    nb__headers_set(&resp->headers, "Content-Type", "application/cbor");
    if (spec && spec->query_compatible) {
        const char *code = json_string_value(json_object_get(json_object_get(shape, "error"), "code"));
        nb__buf_t h = NB__BUF_INIT;
        nb__buf_printf(&h, "%s;%s", code ? code : err->code, err->sender ? "Sender" : "Receiver");
        nb__headers_set(&resp->headers, "x-amzn-query-error", h.data);
        nb__buf_free(&h);
    }
    resp->no_body = ctx->head;

    /* The body is the error shape's members, "__type" first and the message under
     * the member the shape names for it ("message" when it names none). */
    const json_t *members = json_object_get(shape, "members");
    const char *msg_member = "message";
    const char *mname;
    json_t *mref;
    json_object_foreach((json_t *)members, mname, mref) {
        if (strcasecmp(mname, "message") == 0) {
            msg_member = mname;
            break;
        }
    }
    json_t *fields = json_is_object(err->fields) ? json_deep_copy(err->fields) : json_object();
    if (err->message && !is_present(json_object_get(fields, msg_member)))
        json_object_set_new(fields, msg_member, json_string(err->message));

    nb__buf_reset(&resp->body);
    enc_t e = {.w = {.out = &resp->body}, .spec = spec};
    size_t n = 1;
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v) {
        if (is_present(v) && strcmp(k, "__type") != 0)
            n++;
    }
    nb__cbor_put_map_start(&e.w, n);
    nb__buf_t id = NB__BUF_INIT;
    shape_id(spec, name, &id);
    nb__cbor_put_text(&e.w, "__type", 6);
    nb__cbor_put_text(&e.w, id.data, id.len);
    nb__buf_free(&id);
    json_object_foreach(fields, k, v) {
        if (!is_present(v) || strcmp(k, "__type") == 0)
            continue;
        const json_t *ref = json_object_get(members, k);
        nb__cbor_put_text(&e.w, ref ? member_wire_name(k, ref) : k, strlen(ref ? member_wire_name(k, ref) : k));
        encode(&e, ref && spec ? nb__spec_ref_shape(spec, ref) : NULL, v, 1);
    }
    json_decref(fields);
    return e.w.failed ? NB_EINVAL : 0;
}

const nb__proto_impl_t nb__proto_cbor_impl = {parse, serialize, serialize_error};
