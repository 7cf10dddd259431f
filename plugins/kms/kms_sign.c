/* Asymmetric and HMAC keys: Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, DeriveSharedSecret.
 * Operations slower than ~100 us run on the thread pool: RSA signatures (265 us at 2048 bits),
 * ECDSA on curves other than P-256 (280-820 us), ECDH (the peer's DER alone takes ~150 us to
 * decode). P-256 signs in 24 us and verifies in 65 us: on the loop (docs/services/kms.md). */
#include "kms.h"

#include <openssl/crypto.h>

/* Whether a private-key operation with a key of spec belongs off the loop. */
static int slow_private_op(const char *spec) {
    return kms_spec_family(spec) == KMS_FAMILY_RSA || strcmp(spec, "ECC_NIST_P256") != 0;
}

/* The key of an operation needing usage, usable now, with its material loaded into j. */
static nb_step_t job_key(nb_req_t *req, const json_t *input, const char *usage, const char *op, kms_job_t **out) {
    kms_key_t *k;
    NB_TRY_STEP(kms_key_from(req, input, NULL, &k));
    NB_TRY_STEP(kms_key_usable(req, k));
    NB_TRY_STEP(kms_key_usage(req, k, usage, op));
    kms_job_t *j = kms_job_new(req);
    if (j == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    int rc = kms_material_get(k, 0, &j->material, NULL);
    if (rc != 0)
        return nb_stop(kms_internal(req, rc));
    j->key = k, j->input = input;
    *out = j;
    return NB_GO_ON;
}

static nb_step_t signing_algorithm(nb_req_t *req, kms_job_t *j) {
    j->alg = kms_str(j->input, "SigningAlgorithm");
    if (!kms_sign_alg_fits(j->key->spec, j->alg))
        return nb_stop(nb_error(req, "InvalidKeyUsageException", "Algorithm %s is incompatible with key spec %s.", j->alg,
                                j->key->spec));
    j->digest = nb_json_str_eq(j->input, "MessageType", "DIGEST");
    return kms_dry_run(req, j->input);
}

static nb_result_t digest_invalid(nb_req_t *req, kms_job_t *j) {
    return nb_error(req, "ValidationException", "Digest is invalid length for algorithm %s.", j->alg);
}

static int sign_fn(kms_job_t *j) {
    const json_t *m = json_object_get(j->input, "Message");
    return kms_crypto_sign(j->material.p, j->material.n, j->alg, j->digest, json_string_value(m), json_string_length(m),
                           &j->out);
}

static nb_result_t sign_finish(nb_req_t *req, kms_job_t *j) {
    if (j->rc == KMS_CRYPTO_EINPUT)
        return digest_invalid(req, j);
    if (j->rc != 0)
        return kms_internal(req, j->rc);
    return nb_reply_new(req, json_pack("{s:s,s:o,s:s}", "KeyId", j->key->arn, "Signature", KMS_BLOB(j->out.p, j->out.n),
                                       "SigningAlgorithm", j->alg));
}

nb_result_t kms_sign(nb_req_t *req, const json_t *input) {
    kms_job_t *j;
    NB_TRY(job_key(req, input, "SIGN_VERIFY", "Sign", &j));
    NB_TRY(signing_algorithm(req, j));
    j->fn = sign_fn, j->finish = sign_finish;
    return kms_job_run(req, j, slow_private_op(j->key->spec));
}

static int verify_fn(kms_job_t *j) {
    const json_t *m = json_object_get(j->input, "Message"), *s = json_object_get(j->input, "Signature");
    return kms_crypto_verify(j->material.p, j->material.n, j->alg, j->digest, json_string_value(m), json_string_length(m),
                             json_string_value(s), json_string_length(s));
}

static nb_result_t verify_finish(nb_req_t *req, kms_job_t *j) {
    if (j->rc == KMS_CRYPTO_EINPUT)
        return digest_invalid(req, j);
    if (j->rc == 0)
        return nb_error(req, "KMSInvalidSignatureException", "%s", "");
    if (j->rc != 1)
        return kms_internal(req, j->rc);
    return nb_reply_new(req, json_pack("{s:s,s:b,s:s}", "KeyId", j->key->arn, "SignatureValid", 1, "SigningAlgorithm",
                                       j->alg));
}

nb_result_t kms_verify(nb_req_t *req, const json_t *input) {
    kms_job_t *j;
    NB_TRY(job_key(req, input, "SIGN_VERIFY", "Verify", &j));
    NB_TRY(signing_algorithm(req, j));
    j->fn = verify_fn, j->finish = verify_finish;
    /* RSA verification is a public-key operation (~20 us); ECDSA's is as slow as signing */
    return kms_job_run(req, j, kms_spec_family(j->key->spec) == KMS_FAMILY_EC && slow_private_op(j->key->spec));
}

nb_result_t kms_get_public_key(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_usable(req, k));
    kms_family_t f = kms_spec_family(k->spec);
    if (f != KMS_FAMILY_RSA && f != KMS_FAMILY_EC)
        return nb_error(req, "UnsupportedOperationException", "%s key spec %s has no public key.", k->arn, k->spec);
    kms_buf_t m, pub;
    int rc = kms_material_get(k, 0, &m, NULL);
    if (rc == 0) {
        rc = kms_public_der(m.p, m.n, &pub);
        kms_buf_free(&m);
    }
    if (rc != 0)
        return kms_internal(req, rc);
    json_t *out = json_pack("{s:s,s:o,s:s,s:s,s:s}", "KeyId", k->arn, "PublicKey", KMS_BLOB(pub.p, pub.n),
                            "CustomerMasterKeySpec", k->spec, "KeySpec", k->spec, "KeyUsage", k->usage);
    kms_buf_free(&pub);
    static const char *const lists[] = {"EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms"};
    for (size_t i = 0; i < NB_STORE_COUNT(lists); i++)
        if (json_object_get(k->meta, lists[i]) != NULL)
            json_object_set(out, lists[i], json_object_get(k->meta, lists[i]));
    return nb_reply_new(req, out);
}

/* HMAC: the algorithm must be the key spec's (HMAC_256 <-> HMAC_SHA_256). */
static nb_step_t mac_compute(nb_req_t *req, kms_job_t *j, unsigned char *mac, size_t *mac_n) {
    const char *alg = kms_str(j->input, "MacAlgorithm");
    if (strncmp(alg, "HMAC_SHA_", 9) != 0 || strcmp(alg + 9, j->key->spec + 5) != 0)
        return nb_stop(nb_error(req, "InvalidKeyUsageException", "Algorithm %s is incompatible with key spec %s.", alg,
                                j->key->spec));
    NB_TRY_STEP(kms_dry_run(req, j->input));
    const json_t *m = json_object_get(j->input, "Message");
    int rc = kms_mac(alg, j->material.p, j->material.n, json_string_value(m), json_string_length(m), mac, mac_n);
    j->alg = alg;
    return rc != 0 ? nb_stop(kms_internal(req, rc)) : NB_GO_ON;
}

nb_result_t kms_generate_mac(nb_req_t *req, const json_t *input) {
    kms_job_t *j;
    NB_TRY(job_key(req, input, "GENERATE_VERIFY_MAC", "GenerateMac", &j));
    unsigned char mac[64];
    size_t n = 0;
    NB_TRY(mac_compute(req, j, mac, &n));
    return nb_reply_new(req, json_pack("{s:o,s:s,s:s}", "Mac", KMS_BLOB(mac, n), "MacAlgorithm", j->alg, "KeyId",
                                       j->key->arn));
}

nb_result_t kms_verify_mac(nb_req_t *req, const json_t *input) {
    kms_job_t *j;
    NB_TRY(job_key(req, input, "GENERATE_VERIFY_MAC", "VerifyMac", &j));
    unsigned char mac[64];
    size_t n = 0;
    NB_TRY(mac_compute(req, j, mac, &n));
    const json_t *given = json_object_get(input, "Mac");
    if (json_string_length(given) != n || CRYPTO_memcmp(json_string_value(given), mac, n) != 0)
        return nb_error(req, "KMSInvalidMacException", "%s", "");
    return nb_reply_new(req, json_pack("{s:s,s:b,s:s}", "KeyId", j->key->arn, "MacValid", 1, "MacAlgorithm", j->alg));
}

static int ecdh_fn(kms_job_t *j) {
    const json_t *p = json_object_get(j->input, "PublicKey");
    return kms_ecdh(j->material.p, j->material.n, json_string_value(p), json_string_length(p), &j->out);
}

static nb_result_t ecdh_finish(nb_req_t *req, kms_job_t *j) {
    if (j->rc == KMS_CRYPTO_EINPUT)
        return nb_error(req, "ValidationException",
                        "PublicKey must be a DER-encoded X.509 public key on the curve of key spec %s.", j->key->spec);
    if (j->rc != 0)
        return kms_internal(req, j->rc);
    return nb_reply_new(req, json_pack("{s:s,s:o,s:s,s:s}", "KeyId", j->key->arn, "SharedSecret",
                                       KMS_BLOB(j->out.p, j->out.n), "KeyAgreementAlgorithm", "ECDH", "KeyOrigin",
                                       kms_str(j->key->meta, "Origin")));
}

nb_result_t kms_derive_shared_secret(nb_req_t *req, const json_t *input) {
    kms_job_t *j;
    NB_TRY(job_key(req, input, "KEY_AGREEMENT", "DeriveSharedSecret", &j));
    if (!nb_json_str_eq(input, "KeyAgreementAlgorithm", "ECDH"))
        return nb_error(req, "InvalidKeyUsageException", "Algorithm %s is incompatible with key spec %s.",
                        kms_str(input, "KeyAgreementAlgorithm"), j->key->spec);
    NB_TRY(kms_dry_run(req, input));
    j->fn = ecdh_fn, j->finish = ecdh_finish;
    return kms_job_run(req, j, 1);
}
