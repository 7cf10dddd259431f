#include "sm.h"
#include "sm_authz.h"

sm_state_t sm;

static const char *const sm_schema[] = {
    /* 1 */
    "CREATE TABLE secrets(" NB_STORE_SCOPE_COLUMNS ", arn TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " deletion_date REAL, created REAL NOT NULL, meta TEXT NOT NULL, primary_arn TEXT, accessed REAL,"
    " UNIQUE(account, region, name));"
    "CREATE INDEX secrets_deletion ON secrets(deletion_date) WHERE deletion_date IS NOT NULL;"
    /* primary_arn (a replica's primary) and accessed (LastAccessedDate) are columns beside meta so
     * that GetSecretValue reads and writes a secret without parsing its meta */
    /* versions belong to the secret's ARN: a replica reads its primary's. ctx_arn: the ARN in the
     * encryption context of dkey when it is not arn (a promoted replica's copies) */
    "CREATE TABLE versions(arn TEXT NOT NULL, version_id TEXT NOT NULL, created REAL NOT NULL,"
    " binary INTEGER NOT NULL, value BLOB NOT NULL, dkey BLOB, key_arn TEXT, last_accessed REAL, ctx_arn TEXT,"
    " PRIMARY KEY(arn, version_id));"
    "CREATE TABLE labels(arn TEXT NOT NULL, label TEXT NOT NULL, version_id TEXT NOT NULL,"
    " PRIMARY KEY(arn, label));"
    "CREATE INDEX labels_version ON labels(arn, version_id);",
};

static const nb_setting_t sm_settings[] = {
    {"SECRETSMANAGER_RECOVERY_DAY", NB_SETTING_DURATION, "24h",
     "The length of one day of DeleteSecret's recovery window (shorter in tests: 1s makes 7 days 7 seconds)"},
    {"SECRETSMANAGER_SWEEP_INTERVAL", NB_SETTING_DURATION, "1s",
     "How often secrets whose recovery window ended are looked for and deleted"},
    {NULL, 0, NULL, NULL},
};

static int sm_init(nb_plugin_t *self) {
    char *err = NULL;
    memset(&sm, 0, sizeof sm);
    sm.self = self;
    nb_store_init(&sm.store, nb_store_db(self));
    if (nb_store_migrate(sm.store.db, sm_schema, NB_STORE_COUNT(sm_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    sm.day_seconds = nb_setting_seconds(self, "SECRETSMANAGER_RECOVERY_DAY");
    sm_sweep_start(self);
    return 0;
}

static void sm_fini(nb_plugin_t *self) {
    (void)self;
    sm_sweep_stop();
    nb_store_fini(&sm.store);
}

static const nb_op_t sm_ops[] = {
    {"BatchGetSecretValue", secretsmanager_batch_get_secret_value, 0},
    {"CancelRotateSecret", secretsmanager_cancel_rotate_secret, 0},
    {"CreateSecret", secretsmanager_create_secret, 0},
    {"DeleteResourcePolicy", secretsmanager_delete_resource_policy, 0},
    {"DeleteSecret", secretsmanager_delete_secret, 0},
    {"DescribeSecret", secretsmanager_describe_secret, 0},
    {"GetRandomPassword", secretsmanager_get_random_password, 0},
    {"GetResourcePolicy", secretsmanager_get_resource_policy, 0},
    {"GetSecretValue", secretsmanager_get_secret_value, 0},
    {"ListSecretVersionIds", secretsmanager_list_secret_version_ids, 0},
    {"ListSecrets", secretsmanager_list_secrets, 0},
    {"PutResourcePolicy", secretsmanager_put_resource_policy, 0},
    {"PutSecretValue", secretsmanager_put_secret_value, 0},
    {"RemoveRegionsFromReplication", secretsmanager_remove_regions_from_replication, 0},
    {"ReplicateSecretToRegions", secretsmanager_replicate_secret_to_regions, 0},
    {"RestoreSecret", secretsmanager_restore_secret, 0},
    {"RotateSecret", secretsmanager_rotate_secret, 0},
    {"StopReplicationToReplica", secretsmanager_stop_replication_to_replica, 0},
    {"TagResource", secretsmanager_tag_resource, 0},
    {"UntagResource", secretsmanager_untag_resource, 0},
    {"UpdateSecret", secretsmanager_update_secret, 0},
    {"UpdateSecretVersionStage", secretsmanager_update_secret_version_stage, 0},
    {"ValidateResourcePolicy", secretsmanager_validate_resource_policy, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "secretsmanager", .service = "secretsmanager", .api_version = "2017-10-17", .ops = sm_ops,
                 .init = sm_init, .fini = sm_fini, .settings = sm_settings, .authz_actions = sm_actions,
                 .resource_policy = sm_resource_policy, .authz_denied_code = "AccessDeniedException");
