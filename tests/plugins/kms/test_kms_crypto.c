/* KMS's crypto helpers on their own (no server): key generation per spec, AES-GCM blobs with
 * AAD, RSA-OAEP, every signing algorithm, HMAC, ECDH, AES key unwrap for imports. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../../plugins/kms/kms_crypto.c"

static kms_buf_t gen(const char *spec) {
    kms_buf_t k;
    cr_assert_eq(kms_keygen(spec, &k), 0, "%s", spec);
    return k;
}

Test(kms_crypto, keygen_sizes_and_families) {
    kms_buf_t aes = gen("SYMMETRIC_DEFAULT"), h = gen("HMAC_384");
    cr_assert_eq(aes.n, 32);
    cr_assert_eq(h.n, 48);
    kms_buf_free(&aes);
    kms_buf_free(&h);
    cr_assert_eq(kms_spec_family("ECC_SECG_P256K1"), KMS_FAMILY_EC);
    cr_assert_eq(kms_spec_slow("RSA_4096"), 1);
    cr_assert_eq(kms_spec_slow("ECC_NIST_P256"), 1);
    cr_assert_eq(kms_spec_slow("HMAC_256"), 0);
    kms_buf_t bad;
    cr_assert_eq(kms_keygen("RSA_1024", &bad), KMS_CRYPTO_EALG);
    cr_assert_eq(kms_keygen("SM2", &bad), KMS_CRYPTO_EALG);
}

Test(kms_crypto, gcm_round_trip_and_aad) {
    unsigned char key[32] = {1}, iv[12] = {2}, tag[16], ct[5], pt[5];
    cr_assert_eq(kms_gcm_seal(key, iv, "ctx", 3, "hello", 5, ct, tag), 0);
    cr_assert_eq(kms_gcm_open(key, iv, "ctx", 3, ct, 5, tag, pt), 0);
    cr_assert_arr_eq(pt, "hello", 5);
    cr_assert_eq(kms_gcm_open(key, iv, "cty", 3, ct, 5, tag, pt), KMS_CRYPTO_EINPUT);
    ct[0] ^= 1;
    cr_assert_eq(kms_gcm_open(key, iv, "ctx", 3, ct, 5, tag, pt), KMS_CRYPTO_EINPUT);
}

Test(kms_crypto, rsa_oaep_both_hashes) {
    kms_buf_t k = gen("RSA_2048"), pub, ct, pt;
    cr_assert_eq(kms_public_der(k.p, k.n, &pub), 0);
    const char *algs[] = {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"};
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(kms_rsa_encrypt(pub.p, pub.n, 1, algs[i], "secret", 6, &ct), 0);
        cr_assert_eq(ct.n, 256);
        cr_assert_eq(kms_rsa_decrypt(k.p, k.n, algs[i], ct.p, ct.n, &pt), 0);
        cr_assert_eq(pt.n, 6);
        cr_assert_arr_eq(pt.p, "secret", 6);
        kms_buf_free(&pt);
        /* the other hash does not open it */
        cr_assert_eq(kms_rsa_decrypt(k.p, k.n, algs[1 - i], ct.p, ct.n, &pt), KMS_CRYPTO_EINPUT);
        kms_buf_free(&ct);
    }
    cr_assert_eq(kms_rsa_encrypt(pub.p, pub.n, 1, "SYMMETRIC_DEFAULT", "x", 1, &ct), KMS_CRYPTO_EALG);
    kms_buf_free(&pub);
    kms_buf_free(&k);
}

static void sign_verify(const char *spec, const char *alg) {
    kms_buf_t k = gen(spec), sig;
    cr_assert(kms_sign_alg_fits(spec, alg), "%s %s", spec, alg);
    cr_assert_eq(kms_crypto_sign(k.p, k.n, alg, 0, "msg", 3, &sig), 0, "%s %s", spec, alg);
    cr_assert_eq(kms_crypto_verify(k.p, k.n, alg, 0, "msg", 3, sig.p, sig.n), 1, "%s %s", spec, alg);
    cr_assert_eq(kms_crypto_verify(k.p, k.n, alg, 0, "msh", 3, sig.p, sig.n), 0, "%s %s", spec, alg);
    kms_buf_free(&sig);
    kms_buf_free(&k);
}

Test(kms_crypto, every_signing_algorithm) {
    const char *rsa[] = {"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
                         "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"};
    for (int i = 0; i < 6; i++)
        sign_verify("RSA_2048", rsa[i]);
    sign_verify("ECC_NIST_P256", "ECDSA_SHA_256");
    sign_verify("ECC_NIST_P384", "ECDSA_SHA_384");
    sign_verify("ECC_NIST_P521", "ECDSA_SHA_512");
    sign_verify("ECC_SECG_P256K1", "ECDSA_SHA_256");
    cr_assert_not(kms_sign_alg_fits("ECC_NIST_P256", "ECDSA_SHA_384"));
    cr_assert_not(kms_sign_alg_fits("ECC_NIST_P256", "RSASSA_PSS_SHA_256"));
}

Test(kms_crypto, digest_messages_must_have_the_hash_length) {
    kms_buf_t k = gen("ECC_NIST_P256"), sig;
    unsigned char d[32] = {0};
    cr_assert_eq(kms_crypto_sign(k.p, k.n, "ECDSA_SHA_256", 1, d, 31, &sig), KMS_CRYPTO_EINPUT);
    cr_assert_eq(kms_crypto_sign(k.p, k.n, "ECDSA_SHA_256", 1, d, 32, &sig), 0);
    cr_assert_eq(kms_crypto_verify(k.p, k.n, "ECDSA_SHA_256", 1, d, 32, sig.p, sig.n), 1);
    kms_buf_free(&sig);
    kms_buf_free(&k);
}

Test(kms_crypto, hmac_known_answer) {
    /* RFC 4231 test case 2 */
    unsigned char mac[64];
    size_t n = 0;
    cr_assert_eq(kms_mac("HMAC_SHA_256", "Jefe", 4, "what do ya want for nothing?", 28, mac, &n), 0);
    static const unsigned char want[4] = {0x5b, 0xdc, 0xc1, 0x46};
    cr_assert_eq(n, 32);
    cr_assert_arr_eq(mac, want, 4);
    cr_assert_eq(kms_mac("HMAC_SHA_1", "k", 1, "m", 1, mac, &n), KMS_CRYPTO_EALG);
}

Test(kms_crypto, ecdh_agrees_both_ways) {
    kms_buf_t a = gen("ECC_NIST_P384"), b = gen("ECC_NIST_P384"), pa, pb, s1, s2;
    cr_assert_eq(kms_public_der(a.p, a.n, &pa), 0);
    cr_assert_eq(kms_public_der(b.p, b.n, &pb), 0);
    cr_assert_eq(kms_ecdh(a.p, a.n, pb.p, pb.n, &s1), 0);
    cr_assert_eq(kms_ecdh(b.p, b.n, pa.p, pa.n, &s2), 0);
    cr_assert_eq(s1.n, 48);
    cr_assert_arr_eq(s1.p, s2.p, s1.n);
    kms_buf_t p256 = gen("ECC_NIST_P256"), bad;
    cr_assert_eq(kms_ecdh(p256.p, p256.n, pb.p, pb.n, &bad), KMS_CRYPTO_EINPUT); /* another curve */
    kms_buf_free(&a), kms_buf_free(&b), kms_buf_free(&pa), kms_buf_free(&pb);
    kms_buf_free(&s1), kms_buf_free(&s2), kms_buf_free(&p256);
}

Test(kms_crypto, import_unwrap_rsa_aes_key_wrap) {
    kms_buf_t w = gen("RSA_2048"), pub, wrapped_kek, out;
    cr_assert_eq(kms_public_der(w.p, w.n, &pub), 0);
    unsigned char kek[32], material[32], blob[256 + 40];
    memset(kek, 7, sizeof kek);
    memset(material, 9, sizeof material);
    cr_assert_eq(kms_rsa_encrypt(pub.p, pub.n, 1, "RSA_AES_KEY_WRAP_SHA_256", kek, 32, &wrapped_kek), 0);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    cr_assert(EVP_EncryptInit_ex(c, EVP_aes_256_wrap_pad(), NULL, kek, NULL) == 1);
    memcpy(blob, wrapped_kek.p, 256);
    cr_assert(EVP_EncryptUpdate(c, blob + 256, &len, material, 32) == 1);
    cr_assert(EVP_EncryptFinal_ex(c, blob + 256 + len, &fin) == 1);
    EVP_CIPHER_CTX_free(c);
    cr_assert_eq(kms_import_unwrap(w.p, w.n, "RSA_AES_KEY_WRAP_SHA_256", blob, (size_t)(256 + len + fin), &out), 0);
    cr_assert_eq(out.n, 32);
    cr_assert_arr_eq(out.p, material, 32);
    kms_buf_free(&out), kms_buf_free(&w), kms_buf_free(&pub), kms_buf_free(&wrapped_kek);
}
