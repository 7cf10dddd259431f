/*
 * A fast path for reading request bodies into jansson values (nb__jsonval_parse). jansson's
 * own reader takes a character at a time through a stream with its UTF-8 check and buffer
 * append per character: about 150 instructions a byte, a fifth of an SQS SendMessage. This
 * reader takes the common documents in one pass over the bytes and gives up (NULL) at anything
 * it does not take exactly as jansson would: the caller then hands the text to json_loadb,
 * which decides, so what is accepted, the values built and every error message stay jansson's
 * (JSON_DECODE_ANY | JSON_ALLOW_NUL). Given up on: reals (fraction or exponent), integers of
 * more than 18 digits, NUL in an object key, nesting past MAX_DEPTH, malformed text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/jsonval.h"

#define MAX_DEPTH 512

typedef struct reader {
    const unsigned char *p, *end;
    char *scratch; /* a string's unescaped bytes */
    size_t cap;
} reader_t;

static void skip_space(reader_t *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

/* The length of the UTF-8 sequence at p (1-4) when it is one jansson takes (no overlong form,
 * no surrogate, at most U+10FFFF), else 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0)
        n = 2, cp = c & 0x1f;
    else if (c < 0xf0)
        n = 3, cp = c & 0x0f;
    else
        n = 4, cp = c & 0x07;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

static int hex4(const unsigned char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

static int scratch_room(reader_t *r, size_t need) {
    if (need <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    char *grown = realloc(r->scratch, cap);
    if (grown == NULL)
        return -1;
    r->scratch = grown;
    r->cap = cap;
    return 0;
}

/* A string at r->p (its opening quote): *s and *len point into the text when it has no escape,
 * else into r->scratch. -1: give up. */
static int read_string(reader_t *r, const char **s, size_t *len) {
    const unsigned char *start = ++r->p;
    const unsigned char *q = start + nb__json_plain_span((const char *)start, (size_t)(r->end - start));
    if (q < r->end && *q == '"') { /* plain ASCII: the common case, no copy */
        *s = (const char *)start;
        *len = (size_t)(q - start);
        r->p = q + 1;
        return 0;
    }
    size_t n = 0;
    if (scratch_room(r, (size_t)(r->end - start) + 1) != 0) /* never longer than the text */
        return -1;
    memcpy(r->scratch, start, (size_t)(q - start));
    n = (size_t)(q - start);
    while (q < r->end) {
        unsigned c = *q;
        if (c == '"') {
            *s = r->scratch;
            *len = n;
            r->p = q + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c >= 0x80) {
            size_t k = utf8_seq(q, r->end);
            if (k == 0)
                return -1;
            memcpy(r->scratch + n, q, k);
            n += k;
            q += k;
            continue;
        }
        if (c != '\\') {
            r->scratch[n++] = (char)c;
            q++;
            continue;
        }
        if (r->end - q < 2)
            return -1;
        char e = (char)q[1];
        q += 2;
        switch (e) {
        case '"': r->scratch[n++] = '"'; continue;
        case '\\': r->scratch[n++] = '\\'; continue;
        case '/': r->scratch[n++] = '/'; continue;
        case 'b': r->scratch[n++] = '\b'; continue;
        case 'f': r->scratch[n++] = '\f'; continue;
        case 'n': r->scratch[n++] = '\n'; continue;
        case 'r': r->scratch[n++] = '\r'; continue;
        case 't': r->scratch[n++] = '\t'; continue;
        case 'u': break;
        default: return -1;
        }
        uint32_t cp;
        if (r->end - q < 4 || hex4(q, &cp) != 0)
            return -1;
        q += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return -1;
        if (cp >= 0xd800 && cp <= 0xdbff) { /* a high surrogate: its low half follows */
            uint32_t lo;
            if (r->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
                return -1;
            q += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        /* an escape's UTF-8 (at most 4 bytes) is never longer than the escape (6 or 12) */
        if (cp < 0x80) {
            r->scratch[n++] = (char)cp;
        } else if (cp < 0x800) {
            r->scratch[n++] = (char)(0xc0 | (cp >> 6));
            r->scratch[n++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            r->scratch[n++] = (char)(0xe0 | (cp >> 12));
            r->scratch[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            r->scratch[n++] = (char)(0x80 | (cp & 0x3f));
        } else {
            r->scratch[n++] = (char)(0xf0 | (cp >> 18));
            r->scratch[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            r->scratch[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            r->scratch[n++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    return -1;
}

static json_t *read_value(reader_t *r, int depth);

/* After an object's member or an array's element: 1 another follows (past its ','), 0 the
 * container ends (past `close`), -1 anything else. */
static int after_item(reader_t *r, char close) {
    skip_space(r);
    if (r->p < r->end && *r->p == ',') {
        r->p++;
        skip_space(r);
        return 1;
    }
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 0;
    }
    return -1;
}

static json_t *read_number(reader_t *r) {
    const unsigned char *q = r->p;
    bool neg = *q == '-';
    if (neg)
        q++;
    const unsigned char *digits = q;
    while (q < r->end && *q >= '0' && *q <= '9')
        q++;
    size_t nd = (size_t)(q - digits);
    if (nd == 0 || nd > 18 || (digits[0] == '0' && nd > 1))
        return NULL;
    if (q < r->end && (*q == '.' || *q == 'e' || *q == 'E'))
        return NULL; /* a real: jansson's */
    int64_t v = 0;
    for (const unsigned char *d = digits; d < q; d++)
        v = v * 10 + (*d - '0');
    r->p = q;
    return json_integer(neg ? -v : v);
}

static json_t *read_literal(reader_t *r, const char *word, size_t len, json_t *value) {
    if ((size_t)(r->end - r->p) < len || memcmp(r->p, word, len) != 0)
        return NULL;
    r->p += len;
    return value;
}

static json_t *read_object(reader_t *r, int depth) {
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return obj;
    }
    for (;;) {
        if (r->p >= r->end || *r->p != '"')
            break;
        const char *k;
        size_t klen;
        if (read_string(r, &k, &klen) != 0 || memchr(k, '\0', klen) != NULL)
            break;
        /* the key is copied before the value can reuse the scratch space */
        char kbuf[128];
        char *key = klen < sizeof kbuf ? kbuf : malloc(klen + 1);
        if (key == NULL)
            break;
        memcpy(key, k, klen);
        key[klen] = '\0';
        skip_space(r);
        json_t *v = NULL;
        if (r->p < r->end && *r->p == ':') {
            r->p++;
            skip_space(r);
            v = read_value(r, depth + 1);
        }
        int rc = v ? json_object_setn_new_nocheck(obj, key, klen, v) : -1;
        if (key != kbuf)
            free(key);
        if (rc != 0 || (rc = after_item(r, '}')) < 0)
            break;
        if (rc == 0)
            return obj;
    }
    json_decref(obj);
    return NULL;
}

static json_t *read_array(reader_t *r, int depth) {
    json_t *arr = json_array();
    if (arr == NULL)
        return NULL;
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return arr;
    }
    for (;;) {
        json_t *v = read_value(r, depth + 1);
        int rc = v == NULL || json_array_append_new(arr, v) != 0 ? -1 : after_item(r, ']');
        if (rc < 0)
            break;
        if (rc == 0)
            return arr;
    }
    json_decref(arr);
    return NULL;
}

static json_t *read_value(reader_t *r, int depth) {
    if (r->p >= r->end || depth > MAX_DEPTH)
        return NULL;
    switch (*r->p) {
    case '{': return read_object(r, depth);
    case '[': return read_array(r, depth);
    case '"': {
        const char *s;
        size_t len;
        return read_string(r, &s, &len) == 0 ? json_stringn_nocheck(s, len) : NULL;
    }
    case 't': return read_literal(r, "true", 4, json_true());
    case 'f': return read_literal(r, "false", 5, json_false());
    case 'n': return read_literal(r, "null", 4, json_null());
    default: return (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) ? read_number(r) : NULL;
    }
}

json_t *nb__json_read_fast(const char *text, size_t len) {
    reader_t r = {(const unsigned char *)text, (const unsigned char *)text + len, NULL, 0};
    skip_space(&r);
    json_t *v = read_value(&r, 0);
    skip_space(&r);
    free(r.scratch);
    if (v && r.p != r.end) { /* something after the value: jansson's error to tell */
        json_decref(v);
        v = NULL;
    }
    return v;
}
