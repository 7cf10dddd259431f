/* The KMS plugin: its store's schema, settings, start and stop, and the operations table. Written by hand
 * from the scaffold's kms_plugin.c (kms_api.h stays generated): regenerating with nimbus-scaffold would
 * overwrite this file, so refresh kms_api.h alone and add new operations here. */
#include "kms.h"
#include "kms_authz.h"

kms_state_t kms;

static const char *const kms_schema[] = {
    /* 1 */
    "CREATE TABLE keys(" NB_STORE_SCOPE_COLUMNS ", id TEXT NOT NULL, meta TEXT NOT NULL, policy TEXT NOT NULL,"
    " tags TEXT NOT NULL, rotation_days INTEGER NOT NULL DEFAULT 0, next_rotation REAL, created REAL NOT NULL,"
    " PRIMARY KEY(account, region, id));"
    /* every version of a key's material: old ciphertexts name theirs */
    "CREATE TABLE materials(" NB_STORE_SCOPE_COLUMNS ", key_id TEXT NOT NULL, version INTEGER NOT NULL,"
    " material BLOB NOT NULL, kind TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY(account, region, key_id, version));"
    "CREATE TABLE aliases(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, key_id TEXT NOT NULL, created REAL NOT NULL,"
    " updated REAL NOT NULL, PRIMARY KEY(account, region, name));"
    "CREATE TABLE grants(" NB_STORE_SCOPE_COLUMNS ", id TEXT NOT NULL, key_id TEXT NOT NULL, token TEXT NOT NULL,"
    " data TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY(account, region, id));"
    "CREATE INDEX grants_token ON grants(token);"
    /* the wrapping key and token of the last GetParametersForImport of a key */
    "CREATE TABLE imports(" NB_STORE_SCOPE_COLUMNS ", key_id TEXT NOT NULL, token BLOB NOT NULL,"
    " wrapping BLOB NOT NULL, algorithm TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY(account, region, key_id));"
    "CREATE TABLE key_stores(" NB_STORE_SCOPE_COLUMNS ", id TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY(account, region, id));",
};

static const nb_setting_t kms_settings[] = {
    {"KMS_DAY_SECONDS", NB_SETTING_DURATION, "24h",
     "How long a day of KMS lasts: pending deletion windows and rotation periods (shorten it in tests)"},
    {NULL, 0, NULL, NULL},
};

nb_result_t kms_internal(nb_req_t *req, int rc) {
    nb_log(kms.self, NB_LOG_ERROR, "%s failed: %d", nb_req_operation(req), rc);
    if (rc == NB_ENOMEM || rc == NB_EAGAIN)
        return NB_FAILED(NB_EAGAIN);
    return nb_error(req, "KMSInternalException", "An internal error occurred.");
}

static int kms_init(nb_plugin_t *self) {
    char *err = NULL;
    memset(&kms, 0, sizeof kms);
    kms.self = self;
    kms.day = nb_setting_seconds(self, "KMS_DAY_SECONDS");
    if (kms.day <= 0)
        kms.day = 86400;
    nb_store_init(&kms.store, nb_store_db(self));
    if (nb_store_migrate(kms.store.db, kms_schema, NB_STORE_COUNT(kms_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    /* a tenth of a KMS day, at most a minute and at least 100 ms: deletions and rotations fall due
     * to within that */
    double every = kms.day / 10 > 60 ? 60 : kms.day / 10 < 0.1 ? 0.1 : kms.day / 10;
    kms.sweep = nb_timer_start(self, (uint64_t)(every * 1000), (uint64_t)(every * 1000), kms_sweep, NULL);
    return 0;
}

static void kms_fini(nb_plugin_t *self) {
    (void)self;
    if (kms.sweep != NULL)
        nb_timer_stop(kms.sweep);
    kms.sweep = NULL;
    nb_store_fini(&kms.store);
    kms_crypto_cache_clear();
}

static const nb_op_t kms_ops[] = {
    {"CancelKeyDeletion", kms_cancel_key_deletion, 0},
    {"ConnectCustomKeyStore", kms_connect_custom_key_store, 0},
    {"CreateAlias", kms_create_alias, 0},
    {"CreateCustomKeyStore", kms_create_custom_key_store, 0},
    {"CreateGrant", kms_create_grant, 0},
    {"CreateKey", kms_create_key, 0},
    {"Decrypt", kms_decrypt, 0},
    {"DeleteAlias", kms_delete_alias, 0},
    {"DeleteCustomKeyStore", kms_delete_custom_key_store, 0},
    {"DeleteImportedKeyMaterial", kms_delete_imported_key_material, 0},
    {"DeriveSharedSecret", kms_derive_shared_secret, 0},
    {"DescribeCustomKeyStores", kms_describe_custom_key_stores, 0},
    {"DescribeKey", kms_describe_key, 0},
    {"DisableKey", kms_disable_key, 0},
    {"DisableKeyRotation", kms_disable_key_rotation, 0},
    {"DisconnectCustomKeyStore", kms_disconnect_custom_key_store, 0},
    {"EnableKey", kms_enable_key, 0},
    {"EnableKeyRotation", kms_enable_key_rotation, 0},
    {"Encrypt", kms_encrypt, 0},
    {"GenerateDataKey", kms_generate_data_key, 0},
    {"GenerateDataKeyPair", kms_generate_data_key_pair, 0},
    {"GenerateDataKeyPairWithoutPlaintext", kms_generate_data_key_pair_without_plaintext, 0},
    {"GenerateDataKeyWithoutPlaintext", kms_generate_data_key_without_plaintext, 0},
    {"GenerateMac", kms_generate_mac, 0},
    {"GenerateRandom", kms_generate_random, 0},
    {"GetKeyLastUsage", kms_get_key_last_usage, 0},
    {"GetKeyPolicy", kms_get_key_policy, 0},
    {"GetKeyRotationStatus", kms_get_key_rotation_status, 0},
    {"GetParametersForImport", kms_get_parameters_for_import, 0},
    {"GetPublicKey", kms_get_public_key, 0},
    {"ImportKeyMaterial", kms_import_key_material, 0},
    {"ListAliases", kms_list_aliases, 0},
    {"ListGrants", kms_list_grants, 0},
    {"ListKeyPolicies", kms_list_key_policies, 0},
    {"ListKeyRotations", kms_list_key_rotations, 0},
    {"ListKeys", kms_list_keys, 0},
    {"ListResourceTags", kms_list_resource_tags, 0},
    {"ListRetirableGrants", kms_list_retirable_grants, 0},
    {"PutKeyPolicy", kms_put_key_policy, 0},
    {"ReEncrypt", kms_re_encrypt, 0},
    {"ReplicateKey", kms_replicate_key, 0},
    {"RetireGrant", kms_retire_grant, 0},
    {"RevokeGrant", kms_revoke_grant, 0},
    {"RotateKeyOnDemand", kms_rotate_key_on_demand, 0},
    {"ScheduleKeyDeletion", kms_schedule_key_deletion, 0},
    {"Sign", kms_sign, 0},
    {"TagResource", kms_tag_resource, 0},
    {"UntagResource", kms_untag_resource, 0},
    {"UpdateAlias", kms_update_alias, 0},
    {"UpdateCustomKeyStore", kms_update_custom_key_store, 0},
    {"UpdateKeyDescription", kms_update_key_description, 0},
    {"UpdatePrimaryRegion", kms_update_primary_region, 0},
    {"Verify", kms_verify, 0},
    {"VerifyMac", kms_verify_mac, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "kms", .service = "kms", .api_version = "2014-11-01", .ops = kms_ops, .init = kms_init,
                 .fini = kms_fini, .settings = kms_settings, .authz_actions = kms_actions,
                 .resource_policy = kms_resource_policy, .authz_denied_code = "AccessDeniedException");
