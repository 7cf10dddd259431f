/* Mobile push: platform applications and their endpoints, recorded (Nimbus does not reach
 * APNS, FCM and the others): what is published to an endpoint is kept for
 * GET /_aws/sns/platform-endpoint-messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"

static const char *const platforms[] = {"ADM",  "APNS", "APNS_SANDBOX", "GCM", "BAIDU",
                                        "MPNS", "WNS",  "APNS_VOIP",    "APNS_VOIP_SANDBOX"};

/* Attributes answered for an application: its credentials are never read back, as on AWS. */
static json_t *app_attrs_public(json_t *attrs) {
    json_object_del(attrs, "PlatformCredential");
    if (!json_object_get(attrs, "Enabled"))
        json_object_set_new(attrs, "Enabled", json_string("true"));
    return attrs;
}

/* The attributes of an application or endpoint row (table "platform_apps" or "endpoints"), or
 * NULL with NotFound answered. */
static json_t *attrs_load(nb_req_t *req, const char *table, const char *arn) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, strcmp(table, "endpoints") == 0
                                                    ? "SELECT attrs FROM endpoints WHERE arn = ?1"
                                                    : "SELECT attrs FROM platform_apps WHERE arn = ?1");
    if (s == NULL) {
        nb_error_code(req, "InternalError", 500, "store failure");
        return NULL;
    }
    sqlite3_bind_text(s, 1, arn ? arn : "", -1, SQLITE_STATIC);
    json_t *attrs = sqlite3_step(s) == SQLITE_ROW ? sns_json_column(s, 0) : NULL;
    sqlite3_reset(s);
    if (attrs == NULL)
        nb_error(req, "NotFound", strcmp(table, "endpoints") == 0 ? "Endpoint does not exist"
                                                                   : "PlatformApplication does not exist");
    return attrs;
}

static int attrs_save(const char *table, const char *arn, const json_t *attrs) {
    return sns_save_json(strcmp(table, "endpoints") == 0 ? "UPDATE endpoints SET attrs = ?1 WHERE arn = ?2"
                                                         : "UPDATE platform_apps SET attrs = ?1 WHERE arn = ?2",
                         attrs, arn);
}

nb_result_t sns_create_platform_application(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name"), *platform = nb_json_str(in, "Platform");
    bool known = false;
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
        known = known || strcmp(platform, platforms[i]) == 0;
    if (!known)
        return sns_invalid(req, "Platform");
    size_t n = strlen(name);
    if (n == 0 || n > 256 ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") != n)
        return sns_invalid(req, "Invalid Platform Application Name specified");
    const json_t *attrs = json_object_get(in, "Attributes");
    if (!nb_json_str(attrs, "PlatformCredential") && strncmp(platform, "APNS", 4) != 0)
        return sns_invalid(req, "Attributes Reason: PlatformCredential attribute required.");
    char resource[SNS_ARN_SIZE], arn[SNS_ARN_SIZE];
    snprintf(resource, sizeof resource, "app/%s/%s", platform, name);
    sns_topic_arn(req, resource, arn);
    sqlite3_stmt *s = nb_store_scoped(&sns.store, req,
                                      "INSERT OR REPLACE INTO platform_apps(arn, name, platform, attrs, account, region)"
                                      " VALUES(?1, ?2, ?3, ?4, :account, :region)");
    char *text = (attrs ? sns_json_dump(attrs) : strdup("{}"));
    if (s == NULL || text == NULL) {
        free(text);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, platform, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, text, -1, free);
    int rc = nb_store_run(s);
    return rc == 0 ? nb_reply_new(req, json_pack("{s:s}", "PlatformApplicationArn", arn)) : NB_FAILED(rc);
}

nb_result_t sns_delete_platform_application(nb_req_t *req, const json_t *in) {
    (void)req;
    const char *arn = nb_json_str(in, "PlatformApplicationArn");
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "DELETE FROM platform_apps WHERE arn = ?1");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    int rc = nb_store_run(s);
    if (rc == 0 && (s = nb_store_stmt(&sns.store, "DELETE FROM endpoints WHERE app_arn = ?1")) != NULL) {
        sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
        rc = nb_store_run(s);
    }
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t sns_get_platform_application_attributes(nb_req_t *req, const json_t *in) {
    json_t *attrs = attrs_load(req, "platform_apps", nb_json_str(in, "PlatformApplicationArn"));
    if (attrs == NULL)
        return NB_DONE;
    return nb_reply_new(req, json_pack("{s:o}", "Attributes", app_attrs_public(attrs)));
}

nb_result_t sns_set_platform_application_attributes(nb_req_t *req, const json_t *in) {
    const char *arn = nb_json_str(in, "PlatformApplicationArn");
    json_t *attrs = attrs_load(req, "platform_apps", arn);
    if (attrs == NULL)
        return NB_DONE;
    json_object_update(attrs, json_object_get(in, "Attributes"));
    int rc = attrs_save("platform_apps", arn, attrs);
    json_decref(attrs);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

static json_t *app_entry(sqlite3_stmt *s) {
    return json_pack("{s:s,s:o}", "PlatformApplicationArn", (const char *)sqlite3_column_text(s, 1), "Attributes",
                     app_attrs_public(sns_json_column(s, 2)));
}

static json_t *endpoint_entry(sqlite3_stmt *s) {
    return json_pack("{s:s,s:o}", "EndpointArn", (const char *)sqlite3_column_text(s, 1), "Attributes",
                     sns_json_column(s, 2));
}

nb_result_t sns_list_platform_applications(nb_req_t *req, const json_t *in) {
    return sns_list(req, in, "NextToken",
                    "SELECT rowid, arn, attrs FROM platform_apps WHERE rowid > ?1 AND account = :account AND region = "
                    ":region ORDER BY rowid LIMIT 101",
                    "PlatformApplications", SNS_PAGE, app_entry);
}

nb_result_t sns_create_platform_endpoint(nb_req_t *req, const json_t *in) {
    const char *app = nb_json_str(in, "PlatformApplicationArn"), *token = nb_json_str(in, "Token");
    json_t *app_attrs = attrs_load(req, "platform_apps", app);
    if (app_attrs == NULL)
        return NB_DONE;
    json_decref(app_attrs);
    if (*token == '\0')
        return sns_invalid(req, "Token Reason: cannot be empty");
    json_t *attrs = json_deep_copy(json_object_get(in, "Attributes"));
    if (attrs == NULL)
        attrs = json_object();
    json_object_set_new(attrs, "Token", json_string(token));
    if (!json_object_get(attrs, "Enabled"))
        json_object_set_new(attrs, "Enabled", json_string("true"));
    if (nb_json_str(in, "CustomUserData"))
        json_object_set_new(attrs, "CustomUserData", json_string(nb_json_str(in, "CustomUserData")));
    /* the same token again: the endpoint there is, if its attributes match */
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT arn, attrs FROM endpoints WHERE app_arn = ?1 AND token = ?2");
    if (s == NULL) {
        json_decref(attrs);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, app, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, token, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        char *arn = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 0));
        json_t *had = sns_json_column(s, 1);
        sqlite3_reset(s);
        bool same = json_equal(had, attrs);
        json_decref(had);
        json_decref(attrs);
        if (!same)
            return sns_invalid(req, "Token Reason: Endpoint %s already exists with the same Token, but different "
                                    "attributes.", arn);
        return nb_reply_new(req, json_pack("{s:s}", "EndpointArn", arn));
    }
    sqlite3_reset(s);
    /* arn:...:app/GCM/name -> arn:...:endpoint/GCM/name/<id> */
    char region[32], account[16], rest[SNS_ARN_SIZE], resource[SNS_ARN_SIZE], arn[SNS_ARN_SIZE], id[NB_UUID_SIZE];
    if (sns_arn_split(app, region, account, rest) != 0 || strncmp(rest, "app/", 4) != 0) {
        json_decref(attrs);
        return sns_invalid(req, "PlatformApplicationArn");
    }
    nb_uuid(id);
    snprintf(resource, sizeof resource, "endpoint/%.200s/%s", rest + 4, id);
    sns_topic_arn(req, resource, arn);
    s = nb_store_scoped(&sns.store, req,
                        "INSERT INTO endpoints(arn, app_arn, token, attrs, account, region) VALUES(?1, ?2, ?3, ?4, "
                        ":account, :region)");
    char *text = sns_json_dump(attrs);
    json_decref(attrs);
    if (s == NULL || text == NULL) {
        free(text);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, app, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, token, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, text, -1, free);
    int rc = nb_store_run(s);
    return rc == 0 ? nb_reply_new(req, json_pack("{s:s}", "EndpointArn", arn)) : NB_FAILED(rc);
}

nb_result_t sns_delete_endpoint(nb_req_t *req, const json_t *in) {
    (void)req;
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "DELETE FROM endpoints WHERE arn = ?1");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, nb_json_str(in, "EndpointArn"), -1, SQLITE_STATIC);
    int rc = nb_store_run(s);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t sns_get_endpoint_attributes(nb_req_t *req, const json_t *in) {
    json_t *attrs = attrs_load(req, "endpoints", nb_json_str(in, "EndpointArn"));
    return attrs ? nb_reply_new(req, json_pack("{s:o}", "Attributes", attrs)) : NB_DONE;
}

nb_result_t sns_set_endpoint_attributes(nb_req_t *req, const json_t *in) {
    const char *arn = nb_json_str(in, "EndpointArn");
    json_t *attrs = attrs_load(req, "endpoints", arn);
    if (attrs == NULL)
        return NB_DONE;
    json_object_update(attrs, json_object_get(in, "Attributes"));
    int rc = attrs_save("endpoints", arn, attrs);
    json_decref(attrs);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t sns_list_endpoints_by_platform_application(nb_req_t *req, const json_t *in) {
    const char *app = nb_json_str(in, "PlatformApplicationArn");
    json_t *app_attrs = attrs_load(req, "platform_apps", app);
    if (app_attrs == NULL)
        return NB_DONE;
    json_decref(app_attrs);
    int64_t start = sns_page_start(nb_json_str(in, "NextToken"));
    if (start < 0)
        return sns_invalid(req, "NextToken");
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT rowid, arn, attrs FROM endpoints WHERE rowid > ?1 AND "
                                                "app_arn = ?2 ORDER BY rowid LIMIT 101");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, start);
    sqlite3_bind_text(s, 2, app, -1, SQLITE_STATIC);
    json_t *out = json_object();
    json_object_set_new(out, "Endpoints", sns_page(s, SNS_PAGE, out, "NextToken", endpoint_entry));
    return nb_reply_new(req, out);
}

nb_result_t sns_publish_to_endpoint(nb_req_t *req, const json_t *in, const char *message_id) {
    const char *arn = nb_json_str(in, "TargetArn");
    char region[32], account[16], rest[SNS_ARN_SIZE];
    if (sns_arn_split(arn, region, account, rest) != 0)
        return sns_invalid(req, "TargetArn");
    json_t *attrs = attrs_load(req, "endpoints", arn);
    if (attrs == NULL)
        return NB_DONE;
    bool enabled = !nb_json_str_eq(attrs, "Enabled", "false");
    json_decref(attrs);
    if (!enabled)
        return nb_error(req, "EndpointDisabled", "Endpoint is disabled");
    json_t *entry = json_pack("{s:s,s:s,s:s,s:s*,s:s*}", "TargetArn", arn, "MessageId", message_id, "Message",
                              nb_json_str(in, "Message"), "MessageStructure", nb_json_str(in, "MessageStructure"),
                              "Subject", nb_json_str(in, "Subject"));
    if (json_object_size(json_object_get(in, "MessageAttributes")) > 0)
        json_object_set_new(entry, "MessageAttributes",
                            sns_message_attributes_envelope(json_object_get(in, "MessageAttributes")));
    int rc = sns_record(nb_req_account(req), nb_req_region(req), "application", arn, entry);
    return rc == 0 ? nb_reply_new(req, json_pack("{s:s}", "MessageId", message_id)) : NB_FAILED(rc);
}
