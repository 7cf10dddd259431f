#include "sns.h"
#include "sns_authz.h"
#include "sns_http.h"

sns_state_t sns;

static const char *const sns_schema[] = {
    /* 1 */
    "CREATE TABLE topics(" NB_STORE_SCOPE_COLUMNS ", arn TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " attrs TEXT NOT NULL, tags TEXT NOT NULL, dpp TEXT, fifo_seq INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);"
    "CREATE TABLE subscriptions(" NB_STORE_SCOPE_COLUMNS ", arn TEXT PRIMARY KEY, topic_arn TEXT NOT NULL,"
    " protocol TEXT NOT NULL, endpoint TEXT NOT NULL, owner TEXT NOT NULL, attrs TEXT NOT NULL,"
    " confirmed INTEGER NOT NULL, token TEXT, created REAL NOT NULL);"
    "CREATE INDEX subscriptions_topic ON subscriptions(topic_arn);"
    "CREATE TABLE outbox(" NB_STORE_SCOPE_COLUMNS ", id INTEGER PRIMARY KEY AUTOINCREMENT, sub_arn TEXT NOT NULL,"
    " data TEXT NOT NULL, created REAL NOT NULL);"
    "CREATE TABLE recorded(" NB_STORE_SCOPE_COLUMNS ", id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " target TEXT NOT NULL, data TEXT NOT NULL, created REAL NOT NULL);"
    "CREATE TABLE _fifo_dedup(topic_arn TEXT NOT NULL, dedup TEXT NOT NULL, expires REAL NOT NULL,"
    " message_id TEXT NOT NULL, seqno TEXT, PRIMARY KEY(topic_arn, dedup));"
    "CREATE TABLE platform_apps(" NB_STORE_SCOPE_COLUMNS ", arn TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " platform TEXT NOT NULL, attrs TEXT NOT NULL);"
    "CREATE TABLE endpoints(" NB_STORE_SCOPE_COLUMNS ", arn TEXT PRIMARY KEY, app_arn TEXT NOT NULL,"
    " token TEXT NOT NULL, attrs TEXT NOT NULL);"
    "CREATE INDEX endpoints_app ON endpoints(app_arn);"
    "CREATE TABLE sms_attrs(" NB_STORE_SCOPE_COLUMNS ", attrs TEXT NOT NULL, PRIMARY KEY(account, region));"
    "CREATE TABLE sms_sandbox(" NB_STORE_SCOPE_COLUMNS ", phone TEXT NOT NULL, status TEXT NOT NULL,"
    " PRIMARY KEY(account, region, phone));"
    "CREATE TABLE opted_out(" NB_STORE_SCOPE_COLUMNS ", phone TEXT NOT NULL, PRIMARY KEY(account, region, phone));"
    /* the signing key: one per installation, so signatures verify across restarts */
    "CREATE TABLE _signing(id INTEGER PRIMARY KEY CHECK (id = 1), key_pem TEXT NOT NULL, cert_pem TEXT NOT NULL);",
};

static int sns_init(nb_plugin_t *self) {
    char *err = NULL;
    memset(&sns, 0, sizeof sns);
    sns.self = self;
    nb_store_init(&sns.store, nb_store_db(self));
    if (nb_store_migrate(sns.store.db, sns_schema, NB_STORE_COUNT(sns_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    if (sns_sign_load() != 0) {
        nb_log(self, NB_LOG_ERROR, "cannot make or read the message signing key");
        return -1;
    }
    if (sns_dev_register(self) != 0)
        nb_log(self, NB_LOG_WARN, "the developer endpoints /_aws/sns/ are not available");
    /* deliveries a stop or a kill -9 left in the outbox go out now */
    sns_drain_schedule();
    return 0;
}

static void sns_fini(nb_plugin_t *self) {
    sns_http_stop(self); /* HTTP deliveries waiting for a retry: their rows stay in the outbox */
    sns_deliver_fini();
    sns_filters_free();
    sns_sign_free();
    sns_envelope_cache_free();
    nb_store_fini(&sns.store);
}

static void sns_reset(nb_plugin_t *self) {
    sns_http_stop(self); /* the outbox rows of HTTP deliveries under way are gone */
    sns_deliver_reset();
    /* the signing key went with the rows: make a new one */
    sns_sign_free();
    sns_envelope_cache_free();
    if (sns_sign_load() != 0)
        nb_log(sns.self, NB_LOG_ERROR, "cannot make the message signing key again");
}

static const nb_op_t sns_ops[] = {
    {"AddPermission", sns_add_permission, 0},
    {"CheckIfPhoneNumberIsOptedOut", sns_check_if_phone_number_is_opted_out, 0},
    {"ConfirmSubscription", sns_confirm_subscription, 0},
    {"CreatePlatformApplication", sns_create_platform_application, 0},
    {"CreatePlatformEndpoint", sns_create_platform_endpoint, 0},
    {"CreateSMSSandboxPhoneNumber", sns_create_sms_sandbox_phone_number, 0},
    {"CreateTopic", sns_create_topic, 0},
    {"DeleteEndpoint", sns_delete_endpoint, 0},
    {"DeletePlatformApplication", sns_delete_platform_application, 0},
    {"DeleteSMSSandboxPhoneNumber", sns_delete_sms_sandbox_phone_number, 0},
    {"DeleteTopic", sns_delete_topic, 0},
    {"GetDataProtectionPolicy", sns_get_data_protection_policy, 0},
    {"GetEndpointAttributes", sns_get_endpoint_attributes, 0},
    {"GetPlatformApplicationAttributes", sns_get_platform_application_attributes, 0},
    {"GetSMSAttributes", sns_get_sms_attributes, 0},
    {"GetSMSSandboxAccountStatus", sns_get_sms_sandbox_account_status, 0},
    {"GetSubscriptionAttributes", sns_get_subscription_attributes, 0},
    {"GetTopicAttributes", sns_get_topic_attributes, 0},
    {"ListEndpointsByPlatformApplication", sns_list_endpoints_by_platform_application, 0},
    {"ListOriginationNumbers", sns_list_origination_numbers, 0},
    {"ListPhoneNumbersOptedOut", sns_list_phone_numbers_opted_out, 0},
    {"ListPlatformApplications", sns_list_platform_applications, 0},
    {"ListSMSSandboxPhoneNumbers", sns_list_sms_sandbox_phone_numbers, 0},
    {"ListSubscriptions", sns_list_subscriptions, 0},
    {"ListSubscriptionsByTopic", sns_list_subscriptions_by_topic, 0},
    {"ListTagsForResource", sns_list_tags_for_resource, 0},
    {"ListTopics", sns_list_topics, 0},
    {"OptInPhoneNumber", sns_opt_in_phone_number, 0},
    {"Publish", sns_publish, 0},
    {"PublishBatch", sns_publish_batch, 0},
    {"PutDataProtectionPolicy", sns_put_data_protection_policy, 0},
    {"RemovePermission", sns_remove_permission, 0},
    {"SetEndpointAttributes", sns_set_endpoint_attributes, 0},
    {"SetPlatformApplicationAttributes", sns_set_platform_application_attributes, 0},
    {"SetSMSAttributes", sns_set_sms_attributes, 0},
    {"SetSubscriptionAttributes", sns_set_subscription_attributes, 0},
    {"SetTopicAttributes", sns_set_topic_attributes, 0},
    {"Subscribe", sns_subscribe, 0},
    {"TagResource", sns_tag_resource, 0},
    {"Unsubscribe", sns_unsubscribe, 0},
    {"UntagResource", sns_untag_resource, 0},
    {"VerifySMSSandboxPhoneNumber", sns_verify_sms_sandbox_phone_number, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "sns", .service = "sns", .api_version = "2010-03-31", .ops = sns_ops, .init = sns_init,
                 .fini = sns_fini, .reset = sns_reset, .authz_actions = sns_actions,
                 .resource_policy = sns_resource_policy, .authz_denied_code = "AuthorizationError");
