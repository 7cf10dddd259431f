/* KMS's cryptography on OpenSSL 3's EVP interfaces: no Nimbus calls (kms_crypto.h). */
#include "kms_crypto.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

void kms_buf_free(kms_buf_t *b) {
    if (b->p != NULL)
        OPENSSL_cleanse(b->p, b->n);
    free(b->p);
    b->p = NULL;
    b->n = 0;
}

static int buf_alloc(kms_buf_t *b, size_t n) {
    b->p = malloc(n ? n : 1);
    b->n = n;
    return b->p != NULL ? 0 : KMS_CRYPTO_EFAIL;
}

kms_family_t kms_spec_family(const char *spec) {
    if (spec == NULL || strcmp(spec, "SYMMETRIC_DEFAULT") == 0)
        return KMS_FAMILY_AES;
    if (strncmp(spec, "RSA_", 4) == 0)
        return KMS_FAMILY_RSA;
    if (strncmp(spec, "ECC_", 4) == 0)
        return KMS_FAMILY_EC;
    if (strncmp(spec, "HMAC_", 5) == 0)
        return KMS_FAMILY_HMAC;
    return KMS_FAMILY_NONE;
}

int kms_spec_slow(const char *spec) {
    /* RSA: 50 ms to seconds; ECC: ~100 us (P-256) to ms */
    return kms_spec_family(spec) == KMS_FAMILY_RSA || kms_spec_family(spec) == KMS_FAMILY_EC;
}

static const char *ec_curve(const char *spec) {
    if (strcmp(spec, "ECC_NIST_P256") == 0)
        return "P-256";
    if (strcmp(spec, "ECC_NIST_P384") == 0)
        return "P-384";
    if (strcmp(spec, "ECC_NIST_P521") == 0)
        return "P-521";
    if (strcmp(spec, "ECC_SECG_P256K1") == 0)
        return "secp256k1";
    return NULL;
}

static int rsa_bits(const char *spec) {
    if (strcmp(spec, "RSA_2048") == 0)
        return 2048;
    if (strcmp(spec, "RSA_3072") == 0)
        return 3072;
    if (strcmp(spec, "RSA_4096") == 0)
        return 4096;
    return 0;
}

static int hmac_size(const char *spec) {
    int bits = atoi(spec + 5);
    return bits == 224 || bits == 256 || bits == 384 || bits == 512 ? bits / 8 : 0;
}

static int pkey_pkcs8(EVP_PKEY *k, kms_buf_t *out) {
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
    if (p8 == NULL)
        return KMS_CRYPTO_EFAIL;
    int len = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL);
    int rc = KMS_CRYPTO_EFAIL;
    if (len > 0 && buf_alloc(out, (size_t)len) == 0) {
        unsigned char *w = out->p;
        if (i2d_PKCS8_PRIV_KEY_INFO(p8, &w) == len)
            rc = 0;
        else
            kms_buf_free(out);
    }
    PKCS8_PRIV_KEY_INFO_free(p8);
    return rc;
}

/* Random key bytes from OpenSSL's private generator (kept apart from public randomness). */
static int fill_random(kms_buf_t *b) {
    if (RAND_priv_bytes(b->p, (int)b->n) == 1)
        return 0;
    kms_buf_free(b);
    return KMS_CRYPTO_EFAIL;
}

/* Parsed private keys by their DER's SHA-256: OpenSSL 3 decodes a DER key through its provider
 * decoders in 100s of microseconds, more than a P-256 signature takes. A key is parsed once and
 * shared (EVP_PKEY is reference counted and safe to use from several threads at once). */
#define KEY_CACHE_SIZE 64
static struct {
    unsigned char id[32];
    EVP_PKEY *key;
} key_cache[KEY_CACHE_SIZE];
static unsigned key_cache_next;
static pthread_mutex_t key_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static EVP_PKEY *load_private(const unsigned char *der, size_t n) {
    unsigned char id[32];
    unsigned int id_n = 0;
    if (EVP_Digest(der, n, id, &id_n, EVP_sha256(), NULL) != 1)
        return NULL;
    EVP_PKEY *k = NULL;
    pthread_mutex_lock(&key_cache_lock);
    for (unsigned i = 0; i < KEY_CACHE_SIZE && k == NULL; i++)
        if (key_cache[i].key != NULL && memcmp(key_cache[i].id, id, sizeof id) == 0 && EVP_PKEY_up_ref(key_cache[i].key))
            k = key_cache[i].key;
    pthread_mutex_unlock(&key_cache_lock);
    if (k != NULL)
        return k;
    const unsigned char *r = der;
    if ((k = d2i_AutoPrivateKey(NULL, &r, (long)n)) == NULL)
        return NULL;
    pthread_mutex_lock(&key_cache_lock);
    unsigned slot = key_cache_next++ % KEY_CACHE_SIZE;
    EVP_PKEY *old = key_cache[slot].key;
    if (EVP_PKEY_up_ref(k)) {
        memcpy(key_cache[slot].id, id, sizeof id);
        key_cache[slot].key = k;
    } else {
        key_cache[slot].key = NULL;
    }
    pthread_mutex_unlock(&key_cache_lock);
    EVP_PKEY_free(old);
    return k;
}

void kms_crypto_cache_clear(void) {
    pthread_mutex_lock(&key_cache_lock);
    for (unsigned i = 0; i < KEY_CACHE_SIZE; i++) {
        EVP_PKEY_free(key_cache[i].key);
        key_cache[i].key = NULL;
    }
    pthread_mutex_unlock(&key_cache_lock);
}

int kms_keygen(const char *spec, kms_buf_t *out) {
    memset(out, 0, sizeof *out);
    EVP_PKEY *k = NULL;
    switch (kms_spec_family(spec)) {
    case KMS_FAMILY_AES:
        if (buf_alloc(out, KMS_AES_KEY_SIZE) != 0)
            return KMS_CRYPTO_EFAIL;
        return fill_random(out);
    case KMS_FAMILY_HMAC: {
        int n = hmac_size(spec);
        if (n == 0)
            return KMS_CRYPTO_EALG;
        if (buf_alloc(out, (size_t)n) != 0)
            return KMS_CRYPTO_EFAIL;
        return fill_random(out);
    }
    case KMS_FAMILY_RSA:
        if (rsa_bits(spec) == 0)
            return KMS_CRYPTO_EALG;
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits(spec));
        break;
    case KMS_FAMILY_EC:
        if (ec_curve(spec) == NULL)
            return KMS_CRYPTO_EALG;
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ec_curve(spec));
        break;
    default:
        return KMS_CRYPTO_EALG;
    }
    if (k == NULL)
        return KMS_CRYPTO_EFAIL;
    int rc = pkey_pkcs8(k, out);
    EVP_PKEY_free(k);
    return rc;
}

int kms_public_der(const unsigned char *priv, size_t priv_n, kms_buf_t *out) {
    memset(out, 0, sizeof *out);
    EVP_PKEY *k = load_private(priv, priv_n);
    if (k == NULL)
        return KMS_CRYPTO_EINPUT;
    int len = i2d_PUBKEY(k, NULL), rc = KMS_CRYPTO_EFAIL;
    if (len > 0 && buf_alloc(out, (size_t)len) == 0) {
        unsigned char *w = out->p;
        rc = i2d_PUBKEY(k, &w) == len ? 0 : KMS_CRYPTO_EFAIL;
    }
    EVP_PKEY_free(k);
    return rc;
}

int kms_private_pkcs8(const unsigned char *priv, size_t priv_n, kms_buf_t *out) {
    memset(out, 0, sizeof *out);
    EVP_PKEY *k = load_private(priv, priv_n);
    if (k == NULL)
        return KMS_CRYPTO_EINPUT;
    int rc = pkey_pkcs8(k, out);
    EVP_PKEY_free(k);
    return rc;
}

static int gcm(int enc, const unsigned char *key, const unsigned char *iv, const void *aad, size_t aad_n,
               const void *in, size_t n, unsigned char *tag, unsigned char *out) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
                      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, KMS_GCM_IV_SIZE, NULL) == 1 &&
                      EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) == 1 &&
                      (aad_n == 0 || EVP_CipherUpdate(c, NULL, &len, aad, (int)aad_n) == 1) &&
                      (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n) == 1);
    int rc = ok ? 0 : KMS_CRYPTO_EFAIL;
    if (ok && !enc) {
        if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KMS_GCM_TAG_SIZE, tag) != 1 ||
            EVP_CipherFinal_ex(c, out + len, &len) != 1)
            rc = KMS_CRYPTO_EINPUT;
    } else if (ok) {
        if (EVP_CipherFinal_ex(c, out + len, &len) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KMS_GCM_TAG_SIZE, tag) != 1)
            rc = KMS_CRYPTO_EFAIL;
    }
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int kms_gcm_seal(const unsigned char key[KMS_AES_KEY_SIZE], const unsigned char iv[KMS_GCM_IV_SIZE],
                 const void *aad, size_t aad_n, const void *in, size_t n, unsigned char *out,
                 unsigned char tag[KMS_GCM_TAG_SIZE]) {
    return gcm(1, key, iv, aad, aad_n, in, n, tag, out);
}

int kms_gcm_open(const unsigned char key[KMS_AES_KEY_SIZE], const unsigned char iv[KMS_GCM_IV_SIZE],
                 const void *aad, size_t aad_n, const void *in, size_t n, const unsigned char tag[KMS_GCM_TAG_SIZE],
                 unsigned char *out) {
    unsigned char t[KMS_GCM_TAG_SIZE];
    memcpy(t, tag, sizeof t);
    return gcm(0, key, iv, aad, aad_n, in, n, t, out);
}

static const EVP_MD *oaep_md(const char *alg) {
    if (alg == NULL)
        return NULL;
    if (strcmp(alg, "RSAES_OAEP_SHA_1") == 0 || strcmp(alg, "RSA_AES_KEY_WRAP_SHA_1") == 0)
        return EVP_sha1();
    if (strcmp(alg, "RSAES_OAEP_SHA_256") == 0 || strcmp(alg, "RSA_AES_KEY_WRAP_SHA_256") == 0)
        return EVP_sha256();
    return NULL;
}

static int rsa_crypt(int enc, EVP_PKEY *k, const char *alg, const void *in, size_t n, kms_buf_t *out) {
    const EVP_MD *md = oaep_md(alg);
    if (md == NULL || EVP_PKEY_base_id(k) != EVP_PKEY_RSA)
        return KMS_CRYPTO_EALG;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
    size_t len = 0;
    int ok = c != NULL && (enc ? EVP_PKEY_encrypt_init(c) : EVP_PKEY_decrypt_init(c)) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) == 1 && EVP_PKEY_CTX_set_rsa_oaep_md(c, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) == 1 &&
             (enc ? EVP_PKEY_encrypt(c, NULL, &len, in, n) : EVP_PKEY_decrypt(c, NULL, &len, in, n)) == 1 &&
             buf_alloc(out, len) == 0;
    int rc = ok ? 0 : KMS_CRYPTO_EFAIL;
    if (ok) {
        out->n = len;
        if ((enc ? EVP_PKEY_encrypt(c, out->p, &out->n, in, n) : EVP_PKEY_decrypt(c, out->p, &out->n, in, n)) != 1) {
            kms_buf_free(out);
            rc = KMS_CRYPTO_EINPUT; /* too long to encrypt, or a ciphertext that does not open */
        }
    }
    EVP_PKEY_CTX_free(c);
    return rc;
}

int kms_rsa_encrypt(const unsigned char *key, size_t key_n, int pub, const char *alg, const void *in, size_t n,
                    kms_buf_t *out) {
    memset(out, 0, sizeof *out);
    const unsigned char *r = key;
    EVP_PKEY *k = pub ? d2i_PUBKEY(NULL, &r, (long)key_n) : load_private(key, key_n);
    if (k == NULL)
        return KMS_CRYPTO_EINPUT;
    int rc = rsa_crypt(1, k, alg, in, n, out);
    EVP_PKEY_free(k);
    return rc;
}

int kms_rsa_decrypt(const unsigned char *priv, size_t priv_n, const char *alg, const void *in, size_t n,
                    kms_buf_t *out) {
    memset(out, 0, sizeof *out);
    EVP_PKEY *k = load_private(priv, priv_n);
    if (k == NULL)
        return KMS_CRYPTO_EINPUT;
    int rc = rsa_crypt(0, k, alg, in, n, out);
    EVP_PKEY_free(k);
    return rc;
}

/* The hash of a signing algorithm, and whether it is PSS, PKCS#1 v1.5 or ECDSA. */
typedef enum { SIG_NONE, SIG_PSS, SIG_PKCS1, SIG_ECDSA } sig_kind_t;

static sig_kind_t sig_kind(const char *alg, const EVP_MD **md) {
    sig_kind_t kind = SIG_NONE;
    const char *h = NULL;
    if (alg == NULL)
        return SIG_NONE;
    if (strncmp(alg, "RSASSA_PSS_SHA_", 15) == 0)
        kind = SIG_PSS, h = alg + 15;
    else if (strncmp(alg, "RSASSA_PKCS1_V1_5_SHA_", 22) == 0)
        kind = SIG_PKCS1, h = alg + 22;
    else if (strncmp(alg, "ECDSA_SHA_", 10) == 0)
        kind = SIG_ECDSA, h = alg + 10;
    else
        return SIG_NONE;
    if (strcmp(h, "256") == 0)
        *md = EVP_sha256();
    else if (strcmp(h, "384") == 0)
        *md = EVP_sha384();
    else if (strcmp(h, "512") == 0)
        *md = EVP_sha512();
    else
        return SIG_NONE;
    return kind;
}

int kms_sign_alg_fits(const char *spec, const char *alg) {
    const EVP_MD *md = NULL;
    sig_kind_t kind = sig_kind(alg, &md);
    switch (kms_spec_family(spec)) {
    case KMS_FAMILY_RSA:
        return kind == SIG_PSS || kind == SIG_PKCS1;
    case KMS_FAMILY_EC:
        if (kind != SIG_ECDSA)
            return 0;
        if (strcmp(spec, "ECC_NIST_P384") == 0)
            return md == EVP_sha384();
        if (strcmp(spec, "ECC_NIST_P521") == 0)
            return md == EVP_sha512();
        return md == EVP_sha256();
    default:
        return 0;
    }
}

/* The digest to sign: msg itself (DIGEST, which must be the hash's length) or its hash. */
static int sign_digest(const EVP_MD *md, int digest, const void *msg, size_t n, unsigned char *dg, size_t *dn) {
    if (digest) {
        if (n != (size_t)EVP_MD_get_size(md))
            return KMS_CRYPTO_EINPUT;
        memcpy(dg, msg, n);
        *dn = n;
        return 0;
    }
    unsigned int len = 0;
    if (EVP_Digest(msg, n, dg, &len, md, NULL) != 1)
        return KMS_CRYPTO_EFAIL;
    *dn = len;
    return 0;
}

static EVP_PKEY_CTX *sig_ctx(EVP_PKEY *k, sig_kind_t kind, const EVP_MD *md, int verify) {
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
    if (c == NULL)
        return NULL;
    int ok = (verify ? EVP_PKEY_verify_init(c) : EVP_PKEY_sign_init(c)) == 1 &&
             EVP_PKEY_CTX_set_signature_md(c, md) == 1;
    if (ok && kind == SIG_PSS)
        ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST) == 1;
    else if (ok && kind == SIG_PKCS1)
        ok = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1;
    if (!ok) {
        EVP_PKEY_CTX_free(c);
        return NULL;
    }
    return c;
}

/* What signing and verifying share: the digest to sign and a context for it on the key.
 * 0 (free *c with EVP_PKEY_CTX_free), or a KMS_CRYPTO_E* code. */
static int sig_prepare(const unsigned char *priv, size_t priv_n, const char *alg, int digest, const void *msg,
                       size_t n, int verify, unsigned char dg[EVP_MAX_MD_SIZE], size_t *dn, EVP_PKEY_CTX **c) {
    const EVP_MD *md = NULL;
    sig_kind_t kind = sig_kind(alg, &md);
    if (kind == SIG_NONE)
        return KMS_CRYPTO_EALG;
    int rc = sign_digest(md, digest, msg, n, dg, dn);
    if (rc != 0)
        return rc;
    EVP_PKEY *k = load_private(priv, priv_n);
    if (k == NULL)
        return KMS_CRYPTO_EINPUT;
    *c = sig_ctx(k, kind, md, verify);
    EVP_PKEY_free(k); /* the context holds its own reference */
    return *c != NULL ? 0 : KMS_CRYPTO_EFAIL;
}

int kms_crypto_sign(const unsigned char *priv, size_t priv_n, const char *alg, int digest, const void *msg, size_t n,
                    kms_buf_t *sig) {
    memset(sig, 0, sizeof *sig);
    unsigned char dg[EVP_MAX_MD_SIZE];
    size_t dn = 0, len = 0;
    EVP_PKEY_CTX *c = NULL;
    int rc = sig_prepare(priv, priv_n, alg, digest, msg, n, 0, dg, &dn, &c);
    if (rc != 0)
        return rc;
    rc = KMS_CRYPTO_EFAIL;
    if (EVP_PKEY_sign(c, NULL, &len, dg, dn) == 1 && buf_alloc(sig, len) == 0) {
        if (EVP_PKEY_sign(c, sig->p, &sig->n, dg, dn) == 1)
            rc = 0;
        else
            kms_buf_free(sig);
    }
    EVP_PKEY_CTX_free(c);
    return rc;
}

int kms_crypto_verify(const unsigned char *priv, size_t priv_n, const char *alg, int digest, const void *msg, size_t n,
                      const void *sig, size_t sig_n) {
    unsigned char dg[EVP_MAX_MD_SIZE];
    size_t dn = 0;
    EVP_PKEY_CTX *c = NULL;
    int rc = sig_prepare(priv, priv_n, alg, digest, msg, n, 1, dg, &dn, &c);
    if (rc != 0)
        return rc;
    rc = EVP_PKEY_verify(c, sig, sig_n, dg, dn) == 1 ? 1 : 0;
    EVP_PKEY_CTX_free(c);
    return rc;
}

int kms_mac(const char *alg, const void *key, size_t key_n, const void *msg, size_t n, unsigned char *out,
            size_t *out_n) {
    const EVP_MD *md = NULL;
    if (alg == NULL)
        return KMS_CRYPTO_EALG;
    if (strcmp(alg, "HMAC_SHA_224") == 0)
        md = EVP_sha224();
    else if (strcmp(alg, "HMAC_SHA_256") == 0)
        md = EVP_sha256();
    else if (strcmp(alg, "HMAC_SHA_384") == 0)
        md = EVP_sha384();
    else if (strcmp(alg, "HMAC_SHA_512") == 0)
        md = EVP_sha512();
    else
        return KMS_CRYPTO_EALG;
    unsigned int len = 0;
    if (HMAC(md, key, (int)key_n, msg, n, out, &len) == NULL)
        return KMS_CRYPTO_EFAIL;
    *out_n = len;
    return 0;
}

int kms_ecdh(const unsigned char *priv, size_t priv_n, const void *peer, size_t peer_n, kms_buf_t *out) {
    memset(out, 0, sizeof *out);
    const unsigned char *r = peer;
    EVP_PKEY *k = load_private(priv, priv_n), *p = d2i_PUBKEY(NULL, &r, (long)peer_n);
    int rc = KMS_CRYPTO_EINPUT;
    EVP_PKEY_CTX *c = NULL;
    size_t len = 0;
    if (k != NULL && p != NULL && EVP_PKEY_base_id(p) == EVP_PKEY_EC) {
        c = EVP_PKEY_CTX_new(k, NULL);
        if (c != NULL && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, p) == 1 &&
            EVP_PKEY_derive(c, NULL, &len) == 1 && buf_alloc(out, len) == 0) {
            if (EVP_PKEY_derive(c, out->p, &out->n) == 1)
                rc = 0;
            else
                kms_buf_free(out);
        }
    }
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(k);
    EVP_PKEY_free(p);
    return rc;
}

int kms_aes_unwrap_pad(const unsigned char *kek, size_t kek_n, const void *in, size_t n, kms_buf_t *out) {
    memset(out, 0, sizeof *out);
    if (kek_n != 32 || n < 16)
        return KMS_CRYPTO_EINPUT;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0, rc = KMS_CRYPTO_EINPUT;
    if (c != NULL && buf_alloc(out, n) == 0) {
        EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
        if (EVP_DecryptInit_ex(c, EVP_aes_256_wrap_pad(), NULL, kek, NULL) == 1 &&
            EVP_DecryptUpdate(c, out->p, &len, in, (int)n) == 1 && EVP_DecryptFinal_ex(c, out->p + len, &fin) == 1) {
            out->n = (size_t)(len + fin);
            rc = 0;
        } else {
            kms_buf_free(out);
        }
    }
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int kms_import_unwrap(const unsigned char *priv, size_t priv_n, const char *alg, const void *in, size_t n,
                      kms_buf_t *out) {
    memset(out, 0, sizeof *out);
    if (alg == NULL || strncmp(alg, "RSA_AES_KEY_WRAP_", 17) != 0)
        return kms_rsa_decrypt(priv, priv_n, alg, in, n, out);
    /* the RSA-OAEP-wrapped AES key (one modulus long), then the material under it (RFC 5649) */
    EVP_PKEY *k = load_private(priv, priv_n);
    if (k == NULL)
        return KMS_CRYPTO_EINPUT;
    size_t head = (size_t)EVP_PKEY_get_size(k);
    EVP_PKEY_free(k);
    if (n <= head)
        return KMS_CRYPTO_EINPUT;
    kms_buf_t kek;
    int rc = kms_rsa_decrypt(priv, priv_n, alg, in, head, &kek);
    if (rc != 0)
        return rc;
    rc = kms_aes_unwrap_pad(kek.p, kek.n, (const unsigned char *)in + head, n - head, out);
    kms_buf_free(&kek);
    return rc;
}
