/*
 * kms_crypto.h - KMS's cryptography on OpenSSL 3, with no Nimbus call: safe on the thread pool
 * (nb_work_queue) and testable on its own (tests/unit/test_kms_crypto.c).
 *
 * Private keys are kept as DER (PKCS#8 for RSA and ECC); symmetric and HMAC keys as raw bytes.
 * Every buffer handed out is malloc'd and freed with kms_buf_free, which wipes it first.
 */
#ifndef KMS_CRYPTO_H
#define KMS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

typedef struct kms_buf {
    unsigned char *p;
    size_t n;
} kms_buf_t;

/* Results besides 0: the input is wrong for the key (an algorithm the key spec has no use for,
 * a ciphertext that does not open, a message too long) or OpenSSL failed. */
#define KMS_CRYPTO_EALG (-2)
#define KMS_CRYPTO_EINPUT (-3)
#define KMS_CRYPTO_EFAIL (-4)

#define KMS_AES_KEY_SIZE 32
#define KMS_GCM_IV_SIZE 12
#define KMS_GCM_TAG_SIZE 16

void kms_buf_free(kms_buf_t *b);
/* Frees the parsed private keys kept for reuse (the plugin's fini). */
void kms_crypto_cache_clear(void);

/* What a key spec is: "SYMMETRIC_DEFAULT", "RSA_2048", "ECC_NIST_P256", "HMAC_256", ... */
typedef enum kms_family { KMS_FAMILY_NONE, KMS_FAMILY_AES, KMS_FAMILY_RSA, KMS_FAMILY_EC, KMS_FAMILY_HMAC } kms_family_t;
kms_family_t kms_spec_family(const char *spec);
/* Whether making a key of this spec takes long enough to belong off the event loop (RSA, ECC). */
int kms_spec_slow(const char *spec);

/* New key material for spec: raw bytes (AES, HMAC) or a private key's DER (RSA, EC). */
int kms_keygen(const char *spec, kms_buf_t *out);
/* The DER SubjectPublicKeyInfo of a private key's DER. */
int kms_public_der(const unsigned char *priv, size_t priv_n, kms_buf_t *out);
/* A private key's DER as PKCS#8 (what GenerateDataKeyPair answers). */
int kms_private_pkcs8(const unsigned char *priv, size_t priv_n, kms_buf_t *out);

/* AES-256-GCM with a 12-byte IV and 16-byte tag: out has room for n bytes. open: 0, or
 * KMS_CRYPTO_EINPUT when the tag does not verify (wrong key, context, or a changed blob). */
int kms_gcm_seal(const unsigned char key[KMS_AES_KEY_SIZE], const unsigned char iv[KMS_GCM_IV_SIZE],
                 const void *aad, size_t aad_n, const void *in, size_t n, unsigned char *out,
                 unsigned char tag[KMS_GCM_TAG_SIZE]);
int kms_gcm_open(const unsigned char key[KMS_AES_KEY_SIZE], const unsigned char iv[KMS_GCM_IV_SIZE],
                 const void *aad, size_t aad_n, const void *in, size_t n, const unsigned char tag[KMS_GCM_TAG_SIZE],
                 unsigned char *out);

/* RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256 with an RSA key's private DER (or public SPKI DER for
 * encryption: pub 1). */
int kms_rsa_encrypt(const unsigned char *key, size_t key_n, int pub, const char *alg, const void *in, size_t n,
                    kms_buf_t *out);
int kms_rsa_decrypt(const unsigned char *priv, size_t priv_n, const char *alg, const void *in, size_t n,
                    kms_buf_t *out);

/* Sign / verify with RSASSA_PSS_SHA_*, RSASSA_PKCS1_V1_5_SHA_*, ECDSA_SHA_*; digest 1 when msg is
 * already the digest (MessageType DIGEST; its length must be the hash's). verify: 1 valid, 0 not,
 * or a negative code. */
int kms_crypto_sign(const unsigned char *priv, size_t priv_n, const char *alg, int digest, const void *msg, size_t n,
             kms_buf_t *sig);
int kms_crypto_verify(const unsigned char *priv, size_t priv_n, const char *alg, int digest, const void *msg, size_t n,
               const void *sig, size_t sig_n);
/* Whether alg is one a key of spec signs with. */
int kms_sign_alg_fits(const char *spec, const char *alg);

/* HMAC_SHA_224..512 over msg: out has room for 64 bytes; *out_n set. */
int kms_mac(const char *alg, const void *key, size_t key_n, const void *msg, size_t n, unsigned char *out,
            size_t *out_n);
/* ECDH between an EC key's private DER and a peer's SPKI DER on the same curve. */
int kms_ecdh(const unsigned char *priv, size_t priv_n, const void *peer, size_t peer_n, kms_buf_t *out);

/* AES key unwrap with padding (RFC 5649) under a 256-bit key: the second half of
 * RSA_AES_KEY_WRAP_SHA_* import material. */
int kms_aes_unwrap_pad(const unsigned char *kek, size_t kek_n, const void *in, size_t n, kms_buf_t *out);

/* Key material wrapped for ImportKeyMaterial with alg (RSAES_OAEP_SHA_*, or RSA_AES_KEY_WRAP_SHA_*:
 * an RSA-OAEP-wrapped AES-256 key, then the material under it by AES key wrap with padding). */
int kms_import_unwrap(const unsigned char *priv, size_t priv_n, const char *alg, const void *in, size_t n,
                      kms_buf_t *out);

#endif /* KMS_CRYPTO_H */
