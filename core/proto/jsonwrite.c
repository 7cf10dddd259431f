/*
 * The wire JSON of a value, written straight into the answer's buffer while walking the shape
 * (nb__jsonval_dump). It prints what nb__jsonval_to_wire's tree would print through jansson
 * (compact, members in the shape's order, maps in their own order) without building that tree:
 * an answer is printed once, so the tree's allocations were all overhead. Strings of plain ASCII
 * and integers are written here; anything rarer (escapes, UTF-8 checks, reals) goes to jansson
 * so the bytes stay jansson's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "proto/jsonval.h"
#include "proto/shape.h"

#define MAX_DEPTH 256

static int dump_cb(const char *buffer, size_t size, void *data) {
    return nb__buf_append((nb__buf_t *)data, buffer, size) == 0 ? 0 : -1;
}

/* Any value as jansson prints it (also fails as jansson does: a string that is not UTF-8). */
static int put_jansson(const json_t *v, nb__buf_t *out) {
    return json_dump_callback(v, dump_cb, out, JSON_COMPACT | JSON_ENCODE_ANY) == 0 ? 0 : NB_ENOMEM;
}

/* Whether s needs no escape and no UTF-8 check: printable ASCII without '"' and '\\'. */
static bool plain_ascii(const char *s, size_t len) { return nb__json_plain_span(s, len) == len; }

static int put_quoted(const char *s, size_t len, nb__buf_t *out) {
    if (nb__buf_reserve(out, len + 2) != 0)
        return NB_ENOMEM;
    out->data[out->len++] = '"';
    memcpy(out->data + out->len, s, len);
    out->len += len;
    out->data[out->len++] = '"';
    out->data[out->len] = '\0';
    return 0;
}

static int put_string(const json_t *v, nb__buf_t *out) {
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    return plain_ascii(s, len) ? put_quoted(s, len, out) : put_jansson(v, out);
}

static int put_text(const char *k, nb__buf_t *out) {
    size_t len = strlen(k);
    if (plain_ascii(k, len))
        return put_quoted(k, len, out);
    json_t *s = json_stringn_nocheck(k, len);
    int rc = s ? put_jansson(s, out) : NB_ENOMEM;
    json_decref(s);
    return rc;
}

/* [","]"key": for a structure's member, in one step when its key is plain (every spec's is). */
static int put_member_key(const nb__member_t *m, bool first, nb__buf_t *out) {
    size_t len = m->json_key_len;
    if (!plain_ascii(m->json_key, len))
        return (!first && nb__buf_putc(out, ',') != 0) || put_text(m->json_key, out) != 0 ||
                       nb__buf_putc(out, ':') != 0
                   ? NB_ENOMEM
                   : 0;
    if (nb__buf_reserve(out, len + 4) != 0)
        return NB_ENOMEM;
    char *p = out->data + out->len;
    if (!first)
        *p++ = ',';
    *p++ = '"';
    memcpy(p, m->json_key, len);
    p += len;
    *p++ = '"';
    *p++ = ':';
    *p = '\0';
    out->len = (size_t)(p - out->data);
    return 0;
}

static int put_integer(json_int_t i, nb__buf_t *out) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, i);
    return nb__buf_append(out, buf, (size_t)n) == 0 ? 0 : NB_ENOMEM;
}

/* A value made for the wire (a real, a formatted time), printed, then dropped. */
static int put_new(json_t *v, nb__buf_t *out) {
    int rc = v ? put_jansson(v, out) : NB_ENOMEM;
    json_decref(v);
    return rc;
}

static int write_value(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *v,
                       bool body_only, int depth, nb__buf_t *out);

static int write_structure(const nb__spec_t *spec, const json_t *shape, const json_t *v, bool body_only, int depth,
                           nb__buf_t *out) {
    if (nb__buf_putc(out, '{') != 0)
        return NB_ENOMEM;
    if (json_is_object(v)) {
        bool first = true;
        nb__member_values_t mv;
        int rc = nb__member_values_init(&mv, spec, shape, v, false);
        for (size_t i = 0; i < mv.n && rc == 0; i++) {
            const nb__member_t *m = &mv.members[i];
            const json_t *x = nb__jsonval_wire_value(&mv, i, body_only);
            if (x == NULL)
                continue;
            rc = put_member_key(m, first, out);
            if (rc == 0)
                rc = write_value(spec, m->ref, m->shape, x, false, depth + 1, out);
            first = false;
        }
        nb__member_values_free(&mv);
        if (rc)
            return rc;
    }
    return nb__buf_putc(out, '}') == 0 ? 0 : NB_ENOMEM;
}

/* An array's elements, each of element shape eshape (NULL: any value). */
static int write_elements(const nb__spec_t *spec, const json_t *eref, const json_t *eshape, const json_t *v, int depth,
                          nb__buf_t *out) {
    if (nb__buf_putc(out, '[') != 0)
        return NB_ENOMEM;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (i > 0 && nb__buf_putc(out, ',') != 0)
            return NB_ENOMEM;
        int rc = json_is_null(e) ? nb__buf_puts(out, "null") : write_value(spec, eref, eshape, e, false, depth + 1, out);
        if (rc)
            return NB_ENOMEM;
    }
    return nb__buf_putc(out, ']') == 0 ? 0 : NB_ENOMEM;
}

static int write_list(const nb__spec_t *spec, const json_t *shape, const json_t *v, int depth, nb__buf_t *out) {
    const json_t *eref = json_object_get(shape, "member");
    return write_elements(spec, eref, nb__spec_ref_shape(spec, eref), v, depth, out);
}

/* An object's members in their own order, each value of shape vshape (NULL: any value). */
static int write_entries(const nb__spec_t *spec, const json_t *vref, const json_t *vshape, const json_t *v, int depth,
                         nb__buf_t *out) {
    if (nb__buf_putc(out, '{') != 0)
        return NB_ENOMEM;
    bool first = true;
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e) {
        if ((!first && nb__buf_putc(out, ',') != 0) || put_text(k, out) != 0 || nb__buf_putc(out, ':') != 0)
            return NB_ENOMEM;
        first = false;
        int rc = json_is_null(e) ? nb__buf_puts(out, "null") : write_value(spec, vref, vshape, e, false, depth + 1, out);
        if (rc)
            return NB_ENOMEM;
    }
    return nb__buf_putc(out, '}') == 0 ? 0 : NB_ENOMEM;
}

static int write_map(const nb__spec_t *spec, const json_t *shape, const json_t *v, int depth, nb__buf_t *out) {
    const json_t *vref = json_object_get(shape, "value");
    return write_entries(spec, vref, nb__spec_ref_shape(spec, vref), v, depth, out);
}

static int write_timestamp(const json_t *ref, const json_t *shape, const json_t *v, nb__buf_t *out) {
    if (!json_is_number(v))
        return put_jansson(v, out);
    double t = json_number_value(v);
    nb__time_format_t fmt = nb__timestamp_format(ref, shape, NB_TIME_EPOCH);
    if (fmt == NB_TIME_EPOCH) {
        if (t == floor(t) && fabs(t) < 9e15)
            return put_integer((json_int_t)t, out);
        return put_new(json_real(round(t * 1000) / 1000), out);
    }
    char buf[64];
    nb__time_format(t, fmt, buf, sizeof buf);
    return put_text(buf, out);
}

/* A value of no shape (a stored document) as jansson prints it: objects in their own order,
 * arrays, plain strings and integers written here, the rest by jansson. */
static int write_any(const json_t *v, int depth, nb__buf_t *out) {
    if (depth > MAX_DEPTH)
        return put_jansson(v, out);
    if (json_is_object(v))
        return write_entries(NULL, NULL, NULL, v, depth, out);
    if (json_is_array(v))
        return write_elements(NULL, NULL, NULL, v, depth, out);
    if (json_is_string(v))
        return put_string(v, out);
    if (json_is_integer(v))
        return put_integer(json_integer_value(v), out);
    return put_jansson(v, out);
}

static int write_value(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *v,
                       bool body_only, int depth, nb__buf_t *out) {
    if (shape == NULL)
        return write_any(v, depth, out);
    if (depth > MAX_DEPTH)
        return put_jansson(v, out);
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE:
        return write_structure(spec, shape, v, body_only, depth, out);
    case NB_SHAPE_LIST:
        return write_list(spec, shape, v, depth, out);
    case NB_SHAPE_MAP:
        return write_map(spec, shape, v, depth, out);
    case NB_SHAPE_BLOB: {
        if (!json_is_string(v))
            return put_jansson(v, out);
        char *b64 = nb__base64_encode(json_string_value(v), json_string_length(v));
        int rc = b64 ? put_quoted(b64, strlen(b64), out) : NB_ENOMEM; /* base64 is plain ASCII */
        free(b64);
        return rc;
    }
    case NB_SHAPE_TIMESTAMP:
        return write_timestamp(ref, shape, v, out);
    case NB_SHAPE_FLOAT: {
        double d;
        return nb__value_double(v, &d) ? put_new(nb__value_from_double(d), out) : put_jansson(v, out);
    }
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG:
        if (json_is_real(v))
            return put_integer((json_int_t)json_real_value(v), out);
        return json_is_integer(v) ? put_integer(json_integer_value(v), out) : put_jansson(v, out);
    case NB_SHAPE_STRING:
    case NB_SHAPE_BOOLEAN:
        if (json_is_string(v))
            return put_string(v, out);
        if (json_is_boolean(v))
            return nb__buf_puts(out, json_is_true(v) ? "true" : "false") == 0 ? 0 : NB_ENOMEM;
        return put_jansson(v, out);
    default:
        return put_jansson(v, out);
    }
}

int nb__jsonval_dump(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *value,
                     bool body_only, nb__buf_t *out) {
    return write_value(spec, ref, shape, value, body_only, 0, out);
}
