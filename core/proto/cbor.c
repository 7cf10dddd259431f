/*
 * smithy-rpc-v2-cbor: requests are POST /service/<Service>/operation/<Op> with a
 * CBOR map as body (empty body = empty input); responses are CBOR maps, errors
 * carry "__type" (a shape id) and the message.
 *
 * Decoding drives libcbor's streaming decoder one data item head at a time and
 * builds the value the shape asks for directly: no intermediate tree, nesting
 * depth bounded, every malformed input an error rather than a crash. Encoding
 * writes item heads with libcbor's encoders and always uses definite lengths.
 */
#include <cbor.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/proto_impl.h"
#include "proto/shape.h"

/* Deeper than any AWS shape nests; keeps recursion on hostile input bounded. */
#define CBOR_MAX_DEPTH 100
/* A request body above this is refused rather than read into memory. */
#define CBOR_MAX_BODY (64u << 20)

/* ---------------------------------------------------------------- decoding */

typedef enum {
    TOK_NONE, /* no callback fired: an unassigned simple value */
    TOK_UINT,
    TOK_NEGINT, /* value is -1 - u */
    TOK_BYTES,
    TOK_BYTES_INDEF,
    TOK_TEXT,
    TOK_TEXT_INDEF,
    TOK_ARRAY,
    TOK_ARRAY_INDEF,
    TOK_MAP,
    TOK_MAP_INDEF,
    TOK_TAG,
    TOK_FLOAT,
    TOK_BOOL,
    TOK_NULL, /* null and undefined */
    TOK_BREAK,
} tok_kind_t;

typedef struct {
    tok_kind_t kind;
    uint64_t u;              /* integer, tag, collection length */
    double d;                /* float */
    bool b;                  /* boolean */
    const unsigned char *s;  /* definite string bytes (point into the body) */
    size_t len;              /* definite string length */
} tok_t;

typedef struct {
    const unsigned char *start, *p, *end;
    char msg[160]; /* first error, for the SerializationException message */
    bool failed;
} dec_t;

static void dec_fail(dec_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dec_fail(dec_t *d, const char *fmt, ...) {
    if (d->failed)
        return;
    d->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

#define TOK(ctx) ((tok_t *)(ctx))
static void cb_u8(void *c, uint8_t v) { TOK(c)->kind = TOK_UINT, TOK(c)->u = v; }
static void cb_u16(void *c, uint16_t v) { TOK(c)->kind = TOK_UINT, TOK(c)->u = v; }
static void cb_u32(void *c, uint32_t v) { TOK(c)->kind = TOK_UINT, TOK(c)->u = v; }
static void cb_u64(void *c, uint64_t v) { TOK(c)->kind = TOK_UINT, TOK(c)->u = v; }
static void cb_n8(void *c, uint8_t v) { TOK(c)->kind = TOK_NEGINT, TOK(c)->u = v; }
static void cb_n16(void *c, uint16_t v) { TOK(c)->kind = TOK_NEGINT, TOK(c)->u = v; }
static void cb_n32(void *c, uint32_t v) { TOK(c)->kind = TOK_NEGINT, TOK(c)->u = v; }
static void cb_n64(void *c, uint64_t v) { TOK(c)->kind = TOK_NEGINT, TOK(c)->u = v; }
static void cb_bytes(void *c, cbor_data s, size_t n) { TOK(c)->kind = TOK_BYTES, TOK(c)->s = s, TOK(c)->len = n; }
static void cb_bytes_indef(void *c) { TOK(c)->kind = TOK_BYTES_INDEF; }
static void cb_text(void *c, cbor_data s, size_t n) { TOK(c)->kind = TOK_TEXT, TOK(c)->s = s, TOK(c)->len = n; }
static void cb_text_indef(void *c) { TOK(c)->kind = TOK_TEXT_INDEF; }
static void cb_array(void *c, size_t n) { TOK(c)->kind = TOK_ARRAY, TOK(c)->u = n; }
static void cb_array_indef(void *c) { TOK(c)->kind = TOK_ARRAY_INDEF; }
static void cb_map(void *c, size_t n) { TOK(c)->kind = TOK_MAP, TOK(c)->u = n; }
static void cb_map_indef(void *c) { TOK(c)->kind = TOK_MAP_INDEF; }
static void cb_tag(void *c, uint64_t v) { TOK(c)->kind = TOK_TAG, TOK(c)->u = v; }
static void cb_float(void *c, float v) { TOK(c)->kind = TOK_FLOAT, TOK(c)->d = v; }
static void cb_double(void *c, double v) { TOK(c)->kind = TOK_FLOAT, TOK(c)->d = v; }
static void cb_null(void *c) { TOK(c)->kind = TOK_NULL; }
static void cb_bool(void *c, bool v) { TOK(c)->kind = TOK_BOOL, TOK(c)->b = v; }
static void cb_break(void *c) { TOK(c)->kind = TOK_BREAK; }

/* libcbor's field comments are swapped for strings; the names are right. */
static const struct cbor_callbacks callbacks = {
    .uint8 = cb_u8, .uint16 = cb_u16, .uint32 = cb_u32, .uint64 = cb_u64,
    .negint8 = cb_n8, .negint16 = cb_n16, .negint32 = cb_n32, .negint64 = cb_n64,
    .byte_string = cb_bytes, .byte_string_start = cb_bytes_indef,
    .string = cb_text, .string_start = cb_text_indef,
    .array_start = cb_array, .indef_array_start = cb_array_indef,
    .map_start = cb_map, .indef_map_start = cb_map_indef,
    .tag = cb_tag,
    .float2 = cb_float, .float4 = cb_float, .float8 = cb_double,
    .undefined = cb_null, .null = cb_null, .boolean = cb_bool,
    .indef_break = cb_break,
};

static bool next(dec_t *d, tok_t *t) {
    if (d->failed)
        return false;
    if (d->p >= d->end) {
        dec_fail(d, "unexpected end of CBOR data");
        return false;
    }
    t->kind = TOK_NONE;
    struct cbor_decoder_result r = cbor_stream_decode(d->p, (size_t)(d->end - d->p), &callbacks, t);
    if (r.status == CBOR_DECODER_NEDATA) {
        dec_fail(d, "unexpected end of CBOR data");
        return false;
    }
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || t->kind == TOK_NONE) {
        dec_fail(d, "invalid CBOR data item at offset %zu", (size_t)(d->p - d->start));
        return false;
    }
    d->p += r.read;
    return true;
}

static const char *kind_name(tok_kind_t k) {
    switch (k) {
    case TOK_UINT:
    case TOK_NEGINT: return "integer";
    case TOK_BYTES:
    case TOK_BYTES_INDEF: return "byte string";
    case TOK_TEXT:
    case TOK_TEXT_INDEF: return "text string";
    case TOK_ARRAY:
    case TOK_ARRAY_INDEF: return "array";
    case TOK_MAP:
    case TOK_MAP_INDEF: return "map";
    case TOK_TAG: return "tag";
    case TOK_FLOAT: return "float";
    case TOK_BOOL: return "boolean";
    case TOK_NULL: return "null";
    case TOK_BREAK: return "break";
    case TOK_NONE: break;
    }
    return "?";
}

/* The bytes of a (text or byte) string whose head is t: a definite string points
 * into the body, an indefinite one is its chunks joined into *tmp. */
static bool read_string(dec_t *d, const tok_t *t, nb__buf_t *tmp, const unsigned char **s, size_t *len) {
    if (t->kind == TOK_TEXT || t->kind == TOK_BYTES) {
        *s = t->s;
        *len = t->len;
        return true;
    }
    tok_kind_t chunk_kind = t->kind == TOK_TEXT_INDEF ? TOK_TEXT : TOK_BYTES;
    nb__buf_reset(tmp);
    for (;;) {
        tok_t c;
        if (!next(d, &c))
            return false;
        if (c.kind == TOK_BREAK)
            break;
        if (c.kind != chunk_kind) {
            dec_fail(d, "indefinite-length %s holds a %s chunk", kind_name(t->kind), kind_name(c.kind));
            return false;
        }
        if (nb__buf_append(tmp, c.s, c.len) < 0) {
            dec_fail(d, "out of memory");
            return false;
        }
    }
    *s = (const unsigned char *)(tmp->data ? tmp->data : "");
    *len = tmp->len;
    return true;
}

static bool skip_value(dec_t *d, int depth);

/* Skips the rest of an item whose head t was read. */
static bool skip_after(dec_t *d, const tok_t *t, int depth) {
    if (depth > CBOR_MAX_DEPTH) {
        dec_fail(d, "CBOR nesting deeper than %d", CBOR_MAX_DEPTH);
        return false;
    }
    switch (t->kind) {
    case TOK_TEXT_INDEF:
    case TOK_BYTES_INDEF: {
        nb__buf_t tmp = NB__BUF_INIT;
        const unsigned char *s;
        size_t len;
        bool ok = read_string(d, t, &tmp, &s, &len);
        nb__buf_free(&tmp);
        return ok;
    }
    case TOK_ARRAY:
    case TOK_MAP: {
        uint64_t n = t->u;
        if (t->kind == TOK_MAP && n > UINT64_MAX / 2)
            return dec_fail(d, "CBOR map too long"), false;
        if (t->kind == TOK_MAP)
            n *= 2;
        for (uint64_t i = 0; i < n; i++)
            if (!skip_value(d, depth + 1))
                return false;
        return true;
    }
    case TOK_ARRAY_INDEF:
    case TOK_MAP_INDEF: {
        for (uint64_t i = 0;; i++) {
            tok_t c;
            if (!next(d, &c))
                return false;
            if (c.kind == TOK_BREAK) {
                if (t->kind == TOK_MAP_INDEF && i % 2)
                    return dec_fail(d, "CBOR map key without a value"), false;
                return true;
            }
            if (!skip_after(d, &c, depth + 1))
                return false;
        }
    }
    case TOK_TAG: return skip_value(d, depth + 1);
    case TOK_BREAK: return dec_fail(d, "unexpected CBOR break"), false;
    default: return true;
    }
}

static bool skip_value(dec_t *d, int depth) {
    tok_t t;
    return next(d, &t) && skip_after(d, &t, depth);
}

/* Iterates the entries of an array or map whose head t was read: more() returns
 * true while there is one more element (for a map, one more key) to read. */
typedef struct {
    bool indef;
    uint64_t left;
    tok_t head; /* the next element's head, already read for indefinite lengths */
    bool have_head;
} coll_t;

static void coll_init(coll_t *c, const tok_t *t) {
    c->indef = t->kind == TOK_ARRAY_INDEF || t->kind == TOK_MAP_INDEF;
    c->left = t->u;
    c->have_head = false;
}

static bool coll_more(dec_t *d, coll_t *c) {
    if (d->failed)
        return false;
    if (!c->indef) {
        if (c->left == 0)
            return false;
        c->left--;
        return true;
    }
    if (!next(d, &c->head))
        return false;
    if (c->head.kind == TOK_BREAK)
        return false;
    c->have_head = true;
    return true;
}

/* The head of the current element. */
static bool coll_head(dec_t *d, coll_t *c, tok_t *t) {
    if (c->have_head) {
        *t = c->head;
        c->have_head = false;
        return true;
    }
    return next(d, t);
}

static const char *member_wire_name(const char *name, const json_t *ref) {
    const char *loc = json_string_value(json_object_get(ref, "locationName"));
    return loc ? loc : name;
}

static json_t *decode_after(dec_t *d, const nb__spec_t *spec, const json_t *shape, tok_t *t, int depth);

static json_t *decode(dec_t *d, const nb__spec_t *spec, const json_t *shape, int depth) {
    tok_t t;
    if (!next(d, &t))
        return NULL;
    return decode_after(d, spec, shape, &t, depth);
}

static json_t *type_error(dec_t *d, const json_t *shape, const tok_t *t) {
    dec_fail(d, "expected a %s, got a CBOR %s", nb__shape_type(shape) ? nb__shape_type(shape) : "value",
             kind_name(t->kind));
    return NULL;
}

/* Marks the value "absent": a null, dropped from structures and dense collections. */
static json_t absent_marker;
#define ABSENT (&absent_marker)

static json_t *decode_string(dec_t *d, const tok_t *t, bool text) {
    nb__buf_t tmp = NB__BUF_INIT;
    const unsigned char *s;
    size_t len;
    json_t *v = NULL;
    if (read_string(d, t, &tmp, &s, &len)) {
        v = text ? json_stringn((const char *)s, len) : json_stringn_nocheck((const char *)s, len);
        if (v == NULL)
            dec_fail(d, text ? "text string is not valid UTF-8" : "out of memory");
    }
    nb__buf_free(&tmp);
    return v;
}

static json_t *decode_integer(dec_t *d, const char *type, nb__shape_kind_t kind, const tok_t *t) {
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (strcmp(type, "byte") == 0)
        lo = INT8_MIN, hi = INT8_MAX;
    else if (strcmp(type, "short") == 0)
        lo = INT16_MIN, hi = INT16_MAX;
    else if (kind == NB_SHAPE_INTEGER)
        lo = INT32_MIN, hi = INT32_MAX;
    int64_t v;
    if (t->kind == TOK_UINT && t->u <= (uint64_t)hi) {
        v = (int64_t)t->u;
    } else if (t->kind == TOK_NEGINT && t->u <= (uint64_t)(-(lo + 1))) {
        v = -1 - (int64_t)t->u;
    } else if (t->kind == TOK_UINT || t->kind == TOK_NEGINT) {
        dec_fail(d, "integer out of range for a %s", type);
        return NULL;
    } else {
        dec_fail(d, "expected a %s, got a CBOR %s", type, kind_name(t->kind));
        return NULL;
    }
    return json_integer((json_int_t)v);
}

static bool number_of(const tok_t *t, double *v) {
    switch (t->kind) {
    case TOK_UINT: *v = (double)t->u; return true;
    case TOK_NEGINT: *v = -1.0 - (double)t->u; return true;
    case TOK_FLOAT: *v = t->d; return true;
    default: return false;
    }
}

static json_t *decode_structure(dec_t *d, const nb__spec_t *spec, const json_t *shape, const tok_t *t, int depth) {
    const json_t *members = json_object_get(shape, "members");
    json_t *obj = json_object();
    coll_t c;
    coll_init(&c, t);
    nb__buf_t key = NB__BUF_INIT;
    while (coll_more(d, &c)) {
        tok_t kt;
        const unsigned char *ks;
        size_t klen;
        if (!coll_head(d, &c, &kt))
            break;
        if (kt.kind != TOK_TEXT && kt.kind != TOK_TEXT_INDEF) {
            dec_fail(d, "structure key is a CBOR %s, not a text string", kind_name(kt.kind));
            break;
        }
        if (!read_string(d, &kt, &key, &ks, &klen))
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
            if (!skip_value(d, depth + 1))
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

static json_t *decode_list(dec_t *d, const nb__spec_t *spec, const json_t *shape, const tok_t *t, int depth) {
    const json_t *item_shape = nb__spec_ref_shape(spec, json_object_get(shape, "member"));
    bool sparse = json_is_true(json_object_get(shape, "sparse"));
    json_t *arr = json_array();
    coll_t c;
    coll_init(&c, t);
    while (coll_more(d, &c)) {
        tok_t it;
        if (!coll_head(d, &c, &it))
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

static json_t *decode_map(dec_t *d, const nb__spec_t *spec, const json_t *shape, const tok_t *t, int depth) {
    const json_t *value_shape = nb__spec_ref_shape(spec, json_object_get(shape, "value"));
    bool sparse = json_is_true(json_object_get(shape, "sparse"));
    json_t *obj = json_object();
    coll_t c;
    coll_init(&c, t);
    nb__buf_t key = NB__BUF_INIT;
    while (coll_more(d, &c)) {
        tok_t kt;
        const unsigned char *ks;
        size_t klen;
        if (!coll_head(d, &c, &kt))
            break;
        if (kt.kind != TOK_TEXT && kt.kind != TOK_TEXT_INDEF) {
            dec_fail(d, "map key is a CBOR %s, not a text string", kind_name(kt.kind));
            break;
        }
        if (!read_string(d, &kt, &key, &ks, &klen))
            break;
        /* jansson keys are NUL-terminated UTF-8; copy the key out of the body. */
        char *k = strndup((const char *)ks, klen);
        if (k == NULL || strlen(k) != klen) {
            free(k);
            dec_fail(d, "map key holds a NUL character");
            break;
        }
        json_t *v = decode(d, spec, value_shape, depth + 1);
        if (v == NULL) {
            free(k);
            break;
        }
        if (v == ABSENT)
            v = sparse ? json_null() : NULL;
        if (v && json_object_set_new(obj, k, v) < 0)
            dec_fail(d, "map key is not valid UTF-8");
        free(k);
    }
    nb__buf_free(&key);
    if (d->failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* A document (or a member of unknown shape that must be kept): CBOR as JSON. */
static json_t *decode_any(dec_t *d, const tok_t *t, int depth) {
    double v;
    if (depth > CBOR_MAX_DEPTH) {
        dec_fail(d, "CBOR nesting deeper than %d", CBOR_MAX_DEPTH);
        return NULL;
    }
    switch (t->kind) {
    case TOK_UINT:
        if (t->u > INT64_MAX)
            return dec_fail(d, "integer out of range"), NULL;
        return json_integer((json_int_t)t->u);
    case TOK_NEGINT:
        if (t->u > INT64_MAX)
            return dec_fail(d, "integer out of range"), NULL;
        return json_integer(-1 - (json_int_t)t->u);
    case TOK_FLOAT: number_of(t, &v); return nb__value_from_double(v);
    case TOK_BOOL: return json_boolean(t->b);
    case TOK_NULL: return json_null();
    case TOK_TEXT:
    case TOK_TEXT_INDEF: return decode_string(d, t, true);
    case TOK_BYTES:
    case TOK_BYTES_INDEF: return dec_fail(d, "documents hold no byte strings"), NULL;
    case TOK_TAG: {
        tok_t inner;
        if (t->u == 2 || t->u == 3)
            return dec_fail(d, "big integers are not supported"), NULL;
        if (!next(d, &inner))
            return NULL;
        return decode_any(d, &inner, depth + 1);
    }
    case TOK_ARRAY:
    case TOK_ARRAY_INDEF: {
        json_t *arr = json_array();
        coll_t c;
        coll_init(&c, t);
        while (coll_more(d, &c)) {
            tok_t it;
            if (depth >= CBOR_MAX_DEPTH)
                dec_fail(d, "CBOR nesting deeper than %d", CBOR_MAX_DEPTH);
            json_t *x = coll_head(d, &c, &it) ? decode_any(d, &it, depth + 1) : NULL;
            if (x == NULL)
                break;
            json_array_append_new(arr, x);
        }
        if (d->failed)
            return json_decref(arr), NULL;
        return arr;
    }
    case TOK_MAP:
    case TOK_MAP_INDEF: {
        json_t *obj = json_object();
        coll_t c;
        coll_init(&c, t);
        nb__buf_t key = NB__BUF_INIT;
        while (coll_more(d, &c)) {
            tok_t kt, vt;
            const unsigned char *ks;
            size_t klen;
            if (!coll_head(d, &c, &kt))
                break;
            if (kt.kind != TOK_TEXT && kt.kind != TOK_TEXT_INDEF) {
                dec_fail(d, "map key is a CBOR %s, not a text string", kind_name(kt.kind));
                break;
            }
            if (!read_string(d, &kt, &key, &ks, &klen))
                break;
            char *k = strndup((const char *)ks, klen);
            if (k == NULL || strlen(k) != klen) {
                free(k);
                dec_fail(d, "map key holds a NUL character");
                break;
            }
            json_t *x = NULL;
            if (depth >= CBOR_MAX_DEPTH)
                dec_fail(d, "CBOR nesting deeper than %d", CBOR_MAX_DEPTH);
            else if (next(d, &vt))
                x = decode_any(d, &vt, depth + 1);
            if (x && json_object_set_new(obj, k, x) < 0)
                dec_fail(d, "map key is not valid UTF-8");
            free(k);
            if (x == NULL)
                break;
        }
        nb__buf_free(&key);
        if (d->failed)
            return json_decref(obj), NULL;
        return obj;
    }
    case TOK_BREAK: return dec_fail(d, "unexpected CBOR break"), NULL;
    case TOK_NONE: break;
    }
    dec_fail(d, "invalid CBOR data item");
    return NULL;
}

/* Builds the value for shape from the item whose head is t. NULL on error (d says
 * why), ABSENT for a CBOR null or undefined. */
static json_t *decode_after(dec_t *d, const nb__spec_t *spec, const json_t *shape, tok_t *t, int depth) {
    if (depth > CBOR_MAX_DEPTH) {
        dec_fail(d, "CBOR nesting deeper than %d", CBOR_MAX_DEPTH);
        return NULL;
    }
    const char *type = nb__shape_type(shape);
    if (t->kind == TOK_NULL)
        return ABSENT;
    if (t->kind == TOK_BREAK) {
        dec_fail(d, "unexpected CBOR break");
        return NULL;
    }
    if (type == NULL) /* a shape the spec does not define: keep nothing, stay in sync */
        return skip_after(d, t, depth) ? ABSENT : NULL;
    if (t->kind == TOK_TAG) {
        if (t->u == 2 || t->u == 3) {
            dec_fail(d, "big integers are not supported: value out of range for a %s", type);
            return NULL;
        }
        bool is_ts = strcmp(type, "timestamp") == 0;
        if (t->u != 1 && is_ts) {
            dec_fail(d, "timestamp carries CBOR tag %llu, expected tag 1", (unsigned long long)t->u);
            return NULL;
        }
        /* Tags other than 1 carry nothing Smithy shapes use: read the tagged item. */
        tok_t inner;
        if (!next(d, &inner))
            return NULL;
        if (inner.kind == TOK_TAG) {
            dec_fail(d, "nested CBOR tags are not supported");
            return NULL;
        }
        if (is_ts && inner.kind == TOK_NULL)
            return ABSENT;
        if (t->u == 1 && !is_ts)
            return type_error(d, shape, t);
        *t = inner;
    }
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE:
        if (t->kind != TOK_MAP && t->kind != TOK_MAP_INDEF)
            return type_error(d, shape, t);
        return decode_structure(d, spec, shape, t, depth);
    case NB_SHAPE_LIST:
        if (t->kind != TOK_ARRAY && t->kind != TOK_ARRAY_INDEF)
            return type_error(d, shape, t);
        return decode_list(d, spec, shape, t, depth);
    case NB_SHAPE_MAP:
        if (t->kind != TOK_MAP && t->kind != TOK_MAP_INDEF)
            return type_error(d, shape, t);
        return decode_map(d, spec, shape, t, depth);
    case NB_SHAPE_STRING:
        if (t->kind != TOK_TEXT && t->kind != TOK_TEXT_INDEF)
            return type_error(d, shape, t);
        return decode_string(d, t, true);
    case NB_SHAPE_BLOB:
        if (t->kind != TOK_BYTES && t->kind != TOK_BYTES_INDEF)
            return type_error(d, shape, t);
        return decode_string(d, t, false);
    case NB_SHAPE_BOOLEAN:
        if (t->kind != TOK_BOOL)
            return type_error(d, shape, t);
        return json_boolean(t->b);
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: return decode_integer(d, type, nb__shape_kind(shape), t);
    case NB_SHAPE_FLOAT: {
        double v;
        if (!number_of(t, &v))
            return type_error(d, shape, t);
        return nb__value_from_double(v);
    }
    case NB_SHAPE_TIMESTAMP: {
        double v;
        if (!number_of(t, &v))
            return type_error(d, shape, t);
        if (!isfinite(v)) {
            dec_fail(d, "timestamp is not a finite number");
            return NULL;
        }
        return json_real(v);
    }
    case NB_SHAPE_DOCUMENT: return decode_any(d, t, depth);
    case NB_SHAPE_UNKNOWN: break;
    }
    dec_fail(d, "shapes of type %s are not supported", type);
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
    dec_t d = {.start = (const unsigned char *)body, .p = (const unsigned char *)body, .end = (const unsigned char *)body + len};
    tok_t t;
    json_t *v = NULL;
    if (next(&d, &t)) {
        if (t.kind != TOK_MAP && t.kind != TOK_MAP_INDEF) {
            dec_fail(&d, "request body is a CBOR %s, expected a map", kind_name(t.kind));
        } else if (op->input == NULL) {
            /* No input members: the map must still be well-formed. */
            if (skip_after(&d, &t, 0))
                v = json_object();
        } else {
            v = decode_structure(&d, spec, op->input, &t, 0);
        }
    }
    if (v && d.p != d.end) {
        dec_fail(&d, "%zu trailing bytes after the CBOR body", (size_t)(d.end - d.p));
        json_decref(v);
        v = NULL;
    }
    if (v == NULL) {
        if (!d.failed)
            dec_fail(&d, "out of memory");
        nb__aws_error_set(err, spec, op, "SerializationException", 400, "Malformed CBOR request body: %s", d.msg);
        return NB_EPROTO;
    }
    *input = v;
    return 0;
}

/* ---------------------------------------------------------------- encoding */

typedef struct {
    nb__buf_t *out;
    const nb__spec_t *spec;
    bool failed;
} enc_t;

/* Appends what a libcbor encoder wrote into a scratch head. */
#define PUT(e, call)                                                                                        \
    do {                                                                                                    \
        unsigned char h_[9];                                                                                \
        size_t n_ = (call);                                                                                 \
        if (n_ == 0 || nb__buf_append((e)->out, h_, n_) < 0)                                                \
            (e)->failed = true;                                                                             \
    } while (0)

static void put_text(enc_t *e, const char *s, size_t len) {
    PUT(e, cbor_encode_string_start(len, h_, sizeof h_));
    if (nb__buf_append(e->out, s, len) < 0)
        e->failed = true;
}

static void put_bytes(enc_t *e, const char *s, size_t len) {
    PUT(e, cbor_encode_bytestring_start(len, h_, sizeof h_));
    if (nb__buf_append(e->out, s, len) < 0)
        e->failed = true;
}

static void put_int(enc_t *e, json_int_t v) {
    if (v >= 0)
        PUT(e, cbor_encode_uint((uint64_t)v, h_, sizeof h_));
    else
        PUT(e, cbor_encode_negint((uint64_t)(-1 - v), h_, sizeof h_));
}

static void put_float(enc_t *e, double v, bool single) {
    /* A float shape goes out as single precision when that loses nothing. */
    if (single && (isnan(v) || (double)(float)v == v))
        PUT(e, cbor_encode_single(isnan(v) ? NAN : (float)v, h_, sizeof h_));
    else
        PUT(e, cbor_encode_double(isnan(v) ? NAN : v, h_, sizeof h_));
}

static bool is_present(const json_t *v) { return v != NULL && !json_is_null(v); }

static void encode(enc_t *e, const json_t *shape, const json_t *v, int depth);

static void encode_structure(enc_t *e, const json_t *shape, const json_t *v, int depth) {
    const json_t *members = json_object_get(shape, "members");
    const char *name;
    json_t *ref;
    size_t n = 0;
    json_object_foreach((json_t *)members, name, ref) n += is_present(json_object_get(v, name));
    PUT(e, cbor_encode_map_start(n, h_, sizeof h_));
    json_object_foreach((json_t *)members, name, ref) {
        const json_t *mv = json_object_get(v, name);
        if (!is_present(mv))
            continue;
        const char *wire = member_wire_name(name, ref);
        put_text(e, wire, strlen(wire));
        encode(e, nb__spec_ref_shape(e->spec, ref), mv, depth + 1);
    }
}

/* No shape to follow (documents): JSON types map onto CBOR's. */
static void encode_any(enc_t *e, const json_t *v, int depth) {
    if (depth > CBOR_MAX_DEPTH || e->failed) {
        e->failed = true;
        return;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        PUT(e, cbor_encode_map_start(json_object_size(v), h_, sizeof h_));
        json_object_foreach((json_t *)v, k, m) {
            put_text(e, k, strlen(k));
            encode_any(e, m, depth + 1);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        PUT(e, cbor_encode_array_start(json_array_size(v), h_, sizeof h_));
        json_array_foreach(v, i, m) encode_any(e, m, depth + 1);
    } else if (json_is_string(v)) {
        put_text(e, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        put_int(e, json_integer_value(v));
    } else if (json_is_real(v)) {
        put_float(e, json_real_value(v), false);
    } else if (json_is_boolean(v)) {
        PUT(e, cbor_encode_bool(json_is_true(v), h_, sizeof h_));
    } else {
        PUT(e, cbor_encode_null(h_, sizeof h_));
    }
}

/* A value that does not fit its shape is a handler bug: the response fails
 * (500) rather than carrying something the client would misread. */
static void encode(enc_t *e, const json_t *shape, const json_t *v, int depth) {
    double x;
    if (depth > CBOR_MAX_DEPTH || e->failed) {
        e->failed = true;
        return;
    }
    if (json_is_null(v)) {
        PUT(e, cbor_encode_null(h_, sizeof h_));
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
        PUT(e, cbor_encode_array_start(n, h_, sizeof h_));
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
        PUT(e, cbor_encode_map_start(n, h_, sizeof h_));
        json_object_foreach((json_t *)v, k, m) {
            if (!sparse && json_is_null(m))
                continue;
            put_text(e, k, strlen(k));
            encode(e, val, m, depth + 1);
        }
        return;
    }
    case NB_SHAPE_BLOB:
        if (!json_is_string(v))
            break;
        put_bytes(e, json_string_value(v), json_string_length(v));
        return;
    case NB_SHAPE_STRING:
        if (!json_is_string(v))
            break;
        put_text(e, json_string_value(v), json_string_length(v));
        return;
    case NB_SHAPE_BOOLEAN:
        if (!json_is_boolean(v))
            break;
        PUT(e, cbor_encode_bool(json_is_true(v), h_, sizeof h_));
        return;
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG:
        if (json_is_integer(v)) {
            put_int(e, json_integer_value(v));
            return;
        }
        if (json_is_real(v) && fabs(json_real_value(v)) < 9.0e18 && json_real_value(v) == floor(json_real_value(v))) {
            put_int(e, (json_int_t)json_real_value(v));
            return;
        }
        break;
    case NB_SHAPE_FLOAT:
        if (!nb__value_double(v, &x))
            break;
        put_float(e, x, strcmp(nb__shape_type(shape), "float") == 0);
        return;
    case NB_SHAPE_TIMESTAMP:
        if (!nb__value_double(v, &x) || !isfinite(x))
            break;
        PUT(e, cbor_encode_tag(1, h_, sizeof h_));
        /* Whole seconds as an integer, fractions as a double. */
        if (x == floor(x) && fabs(x) < 9.0e15)
            put_int(e, (json_int_t)x);
        else
            put_float(e, x, false);
        return;
    case NB_SHAPE_DOCUMENT:
    case NB_SHAPE_UNKNOWN:
        encode_any(e, v, depth);
        return;
    }
    e->failed = true;
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
    enc_t e = {.out = &resp->body, .spec = spec};
    encode_structure(&e, op->output, json_is_object(output) ? output : NULL, 0);
    if (e.failed) {
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
    enc_t e = {.out = &resp->body, .spec = spec};
    size_t n = 1;
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v) {
        if (is_present(v) && strcmp(k, "__type") != 0)
            n++;
    }
    PUT(&e, cbor_encode_map_start(n, h_, sizeof h_));
    nb__buf_t id = NB__BUF_INIT;
    shape_id(spec, name, &id);
    put_text(&e, "__type", 6);
    put_text(&e, id.data, id.len);
    nb__buf_free(&id);
    json_object_foreach(fields, k, v) {
        if (!is_present(v) || strcmp(k, "__type") == 0)
            continue;
        const json_t *ref = json_object_get(members, k);
        put_text(&e, ref ? member_wire_name(k, ref) : k, strlen(ref ? member_wire_name(k, ref) : k));
        encode(&e, ref && spec ? nb__spec_ref_shape(spec, ref) : NULL, v, 1);
    }
    json_decref(fields);
    return e.failed ? NB_EINVAL : 0;
}

const nb__proto_impl_t nb__proto_cbor_impl = {parse, serialize, serialize_error};
