/* OpenSSL's low-level hash contexts (below) are deprecated in 3.0: declared without warnings. */
#define OPENSSL_API_COMPAT 0x10101000L

#include "util/digest.h"

#include "util/crc32_clmul.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/md5.h>
#include <openssl/sha.h>
#include <uv.h>
#include <zlib.h>

#include "nimbus/errno.h"

/* Reflected CRCs, slicing by 8: tables built once, before the first use on any thread. */
static uint32_t crc32c_tab[8][256];
static uint64_t crc64_tab[8][256];
static uv_once_t tabs_once = UV_ONCE_INIT;

static void tabs_init(void) {
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
}

uint32_t nb__crc32c(uint32_t crc, const void *data, size_t len) {
    uv_once(&tabs_once, tabs_init);
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

uint64_t nb__crc64nvme(uint64_t crc, const void *data, size_t len) {
    uv_once(&tabs_once, tabs_init);
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

uint32_t nb__crc32(uint32_t crc, const void *data, size_t len) {
    const unsigned char *p = data;
    uint32_t state = ~crc;
    size_t folded = nb__crc32_clmul(&state, p, len); /* the bulk, where the CPU can */
    p += folded;
    len -= folded;
    uLong c = ~state;
    while (len) { /* zlib takes uInt lengths */
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

size_t nb__digest_size(nb_digest_alg_t alg) {
    switch (alg) {
    case NB_DIGEST_MD5: return 16;
    case NB_DIGEST_SHA1: return 20;
    case NB_DIGEST_SHA256: return 32;
    case NB_DIGEST_CRC32:
    case NB_DIGEST_CRC32C: return 4;
    case NB_DIGEST_CRC64NVME: return 8;
    default: return 0;
    }
}

/* The hashes through OpenSSL's low-level contexts, not EVP: OpenSSL 3.0's EVP frees and
 * allocates a provider context at every init and copy, which cost more than hashing a signed
 * request or an SQS message; these are plain structs (the same assembly, SHA-NI included),
 * copied by assignment, so a digest or an HMAC from kept states allocates nothing. Deprecated in
 * 3.0, present in every 3.x: OPENSSL_API_COMPAT above keeps them declared without warnings. */
typedef union hash_ctx {
    MD5_CTX md5;
    SHA_CTX sha1;
    SHA256_CTX sha256;
} hash_ctx_t;

static bool is_hash(nb_digest_alg_t alg) {
    return alg == NB_DIGEST_MD5 || alg == NB_DIGEST_SHA1 || alg == NB_DIGEST_SHA256;
}

static void hash_init(nb_digest_alg_t alg, hash_ctx_t *c) {
    switch (alg) {
    case NB_DIGEST_MD5: MD5_Init(&c->md5); break;
    case NB_DIGEST_SHA1: SHA1_Init(&c->sha1); break;
    default: SHA256_Init(&c->sha256); break;
    }
}

static void hash_update(nb_digest_alg_t alg, hash_ctx_t *c, const void *data, size_t len) {
    switch (alg) {
    case NB_DIGEST_MD5: MD5_Update(&c->md5, data, len); break;
    case NB_DIGEST_SHA1: SHA1_Update(&c->sha1, data, len); break;
    default: SHA256_Update(&c->sha256, data, len); break;
    }
}

static void hash_final(nb_digest_alg_t alg, hash_ctx_t *c, unsigned char *out) {
    switch (alg) {
    case NB_DIGEST_MD5: MD5_Final(out, &c->md5); break;
    case NB_DIGEST_SHA1: SHA1_Final(out, &c->sha1); break;
    default: SHA256_Final(out, &c->sha256); break;
    }
}

struct nb_digest {
    nb_digest_alg_t alg;
    hash_ctx_t hash; /* the hashes */
    uint64_t crc;    /* the CRCs */
};

/* Spare digests, per thread: a freed one is kept for the next (malloc and free cost more than
 * hashing a short text). Per thread, as the thread pool hashes too; a thread's spares are freed
 * when it exits. */
#define SPARES 8

typedef struct spares {
    nb_digest_t *d[SPARES];
    unsigned n;
} spares_t;

static _Thread_local spares_t *thread_spares;
static pthread_key_t spares_key;
static uv_once_t spares_once = UV_ONCE_INIT;

static void spares_free(void *p) {
    spares_t *sp = p;
    for (unsigned i = 0; i < sp->n; i++)
        free(sp->d[i]);
    free(sp);
}

static void spares_key_init(void) {
    if (pthread_key_create(&spares_key, spares_free) != 0)
        abort(); /* only out of keys, at start-up */
}

/* This thread's spares, NULL when they cannot be had (the digest is then made and freed whole). */
static spares_t *my_spares(void) {
    if (thread_spares == NULL) {
        uv_once(&spares_once, spares_key_init);
        spares_t *sp = calloc(1, sizeof *sp);
        if (sp == NULL || pthread_setspecific(spares_key, sp) != 0) {
            free(sp);
            return NULL;
        }
        thread_spares = sp;
    }
    return thread_spares;
}

int nb__digest_new(nb_digest_alg_t alg, nb_digest_t **out) {
    *out = NULL;
    if (nb__digest_size(alg) == 0)
        return NB_EINVAL;
    spares_t *sp = my_spares();
    nb_digest_t *d = sp && sp->n ? sp->d[--sp->n] : malloc(sizeof *d);
    if (d == NULL)
        return NB_ENOMEM;
    d->alg = alg;
    d->crc = 0;
    if (is_hash(alg))
        hash_init(alg, &d->hash);
    *out = d;
    return 0;
}

void nb__digest_update(nb_digest_t *d, const void *data, size_t len) {
    switch (d->alg) {
    case NB_DIGEST_CRC32: d->crc = nb__crc32((uint32_t)d->crc, data, len); break;
    case NB_DIGEST_CRC32C: d->crc = nb__crc32c((uint32_t)d->crc, data, len); break;
    case NB_DIGEST_CRC64NVME: d->crc = nb__crc64nvme(d->crc, data, len); break;
    default: hash_update(d->alg, &d->hash, data, len); break;
    }
}

size_t nb__digest_final(nb_digest_t *d, unsigned char out[NB_DIGEST_MAX]) {
    size_t n = nb__digest_size(d->alg);
    if (is_hash(d->alg)) {
        hash_final(d->alg, &d->hash, out);
    } else {
        /* CRCs big-endian, as S3's checksum headers carry them */
        for (size_t i = 0; i < n; i++)
            out[i] = (unsigned char)(d->crc >> (8 * (n - 1 - i)));
    }
    nb__digest_free(d);
    return n;
}

void nb__digest_free(nb_digest_t *d) {
    if (d == NULL)
        return;
    spares_t *sp = thread_spares; /* set up by nb__digest_new on this thread, or NULL */
    if (sp && sp->n < SPARES)
        sp->d[sp->n++] = d;
    else
        free(d);
}

size_t nb__digest(nb_digest_alg_t alg, const void *data, size_t len, unsigned char out[NB_DIGEST_MAX]) {
    if (!is_hash(alg)) {
        nb_digest_t *d;
        if (nb__digest_new(alg, &d) != 0)
            return 0;
        nb__digest_update(d, data, len);
        return nb__digest_final(d, out);
    }
    hash_ctx_t c;
    hash_init(alg, &c);
    hash_update(alg, &c, data, len);
    hash_final(alg, &c, out);
    return nb__digest_size(alg);
}

/* ---- HMAC (RFC 2104) ----
 * MD5, SHA-1 and SHA-256 all take 64-byte blocks. A key used for many messages (a SigV4 signing
 * key, a streaming upload's chunks) hashes its two pads once (nb_hmac_key_t); each message then
 * starts from copies of those states. */
#define HMAC_BLOCK 64

struct nb_hmac_key {
    nb_digest_alg_t alg;
    hash_ctx_t inner, outer; /* ipad and opad absorbed */
};

static void hmac_key_init(nb_hmac_key_t *k, nb_digest_alg_t alg, const void *key, size_t key_len) {
    unsigned char kh[NB_DIGEST_MAX], ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
    if (key_len > HMAC_BLOCK) { /* a long key is its hash */
        key_len = nb__digest(alg, key, key_len, kh);
        key = kh;
    }
    memset(ipad, 0x36, sizeof ipad);
    memset(opad, 0x5c, sizeof opad);
    for (size_t i = 0; i < key_len; i++) {
        ipad[i] ^= ((const unsigned char *)key)[i];
        opad[i] ^= ((const unsigned char *)key)[i];
    }
    k->alg = alg;
    hash_init(alg, &k->inner);
    hash_update(alg, &k->inner, ipad, sizeof ipad);
    hash_init(alg, &k->outer);
    hash_update(alg, &k->outer, opad, sizeof opad);
}

static size_t hmac_from(const nb_hmac_key_t *k, const void *a, size_t alen, const void *b, size_t blen,
                        unsigned char out[NB_DIGEST_MAX]) {
    unsigned char inner[NB_DIGEST_MAX];
    size_t n = nb__digest_size(k->alg);
    hash_ctx_t c = k->inner;
    hash_update(k->alg, &c, a, alen);
    if (blen)
        hash_update(k->alg, &c, b, blen);
    hash_final(k->alg, &c, inner);
    c = k->outer;
    hash_update(k->alg, &c, inner, n);
    hash_final(k->alg, &c, out);
    return n;
}

size_t nb__hmac(nb_digest_alg_t alg, const void *key, size_t key_len, const void *data, size_t len,
                unsigned char out[NB_DIGEST_MAX]) {
    if (!is_hash(alg))
        return 0; /* a CRC has no HMAC */
    nb_hmac_key_t k;
    hmac_key_init(&k, alg, key, key_len);
    return hmac_from(&k, data, len, NULL, 0, out);
}

int nb__hmac_key_new(nb_digest_alg_t alg, const void *key, size_t key_len, nb_hmac_key_t **out) {
    *out = NULL;
    if (!is_hash(alg))
        return NB_EINVAL;
    nb_hmac_key_t *k = malloc(sizeof *k);
    if (k == NULL)
        return NB_ENOMEM;
    hmac_key_init(k, alg, key, key_len);
    *out = k;
    return 0;
}

void nb__hmac_key_free(nb_hmac_key_t *k) { free(k); }

size_t nb__hmac_with(const nb_hmac_key_t *k, const void *a, size_t alen, const void *b, size_t blen,
                     unsigned char out[NB_DIGEST_MAX]) {
    return hmac_from(k, a, alen, b, blen, out);
}
