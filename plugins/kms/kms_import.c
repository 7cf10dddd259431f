/* Imported key material: GetParametersForImport (a real RSA wrapping key and a one-use token),
 * ImportKeyMaterial (unwrapped with it: RSAES_OAEP_SHA_1/256 or RSA_AES_KEY_WRAP_SHA_1/256),
 * DeleteImportedKeyMaterial (back to PendingImport). */
#include "kms.h"

#include <stdlib.h>
#include <openssl/crypto.h>

#define IMPORT_VALID_SECONDS 86400 /* AWS: the parameters are good for 24 hours */

static nb_step_t external_key(nb_req_t *req, const json_t *input, kms_key_t **k) {
    NB_TRY_STEP(kms_key_from(req, input, NULL, k));
    if (!nb_json_str_eq((*k)->meta, "Origin", "EXTERNAL"))
        return nb_stop(nb_error(req, "UnsupportedOperationException", "%s origin is %s which is not valid for this operation.",
                                (*k)->arn, kms_str((*k)->meta, "Origin")));
    return kms_key_not_pending(req, *k);
}

static int wrapping_fn(kms_job_t *j) {
    int rc = kms_keygen(kms_str(j->input, "WrappingKeySpec"), &j->material);
    return rc != 0 ? rc : kms_public_der(j->material.p, j->material.n, &j->out);
}

static nb_result_t wrapping_finish(nb_req_t *req, kms_job_t *j) {
    if (j->rc != 0)
        return kms_internal(req, j->rc);
    unsigned char token[64];
    if (nb_random_bytes(token, sizeof token) != 0)
        return kms_internal(req, NB_EIO);
    double until = nb_now() + IMPORT_VALID_SECONDS;
    sqlite3_stmt *s = nb_store_stmt_scoped(&kms.store,
                                           "INSERT OR REPLACE INTO imports(key_id, token, wrapping, algorithm, expires,"
                                           " account, region) VALUES(?1, ?2, ?3, ?4, ?5, :account, :region)",
                                           j->key->account, j->key->region);
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, j->key->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 2, token, sizeof token, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 3, j->material.p, (int)j->material.n, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, kms_str(j->input, "WrappingAlgorithm"), -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 5, until);
    int rc = nb_store_run(s);
    if (rc != 0)
        return kms_internal(req, rc);
    return nb_reply_new(req, json_pack("{s:s,s:o,s:o,s:f}", "KeyId", j->key->arn, "ImportToken",
                                       KMS_BLOB(token, sizeof token), "PublicKey", KMS_BLOB(j->out.p, j->out.n),
                                       "ParametersValidTo", until));
}

nb_result_t kms_get_parameters_for_import(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(external_key(req, input, &k));
    const char *alg = kms_str(input, "WrappingAlgorithm"), *spec = kms_str(input, "WrappingKeySpec");
    if (strcmp(spec, "SM2") == 0)
        return nb_error(req, "UnsupportedOperationException", "WrappingKeySpec SM2 is not supported in this region.");
    if (strncmp(alg, "RSAES_OAEP_SHA_", 15) != 0 && strncmp(alg, "RSA_AES_KEY_WRAP_SHA_", 21) != 0)
        return nb_error(req, "UnsupportedOperationException", "WrappingAlgorithm %s is not supported.", alg);
    kms_job_t *j = kms_job_new(req);
    if (j == NULL)
        return NB_FAILED(NB_ENOMEM);
    j->fn = wrapping_fn, j->finish = wrapping_finish, j->key = k, j->input = input;
    return kms_job_run(req, j, 1); /* a new RSA key: 50 ms to seconds */
}

static int unwrap_fn(kms_job_t *j) {
    const json_t *m = json_object_get(j->input, "EncryptedKeyMaterial");
    return kms_import_unwrap(j->material.p, j->material.n, j->alg, json_string_value(m), json_string_length(m), &j->out);
}

/* The material as the key keeps it: 32 bytes (symmetric), the HMAC key, or a private key's
 * PKCS#8 DER; 0, or NB_EINVAL when it does not fit the key spec. */
static int material_normalize(const kms_key_t *k, kms_buf_t *m) {
    switch (kms_spec_family(k->spec)) {
    case KMS_FAMILY_AES:
        return m->n == KMS_AES_KEY_SIZE ? 0 : NB_EINVAL;
    case KMS_FAMILY_HMAC:
        return m->n >= 16 && m->n <= 64 ? 0 : NB_EINVAL;
    default: {
        kms_buf_t p8;
        if (kms_private_pkcs8(m->p, m->n, &p8) != 0)
            return NB_EINVAL;
        kms_buf_free(m);
        *m = p8;
        return 0;
    }
    }
}

static nb_result_t unwrap_finish(nb_req_t *req, kms_job_t *j) {
    if (j->rc == KMS_CRYPTO_EINPUT || j->rc == KMS_CRYPTO_EALG)
        return nb_error(req, "InvalidCiphertextException", "The EncryptedKeyMaterial could not be decrypted with the "
                                                          "wrapping key of this ImportToken.");
    if (j->rc != 0)
        return kms_internal(req, j->rc);
    if (material_normalize(j->key, &j->out) != 0)
        return nb_error(req, "IncorrectKeyMaterialException", "The key material is not valid for key spec %s.",
                        j->key->spec);
    kms_buf_t old;
    int version = 0, rc = kms_material_get(j->key, 0, &old, &version);
    if (rc == 0) {
        /* a key takes back the material it had, never another */
        int same = old.n == j->out.n && CRYPTO_memcmp(old.p, j->out.p, old.n) == 0;
        kms_buf_free(&old);
        if (!same)
            return nb_error(req, "IncorrectKeyMaterialException",
                            "The key material you are importing is different from the key material previously imported into this KMS key.");
    }
    rc = kms_material_put(j->key, version > 0 ? version : 1, &j->out, "IMPORTED", nb_now());
    const json_t *valid_to = json_object_get(j->input, "ValidTo");
    const char *model = nb_json_str(j->input, "ExpirationModel");
    if (model == NULL)
        model = valid_to != NULL ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE";
    json_object_set_new(j->key->meta, "ExpirationModel", json_string(model));
    if (strcmp(model, "KEY_MATERIAL_EXPIRES") == 0 && valid_to != NULL)
        json_object_set(j->key->meta, "ValidTo", (json_t *)valid_to);
    else
        json_object_del(j->key->meta, "ValidTo");
    kms_key_set_state(j->key, "Enabled");
    if (rc == 0)
        rc = kms_key_save(req, j->key);
    sqlite3_stmt *s = nb_store_stmt_scoped(&kms.store, "DELETE FROM imports WHERE key_id = ?1 AND account = :account AND region = :region",
                                           j->key->account, j->key->region);
    if (rc == 0 && s != NULL) { /* a token is good for one import */
        sqlite3_bind_text(s, 1, j->key->id, -1, SQLITE_TRANSIENT);
        rc = nb_store_run(s);
    }
    if (rc != 0)
        return kms_internal(req, rc);
    return nb_reply_new(req, json_pack("{s:s}", "KeyId", j->key->arn));
}

nb_result_t kms_import_key_material(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(external_key(req, input, &k));
    const char *model = nb_json_str(input, "ExpirationModel");
    if (model != NULL && strcmp(model, "KEY_MATERIAL_EXPIRES") == 0 && json_object_get(input, "ValidTo") == NULL)
        return nb_error(req, "ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT token, wrapping, algorithm, expires FROM imports WHERE key_id = ?1"
                                      " AND account = :account AND region = :region");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    const json_t *token = json_object_get(input, "ImportToken");
    if (sqlite3_step(s) != SQLITE_ROW || (size_t)sqlite3_column_bytes(s, 0) != json_string_length(token) ||
        memcmp(sqlite3_column_blob(s, 0), json_string_value(token), json_string_length(token)) != 0 ||
        sqlite3_column_double(s, 3) < nb_now())
        return nb_error(req, "InvalidImportTokenException", "Import token is invalid or expired.");
    kms_job_t *j = kms_job_new(req);
    if (j == NULL)
        return NB_FAILED(NB_ENOMEM);
    j->material.n = (size_t)sqlite3_column_bytes(s, 1);
    j->material.p = malloc(j->material.n);
    if (j->material.p == NULL)
        return NB_FAILED(NB_ENOMEM);
    memcpy(j->material.p, sqlite3_column_blob(s, 1), j->material.n);
    j->alg = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 2));
    sqlite3_reset(s);
    j->fn = unwrap_fn, j->finish = unwrap_finish, j->key = k, j->input = input;
    return kms_job_run(req, j, 1); /* an RSA private-key operation */
}

nb_result_t kms_delete_imported_key_material(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(external_key(req, input, &k));
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "DELETE FROM materials WHERE key_id = ?1 AND account = :account AND region = :region");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, k->id, -1, SQLITE_TRANSIENT);
    int rc = nb_store_run(s);
    kms_key_set_state(k, "PendingImport");
    json_object_del(k->meta, "ValidTo");
    if (rc == 0)
        rc = kms_key_save(req, k);
    return rc != 0 ? kms_internal(req, rc) : nb_reply_new(req, json_pack("{s:s}", "KeyId", k->arn));
}
