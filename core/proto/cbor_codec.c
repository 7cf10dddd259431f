/*
 * The CBOR codec: item heads in and out through libcbor, JSON values with no
 * shape to follow (documents). See cbor_codec.h.
 */
#include "proto/cbor_codec.h"

#include <cbor.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/shape.h"

/* ---------------------------------------------------------------- decoding */

void nb__cbor_fail(nb__cbor_dec_t *d, const char *fmt, ...) {
    if (d->failed)
        return;
    d->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

#define TOK(ctx) ((nb__cbor_tok_t *)(ctx))
static void cb_u8(void *c, uint8_t v) { TOK(c)->kind = NB_CBOR_UINT, TOK(c)->u = v; }
static void cb_u16(void *c, uint16_t v) { TOK(c)->kind = NB_CBOR_UINT, TOK(c)->u = v; }
static void cb_u32(void *c, uint32_t v) { TOK(c)->kind = NB_CBOR_UINT, TOK(c)->u = v; }
static void cb_u64(void *c, uint64_t v) { TOK(c)->kind = NB_CBOR_UINT, TOK(c)->u = v; }
static void cb_n8(void *c, uint8_t v) { TOK(c)->kind = NB_CBOR_NEGINT, TOK(c)->u = v; }
static void cb_n16(void *c, uint16_t v) { TOK(c)->kind = NB_CBOR_NEGINT, TOK(c)->u = v; }
static void cb_n32(void *c, uint32_t v) { TOK(c)->kind = NB_CBOR_NEGINT, TOK(c)->u = v; }
static void cb_n64(void *c, uint64_t v) { TOK(c)->kind = NB_CBOR_NEGINT, TOK(c)->u = v; }
static void cb_bytes(void *c, cbor_data s, size_t n) { TOK(c)->kind = NB_CBOR_BYTES, TOK(c)->s = s, TOK(c)->len = n; }
static void cb_bytes_indef(void *c) { TOK(c)->kind = NB_CBOR_BYTES_INDEF; }
static void cb_text(void *c, cbor_data s, size_t n) { TOK(c)->kind = NB_CBOR_TEXT, TOK(c)->s = s, TOK(c)->len = n; }
static void cb_text_indef(void *c) { TOK(c)->kind = NB_CBOR_TEXT_INDEF; }
static void cb_array(void *c, size_t n) { TOK(c)->kind = NB_CBOR_ARRAY, TOK(c)->u = n; }
static void cb_array_indef(void *c) { TOK(c)->kind = NB_CBOR_ARRAY_INDEF; }
static void cb_map(void *c, size_t n) { TOK(c)->kind = NB_CBOR_MAP, TOK(c)->u = n; }
static void cb_map_indef(void *c) { TOK(c)->kind = NB_CBOR_MAP_INDEF; }
static void cb_tag(void *c, uint64_t v) { TOK(c)->kind = NB_CBOR_TAG, TOK(c)->u = v; }
static void cb_float(void *c, float v) { TOK(c)->kind = NB_CBOR_FLOAT, TOK(c)->d = v; }
static void cb_double(void *c, double v) { TOK(c)->kind = NB_CBOR_FLOAT, TOK(c)->d = v; }
static void cb_null(void *c) { TOK(c)->kind = NB_CBOR_NULL; }
static void cb_bool(void *c, bool v) { TOK(c)->kind = NB_CBOR_BOOL, TOK(c)->b = v; }
static void cb_break(void *c) { TOK(c)->kind = NB_CBOR_BREAK; }

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

bool nb__cbor_next(nb__cbor_dec_t *d, nb__cbor_tok_t *t) {
    if (d->failed)
        return false;
    if (d->p >= d->end) {
        nb__cbor_fail(d, "unexpected end of CBOR data");
        return false;
    }
    t->kind = NB_CBOR_NONE;
    struct cbor_decoder_result r = cbor_stream_decode(d->p, (size_t)(d->end - d->p), &callbacks, t);
    if (r.status == CBOR_DECODER_NEDATA) {
        nb__cbor_fail(d, "unexpected end of CBOR data");
        return false;
    }
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || t->kind == NB_CBOR_NONE) {
        nb__cbor_fail(d, "invalid CBOR data item at offset %zu", (size_t)(d->p - d->start));
        return false;
    }
    d->p += r.read;
    return true;
}

const char *nb__cbor_kind_name(nb__cbor_kind_t k) {
    switch (k) {
    case NB_CBOR_UINT:
    case NB_CBOR_NEGINT: return "integer";
    case NB_CBOR_BYTES:
    case NB_CBOR_BYTES_INDEF: return "byte string";
    case NB_CBOR_TEXT:
    case NB_CBOR_TEXT_INDEF: return "text string";
    case NB_CBOR_ARRAY:
    case NB_CBOR_ARRAY_INDEF: return "array";
    case NB_CBOR_MAP:
    case NB_CBOR_MAP_INDEF: return "map";
    case NB_CBOR_TAG: return "tag";
    case NB_CBOR_FLOAT: return "float";
    case NB_CBOR_BOOL: return "boolean";
    case NB_CBOR_NULL: return "null";
    case NB_CBOR_BREAK: return "break";
    case NB_CBOR_NONE: break;
    }
    return "?";
}

bool nb__cbor_read_string(nb__cbor_dec_t *d, const nb__cbor_tok_t *t, nb__buf_t *tmp, const unsigned char **s,
                          size_t *len) {
    if (t->kind == NB_CBOR_TEXT || t->kind == NB_CBOR_BYTES) {
        *s = t->s;
        *len = t->len;
        return true;
    }
    nb__cbor_kind_t chunk_kind = t->kind == NB_CBOR_TEXT_INDEF ? NB_CBOR_TEXT : NB_CBOR_BYTES;
    nb__buf_reset(tmp);
    for (;;) {
        nb__cbor_tok_t c;
        if (!nb__cbor_next(d, &c))
            return false;
        if (c.kind == NB_CBOR_BREAK)
            break;
        if (c.kind != chunk_kind) {
            nb__cbor_fail(d, "indefinite-length %s holds a %s chunk", nb__cbor_kind_name(t->kind),
                          nb__cbor_kind_name(c.kind));
            return false;
        }
        if (nb__buf_append(tmp, c.s, c.len) < 0) {
            nb__cbor_fail(d, "out of memory");
            return false;
        }
    }
    *s = (const unsigned char *)(tmp->data ? tmp->data : "");
    *len = tmp->len;
    return true;
}

/* Skips the rest of an item whose head t was read. */
bool nb__cbor_skip_after(nb__cbor_dec_t *d, const nb__cbor_tok_t *t, int depth) {
    if (depth > NB_CBOR_MAX_DEPTH) {
        nb__cbor_fail(d, "CBOR nesting deeper than %d", NB_CBOR_MAX_DEPTH);
        return false;
    }
    switch (t->kind) {
    case NB_CBOR_TEXT_INDEF:
    case NB_CBOR_BYTES_INDEF: {
        nb__buf_t tmp = NB__BUF_INIT;
        const unsigned char *s;
        size_t len;
        bool ok = nb__cbor_read_string(d, t, &tmp, &s, &len);
        nb__buf_free(&tmp);
        return ok;
    }
    case NB_CBOR_ARRAY:
    case NB_CBOR_MAP: {
        uint64_t n = t->u;
        if (t->kind == NB_CBOR_MAP && n > UINT64_MAX / 2)
            return nb__cbor_fail(d, "CBOR map too long"), false;
        if (t->kind == NB_CBOR_MAP)
            n *= 2;
        for (uint64_t i = 0; i < n; i++)
            if (!nb__cbor_skip_value(d, depth + 1))
                return false;
        return true;
    }
    case NB_CBOR_ARRAY_INDEF:
    case NB_CBOR_MAP_INDEF: {
        for (uint64_t i = 0;; i++) {
            nb__cbor_tok_t c;
            if (!nb__cbor_next(d, &c))
                return false;
            if (c.kind == NB_CBOR_BREAK) {
                if (t->kind == NB_CBOR_MAP_INDEF && i % 2)
                    return nb__cbor_fail(d, "CBOR map key without a value"), false;
                return true;
            }
            if (!nb__cbor_skip_after(d, &c, depth + 1))
                return false;
        }
    }
    case NB_CBOR_TAG: return nb__cbor_skip_value(d, depth + 1);
    case NB_CBOR_BREAK: return nb__cbor_fail(d, "unexpected CBOR break"), false;
    default: return true;
    }
}

bool nb__cbor_skip_value(nb__cbor_dec_t *d, int depth) {
    nb__cbor_tok_t t;
    return nb__cbor_next(d, &t) && nb__cbor_skip_after(d, &t, depth);
}



void nb__cbor_coll_init(nb__cbor_coll_t *c, const nb__cbor_tok_t *t) {
    c->indef = t->kind == NB_CBOR_ARRAY_INDEF || t->kind == NB_CBOR_MAP_INDEF;
    c->left = t->u;
    c->have_head = false;
}

bool nb__cbor_coll_more(nb__cbor_dec_t *d, nb__cbor_coll_t *c) {
    if (d->failed)
        return false;
    if (!c->indef) {
        if (c->left == 0)
            return false;
        c->left--;
        return true;
    }
    if (!nb__cbor_next(d, &c->head))
        return false;
    if (c->head.kind == NB_CBOR_BREAK)
        return false;
    c->have_head = true;
    return true;
}

bool nb__cbor_coll_head(nb__cbor_dec_t *d, nb__cbor_coll_t *c, nb__cbor_tok_t *t) {
    if (c->have_head) {
        *t = c->head;
        c->have_head = false;
        return true;
    }
    return nb__cbor_next(d, t);
}


bool nb__cbor_read_key(nb__cbor_dec_t *d, nb__cbor_coll_t *c, const char *what, nb__buf_t *tmp,
                       const unsigned char **s, size_t *len) {
    nb__cbor_tok_t kt;
    if (!nb__cbor_coll_head(d, c, &kt))
        return false;
    if (kt.kind != NB_CBOR_TEXT && kt.kind != NB_CBOR_TEXT_INDEF) {
        nb__cbor_fail(d, "%s is a CBOR %s, not a text string", what, nb__cbor_kind_name(kt.kind));
        return false;
    }
    return nb__cbor_read_string(d, &kt, tmp, s, len);
}

/* jansson keys are NUL-terminated UTF-8: the key is copied out of the data. */
char *nb__cbor_read_map_key(nb__cbor_dec_t *d, nb__cbor_coll_t *c, nb__buf_t *tmp) {
    const unsigned char *ks;
    size_t klen;
    if (!nb__cbor_read_key(d, c, "map key", tmp, &ks, &klen))
        return NULL;
    char *k = strndup((const char *)ks, klen);
    if (k == NULL || strlen(k) != klen) {
        free(k);
        nb__cbor_fail(d, "map key holds a NUL character");
        return NULL;
    }
    return k;
}

json_t *nb__cbor_decode_string(nb__cbor_dec_t *d, const nb__cbor_tok_t *t, bool text) {
    nb__buf_t tmp = NB__BUF_INIT;
    const unsigned char *s;
    size_t len;
    json_t *v = NULL;
    if (nb__cbor_read_string(d, t, &tmp, &s, &len)) {
        v = text ? json_stringn((const char *)s, len) : json_stringn_nocheck((const char *)s, len);
        if (v == NULL)
            nb__cbor_fail(d, text ? "text string is not valid UTF-8" : "out of memory");
    }
    nb__buf_free(&tmp);
    return v;
}

bool nb__cbor_number(const nb__cbor_tok_t *t, double *v) {
    switch (t->kind) {
    case NB_CBOR_UINT: *v = (double)t->u; return true;
    case NB_CBOR_NEGINT: *v = -1.0 - (double)t->u; return true;
    case NB_CBOR_FLOAT: *v = t->d; return true;
    default: return false;
    }
}

/* A document (or a member of unknown shape that must be kept): CBOR as JSON. */
json_t *nb__cbor_decode_any(nb__cbor_dec_t *d, const nb__cbor_tok_t *t, int depth) {
    double v;
    if (depth > NB_CBOR_MAX_DEPTH) {
        nb__cbor_fail(d, "CBOR nesting deeper than %d", NB_CBOR_MAX_DEPTH);
        return NULL;
    }
    switch (t->kind) {
    case NB_CBOR_UINT:
        if (t->u > INT64_MAX)
            return nb__cbor_fail(d, "integer out of range"), NULL;
        return json_integer((json_int_t)t->u);
    case NB_CBOR_NEGINT:
        if (t->u > INT64_MAX)
            return nb__cbor_fail(d, "integer out of range"), NULL;
        return json_integer(-1 - (json_int_t)t->u);
    case NB_CBOR_FLOAT: nb__cbor_number(t, &v); return nb__value_from_double(v);
    case NB_CBOR_BOOL: return json_boolean(t->b);
    case NB_CBOR_NULL: return json_null();
    case NB_CBOR_TEXT:
    case NB_CBOR_TEXT_INDEF: return nb__cbor_decode_string(d, t, true);
    case NB_CBOR_BYTES:
    case NB_CBOR_BYTES_INDEF: return nb__cbor_fail(d, "documents hold no byte strings"), NULL;
    case NB_CBOR_TAG: {
        nb__cbor_tok_t inner;
        if (t->u == 2 || t->u == 3)
            return nb__cbor_fail(d, "big integers are not supported"), NULL;
        if (!nb__cbor_next(d, &inner))
            return NULL;
        return nb__cbor_decode_any(d, &inner, depth + 1);
    }
    case NB_CBOR_ARRAY:
    case NB_CBOR_ARRAY_INDEF: {
        json_t *arr = json_array();
        nb__cbor_coll_t c;
        nb__cbor_coll_init(&c, t);
        while (nb__cbor_coll_more(d, &c)) {
            nb__cbor_tok_t it;
            if (depth >= NB_CBOR_MAX_DEPTH)
                nb__cbor_fail(d, "CBOR nesting deeper than %d", NB_CBOR_MAX_DEPTH);
            json_t *x = nb__cbor_coll_head(d, &c, &it) ? nb__cbor_decode_any(d, &it, depth + 1) : NULL;
            if (x == NULL)
                break;
            json_array_append_new(arr, x);
        }
        if (d->failed)
            return json_decref(arr), NULL;
        return arr;
    }
    case NB_CBOR_MAP:
    case NB_CBOR_MAP_INDEF: {
        json_t *obj = json_object();
        nb__cbor_coll_t c;
        nb__cbor_coll_init(&c, t);
        nb__buf_t key = NB__BUF_INIT;
        while (nb__cbor_coll_more(d, &c)) {
            nb__cbor_tok_t vt;
            char *k = nb__cbor_read_map_key(d, &c, &key);
            if (k == NULL)
                break;
            json_t *x = NULL;
            if (depth >= NB_CBOR_MAX_DEPTH)
                nb__cbor_fail(d, "CBOR nesting deeper than %d", NB_CBOR_MAX_DEPTH);
            else if (nb__cbor_next(d, &vt))
                x = nb__cbor_decode_any(d, &vt, depth + 1);
            if (x && json_object_set_new(obj, k, x) < 0)
                nb__cbor_fail(d, "map key is not valid UTF-8");
            free(k);
            if (x == NULL)
                break;
        }
        nb__buf_free(&key);
        if (d->failed)
            return json_decref(obj), NULL;
        return obj;
    }
    case NB_CBOR_BREAK: return nb__cbor_fail(d, "unexpected CBOR break"), NULL;
    case NB_CBOR_NONE: break;
    }
    nb__cbor_fail(d, "invalid CBOR data item");
    return NULL;
}

/* ---------------------------------------------------------------- encoding */

/* Appends what a libcbor encoder wrote into a scratch head. */
#define PUT(e, call)                                                                                                  \
    do {                                                                                                              \
        unsigned char h_[9];                                                                                          \
        size_t n_ = (call);                                                                                           \
        if (n_ == 0 || nb__buf_append((e)->out, h_, n_) < 0)                                                          \
            (e)->failed = true;                                                                                       \
    } while (0)

void nb__cbor_put_map_start(nb__cbor_enc_t *e, size_t n) { PUT(e, cbor_encode_map_start(n, h_, sizeof h_)); }
void nb__cbor_put_array_start(nb__cbor_enc_t *e, size_t n) { PUT(e, cbor_encode_array_start(n, h_, sizeof h_)); }
void nb__cbor_put_tag(nb__cbor_enc_t *e, uint64_t tag) { PUT(e, cbor_encode_tag(tag, h_, sizeof h_)); }
void nb__cbor_put_bool(nb__cbor_enc_t *e, bool v) { PUT(e, cbor_encode_bool(v, h_, sizeof h_)); }
void nb__cbor_put_null(nb__cbor_enc_t *e) { PUT(e, cbor_encode_null(h_, sizeof h_)); }

void nb__cbor_put_text(nb__cbor_enc_t *e, const char *s, size_t len) {
    PUT(e, cbor_encode_string_start(len, h_, sizeof h_));
    if (nb__buf_append(e->out, s, len) < 0)
        e->failed = true;
}

void nb__cbor_put_bytes(nb__cbor_enc_t *e, const char *s, size_t len) {
    PUT(e, cbor_encode_bytestring_start(len, h_, sizeof h_));
    if (nb__buf_append(e->out, s, len) < 0)
        e->failed = true;
}

void nb__cbor_put_int(nb__cbor_enc_t *e, json_int_t v) {
    if (v >= 0)
        PUT(e, cbor_encode_uint((uint64_t)v, h_, sizeof h_));
    else
        PUT(e, cbor_encode_negint((uint64_t)(-1 - v), h_, sizeof h_));
}

void nb__cbor_put_float(nb__cbor_enc_t *e, double v, bool single) {
    /* A float shape goes out as single precision when that loses nothing. */
    if (single && (isnan(v) || (double)(float)v == v))
        PUT(e, cbor_encode_single(isnan(v) ? NAN : (float)v, h_, sizeof h_));
    else
        PUT(e, cbor_encode_double(isnan(v) ? NAN : v, h_, sizeof h_));
}

/* No shape to follow (documents): JSON types map onto CBOR's. */
void nb__cbor_put_any(nb__cbor_enc_t *e, const json_t *v, int depth) {
    if (depth > NB_CBOR_MAX_DEPTH || e->failed) {
        e->failed = true;
        return;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        PUT(e, cbor_encode_map_start(json_object_size(v), h_, sizeof h_));
        json_object_foreach((json_t *)v, k, m) {
            nb__cbor_put_text(e, k, strlen(k));
            nb__cbor_put_any(e, m, depth + 1);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        PUT(e, cbor_encode_array_start(json_array_size(v), h_, sizeof h_));
        json_array_foreach(v, i, m) nb__cbor_put_any(e, m, depth + 1);
    } else if (json_is_string(v)) {
        nb__cbor_put_text(e, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        nb__cbor_put_int(e, json_integer_value(v));
    } else if (json_is_real(v)) {
        nb__cbor_put_float(e, json_real_value(v), false);
    } else if (json_is_boolean(v)) {
        PUT(e, cbor_encode_bool(json_is_true(v), h_, sizeof h_));
    } else {
        PUT(e, cbor_encode_null(h_, sizeof h_));
    }
}