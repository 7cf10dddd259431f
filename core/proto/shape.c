#include "proto/shape.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"

nb__shape_kind_t nb__shape_kind(const json_t *shape) {
    const char *t = nb__shape_type(shape);
    if (t == NULL)
        return NB_SHAPE_UNKNOWN;
    switch (t[0]) {
    case 's':
        if (strcmp(t, "structure") == 0)
            return json_is_true(json_object_get(shape, "document")) ? NB_SHAPE_DOCUMENT : NB_SHAPE_STRUCTURE;
        if (strcmp(t, "string") == 0)
            return NB_SHAPE_STRING;
        if (strcmp(t, "short") == 0)
            return NB_SHAPE_INTEGER;
        break;
    case 'l':
        if (strcmp(t, "list") == 0)
            return NB_SHAPE_LIST;
        if (strcmp(t, "long") == 0)
            return NB_SHAPE_LONG;
        break;
    case 'm':
        if (strcmp(t, "map") == 0)
            return NB_SHAPE_MAP;
        break;
    case 'e':
        if (strcmp(t, "enum") == 0)
            return NB_SHAPE_STRING;
        break;
    case 'i':
        if (strcmp(t, "integer") == 0 || strcmp(t, "intEnum") == 0)
            return NB_SHAPE_INTEGER;
        break;
    case 'b':
        if (strcmp(t, "boolean") == 0)
            return NB_SHAPE_BOOLEAN;
        if (strcmp(t, "blob") == 0)
            return NB_SHAPE_BLOB;
        if (strcmp(t, "byte") == 0)
            return NB_SHAPE_INTEGER;
        if (strcmp(t, "bigInteger") == 0)
            return NB_SHAPE_LONG;
        if (strcmp(t, "bigDecimal") == 0)
            return NB_SHAPE_FLOAT;
        break;
    case 'f':
        if (strcmp(t, "float") == 0)
            return NB_SHAPE_FLOAT;
        break;
    case 'd':
        if (strcmp(t, "double") == 0)
            return NB_SHAPE_FLOAT;
        if (strcmp(t, "document") == 0)
            return NB_SHAPE_DOCUMENT;
        break;
    case 't':
        if (strcmp(t, "timestamp") == 0)
            return NB_SHAPE_TIMESTAMP;
        break;
    }
    return NB_SHAPE_UNKNOWN;
}

static void fill_member(const nb__spec_t *spec, const char *name, const json_t *ref, nb__member_t *m) {
    m->name = name;
    m->ref = ref;
    m->shape = nb__spec_ref_shape(spec, ref);
    m->kind = nb__shape_kind(m->shape);
}

void nb__member_iter_init(nb__member_iter_t *it, const nb__spec_t *spec, const json_t *structure) {
    it->spec = spec;
    it->members = json_object_get(structure, "members");
    it->it = json_is_object(it->members) ? json_object_iter((json_t *)it->members) : NULL;
}

bool nb__member_next(nb__member_iter_t *it, nb__member_t *m) {
    if (it->it == NULL)
        return false;
    fill_member(it->spec, json_object_iter_key(it->it), json_object_iter_value(it->it), m);
    it->it = json_object_iter_next((json_t *)it->members, it->it);
    return true;
}

bool nb__member_get(const nb__spec_t *spec, const json_t *structure, const char *name, nb__member_t *m) {
    json_t *members = json_object_get(structure, "members");
    void *iter = json_object_iter_at(members, name);
    if (iter == NULL)
        return false;
    fill_member(spec, json_object_iter_key(iter), json_object_iter_value(iter), m);
    return true;
}

const json_t *nb__trait(const json_t *ref, const json_t *shape, const char *key) {
    const json_t *v = ref ? json_object_get(ref, key) : NULL;
    if (v == NULL && shape)
        v = json_object_get(shape, key);
    return v;
}

const char *nb__trait_str(const json_t *ref, const json_t *shape, const char *key) {
    return json_string_value(nb__trait(ref, shape, key));
}

bool nb__trait_bool(const json_t *ref, const json_t *shape, const char *key) {
    return json_is_true(nb__trait(ref, shape, key));
}

const char *nb__member_location(const nb__member_t *m) { return json_string_value(json_object_get(m->ref, "location")); }

const char *nb__member_location_name(const nb__member_t *m) {
    const char *n = json_string_value(json_object_get(m->ref, "locationName"));
    return n ? n : m->name;
}

bool nb__member_eventstream(const nb__member_t *m) { return nb__trait_bool(m->ref, m->shape, "eventstream"); }

bool nb__member_flattened(const nb__member_t *m) { return nb__trait_bool(m->ref, m->shape, "flattened"); }
bool nb__member_xml_attribute(const nb__member_t *m) { return nb__trait_bool(m->ref, m->shape, "xmlAttribute"); }
bool nb__member_jsonvalue(const nb__member_t *m) { return nb__trait_bool(m->ref, m->shape, "jsonvalue"); }
bool nb__member_host_label(const nb__member_t *m) { return nb__trait_bool(m->ref, m->shape, "hostLabel"); }
bool nb__member_idempotency_token(const nb__member_t *m) {
    return nb__trait_bool(m->ref, m->shape, "idempotencyToken");
}

const char *nb__member_query_name(const nb__member_t *m) {
    const char *n = json_string_value(json_object_get(m->ref, "queryName"));
    return n ? n : nb__member_location_name(m);
}

bool nb__member_streaming(const nb__member_t *m) {
    return nb__trait_bool(m->ref, m->shape, "streaming") || nb__member_eventstream(m);
}

bool nb__shape_payload(const nb__spec_t *spec, const json_t *structure, nb__member_t *m) {
    const char *name = json_string_value(json_object_get(structure, "payload"));
    return name && nb__member_get(spec, structure, name, m);
}

nb__time_format_t nb__timestamp_format(const json_t *ref, const json_t *shape, nb__time_format_t dflt) {
    const char *f = nb__trait_str(ref, shape, "timestampFormat");
    if (f == NULL)
        return dflt;
    if (strcmp(f, "iso8601") == 0)
        return dflt == NB_TIME_ISO8601_MS ? NB_TIME_ISO8601_MS : NB_TIME_ISO8601;
    if (strcmp(f, "rfc822") == 0)
        return NB_TIME_RFC822;
    if (strcmp(f, "unixTimestamp") == 0)
        return NB_TIME_EPOCH;
    return dflt;
}

json_t *nb__value_blob(const void *data, size_t len) { return json_stringn_nocheck(len ? data : "", len); }

json_t *nb__value_from_double(double d) {
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
}

bool nb__value_double(const json_t *value, double *d) {
    if (json_is_number(value)) {
        *d = json_number_value(value);
        return true;
    }
    const char *s = json_string_value(value);
    if (s == NULL)
        return false;
    if (strcmp(s, "NaN") == 0)
        *d = NAN;
    else if (strcmp(s, "Infinity") == 0)
        *d = INFINITY;
    else if (strcmp(s, "-Infinity") == 0)
        *d = -INFINITY;
    else
        return false;
    return true;
}

static bool parse_int64(const char *s, long long *v) {
    if (*s == '\0')
        return false;
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

int nb__scalar_from_text(const json_t *shape, const char *text, size_t len, json_t **out, const char **why) {
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *out = NULL;
    nb__shape_kind_t kind = nb__shape_kind(shape);
    if (kind == NB_SHAPE_STRING || kind == NB_SHAPE_UNKNOWN) {
        *out = json_stringn(text, len);
        if (*out == NULL)
            *why = "invalid UTF-8";
        return *out ? 0 : NB_EINVAL;
    }
    if (kind == NB_SHAPE_BLOB) {
        size_t n = 0;
        unsigned char *data = nb__base64_decode(text, len, &n);
        if (data == NULL) {
            *why = "invalid base64";
            return NB_EINVAL;
        }
        *out = nb__value_blob(data, n);
        free(data);
        return 0;
    }
    /* Every other scalar is short: work on a NUL-terminated, trimmed copy. */
    char buf[128];
    while (len && (*text == ' ' || *text == '\t'))
        text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len >= sizeof buf || memchr(text, '\0', len)) {
        *why = "value too long";
        return NB_EINVAL;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    switch (kind) {
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: {
        long long v;
        if (!parse_int64(buf, &v)) {
            *why = "not an integer";
            return NB_EINVAL;
        }
        if (kind == NB_SHAPE_INTEGER) {
            const char *t = nb__shape_type(shape);
            long long lo = INT32_MIN, hi = INT32_MAX;
            if (strcmp(t, "short") == 0)
                lo = INT16_MIN, hi = INT16_MAX;
            else if (strcmp(t, "byte") == 0)
                lo = INT8_MIN, hi = INT8_MAX;
            if (v < lo || v > hi) {
                *why = "integer out of range";
                return NB_EINVAL;
            }
        }
        *out = json_integer(v);
        return 0;
    }
    case NB_SHAPE_FLOAT: {
        if (strcmp(buf, "NaN") == 0 || strcmp(buf, "Infinity") == 0 || strcmp(buf, "-Infinity") == 0) {
            *out = json_string(buf);
            return 0;
        }
        char *end;
        errno = 0;
        double d = strtod(buf, &end);
        /* strtod accepts "nan", "inf" and hex; the wire never uses them */
        if (*buf == '\0' || *end != '\0' || !isfinite(d) || strpbrk(buf, "xXnNiI")) {
            *why = "not a number";
            return NB_EINVAL;
        }
        *out = json_real(d);
        return 0;
    }
    case NB_SHAPE_BOOLEAN:
        if (strcmp(buf, "true") == 0)
            *out = json_true();
        else if (strcmp(buf, "false") == 0)
            *out = json_false();
        else {
            *why = "not a boolean";
            return NB_EINVAL;
        }
        return 0;
    case NB_SHAPE_TIMESTAMP: {
        double t;
        if (!nb__time_parse(buf, &t)) {
            *why = "not a timestamp";
            return NB_EINVAL;
        }
        *out = json_real(t);
        return 0;
    }
    default:
        *why = "not a scalar shape";
        return NB_EINVAL;
    }
}

static char *format_double(double d) {
    if (isnan(d))
        return strdup("NaN");
    if (isinf(d))
        return strdup(d > 0 ? "Infinity" : "-Infinity");
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return strdup(buf);
}

char *nb__scalar_to_text(const json_t *shape, const json_t *value, nb__time_format_t fmt) {
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRING:
    case NB_SHAPE_UNKNOWN:
        if (json_is_string(value))
            return strndup(json_string_value(value), json_string_length(value));
        return NULL;
    case NB_SHAPE_BLOB:
        if (json_is_string(value))
            return nb__base64_encode(json_string_value(value), json_string_length(value));
        return NULL;
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: {
        char *s = NULL;
        if (json_is_integer(value)) {
            if (asprintf(&s, "%lld", (long long)json_integer_value(value)) < 0)
                return NULL;
        } else if (json_is_real(value)) {
            if (asprintf(&s, "%lld", (long long)json_real_value(value)) < 0)
                return NULL;
        }
        return s;
    }
    case NB_SHAPE_FLOAT: {
        double d;
        return nb__value_double(value, &d) ? format_double(d) : NULL;
    }
    case NB_SHAPE_BOOLEAN:
        if (!json_is_boolean(value))
            return NULL;
        return strdup(json_is_true(value) ? "true" : "false");
    case NB_SHAPE_TIMESTAMP: {
        if (!json_is_number(value))
            return NULL;
        char buf[64];
        nb__time_format(json_number_value(value), fmt, buf, sizeof buf);
        return strdup(buf);
    }
    default:
        return NULL;
    }
}
