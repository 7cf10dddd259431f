#include "util/digest.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
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
    uLong c = crc;
    while (len) { /* zlib takes uInt lengths */
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

/* OpenSSL 3 looks an EVP_md5()-style digest up in its provider at every init (thousands of
 * instructions, and SQS hashes every message): the digests are fetched once and kept. */
static EVP_MD *fetched_md5, *fetched_sha1, *fetched_sha256;
static uv_once_t fetch_once = UV_ONCE_INIT;

static void fetch_digests(void) {
    fetched_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    fetched_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    fetched_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *evp_of(nb_digest_alg_t alg) {
    uv_once(&fetch_once, fetch_digests);
    switch (alg) {
    case NB_DIGEST_MD5: return fetched_md5 ? fetched_md5 : EVP_md5();
    case NB_DIGEST_SHA1: return fetched_sha1 ? fetched_sha1 : EVP_sha1();
    case NB_DIGEST_SHA256: return fetched_sha256 ? fetched_sha256 : EVP_sha256();
    default: return NULL;
    }
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

struct nb_digest {
    nb_digest_alg_t alg;
    EVP_MD_CTX *md; /* the hashes */
    uint64_t crc;   /* the CRCs */
};

/* Spare digests, per thread and per algorithm: a freed digest keeps its EVP context for the next
 * one (EVP_MD_CTX_new, init and free cost more than hashing an SQS message). Per thread, as the
 * thread pool hashes too; a thread's spares are freed when it exits. */
#define SPARES_PER_ALG 4
#define ALG_SLOTS 8 /* above every nb_digest_alg_t with a size */

typedef struct spares {
    nb_digest_t *d[ALG_SLOTS][SPARES_PER_ALG];
    unsigned n[ALG_SLOTS];
    EVP_MD_CTX *hmac_scratch; /* copied into from a kept HMAC state (nb__hmac_with) */
} spares_t;

static _Thread_local spares_t *thread_spares;
static pthread_key_t spares_key;
static uv_once_t spares_once = UV_ONCE_INIT;

static void digest_destroy(nb_digest_t *d) {
    EVP_MD_CTX_free(d->md);
    free(d);
}

static void spares_free(void *p) {
    spares_t *sp = p;
    for (size_t a = 0; a < ALG_SLOTS; a++)
        for (unsigned i = 0; i < sp->n[a]; i++)
            digest_destroy(sp->d[a][i]);
    EVP_MD_CTX_free(sp->hmac_scratch);
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
    if (nb__digest_size(alg) == 0 || (unsigned)alg >= ALG_SLOTS)
        return NB_EINVAL;
    spares_t *sp = my_spares();
    nb_digest_t *d = sp && sp->n[alg] ? sp->d[alg][--sp->n[alg]] : calloc(1, sizeof *d);
    if (d == NULL)
        return NB_ENOMEM;
    d->alg = alg;
    d->crc = 0;
    const EVP_MD *md = evp_of(alg);
    /* a spare's context had this digest already: init starts it over */
    if (md && ((d->md == NULL && (d->md = EVP_MD_CTX_new()) == NULL) || EVP_DigestInit_ex(d->md, md, NULL) != 1)) {
        digest_destroy(d);
        return NB_ENOMEM;
    }
    *out = d;
    return 0;
}

void nb__digest_update(nb_digest_t *d, const void *data, size_t len) {
    switch (d->alg) {
    case NB_DIGEST_CRC32: d->crc = nb__crc32((uint32_t)d->crc, data, len); break;
    case NB_DIGEST_CRC32C: d->crc = nb__crc32c((uint32_t)d->crc, data, len); break;
    case NB_DIGEST_CRC64NVME: d->crc = nb__crc64nvme(d->crc, data, len); break;
    default: EVP_DigestUpdate(d->md, data, len); break;
    }
}

size_t nb__digest_final(nb_digest_t *d, unsigned char out[NB_DIGEST_MAX]) {
    size_t n = nb__digest_size(d->alg);
    if (d->md) {
        unsigned int got = 0;
        EVP_DigestFinal_ex(d->md, out, &got);
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
    if (sp && sp->n[d->alg] < SPARES_PER_ALG)
        sp->d[d->alg][sp->n[d->alg]++] = d;
    else
        digest_destroy(d);
}

size_t nb__digest(nb_digest_alg_t alg, const void *data, size_t len, unsigned char out[NB_DIGEST_MAX]) {
    nb_digest_t *d;
    if (nb__digest_new(alg, &d) != 0)
        return 0;
    nb__digest_update(d, data, len);
    return nb__digest_final(d, out);
}

/* HMAC (RFC 2104) over two pooled digests: OpenSSL 3's one-shot HMAC() looks its MAC up in the
 * provider at every call, which costs more than hashing a signed request. MD5, SHA-1 and SHA-256
 * all take 64-byte blocks. */
#define HMAC_BLOCK 64

static size_t digest_two(nb_digest_alg_t alg, const void *a, size_t alen, const void *b, size_t blen,
                         unsigned char out[NB_DIGEST_MAX]) {
    nb_digest_t *d;
    if (nb__digest_new(alg, &d) != 0)
        return 0;
    nb__digest_update(d, a, alen);
    nb__digest_update(d, b, blen);
    return nb__digest_final(d, out);
}

/* The key's pads: ipad and opad, each the key (hashed when longer than a block) XORed in. */
static bool hmac_pads(nb_digest_alg_t alg, const void *key, size_t key_len, unsigned char ipad[HMAC_BLOCK],
                      unsigned char opad[HMAC_BLOCK]) {
    unsigned char k[NB_DIGEST_MAX];
    if (key_len > HMAC_BLOCK) { /* a long key is its hash */
        if ((key_len = nb__digest(alg, key, key_len, k)) == 0)
            return false;
        key = k;
    }
    memset(ipad, 0x36, HMAC_BLOCK);
    memset(opad, 0x5c, HMAC_BLOCK);
    for (size_t i = 0; i < key_len; i++) {
        ipad[i] ^= ((const unsigned char *)key)[i];
        opad[i] ^= ((const unsigned char *)key)[i];
    }
    return true;
}

size_t nb__hmac(nb_digest_alg_t alg, const void *key, size_t key_len, const void *data, size_t len,
                unsigned char out[NB_DIGEST_MAX]) {
    unsigned char ipad[HMAC_BLOCK], opad[HMAC_BLOCK], inner[NB_DIGEST_MAX];
    if (evp_of(alg) == NULL || !hmac_pads(alg, key, key_len, ipad, opad))
        return 0; /* a CRC has no HMAC */
    size_t n = digest_two(alg, ipad, sizeof ipad, data, len, inner);
    return n ? digest_two(alg, opad, sizeof opad, inner, n, out) : 0;
}

/* ---- HMAC from kept states ----
 * A key used for many messages (a SigV4 signing key, a streaming upload's chunks) hashes its
 * two pads once; each message then starts from copies of those states. */

struct nb_hmac_key {
    nb_digest_alg_t alg;
    EVP_MD_CTX *inner, *outer; /* ipad and opad absorbed */
};

int nb__hmac_key_new(nb_digest_alg_t alg, const void *key, size_t key_len, nb_hmac_key_t **out) {
    *out = NULL;
    const EVP_MD *md = evp_of(alg);
    unsigned char ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
    if (md == NULL || !hmac_pads(alg, key, key_len, ipad, opad))
        return NB_EINVAL;
    nb_hmac_key_t *k = calloc(1, sizeof *k);
    if (k == NULL || (k->inner = EVP_MD_CTX_new()) == NULL || (k->outer = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestInit_ex(k->inner, md, NULL) != 1 || EVP_DigestInit_ex(k->outer, md, NULL) != 1 ||
        EVP_DigestUpdate(k->inner, ipad, sizeof ipad) != 1 || EVP_DigestUpdate(k->outer, opad, sizeof opad) != 1) {
        nb__hmac_key_free(k);
        return NB_ENOMEM;
    }
    k->alg = alg;
    *out = k;
    return 0;
}

void nb__hmac_key_free(nb_hmac_key_t *k) {
    if (k == NULL)
        return;
    EVP_MD_CTX_free(k->inner);
    EVP_MD_CTX_free(k->outer);
    free(k);
}

/* state + data..., finished into out through the scratch context: the digest's size, 0 on failure. */
static size_t finish_from(EVP_MD_CTX *scratch, EVP_MD_CTX *state, const void *a, size_t alen, const void *b,
                          size_t blen, unsigned char out[NB_DIGEST_MAX]) {
    unsigned int got = 0;
    if (EVP_MD_CTX_copy_ex(scratch, state) != 1 || EVP_DigestUpdate(scratch, a, alen) != 1 ||
        (blen && EVP_DigestUpdate(scratch, b, blen) != 1) || EVP_DigestFinal_ex(scratch, out, &got) != 1)
        return 0;
    return got;
}

size_t nb__hmac_with(const nb_hmac_key_t *k, const void *a, size_t alen, const void *b, size_t blen,
                     unsigned char out[NB_DIGEST_MAX]) {
    spares_t *sp = my_spares();
    if (sp == NULL || (sp->hmac_scratch == NULL && (sp->hmac_scratch = EVP_MD_CTX_new()) == NULL))
        return 0;
    unsigned char inner[NB_DIGEST_MAX];
    size_t n = finish_from(sp->hmac_scratch, k->inner, a, alen, b, blen, inner);
    return n ? finish_from(sp->hmac_scratch, k->outer, inner, n, NULL, 0, out) : 0;
}
