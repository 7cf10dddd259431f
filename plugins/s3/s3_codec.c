#include "s3_codec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <zlib.h>

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

size_t s3_ck_raw_len(int alg) {
    switch (alg) {
    case S3_CK_CRC32:
    case S3_CK_CRC32C:
        return 4;
    case S3_CK_CRC64NVME:
        return 8;
    case S3_CK_SHA1:
        return 20;
    case S3_CK_SHA256:
        return 32;
    default:
        return 0;
    }
}

/* Reflected CRCs, slicing by 8: tables built once (idempotent, so a race is harmless). */
static uint32_t crc32c_tab[8][256];
static uint64_t crc64_tab[8][256];
static int tabs_ready;

static void tabs_init(void) {
    if (tabs_ready)
        return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        uint64_t d = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            d = (d & 1) ? (d >> 1) ^ 0x9A6C9329AC4BC9B5ull : d >> 1;
        }
        crc32c_tab[0][i] = c;
        crc64_tab[0][i] = d;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++) {
            crc32c_tab[t][i] = (crc32c_tab[t - 1][i] >> 8) ^ crc32c_tab[0][crc32c_tab[t - 1][i] & 0xff];
            crc64_tab[t][i] = (crc64_tab[t - 1][i] >> 8) ^ crc64_tab[0][crc64_tab[t - 1][i] & 0xff];
        }
    tabs_ready = 1;
}

uint32_t s3_crc32c(uint32_t crc, const void *data, size_t len) {
    tabs_init();
    const unsigned char *p = data;
    uint32_t c = ~crc;
    while (len >= 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        c = crc32c_tab[7][lo & 0xff] ^ crc32c_tab[6][(lo >> 8) & 0xff] ^ crc32c_tab[5][(lo >> 16) & 0xff] ^
            crc32c_tab[4][lo >> 24] ^ crc32c_tab[3][p[4]] ^ crc32c_tab[2][p[5]] ^ crc32c_tab[1][p[6]] ^
            crc32c_tab[0][p[7]];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = (c >> 8) ^ crc32c_tab[0][(c ^ *p++) & 0xff];
    return ~c;
}

uint64_t s3_crc64nvme(uint64_t crc, const void *data, size_t len) {
    tabs_init();
    const unsigned char *p = data;
    uint64_t c = ~crc;
    while (len >= 8) {
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--)
            v = (v << 8) | p[i];
        c ^= v;
        c = crc64_tab[7][c & 0xff] ^ crc64_tab[6][(c >> 8) & 0xff] ^ crc64_tab[5][(c >> 16) & 0xff] ^
            crc64_tab[4][(c >> 24) & 0xff] ^ crc64_tab[3][(c >> 32) & 0xff] ^ crc64_tab[2][(c >> 40) & 0xff] ^
            crc64_tab[1][(c >> 48) & 0xff] ^ crc64_tab[0][c >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = (c >> 8) ^ crc64_tab[0][(c ^ *p++) & 0xff];
    return ~c;
}

struct s3_hash {
    unsigned algs;
    EVP_MD_CTX *md5, *sha1, *sha256;
    uint32_t crc32, crc32c;
    uint64_t crc64;
};

s3_hash_t *s3_hash_new(unsigned algs) {
    s3_hash_t *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->algs = algs;
    h->crc32 = (uint32_t)crc32(0L, Z_NULL, 0);
    int ok = (h->md5 = EVP_MD_CTX_new()) != NULL && EVP_DigestInit_ex(h->md5, EVP_md5(), NULL);
    if (ok && (algs & S3_CK_BIT(S3_CK_SHA1)))
        ok = (h->sha1 = EVP_MD_CTX_new()) != NULL && EVP_DigestInit_ex(h->sha1, EVP_sha1(), NULL);
    if (ok && (algs & S3_CK_BIT(S3_CK_SHA256)))
        ok = (h->sha256 = EVP_MD_CTX_new()) != NULL && EVP_DigestInit_ex(h->sha256, EVP_sha256(), NULL);
    if (!ok) {
        s3_hash_free(h);
        return NULL;
    }
    return h;
}

void s3_hash_update(s3_hash_t *h, const void *data, size_t len) {
    EVP_DigestUpdate(h->md5, data, len);
    if (h->sha1)
        EVP_DigestUpdate(h->sha1, data, len);
    if (h->sha256)
        EVP_DigestUpdate(h->sha256, data, len);
    if (h->algs & S3_CK_BIT(S3_CK_CRC32)) {
        const unsigned char *p = data;
        size_t left = len;
        while (left) { /* zlib takes uInt lengths */
            uInt n = left > (1u << 30) ? (1u << 30) : (uInt)left;
            h->crc32 = (uint32_t)crc32(h->crc32, p, n);
            p += n;
            left -= n;
        }
    }
    if (h->algs & S3_CK_BIT(S3_CK_CRC32C))
        h->crc32c = s3_crc32c(h->crc32c, data, len);
    if (h->algs & S3_CK_BIT(S3_CK_CRC64NVME))
        h->crc64 = s3_crc64nvme(h->crc64, data, len);
}

static void be32(uint32_t v, unsigned char *o) {
    o[0] = (unsigned char)(v >> 24);
    o[1] = (unsigned char)(v >> 16);
    o[2] = (unsigned char)(v >> 8);
    o[3] = (unsigned char)v;
}

void s3_hash_final(s3_hash_t *h, unsigned char md5[16], char b64[S3_CK__COUNT][64]) {
    unsigned int n = 0;
    unsigned char raw[64];
    EVP_DigestFinal_ex(h->md5, md5, &n);
    for (int a = 0; a < S3_CK__COUNT; a++) {
        b64[a][0] = '\0';
        if (!(h->algs & S3_CK_BIT(a)))
            continue;
        size_t len = s3_ck_raw_len(a);
        switch (a) {
        case S3_CK_CRC32:
            be32(h->crc32, raw);
            break;
        case S3_CK_CRC32C:
            be32(h->crc32c, raw);
            break;
        case S3_CK_CRC64NVME:
            be32((uint32_t)(h->crc64 >> 32), raw);
            be32((uint32_t)h->crc64, raw + 4);
            break;
        case S3_CK_SHA1:
            EVP_DigestFinal_ex(h->sha1, raw, &n);
            break;
        case S3_CK_SHA256:
            EVP_DigestFinal_ex(h->sha256, raw, &n);
            break;
        }
        s3_b64_encode(raw, len, b64[a]);
    }
}

void s3_hash_free(s3_hash_t *h) {
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->md5);
    EVP_MD_CTX_free(h->sha1);
    EVP_MD_CTX_free(h->sha256);
    free(h);
}

void s3_ck_digest_b64(int alg, const void *data, size_t len, char out[64]) {
    out[0] = '\0';
    s3_hash_t *h = s3_hash_new(S3_CK_BIT(alg));
    if (h == NULL)
        return;
    s3_hash_update(h, data, len);
    unsigned char md5[16];
    char b64[S3_CK__COUNT][64];
    s3_hash_final(h, md5, b64);
    memcpy(out, b64[alg], 64);
    s3_hash_free(h);
}

void s3_hex(const unsigned char *in, size_t len, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void s3_etag_multipart(const unsigned char *md5s, size_t n, char out[64]) {
    unsigned char digest[16];
    char hex[33], b64[S3_CK__COUNT][64];
    s3_hash_t *h = s3_hash_new(0);
    if (h == NULL) {
        out[0] = '\0';
        return;
    }
    s3_hash_update(h, md5s, 16 * n);
    s3_hash_final(h, digest, b64);
    s3_hash_free(h);
    s3_hex(digest, 16, hex);
    snprintf(out, 64, "\"%s-%zu\"", hex, n);
}

bool s3_etag_md5(const char *etag, unsigned char md5[16]) {
    if (etag == NULL)
        return false;
    if (*etag == '"')
        etag++;
    for (int k = 0; k < 16; k++) {
        int hi = etag[2 * k], lo = hi ? etag[2 * k + 1] : 0;
        if (!isxdigit(hi) || !isxdigit(lo))
            return false;
        md5[k] = (unsigned char)((isdigit(hi) ? hi - '0' : tolower(hi) - 'a' + 10) * 16 +
                                 (isdigit(lo) ? lo - '0' : tolower(lo) - 'a' + 10));
    }
    return etag[32] == '\0' || etag[32] == '"';
}

size_t s3_b64_encode(const unsigned char *in, size_t len, char *out) {
    return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

long s3_b64_decode(const char *in, unsigned char *out, size_t cap) {
    size_t n = strlen(in);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap + 2)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!(isalnum(c) || c == '+' || c == '/' || (c == '=' && i >= n - 2)))
            return -1;
        if (c == '=' && i == n - 2 && in[n - 1] != '=')
            return -1;
    }
    unsigned char *tmp = malloc(n / 4 * 3 + 1);
    if (tmp == NULL)
        return -1;
    int got = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
    if (got < 0) {
        free(tmp);
        return -1;
    }
    if (in[n - 1] == '=')
        got--;
    if (in[n - 2] == '=')
        got--;
    if ((size_t)got > cap) {
        free(tmp);
        return -1;
    }
    memcpy(out, tmp, (size_t)got);
    free(tmp);
    return got;
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
