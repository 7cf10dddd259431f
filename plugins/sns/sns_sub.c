/* Subscriptions: Subscribe (with the confirmation flow of http, https, email and email-json),
 * ConfirmSubscription, Unsubscribe, their attributes and the two List operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sns.h"
#include "sns_filter.h"

#define SUB_COLUMNS "arn, topic_arn, protocol, endpoint, owner, attrs, confirmed, token"

static const char *const protocols[] = {"http", "https", "email", "email-json", "sms", "sqs", "application",
                                        "lambda", "firehose"};

static bool needs_confirmation(const char *protocol) {
    return strcmp(protocol, "http") == 0 || strcmp(protocol, "https") == 0 || strcmp(protocol, "email") == 0 ||
           strcmp(protocol, "email-json") == 0;
}

static bool raw_capable(const char *protocol) {
    return strcmp(protocol, "sqs") == 0 || strcmp(protocol, "http") == 0 || strcmp(protocol, "https") == 0 ||
           strcmp(protocol, "firehose") == 0;
}

void sns_sub_counts(const char *topic_arn, int64_t *confirmed, int64_t *pending, int64_t *deleted) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT confirmed, count(*) FROM subscriptions WHERE topic_arn = ?1 "
                                                "GROUP BY confirmed");
    *confirmed = *pending = *deleted = 0;
    if (s == NULL)
        return;
    sqlite3_bind_text(s, 1, topic_arn, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW)
        *(sqlite3_column_int(s, 0) ? confirmed : pending) = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
}

int sns_subs_delete_topic(const char *topic_arn) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "DELETE FROM subscriptions WHERE topic_arn = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, topic_arn, -1, SQLITE_STATIC);
    return nb_store_run(s);
}

/* ------------------------------------------------------------ attributes */

/* A nested FilterPolicy (objects under keys) needs FilterPolicyScope=MessageBody. attrs: the
 * subscription's attributes as they would be after the change. Go on, or stop with AWS's error. */
static nb_step_t filter_scope_check(nb_req_t *req, const json_t *attrs) {
    const char *policy = nb_json_str(attrs, "FilterPolicy");
    if (policy == NULL || *policy == '\0' || nb_json_str_eq(attrs, "FilterPolicyScope", "MessageBody"))
        return NB_GO_ON;
    char *err = NULL;
    sns_filter_t *f = sns_filter_compile(policy, strlen(policy), &err);
    free(err);
    int nested = f && sns_filter_is_nested(f);
    sns_filter_free(f);
    if (nested)
        return nb_stop(sns_invalid(req, "Filter policy scope MessageAttributes does not support nested filter policy"));
    return NB_GO_ON;
}

/* Checks one subscription attribute for protocol. Go on, or stop with AWS's error. */
static nb_step_t sub_attr_check(nb_req_t *req, const char *protocol, const char *name, const char *value) {
    bool b;
    if (value == NULL)
        value = "";
    if (strcmp(name, "RawMessageDelivery") == 0) {
        if (!raw_capable(protocol))
            return nb_stop(sns_invalid(req, "Delivery protocol [%s] does not support raw message delivery.",
                                       protocol));
        if (!sns_bool_text(value, &b))
            return nb_stop(sns_invalid(req, "RawMessageDelivery: Invalid value [%s]. Must be true or false.", value));
        return NB_GO_ON;
    }
    if (strcmp(name, "FilterPolicy") == 0) {
        if (*value == '\0')
            return NB_GO_ON;
        char *err = NULL;
        sns_filter_t *f = sns_filter_compile(value, strlen(value), &err);
        if (f == NULL) {
            nb_result_t r = sns_invalid(req, "FilterPolicy: %s", err ? err : "failed to parse JSON.");
            free(err);
            return nb_stop(r);
        }
        sns_filter_free(f);
        return NB_GO_ON;
    }
    if (strcmp(name, "FilterPolicyScope") == 0) {
        if (strcmp(value, "MessageAttributes") != 0 && strcmp(value, "MessageBody") != 0)
            return nb_stop(sns_invalid(req, "FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or "
                                            "MessageAttributes", value));
        return NB_GO_ON;
    }
    if (strcmp(name, "RedrivePolicy") == 0) {
        if (*value == '\0')
            return NB_GO_ON;
        json_t *doc = json_loads(value, 0, NULL);
        const char *dlq = nb_json_str(doc, "deadLetterTargetArn");
        bool ok = json_is_object(doc), arn_ok = dlq && strncmp(dlq, "arn:", 4) == 0 && strstr(dlq, ":sqs:");
        json_decref(doc);
        if (!ok)
            return nb_stop(sns_invalid(req, "RedrivePolicy: failed to parse JSON."));
        if (!arn_ok)
            return nb_stop(sns_invalid(req, "RedrivePolicy: deadLetterTargetArn is invalid"));
        return NB_GO_ON;
    }
    if (strcmp(name, "DeliveryPolicy") == 0) {
        if (*value != '\0' && !sns_json_object_text(value))
            return nb_stop(sns_invalid(req, "DeliveryPolicy: failed to parse JSON."));
        return NB_GO_ON;
    }
    if (strcmp(name, "SubscriptionRoleArn") == 0) {
        if (strcmp(protocol, "firehose") != 0)
            return nb_stop(sns_invalid(req, "Invalid parameter: SubscriptionRoleArn"));
        return NB_GO_ON;
    }
    return nb_stop(sns_invalid(req, "AttributeName"));
}

/* --------------------------------------------------------------- lookups */

typedef struct sub {
    char arn[SNS_ARN_SIZE + 40], topic_arn[SNS_ARN_SIZE], protocol[16], owner[16], token[160];
    char *endpoint; /* malloc'd */
    json_t *attrs;
    bool confirmed;
} sub_t;

static void sub_clear(sub_t *s) {
    free(s->endpoint);
    json_decref(s->attrs);
    s->endpoint = NULL;
    s->attrs = NULL;
}

static void sub_row(sqlite3_stmt *s, sub_t *u) {
    memset(u, 0, sizeof *u);
    snprintf(u->arn, sizeof u->arn, "%s", (const char *)sqlite3_column_text(s, 0));
    snprintf(u->topic_arn, sizeof u->topic_arn, "%s", (const char *)sqlite3_column_text(s, 1));
    snprintf(u->protocol, sizeof u->protocol, "%s", (const char *)sqlite3_column_text(s, 2));
    u->endpoint = strdup((const char *)sqlite3_column_text(s, 3));
    snprintf(u->owner, sizeof u->owner, "%s", (const char *)sqlite3_column_text(s, 4));
    u->attrs = sns_json_column(s, 5);
    u->confirmed = sqlite3_column_int(s, 6) != 0;
    if (sqlite3_column_text(s, 7))
        snprintf(u->token, sizeof u->token, "%s", (const char *)sqlite3_column_text(s, 7));
}

static int sub_find(const char *arn, sub_t *u) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT " SUB_COLUMNS " FROM subscriptions WHERE arn = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    int rc = NB_ENOENT;
    if (sqlite3_step(s) == SQLITE_ROW) {
        sub_row(s, u);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

static bool sub_arn_valid(const char *arn) {
    char region[32], account[16], rest[SNS_ARN_SIZE];
    return arn && sns_arn_split(arn, region, account, rest) == 0 && strchr(rest, ':') != NULL;
}

static nb_step_t sub_load(nb_req_t *req, const char *arn, sub_t *u) {
    if (!sub_arn_valid(arn))
        return nb_stop(sns_invalid(req, "SubscriptionArn"));
    int rc = sub_find(arn, u);
    if (rc == NB_ENOENT)
        return nb_stop(nb_error(req, "NotFound", "Subscription does not exist"));
    return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
}

static int sub_save_attrs(const sub_t *u) {
    return sns_save_json("UPDATE subscriptions SET attrs = ?1 WHERE arn = ?2", u->attrs, u->arn);
}

/* ------------------------------------------------------------- subscribe */

static bool arn_of(const char *endpoint, const char *service) {
    char buf[512];
    nb_arn_t a;
    return endpoint && strlen(endpoint) < sizeof buf && nb_arn_parse(endpoint, &a, buf, sizeof buf) == 0 &&
           strcmp(a.service, service) == 0 && *a.region && *a.account;
}

static nb_step_t endpoint_check(nb_req_t *req, const char *protocol, const char *endpoint) {
    if (strcmp(protocol, "sqs") == 0 && !arn_of(endpoint, "sqs"))
        return nb_stop(sns_invalid(req, "SQS endpoint ARN"));
    if (strcmp(protocol, "lambda") == 0 && !arn_of(endpoint, "lambda"))
        return nb_stop(sns_invalid(req, "Lambda endpoint ARN"));
    if (strcmp(protocol, "firehose") == 0 && !arn_of(endpoint, "firehose"))
        return nb_stop(sns_invalid(req, "Firehose endpoint ARN"));
    if (strcmp(protocol, "application") == 0 && !arn_of(endpoint, "sns"))
        return nb_stop(sns_invalid(req, "Application endpoint ARN"));
    if ((strcmp(protocol, "http") == 0 && strncasecmp(endpoint, "http://", 7) != 0) ||
        (strcmp(protocol, "https") == 0 && strncasecmp(endpoint, "https://", 8) != 0))
        return nb_stop(sns_invalid(req, "Endpoint must match the specified protocol"));
    if (strncmp(protocol, "email", 5) == 0 && (strchr(endpoint, '@') == NULL || strchr(endpoint, ' ')))
        return nb_stop(sns_invalid(req, "Email address"));
    if (strcmp(protocol, "sms") == 0 && !sns_phone_valid(endpoint))
        return nb_stop(sns_invalid(req, "Invalid SMS endpoint: %s", endpoint));
    return NB_GO_ON;
}

/* The SubscriptionConfirmation (or UnsubscribeConfirmation) of an http/https subscription, to the outbox. */
static int confirmation_send(nb_req_t *req, const sns_topic_t *t, const sub_t *u, const char *endpoint,
                             const char *type) {
    char id[NB_UUID_SIZE], base[256];
    nb_uuid(id);
    sns_base_url(base, sizeof base);
    char *url = nb_req_printf(req, "%s/?Action=ConfirmSubscription&TopicArn=%s&Token=%s", base, t->arn, u->token);
    char *message = nb_req_printf(req,
                                  "You have chosen to %s the topic %s.\nTo confirm the subscription, visit the "
                                  "SubscribeURL included in this message.",
                                  strcmp(type, "SubscriptionConfirmation") == 0 ? "subscribe to" : "deactivate",
                                  t->arn);
    json_t *data = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:s,s:s}", "type", type, "message_id", id, "topic_arn",
                             t->arn, "message", message ? message : "", "token", u->token, "subscribe_url",
                             url ? url : "", "timestamp", nb_now(), "protocol", u->protocol, "endpoint", endpoint);
    return sns_outbox_add(req, t->account, t->region, u->arn, data);
}

nb_result_t sns_subscribe(nb_req_t *req, const json_t *in) {
    const char *protocol = nb_json_str(in, "Protocol"), *endpoint = nb_json_str(in, "Endpoint");
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "TopicArn"), "TopicArn", &t));
    bool known = false;
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        known = known || strcmp(protocols[i], protocol) == 0;
    nb_step_t step = NB_GO_ON;
    if (!known)
        step = nb_stop(sns_invalid(req, "Amazon SNS does not support this protocol string: %s", protocol));
    else if (endpoint == NULL)
        step = nb_stop(sns_invalid(req, "Endpoint"));
    else if (t.fifo && strcmp(protocol, "sqs") != 0 && strcmp(protocol, "firehose") != 0)
        step = nb_stop(sns_invalid(req, "Invalid protocol type: %s", protocol));
    else
        step = endpoint_check(req, protocol, endpoint);
    const json_t *attrs = json_object_get(in, "Attributes");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)attrs, key, v) {
        if (!nb_stopped(step))
            step = sub_attr_check(req, protocol, key, json_string_value(v));
    }
    if (!nb_stopped(step))
        step = filter_scope_check(req, attrs);
    if (nb_stopped(step)) {
        sns_topic_clear(&t);
        return nb_step_result(step);
    }
    bool return_arn = json_is_true(json_object_get(in, "ReturnSubscriptionArn"));
    /* the same topic, protocol and endpoint: the subscription there is, if its attributes match */
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT " SUB_COLUMNS " FROM subscriptions WHERE topic_arn = ?1 AND "
                                                "protocol = ?2 AND endpoint = ?3");
    if (s == NULL) {
        sns_topic_clear(&t);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, t.arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, protocol, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, endpoint, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        sub_t u;
        sub_row(s, &u);
        sqlite3_reset(s);
        bool same = true;
        json_object_foreach((json_t *)attrs, key, v) {
            const char *had = nb_json_str(u.attrs, key);
            same = same && had && strcmp(had, json_string_value(v)) == 0;
        }
        nb_result_t r = !same ? sns_invalid(req, "Attributes Reason: Subscription already exists with different "
                                                 "attributes")
                              : nb_reply_new(req, json_pack("{s:s}", "SubscriptionArn",
                                                            u.confirmed || return_arn ? u.arn : "pending confirmation"));
        sub_clear(&u);
        sns_topic_clear(&t);
        return r;
    }
    sqlite3_reset(s);
    sub_t u;
    memset(&u, 0, sizeof u);
    char id[NB_UUID_SIZE];
    nb_uuid(id);
    snprintf(u.arn, sizeof u.arn, "%s:%s", t.arn, id);
    snprintf(u.protocol, sizeof u.protocol, "%s", protocol);
    u.confirmed = !needs_confirmation(protocol);
    char raw_token[64];
    if (nb_random_bytes(raw_token, sizeof raw_token) != 0 ||
        nb_hex_encode(raw_token, sizeof raw_token, 0, u.token, sizeof u.token) < 0) {
        sns_topic_clear(&t);
        return NB_FAILED(NB_EIO);
    }
    char *attrs_text = attrs ? sns_json_dump(attrs) : strdup("{}"); /* no json_object(): it would leak */
    s = nb_store_scoped(&sns.store, req,
                        "INSERT INTO subscriptions(arn, topic_arn, protocol, endpoint, owner, attrs, confirmed, token, "
                        "created, account, region) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, :account, :region)");
    if (s == NULL || attrs_text == NULL) {
        free(attrs_text);
        sns_topic_clear(&t);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, u.arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, t.arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, protocol, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, endpoint, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, nb_req_account(req), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, attrs_text, -1, free);
    sqlite3_bind_int(s, 7, u.confirmed);
    sqlite3_bind_text(s, 8, u.token, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 9, nb_now());
    int rc = nb_store_run(s);
    if (rc == 0 && (strcmp(protocol, "http") == 0 || strcmp(protocol, "https") == 0))
        rc = confirmation_send(req, &t, &u, endpoint, "SubscriptionConfirmation");
    else if (rc == 0 && strncmp(protocol, "email", 5) == 0)
        rc = sns_record(t.account, t.region, protocol, endpoint,
                        json_pack("{s:s,s:s,s:s}", "Type", "SubscriptionConfirmation", "SubscriptionArn", u.arn,
                                  "Token", u.token));
    sns_topic_clear(&t);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:s}", "SubscriptionArn",
                                       u.confirmed || return_arn ? u.arn : "pending confirmation"));
}

nb_result_t sns_confirm_subscription(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "TopicArn"), "TopicArn", &t));
    sns_topic_clear(&t);
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT arn FROM subscriptions WHERE topic_arn = ?1 AND token = ?2");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, t.arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, nb_json_str(in, "Token"), -1, SQLITE_STATIC);
    char arn[SNS_ARN_SIZE + 40] = "";
    if (sqlite3_step(s) == SQLITE_ROW)
        snprintf(arn, sizeof arn, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    if (!*arn)
        return sns_invalid(req, "Token");
    s = nb_store_stmt(&sns.store, "UPDATE subscriptions SET confirmed = 1 WHERE arn = ?1");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    int rc = nb_store_run(s);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:s}", "SubscriptionArn", arn));
}

nb_result_t sns_unsubscribe(nb_req_t *req, const json_t *in) {
    const char *arn = nb_json_str(in, "SubscriptionArn");
    sub_t u;
    if (!sub_arn_valid(arn))
        return sns_invalid(req, "SubscriptionArn");
    int rc = sub_find(arn, &u);
    if (rc == NB_ENOENT) /* unsubscribing twice succeeds, as on AWS */
        return NB_DONE;
    if (rc != 0)
        return NB_FAILED(rc);
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "DELETE FROM subscriptions WHERE arn = ?1");
    if (s == NULL) {
        sub_clear(&u);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    rc = nb_store_run(s);
    sns_topic_t t;
    if (rc == 0 && u.confirmed && (strcmp(u.protocol, "http") == 0 || strcmp(u.protocol, "https") == 0) &&
        sns_topic_find(u.topic_arn, &t) == 0) {
        rc = confirmation_send(req, &t, &u, u.endpoint, "UnsubscribeConfirmation");
        sns_topic_clear(&t);
    }
    sub_clear(&u);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t sns_get_subscription_attributes(nb_req_t *req, const json_t *in) {
    sub_t u;
    NB_TRY(sub_load(req, nb_json_str(in, "SubscriptionArn"), &u));
    json_t *a = json_deep_copy(u.attrs);
    json_object_set_new(a, "SubscriptionArn", json_string(u.arn));
    json_object_set_new(a, "TopicArn", json_string(u.topic_arn));
    json_object_set_new(a, "Owner", json_string(u.owner));
    json_object_set_new(a, "Protocol", json_string(u.protocol));
    json_object_set_new(a, "Endpoint", json_string(u.endpoint));
    json_object_set_new(a, "PendingConfirmation", json_string(u.confirmed ? "false" : "true"));
    json_object_set_new(a, "ConfirmationWasAuthenticated",
                        json_string(u.confirmed && !needs_confirmation(u.protocol) ? "true" : "false"));
    if (!json_object_get(a, "RawMessageDelivery"))
        json_object_set_new(a, "RawMessageDelivery", json_string("false"));
    if (json_object_get(a, "FilterPolicy") && !json_object_get(a, "FilterPolicyScope"))
        json_object_set_new(a, "FilterPolicyScope", json_string("MessageAttributes"));
    char principal[64];
    snprintf(principal, sizeof principal, "arn:%s:iam::%s:root", nb_partition(nb_req_region(req)), u.owner);
    json_object_set_new(a, "SubscriptionPrincipal", json_string(principal));
    sub_clear(&u);
    return nb_reply_new(req, json_pack("{s:o}", "Attributes", a));
}

nb_result_t sns_set_subscription_attributes(nb_req_t *req, const json_t *in) {
    sub_t u;
    NB_TRY(sub_load(req, nb_json_str(in, "SubscriptionArn"), &u));
    const char *name = nb_json_str(in, "AttributeName"), *value = nb_json_str(in, "AttributeValue");
    nb_step_t step = sub_attr_check(req, u.protocol, name, value);
    if (nb_stopped(step)) {
        sub_clear(&u);
        return nb_step_result(step);
    }
    if (value == NULL || *value == '\0') {
        json_object_del(u.attrs, name);
        if (strcmp(name, "FilterPolicy") == 0)
            json_object_del(u.attrs, "FilterPolicyScope");
    } else {
        json_object_set_new(u.attrs, name, json_string(value));
    }
    step = filter_scope_check(req, u.attrs);
    if (nb_stopped(step)) {
        sub_clear(&u);
        return nb_step_result(step);
    }
    int rc = sub_save_attrs(&u);
    sub_clear(&u);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

static json_t *sub_entry(sqlite3_stmt *s) {
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "SubscriptionArn",
                     sqlite3_column_int(s, 6) ? (const char *)sqlite3_column_text(s, 1) : "PendingConfirmation",
                     "Owner", (const char *)sqlite3_column_text(s, 5), "Protocol",
                     (const char *)sqlite3_column_text(s, 3), "Endpoint", (const char *)sqlite3_column_text(s, 4),
                     "TopicArn", (const char *)sqlite3_column_text(s, 2));
}

/* One page of subscriptions of the query s (rowid > ?1 bound by the caller). */
static nb_result_t list_page(nb_req_t *req, sqlite3_stmt *s) {
    json_t *out = json_object();
    json_object_set_new(out, "Subscriptions", sns_page(s, SNS_PAGE, out, "NextToken", sub_entry));
    return nb_reply_new(req, out);
}

nb_result_t sns_list_subscriptions(nb_req_t *req, const json_t *in) {
    return sns_list(req, in, "NextToken",
                    "SELECT rowid, arn, topic_arn, protocol, endpoint, owner, confirmed FROM subscriptions WHERE "
                    "rowid > ?1 AND account = :account AND region = :region ORDER BY rowid LIMIT 101",
                    "Subscriptions", SNS_PAGE, sub_entry);
}

nb_result_t sns_list_subscriptions_by_topic(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "TopicArn"), "TopicArn", &t));
    sns_topic_clear(&t);
    int64_t start = sns_page_start(nb_json_str(in, "NextToken"));
    if (start < 0)
        return sns_invalid(req, "NextToken");
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT rowid, arn, topic_arn, protocol, endpoint, owner, confirmed "
                                                "FROM subscriptions WHERE rowid > ?1 AND topic_arn = ?2 "
                                                "ORDER BY rowid LIMIT 101");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, start);
    sqlite3_bind_text(s, 2, t.arn, -1, SQLITE_TRANSIENT);
    return list_page(req, s);
}
