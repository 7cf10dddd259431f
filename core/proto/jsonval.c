#include "proto/jsonval.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "proto/proto.h"
#include "proto/shape.h"

#define MAX_DEPTH 256

/* Where the walk is ("a.b[2].c"), kept as segments and printed only for an error. */
typedef struct path_seg {
    const char *key; /* NULL: an index */
    size_t idx;
} path_seg_t;

typedef struct walk {
    const nb__spec_t *spec;
    path_seg_t path[MAX_DEPTH + 2];
    size_t depth;
    char *why;
} walk_t;

static int fail(walk_t *w, const char *what) {
    if (w->why != NULL)
        return NB_EPROTO;
    char path[512] = "";
    size_t n = 0;
    size_t depth = w->depth < sizeof w->path / sizeof w->path[0] ? w->depth : sizeof w->path / sizeof w->path[0];
    for (size_t i = 0; i < depth && n < sizeof path; i++) {
        int r = w->path[i].key ? snprintf(path + n, sizeof path - n, "%s%s", n ? "." : "", w->path[i].key)
                               : snprintf(path + n, sizeof path - n, "[%zu]", w->path[i].idx);
        if (r < 0)
            break;
        n += (size_t)r;
    }
    if (asprintf(&w->why, "%s at '%s'", what, path[0] ? path : "$") < 0)
        w->why = NULL;
    return NB_EPROTO;
}

/* Enters a member (key) or a list element (key NULL, idx); path_pop leaves it. */
static void path_push(walk_t *w, const char *key, size_t idx) {
    if (w->depth < sizeof w->path / sizeof w->path[0])
        w->path[w->depth] = (path_seg_t){key, idx};
    w->depth++;
}

static void path_pop(walk_t *w) { w->depth--; }

static int from_wire(walk_t *w, const json_t *ref, const json_t *shape, const json_t *v, bool body_only,
                     int depth, json_t **out);

const char *nb__jsonval_member_key(const nb__spec_t *spec, const nb__member_t *m) {
    (void)spec; /* resolved with the member (shape.c: fill_member) */
    return m->json_key;
}

const json_t *nb__jsonval_wire_value(const nb__member_values_t *mv, size_t i, bool body_only) {
    const json_t *v = mv->vals[i];
    if (v == NULL || json_is_null(v) || (body_only && (mv->members[i].traits & NB_MEMBER_REF_LOCATION)))
        return NULL;
    return v;
}

static int member_from_wire(walk_t *w, const nb__member_t *m, const json_t *mv, int depth, json_t *obj) {
    if (json_is_null(mv))
        return 0;
    path_push(w, m->name, 0);
    json_t *c = NULL;
    int rc = from_wire(w, m->ref, m->shape, mv, false, depth + 1, &c);
    path_pop(w);
    if (rc == 0)
        json_object_set_new(obj, m->name, c);
    return rc;
}

/* Whether each of v's keys is one member's, sent under the member's own name: then the value
 * is converted in place, as lists and maps are (the parsed document is ours alone). */
static bool keys_are_member_names(const nb__member_values_t *mv, const json_t *v) {
    size_t matched = 0;
    for (size_t i = 0; i < mv->n; i++) {
        const nb__member_t *m = &mv->members[i];
        if (mv->vals[i] == NULL)
            continue;
        if (m->json_key_len != m->name_len || memcmp(m->json_key, m->name, m->name_len) != 0)
            return false;
        matched++;
    }
    return matched == json_object_size(v); /* no key left over, none taken by two members */
}

/* Converts obj's members in place, in spec order (the first bad one is the one reported, as
 * when a new object is built); null members go, as a new object would not have them. */
static int struct_in_place(walk_t *w, const nb__member_values_t *mv, json_t *obj, int depth) {
    for (size_t i = 0; i < mv->n; i++) {
        const nb__member_t *m = &mv->members[i];
        json_t *x = (json_t *)mv->vals[i];
        if (x == NULL)
            continue;
        if (json_is_null(x)) {
            json_object_del(obj, m->name);
            continue;
        }
        path_push(w, m->name, 0);
        json_t *c = NULL;
        int rc = from_wire(w, m->ref, m->shape, x, false, depth + 1, &c);
        path_pop(w);
        if (rc)
            return rc;
        if (c == x)
            json_decref(c); /* the value as it was sent (a string, an integer): nothing to replace */
        else if (json_object_set_new(obj, m->name, c) != 0)
            return NB_ENOMEM;
    }
    return 0;
}

static int struct_from_wire(walk_t *w, const json_t *shape, const json_t *v, bool body_only, int depth,
                            json_t **out) {
    if (!json_is_object(v))
        return fail(w, "Expected an object");
    nb__member_values_t mv;
    if (nb__member_values_init(&mv, w->spec, shape, v, true) != 0)
        return NB_ENOMEM;
    int rc;
    json_t *obj;
    if (!body_only && keys_are_member_names(&mv, v)) {
        obj = json_incref((json_t *)v);
        rc = struct_in_place(w, &mv, obj, depth);
    } else {
        obj = json_object();
        rc = obj ? 0 : NB_ENOMEM;
        for (size_t i = 0; i < mv.n && rc == 0; i++) {
            if (mv.vals[i] == NULL || (body_only && (mv.members[i].traits & NB_MEMBER_REF_LOCATION)))
                continue;
            rc = member_from_wire(w, &mv.members[i], mv.vals[i], depth, obj);
        }
    }
    nb__member_values_free(&mv);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

static int from_wire(walk_t *w, const json_t *ref, const json_t *shape, const json_t *v, bool body_only,
                     int depth, json_t **out) {
    *out = NULL;
    if (depth > MAX_DEPTH)
        return fail(w, "Nested too deeply");
    if (shape == NULL) {
        *out = json_deep_copy(v);
        return 0;
    }
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE:
        return struct_from_wire(w, shape, v, body_only, depth, out);
    case NB_SHAPE_DOCUMENT:
        *out = json_deep_copy(v);
        return 0;
    /* Lists and maps are converted in place, each element replaced by its value as it is
     * done: the parsed document is ours alone, and what it held is freed at once, so a
     * body of many small elements costs the document, not the document twice. */
    case NB_SHAPE_LIST: {
        if (!json_is_array(v))
            return fail(w, "Expected a list");
        const json_t *eref = json_object_get(shape, "member");
        const json_t *eshape = nb__spec_ref_shape(w->spec, eref);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (json_is_null(e)) /* sparse lists keep their nulls */
                continue;
            path_push(w, NULL, i);
            json_t *c;
            int rc = from_wire(w, eref, eshape, e, false, depth + 1, &c);
            path_pop(w);
            if (rc)
                return rc;
            json_array_set_new((json_t *)v, i, c);
        }
        *out = json_incref((json_t *)v);
        return 0;
    }
    case NB_SHAPE_MAP: {
        if (!json_is_object(v))
            return fail(w, "Expected a map");
        const json_t *vref = json_object_get(shape, "value");
        const json_t *vshape = nb__spec_ref_shape(w->spec, vref);
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) {
            if (json_is_null(e))
                continue;
            path_push(w, k, 0);
            json_t *c;
            int rc = from_wire(w, vref, vshape, e, false, depth + 1, &c);
            path_pop(w);
            if (rc)
                return rc;
            json_object_set_new((json_t *)v, k, c); /* same key: replaced where it is, no rehash */
        }
        *out = json_incref((json_t *)v);
        return 0;
    }
    case NB_SHAPE_STRING:
    case NB_SHAPE_UNKNOWN:
        if (!json_is_string(v))
            return fail(w, "Expected a string");
        *out = json_incref((json_t *)v); /* the parsed document's own string: shared, not copied */
        return 0;
    case NB_SHAPE_BOOLEAN:
        if (!json_is_boolean(v))
            return fail(w, "Expected a boolean");
        *out = json_incref((json_t *)v);
        return 0;
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: {
        json_int_t i;
        if (json_is_integer(v))
            i = json_integer_value(v);
        else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
                 fabs(json_real_value(v)) < 9.2e18)
            i = (json_int_t)json_real_value(v);
        else
            return fail(w, "Expected an integer");
        if (nb__shape_kind(shape) == NB_SHAPE_INTEGER) {
            const char *t = nb__shape_type(shape);
            json_int_t lo = INT32_MIN, hi = INT32_MAX;
            if (strcmp(t, "short") == 0)
                lo = INT16_MIN, hi = INT16_MAX;
            else if (strcmp(t, "byte") == 0)
                lo = INT8_MIN, hi = INT8_MAX;
            if (i < lo || i > hi)
                return fail(w, "Integer out of range");
        }
        *out = json_is_integer(v) ? json_incref((json_t *)v) : json_integer(i);
        return 0;
    }
    case NB_SHAPE_FLOAT: {
        double d;
        if (!nb__value_double(v, &d))
            return fail(w, "Expected a number");
        *out = json_is_string(v) ? json_deep_copy(v) : json_real(d);
        return 0;
    }
    case NB_SHAPE_TIMESTAMP: {
        double t;
        if (json_is_number(v))
            t = json_number_value(v);
        else if (!json_is_string(v) || !nb__time_parse(json_string_value(v), &t))
            return fail(w, "Expected a timestamp");
        *out = json_real(t);
        return 0;
    }
    case NB_SHAPE_BLOB: {
        if (!json_is_string(v))
            return fail(w, "Expected a base64 string");
        size_t n = 0;
        unsigned char *data = nb__base64_decode(json_string_value(v), json_string_length(v), &n);
        if (data == NULL)
            return fail(w, "Invalid base64");
        *out = nb__value_blob(data, n);
        free(data);
        return 0;
    }
    }
    (void)ref;
    *out = json_deep_copy(v);
    return 0;
}

int nb__jsonval_parse(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const char *text, size_t len,
                      bool body_only, json_t **out, char **why) {
    *out = NULL;
    *why = NULL;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (i == len) {
        *out = nb__shape_kind(shape) == NB_SHAPE_STRUCTURE || shape == NULL ? json_object() : NULL;
        return 0;
    }
    json_error_t jerr;
    json_t *doc = nb__json_read_fast(text, len);
    if (doc == NULL) /* not a document the fast reader takes: jansson decides, and words the error */
        doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (doc == NULL) {
        if (asprintf(why, "%s (line %d, column %d)", jerr.text, jerr.line, jerr.column) < 0)
            *why = NULL;
        return NB_EPROTO;
    }
    walk_t w = {.spec = spec};
    int rc = from_wire(&w, ref, shape, doc, body_only, 0, out);
    json_decref(doc);
    if (rc)
        *why = w.why ? w.why : strdup("Invalid value");
    else
        free(w.why);
    return rc;
}

static json_t *to_wire(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *v,
                       bool body_only, int depth) {
    if (shape == NULL || depth > MAX_DEPTH)
        return json_deep_copy(v);
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE: {
        json_t *obj = json_object();
        if (!json_is_object(v))
            return obj;
        nb__member_values_t mv;
        nb__member_values_init(&mv, spec, shape, v, false); /* out of memory: no members */
        for (size_t i = 0; i < mv.n; i++) {
            const nb__member_t *m = &mv.members[i];
            const json_t *x = nb__jsonval_wire_value(&mv, i, body_only);
            if (x)
                json_object_set_new(obj, m->json_key, to_wire(spec, m->ref, m->shape, x, false, depth + 1));
        }
        nb__member_values_free(&mv);
        return obj;
    }
    case NB_SHAPE_LIST: {
        json_t *arr = json_array();
        const json_t *eref = json_object_get(shape, "member");
        const json_t *eshape = nb__spec_ref_shape(spec, eref);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) json_array_append_new(
            arr, json_is_null(e) ? json_null() : to_wire(spec, eref, eshape, e, false, depth + 1));
        return arr;
    }
    case NB_SHAPE_MAP: {
        json_t *obj = json_object();
        const json_t *vref = json_object_get(shape, "value");
        const json_t *vshape = nb__spec_ref_shape(spec, vref);
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) json_object_set_new(
            obj, k, json_is_null(e) ? json_null() : to_wire(spec, vref, vshape, e, false, depth + 1));
        return obj;
    }
    case NB_SHAPE_BLOB: {
        if (!json_is_string(v))
            return json_deep_copy(v);
        char *b64 = nb__base64_encode(json_string_value(v), json_string_length(v));
        json_t *s = json_string(b64 ? b64 : "");
        free(b64);
        return s;
    }
    case NB_SHAPE_TIMESTAMP: {
        if (!json_is_number(v))
            return json_deep_copy(v);
        double t = json_number_value(v);
        nb__time_format_t fmt = nb__timestamp_format(ref, shape, NB_TIME_EPOCH);
        if (fmt == NB_TIME_EPOCH) {
            if (t == floor(t) && fabs(t) < 9e15)
                return json_integer((json_int_t)t);
            return json_real(round(t * 1000) / 1000);
        }
        char buf[64];
        nb__time_format(t, fmt, buf, sizeof buf);
        return json_string(buf);
    }
    case NB_SHAPE_FLOAT: {
        double d;
        if (!nb__value_double(v, &d))
            return json_deep_copy(v);
        return nb__value_from_double(d);
    }
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG:
        if (json_is_real(v))
            return json_integer((json_int_t)json_real_value(v));
        return json_incref((json_t *)v);
    case NB_SHAPE_STRING:
    case NB_SHAPE_BOOLEAN:
        /* scalars go on the wire as they are: shared with the value (the wire tree is
         * only read, then freed), not copied */
        return json_is_string(v) || json_is_boolean(v) ? json_incref((json_t *)v) : json_deep_copy(v);
    default:
        return json_deep_copy(v);
    }
}

json_t *nb__jsonval_to_wire(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *value,
                            bool body_only) {
    return to_wire(spec, ref, shape, value, body_only, 0);
}

void nb__json_error_describe(const nb__spec_t *spec, const nb__aws_error_t *err, nb__json_error_t *out) {
    out->shape = NULL;
    out->type = err->code ? err->code : "InternalFailure";
    out->query_code = NULL;
    out->message_key = "message";
    if (spec == NULL || err->code == NULL)
        return;
    const char *name = NULL;
    out->shape = nb__spec_error_shape(spec, NULL, err->code, &name);
    if (out->shape && name)
        out->type = name;
    if (out->shape == NULL)
        return;
    out->query_code = json_string_value(json_object_get(json_object_get(out->shape, "error"), "code"));
    const json_t *members = json_object_get(out->shape, "members");
    if (json_object_get(members, "Message") && !json_object_get(members, "message"))
        out->message_key = "Message";
}

int nb__json_error_body(json_t *members, const char *type, const nb__json_error_t *je, const char *message,
                        nb__buf_t *out) {
    json_t *body = members;
    if (!json_is_object(body)) {
        json_decref(body);
        body = json_object();
    }
    if (type)
        json_object_set_new(body, "__type", json_string(type));
    if (message)
        json_object_set_new(body, je->message_key, json_string(message));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return NB_ENOMEM;
    nb__buf_puts(out, text);
    free(text);
    return 0;
}
