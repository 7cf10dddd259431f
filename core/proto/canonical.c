#include "proto/canonical.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/shape.h"
#include "util/codec.h"

static json_t *from_value(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *v,
                          int depth) {
    if (v == NULL)
        return NULL;
    /* jsonvalue members and documents hold arbitrary JSON */
    if (shape == NULL || depth > 256 || nb__trait_bool(ref, shape, "jsonvalue"))
        return json_deep_copy(v);
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE: {
        if (json_is_array(v) && json_is_true(json_object_get(shape, "eventstream"))) {
            /* an event stream's value: a list of {"EventName": {...}} */
            json_t *out = json_array();
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) json_array_append_new(out, from_value(spec, NULL, shape, e, depth + 1));
            return out;
        }
        if (!json_is_object(v))
            return json_deep_copy(v);
        json_t *out = json_object();
        const char *key;
        json_t *mv;
        json_object_foreach((json_t *)v, key, mv) {
            nb__member_t m;
            json_t *c = nb__member_get(spec, shape, key, &m) ? from_value(spec, m.ref, m.shape, mv, depth + 1)
                                                              : json_deep_copy(mv);
            json_object_set_new(out, key, c);
        }
        return out;
    }
    case NB_SHAPE_LIST: {
        if (!json_is_array(v))
            return json_deep_copy(v);
        const json_t *mref = json_object_get(shape, "member");
        const json_t *mshape = nb__spec_ref_shape(spec, mref);
        json_t *out = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) json_array_append_new(out, from_value(spec, mref, mshape, e, depth + 1));
        return out;
    }
    case NB_SHAPE_MAP: {
        if (!json_is_object(v))
            return json_deep_copy(v);
        const json_t *vref = json_object_get(shape, "value");
        const json_t *vshape = nb__spec_ref_shape(spec, vref);
        json_t *out = json_object();
        const char *key;
        json_t *mv;
        json_object_foreach((json_t *)v, key, mv)
            json_object_set_new(out, key, from_value(spec, vref, vshape, mv, depth + 1));
        return out;
    }
    case NB_SHAPE_BLOB: {
        if (!json_is_string(v))
            return json_deep_copy(v);
        char *b64 = nb__base64_encode(json_string_value(v), json_string_length(v));
        json_t *out = json_string(b64 ? b64 : "");
        free(b64);
        return out;
    }
    case NB_SHAPE_TIMESTAMP:
        if (json_is_real(v)) {
            double d = json_real_value(v);
            if (d == floor(d) && fabs(d) < 9e15)
                return json_integer((json_int_t)d);
        }
        return json_deep_copy(v);
    default:
        return json_deep_copy(v);
    }
}

json_t *nb__canonical_from_value(const nb__spec_t *spec, const json_t *shape, const json_t *value) {
    return from_value(spec, NULL, shape, value, 0);
}

static json_t *fail(char **err, const char *path, const char *why) {
    if (err && *err == NULL && asprintf(err, "%s: %s", *path ? path : "(top)", why) < 0)
        *err = NULL;
    return NULL;
}

static json_t *to_value(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *v,
                        char *path, size_t plen, int depth, char **err) {
    if (shape == NULL || nb__trait_bool(ref, shape, "jsonvalue"))
        return json_deep_copy(v);
    if (depth > 256)
        return fail(err, path, "nested too deeply");
    size_t base = strlen(path);
    json_t *out = NULL;
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE: {
        if (json_is_array(v) && json_is_true(json_object_get(shape, "eventstream"))) {
            out = json_array();
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                snprintf(path + base, plen - base, "[%zu]", i);
                json_t *c = to_value(spec, NULL, shape, e, path, plen, depth + 1, err);
                path[base] = '\0';
                if (c == NULL) {
                    json_decref(out);
                    return NULL;
                }
                json_array_append_new(out, c);
            }
            return out;
        }
        if (!json_is_object(v))
            return fail(err, path, "expected an object");
        out = json_object();
        const char *key;
        json_t *mv;
        json_object_foreach((json_t *)v, key, mv) {
            nb__member_t m;
            if (json_is_null(mv))
                continue;
            snprintf(path + base, plen - base, "%s%s", base ? "." : "", key);
            json_t *c = nb__member_get(spec, shape, key, &m)
                            ? to_value(spec, m.ref, m.shape, mv, path, plen, depth + 1, err)
                            : json_deep_copy(mv);
            path[base] = '\0';
            if (c == NULL) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, key, c);
        }
        return out;
    }
    case NB_SHAPE_LIST: {
        if (!json_is_array(v))
            return fail(err, path, "expected an array");
        const json_t *mref = json_object_get(shape, "member");
        const json_t *mshape = nb__spec_ref_shape(spec, mref);
        out = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            snprintf(path + base, plen - base, "[%zu]", i);
            /* sparse lists keep their nulls */
            json_t *c = json_is_null(e) ? json_null() : to_value(spec, mref, mshape, e, path, plen, depth + 1, err);
            path[base] = '\0';
            if (c == NULL) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, c);
        }
        return out;
    }
    case NB_SHAPE_MAP: {
        if (!json_is_object(v))
            return fail(err, path, "expected an object");
        const json_t *vref = json_object_get(shape, "value");
        const json_t *vshape = nb__spec_ref_shape(spec, vref);
        out = json_object();
        const char *key;
        json_t *mv;
        json_object_foreach((json_t *)v, key, mv) {
            snprintf(path + base, plen - base, "%s%s", base ? "." : "", key);
            json_t *c = json_is_null(mv) ? json_null() : to_value(spec, vref, vshape, mv, path, plen, depth + 1, err);
            path[base] = '\0';
            if (c == NULL) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, key, c);
        }
        return out;
    }
    case NB_SHAPE_BLOB: {
        if (!json_is_string(v))
            return fail(err, path, "expected a base64 string");
        size_t n = 0;
        unsigned char *data = nb__base64_decode(json_string_value(v), json_string_length(v), &n);
        if (data == NULL)
            return fail(err, path, "invalid base64");
        out = json_stringn_nocheck(n ? (const char *)data : "", n);
        free(data);
        return out;
    }
    case NB_SHAPE_TIMESTAMP: {
        double t;
        if (json_is_number(v))
            return json_real(json_number_value(v));
        if (json_is_string(v) && nb__time_parse(json_string_value(v), &t))
            return json_real(t);
        return fail(err, path, "expected epoch seconds");
    }
    case NB_SHAPE_FLOAT: {
        double d;
        if (!nb__value_double(v, &d))
            return fail(err, path, "expected a number");
        return json_is_string(v) ? json_deep_copy(v) : json_real(d);
    }
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG:
        if (json_is_integer(v))
            return json_deep_copy(v);
        if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)))
            return json_integer((json_int_t)json_real_value(v));
        return fail(err, path, "expected an integer");
    case NB_SHAPE_BOOLEAN:
        if (!json_is_boolean(v))
            return fail(err, path, "expected a boolean");
        return json_deep_copy(v);
    case NB_SHAPE_STRING:
        if (!json_is_string(v))
            return fail(err, path, "expected a string");
        return json_deep_copy(v);
    default:
        return json_deep_copy(v);
    }
}

json_t *nb__canonical_to_value(const nb__spec_t *spec, const json_t *shape, const json_t *canon, char **err) {
    char path[512] = "";
    if (err)
        *err = NULL;
    if (canon == NULL)
        return NULL;
    return to_value(spec, NULL, shape, canon, path, sizeof path, 0, err);
}
