/* Keys: their rows, how a KeyId names one, their states, and the operations on them
 * (CreateKey, DescribeKey, ListKeys, Enable/DisableKey, UpdateKeyDescription,
 * ScheduleKeyDeletion, CancelKeyDeletion). */
#include "kms.h"

#include <stdio.h>
#include <stdlib.h>

static void meta_release(void *data) { json_decref(data); }

const char *kms_arn(nb_req_t *req, const char *account, const char *region, const char *resource) {
    return nb_req_printf(req, "arn:%s:kms:%s:%s:%s", nb_partition(region), region, account, resource);
}

static nb_step_t not_found_key(nb_req_t *req, const char *account, const char *region, const char *id) {
    return nb_stop(nb_error(req, "NotFoundException", "Key '%s' does not exist",
                            kms_arn(req, account, region, nb_req_printf(req, "key/%s", id))));
}

int kms_key_load(nb_req_t *req, const char *account, const char *region, const char *id, kms_key_t **out) {
    sqlite3_stmt *s = nb_store_stmt_scoped(&kms.store,
                                           "SELECT meta FROM keys WHERE id = ?1 AND account = :account AND region = :region",
                                           account, region);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW)
        return NB_ENOENT;
    json_t *meta = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
    if (meta == NULL)
        return NB_ESTORE;
    kms_key_t *k = nb_req_alloc(req, sizeof *k);
    if (k == NULL || nb_req_on_free(req, meta_release, meta) != 0) {
        json_decref(meta);
        return NB_ENOMEM;
    }
    k->account = nb_req_strdup(req, account);
    k->region = nb_req_strdup(req, region);
    k->id = nb_req_strdup(req, id);
    k->meta = meta;
    k->arn = kms_str(meta, "Arn");
    k->state = kms_str(meta, "KeyState");
    k->spec = kms_str(meta, "KeySpec");
    k->usage = kms_str(meta, "KeyUsage");
    *out = k;
    return 0;
}

int kms_key_ref(nb_req_t *req, const char *key_id, const char **account, const char **id) {
    const char *region = nb_req_region(req), *name = key_id;
    char buf[1024];
    *account = nb_req_account(req);
    if (strncmp(key_id, "arn:", 4) == 0) {
        nb_arn_t arn;
        if (nb_arn_parse(key_id, &arn, buf, sizeof buf) != 0 || strcmp(arn.service, "kms") != 0 ||
            (strncmp(arn.resource, "key/", 4) != 0 && strncmp(arn.resource, "alias/", 6) != 0))
            return NB_EINVAL;
        if (strcmp(arn.region, region) != 0) /* a key lives in one region: another's ARN names none here */
            return NB_EINVAL;
        *account = nb_req_strdup(req, arn.account);
        name = strncmp(arn.resource, "key/", 4) == 0 ? nb_req_strdup(req, arn.resource + 4) : nb_req_strdup(req, arn.resource);
    }
    *id = name;
    if (strncmp(name, "alias/", 6) != 0)
        return 0;
    return kms_alias_key_id(*account, region, name, id, req);
}

nb_step_t kms_key_find(nb_req_t *req, const char *key_id, kms_key_t **out) {
    const char *account, *region = nb_req_region(req), *name;
    int rc = kms_key_ref(req, key_id, &account, &name);
    if (rc == NB_EINVAL)
        return nb_stop(nb_error(req, "NotFoundException", "Invalid arn %s", key_id));
    if (rc == NB_ENOENT)
        return nb_stop(nb_error(req, "NotFoundException", "Alias %s is not found.", kms_arn(req, account, region, name)));
    if (rc != 0)
        return nb_stop(kms_internal(req, rc));
    rc = kms_key_load(req, account, region, name, out);
    if (rc == 0 && strcmp((*out)->state, "PendingDeletion") == 0 &&
        nb_json_num((*out)->meta, "DeletionDate", 0) <= nb_now()) {
        /* its window ended before the sweep came by: it is gone */
        if ((rc = kms_key_purge(account, region, name)) == 0)
            rc = NB_ENOENT;
    }
    if (rc == NB_ENOENT)
        return not_found_key(req, account, region, name);
    if (rc != 0)
        return nb_stop(kms_internal(req, rc));
    return NB_GO_ON;
}

nb_step_t kms_key_from(nb_req_t *req, const json_t *input, const char *member, kms_key_t **out) {
    const char *id = nb_json_str(input, member ? member : "KeyId");
    if (id == NULL || *id == '\0')
        return nb_stop(nb_error(req, "ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"));
    return kms_key_find(req, id, out);
}

nb_step_t kms_key_usable(nb_req_t *req, const kms_key_t *k) {
    if (strcmp(k->state, "Enabled") == 0)
        return NB_GO_ON;
    if (strcmp(k->state, "Disabled") == 0)
        return nb_stop(nb_error(req, "DisabledException", "%s is disabled.", k->arn));
    if (strcmp(k->state, "PendingDeletion") == 0)
        return nb_stop(nb_error(req, "KMSInvalidStateException", "%s is pending deletion.", k->arn));
    if (strcmp(k->state, "PendingImport") == 0)
        return nb_stop(nb_error(req, "KMSInvalidStateException", "%s is pending import.", k->arn));
    return nb_stop(nb_error(req, "KMSInvalidStateException", "%s is %s.", k->arn, k->state));
}

nb_step_t kms_key_not_pending(nb_req_t *req, const kms_key_t *k) {
    if (strcmp(k->state, "PendingDeletion") == 0)
        return nb_stop(nb_error(req, "KMSInvalidStateException", "%s is pending deletion.", k->arn));
    return NB_GO_ON;
}

nb_step_t kms_key_usage(nb_req_t *req, const kms_key_t *k, const char *usage, const char *op) {
    if (strcmp(k->usage, usage) == 0)
        return NB_GO_ON;
    return nb_stop(nb_error(req, "InvalidKeyUsageException", "%s key usage is %s which is not valid for %s.", k->arn,
                            k->usage, op));
}

int kms_key_save(nb_req_t *req, kms_key_t *k) {
    (void)req;
    char *text = json_dumps(k->meta, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &kms.store, "UPDATE keys SET meta = ?1 WHERE id = ?2 AND account = :account AND region = :region", k->account,
        k->region);
    if (text == NULL || s == NULL) {
        free(text);
        return text == NULL ? NB_ENOMEM : NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, text, -1, free);
    sqlite3_bind_text(s, 2, k->id, -1, SQLITE_TRANSIENT);
    int rc = nb_store_run(s);
    k->state = kms_str(k->meta, "KeyState");
    return rc;
}

void kms_key_set_state(kms_key_t *k, const char *state) {
    json_object_set_new(k->meta, "KeyState", json_string(state));
    json_object_set_new(k->meta, "Enabled", json_boolean(strcmp(state, "Enabled") == 0));
    k->state = kms_str(k->meta, "KeyState");
}

int kms_key_insert(const char *account, const char *region, const char *id, json_t *meta, const char *policy,
                   const char *tags) {
    char *text = json_dumps(meta, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_stmt_scoped(&kms.store,
                                           "INSERT INTO keys(id, meta, policy, tags, created, account, region)"
                                           " VALUES(?1, ?2, ?3, ?4, ?5, :account, :region)",
                                           account, region);
    if (text == NULL || s == NULL) {
        free(text);
        return text == NULL ? NB_ENOMEM : NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, text, -1, free);
    sqlite3_bind_text(s, 3, policy, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, tags ? tags : "[]", -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 5, nb_json_num(meta, "CreationDate", nb_now()));
    return nb_store_run(s);
}

int kms_key_purge(const char *account, const char *region, const char *id) {
    static const char *const sql[] = {
        "DELETE FROM keys WHERE id = ?1 AND account = :account AND region = :region",
        "DELETE FROM materials WHERE key_id = ?1 AND account = :account AND region = :region",
        "DELETE FROM aliases WHERE key_id = ?1 AND account = :account AND region = :region",
        "DELETE FROM grants WHERE key_id = ?1 AND account = :account AND region = :region",
        "DELETE FROM imports WHERE key_id = ?1 AND account = :account AND region = :region",
    };
    for (size_t i = 0; i < NB_STORE_COUNT(sql); i++) {
        sqlite3_stmt *s = nb_store_stmt_scoped(&kms.store, sql[i], account, region);
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
        int rc = nb_store_run(s);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void kms_key_new_id(int multi_region, char out[40]) {
    if (multi_region) {
        memcpy(out, "mrk-", 4);
        nb_random_id(NB_ID_HEX, 32, out + 4);
        out[36] = '\0';
    } else {
        nb_uuid(out);
    }
}

/* The algorithms a key of spec and usage offers, as KeyMetadata lists them. */
static void meta_algorithms(json_t *meta, const char *spec, const char *usage) {
    kms_family_t f = kms_spec_family(spec);
    if (strcmp(usage, "ENCRYPT_DECRYPT") == 0) {
        json_object_set_new(meta, "EncryptionAlgorithms",
                            f == KMS_FAMILY_AES ? json_pack("[s]", "SYMMETRIC_DEFAULT")
                                                : json_pack("[ss]", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"));
    } else if (strcmp(usage, "SIGN_VERIFY") == 0) {
        json_t *a;
        if (f == KMS_FAMILY_RSA)
            a = json_pack("[ssssss]", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
                          "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512");
        else if (strcmp(spec, "ECC_NIST_P384") == 0)
            a = json_pack("[s]", "ECDSA_SHA_384");
        else if (strcmp(spec, "ECC_NIST_P521") == 0)
            a = json_pack("[s]", "ECDSA_SHA_512");
        else
            a = json_pack("[s]", "ECDSA_SHA_256");
        json_object_set_new(meta, "SigningAlgorithms", a);
    } else if (strcmp(usage, "GENERATE_VERIFY_MAC") == 0) {
        char alg[24];
        snprintf(alg, sizeof alg, "HMAC_SHA_%s", spec + 5);
        json_object_set_new(meta, "MacAlgorithms", json_pack("[s]", alg));
    } else if (strcmp(usage, "KEY_AGREEMENT") == 0) {
        json_object_set_new(meta, "KeyAgreementAlgorithms", json_pack("[s]", "ECDH"));
    }
}

json_t *kms_key_meta_new(nb_req_t *req, const char *id, const char *spec, const char *usage, const char *origin,
                         const char *description, int multi_region) {
    const char *account = nb_req_account(req), *region = nb_req_region(req);
    json_t *m = json_pack("{s:s,s:s,s:s,s:f,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "AWSAccountId", account, "KeyId", id,
                          "Arn", kms_arn(req, account, region, nb_req_printf(req, "key/%s", id)), "CreationDate",
                          nb_now(), "Enabled", strcmp(origin, "EXTERNAL") != 0, "Description", description ? description : "",
                          "KeyUsage", usage, "KeyState", strcmp(origin, "EXTERNAL") == 0 ? "PendingImport" : "Enabled",
                          "Origin", origin, "KeyManager", "CUSTOMER", "CustomerMasterKeySpec", spec, "KeySpec", spec,
                          "MultiRegion", multi_region);
    if (m == NULL)
        return NULL;
    meta_algorithms(m, spec, usage);
    if (multi_region)
        json_object_set_new(m, "MultiRegionConfiguration",
                            json_pack("{s:s,s:{s:s,s:s},s:[]}", "MultiRegionKeyType", "PRIMARY", "PrimaryKey", "Arn",
                                      kms_str(m, "Arn"), "Region", region, "ReplicaKeys"));
    return m;
}

/* The usage a key spec allows: 1 when usage fits spec. */
static int usage_fits(const char *spec, const char *usage) {
    switch (kms_spec_family(spec)) {
    case KMS_FAMILY_AES:
        return strcmp(usage, "ENCRYPT_DECRYPT") == 0;
    case KMS_FAMILY_RSA:
        return strcmp(usage, "ENCRYPT_DECRYPT") == 0 || strcmp(usage, "SIGN_VERIFY") == 0;
    case KMS_FAMILY_EC:
        return strcmp(usage, "SIGN_VERIFY") == 0 ||
               (strcmp(usage, "KEY_AGREEMENT") == 0 && strcmp(spec, "ECC_SECG_P256K1") != 0);
    case KMS_FAMILY_HMAC:
        return strcmp(usage, "GENERATE_VERIFY_MAC") == 0;
    default:
        return 0;
    }
}

/* A key being created: what the request asked, and the material the thread pool made. */
typedef struct create_job {
    json_t *meta;
    char *policy, *tags;
    char spec[32];
    kms_buf_t material;
    int rc;
} create_job_t;

static nb_result_t create_finish(nb_req_t *req, create_job_t *j) {
    const char *id = kms_str(j->meta, "KeyId");
    int rc = kms_key_insert(nb_req_account(req), nb_req_region(req), id, j->meta, j->policy, j->tags);
    if (rc == 0 && j->material.p != NULL) {
        kms_key_t k = {.account = nb_req_account(req), .region = nb_req_region(req), .id = id, .meta = j->meta};
        rc = kms_material_put(&k, 1, &j->material, "NEW_KEY_MATERIAL", nb_json_num(j->meta, "CreationDate", 0));
    }
    if (rc != 0)
        return kms_internal(req, rc);
    return nb_reply_new(req, json_pack("{s:O}", "KeyMetadata", j->meta));
}

static void create_job_free(create_job_t *j) {
    json_decref(j->meta);
    free(j->policy);
    free(j->tags);
    kms_buf_free(&j->material);
    free(j);
}

static void create_work(void *data) {
    create_job_t *j = data;
    j->rc = kms_keygen(j->spec, &j->material);
}

static void create_done(nb_req_t *req, void *data) {
    create_job_t *j = data;
    if (j->rc != 0)
        kms_internal(req, j->rc);
    else
        create_finish(req, j);
    create_job_free(j);
}

static const char *spec_of(const json_t *input) {
    const char *spec = nb_json_str(input, "KeySpec");
    if (spec == NULL)
        spec = nb_json_str(input, "CustomerMasterKeySpec");
    return spec != NULL ? spec : "SYMMETRIC_DEFAULT";
}

nb_result_t kms_create_key(nb_req_t *req, const json_t *input) {
    const char *spec = spec_of(input), *usage = nb_json_str(input, "KeyUsage");
    const char *origin = nb_json_str(input, "Origin"), *store = nb_json_str(input, "CustomKeyStoreId");
    int multi = nb_json_bool(input, "MultiRegion", 0);
    if (nb_json_str(input, "KeySpec") != NULL && nb_json_str(input, "CustomerMasterKeySpec") != NULL)
        return nb_error(req, "ValidationException",
                        "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
    if (strcmp(spec, "SM2") == 0 && strncmp(nb_req_region(req), "cn-", 3) != 0)
        return nb_error(req, "UnsupportedOperationException", "KeySpec SM2 is not supported in this region.");
    if (kms_spec_family(spec) == KMS_FAMILY_NONE)
        return nb_error(req, "UnsupportedOperationException", "KeySpec %s is not supported by this emulator.", spec);
    if (usage == NULL)
        usage = kms_spec_family(spec) == KMS_FAMILY_HMAC ? "GENERATE_VERIFY_MAC" : "ENCRYPT_DECRYPT";
    if (!usage_fits(spec, usage))
        return nb_error(req, "ValidationException", "KeyUsage %s is not compatible with KeySpec %s", usage, spec);
    if (origin == NULL)
        origin = store != NULL ? "AWS_CLOUDHSM" : "AWS_KMS";
    if (strcmp(origin, "EXTERNAL") == 0 && kms_spec_family(spec) != KMS_FAMILY_AES &&
        kms_spec_family(spec) != KMS_FAMILY_HMAC && kms_spec_family(spec) != KMS_FAMILY_RSA &&
        kms_spec_family(spec) != KMS_FAMILY_EC)
        return nb_error(req, "UnsupportedOperationException", "Origin EXTERNAL is not supported for KeySpec %s", spec);
    if ((strcmp(origin, "AWS_CLOUDHSM") == 0 || strcmp(origin, "EXTERNAL_KEY_STORE") == 0) && store == NULL)
        return nb_error(req, "ValidationException", "CustomKeyStoreId is required when Origin is %s", origin);
    if (store != NULL)
        NB_TRY(kms_keystore_usable(req, store));
    if (multi && store != NULL)
        return nb_error(req, "UnsupportedOperationException",
                        "Multi-Region keys are not supported in custom key stores.");
    char id[40];
    kms_key_new_id(multi, id);
    create_job_t *j = calloc(1, sizeof *j);
    if (j == NULL)
        return NB_FAILED(NB_ENOMEM);
    j->meta = kms_key_meta_new(req, id, spec, usage, origin, nb_json_str(input, "Description"), multi);
    const char *policy = nb_json_str(input, "Policy");
    j->policy = strdup(policy != NULL ? policy : kms_default_policy(req, nb_req_account(req)));
    const json_t *tags = json_object_get(input, "Tags");
    j->tags = tags != NULL ? json_dumps(tags, JSON_COMPACT) : strdup("[]");
    snprintf(j->spec, sizeof j->spec, "%s", spec);
    if (j->meta == NULL || j->policy == NULL || j->tags == NULL) {
        create_job_free(j);
        return NB_FAILED(NB_ENOMEM);
    }
    if (store != NULL) {
        json_object_set_new(j->meta, "CustomKeyStoreId", json_string(store));
        if (nb_json_str(input, "XksKeyId") != NULL)
            json_object_set_new(j->meta, "XksKeyConfiguration", json_pack("{s:s}", "Id", nb_json_str(input, "XksKeyId")));
    }
    if (strcmp(origin, "EXTERNAL") == 0) {
        json_object_set_new(j->meta, "ExpirationModel", json_string("KEY_MATERIAL_DOES_NOT_EXPIRE"));
    } else if (kms_spec_slow(spec)) {
        /* RSA key generation takes 50 ms to seconds, ECC ~100 us or more: off the loop */
        if (nb_work_queue(req, create_work, create_done, j) == 0)
            return NB_ASYNC;
        create_work(j);
    } else {
        create_work(j);
    }
    nb_result_t r = j->rc != 0 ? kms_internal(req, j->rc) : create_finish(req, j);
    create_job_free(j);
    return r;
}

nb_result_t kms_describe_key(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    return nb_reply_new(req, json_pack("{s:O}", "KeyMetadata", k->meta));
}

nb_result_t kms_list_keys(nb_req_t *req, const json_t *input) {
    json_int_t limit = nb_json_int(input, "Limit", 100);
    const char *marker = nb_json_str(input, "Marker");
    sqlite3_stmt *s = nb_store_scoped(&kms.store, req,
                                      "SELECT id, meta FROM keys WHERE id > ?1 AND account = :account AND region = :region"
                                      " ORDER BY id");
    if (s == NULL)
        return kms_internal(req, NB_ESTORE);
    sqlite3_bind_text(s, 1, marker ? marker : "", -1, SQLITE_TRANSIENT);
    json_t *keys = json_array(), *out = json_object();
    double now = nb_now();
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *meta = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);
        int gone = meta != NULL && nb_json_str_eq(meta, "KeyState", "PendingDeletion") &&
                   nb_json_num(meta, "DeletionDate", 0) <= now;
        if (meta != NULL && !gone) {
            if ((json_int_t)json_array_size(keys) == limit) {
                json_object_set_new(out, "NextMarker", json_string(kms_str(json_array_get(keys, limit - 1), "KeyId")));
                json_object_set_new(out, "Truncated", json_true());
                json_decref(meta);
                break;
            }
            json_array_append_new(keys, json_pack("{s:O,s:O}", "KeyId", json_object_get(meta, "KeyId"), "KeyArn",
                                                  json_object_get(meta, "Arn")));
        }
        json_decref(meta);
    }
    json_object_set_new(out, "Keys", keys);
    if (json_object_get(out, "Truncated") == NULL)
        json_object_set_new(out, "Truncated", json_false());
    return nb_reply_new(req, out);
}

static nb_result_t set_enabled(nb_req_t *req, const json_t *input, int enable) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_not_pending(req, k));
    if (strcmp(k->state, "PendingImport") == 0)
        return nb_error(req, "KMSInvalidStateException", "%s is pending import.", k->arn);
    kms_key_set_state(k, enable ? "Enabled" : "Disabled");
    int rc = kms_key_save(req, k);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_enable_key(nb_req_t *req, const json_t *input) { return set_enabled(req, input, 1); }
nb_result_t kms_disable_key(nb_req_t *req, const json_t *input) { return set_enabled(req, input, 0); }

nb_result_t kms_update_key_description(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    NB_TRY(kms_key_not_pending(req, k));
    json_object_set_new(k->meta, "Description", json_string(kms_str(input, "Description")));
    int rc = kms_key_save(req, k);
    return rc != 0 ? kms_internal(req, rc) : NB_DONE;
}

nb_result_t kms_schedule_key_deletion(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    json_int_t days = nb_json_int(input, "PendingWindowInDays", 30);
    if (days < 7 || days > 30)
        return nb_error(req, "ValidationException",
                        "1 validation error detected: Value '%lld' at 'pendingWindowInDays' failed to satisfy "
                        "constraint: Member must have value %s",
                        (long long)days, days < 7 ? "greater than or equal to 7" : "less than or equal to 30");
    NB_TRY(kms_key_not_pending(req, k));
    double when = nb_now() + (double)days * kms.day;
    kms_key_set_state(k, "PendingDeletion");
    json_object_set_new(k->meta, "DeletionDate", json_real(when));
    json_object_set_new(k->meta, "PendingDeletionWindowInDays", json_integer(days));
    int rc = kms_key_save(req, k);
    if (rc != 0)
        return kms_internal(req, rc);
    return nb_reply_new(req, json_pack("{s:s,s:f,s:s,s:I}", "KeyId", k->arn, "DeletionDate", when, "KeyState",
                                       "PendingDeletion", "PendingWindowInDays", (json_int_t)days));
}

nb_result_t kms_cancel_key_deletion(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    if (strcmp(k->state, "PendingDeletion") != 0)
        return nb_error(req, "KMSInvalidStateException", "%s is not pending deletion.", k->arn);
    kms_key_set_state(k, "Disabled");
    json_object_del(k->meta, "DeletionDate");
    json_object_del(k->meta, "PendingDeletionWindowInDays");
    int rc = kms_key_save(req, k);
    if (rc != 0)
        return kms_internal(req, rc);
    return nb_reply_new(req, json_pack("{s:s}", "KeyId", k->arn));
}

nb_result_t kms_get_key_last_usage(nb_req_t *req, const json_t *input) {
    kms_key_t *k;
    NB_TRY(kms_key_from(req, input, NULL, &k));
    /* usage is not tracked: tracking starts with the key, and nothing is reported as used */
    double created = nb_json_num(k->meta, "CreationDate", 0);
    return nb_reply_new(req, json_pack("{s:s,s:f,s:f}", "KeyId", k->arn, "TrackingStartDate", created, "KeyCreationDate",
                                       created));
}

/* Keys whose pending window ended, in every account and region: deleted for real. */
void kms_sweep(nb_timer_t *t, void *data) {
    (void)t, (void)data;
    sqlite3_stmt *s = nb_store_stmt(&kms.store,
                                    "SELECT account, region, id FROM keys WHERE json_extract(meta, '$.KeyState') = "
                                    "'PendingDeletion' AND json_extract(meta, '$.DeletionDate') <= ?1 LIMIT 100");
    if (s == NULL)
        return;
    sqlite3_bind_double(s, 1, nb_now());
    char ids[100][3][64];
    int n = 0;
    while (n < 100 && sqlite3_step(s) == SQLITE_ROW) {
        for (int c = 0; c < 3; c++)
            snprintf(ids[n][c], sizeof ids[n][c], "%s", (const char *)sqlite3_column_text(s, c));
        n++;
    }
    sqlite3_reset(s);
    for (int i = 0; i < n; i++)
        kms_key_purge(ids[i][0], ids[i][1], ids[i][2]);
    kms_rotation_sweep();
}
