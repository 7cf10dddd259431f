#include "proto/rest.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "proto/eventstream.h"
#include "proto/rest_plan.h"
#include "nimbus/errno.h"
#include "util/codec.h"

/* Largest body the marshaller reads into memory for a non-streaming payload. */
#define REST_MAX_BODY (64u * 1024 * 1024)

static int bad_value(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__rest_codec_t *codec,
                     nb__aws_error_t *err, const char *where, const char *name, const char *why) {
    nb__aws_error_set(err, spec, op, codec->bad_input_code ? codec->bad_input_code : "SerializationException", 400,
                      "Invalid value for %s '%s': %s", where, name, why);
    return NB_EPROTO;
}

/* ---- URI labels ---- */

static int bind_text(const nb__member_t *m, const char *text, size_t len, json_t *obj, const char **why) {
    json_t *v = NULL;
    int rc = nb__scalar_from_text_kind(m->shape, m->kind, text, len, &v, why);
    if (rc == 0)
        json_object_set_new(obj, m->name, v);
    return rc;
}

/* The uri member whose locationName (else name) is the label. */
static bool label_member(const nb__rest_plan_t *plan, const char *label, nb__member_t *m) {
    for (size_t i = 0; plan && i < plan->n; i++)
        if (plan->all[i].loc == NB_REST_URI && strcmp(plan->all[i].wire, label) == 0) {
            *m = plan->all[i].m;
            return true;
        }
    const nb__rest_binding_t *b = nb__rest_plan_member(plan, label);
    if (b)
        *m = b->m;
    return b != NULL;
}

static int parse_labels(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__rest_plan_t *plan,
                        const char *path, const nb__rest_codec_t *codec, json_t *input, nb__aws_error_t *err) {
    const char *p = op->request_uri ? op->request_uri : "/";
    const char *s = path ? path : "/";
    while (*p && *p != '?') {
        if (*p != '{') {
            if (*p != *s)
                return 0; /* the router matched already; a mismatch here binds nothing more */
            p++, s++;
            continue;
        }
        const char *close = strchr(p, '}');
        if (close == NULL)
            return 0;
        char name[128];
        size_t nlen = (size_t)(close - p - 1);
        bool greedy = nlen > 0 && p[nlen] == '+';
        if (greedy)
            nlen--;
        if (nlen >= sizeof name)
            return 0;
        memcpy(name, p + 1, nlen);
        name[nlen] = '\0';
        p = close + 1;
        /* the literal text after the label, up to the next label or the query */
        size_t lit = strcspn(p, "{?");
        const char *end;
        if (greedy) {
            size_t slen = strlen(s);
            if (p[lit] != '{' && lit <= slen && strncmp(s + slen - lit, p, lit) == 0)
                end = s + slen - lit;
            else
                end = s + strcspn(s, "?");
        } else {
            end = s + strcspn(s, "/?");
            if (*p && *p != '/') { /* label inside a segment: stop at the next literal char */
                const char *q = memchr(s, *p, (size_t)(end - s));
                if (q)
                    end = q;
            }
        }
        nb__member_t m;
        if (label_member(plan, name, &m)) {
            size_t dlen = 0;
            char *dec = nb__url_decode(s, (size_t)(end - s), false, &dlen);
            if (dec == NULL)
                return bad_value(spec, op, codec, err, "path label", name, "bad percent-encoding");
            const char *why = NULL;
            int rc = bind_text(&m, dec, dlen, input, &why);
            free(dec);
            if (rc)
                return bad_value(spec, op, codec, err, "path label", name, why);
        }
        s = end;
    }
    return 0;
}

/* ---- query string ---- */

typedef struct qparam {
    char *key, *value;
    size_t value_len; /* a value may hold a %00: the validator refuses it, nothing cuts it short */
    bool used;
} qparam_t;

typedef struct qparams {
    qparam_t *items;
    size_t len;
} qparams_t;

static void qparams_free(qparams_t *q) {
    for (size_t i = 0; i < q->len; i++) {
        free(q->items[i].key);
        free(q->items[i].value);
    }
    free(q->items);
}

static int qparams_parse(const char *query, qparams_t *q) {
    q->items = NULL;
    q->len = 0;
    if (query == NULL)
        return 0;
    const char *s = query;
    while (*s) {
        size_t n = strcspn(s, "&");
        if (n) {
            const char *eq = memchr(s, '=', n);
            size_t klen = eq ? (size_t)(eq - s) : n;
            qparam_t *grown = realloc(q->items, (q->len + 1) * sizeof *grown);
            if (grown == NULL)
                return NB_ENOMEM;
            q->items = grown;
            qparam_t *it = &q->items[q->len];
            it->used = false;
            it->value_len = 0;
            size_t key_len = 0;
            it->key = nb__url_decode(s, klen, true, &key_len);
            it->value = eq ? nb__url_decode(eq + 1, n - klen - 1, true, &it->value_len) : strdup("");
            /* a parameter name is matched as a C string: one with a NUL would match a shorter one */
            if (it->key == NULL || it->value == NULL || memchr(it->key, '\0', key_len)) {
                free(it->key);
                free(it->value);
                return NB_EPROTO;
            }
            q->len++;
        }
        s += n;
        if (*s == '&')
            s++;
    }
    return 0;
}

static int parse_query(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__rest_plan_t *plan,
                       const char *query, const nb__rest_codec_t *codec, json_t *input, nb__aws_error_t *err) {
    qparams_t q;
    int rc = qparams_parse(query, &q);
    if (rc) {
        qparams_free(&q);
        return rc == NB_EPROTO ? bad_value(spec, op, codec, err, "query string", "",
                                           "bad percent-encoding or a NUL in a parameter name")
                               : rc;
    }
    /* Literal parameters of the requestUri ("?x-id=GetObject") belong to no member. */
    const char *lit = op->request_uri ? strchr(op->request_uri, '?') : NULL;
    if (lit) {
        qparams_t l;
        if (qparams_parse(lit + 1, &l) == 0)
            for (size_t i = 0; i < l.len; i++)
                for (size_t j = 0; j < q.len; j++)
                    if (strcmp(q.items[j].key, l.items[i].key) == 0)
                        q.items[j].used = true;
        qparams_free(&l);
    }
    const nb__member_t *map_member = NULL;
    nb__member_t map_m;
    for (size_t mi = 0; plan && rc == 0 && mi < plan->n; mi++) {
        if (plan->all[mi].loc != NB_REST_QUERY)
            continue;
        nb__member_t m = plan->all[mi].m;
        if (m.kind == NB_SHAPE_MAP) {
            map_m = m;
            map_member = &map_m;
            continue;
        }
        const char *name = plan->all[mi].wire;
        const char *why = NULL;
        if (m.kind == NB_SHAPE_LIST) {
            const json_t *eshape = nb__spec_ref_shape(spec, json_object_get(m.shape, "member"));
            json_t *arr = NULL;
            for (size_t i = 0; i < q.len && rc == 0; i++) {
                if (strcmp(q.items[i].key, name) != 0)
                    continue;
                q.items[i].used = true;
                json_t *v;
                if (nb__scalar_from_text(eshape, q.items[i].value, q.items[i].value_len, &v, &why)) {
                    rc = bad_value(spec, op, codec, err, "query parameter", name, why);
                    break;
                }
                if (arr == NULL)
                    arr = json_array();
                json_array_append_new(arr, v);
            }
            if (arr)
                json_object_set_new(input, m.name, arr);
            continue;
        }
        for (size_t i = 0; i < q.len; i++) {
            if (strcmp(q.items[i].key, name) != 0)
                continue;
            bool first = !q.items[i].used;
            q.items[i].used = true;
            if (first && !json_object_get(input, m.name) &&
                bind_text(&m, q.items[i].value, q.items[i].value_len, input, &why))
                rc = bad_value(spec, op, codec, err, "query parameter", name, why);
        }
    }
    /* A map takes every parameter no other member claimed. */
    if (rc == 0 && map_member) {
        const json_t *vshape = nb__spec_ref_shape(spec, json_object_get(map_member->shape, "value"));
        bool of_lists = nb__shape_kind(vshape) == NB_SHAPE_LIST;
        const json_t *eshape = of_lists ? nb__spec_ref_shape(spec, json_object_get(vshape, "member")) : vshape;
        json_t *map = json_object();
        for (size_t i = 0; i < q.len && rc == 0; i++) {
            if (q.items[i].used)
                continue;
            json_t *v;
            const char *why = NULL;
            if (nb__scalar_from_text(eshape, q.items[i].value, q.items[i].value_len, &v, &why)) {
                rc = bad_value(spec, op, codec, err, "query parameter", q.items[i].key, why);
                break;
            }
            if (of_lists) {
                json_t *arr = json_object_get(map, q.items[i].key);
                if (arr == NULL) {
                    arr = json_array();
                    json_object_set_new(map, q.items[i].key, arr);
                }
                json_array_append_new(arr, v);
            } else if (json_object_get(map, q.items[i].key) == NULL) {
                json_object_set_new(map, q.items[i].key, v);
            } else {
                json_decref(v);
            }
        }
        if (json_object_size(map))
            json_object_set_new(input, map_member->name, map);
        else
            json_decref(map);
    }
    qparams_free(&q);
    return rc;
}

/* ---- headers ---- */

json_t *nb__rest_split_header_list(const char *value, bool is_timestamp) {
    json_t *arr = json_array();
    const char *s = value;
    nb__buf_t cur = NB__BUF_INIT;
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        nb__buf_reset(&cur);
        nb__buf_puts(&cur, "");
        if (*s == '"') {
            s++;
            while (*s && *s != '"') {
                if (*s == '\\' && s[1])
                    s++;
                nb__buf_putc(&cur, *s++);
            }
            if (*s == '"')
                s++;
            while (*s && *s != ',')
                s++;
        } else {
            size_t n = strcspn(s, ",");
            /* "Mon, 16 Dec 2019 23:48:18 GMT": the weekday's comma is not a separator */
            if (is_timestamp && n == 3 && s[n] == ',') {
                n += 1 + strcspn(s + n + 1, ",");
            }
            size_t e = n;
            while (e && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                e--;
            nb__buf_append(&cur, s, e);
            s += n;
        }
        json_array_append_new(arr, json_stringn(cur.data ? cur.data : "", cur.len));
        if (*s == ',')
            s++;
    }
    nb__buf_free(&cur);
    return arr;
}

/* A request's header names by length and lower-cased first letter: an input has dozens of
 * header members (PutObject ~40) and a request a dozen headers, so each member rules out
 * nearly every header without a strcasecmp. Headers past KEYED_HEADERS are compared in full. */
#define KEYED_HEADERS 64
typedef struct header_keys {
    size_t n;
    uint32_t key[KEYED_HEADERS]; /* nb__rest_header_key */
} header_keys_t;

static void header_keys_init(header_keys_t *k, const nb__headers_t *h) {
    k->n = h->len < KEYED_HEADERS ? h->len : KEYED_HEADERS;
    for (size_t i = 0; i < k->n; i++)
        k->key[i] = nb__rest_header_key(h->items[i].name, strlen(h->items[i].name));
}

static bool header_matches(const nb__headers_t *h, const header_keys_t *keys, size_t i, const nb__rest_binding_t *member) {
    return (i >= keys->n || keys->key[i] == member->key) && strcasecmp(h->items[i].name, member->wire) == 0;
}

/* Every value of the member's header joined with ", " (repeated header lines form one list), or
 * NULL when absent. A header sent once (nearly always) is its value as it stands, in *text with
 * *owned NULL: copying it would cost a malloc per header member. Else *owned is the joined text,
 * for the caller to free. */
static bool header_all(const nb__headers_t *h, const header_keys_t *keys, const nb__rest_binding_t *member,
                       const char **text, char **owned) {
    *owned = NULL;
    size_t i = 0;
    while (i < h->len && !header_matches(h, keys, i, member))
        i++;
    if (i == h->len)
        return false;
    *text = h->items[i].value;
    size_t j = i + 1;
    while (j < h->len && !header_matches(h, keys, j, member))
        j++;
    if (j == h->len)
        return true;
    nb__buf_t b = NB__BUF_INIT;
    nb__buf_puts(&b, h->items[i].value);
    for (; j < h->len; j++)
        if (header_matches(h, keys, j, member)) {
            nb__buf_puts(&b, ", ");
            nb__buf_puts(&b, h->items[j].value);
        }
    *owned = b.data ? nb__buf_steal(&b, NULL) : strdup("");
    *text = *owned ? *owned : "";
    return true;
}

static int parse_header_member(const nb__spec_t *spec, const nb__member_t *m, const char *text, json_t *input,
                               const char **why) {
    size_t len = strlen(text);
    if (nb__member_jsonvalue(m)) {
        size_t n = 0;
        unsigned char *raw = nb__base64_decode(text, len, &n);
        if (raw == NULL) {
            *why = "invalid base64";
            return NB_EINVAL;
        }
        json_t *v = json_loadb((const char *)raw, n, JSON_DECODE_ANY, NULL);
        free(raw);
        if (v == NULL) {
            *why = "invalid JSON";
            return NB_EINVAL;
        }
        json_object_set_new(input, m->name, v);
        return 0;
    }
    if (m->kind == NB_SHAPE_LIST) {
        const json_t *eshape = nb__spec_ref_shape(spec, json_object_get(m->shape, "member"));
        json_t *parts = nb__rest_split_header_list(text, nb__shape_kind(eshape) == NB_SHAPE_TIMESTAMP);
        json_t *arr = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(parts, i, p) {
            json_t *v;
            if (nb__scalar_from_text(eshape, json_string_value(p), json_string_length(p), &v, why)) {
                json_decref(parts);
                json_decref(arr);
                return NB_EINVAL;
            }
            json_array_append_new(arr, v);
        }
        json_decref(parts);
        json_object_set_new(input, m->name, arr);
        return 0;
    }
    return bind_text(m, text, len, input, why);
}

/* One header-bound member (a header, or a map of prefixed headers) into input: 0, or the error set. */
static int parse_header_bound(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__rest_binding_t *b,
                              const nb__headers_t *h, const header_keys_t *keys, const nb__rest_codec_t *codec,
                              json_t *input, nb__aws_error_t *err) {
    nb__member_t m = b->m;
    if (b->loc == NB_REST_HEADER) {
        const char *text;
        char *owned;
        if (!header_all(h, keys, b, &text, &owned))
            return 0;
        const char *why = NULL;
        int rc = parse_header_member(spec, &m, text, input, &why);
        free(owned);
        return rc ? bad_value(spec, op, codec, err, "header", b->wire, why) : 0;
    }
    const char *prefix = m.location_name_trait;
    size_t plen = prefix ? strlen(prefix) : 0;
    const json_t *vshape = NULL; /* looked up once a header has the prefix: most requests send none */
    json_t *map = NULL;
    for (size_t i = 0; i < h->len; i++) {
        const char *name = h->items[i].name;
        /* Length, then the prefix's next-to-last letter, before the whole: x-amz-meta- differs
         * from a request's many other x-amz-* headers there. */
        if (plen >= 2 && ((i < keys->n ? keys->key[i] >> 8 : strlen(name)) < plen ||
                          tolower((unsigned char)name[plen - 2]) != tolower((unsigned char)prefix[plen - 2])))
            continue;
        if (strncasecmp(name, prefix ? prefix : "", plen) != 0)
            continue;
        if (vshape == NULL)
            vshape = nb__spec_ref_shape(spec, json_object_get(m.shape, "value"));
        char *key = strdup(h->items[i].name + plen);
        if (key == NULL)
            continue;
        for (char *c = key; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        json_t *v;
        const char *why = NULL;
        if (nb__scalar_from_text(vshape, h->items[i].value, strlen(h->items[i].value), &v, &why)) {
            free(key);
            json_decref(map);
            return bad_value(spec, op, codec, err, "header", h->items[i].name, why);
        }
        if (map == NULL)
            map = json_object();
        json_object_set_new(map, key, v);
        free(key);
    }
    if (map)
        json_object_set_new(input, m.name, map);
    return 0;
}

/* Members bound outside the body that a request or an answer carries, kept in spec order (their
 * position in the structure): as walking every member would find them, in a handful of steps. */
#define BOUND_MAX 64
typedef struct bound {
    const nb__rest_binding_t *b;
    const json_t *v; /* an answer's value */
} bound_t;

/* Adds b (once) in spec order to the n entries of list: the new count. */
static size_t bound_add(bound_t *list, size_t n, const nb__rest_binding_t *b, const json_t *v) {
    size_t at = n;
    for (; at > 0 && list[at - 1].b->index >= b->index; at--)
        if (list[at - 1].b == b)
            return n;
    memmove(&list[at + 1], &list[at], (n - at) * sizeof *list);
    list[at].b = b;
    list[at].v = v;
    return n + 1;
}

static int parse_headers(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__rest_plan_t *plan,
                         const nb__headers_t *h, const nb__rest_codec_t *codec, json_t *input, nb__aws_error_t *err) {
    if (plan == NULL)
        return 0;
    header_keys_t keys;
    header_keys_init(&keys, h);
    if (plan->n_headers + plan->n_prefixed > BOUND_MAX) { /* every header-bound member looks for its header */
        for (size_t i = 0; i < plan->n; i++) {
            const nb__rest_binding_t *b = &plan->all[i];
            int rc = b->loc == NB_REST_HEADER || b->loc == NB_REST_HEADERS
                         ? parse_header_bound(spec, op, b, h, &keys, codec, input, err)
                         : 0;
            if (rc)
                return rc;
        }
        return 0;
    }
    /* Each of the request's headers finds its member among the header members sorted by key. */
    bound_t hits[BOUND_MAX];
    size_t n = 0;
    for (size_t i = 0; i < plan->n_prefixed; i++)
        n = bound_add(hits, n, plan->prefixed[i], NULL);
    for (size_t i = 0; i < h->len; i++) {
        const char *name = h->items[i].name;
        uint32_t key = i < keys.n ? keys.key[i] : nb__rest_header_key(name, strlen(name));
        size_t lo = 0, hi = plan->n_headers;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (plan->headers[mid]->key < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t j = lo; j < plan->n_headers && plan->headers[j]->key == key; j++)
            if (strcasecmp(name, plan->headers[j]->wire) == 0)
                n = bound_add(hits, n, plan->headers[j], NULL);
    }
    for (size_t i = 0; i < n; i++) {
        int rc = parse_header_bound(spec, op, hits[i].b, h, &keys, codec, input, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- payload ---- */

/* The payload member: the structure's "payload" trait, or (older specs) the
 * operation's input/output reference's. */
bool nb__rest_payload(const nb__spec_t *spec, const nb__spec_op_t *op, bool output, nb__member_t *m) {
    const json_t *shape = output ? op->output : op->input;
    if (nb__shape_payload(spec, shape, m))
        return true;
    const json_t *ref = json_object_get(op->def, output ? "output" : "input");
    const char *name = json_string_value(json_object_get(ref, "payload"));
    return name && nb__member_get(spec, shape, name, m);
}

bool nb__rest_has_body_members(const nb__spec_t *spec, const json_t *structure) {
    const nb__rest_plan_t *plan = nb__rest_plan(spec, structure);
    return plan && plan->has_body_members;
}

static int parse_body(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req,
                      const nb__rest_codec_t *codec, json_t *input, nb__aws_error_t *err) {
    nb__member_t pm;
    bool has_payload = nb__rest_payload(spec, op, false, &pm);
    if (has_payload && nb__member_streaming(&pm))
        return 0; /* the request body stays the handler's to read */
    if (!has_payload && !nb__rest_has_body_members(spec, op->input))
        return 0;
    int64_t size = nb__body_size(req->body);
    if (size <= 0)
        return 0;
    const char *data = nb__body_data(req->body, REST_MAX_BODY);
    if (data == NULL) {
        nb__aws_error_set(err, spec, op, "RequestEntityTooLarge", 413, "Request body is too large");
        return NB_ELIMIT;
    }
    size_t len = (size_t)size;
    if (has_payload) {
        json_t *v = NULL;
        if (pm.kind == NB_SHAPE_BLOB)
            v = nb__value_blob(data, len);
        else if (pm.kind == NB_SHAPE_STRING) {
            v = json_stringn(data, len);
            if (v == NULL)
                return bad_value(spec, op, codec, err, "payload", pm.name, "invalid UTF-8");
        } else {
            int rc = codec->parse(codec->ud, spec, op, pm.ref, pm.shape, data, len, &v, err);
            if (rc)
                return rc;
        }
        if (v)
            json_object_set_new(input, pm.name, v);
        return 0;
    }
    json_t *body = NULL;
    int rc = codec->parse(codec->ud, spec, op, NULL, op->input, data, len, &body, err);
    if (rc)
        return rc;
    if (json_is_object(body)) {
        /* members bound elsewhere win over a body that repeats them */
        const char *k;
        json_t *v;
        json_object_foreach(body, k, v) if (json_object_get(input, k) == NULL) json_object_set(input, k, v);
    }
    json_decref(body);
    return 0;
}

int nb__rest_parse(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req,
                   const nb__rest_codec_t *codec, json_t **input, nb__aws_error_t *err) {
    *input = json_object();
    if (*input == NULL)
        return NB_ENOMEM;
    if (op->input == NULL)
        return 0;
    const nb__rest_plan_t *plan = nb__rest_plan(spec, op->input);
    int rc = parse_labels(spec, op, plan, req->path, codec, *input, err);
    if (rc == 0)
        rc = parse_query(spec, op, plan, req->query, codec, *input, err);
    if (rc == 0)
        rc = parse_headers(spec, op, plan, &req->headers, codec, *input, err);
    if (rc == 0)
        rc = parse_body(spec, op, req, codec, *input, err);
    if (rc) {
        json_decref(*input);
        *input = NULL;
    }
    return rc;
}

/* ---- serializer ---- */

static char *header_text(const nb__spec_t *spec, const nb__member_t *m, const json_t *v) {
    if (nb__member_jsonvalue(m)) {
        char *js = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (js == NULL)
            return NULL;
        char *b64 = nb__base64_encode(js, strlen(js));
        free(js);
        return b64;
    }
    if (m->kind == NB_SHAPE_LIST) {
        const json_t *eref = json_object_get(m->shape, "member");
        const json_t *eshape = nb__spec_ref_shape(spec, eref);
        nb__time_format_t fmt = nb__timestamp_format(eref, eshape, NB_TIME_RFC822);
        nb__buf_t b = NB__BUF_INIT;
        nb__buf_puts(&b, "");
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            char *t = nb__scalar_to_text(eshape, e, fmt);
            if (t == NULL)
                continue;
            if (i)
                nb__buf_puts(&b, ", ");
            if (nb__shape_kind(eshape) == NB_SHAPE_STRING && strpbrk(t, ",\"")) {
                nb__buf_putc(&b, '"');
                for (const char *c = t; *c; c++) {
                    if (*c == '"' || *c == '\\')
                        nb__buf_putc(&b, '\\');
                    nb__buf_putc(&b, *c);
                }
                nb__buf_putc(&b, '"');
            } else {
                nb__buf_puts(&b, t);
            }
            free(t);
        }
        return nb__buf_steal(&b, NULL);
    }
    return nb__scalar_to_text(m->shape, v, nb__timestamp_format(m->ref, m->shape, NB_TIME_RFC822));
}

/* The text of the scalars most headers carry (strings, integers, timestamps), from the member's
 * precomputed kind and without an allocation: v's own string or buf; NULL for the others, which
 * header_text formats. */
static const char *header_scalar(const nb__member_t *m, const json_t *v, char buf[64]) {
    switch (m->kind) {
    case NB_SHAPE_STRING:
        /* a string with a NUL would be cut short here: header_text keeps its length */
        return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) && !nb__member_jsonvalue(m)
                   ? json_string_value(v)
                   : NULL;
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: {
        if (!json_is_integer(v))
            return NULL;
        json_int_t n = json_integer_value(v);
        unsigned long long u = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
        char *p = buf + 63;
        *p = '\0';
        do
            *--p = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        if (n < 0)
            *--p = '-';
        return p;
    }
    case NB_SHAPE_TIMESTAMP:
        if (!json_is_number(v))
            return NULL;
        nb__time_format(json_number_value(v), nb__timestamp_format(m->ref, m->shape, NB_TIME_RFC822), buf, 64);
        return buf;
    default:
        return NULL;
    }
}

/* One member's header(s) or status code into resp. */
static void emit_bound(const nb__spec_t *spec, const nb__rest_binding_t *b, const json_t *v, nb__http_response_t *resp) {
    nb__member_t m = b->m;
    if (b->loc == NB_REST_HEADER) {
        char buf[64];
        const char *direct = header_scalar(&m, v, buf);
        char *t = direct ? NULL : header_text(spec, &m, v);
        if (direct || t)
            nb__headers_set(&resp->headers, b->wire, direct ? direct : t);
        free(t);
    } else if (b->loc == NB_REST_HEADERS) {
        const char *prefix = m.location_name_trait;
        const json_t *vshape = nb__spec_ref_shape(spec, json_object_get(m.shape, "value"));
        const char *k;
        json_t *mv;
        json_object_foreach((json_t *)v, k, mv) {
            char *t = nb__scalar_to_text(vshape, mv, NB_TIME_RFC822);
            char *name = NULL;
            if (t && asprintf(&name, "%s%s", prefix ? prefix : "", k) >= 0)
                nb__headers_set(&resp->headers, name, t);
            free(name);
            free(t);
        }
    } else if (b->loc == NB_REST_STATUS && json_is_integer(v)) {
        json_int_t st = json_integer_value(v);
        if (st >= 100 && st <= 999)
            resp->status = (int)st;
    }
}

int nb__rest_serialize_headers(const nb__spec_t *spec, const json_t *shape, const json_t *value,
                               nb__http_response_t *resp) {
    if (!json_is_object(value))
        return 0;
    const nb__rest_plan_t *plan = nb__rest_plan(spec, shape);
    if (plan == NULL)
        return 0;
    if (json_object_size(value) > BOUND_MAX) { /* walk the members */
        for (size_t i = 0; i < plan->n; i++) {
            const json_t *v = json_object_get(value, plan->all[i].m.name);
            if (plan->all[i].loc != NB_REST_BODY && v && !json_is_null(v))
                emit_bound(spec, &plan->all[i], v, resp);
        }
        return 0;
    }
    /* An answer sets a few of its members: each value's member is looked up by name. */
    bound_t bound[BOUND_MAX];
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)value, k, v) {
        const nb__rest_binding_t *b = nb__rest_plan_member(plan, k);
        if (b != NULL && b->loc != NB_REST_BODY && !json_is_null(v))
            n = bound_add(bound, n, b, v);
    }
    for (size_t i = 0; i < n; i++)
        emit_bound(spec, bound[i].b, bound[i].v, resp);
    return 0;
}

typedef struct es_ctx {
    const nb__rest_codec_t *codec;
    const nb__spec_op_t *op;
} es_ctx_t;

static int es_struct(void *ud, const nb__spec_t *spec, const json_t *ref, const json_t *shape, const json_t *value,
                     nb__buf_t *out) {
    es_ctx_t *c = ud;
    return c->codec->serialize(c->codec->ud, spec, c->op, ref, shape, value, out);
}

int nb__rest_serialize(const nb__spec_t *spec, const nb__spec_op_t *op, const json_t *output, nb_body_t *stream,
                       const nb__rest_codec_t *codec, nb__http_response_t *resp) {
    resp->status = op->response_code ? op->response_code : 200;
    if (op->output == NULL) {
        if (stream)
            nb__body_free(stream);
        return 0;
    }
    nb__rest_serialize_headers(spec, op->output, output, resp);
    nb__member_t pm;
    if (nb__rest_payload(spec, op, true, &pm)) {
        const json_t *v = json_object_get(output, pm.name);
        if (nb__member_eventstream(&pm) && stream == NULL) {
            nb__headers_set(&resp->headers, "Content-Type", NB_EVENTSTREAM_CONTENT_TYPE);
            es_ctx_t ec = {codec, op};
            if (json_is_array(v) &&
                nb__es_serialize_events(spec, pm.shape, v, es_struct, &ec, codec->content_type, &resp->body))
                goto fail;
        } else if (nb__member_streaming(&pm)) {
            if (stream) {
                resp->stream = stream;
                stream = NULL;
            } else if (json_is_string(v)) {
                nb__buf_append(&resp->body, json_string_value(v), json_string_length(v));
            }
            if (nb__headers_get(&resp->headers, "Content-Type") == NULL)
                nb__headers_set(&resp->headers, "Content-Type", "application/octet-stream");
        } else if (pm.kind == NB_SHAPE_BLOB || pm.kind == NB_SHAPE_STRING) {
            if (json_is_string(v)) {
                nb__buf_append(&resp->body, json_string_value(v), json_string_length(v));
                if (nb__headers_get(&resp->headers, "Content-Type") == NULL)
                    nb__headers_set(&resp->headers, "Content-Type",
                                    pm.kind == NB_SHAPE_BLOB ? "application/octet-stream" : "text/plain");
            }
        } else if (v && !json_is_null(v)) {
            int rc = codec->serialize(codec->ud, spec, op, pm.ref, pm.shape, v, &resp->body);
            if (rc)
                goto fail;
            if (nb__headers_get(&resp->headers, "Content-Type") == NULL)
                nb__headers_set(&resp->headers, "Content-Type", codec->content_type);
        }
    } else if (nb__rest_has_body_members(spec, op->output)) {
        json_t *empty = output ? NULL : json_object();
        int rc = codec->serialize(codec->ud, spec, op, NULL, op->output, output ? output : empty, &resp->body);
        json_decref(empty);
        if (rc)
            goto fail;
        if (nb__headers_get(&resp->headers, "Content-Type") == NULL)
            nb__headers_set(&resp->headers, "Content-Type", codec->content_type);
    }
    if (stream)
        nb__body_free(stream);
    return 0;
fail:
    if (stream)
        nb__body_free(stream);
    return NB_EINVAL;
}
