/* Topics: create (standard and FIFO), delete, attributes, the access policy (AddPermission,
 * RemovePermission), the data protection policy, tags and ListTopics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sns.h"

#define TOPIC_COLUMNS "arn, account, region, name, attrs, fifo_seq"

static int topic_row(sqlite3_stmt *s, sns_topic_t *t) {
    memset(t, 0, sizeof *t);
    snprintf(t->arn, sizeof t->arn, "%s", (const char *)sqlite3_column_text(s, 0));
    snprintf(t->account, sizeof t->account, "%s", (const char *)sqlite3_column_text(s, 1));
    snprintf(t->region, sizeof t->region, "%s", (const char *)sqlite3_column_text(s, 2));
    snprintf(t->name, sizeof t->name, "%s", (const char *)sqlite3_column_text(s, 3));
    t->attrs = sns_json_column(s, 4);
    t->fifo_seq = sqlite3_column_int64(s, 5);
    size_t n = strlen(t->name);
    t->fifo = n > 5 && strcmp(t->name + n - 5, ".fifo") == 0;
    return 0;
}

int sns_topic_find(const char *arn, sns_topic_t *t) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT " TOPIC_COLUMNS " FROM topics WHERE arn = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_ROW ? topic_row(s, t) : NB_ENOENT;
    sqlite3_reset(s);
    return rc;
}

void sns_topic_clear(sns_topic_t *t) {
    json_decref(t->attrs);
    t->attrs = NULL;
}

nb_step_t sns_topic_load(nb_req_t *req, const char *arn, const char *what, sns_topic_t *t) {
    char region[32], account[16], rest[SNS_ARN_SIZE];
    memset(t, 0, sizeof *t);
    if (arn == NULL || strncmp(arn, "arn:", 4) != 0)
        return nb_stop(sns_invalid(req, "%s Reason: %s does not start with arn", what, arn ? arn : ""));
    if (sns_arn_split(arn, region, account, rest) != 0 || strchr(rest, ':') != NULL)
        return nb_stop(sns_invalid(req, "%s", what));
    int rc = sns_topic_find(arn, t);
    if (rc == NB_ENOENT)
        return nb_stop(nb_error(req, "NotFound", "Topic does not exist"));
    if (rc != 0)
        return nb_stop(NB_FAILED(rc));
    return NB_GO_ON;
}

int sns_topic_save_seq(const sns_topic_t *t) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "UPDATE topics SET fifo_seq = ?1 WHERE arn = ?2");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, t->fifo_seq);
    sqlite3_bind_text(s, 2, t->arn, -1, SQLITE_STATIC);
    return nb_store_run(s);
}

static int topic_save_attrs(const char *arn, const json_t *attrs) {
    return sns_save_json("UPDATE topics SET attrs = ?1 WHERE arn = ?2", attrs, arn);
}

/* ------------------------------------------------------------ attributes */

static const char *const feedback_attrs[] = {
    "ApplicationSuccessFeedbackRoleArn", "ApplicationSuccessFeedbackSampleRate", "ApplicationFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",        "HTTPSuccessFeedbackSampleRate",        "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",      "LambdaSuccessFeedbackSampleRate",      "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",         "SQSSuccessFeedbackSampleRate",         "SQSFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",    "FirehoseSuccessFeedbackSampleRate",    "FirehoseFailureFeedbackRoleArn",
};

/* Checks one topic attribute as SetTopicAttributes / CreateTopic take it. creating: FifoTopic is
 * allowed. Go on, or stop with AWS's error. */
static nb_step_t topic_attr_check(nb_req_t *req, bool fifo, bool creating, const char *name, const char *value) {
    bool b;
    if (value == NULL)
        value = "";
    if (strcmp(name, "DisplayName") == 0) {
        if (strlen(value) > 100)
            return nb_stop(sns_invalid(req, "DisplayName"));
        return NB_GO_ON;
    }
    if (strcmp(name, "Policy") == 0 || strcmp(name, "DeliveryPolicy") == 0) {
        if (*value != '\0' && !sns_json_object_text(value))
            return nb_stop(sns_invalid(req, "%s: failed to parse JSON", name));
        return NB_GO_ON;
    }
    if (strcmp(name, "KmsMasterKeyId") == 0)
        return NB_GO_ON;
    if (strcmp(name, "SignatureVersion") == 0) {
        if (strcmp(value, "1") != 0 && strcmp(value, "2") != 0)
            return nb_stop(sns_invalid(req, "SignatureVersion"));
        return NB_GO_ON;
    }
    if (strcmp(name, "TracingConfig") == 0) {
        if (strcmp(value, "PassThrough") != 0 && strcmp(value, "Active") != 0)
            return nb_stop(sns_invalid(req, "Attributes Reason: TracingConfig: Invalid value [%s]. Must be one of "
                                            "PassThrough, Active", value));
        return NB_GO_ON;
    }
    if (strcmp(name, "FifoTopic") == 0) {
        if (!creating)
            return nb_stop(sns_invalid(req, "AttributeName"));
        if (!sns_bool_text(value, &b))
            return nb_stop(sns_invalid(req, "Attributes Reason: FifoTopic: Invalid value [%s]", value));
        return NB_GO_ON;
    }
    if (strcmp(name, "ContentBasedDeduplication") == 0) {
        if (!fifo)
            return nb_stop(sns_invalid(req, "Attributes Reason: Content-based deduplication can only be set for "
                                            "FIFO topics"));
        if (!sns_bool_text(value, &b))
            return nb_stop(sns_invalid(req, "Attributes Reason: ContentBasedDeduplication: Invalid value [%s]",
                                       value));
        return NB_GO_ON;
    }
    if (strcmp(name, "ArchivePolicy") == 0) {
        if (!fifo)
            return nb_stop(sns_invalid(req, "Attributes Reason: The ArchivePolicy attribute is only supported for "
                                            "FIFO topics"));
        json_t *doc = json_loads(value, 0, NULL);
        json_int_t days = nb_json_int(doc, "MessageRetentionPeriod", -1);
        json_decref(doc);
        if (*value != '\0' && (days < 1 || days > 365))
            return nb_stop(sns_invalid(req, "Attributes Reason: ArchivePolicy: MessageRetentionPeriod must be an "
                                            "integer between 1 and 365"));
        return NB_GO_ON;
    }
    if (strcmp(name, "FifoThroughputScope") == 0) {
        if (!fifo || (strcmp(value, "Topic") != 0 && strcmp(value, "MessageGroup") != 0))
            return nb_stop(sns_invalid(req, "FifoThroughputScope"));
        return NB_GO_ON;
    }
    for (size_t i = 0; i < sizeof feedback_attrs / sizeof feedback_attrs[0]; i++)
        if (strcmp(name, feedback_attrs[i]) == 0)
            return NB_GO_ON;
    return nb_stop(sns_invalid(req, "AttributeName"));
}

static json_t *default_policy(const char *arn, const char *account) {
    return json_pack("{s:s,s:s,s:[{s:s,s:s,s:{s:s},s:[s,s,s,s,s,s,s,s],s:s,s:{s:{s:s}}}]}", "Version", "2008-10-17",
                     "Id", "__default_policy_ID", "Statement", "Sid", "__default_statement_ID", "Effect", "Allow",
                     "Principal", "AWS", "*", "Action", "SNS:GetTopicAttributes", "SNS:SetTopicAttributes",
                     "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                     "SNS:ListSubscriptionsByTopic", "SNS:Publish", "Resource", arn, "Condition", "StringEquals",
                     "AWS:SourceOwner", account);
}

static char *default_policy_text(const char *arn, const char *account) {
    json_t *p = default_policy(arn, account);
    char *text = sns_json_dump(p);
    json_decref(p);
    return text;
}

static const char *default_effective_delivery_policy =
    "{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,\"numRetries\":3,"
    "\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,\"numMinDelayRetries\":0,\"backoffFunction\":\"linear\"},"
    "\"disableSubscriptionOverrides\":false,\"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; "
    "charset=UTF-8\"}}}";

/* ---------------------------------------------------------------- handlers */

static bool topic_name_ok(const char *name, bool fifo) {
    size_t n = strlen(name);
    if (fifo) {
        if (n < 6 || strcmp(name + n - 5, ".fifo") != 0)
            return false;
        n -= 5;
    }
    if (n == 0 || n > 256)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

nb_result_t sns_create_topic(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name");
    const json_t *attrs = json_object_get(in, "Attributes");
    bool fifo = false;
    const char *fifo_attr = nb_json_str(attrs, "FifoTopic");
    if (fifo_attr && !sns_bool_text(fifo_attr, &fifo))
        return sns_invalid(req, "Attributes Reason: FifoTopic: Invalid value [%s]", fifo_attr);
    size_t n = strlen(name);
    bool fifo_name = n > 5 && strcmp(name + n - 5, ".fifo") == 0;
    if (fifo && !topic_name_ok(name, true))
        return sns_invalid(req, "Fifo Topic names must end with .fifo and must be made up of only uppercase and "
                                "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 "
                                "and 256 characters long.");
    if (!fifo && (fifo_name || !topic_name_ok(name, false)))
        return sns_invalid(req, "Topic Name");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)attrs, key, v) NB_TRY(topic_attr_check(req, fifo, true, key, json_string_value(v)));
    json_t *stored = json_object();
    json_object_foreach((json_t *)attrs, key, v) {
        if (strcmp(key, "FifoTopic") != 0)
            json_object_set(stored, key, (json_t *)v);
    }
    json_t *tags = json_object();
    nb_step_t step = sns_tags_merge(req, tags, json_object_get(in, "Tags"));
    const char *dpp = nb_json_str(in, "DataProtectionPolicy");
    if (!nb_stopped(step) && dpp && *dpp && !sns_json_object_text(dpp))
        step = nb_stop(sns_invalid(req, "DataProtectionPolicy Reason: Failed to parse the policy"));
    char arn[SNS_ARN_SIZE];
    sns_topic_arn(req, name, arn);
    sns_topic_t old;
    if (!nb_stopped(step) && sns_topic_find(arn, &old) == 0) {
        /* CreateTopic is idempotent for the same attributes and tags */
        bool same = true;
        json_object_foreach(stored, key, v) {
            const char *was = nb_json_str(old.attrs, key);
            same = same && was && strcmp(was, json_string_value(v)) == 0;
        }
        sns_topic_clear(&old);
        if (!same)
            step = nb_stop(sns_invalid(req, "Attributes Reason: Topic already exists with different attributes"));
        else if (json_object_size(tags) > 0) {
            sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT tags FROM topics WHERE arn = ?1");
            sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
            json_t *had = s && sqlite3_step(s) == SQLITE_ROW ? sns_json_column(s, 0) : json_object();
            if (s)
                sqlite3_reset(s);
            if (!json_equal(had, tags))
                step = nb_stop(sns_invalid(req, "Tags Reason: Topic already exists with different tags"));
            json_decref(had);
        }
        json_decref(stored);
        json_decref(tags);
        if (nb_stopped(step))
            return nb_step_result(step);
        return nb_reply_new(req, json_pack("{s:s}", "TopicArn", arn));
    }
    if (nb_stopped(step)) {
        json_decref(stored);
        json_decref(tags);
        return nb_step_result(step);
    }
    sqlite3_stmt *s = nb_store_scoped(&sns.store, req,
                                      "INSERT INTO topics(arn, name, attrs, tags, dpp, created, account, region) "
                                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, :account, :region)");
    char *attrs_text = sns_json_dump(stored), *tags_text = sns_json_dump(tags);
    json_decref(stored);
    json_decref(tags);
    if (s == NULL || attrs_text == NULL || tags_text == NULL) {
        free(attrs_text);
        free(tags_text);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, attrs_text, -1, free);
    sqlite3_bind_text(s, 4, tags_text, -1, free);
    if (dpp && *dpp)
        sqlite3_bind_text(s, 5, dpp, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 6, nb_now());
    int rc = nb_store_run(s);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:s}", "TopicArn", arn));
}

nb_result_t sns_delete_topic(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    const char *arn = nb_json_str(in, "TopicArn");
    /* deleting a topic that is gone already succeeds, as on AWS */
    if (arn && strncmp(arn, "arn:", 4) == 0 && sns_topic_find(arn, &t) == NB_ENOENT)
        return NB_DONE;
    NB_TRY(sns_topic_load(req, arn, "TopicArn", &t));
    sns_topic_clear(&t);
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "DELETE FROM topics WHERE arn = ?1");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, t.arn, -1, SQLITE_STATIC);
    int rc = nb_store_run(s);
    if (rc == 0)
        rc = sns_subs_delete_topic(t.arn);
    s = rc == 0 ? nb_store_stmt(&sns.store, "DELETE FROM _fifo_dedup WHERE topic_arn = ?1") : NULL;
    if (s) {
        sqlite3_bind_text(s, 1, t.arn, -1, SQLITE_STATIC);
        rc = nb_store_run(s);
    }
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t sns_get_topic_attributes(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "TopicArn"), "TopicArn", &t));
    json_t *a = json_deep_copy(t.attrs);
    json_object_set_new(a, "TopicArn", json_string(t.arn));
    json_object_set_new(a, "Owner", json_string(t.account));
    if (!nb_json_str(a, "Policy") || !*nb_json_str(a, "Policy")) {
        char *p = default_policy_text(t.arn, t.account);
        json_object_set_new(a, "Policy", json_string(p ? p : ""));
        free(p);
    }
    if (!json_object_get(a, "DisplayName"))
        json_object_set_new(a, "DisplayName", json_string(""));
    int64_t confirmed = 0, pending = 0, deleted = 0;
    sns_sub_counts(t.arn, &confirmed, &pending, &deleted);
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)confirmed);
    json_object_set_new(a, "SubscriptionsConfirmed", json_string(num));
    snprintf(num, sizeof num, "%lld", (long long)pending);
    json_object_set_new(a, "SubscriptionsPending", json_string(num));
    snprintf(num, sizeof num, "%lld", (long long)deleted);
    json_object_set_new(a, "SubscriptionsDeleted", json_string(num));
    const char *dp = nb_json_str(a, "DeliveryPolicy");
    json_object_set_new(a, "EffectiveDeliveryPolicy",
                        json_string(dp && *dp ? dp : default_effective_delivery_policy));
    if (t.fifo) {
        json_object_set_new(a, "FifoTopic", json_string("true"));
        if (!json_object_get(a, "ContentBasedDeduplication"))
            json_object_set_new(a, "ContentBasedDeduplication", json_string("false"));
    }
    sns_topic_clear(&t);
    return nb_reply_new(req, json_pack("{s:o}", "Attributes", a));
}

nb_result_t sns_set_topic_attributes(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "TopicArn"), "TopicArn", &t));
    const char *name = nb_json_str(in, "AttributeName"), *value = nb_json_str(in, "AttributeValue");
    nb_step_t step = topic_attr_check(req, t.fifo, false, name, value);
    if (nb_stopped(step)) {
        sns_topic_clear(&t);
        return nb_step_result(step);
    }
    if (value == NULL || (*value == '\0' && strcmp(name, "DisplayName") != 0))
        json_object_del(t.attrs, name);
    else
        json_object_set_new(t.attrs, name, json_string(value));
    int rc = topic_save_attrs(t.arn, t.attrs);
    sns_topic_clear(&t);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

static json_t *topic_entry(sqlite3_stmt *s) {
    return json_pack("{s:s}", "TopicArn", (const char *)sqlite3_column_text(s, 1));
}

nb_result_t sns_list_topics(nb_req_t *req, const json_t *in) {
    return sns_list(req, in, "NextToken",
                    "SELECT rowid, arn FROM topics WHERE rowid > ?1 AND account = :account AND region = :region "
                    "ORDER BY rowid LIMIT 101",
                    "Topics", SNS_PAGE, topic_entry);
}

/* ---------------------------------------------------------- permissions */

static json_t *topic_policy(const sns_topic_t *t) {
    const char *text = nb_json_str(t->attrs, "Policy");
    json_t *p = text && *text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(p)) {
        json_decref(p);
        p = default_policy(t->arn, t->account);
    }
    if (!json_is_array(json_object_get(p, "Statement")))
        json_object_set_new(p, "Statement", json_array());
    return p;
}

static int save_policy(sns_topic_t *t, json_t *policy) {
    char *text = sns_json_dump(policy);
    json_decref(policy);
    if (text == NULL)
        return NB_ENOMEM;
    json_object_set_new(t->attrs, "Policy", json_string(text));
    free(text);
    return topic_save_attrs(t->arn, t->attrs);
}

nb_result_t sns_add_permission(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "TopicArn"), "TopicArn", &t));
    const char *label = nb_json_str(in, "Label");
    json_t *policy = topic_policy(&t), *statements = json_object_get(policy, "Statement");
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st) {
        if (nb_json_str_eq(st, "Sid", label)) {
            json_decref(policy);
            sns_topic_clear(&t);
            return sns_invalid(req, "Statement already exists");
        }
    }
    json_t *principals = json_array(), *actions = json_array();
    json_array_foreach(json_object_get(in, "AWSAccountId"), i, st) {
        char p[64];
        snprintf(p, sizeof p, "arn:%s:iam::%s:root", nb_partition(t.region), json_string_value(st));
        json_array_append_new(principals, json_string(p));
    }
    json_array_foreach(json_object_get(in, "ActionName"), i, st) {
        char a[128];
        snprintf(a, sizeof a, "SNS:%s", json_string_value(st));
        json_array_append_new(actions, json_string(a));
    }
    json_array_append_new(statements,
                          json_pack("{s:s,s:s,s:{s:O},s:O,s:s}", "Sid", label, "Effect", "Allow", "Principal", "AWS",
                                    json_array_size(principals) == 1 ? json_array_get(principals, 0) : principals,
                                    "Action", json_array_size(actions) == 1 ? json_array_get(actions, 0) : actions,
                                    "Resource", t.arn));
    json_decref(principals);
    json_decref(actions);
    int rc = save_policy(&t, policy);
    sns_topic_clear(&t);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t sns_remove_permission(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "TopicArn"), "TopicArn", &t));
    json_t *policy = topic_policy(&t), *statements = json_object_get(policy, "Statement");
    for (size_t i = 0; i < json_array_size(statements); i++)
        if (nb_json_str_eq(json_array_get(statements, i), "Sid", nb_json_str(in, "Label")))
            json_array_remove(statements, i--);
    int rc = save_policy(&t, policy);
    sns_topic_clear(&t);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

/* ------------------------------------------------------ data protection */

nb_result_t sns_get_data_protection_policy(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "ResourceArn"), "ResourceArn", &t));
    sns_topic_clear(&t);
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT dpp FROM topics WHERE arn = ?1");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, t.arn, -1, SQLITE_STATIC);
    json_t *out = json_object();
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        json_object_set_new(out, "DataProtectionPolicy", json_string((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    return nb_reply_new(req, out);
}

nb_result_t sns_put_data_protection_policy(nb_req_t *req, const json_t *in) {
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "ResourceArn"), "ResourceArn", &t));
    sns_topic_clear(&t);
    const char *dpp = nb_json_str(in, "DataProtectionPolicy");
    if (*dpp && !sns_json_object_text(dpp))
        return sns_invalid(req, "DataProtectionPolicy Reason: Failed to parse the policy");
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "UPDATE topics SET dpp = ?1 WHERE arn = ?2");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    if (*dpp)
        sqlite3_bind_text(s, 1, dpp, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, t.arn, -1, SQLITE_STATIC);
    int rc = nb_store_run(s);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

/* ----------------------------------------------------------------- tags */

/* The tags of the topic resource names: 0 and *tags (new), or answers ResourceNotFound. */
static nb_step_t tags_load(nb_req_t *req, const char *arn, json_t **tags) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT tags FROM topics WHERE arn = ?1");
    if (s == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    sqlite3_bind_text(s, 1, arn ? arn : "", -1, SQLITE_STATIC);
    *tags = sqlite3_step(s) == SQLITE_ROW ? sns_json_column(s, 0) : NULL;
    sqlite3_reset(s);
    if (*tags == NULL)
        return nb_stop(nb_error(req, "ResourceNotFound", "Resource does not exist"));
    return NB_GO_ON;
}

static nb_result_t tags_save(const char *arn, json_t *tags) {
    int rc = sns_save_json("UPDATE topics SET tags = ?1 WHERE arn = ?2", tags, arn);
    json_decref(tags);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t sns_tag_resource(nb_req_t *req, const json_t *in) {
    json_t *tags;
    const char *arn = nb_json_str(in, "ResourceArn");
    NB_TRY(tags_load(req, arn, &tags));
    nb_step_t step = sns_tags_merge(req, tags, json_object_get(in, "Tags"));
    if (nb_stopped(step)) {
        json_decref(tags);
        return nb_step_result(step);
    }
    return tags_save(arn, tags);
}

nb_result_t sns_untag_resource(nb_req_t *req, const json_t *in) {
    json_t *tags, *k;
    const char *arn = nb_json_str(in, "ResourceArn");
    size_t i;
    NB_TRY(tags_load(req, arn, &tags));
    json_array_foreach(json_object_get(in, "TagKeys"), i, k) json_object_del(tags, json_string_value(k));
    return tags_save(arn, tags);
}

nb_result_t sns_list_tags_for_resource(nb_req_t *req, const json_t *in) {
    json_t *tags, *list = json_array();
    NB_TRY(tags_load(req, nb_json_str(in, "ResourceArn"), &tags));
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v) json_array_append_new(list, json_pack("{s:s,s:O}", "Key", k, "Value", v));
    json_decref(tags);
    return nb_reply_new(req, json_pack("{s:o}", "Tags", list));
}
