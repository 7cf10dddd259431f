#include "ddb_codec.h"

#include <stdlib.h>
#include <string.h>

enum { T_S = DDB_TAG_S, T_N = DDB_TAG_N, T_B = DDB_TAG_B, T_TRUE = DDB_TAG_TRUE, T_FALSE = DDB_TAG_FALSE,
       T_NULL = DDB_TAG_NULL, T_L = DDB_TAG_L, T_M = DDB_TAG_M, T_SS = DDB_TAG_SS, T_NS = DDB_TAG_NS,
       T_BS = DDB_TAG_BS };

void ddb_buf_free(ddb_buf_t *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int ddb_buf_reserve(ddb_buf_t *b, size_t more) {
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (d == NULL)
        return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

static int put_byte(ddb_buf_t *b, uint8_t v) {
    if (ddb_buf_reserve(b, 1) != 0)
        return -1;
    b->data[b->len++] = v;
    return 0;
}

static int put_varint(ddb_buf_t *b, size_t v) {
    do {
        if (put_byte(b, (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0))) != 0)
            return -1;
        v >>= 7;
    } while (v != 0);
    return 0;
}

static int put_str(ddb_buf_t *b, const char *s, size_t n) {
    if (put_varint(b, n) != 0 || ddb_buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static int put_value(ddb_buf_t *b, const json_t *av);

static int put_set(ddb_buf_t *b, uint8_t tag, const json_t *arr) {
    if (!json_is_array(arr) || put_byte(b, tag) != 0 || put_varint(b, json_array_size(arr)) != 0)
        return -1;
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || put_str(b, json_string_value(v), json_string_length(v)) != 0)
            return -1;
    }
    return 0;
}

static int put_map(ddb_buf_t *b, const json_t *obj) {
    if (!json_is_object(obj) || put_varint(b, json_object_size(obj)) != 0)
        return -1;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (put_str(b, k, strlen(k)) != 0 || put_value(b, v) != 0)
            return -1;
    }
    return 0;
}

static int put_value(ddb_buf_t *b, const json_t *av) {
    const char *type;
    const json_t *v;
    if (!json_is_object(av) || json_object_size(av) != 1)
        return -1;
    json_object_foreach((json_t *)av, type, v) {
        if (type[0] == '\0' || (type[1] != '\0' && type[2] != '\0' && strcmp(type, "BOOL") != 0 &&
                                strcmp(type, "NULL") != 0))
            return -1;
        if (strcmp(type, "S") == 0 || strcmp(type, "N") == 0 || strcmp(type, "B") == 0) {
            if (!json_is_string(v))
                return -1;
            return put_byte(b, (uint8_t)type[0]) != 0 ? -1 : put_str(b, json_string_value(v), json_string_length(v));
        }
        if (strcmp(type, "BOOL") == 0)
            return put_byte(b, json_is_true(v) ? T_TRUE : T_FALSE);
        if (strcmp(type, "NULL") == 0)
            return put_byte(b, T_NULL);
        if (strcmp(type, "SS") == 0)
            return put_set(b, T_SS, v);
        if (strcmp(type, "NS") == 0)
            return put_set(b, T_NS, v);
        if (strcmp(type, "BS") == 0)
            return put_set(b, T_BS, v);
        if (strcmp(type, "L") == 0) {
            if (!json_is_array(v) || put_byte(b, T_L) != 0 || put_varint(b, json_array_size(v)) != 0)
                return -1;
            size_t i;
            const json_t *e;
            json_array_foreach(v, i, e) {
                if (put_value(b, e) != 0)
                    return -1;
            }
            return 0;
        }
        if (strcmp(type, "M") == 0)
            return put_byte(b, T_M) != 0 ? -1 : put_map(b, v);
    }
    return -1;
}

int ddb_item_encode(const json_t *item, ddb_buf_t *out) { return put_map(out, item); }

typedef ddb_reader_t reader_t;

int ddb_read_varint(reader_t *r, size_t *out) {
    size_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return -1;
        uint8_t c = *r->p++;
        v |= (size_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int ddb_read_str(reader_t *r, const char **s, size_t *n) {
    if (ddb_read_varint(r, n) != 0 || (size_t)(r->end - r->p) < *n)
        return -1;
    *s = (const char *)r->p;
    r->p += *n;
    return 0;
}

static json_t *get_value(reader_t *r);

static json_t *get_map(reader_t *r) {
    size_t n;
    if (ddb_read_varint(r, &n) != 0)
        return NULL;
    json_t *obj = json_object();
    for (size_t i = 0; obj != NULL && i < n; i++) {
        const char *k;
        size_t klen;
        if (ddb_read_str(r, &k, &klen) != 0) {
            json_decref(obj);
            return NULL;
        }
        json_t *v = get_value(r);
        if (v == NULL || json_object_setn_new_nocheck(obj, k, klen, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *get_set(reader_t *r) {
    size_t n;
    if (ddb_read_varint(r, &n) != 0)
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        const char *s;
        size_t len;
        if (ddb_read_str(r, &s, &len) != 0 || json_array_append_new(arr, json_stringn_nocheck(s, len)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *wrap(const char *type, json_t *v) {
    if (v == NULL)
        return NULL;
    json_t *av = json_object();
    if (av == NULL || json_object_set_new_nocheck(av, type, v) != 0) {
        json_decref(av);
        return NULL;
    }
    return av;
}

static json_t *get_value(reader_t *r) {
    if (r->p >= r->end)
        return NULL;
    uint8_t tag = *r->p++;
    const char *s;
    size_t n;
    switch (tag) {
    case T_S:
    case T_N:
    case T_B: {
        char type[2] = {(char)tag, '\0'};
        return ddb_read_str(r, &s, &n) != 0 ? NULL : wrap(type, json_stringn_nocheck(s, n));
    }
    case T_TRUE:
        return wrap("BOOL", json_true());
    case T_FALSE:
        return wrap("BOOL", json_false());
    case T_NULL:
        return wrap("NULL", json_true());
    case T_SS:
        return wrap("SS", get_set(r));
    case T_NS:
        return wrap("NS", get_set(r));
    case T_BS:
        return wrap("BS", get_set(r));
    case T_M:
        return wrap("M", get_map(r));
    case T_L: {
        if (ddb_read_varint(r, &n) != 0)
            return NULL;
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < n; i++) {
            json_t *e = get_value(r);
            if (e == NULL || json_array_append_new(arr, e) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return wrap("L", arr);
    }
    default:
        return NULL;
    }
}

json_t *ddb_item_decode(const uint8_t *data, size_t len) {
    reader_t r = {data, data + len};
    json_t *item = get_map(&r);
    if (item != NULL && r.p != r.end) {
        json_decref(item);
        return NULL;
    }
    return item;
}
