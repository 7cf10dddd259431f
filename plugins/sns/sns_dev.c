/* LocalStack's SNS developer endpoints, and the certificate SigningCertURL points to:
 *
 *   GET|DELETE /_aws/sns/platform-endpoint-messages?accountId=&region=&endpointArn=
 *              {"platform_endpoint_messages": {"<endpoint arn>": [message, ...]}, "region": "..."}
 *   GET|DELETE /_aws/sns/sms-messages?accountId=&region=&phoneNumber=
 *              {"sms_messages": {"+15551234567": [message, ...]}, "region": "..."}
 *   GET        /_aws/sns/subscription-tokens/<subscription arn>
 *              {"subscription_token": "...", "subscription_arn": "..."}
 *   GET        /_aws/sns/deliveries?protocol=lambda|email|email-json|firehose (Nimbus's own: recorded
 *              deliveries of the protocols SNS cannot reach from here)
 *   GET        /_aws/sns/SimpleNotificationService-nimbus.pem (the signing certificate)
 *
 * accountId and region default to the default account and region; DELETE answers 204. Reads and
 * deletes go to the store directly, outside any transaction, like /_aws/sqs/messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"

#define PREFIX "/_aws/sns/"

/* A query parameter, percent-decoded into buf; NULL when absent. */
static const char *param(nb_http_t *h, const char *name, char *buf, size_t cap) {
    const char *q = nb_http_query(h);
    size_t n = strlen(name);
    for (const char *p = q; p && *p;) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
        if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            ssize_t k = nb_url_decode(p + n + 1, (size_t)(end - p - n - 1), NB_URL_FORM | NB_URL_LENIENT, buf, cap);
            if (k < 0 || (size_t)k >= cap)
                return NULL;
            buf[k] = '\0';
            return buf;
        }
        p = amp ? amp + 1 : end;
    }
    return NULL;
}

static void respond_json(nb_http_t *h, int status, json_t *doc_new) {
    char *text = doc_new ? json_dumps(doc_new, JSON_COMPACT) : NULL;
    json_decref(doc_new);
    nb_http_reply_header(h, "Content-Type", "application/json");
    nb_http_respond(h, text ? status : 500, text, text ? strlen(text) : 0);
    free(text);
}

static const char *default_account(void) {
    const char *a = nb_config_get("NIMBUS_DEFAULT_ACCOUNT");
    return a && *a ? a : "000000000000";
}

static const char *default_region(void) {
    const char *r = nb_config_get("DEFAULT_REGION");
    return r && *r ? r : "us-east-1";
}

/* The recorded messages of kind, grouped by target, or removed (DELETE). */
static void recorded(nb_http_t *h, const char *kind, const char *member, const char *filter_param) {
    char account[64], region[64], target[512];
    const char *acct = param(h, "accountId", account, sizeof account);
    const char *reg = param(h, "region", region, sizeof region);
    const char *tgt = param(h, filter_param, target, sizeof target);
    if (acct == NULL)
        acct = default_account();
    if (reg == NULL)
        reg = default_region();
    bool del = strcmp(nb_http_method(h), "DELETE") == 0;
    sqlite3_stmt *s = nb_store_stmt(&sns.store, del ? "DELETE FROM recorded WHERE kind = ?1 AND account = ?2 AND "
                                                      "region = ?3 AND (?4 IS NULL OR target = ?4)"
                                                    : "SELECT target, data FROM recorded WHERE kind = ?1 AND account "
                                                      "= ?2 AND region = ?3 AND (?4 IS NULL OR target = ?4) ORDER "
                                                      "BY id");
    if (s == NULL) {
        nb_http_respond(h, 500, NULL, 0);
        return;
    }
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, acct, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, reg, -1, SQLITE_STATIC);
    if (tgt)
        sqlite3_bind_text(s, 4, tgt, -1, SQLITE_STATIC);
    if (del) {
        int rc = nb_store_run(s);
        nb_http_respond(h, rc == 0 ? 204 : 500, NULL, 0);
        return;
    }
    json_t *groups = json_object();
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        json_t *list = json_object_get(groups, t);
        if (list == NULL)
            json_object_set_new(groups, t, list = json_array());
        json_array_append_new(list, sns_json_column(s, 1));
    }
    sqlite3_reset(s);
    respond_json(h, 200, json_pack("{s:o,s:s}", member, groups, "region", reg));
}

static void subscription_token(nb_http_t *h, const char *encoded_arn) {
    char arn[SNS_ARN_SIZE + 64], region[32], account[16], rest[SNS_ARN_SIZE];
    ssize_t n = nb_url_decode(encoded_arn, strlen(encoded_arn), NB_URL_LENIENT, arn, sizeof arn);
    if (n < 0 || (size_t)n >= sizeof arn) {
        respond_json(h, 400, json_pack("{s:s}", "error", "The provided SubscriptionARN is invalid"));
        return;
    }
    arn[n] = '\0';
    if (sns_arn_split(arn, region, account, rest) != 0 || strchr(rest, ':') == NULL) {
        respond_json(h, 400, json_pack("{s:s}", "error", "The provided SubscriptionARN is invalid"));
        return;
    }
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT token FROM subscriptions WHERE arn = ?1");
    if (s == NULL) {
        nb_http_respond(h, 500, NULL, 0);
        return;
    }
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    json_t *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        out = json_pack("{s:s,s:s}", "subscription_token", (const char *)sqlite3_column_text(s, 0),
                        "subscription_arn", arn);
    sqlite3_reset(s);
    if (out)
        respond_json(h, 200, out);
    else
        respond_json(h, 404, json_pack("{s:s}", "error", "The provided SubscriptionARN is not found"));
}

static void deliveries(nb_http_t *h) {
    char protocol[32];
    const char *p = param(h, "protocol", protocol, sizeof protocol);
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT kind, target, data FROM recorded WHERE (?1 IS NULL OR kind = "
                                                "?1) AND kind NOT IN ('sms', 'application') ORDER BY id");
    if (s == NULL) {
        nb_http_respond(h, 500, NULL, 0);
        return;
    }
    if (p)
        sqlite3_bind_text(s, 1, p, -1, SQLITE_STATIC);
    json_t *list = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(list, json_pack("{s:s,s:s,s:o}", "Protocol", (const char *)sqlite3_column_text(s, 0),
                                              "Endpoint", (const char *)sqlite3_column_text(s, 1), "Message",
                                              sns_json_column(s, 2)));
    sqlite3_reset(s);
    respond_json(h, 200, json_pack("{s:o}", "deliveries", list));
}

static void dev_handler(nb_http_t *h, void *data) {
    (void)data;
    const char *path = nb_http_path(h) + strlen(PREFIX), *method = nb_http_method(h);
    bool get = strcmp(method, "GET") == 0, del = strcmp(method, "DELETE") == 0;
    if (strcmp(path, "platform-endpoint-messages") == 0 && (get || del))
        recorded(h, "application", "platform_endpoint_messages", "endpointArn");
    else if (strcmp(path, "sms-messages") == 0 && (get || del))
        recorded(h, "sms", "sms_messages", "phoneNumber");
    else if (strncmp(path, "subscription-tokens/", 20) == 0 && get)
        subscription_token(h, path + 20);
    else if (strcmp(path, "deliveries") == 0 && get)
        deliveries(h);
    else if (strcmp(path, "SimpleNotificationService-nimbus.pem") == 0 && get) {
        nb_http_reply_header(h, "Content-Type", "application/x-x509-ca-cert");
        nb_http_respond(h, 200, sns_sign_cert_pem(), strlen(sns_sign_cert_pem()));
    } else
        respond_json(h, 404, json_pack("{s:s}", "error", "not found"));
}

int sns_dev_register(nb_plugin_t *self) { return nb_route_prefix(self, PREFIX, dev_handler, NULL); }
