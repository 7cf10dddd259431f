#include "router/rest_match.h"
#include "util/codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A requestUri path compiles to tokens: literal runs and labels. */
enum { TOK_LIT, TOK_LABEL, TOK_GREEDY };

typedef struct tok {
    uint8_t kind;
    const char *lit; /* TOK_LIT: points into the route's pattern copy */
    size_t len;
} tok_t;

typedef struct qreq {
    char *key;
    char *value; /* NULL: the key only has to be present */
} qreq_t;

typedef struct route {
    const nb__spec_op_t *op;
    const char *method;
    char *pattern; /* path part of the requestUri, trailing '/' dropped */
    tok_t *toks;
    size_t ntoks;
    size_t literal_chars, labels, greedy;
    qreq_t *lit_query; /* "?uploads", "?list-type=2": required as written */
    size_t nlit_query;
    char **req_query; /* required querystring members of the input shape */
    size_t nreq_query;
    char **req_headers; /* required header members of the input shape */
    size_t nreq_headers;
    bool deprecated;
    size_t pattern_id; /* routes with the same path pattern share it */
} route_t;

/* The routes of one HTTP method, so a request only looks at its own. */
typedef struct mgroup {
    const char *method;
    size_t *idx;
    size_t n;
} mgroup_t;

/* Path match results of one request, per pattern: 0 unknown, 1 yes, 2 no. */
#define PATTERN_CACHE 256

struct nb__rest_table {
    route_t *routes;
    size_t n;
    mgroup_t *groups;
    size_t ngroups;
    size_t npatterns;
};

/* ---- raw query helpers ---- */

/* Decodes one character of a query component at *i (advancing it). */
static int qchar(const char *s, size_t len, size_t *i) {
    char c = s[*i];
    if (c == '+') {
        (*i)++;
        return ' ';
    }
    if (c == '%' && *i + 2 < len) {
        int h = nb__hex_digit((unsigned char)s[*i + 1]), l = nb__hex_digit((unsigned char)s[*i + 2]);
        if (h >= 0 && l >= 0) {
            *i += 3;
            return h * 16 + l;
        }
    }
    (*i)++;
    return (unsigned char)c;
}

/* Does the raw component s[0..len) decode to exactly want? */
static bool qeq(const char *s, size_t len, const char *want) {
    size_t i = 0, j = 0;
    while (i < len) {
        int c = qchar(s, len, &i);
        if (want[j] == '\0' || (unsigned char)want[j] != c)
            return false;
        j++;
    }
    return want[j] == '\0';
}

typedef struct qpair {
    const char *k, *v;
    size_t klen, vlen;
    bool has_value;
} qpair_t;

static bool qnext(const char **cur, const char *end, qpair_t *p) {
    while (*cur < end) {
        const char *s = *cur;
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *e = amp ? amp : end;
        *cur = amp ? amp + 1 : end;
        if (e == s)
            continue;
        const char *eq = memchr(s, '=', (size_t)(e - s));
        p->k = s;
        p->klen = (size_t)((eq ? eq : e) - s);
        p->has_value = eq != NULL;
        p->v = eq ? eq + 1 : e;
        p->vlen = (size_t)(e - p->v);
        return true;
    }
    return false;
}

const char *nb__query_get(const char *query, size_t query_len, const char *key, char *buf, size_t len) {
    if (query == NULL || len == 0)
        return NULL;
    const char *cur = query, *end = query + query_len;
    qpair_t p;
    while (qnext(&cur, end, &p)) {
        if (!qeq(p.k, p.klen, key))
            continue;
        size_t i = 0, o = 0;
        while (i < p.vlen) {
            int c = qchar(p.v, p.vlen, &i);
            if (o + 1 < len)
                buf[o++] = (char)c;
        }
        buf[o] = '\0';
        return buf;
    }
    return NULL;
}

bool nb__query_has(const char *query, size_t query_len, const char *key) {
    if (query == NULL)
        return false;
    const char *cur = query, *end = query + query_len;
    qpair_t p;
    while (qnext(&cur, end, &p))
        if (qeq(p.k, p.klen, key))
            return true;
    return false;
}

static bool query_has_value(const char *query, size_t query_len, const char *key, const char *value) {
    const char *cur = query, *end = query + query_len;
    qpair_t p;
    while (qnext(&cur, end, &p))
        if (qeq(p.k, p.klen, key) && qeq(p.v, p.vlen, value))
            return true;
    return false;
}

/* ---- compiling a requestUri ---- */

static char *decode_dup(const char *s, size_t len) {
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    size_t i = 0, o = 0;
    while (i < len)
        out[o++] = (char)qchar(s, len, &i);
    out[o] = '\0';
    return out;
}

static int compile_query(route_t *r, const char *q) {
    size_t qlen = strlen(q), n = 0;
    const char *cur = q, *end = q + qlen;
    qpair_t p;
    while (qnext(&cur, end, &p))
        n++;
    if (n == 0)
        return 0;
    r->lit_query = calloc(n, sizeof *r->lit_query);
    if (r->lit_query == NULL)
        return -1;
    cur = q;
    while (qnext(&cur, end, &p)) {
        /* x-id names the operation for the client's benefit; AWS (and
         * LocalStack) do not require it, so neither does the match. */
        if (qeq(p.k, p.klen, "x-id"))
            continue;
        qreq_t *qr = &r->lit_query[r->nlit_query++];
        qr->key = decode_dup(p.k, p.klen);
        if (qr->key == NULL)
            return -1;
        if (p.has_value && p.vlen) {
            qr->value = decode_dup(p.v, p.vlen);
            if (qr->value == NULL)
                return -1;
        }
    }
    return 0;
}

static int compile_path(route_t *r, const char *path, size_t len) {
    if (len > 1 && path[len - 1] == '/')
        len--;
    r->pattern = strndup(path, len);
    /* at most one literal and one label per '{' */
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += path[i] == '{' ? 2 : 0;
    r->toks = calloc(cap, sizeof *r->toks);
    if (r->pattern == NULL || r->toks == NULL)
        return -1;
    const char *s = r->pattern, *end = r->pattern + len;
    while (s < end) {
        const char *open = memchr(s, '{', (size_t)(end - s));
        const char *close = open ? memchr(open, '}', (size_t)(end - open)) : NULL;
        if (open == NULL || close == NULL) {
            open = end;
            close = NULL;
        }
        if (open > s) {
            r->toks[r->ntoks++] = (tok_t){TOK_LIT, s, (size_t)(open - s)};
            r->literal_chars += (size_t)(open - s);
        }
        if (close == NULL)
            break;
        bool greedy = close > open + 1 && close[-1] == '+';
        r->toks[r->ntoks++] = (tok_t){greedy ? TOK_GREEDY : TOK_LABEL, open, (size_t)(close + 1 - open)};
        r->labels++;
        r->greedy += greedy;
        s = close + 1;
    }
    return 0;
}

/* Wire names of the input shape's required members at this location
 * ("querystring", "header"), less those the requestUri already requires.
 * 0, or -1 when out of memory. */
static int member_locations(const json_t *input, const char *location, const route_t *r, char ***out, size_t *n) {
    const json_t *required = json_object_get(input, "required");
    const json_t *members = json_object_get(input, "members");
    size_t cnt = json_array_size(required);
    *out = NULL;
    *n = 0;
    if (cnt == 0)
        return 0;
    *out = calloc(cnt, sizeof **out);
    if (*out == NULL)
        return -1;
    size_t i;
    json_t *name;
    json_array_foreach(required, i, name) {
        const json_t *m = json_object_get(members, json_string_value(name));
        const char *loc = json_string_value(json_object_get(m, "location"));
        if (loc == NULL || strcmp(loc, location) != 0)
            continue;
        const char *wire = json_string_value(json_object_get(m, "locationName"));
        if (wire == NULL)
            wire = json_string_value(name);
        if (wire == NULL)
            continue;
        bool dup = false;
        for (size_t q = 0; q < r->nlit_query && !dup; q++)
            dup = strcmp(r->lit_query[q].key, wire) == 0;
        if (dup)
            continue;
        (*out)[*n] = strdup(wire);
        if ((*out)[*n] == NULL)
            return -1;
        (*n)++;
    }
    return 0;
}

static int compile_route(const nb__spec_op_t *op, route_t *r) {
    r->op = op;
    r->method = op->method;
    const char *uri = op->request_uri;
    const char *qm = strchr(uri, '?');
    if (compile_path(r, uri, qm ? (size_t)(qm - uri) : strlen(uri)) != 0)
        return -1;
    if (qm && compile_query(r, qm + 1) != 0)
        return -1;
    r->deprecated = json_is_true(json_object_get(op->def, "deprecated"));
    if (op->input) {
        if (member_locations(op->input, "querystring", r, &r->req_query, &r->nreq_query) != 0 ||
            member_locations(op->input, "header", r, &r->req_headers, &r->nreq_headers) != 0)
            return -1;
    }
    return 0;
}

static void route_free(route_t *r) {
    free(r->pattern);
    free(r->toks);
    for (size_t i = 0; i < r->nlit_query; i++) {
        free(r->lit_query[i].key);
        free(r->lit_query[i].value);
    }
    free(r->lit_query);
    for (size_t i = 0; i < r->nreq_query; i++)
        free(r->req_query[i]);
    free(r->req_query);
    for (size_t i = 0; i < r->nreq_headers; i++)
        free(r->req_headers[i]);
    free(r->req_headers);
}

nb__rest_table_t *nb__rest_table_new(const nb__spec_t *spec) {
    nb__rest_table_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    if (spec->nops) {
        t->routes = calloc(spec->nops, sizeof *t->routes);
        if (t->routes == NULL) {
            free(t);
            return NULL;
        }
    }
    for (size_t i = 0; i < spec->nops; i++) {
        t->n++;
        if (compile_route(&spec->ops[i], &t->routes[i]) != 0)
            goto fail;
        route_t *r = &t->routes[i];
        r->pattern_id = t->npatterns;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(t->routes[j].pattern, r->pattern) == 0) {
                r->pattern_id = t->routes[j].pattern_id;
                break;
            }
        }
        if (r->pattern_id == t->npatterns)
            t->npatterns++;
    }
    for (size_t i = 0; i < t->n; i++) {
        mgroup_t *g = NULL;
        for (size_t j = 0; j < t->ngroups && g == NULL; j++)
            if (strcmp(t->groups[j].method, t->routes[i].method) == 0)
                g = &t->groups[j];
        if (g == NULL) {
            mgroup_t *grown = realloc(t->groups, (t->ngroups + 1) * sizeof *grown);
            if (grown == NULL)
                goto fail;
            t->groups = grown;
            g = &t->groups[t->ngroups++];
            *g = (mgroup_t){t->routes[i].method, NULL, 0};
        }
        size_t *idx = realloc(g->idx, (g->n + 1) * sizeof *idx);
        if (idx == NULL)
            goto fail;
        g->idx = idx;
        g->idx[g->n++] = i;
    }
    return t;
fail:
    nb__rest_table_free(t);
    return NULL;
}

void nb__rest_table_free(nb__rest_table_t *t) {
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        route_free(&t->routes[i]);
    free(t->routes);
    for (size_t i = 0; i < t->ngroups; i++)
        free(t->groups[i].idx);
    free(t->groups);
    free(t);
}

/* ---- matching ---- */

/* Labels take at least one character; plain labels stop at '/', greedy ones do not. */
static bool toks_match(const tok_t *t, size_t nt, const char *p, const char *end) {
    for (; nt > 0; t++, nt--) {
        if (t->kind == TOK_LIT) {
            if ((size_t)(end - p) < t->len || memcmp(p, t->lit, t->len) != 0)
                return false;
            p += t->len;
            continue;
        }
        bool greedy = t->kind == TOK_GREEDY;
        if (nt == 1) { /* the last token takes the rest */
            if (p == end)
                return false;
            return greedy || memchr(p, '/', (size_t)(end - p)) == NULL;
        }
        for (const char *e = p + 1; e <= end; e++) {
            if (!greedy && e[-1] == '/')
                return false;
            if (toks_match(t + 1, nt - 1, e, end))
                return true;
        }
        return false;
    }
    return p == end;
}

static bool path_match(const route_t *r, const char *path, size_t len) {
    if (toks_match(r->toks, r->ntoks, path, path + len))
        return true;
    /* trailing slashes are not significant (Lambda's "/functions/" vs "/functions") */
    return len > 1 && path[len - 1] == '/' && toks_match(r->toks, r->ntoks, path, path + len - 1);
}

typedef struct rank {
    bool complete;
    size_t literal_chars, labels, greedy;
    int score;
} rank_t;

/* > 0 when a ranks before b: more literal path, fewer (greedy) labels, every
 * required member present, then the LocalStack-style score. */
static int rank_cmp(const rank_t *a, const rank_t *b) {
    if (a->literal_chars != b->literal_chars)
        return a->literal_chars > b->literal_chars ? 1 : -1;
    if (a->labels != b->labels)
        return a->labels < b->labels ? 1 : -1;
    if (a->greedy != b->greedy)
        return a->greedy < b->greedy ? 1 : -1;
    if (a->complete != b->complete)
        return a->complete ? 1 : -1;
    if (a->score != b->score)
        return a->score > b->score ? 1 : -1;
    return 0;
}

nb__rest_hit_t nb__rest_match(const nb__rest_table_t *t, const char *method, const char *path, size_t path_len,
                              const char *query, const nb__headers_t *headers) {
    nb__rest_hit_t hit = {NULL, false};
    if (t == NULL || method == NULL || path == NULL)
        return hit;
    const mgroup_t *g = NULL;
    for (size_t i = 0; i < t->ngroups && g == NULL; i++)
        if (strcmp(t->groups[i].method, method) == 0)
            g = &t->groups[i];
    /* OPTIONS matches like GET, unless the spec has OPTIONS operations of its own (the S3
     * overlay's CORS preflights). */
    if (g == NULL && strcmp(method, "OPTIONS") == 0)
        for (size_t i = 0; i < t->ngroups && g == NULL; i++)
            if (strcmp(t->groups[i].method, "GET") == 0)
                g = &t->groups[i];
    if (g == NULL)
        return hit;
    size_t qlen = query ? strlen(query) : 0;
    uint8_t seen[PATTERN_CACHE];
    memset(seen, 0, t->npatterns < PATTERN_CACHE ? t->npatterns : PATTERN_CACHE);
    rank_t best = {0};
    for (size_t gi = 0; gi < g->n; gi++) {
        const route_t *r = &t->routes[g->idx[gi]];
        bool matched;
        if (r->pattern_id < PATTERN_CACHE) {
            if (seen[r->pattern_id] == 0)
                seen[r->pattern_id] = path_match(r, path, path_len) ? 1 : 2;
            matched = seen[r->pattern_id] == 1;
        } else {
            matched = path_match(r, path, path_len);
        }
        if (!matched)
            continue;
        bool ok = true;
        for (size_t q = 0; q < r->nlit_query && ok; q++) {
            const qreq_t *qr = &r->lit_query[q];
            ok = query != NULL &&
                 (qr->value ? query_has_value(query, qlen, qr->key, qr->value) : nb__query_has(query, qlen, qr->key));
        }
        if (!ok)
            continue;
        size_t present = 0;
        for (size_t q = 0; q < r->nreq_query; q++)
            present += nb__query_has(query, qlen, r->req_query[q]);
        for (size_t h = 0; h < r->nreq_headers; h++)
            present += headers != NULL && nb__headers_get(headers, r->req_headers[h]) != NULL;
        rank_t rk = {
            .complete = present == r->nreq_query + r->nreq_headers,
            .literal_chars = r->literal_chars,
            .labels = r->labels,
            .greedy = r->greedy,
            .score = 10 * (int)(r->nlit_query + present) - (r->deprecated ? 5 : 0),
        };
        if (hit.op == NULL || rank_cmp(&rk, &best) > 0) {
            hit.op = r->op;
            hit.complete = rk.complete;
            best = rk;
        }
    }
    return hit;
}

void nb__rest_table_literal_heads(const nb__rest_table_t *t, void (*fn)(void *arg, const char *seg, size_t len),
                                  void *arg) {
    for (size_t i = 0; i < t->n; i++) {
        const route_t *r = &t->routes[i];
        if (r->ntoks == 0 || r->toks[0].kind != TOK_LIT || r->toks[0].len < 2 || r->toks[0].lit[0] != '/')
            continue;
        const char *seg = r->toks[0].lit + 1;
        size_t avail = r->toks[0].len - 1;
        const char *slash = memchr(seg, '/', avail);
        /* only a whole literal segment: "/2015-03-31/..." but not "/foo{Bar}" */
        if (slash == NULL && r->ntoks > 1)
            continue;
        size_t len = slash ? (size_t)(slash - seg) : avail;
        if (len == 0)
            continue;
        fn(arg, seg, len);
    }
}
