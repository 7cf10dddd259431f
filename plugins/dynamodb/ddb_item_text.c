/* Encoded item -> DynamoDB JSON text, in one pass over the encoding. A GetItem answer built this
 * way skips decoding into jansson values, the serializer's walk over them and their frees: about
 * a third of the request's instructions. */
#include "ddb_item_text.h"

#include <string.h>

#include "ddb.h"

int ddb_text_put(ddb_buf_t *b, const char *s, size_t n) {
    if (ddb_buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

#define PUT_LIT(b, lit) ddb_text_put((b), (lit), sizeof(lit) - 1)

/* A JSON string: quotes, backslashes and control characters escaped; the bytes are UTF-8 already
 * (they were parsed from a request's JSON). */
static int put_json_str(ddb_buf_t *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (ddb_buf_reserve(b, n + 2) != 0)
        return -1;
    b->data[b->len++] = '"';
    size_t run = 0; /* bytes copied as they are since the last escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (ddb_text_put(b, s + run, i - run) != 0 || ddb_buf_reserve(b, 6) != 0)
            return -1;
        run = i + 1;
        b->data[b->len++] = '\\';
        switch (c) {
        case '"': b->data[b->len++] = '"'; break;
        case '\\': b->data[b->len++] = '\\'; break;
        case '\n': b->data[b->len++] = 'n'; break;
        case '\r': b->data[b->len++] = 'r'; break;
        case '\t': b->data[b->len++] = 't'; break;
        default:
            memcpy(b->data + b->len, "u00", 3);
            b->data[b->len + 3] = hex[c >> 4];
            b->data[b->len + 4] = hex[c & 15];
            b->len += 5;
        }
    }
    if (ddb_text_put(b, s + run, n - run) != 0 || ddb_buf_reserve(b, 1) != 0)
        return -1;
    b->data[b->len++] = '"';
    return 0;
}

static int put_base64(ddb_buf_t *b, const char *s, size_t n) {
    size_t cap = NB_BASE64_SIZE(n);
    if (ddb_buf_reserve(b, cap + 2) != 0)
        return -1;
    b->data[b->len++] = '"';
    ssize_t w = nb_base64_encode(s, n, 0, (char *)b->data + b->len, cap);
    if (w < 0)
        return -1;
    b->len += (size_t)w;
    b->data[b->len++] = '"';
    return 0;
}

/* One string of a value: binary ones in base64, as the protocol sends blobs. */
static int put_scalar(ddb_reader_t *r, ddb_buf_t *b, int binary) {
    const char *s;
    size_t n;
    if (ddb_read_str(r, &s, &n) != 0)
        return -1;
    return binary ? put_base64(b, s, n) : put_json_str(b, s, n);
}

static int put_value(ddb_reader_t *r, ddb_buf_t *b);

static int put_map(ddb_reader_t *r, ddb_buf_t *b) {
    size_t n;
    if (ddb_read_varint(r, &n) != 0 || PUT_LIT(b, "{") != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if ((i > 0 && PUT_LIT(b, ",") != 0) || put_scalar(r, b, 0) != 0 || PUT_LIT(b, ":") != 0 ||
            put_value(r, b) != 0)
            return -1;
    }
    return PUT_LIT(b, "}");
}

/* A set's or a list's members: strings (binary ones in base64) or, for a list, values. */
static int put_array(ddb_reader_t *r, ddb_buf_t *b, int kind) {
    size_t n;
    if (ddb_read_varint(r, &n) != 0 || PUT_LIT(b, "[") != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && PUT_LIT(b, ",") != 0)
            return -1;
        if ((kind == DDB_TAG_L ? put_value(r, b) : put_scalar(r, b, kind == DDB_TAG_BS)) != 0)
            return -1;
    }
    return PUT_LIT(b, "]");
}

static int put_value(ddb_reader_t *r, ddb_buf_t *b) {
    if (r->p >= r->end)
        return -1;
    int rc;
    switch (*r->p++) {
    case DDB_TAG_S: rc = PUT_LIT(b, "{\"S\":") || put_scalar(r, b, 0); break;
    case DDB_TAG_N: rc = PUT_LIT(b, "{\"N\":") || put_scalar(r, b, 0); break;
    case DDB_TAG_B: rc = PUT_LIT(b, "{\"B\":") || put_scalar(r, b, 1); break;
    case DDB_TAG_TRUE: rc = PUT_LIT(b, "{\"BOOL\":true"); break;
    case DDB_TAG_FALSE: rc = PUT_LIT(b, "{\"BOOL\":false"); break;
    case DDB_TAG_NULL: rc = PUT_LIT(b, "{\"NULL\":true"); break;
    case DDB_TAG_SS: rc = PUT_LIT(b, "{\"SS\":") || put_array(r, b, DDB_TAG_SS); break;
    case DDB_TAG_NS: rc = PUT_LIT(b, "{\"NS\":") || put_array(r, b, DDB_TAG_NS); break;
    case DDB_TAG_BS: rc = PUT_LIT(b, "{\"BS\":") || put_array(r, b, DDB_TAG_BS); break;
    case DDB_TAG_L: rc = PUT_LIT(b, "{\"L\":") || put_array(r, b, DDB_TAG_L); break;
    case DDB_TAG_M: rc = PUT_LIT(b, "{\"M\":") || put_map(r, b); break;
    default: return -1;
    }
    return rc || PUT_LIT(b, "}") ? -1 : 0;
}

int ddb_item_text(const uint8_t *data, size_t len, ddb_buf_t *out) {
    ddb_reader_t r = {data, data + len};
    if (put_map(&r, out) != 0 || r.p != r.end)
        return -1;
    return 0;
}
