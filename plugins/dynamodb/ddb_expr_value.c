/* DynamoDB attribute values: types, equality and order as DynamoDB compares them, document paths,
 * and operand evaluation without allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_int.h"

static const char *const type_names[] = {"", "S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"};

const char *ddb_type_name(ddb_type_t t)
{
    return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "";
}

static ddb_type_t type_from_key(const char *k)
{
    switch (k[0]) {
    case 'S':
        return k[1] == 0 ? DDB_T_S : (k[1] == 'S' && !k[2]) ? DDB_T_SS : DDB_T_NONE;
    case 'N':
        if (k[1] == 0)
            return DDB_T_N;
        if (k[1] == 'S' && !k[2])
            return DDB_T_NS;
        return strcmp(k, "NULL") == 0 ? DDB_T_NULL : DDB_T_NONE;
    case 'B':
        if (k[1] == 0)
            return DDB_T_B;
        if (k[1] == 'S' && !k[2])
            return DDB_T_BS;
        return strcmp(k, "BOOL") == 0 ? DDB_T_BOOL : DDB_T_NONE;
    case 'L':
        return k[1] == 0 ? DDB_T_L : DDB_T_NONE;
    case 'M':
        return k[1] == 0 ? DDB_T_M : DDB_T_NONE;
    default:
        return DDB_T_NONE;
    }
}

ddb_type_t ddb_value_type(const json_t *av, json_t **payload)
{
    if (payload)
        *payload = NULL;
    if (!json_is_object(av))
        return DDB_T_NONE;
    void *it = json_object_iter((json_t *)av);
    if (!it)
        return DDB_T_NONE;
    ddb_type_t t = type_from_key(json_object_iter_key(it));
    if (payload)
        *payload = json_object_iter_value(it);
    return t;
}

/* ---- base64 as a byte stream ---- */

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

void ddb_b64_init(ddb_b64_t *it, const char *s, size_t len)
{
    it->s = s;
    it->len = len;
    it->pos = 0;
    it->n = it->i = 0;
}

int ddb_b64_next(ddb_b64_t *it)
{
    if (it->i < it->n)
        return it->buf[it->i++];
    uint32_t acc = 0;
    int got = 0;
    while (got < 4 && it->pos < it->len) {
        int v = b64_val(it->s[it->pos++]);
        if (v < 0)
            continue; /* padding, whitespace */
        acc = acc << 6 | (uint32_t)v;
        got++;
    }
    if (got < 2)
        return -1;
    acc <<= 6 * (4 - got);
    it->buf[0] = (uint8_t)(acc >> 16);
    it->buf[1] = (uint8_t)(acc >> 8);
    it->buf[2] = (uint8_t)acc;
    it->n = got - 1;
    it->i = 1;
    return it->buf[0];
}

int ddb_bytes_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    ddb_b64_t x, y;
    ddb_b64_init(&x, a, alen);
    ddb_b64_init(&y, b, blen);
    for (;;) {
        int p = ddb_b64_next(&x), q = ddb_b64_next(&y);
        if (p != q)
            return p < q ? -1 : 1;
        if (p < 0)
            return 0;
    }
}

bool ddb_bytes_prefix(const char *s, size_t slen, const char *prefix, size_t plen)
{
    ddb_b64_t x, y;
    ddb_b64_init(&x, s, slen);
    ddb_b64_init(&y, prefix, plen);
    for (;;) {
        int q = ddb_b64_next(&y);
        if (q < 0)
            return true;
        if (ddb_b64_next(&x) != q)
            return false;
    }
}

size_t ddb_bytes_len(const char *s, size_t len)
{
    ddb_b64_t x;
    size_t n = 0;
    ddb_b64_init(&x, s, len);
    while (ddb_b64_next(&x) >= 0)
        n++;
    return n;
}

bool ddb_bytes_contains(const char *s, size_t slen, const char *needle, size_t nlen)
{
    size_t hl = ddb_bytes_len(s, slen), nl = ddb_bytes_len(needle, nlen);
    if (nl == 0)
        return true;
    if (nl > hl)
        return false;
    /* Rare (contains on a B attribute): compare from each start without decoding into memory. */
    for (size_t start = 0; start + nl <= hl; start++) {
        ddb_b64_t x, y;
        ddb_b64_init(&x, s, slen);
        ddb_b64_init(&y, needle, nlen);
        for (size_t k = 0; k < start; k++)
            ddb_b64_next(&x);
        size_t k = 0;
        while (k < nl && ddb_b64_next(&x) == ddb_b64_next(&y))
            k++;
        if (k == nl)
            return true;
    }
    return false;
}

/* ---- equality and order ---- */

static bool num_text_equal(const json_t *a, const json_t *b)
{
    ddb_num_t x, y;
    if (!json_is_string(a) || !json_is_string(b))
        return false;
    if (ddb_num_parse(json_string_value(a), json_string_length(a), &x) != DDB_NUM_OK ||
        ddb_num_parse(json_string_value(b), json_string_length(b), &y) != DDB_NUM_OK)
        return false;
    return ddb_num_cmp(&x, &y) == 0;
}

static bool str_equal(const json_t *a, const json_t *b)
{
    return json_is_string(a) && json_is_string(b) && json_string_length(a) == json_string_length(b) &&
           memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
}

static bool bytes_equal(const json_t *a, const json_t *b)
{
    return json_is_string(a) && json_is_string(b) &&
           ddb_bytes_compare(json_string_value(a), json_string_length(a), json_string_value(b),
                             json_string_length(b)) == 0;
}

static bool scalar_equal(ddb_type_t t, const json_t *a, const json_t *b)
{
    switch (t) {
    case DDB_T_S:
    case DDB_T_SS:
        return str_equal(a, b);
    case DDB_T_N:
    case DDB_T_NS:
        return num_text_equal(a, b);
    case DDB_T_B:
    case DDB_T_BS:
        return bytes_equal(a, b);
    default:
        return false;
    }
}

static bool payload_equal(ddb_type_t t, const json_t *a, const json_t *b)
{
    switch (t) {
    case DDB_T_S:
    case DDB_T_N:
    case DDB_T_B:
        return scalar_equal(t, a, b);
    case DDB_T_BOOL:
        return json_is_boolean(a) && json_is_boolean(b) && json_is_true(a) == json_is_true(b);
    case DDB_T_NULL:
        return true;
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS: {
        if (!json_is_array(a) || !json_is_array(b) || json_array_size(a) != json_array_size(b))
            return false;
        size_t i, j;
        json_t *x, *y;
        json_array_foreach(a, i, x) {
            bool found = false;
            json_array_foreach(b, j, y) {
                if (scalar_equal(t, x, y)) {
                    found = true;
                    break;
                }
            }
            if (!found)
                return false;
        }
        return true;
    }
    case DDB_T_L: {
        if (!json_is_array(a) || !json_is_array(b) || json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!ddb_value_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    case DDB_T_M: {
        if (!json_is_object(a) || !json_is_object(b) || json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)a, k, x) {
            if (!ddb_value_equal(x, json_object_get(b, k)))
                return false;
        }
        return true;
    }
    default:
        return false;
    }
}

bool ddb_value_equal(const json_t *a, const json_t *b)
{
    json_t *pa, *pb;
    ddb_type_t ta = ddb_value_type(a, &pa), tb = ddb_value_type(b, &pb);
    return ta != DDB_T_NONE && ta == tb && payload_equal(ta, pa, pb);
}

static int str_compare(const json_t *a, const json_t *b)
{
    size_t la = json_string_length(a), lb = json_string_length(b);
    int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
    if (c)
        return c < 0 ? -1 : 1;
    return (la > lb) - (la < lb);
}

int ddb_value_compare(const json_t *a, const json_t *b, int *cmp)
{
    json_t *pa, *pb;
    ddb_type_t ta = ddb_value_type(a, &pa), tb = ddb_value_type(b, &pb);
    if (ta != tb || !json_is_string(pa) || !json_is_string(pb))
        return -1;
    switch (ta) {
    case DDB_T_S:
        *cmp = str_compare(pa, pb);
        return 0;
    case DDB_T_B:
        *cmp = ddb_bytes_compare(json_string_value(pa), json_string_length(pa), json_string_value(pb),
                                 json_string_length(pb));
        return 0;
    case DDB_T_N: {
        ddb_num_t x, y;
        if (ddb_num_parse(json_string_value(pa), json_string_length(pa), &x) != DDB_NUM_OK ||
            ddb_num_parse(json_string_value(pb), json_string_length(pb), &y) != DDB_NUM_OK)
            return -1;
        *cmp = ddb_num_cmp(&x, &y);
        return 0;
    }
    default:
        return -1;
    }
}

/* ---- document paths ---- */

json_t *ddb_path_get(const json_t *item, const ddb_path_t *path)
{
    if (!item || path->n == 0)
        return NULL;
    const ddb_pelem_t *e = &path->e[0];
    json_t *v = json_object_getn(item, e->name, e->len);
    for (uint16_t i = 1; v && i < path->n; i++) {
        json_t *payload;
        ddb_type_t t = ddb_value_type(v, &payload);
        e = &path->e[i];
        if (e->name)
            v = t == DDB_T_M ? json_object_getn(payload, e->name, e->len) : NULL;
        else
            v = t == DDB_T_L ? json_array_get(payload, e->index) : NULL;
    }
    return v;
}

void ddb_path_str(const ddb_path_t *path, char *buf, size_t size)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "[");
    for (uint16_t i = 0; i < path->n; i++) {
        const ddb_pelem_t *e = &path->e[i];
        const char *sep = i ? ", " : "";
        if (e->name)
            k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "%s%.*s", sep, (int)e->len, e->name);
        else
            k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "%s[%u]", sep, e->index);
    }
    snprintf(buf + k, k < size ? size - k : 0, "]");
}

static bool pelem_equal(const ddb_pelem_t *a, const ddb_pelem_t *b)
{
    if (!a->name != !b->name)
        return false;
    if (!a->name)
        return a->index == b->index;
    return a->len == b->len && memcmp(a->name, b->name, a->len) == 0;
}

bool ddb_path_equal(const ddb_path_t *a, const ddb_path_t *b)
{
    if (a->n != b->n)
        return false;
    for (uint16_t i = 0; i < a->n; i++)
        if (!pelem_equal(&a->e[i], &b->e[i]))
            return false;
    return true;
}

int ddb_path_relation(const ddb_path_t *a, const ddb_path_t *b)
{
    uint16_t n = a->n < b->n ? a->n : b->n;
    for (uint16_t i = 0; i < n; i++) {
        if (!a->e[i].name != !b->e[i].name)
            return 2;
        if (!pelem_equal(&a->e[i], &b->e[i]))
            return 0;
    }
    return 1;
}

/* ---- operands ---- */

void ddb_opnd_eval(const ddb_opnd_t *o, const json_t *item, ddb_ev_t *ev)
{
    ev->type = DDB_T_NONE;
    ev->av = NULL;
    ev->payload = NULL;
    ev->num = NULL;
    switch (o->kind) {
    case OPND_VALUE:
        ev->av = o->av;
        ev->type = ddb_value_type(o->av, &ev->payload);
        ev->num = o->num;
        return;
    case OPND_PATH:
        ev->av = ddb_path_get(item, &o->path);
        if (ev->av)
            ev->type = ddb_value_type(ev->av, &ev->payload);
        return;
    case OPND_SIZE: {
        ddb_ev_t in;
        ddb_opnd_eval(o->a, item, &in);
        int64_t n;
        switch (in.type) {
        case DDB_T_S:
            n = (int64_t)json_string_length(in.payload); /* size() of a string is its UTF-8 byte count */
            break;
        case DDB_T_B:
            n = (int64_t)ddb_bytes_len(json_string_value(in.payload), json_string_length(in.payload));
            break;
        case DDB_T_SS:
        case DDB_T_NS:
        case DDB_T_BS:
        case DDB_T_L:
            n = (int64_t)json_array_size(in.payload);
            break;
        case DDB_T_M:
            n = (int64_t)json_object_size(in.payload);
            break;
        default:
            return; /* size of a number, bool, null or missing attribute: no value */
        }
        ddb_num_from_int(n, &ev->tmp);
        ev->type = DDB_T_N;
        ev->num = &ev->tmp;
        return;
    }
    default:
        return; /* update-only operands are evaluated by the update code */
    }
}

const ddb_num_t *ddb_ev_num(const ddb_ev_t *ev, ddb_num_t *scratch)
{
    if (ev->type != DDB_T_N)
        return NULL;
    if (ev->num)
        return ev->num;
    if (!json_is_string(ev->payload) ||
        ddb_num_parse(json_string_value(ev->payload), json_string_length(ev->payload), scratch) != DDB_NUM_OK)
        return NULL;
    return scratch;
}

void ddb_av_str(const json_t *av, char *buf, size_t size)
{
    json_t *payload;
    ddb_type_t t = ddb_value_type(av, &payload);
    if (json_is_string(payload)) {
        snprintf(buf, size, "AttributeValue: {%s:%s}", ddb_type_name(t), json_string_value(payload));
    } else {
        char *dump = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, size, "AttributeValue: {%s:%s}", ddb_type_name(t), dump ? dump : "");
        free(dump);
    }
}
