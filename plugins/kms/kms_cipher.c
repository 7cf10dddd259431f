/* Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateDataKeyPair*, GenerateRandom.
 *
 * A symmetric ciphertext blob carries what Decrypt needs without a KeyId, as AWS's do:
 *   [0] format 1 | [1, 37) key id (a UUID or mrk- id, 36 characters) | [37, 41) material version,
 *   big-endian | [41, 53) GCM IV | [53, 69) GCM tag | [69, ...) AES-256-GCM ciphertext.
 * The additional authenticated data is the blob's first 41 bytes and the encryption context
 * as canonical JSON (members sorted), so another context fails the tag: InvalidCiphertextException. */
#include "kms.h"
#include "kms_authz.h"

#include <stdlib.h>

#define BLOB_FORMAT 1
#define BLOB_ID_LEN 36
#define BLOB_HEAD (1 + BLOB_ID_LEN + 4)
#define BLOB_IV BLOB_HEAD
#define BLOB_TAG (BLOB_IV + KMS_GCM_IV_SIZE)
#define BLOB_DATA (BLOB_TAG + KMS_GCM_TAG_SIZE)

static const char *context_text(nb_req_t *req, const json_t *context) {
    if (context == NULL || json_object_size(context) == 0)
        return "";
    char *t = json_dumps(context, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    char *r = t ? nb_req_strdup(req, t) : NULL;
    free(t);
    return r;
}

static unsigned char *aad_make(nb_req_t *req, const unsigned char *head, const char *ctx, size_t *n) {
    size_t cn = strlen(ctx);
    unsigned char *a = nb_req_alloc(req, BLOB_HEAD + cn + 1);
    if (a == NULL)
        return NULL;
    memcpy(a, head, BLOB_HEAD);
    memcpy(a + BLOB_HEAD, ctx, cn);
    *n = BLOB_HEAD + cn;
    return a;
}

nb_result_t kms_seal(nb_req_t *req, const kms_key_t *k, const json_t *context, const void *pt, size_t n,
                     json_t **blob_out) {
    kms_buf_t m;
    int version = 0, rc = kms_material_get(k, 0, &m, &version);
    if (rc != 0)
        return kms_internal(req, rc);
    size_t total = BLOB_DATA + n, aad_n = 0;
    unsigned char *b = nb_req_alloc(req, total + 1);
    const char *ctx = context_text(req, context);
    rc = b == NULL || ctx == NULL || strlen(k->id) != BLOB_ID_LEN ? NB_ENOMEM : 0;
    unsigned char *aad = NULL;
    if (rc == 0) {
        b[0] = BLOB_FORMAT;
        memcpy(b + 1, k->id, BLOB_ID_LEN);
        b[37] = (unsigned char)(version >> 24), b[38] = (unsigned char)(version >> 16);
        b[39] = (unsigned char)(version >> 8), b[40] = (unsigned char)version;
        rc = nb_random_bytes(b + BLOB_IV, KMS_GCM_IV_SIZE);
        aad = aad_make(req, b, ctx, &aad_n);
    }
    if (rc == 0 && (aad == NULL || m.n != KMS_AES_KEY_SIZE))
        rc = NB_EINVAL;
    if (rc == 0)
        rc = kms_gcm_seal(m.p, b + BLOB_IV, aad, aad_n, pt, n, b + BLOB_DATA, b + BLOB_TAG) == 0 ? 0 : NB_EINVAL;
    kms_buf_free(&m);
    if (rc != 0)
        return kms_internal(req, rc);
    *blob_out = json_stringn_nocheck((const char *)b, total);
    return NB_DONE;
}

const char *kms_blob_key_id(nb_req_t *req, const json_t *blob) {
    const unsigned char *b = (const unsigned char *)json_string_value(blob);
    size_t n = json_string_length(blob);
    if (b == NULL || n < BLOB_DATA || b[0] != BLOB_FORMAT)
        return NULL;
    char *id = nb_req_alloc(req, BLOB_ID_LEN + 1);
    if (id != NULL)
        memcpy(id, b + 1, BLOB_ID_LEN);
    return id;
}

static nb_result_t invalid_ciphertext(nb_req_t *req) { return nb_error(req, "InvalidCiphertextException", "%s", ""); }

/* Opens a symmetric blob with key k: the plaintext in req memory, or an error answered. */
static nb_step_t unseal(nb_req_t *req, const kms_key_t *k, const json_t *blob, const json_t *context,
                        unsigned char **pt, size_t *pt_n) {
    const unsigned char *b = (const unsigned char *)json_string_value(blob);
    size_t n = json_string_length(blob), aad_n = 0;
    int version = (b[37] << 24) | (b[38] << 16) | (b[39] << 8) | b[40];
    kms_buf_t m;
    int rc = kms_material_get(k, version, &m, NULL);
    if (rc == NB_ENOENT)
        return nb_stop(invalid_ciphertext(req));
    if (rc != 0)
        return nb_stop(kms_internal(req, rc));
    const char *ctx = context_text(req, context);
    unsigned char *aad = ctx ? aad_make(req, b, ctx, &aad_n) : NULL;
    *pt = nb_req_alloc(req, n - BLOB_DATA + 1);
    *pt_n = n - BLOB_DATA;
    if (aad == NULL || *pt == NULL) {
        kms_buf_free(&m);
        return nb_stop(NB_FAILED(NB_ENOMEM));
    }
    rc = m.n == KMS_AES_KEY_SIZE ? kms_gcm_open(m.p, b + BLOB_IV, aad, aad_n, b + BLOB_DATA, *pt_n, b + BLOB_TAG, *pt)
                                 : KMS_CRYPTO_EINPUT;
    kms_buf_free(&m);
    if (rc != 0)
        return nb_stop(invalid_ciphertext(req));
    return NB_GO_ON;
}

static nb_step_t check_algorithm(nb_req_t *req, const kms_key_t *k, const char *alg) {
    int sym = kms_spec_family(k->spec) == KMS_FAMILY_AES;
    if (sym ? strcmp(alg, "SYMMETRIC_DEFAULT") == 0
            : strcmp(alg, "RSAES_OAEP_SHA_1") == 0 || strcmp(alg, "RSAES_OAEP_SHA_256") == 0)
        return NB_GO_ON;
    return nb_stop(nb_error(req, "InvalidKeyUsageException", "Algorithm %s is incompatible with key spec %s.", alg,
                            k->spec));
}

/* An RSA encryption or decryption with k's current material, as a job. */
static nb_result_t rsa_job(nb_req_t *req, kms_key_t *k, const json_t *input, const char *alg,
                           int (*fn)(kms_job_t *), nb_result_t (*finish)(nb_req_t *, kms_job_t *), int slow) {
    kms_job_t *j = kms_job_new(req);
    if (j == NULL)
        return NB_FAILED(NB_ENOMEM);
    int rc = kms_material_get(k, 0, &j->material, NULL);
    if (rc != 0)
        return kms_internal(req, rc);
    j->fn = fn, j->finish = finish, j->key = k, j->input = input, j->alg = alg;
    return kms_job_run(req, j, slow);
}

static int rsa_encrypt_fn(kms_job_t *j) {
    /* the private key's public half: its parsed form is cached, a public DER's would be decoded anew */
    const json_t *pt = json_object_get(j->input, "Plaintext");
    return kms_rsa_encrypt(j->material.p, j->material.n, 0, j->alg, json_string_value(pt), json_string_length(pt),
                           &j->out);
}

static nb_result_t encrypt_finish(nb_req_t *req, kms_job_t *j) {
    if (j->rc == KMS_CRYPTO_EINPUT)
        return nb_error(req, "ValidationException", "Plaintext is too long for %s with %s.", j->key->spec, j->alg);
    if (j->rc != 0)
        return kms_internal(req, j->rc);
    return nb_reply_new(req, json_pack("{s:o,s:s,s:s}", "CiphertextBlob", KMS_BLOB(j->out.p, j->out.n), "KeyId",
                                       j->key->arn, "EncryptionAlgorithm", j->alg));
}

/* The key of an Encrypt-like operation: found, usable, for encryption. */
static nb_step_t encrypt_key(nb_req_t *req, const json_t *input, const char *member, const char *op, kms_key_t **k) {
    NB_TRY_STEP(kms_key_from(req, input, member, k));
    NB_TRY_STEP(kms_key_usable(req, *k));
    return kms_key_usage(req, *k, "ENCRYPT_DECRYPT", op);
}

nb_result_t kms_encrypt(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(encrypt_key(req, input, NULL, "Encrypt", &k));
    const char *alg = nb_json_str(input, "EncryptionAlgorithm");
    alg = alg ? alg : "SYMMETRIC_DEFAULT";
    NB_TRY(check_algorithm(req, k, alg));
    NB_TRY(kms_dry_run(req, input));
    const json_t *pt = json_object_get(input, "Plaintext");
    if (kms_spec_family(k->spec) == KMS_FAMILY_AES) {
        json_t *blob = NULL;
        nb_result_t r = kms_seal(req, k, json_object_get(input, "EncryptionContext"), json_string_value(pt),
                                 json_string_length(pt), &blob);
        if (blob == NULL)
            return r;
        return nb_reply_new(req, json_pack("{s:o,s:s,s:s}", "CiphertextBlob", blob, "KeyId", k->arn,
                                           "EncryptionAlgorithm", "SYMMETRIC_DEFAULT"));
    }
    return rsa_job(req, k, input, alg, rsa_encrypt_fn, encrypt_finish, 0); /* a public-key operation: ~20 us */
}

static int rsa_decrypt_fn(kms_job_t *j) {
    const json_t *ct = json_object_get(j->input, "CiphertextBlob");
    return kms_rsa_decrypt(j->material.p, j->material.n, j->alg, json_string_value(ct), json_string_length(ct), &j->out);
}

static nb_result_t decrypt_finish(nb_req_t *req, kms_job_t *j) {
    if (j->rc == KMS_CRYPTO_EINPUT)
        return invalid_ciphertext(req);
    if (j->rc != 0)
        return kms_internal(req, j->rc);
    return nb_reply_new(req, json_pack("{s:s,s:o,s:s}", "KeyId", j->key->arn, "Plaintext", KMS_BLOB(j->out.p, j->out.n), "EncryptionAlgorithm", j->alg));
}

/* The key that opens a ciphertext: the one the blob names (symmetric), checked against KeyId
 * when given, or KeyId itself (asymmetric, where it is required). */
static nb_step_t decrypt_key(nb_req_t *req, const json_t *input, const char *id_member, const char *alg, const char *op,
                             kms_key_t **k) {
    const json_t *blob = json_object_get(input, "CiphertextBlob");
    const char *given = nb_json_str(input, id_member);
    if (strcmp(alg, "SYMMETRIC_DEFAULT") != 0) {
        if (given == NULL)
            return nb_stop(nb_error(req, "ValidationException",
                                    "KeyId is required when EncryptionAlgorithm is %s.", alg));
        NB_TRY_STEP(kms_key_find(req, given, k));
    } else {
        const char *named = kms_blob_key_id(req, blob);
        if (named == NULL)
            return nb_stop(invalid_ciphertext(req));
        if (given != NULL) {
            NB_TRY_STEP(kms_key_find(req, given, k));
            if (strcmp((*k)->id, named) != 0)
                return nb_stop(nb_error(req, "IncorrectKeyException",
                                        "The key ID in the request does not identify a CMK that can perform this operation."));
        } else {
            NB_TRY_STEP(kms_key_find(req, named, k));
        }
    }
    NB_TRY_STEP(kms_key_usable(req, *k));
    NB_TRY_STEP(kms_key_usage(req, *k, "ENCRYPT_DECRYPT", op));
    return check_algorithm(req, *k, alg);
}

nb_result_t kms_decrypt(nb_req_t *req, const json_t *input) {
    const char *alg = nb_json_str(input, "EncryptionAlgorithm");
    alg = alg ? alg : "SYMMETRIC_DEFAULT";
    kms_key_t *k;
    NB_TRY(decrypt_key(req, input, "KeyId", alg, "Decrypt", &k));
    NB_TRY(kms_dry_run(req, input));
    if (kms_spec_family(k->spec) == KMS_FAMILY_AES) {
        unsigned char *pt;
        size_t n;
        NB_TRY(unseal(req, k, json_object_get(input, "CiphertextBlob"), json_object_get(input, "EncryptionContext"),
                      &pt, &n));
        return nb_reply_new(req, json_pack("{s:s,s:o,s:s}", "KeyId", k->arn, "Plaintext", KMS_BLOB(pt, n),
                                           "EncryptionAlgorithm", "SYMMETRIC_DEFAULT"));
    }
    return rsa_job(req, k, input, alg, rsa_decrypt_fn, decrypt_finish, 1); /* a private-key operation: ~280 us */
}

nb_result_t kms_re_encrypt(nb_req_t *req, const json_t *input) {
    const char *src_alg = nb_json_str(input, "SourceEncryptionAlgorithm");
    const char *dst_alg = nb_json_str(input, "DestinationEncryptionAlgorithm");
    src_alg = src_alg ? src_alg : "SYMMETRIC_DEFAULT";
    dst_alg = dst_alg ? dst_alg : "SYMMETRIC_DEFAULT";
    if (strcmp(src_alg, "SYMMETRIC_DEFAULT") != 0 || strcmp(dst_alg, "SYMMETRIC_DEFAULT") != 0)
        return nb_error(req, "UnsupportedOperationException",
                        "ReEncrypt with asymmetric keys is not supported by this emulator: Decrypt, then Encrypt.");
    kms_key_t *src, *dst;
    NB_TRY(decrypt_key(req, input, "SourceKeyId", src_alg, "ReEncrypt", &src));
    NB_TRY(kms_authz_reencrypt_to(req, input));
    NB_TRY(encrypt_key(req, input, "DestinationKeyId", "ReEncrypt", &dst));
    NB_TRY(check_algorithm(req, dst, dst_alg));
    NB_TRY(kms_dry_run(req, input));
    unsigned char *pt;
    size_t n;
    NB_TRY(unseal(req, src, json_object_get(input, "CiphertextBlob"), json_object_get(input, "SourceEncryptionContext"),
                  &pt, &n));
    json_t *blob = NULL;
    nb_result_t r = kms_seal(req, dst, json_object_get(input, "DestinationEncryptionContext"), pt, n, &blob);
    if (blob == NULL)
        return r;
    return nb_reply_new(req, json_pack("{s:o,s:s,s:s,s:s,s:s}", "CiphertextBlob", blob, "SourceKeyId", src->arn, "KeyId",
                                       dst->arn, "SourceEncryptionAlgorithm", src_alg, "DestinationEncryptionAlgorithm",
                                       dst_alg));
}

/* GenerateDataKey(WithoutPlaintext): a random data key and its blob under KeyId. */
static nb_result_t data_key(nb_req_t *req, const json_t *input, int with_plaintext) {
    const char *op = with_plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext";
    kms_key_t *k;
    NB_TRY(encrypt_key(req, input, NULL, op, &k));
    if (kms_spec_family(k->spec) != KMS_FAMILY_AES)
        return nb_error(req, "InvalidKeyUsageException", "%s key usage is ENCRYPT_DECRYPT with key spec %s which is not valid for %s.",
                        k->arn, k->spec, op);
    const char *spec = nb_json_str(input, "KeySpec");
    json_int_t n = nb_json_int(input, "NumberOfBytes", 0);
    if ((spec == NULL) == (n == 0))
        return nb_error(req, "ValidationException", "Please specify either number of bytes or key spec.");
    if (spec != NULL)
        n = strcmp(spec, "AES_128") == 0 ? 16 : 32;
    NB_TRY(kms_dry_run(req, input));
    unsigned char *dk = nb_req_alloc(req, (size_t)n);
    if (dk == NULL || nb_random_bytes(dk, (size_t)n) != 0)
        return NB_FAILED(NB_ENOMEM);
    json_t *blob = NULL;
    nb_result_t r = kms_seal(req, k, json_object_get(input, "EncryptionContext"), dk, (size_t)n, &blob);
    if (blob == NULL)
        return r;
    json_t *out = json_pack("{s:o,s:s}", "CiphertextBlob", blob, "KeyId", k->arn);
    if (with_plaintext)
        json_object_set_new(out, "Plaintext", json_stringn_nocheck((const char *)dk, (size_t)n));
    memset(dk, 0, (size_t)n);
    return nb_reply_new(req, out);
}

nb_result_t kms_generate_data_key(nb_req_t *req, const json_t *input) { return data_key(req, input, 1); }
nb_result_t kms_generate_data_key_without_plaintext(nb_req_t *req, const json_t *input) {
    return data_key(req, input, 0);
}

static int pair_fn(kms_job_t *j) {
    int rc = kms_keygen(j->alg, &j->material);
    if (rc == 0)
        rc = kms_public_der(j->material.p, j->material.n, &j->out);
    return rc;
}

static nb_result_t pair_finish(nb_req_t *req, kms_job_t *j, int with_plaintext) {
    if (j->rc != 0)
        return kms_internal(req, j->rc);
    json_t *blob = NULL;
    nb_result_t r = kms_seal(req, j->key, json_object_get(j->input, "EncryptionContext"), j->material.p, j->material.n,
                             &blob);
    if (blob == NULL)
        return r;
    json_t *out = json_pack("{s:o,s:o,s:s,s:s}", "PrivateKeyCiphertextBlob", blob, "PublicKey", KMS_BLOB(j->out.p, j->out.n), "KeyId", j->key->arn, "KeyPairSpec", j->alg);
    if (with_plaintext)
        json_object_set_new(out, "PrivateKeyPlaintext", json_stringn_nocheck((const char *)j->material.p, j->material.n));
    return nb_reply_new(req, out);
}

static nb_result_t pair_finish_plain(nb_req_t *req, kms_job_t *j) { return pair_finish(req, j, 1); }
static nb_result_t pair_finish_bare(nb_req_t *req, kms_job_t *j) { return pair_finish(req, j, 0); }

static nb_result_t data_key_pair(nb_req_t *req, const json_t *input, int with_plaintext) {
    const char *op = with_plaintext ? "GenerateDataKeyPair" : "GenerateDataKeyPairWithoutPlaintext";
    kms_key_t *k;
    NB_TRY(encrypt_key(req, input, NULL, op, &k));
    if (kms_spec_family(k->spec) != KMS_FAMILY_AES)
        return nb_error(req, "InvalidKeyUsageException", "%s key spec %s is not valid for %s.", k->arn, k->spec, op);
    const char *spec = kms_str(input, "KeyPairSpec");
    kms_family_t f = kms_spec_family(spec);
    if (strcmp(spec, "SM2") == 0 && strncmp(nb_req_region(req), "cn-", 3) != 0)
        return nb_error(req, "UnsupportedOperationException", "KeyPairSpec SM2 is not supported in this region.");
    if (f != KMS_FAMILY_RSA && f != KMS_FAMILY_EC)
        return nb_error(req, "UnsupportedOperationException", "KeyPairSpec %s is not supported by this emulator.", spec);
    NB_TRY(kms_dry_run(req, input));
    kms_job_t *j = kms_job_new(req);
    if (j == NULL)
        return NB_FAILED(NB_ENOMEM);
    j->fn = pair_fn, j->finish = with_plaintext ? pair_finish_plain : pair_finish_bare;
    j->key = k, j->input = input, j->alg = spec;
    return kms_job_run(req, j, kms_spec_slow(spec));
}

nb_result_t kms_generate_data_key_pair(nb_req_t *req, const json_t *input) { return data_key_pair(req, input, 1); }
nb_result_t kms_generate_data_key_pair_without_plaintext(nb_req_t *req, const json_t *input) {
    return data_key_pair(req, input, 0);
}

nb_result_t kms_generate_random(nb_req_t *req, const json_t *input) {
    json_int_t n = nb_json_int(input, "NumberOfBytes", 0);
    if (n < 1 || n > 1024)
        return nb_error(req, "ValidationException",
                        "1 validation error detected: Value '%lld' at 'numberOfBytes' failed to satisfy constraint: "
                        "Member must have value %s",
                        (long long)n, n < 1 ? "greater than or equal to 1" : "less than or equal to 1024");
    unsigned char *b = nb_req_alloc(req, (size_t)n);
    if (b == NULL || nb_random_bytes(b, (size_t)n) != 0)
        return NB_FAILED(NB_ENOMEM);
    return nb_reply_new(req, json_pack("{s:o}", "Plaintext", KMS_BLOB(b, (size_t)n)));
}
