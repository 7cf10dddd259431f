/* The texts AWS signatures are computed over (sigv4_text.h). */
#include "gateway/sigv4_text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nimbus/errno.h"
#include "util/codec.h"

/* ---- The query ---- */

static char *decode(const char *s, size_t len) {
    char *out = nb__url_decode(s, len, false, NULL);
    if (out == NULL && (out = malloc(len + 1)) != NULL) { /* a bad escape: kept as sent, it cannot match */
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

void nb__query_free(nb__query_t *q) {
    for (size_t i = 0; i < q->len; i++) {
        free(q->items[i].key);
        free(q->items[i].value);
    }
    free(q->items);
    q->items = NULL;
    q->len = 0;
}

bool nb__query_parse(const char *raw, nb__query_t *q) {
    memset(q, 0, sizeof *q);
    if (raw == NULL || *raw == '\0')
        return true;
    size_t n = 1;
    for (const char *p = raw; *p; p++)
        n += *p == '&';
    if ((q->items = calloc(n, sizeof *q->items)) == NULL)
        return false;
    for (const char *p = raw; *p;) {
        size_t seg = strcspn(p, "&");
        if (seg > 0) {
            const char *eq = memchr(p, '=', seg);
            size_t klen = eq ? (size_t)(eq - p) : seg;
            nb__qparam_t *it = &q->items[q->len++];
            it->has_value = eq != NULL;
            it->key = decode(p, klen);
            it->value = eq ? decode(eq + 1, seg - klen - 1) : strdup("");
            if (it->key == NULL || it->value == NULL) {
                nb__query_free(q);
                return false;
            }
        }
        p += seg + (p[seg] == '&');
    }
    return true;
}

const char *nb__query_value(const nb__query_t *q, const char *key) {
    for (size_t i = 0; i < q->len; i++)
        if (strcmp(q->items[i].key, key) == 0)
            return q->items[i].value;
    return NULL;
}

/* ---- The sink ---- */

static void sink_flush(nb__text_sink_t *s) {
    if (s->hash && s->staged)
        nb__digest_update(s->hash, s->stage, s->staged);
    s->staged = 0;
}

void nb__sink_put(nb__text_sink_t *s, const char *data, size_t len) {
    if (s->keep)
        nb__buf_append(s->keep, data, len);
    if (s->hash == NULL)
        return;
    if (s->staged + len > sizeof s->stage) {
        sink_flush(s);
        if (len > sizeof s->stage) {
            nb__digest_update(s->hash, data, len);
            return;
        }
    }
    memcpy(s->stage + s->staged, data, len);
    s->staged += len;
}

static void sink_puts(nb__text_sink_t *s, const char *text) { nb__sink_put(s, text, strlen(text)); }
static void sink_putc(nb__text_sink_t *s, char c) { nb__sink_put(s, &c, 1); }

/* ---- SigV4's canonical request ---- */

/* A header value as signed: surrounding blanks trimmed, inner runs of blanks as one space. */
static void put_trimmed(nb__text_sink_t *s, const char *v) {
    /* a run of non-blanks at a time: a byte at a time cost more than hashing the text */
    for (bool first = true;; first = false) {
        v += strspn(v, " \t");
        size_t run = strcspn(v, " \t");
        if (run == 0)
            return;
        if (!first)
            sink_putc(s, ' ');
        nb__sink_put(s, v, run);
        v += run;
    }
}

bool nb__sink_header_values(nb__text_sink_t *s, const nb__headers_t *h, const char *name) {
    bool any = false;
    /* the first letters compared before the names: most headers differ there */
    int first = name[0] | 0x20;
    for (size_t i = 0; i < h->len; i++)
        if ((h->items[i].name[0] | 0x20) == first && strcasecmp(h->items[i].name, name) == 0) {
            if (any)
                sink_putc(s, ',');
            put_trimmed(s, h->items[i].value);
            any = true;
        }
    return any;
}

/* text percent-encoded (unreserved bytes kept; '/' too with NB_URL_KEEP_SLASH), a piece at a time
 * through a stack buffer. */
static void put_encoded(nb__text_sink_t *s, const char *text, size_t len, unsigned flags) {
    char out[NB_URL_ENCODED_SIZE(256)];
    for (size_t at = 0; at < len; at += 256) {
        size_t n = len - at < 256 ? len - at : 256;
        ssize_t w = nb__url_encode_to(text + at, n, flags, out, sizeof out);
        if (w > 0)
            nb__sink_put(s, out, (size_t)w);
    }
}

/* The path as AWS canonicalizes it: decoded, then each byte but unreserved ones and '/' encoded
 * (S3's); encode_twice: the path as sent, encoded once more (every other service's signers). */
static void put_canonical_uri(nb__text_sink_t *s, const char *raw_path, bool encode_twice) {
    const char *sent = raw_path && *raw_path ? raw_path : "/";
    size_t len = strlen(sent);
    if (encode_twice) {
        put_encoded(s, sent, len, NB_URL_KEEP_SLASH);
        return;
    }
    char small[1024], *path = len < sizeof small ? small : malloc(len + 1);
    ssize_t n = path ? nb__url_decode_to(sent, len, 0, path, len + 1) : NB_ENOMEM;
    if (n < 0 && path) { /* a bad escape: kept as sent, it cannot match */
        memcpy(path, sent, len + 1);
        n = (ssize_t)len;
    }
    if (n >= 0) {
        path[n] = '\0';
        put_encoded(s, path, strlen(path), NB_URL_KEEP_SLASH); /* up to a NUL byte, as signers stop there */
    } else {
        sink_putc(s, '/');
    }
    if (path != small)
        free(path);
}

typedef struct encoded_pair {
    char *key, *value;
} encoded_pair_t;

static int cmp_pair(const void *a, const void *b) {
    const encoded_pair_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* Every parameter but the signature, key and value encoded, sorted by key then value, '&'-joined. */
static void put_canonical_query(nb__text_sink_t *s, const nb__query_t *q) {
    if (q->len == 0)
        return;
    encoded_pair_t *pairs = calloc(q->len, sizeof *pairs);
    size_t n = 0;
    for (size_t i = 0; pairs && i < q->len; i++) {
        if (strcmp(q->items[i].key, "X-Amz-Signature") == 0)
            continue;
        pairs[n].key = nb__url_encode(q->items[i].key, strlen(q->items[i].key), false);
        pairs[n].value = nb__url_encode(q->items[i].value, strlen(q->items[i].value), false);
        if (pairs[n].key && pairs[n].value)
            n++;
        else {
            free(pairs[n].key);
            free(pairs[n].value);
        }
    }
    if (pairs)
        qsort(pairs, n, sizeof *pairs, cmp_pair);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sink_putc(s, '&');
        sink_puts(s, pairs[i].key);
        sink_putc(s, '=');
        sink_puts(s, pairs[i].value);
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
}

/* name:value lines of the signed headers, in the order the list gives (signers sort it). A signed
 * header the request lacks may ride in the query (some SDKs put x-amz-* ones there). */
static void put_canonical_headers(nb__text_sink_t *s, const nb__http_request_t *http, const nb__query_t *q,
                                  const char *signed_headers) {
    for (const char *p = signed_headers; *p;) {
        size_t seg = strcspn(p, ";");
        char name[128];
        if (seg > 0 && seg < sizeof name) {
            memcpy(name, p, seg);
            name[seg] = '\0';
            nb__sink_put(s, name, seg);
            sink_putc(s, ':');
            if (!nb__sink_header_values(s, &http->headers, name))
                for (size_t i = 0; i < q->len; i++)
                    if (strcasecmp(q->items[i].key, name) == 0) {
                        put_trimmed(s, q->items[i].value);
                        break;
                    }
            sink_putc(s, '\n');
        }
        p += seg + (p[seg] == ';');
    }
}

int nb__sigv4_string_to_sign(const nb__http_request_t *http, const nb__query_t *q, const char *signed_headers,
                             const char *payload, bool encode_path_twice, const char *amz_date, const char *scope,
                             char *to_sign, size_t cap, nb__buf_t *canonical) {
    nb__text_sink_t s;
    s.keep = canonical;
    s.staged = 0;
    if (nb__digest_new(NB_DIGEST_SHA256, &s.hash) != 0)
        return NB_ENOMEM;
    sink_puts(&s, http->method);
    sink_putc(&s, '\n');
    put_canonical_uri(&s, http->path, encode_path_twice);
    sink_putc(&s, '\n');
    put_canonical_query(&s, q);
    sink_putc(&s, '\n');
    put_canonical_headers(&s, http, q, signed_headers);
    sink_putc(&s, '\n');
    sink_puts(&s, signed_headers);
    sink_putc(&s, '\n');
    sink_puts(&s, payload);
    sink_flush(&s);

    unsigned char digest[NB_DIGEST_MAX];
    size_t dlen = nb__digest_final(s.hash, digest);
    char hex[NB_HEX_SIZE(NB_DIGEST_MAX)];
    nb__hex_encode_to(digest, dlen, 0, hex, sizeof hex);
    const char *const lines[] = {"AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n", hex};
    size_t at = 0;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = strlen(lines[i]);
        if (at + n >= cap)
            return NB_ELIMIT;
        memcpy(to_sign + at, lines[i], n);
        at += n;
    }
    to_sign[at] = '\0';
    if (canonical && canonical->data == NULL && nb__buf_reserve(canonical, 1) != 0)
        return NB_ENOMEM;
    return 0;
}

bool nb__sigv4_signs_header(const char *signed_headers, const char *lname) {
    size_t n = strlen(lname);
    for (const char *p = signed_headers; *p;) {
        size_t seg = strcspn(p, ";");
        if (seg == n && strncasecmp(p, lname, n) == 0)
            return true;
        p += seg + (p[seg] == ';');
    }
    return false;
}
