#include "s3_codec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nimbus/plugin.h>

/* ------------------------------------------------------------- checksums */

static const char *const ck_names[S3_CK__COUNT] = {"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"};
static const char *const ck_headers[S3_CK__COUNT] = {"x-amz-checksum-crc32", "x-amz-checksum-crc32c",
                                                     "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1",
                                                     "x-amz-checksum-sha256"};
static const char *const ck_members[S3_CK__COUNT] = {"ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME",
                                                     "ChecksumSHA1", "ChecksumSHA256"};

int s3_ck_from_name(const char *name) {
    for (int i = 0; name && i < S3_CK__COUNT; i++)
        if (strcasecmp(name, ck_names[i]) == 0)
            return i;
    return -1;
}
const char *s3_ck_name(int alg) { return alg >= 0 && alg < S3_CK__COUNT ? ck_names[alg] : NULL; }
const char *s3_ck_header(int alg) { return alg >= 0 && alg < S3_CK__COUNT ? ck_headers[alg] : NULL; }
const char *s3_ck_member(int alg) { return alg >= 0 && alg < S3_CK__COUNT ? ck_members[alg] : NULL; }

/* Each checksum's digest in the core (nimbus/util.h), by S3_CK_* index. */
static const nb_digest_alg_t ck_digest[S3_CK__COUNT] = {NB_DIGEST_CRC32, NB_DIGEST_CRC32C, NB_DIGEST_CRC64NVME,
                                                        NB_DIGEST_SHA1, NB_DIGEST_SHA256};

size_t s3_ck_raw_len(int alg) { return alg >= 0 && alg < S3_CK__COUNT ? nb_digest_size(ck_digest[alg]) : 0; }

struct s3_hash {
    nb_digest_t *md5, *ck[S3_CK__COUNT]; /* ck[alg] NULL unless requested */
};

s3_hash_t *s3_hash_new(unsigned algs) {
    s3_hash_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    int rc = nb_digest_new(NB_DIGEST_MD5, &h->md5);
    for (int a = 0; rc == 0 && a < S3_CK__COUNT; a++)
        if (algs & S3_CK_BIT(a))
            rc = nb_digest_new(ck_digest[a], &h->ck[a]);
    if (rc != 0) {
        s3_hash_free(h);
        return NULL;
    }
    return h;
}

void s3_hash_update(s3_hash_t *h, const void *data, size_t len) {
    nb_digest_update(h->md5, data, len);
    for (int a = 0; a < S3_CK__COUNT; a++)
        if (h->ck[a])
            nb_digest_update(h->ck[a], data, len);
}

void s3_hash_final(s3_hash_t *h, unsigned char md5[16], char b64[S3_CK__COUNT][64]) {
    unsigned char raw[NB_DIGEST_MAX];
    nb_digest_final(h->md5, raw);
    h->md5 = NULL;
    memcpy(md5, raw, 16);
    for (int a = 0; a < S3_CK__COUNT; a++) {
        b64[a][0] = '\0';
        if (h->ck[a] == NULL)
            continue;
        size_t len = nb_digest_final(h->ck[a], raw);
        h->ck[a] = NULL;
        nb_base64_encode(raw, len, 0, b64[a], 64);
    }
}

void s3_hash_free(s3_hash_t *h) {
    if (h == NULL)
        return;
    nb_digest_free(h->md5);
    for (int a = 0; a < S3_CK__COUNT; a++)
        nb_digest_free(h->ck[a]);
    free(h);
}

void s3_ck_digest_b64(int alg, const void *data, size_t len, char out[64]) {
    unsigned char raw[NB_DIGEST_MAX];
    out[0] = '\0';
    if (alg >= 0 && alg < S3_CK__COUNT)
        nb_base64_encode(raw, nb_digest(ck_digest[alg], data, len, raw), 0, out, 64);
}

void s3_etag_format(const unsigned char md5[16], char out[40]) {
    char hex[NB_HEX_SIZE(16)];
    nb_hex_encode(md5, 16, 0, hex, sizeof hex);
    snprintf(out, 40, "\"%s\"", hex);
}

bool s3_ck_value_valid(int alg, const char *b64) {
    unsigned char raw[NB_DIGEST_MAX];
    size_t want = s3_ck_raw_len(alg);
    return want && nb_base64_decode(b64, strlen(b64), 0, raw, sizeof raw) == (ssize_t)want;
}

void s3_etag_multipart(const unsigned char *md5s, size_t n, char out[64]) {
    unsigned char digest[NB_DIGEST_MAX];
    char hex[NB_HEX_SIZE(16)];
    nb_hex_encode(digest, nb_digest(NB_DIGEST_MD5, md5s, 16 * n, digest), 0, hex, sizeof hex);
    snprintf(out, 64, "\"%s-%zu\"", hex, n);
}

bool s3_etag_md5(const char *etag, unsigned char md5[16]) {
    if (etag == NULL)
        return false;
    if (*etag == '"')
        etag++;
    size_t n = strcspn(etag, "\"");
    return n == 32 && etag[n + (etag[n] == '"')] == '\0' && nb_hex_decode(etag, 32, md5, 16) == 16;
}

/* ------------------------------------------------------------ aws-chunked */

enum { CH_SIZE, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE };

void s3_chunked_init(s3_chunked_t *c, s3_chunk_data_cb cb, void *ud) {
    memset(c, 0, sizeof *c);
    c->state = CH_SIZE;
    c->cb = cb;
    c->ud = ud;
}

/* "<hex>[;chunk-signature=...]" */
static int size_line(s3_chunked_t *c) {
    c->line[c->line_len] = '\0';
    if (c->line_len && c->line[c->line_len - 1] == '\r')
        c->line[--c->line_len] = '\0';
    const char *p = c->line;
    uint64_t n = 0;
    int digits = 0;
    for (; isxdigit((unsigned char)*p); p++, digits++) {
        if (digits >= 15)
            return -1;
        n = n * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
    }
    if (digits == 0 || (*p != '\0' && *p != ';'))
        return -1;
    c->remaining = n;
    c->state = n == 0 ? CH_TRAILER : CH_DATA;
    c->line_len = 0;
    return 0;
}

static int trailer_line(s3_chunked_t *c) {
    c->line[c->line_len] = '\0';
    if (c->line_len && c->line[c->line_len - 1] == '\r')
        c->line[--c->line_len] = '\0';
    if (c->line_len == 0) {
        c->state = CH_DONE;
        return 0;
    }
    char *colon = strchr(c->line, ':');
    if (colon == NULL)
        return -1;
    size_t need = c->line_len + 2;
    if (c->trailers_len + need < sizeof c->trailers) {
        for (char *q = c->line; q < colon; q++)
            *q = (char)tolower((unsigned char)*q);
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        c->trailers_len += (size_t)snprintf(c->trailers + c->trailers_len, sizeof c->trailers - c->trailers_len,
                                            "%.*s:%s\n", (int)(colon - c->line), c->line, v);
    }
    c->line_len = 0;
    return 0;
}

int s3_chunked_feed(s3_chunked_t *c, const void *data, size_t len) {
    const unsigned char *p = data, *end = p + len;
    while (p < end) {
        switch (c->state) {
        case CH_SIZE:
        case CH_TRAILER: {
            unsigned char ch = *p++;
            if (ch == '\n') {
                int rc = c->state == CH_SIZE ? size_line(c) : trailer_line(c);
                if (rc)
                    return rc;
            } else if (c->line_len + 1 >= sizeof c->line) {
                return -1;
            } else {
                c->line[c->line_len++] = (char)ch;
            }
            break;
        }
        case CH_DATA: {
            size_t n = (size_t)(end - p) < c->remaining ? (size_t)(end - p) : (size_t)c->remaining;
            int rc = c->cb ? c->cb(c->ud, p, n) : 0;
            if (rc)
                return rc;
            p += n;
            c->remaining -= n;
            c->decoded += n;
            if (c->remaining == 0)
                c->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (*p == '\r') {
                p++;
                c->state = CH_DATA_LF;
                break;
            }
            c->state = CH_DATA_LF; /* a bare LF is accepted */
            break;
        case CH_DATA_LF:
            if (*p++ != '\n')
                return -1;
            c->state = CH_SIZE;
            break;
        case CH_DONE:
            /* Anything after the final empty line must be whitespace. */
            if (*p != '\r' && *p != '\n')
                return -1;
            p++;
            break;
        }
    }
    return 0;
}

bool s3_chunked_done(const s3_chunked_t *c) {
    /* Clients may omit the blank line after the last trailer: a complete trailer line counts. */
    return c->state == CH_DONE || (c->state == CH_TRAILER && c->line_len == 0);
}

bool s3_chunked_trailer(const s3_chunked_t *c, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name);
    const char *p = c->trailers, *end = c->trailers + c->trailers_len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            break;
        if ((size_t)(eol - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == ':') {
            size_t vl = (size_t)(eol - p) - nl - 1;
            if (vl >= cap)
                return false;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        p = eol + 1;
    }
    return false;
}

/* ---------------------------------------------------------------- listing */

void s3_lister_init(s3_lister_t *l, const char *prefix, const char *delimiter, int max, const char *marker) {
    memset(l, 0, sizeof *l);
    l->prefix = prefix ? prefix : "";
    l->plen = strlen(l->prefix);
    l->delimiter = delimiter;
    l->max = max;
    if (marker && delimiter && *delimiter && strncmp(marker, l->prefix, l->plen) == 0) {
        const char *d = strstr(marker + l->plen, delimiter);
        if (d && d[strlen(delimiter)] == '\0')
            l->last_cp = strdup(marker);
    }
}

int s3_lister_take(s3_lister_t *l, const char *key) {
    if (l->delimiter && *l->delimiter) {
        const char *d = strstr(key + l->plen, l->delimiter);
        if (d) {
            size_t cplen = (size_t)(d - key) + strlen(l->delimiter);
            if (l->last_cp && strlen(l->last_cp) == cplen && strncmp(l->last_cp, key, cplen) == 0)
                return 0;
            if (l->count >= l->max) {
                l->truncated = true;
                return -1;
            }
            free(l->last_cp);
            l->last_cp = strndup(key, cplen);
            free(l->next);
            l->next = strdup(l->last_cp);
            l->count++;
            return 2;
        }
    }
    if (l->count >= l->max) {
        l->truncated = true;
        return -1;
    }
    free(l->next);
    l->next = strdup(key);
    l->count++;
    return 1;
}

void s3_lister_free(s3_lister_t *l) {
    free(l->last_cp);
    free(l->next);
    l->last_cp = l->next = NULL;
}

/* ----------------------------------------------------------------- ranges */

static bool parse_i64(const char *s, const char *e, int64_t *out) {
    if (s == e || e - s > 18)
        return false;
    int64_t v = 0;
    for (; s < e; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

int s3_range_parse(const char *header, int64_t size, int64_t *first, int64_t *last) {
    if (header == NULL)
        return 0;
    while (*header == ' ')
        header++;
    if (strncasecmp(header, "bytes=", 6) != 0)
        return 0;
    const char *spec = header + 6;
    if (strchr(spec, ',') != NULL)
        return 0;
    const char *dash = strchr(spec, '-');
    if (dash == NULL)
        return 0;
    const char *end = spec + strlen(spec);
    while (end > dash + 1 && end[-1] == ' ')
        end--;
    int64_t a, b;
    if (dash == spec) { /* suffix: the last n bytes */
        if (!parse_i64(dash + 1, end, &b))
            return 0;
        if (b == 0 || size == 0)
            return -1;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return 1;
    }
    if (!parse_i64(spec, dash, &a))
        return 0;
    if (dash + 1 == end) {
        b = size - 1;
    } else if (!parse_i64(dash + 1, end, &b) || b < a) {
        return 0;
    }
    if (a >= size)
        return -1;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return 1;
}
