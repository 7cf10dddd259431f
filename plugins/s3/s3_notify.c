/*
 * S3 event notifications to SQS queues and SNS topics, delivered in-process (nb_call) when
 * the SQS or SNS plugin is loaded: PutBucketNotificationConfiguration checks that every queue
 * and topic exists and sends each one an s3:TestEvent; object writes and deletes send the
 * records of the configurations whose events and key filters match. Delivery is
 * registered on the request's commit (nb_req_on_commit): nothing is sent for a write
 * whose commit failed; it then runs on the next loop turn, after the response, like
 * AWS's (asynchronous) one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "s3_plugin.h"

/* A queue as its ARN names it: arn:aws:sqs:<region>:<account>:<name>. */
typedef struct queue_ref {
    char region[32], account[16], name[96];
} queue_ref_t;

static int queue_arn(const char *arn, queue_ref_t *q) {
    char buf[256];
    nb_arn_t a;
    if (nb_arn_parse(arn, &a, buf, sizeof buf) != 0 || strcmp(a.service, "sqs") != 0 || !*a.region || !*a.account)
        return 0;
    return snprintf(q->region, sizeof q->region, "%s", a.region) < (int)sizeof q->region &&
           snprintf(q->account, sizeof q->account, "%s", a.account) < (int)sizeof q->account &&
           snprintf(q->name, sizeof q->name, "%s", a.resource) < (int)sizeof q->name;
}

/* The queue's URL (malloc'd) through SQS's GetQueueUrl, or NULL if it has none. */
static char *queue_url(const queue_ref_t *q) {
    json_t *out = NULL;
    if (nb_call(s3_self, q->account, q->region, "sqs", "GetQueueUrl",
                json_pack("{s:s,s:s}", "QueueName", q->name, "QueueOwnerAWSAccountId", q->account), &out, NULL,
                0) != 0)
        return NULL;
    const char *url = nb_json_str(out, "QueueUrl");
    char *copy = url ? strdup(url) : NULL;
    json_decref(out);
    return copy;
}

static bool queue_exists(const char *arn) {
    queue_ref_t q;
    char *url = queue_arn(arn, &q) ? queue_url(&q) : NULL;
    bool found = url != NULL;
    free(url);
    return found;
}

static bool topic_exists(const char *arn) {
    char buf[256];
    nb_arn_t a;
    json_t *out = NULL;
    int rc = arn && strlen(arn) < sizeof buf && nb_arn_parse(arn, &a, buf, sizeof buf) == 0
                 ? nb_call(s3_self, a.account, a.region, "sns", "GetTopicAttributes",
                           json_pack("{s:s}", "TopicArn", arn), &out, NULL, 0)
                 : NB_EINVAL;
    json_decref(out);
    return rc == 0;
}

/* A topic gets the event as SNS's Publish, with the subject S3 gives it. */
static void send_to_topic(const char *arn, const char *body) {
    char buf[256], code[64] = "";
    nb_arn_t a;
    json_t *out = NULL;
    if (strlen(arn) >= sizeof buf || nb_arn_parse(arn, &a, buf, sizeof buf) != 0 ||
        nb_call(s3_self, a.account, a.region, "sns", "Publish",
                json_pack("{s:s,s:s,s:s}", "TopicArn", arn, "Message", body, "Subject", "Amazon S3 Notification"),
                &out, code, sizeof code) != 0)
        nb_log(s3_self, NB_LOG_WARN, "event notification to %s not delivered: %s", arn, code);
    json_decref(out);
}

static void send_to_queue(const char *arn, const char *body) {
    queue_ref_t q;
    if (strncmp(arn, "arn:", 4) == 0 && strstr(arn, ":sns:") != NULL) {
        send_to_topic(arn, body);
        return;
    }
    char *url = queue_arn(arn, &q) ? queue_url(&q) : NULL;
    json_t *out = NULL;
    char code[64] = "no such queue";
    if (url == NULL || nb_call(s3_self, q.account, q.region, "sqs", "SendMessage",
                               json_pack("{s:s,s:s}", "QueueUrl", url, "MessageBody", body), &out, code,
                               sizeof code) != 0)
        nb_log(s3_self, NB_LOG_WARN, "event notification to %s not delivered: %s", arn, code);
    json_decref(out);
    free(url);
}

/* ------------------------------------------------------------ delivery */

typedef struct delivery {
    char *arn, *body;
    struct delivery *next;
} delivery_t;

/* Adds the message (taken) for the queue arn to list. */
static void delivery_add(delivery_t **list, const char *arn, json_t *msg_new) {
    delivery_t *d = msg_new && arn ? calloc(1, sizeof *d) : NULL;
    if (d && (d->arn = strdup(arn)) != NULL && (d->body = json_dumps(msg_new, JSON_COMPACT)) != NULL) {
        d->next = *list;
        *list = d;
    } else if (d) {
        free(d->arn);
        free(d);
    }
    json_decref(msg_new);
}

/* Frees the list, sending each message first when send is true. */
static void deliveries_end(delivery_t *list, bool send) {
    for (delivery_t *d = list, *next; d; d = next) {
        next = d->next;
        if (send)
            send_to_queue(d->arn, d->body);
        free(d->arn);
        free(d->body);
        free(d);
    }
}

static void deliver_cb(nb_timer_t *t, void *data) {
    deliveries_end(data, true);
    nb_timer_stop(t);
}

/* The request committed: one message per destination on the next loop turn. */
static void deliver_committed(void *data) {
    if (nb_timer_start(s3_self, 0, 0, deliver_cb, data) == NULL)
        deliveries_end(data, true);
}

static void deliver_dropped(void *data) { deliveries_end(data, false); }

/* Sends the list once the request's writes commit; frees it, unsent, if they do not. A core
 * older than ABI 1.6 has no commit hooks: the list goes on the next loop turn regardless. */
static void deliver_after_commit(nb_req_t *req, delivery_t *list) {
    if (list == NULL)
        return;
    if (!NB_API_HAS(req_on_commit)) {
        deliver_committed(list);
        return;
    }
    if (nb_req_on_commit(req, deliver_committed, list) != 0) {
        nb_log(s3_self, NB_LOG_WARN, "event notifications of %s dropped: no transaction to attach to", nb_req_id(req));
        deliveries_end(list, false);
        return;
    }
    /* Without memory for it, a rolled-back write's list is only leaked, never sent. */
    (void)nb_req_on_rollback(req, deliver_dropped, list);
}

static void iso_now(char out[32]) { nb_time_format(nb_now(), NB_TIME_ISO8601_MS, out, 32); }

/* ----------------------------------------------------------- configuration */

static const char *const event_names[] = {
    "s3:ReducedRedundancyLostObject", "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:Replication:*",
    "s3:Replication:OperationFailedReplication", "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition", "s3:IntelligentTiering", "s3:ObjectTagging:*", "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put"};

static nb_result_t put_notification(nb_req_t *req, const s3_bucket_t *b, const json_t *in);

static nb_result_t invalid_argument(nb_req_t *req, const char *name, const char *value, const char *msg) {
    return nb_error_fields(req, "InvalidArgument", json_pack("{s:s,s:s}", "ArgumentName", name, "ArgumentValue", value),
                           "%s", msg);
}

/* Checks one destination's events and key filter as S3 does, names its rules "Prefix" and
 * "Suffix" as S3 answers them, and gives it an Id when it has none. Go on, or stop with the error set. */
static nb_step_t normalize_destination(nb_req_t *req, json_t *dc) {
    size_t i;
    json_t *e, *r;
    json_array_foreach(json_object_get(dc, "Events"), i, e) {
        bool known = false;
        for (size_t k = 0; k < sizeof event_names / sizeof event_names[0]; k++)
            known = known || (json_string_value(e) && strcmp(json_string_value(e), event_names[k]) == 0);
        if (!known)
            return nb_stop(invalid_argument(req, "Event", json_string_value(e) ? json_string_value(e) : "",
                                    "The event is not supported for notifications"));
    }
    bool prefix = false, suffix = false;
    json_array_foreach(json_object_get(json_object_get(json_object_get(dc, "Filter"), "Key"), "FilterRules"), i, r) {
        const char *name = nb_json_str(r, "Name");
        bool is_prefix = name && strcasecmp(name, "prefix") == 0, is_suffix = name && strcasecmp(name, "suffix") == 0;
        if (!is_prefix && !is_suffix)
            return nb_stop(invalid_argument(req, "FilterRule.Name", name ? name : "",
                                    "filter rule name must be either prefix or suffix"));
        if ((is_prefix && prefix) || (is_suffix && suffix))
            return nb_stop(invalid_argument(req, "FilterRule.Name", name,
                                    is_prefix ? "Cannot specify more than one prefix rule in a filter."
                                              : "Cannot specify more than one suffix rule in a filter."));
        prefix = prefix || is_prefix;
        suffix = suffix || is_suffix;
        json_object_set_new(r, "Name", json_string(is_prefix ? "Prefix" : "Suffix"));
    }
    const char *id = nb_json_str(dc, "Id");
    if (id == NULL || *id == '\0') { /* S3 makes one up: base64 of a random identifier */
        char hex[33], b64[NB_BASE64_SIZE(32)];
        s3_random_hex(hex);
        nb_base64_encode(hex, 32, 0, b64, sizeof b64);
        json_object_set_new(dc, "Id", json_string(b64));
    }
    return NB_GO_ON;
}

nb_result_t s3_put_bucket_notification(nb_req_t *req, const json_t *in) {
    nb_step_t step;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    json_t *stored = json_deep_copy(in);
    json_t *cfg = json_object_get(stored, "NotificationConfiguration");
    static const char *const kinds[] = {"QueueConfigurations", "TopicConfigurations",
                                        "LambdaFunctionConfigurations"};
    size_t i;
    json_t *dc;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        json_array_foreach(json_object_get(cfg, kinds[k]), i, dc) {
            if (nb_stopped(step = normalize_destination(req, dc))) {
                json_decref(stored);
                return nb_step_result(step);
            }
        }
    nb_result_t res = put_notification(req, &b, stored);
    json_decref(stored);
    return res;
}

/* Stores the checked configuration and sends every queue its s3:TestEvent. */
static nb_result_t put_notification(nb_req_t *req, const s3_bucket_t *b, const json_t *in) {
    const json_t *queues = json_object_get(json_object_get(in, "NotificationConfiguration"), "QueueConfigurations");
    size_t i;
    const json_t *qc;
    json_array_foreach(queues, i, qc) {
        const char *arn = nb_json_str(qc, "QueueArn");
        if (!queue_exists(arn))
            return nb_error_fields(req, "InvalidArgument",
                                   json_pack("{s:s,s:s}", "ArgumentName", arn ? arn : "", "ArgumentValue",
                                             "The destination queue does not exist"),
                                   "Unable to validate the following destination configurations");
    }
    const json_t *topics = json_object_get(json_object_get(in, "NotificationConfiguration"), "TopicConfigurations");
    json_array_foreach(topics, i, qc) {
        const char *arn = nb_json_str(qc, "TopicArn");
        if (!topic_exists(arn))
            return nb_error_fields(req, "InvalidArgument",
                                   json_pack("{s:s,s:s}", "ArgumentName", arn ? arn : "", "ArgumentValue",
                                             "The destination topic does not exist"),
                                   "Unable to validate the following destination configurations");
    }
    nb_result_t res = s3_config_put(req, in);
    if (nb_result_error(res) < 0)
        return res;
    char now[32];
    iso_now(now);
    delivery_t *list = NULL;
    json_array_foreach(queues, i, qc)
        delivery_add(&list, nb_json_str(qc, "QueueArn"),
                     json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "Service", "Amazon S3", "Event", "s3:TestEvent", "Time",
                               now, "Bucket", b->name, "RequestId", nb_req_id(req), "HostId", nb_req_id(req)));
    json_array_foreach(topics, i, qc)
        delivery_add(&list, nb_json_str(qc, "TopicArn"),
                     json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "Service", "Amazon S3", "Event", "s3:TestEvent", "Time",
                               now, "Bucket", b->name, "RequestId", nb_req_id(req), "HostId", nb_req_id(req)));
    deliver_after_commit(req, list);
    return res;
}

/* "s3:ObjectCreated:*" matches "ObjectCreated:Put". */
static int event_matches(const json_t *events, const char *event) {
    size_t i;
    const json_t *e;
    json_array_foreach(events, i, e) {
        const char *want = json_string_value(e);
        if (want == NULL || strncmp(want, "s3:", 3) != 0)
            continue;
        want += 3;
        size_t n = strlen(want);
        if (strcmp(want, event) == 0 || (n >= 2 && strcmp(want + n - 2, ":*") == 0 && strncmp(want, event, n - 1) == 0))
            return 1;
    }
    return 0;
}

static int key_matches(const json_t *qc, const char *key) {
    const json_t *rules = json_object_get(json_object_get(json_object_get(qc, "Filter"), "Key"), "FilterRules");
    size_t i, klen = strlen(key);
    const json_t *r;
    json_array_foreach(rules, i, r) {
        const char *name = nb_json_str(r, "Name"), *value = nb_json_str(r, "Value");
        if (name == NULL || value == NULL)
            continue;
        size_t vlen = strlen(value);
        if (strcasecmp(name, "prefix") == 0 && strncmp(key, value, vlen) != 0)
            return 0;
        if (strcasecmp(name, "suffix") == 0 && (vlen > klen || strcmp(key + klen - vlen, value) != 0))
            return 0;
    }
    return 1;
}

/* Keys in event records are URL-encoded as S3 does (space as '+'). */
static char *event_key(const char *key) {
    size_t n = strlen(key);
    char *out = malloc(n * 3 + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~/", *p))
            *o++ = (char)*p;
        else if (*p == ' ')
            *o++ = '+';
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = '\0';
    return out;
}

static void notify(nb_req_t *req, const s3_bucket_t *b, const char *event, const char *key, const s3_object_t *o) {
    if (b->lacks & S3_LACKS_NOTIFICATION)
        return;
    json_t *cfg = s3_config_load(b->name, "notification");
    const json_t *queues = json_object_get(cfg, "QueueConfigurations"), *topics = json_object_get(cfg, "TopicConfigurations");
    if (json_array_size(queues) == 0 && json_array_size(topics) == 0) {
        json_decref(cfg);
        return;
    }
    char now[32], sequencer[17];
    iso_now(now);
    s3_event_sequencer(sequencer);
    char *ekey = event_key(key);
    delivery_t *list = NULL;
    size_t i;
    const json_t *qc;
    /* queues first, then topics: one loop over both lists */
    size_t nq = json_array_size(queues), n = nq + json_array_size(topics);
    for (i = 0; i < n; i++) {
        qc = i < nq ? json_array_get(queues, i) : json_array_get(topics, i - nq);
        if (!event_matches(json_object_get(qc, "Events"), event) || !key_matches(qc, key) || ekey == NULL)
            continue;
        char arn[128];
        nb_arn_format(&(nb_arn_t){.partition = nb_partition(b->region), .service = "s3", .resource = b->name}, arn,
                      sizeof arn);
        json_t *object = json_pack("{s:s,s:s}", "key", ekey, "sequencer", sequencer);
        if (o && strncmp(event, "ObjectRemoved", 13) != 0) {
            json_object_set_new(object, "size", json_integer(o->size));
            if (o->etag) {
                char etag[64];
                s3_etag_unquoted(o->etag, etag);
                json_object_set_new(object, "eTag", json_string(etag));
            }
        }
        if (o && o->version_id && strcmp(o->version_id, "null") != 0)
            json_object_set_new(object, "versionId", json_string(o->version_id));
        const char *id = nb_json_str(qc, "Id");
        json_t *record = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:{s:s},s:{s:s},s:{s:s,s:s},s:{s:s,s:s,s:{s:s,s:{s:s},s:s},s:o}}", "eventVersion",
            "2.1", "eventSource", "aws:s3", "awsRegion", b->region, "eventTime", now, "eventName", event,
            "userIdentity", "principalId", "AIDAJDPLRKLG7UEXAMPLE", "requestParameters", "sourceIPAddress",
            "127.0.0.1", "responseElements", "x-amz-request-id", nb_req_id(req), "x-amz-id-2", nb_req_id(req), "s3",
            "s3SchemaVersion", "1.0", "configurationId", id ? id : "", "bucket", "name", b->name, "ownerIdentity",
            "principalId", "A3NL1KOZZKExample", "arn", arn, "object", object);
        delivery_add(&list, nb_json_str(qc, i < nq ? "QueueArn" : "TopicArn"),
                     record ? json_pack("{s:[o]}", "Records", record) : NULL);
    }
    free(ekey);
    json_decref(cfg);
    deliver_after_commit(req, list);
}

void s3_notify_created(nb_req_t *req, const s3_bucket_t *b, const s3_object_t *o) {
    static const char *const events[][2] = {{"PutObject", "ObjectCreated:Put"},
                                            {"PostObject", "ObjectCreated:Post"},
                                            {"CopyObject", "ObjectCreated:Copy"},
                                            {"CompleteMultipartUpload", "ObjectCreated:CompleteMultipartUpload"}};
    const char *op = nb_req_operation(req);
    for (size_t i = 0; op && i < sizeof events / sizeof events[0]; i++)
        if (strcmp(op, events[i][0]) == 0) {
            notify(req, b, events[i][1], o->key, o);
            s3_events_publish(req, b, events[i][1], o->key, o, NULL);
        }
}

void s3_notify_removed(nb_req_t *req, const s3_bucket_t *b, const char *key, const char *asked_vid,
                       const json_t *result) {
    /* Without a version id, a versioned bucket gets a delete marker; with one, a version goes. */
    bool marker_created = asked_vid == NULL && json_is_true(json_object_get(result, "DeleteMarker"));
    const char *vid = nb_json_str(result, marker_created && nb_json_str(result, "DeleteMarkerVersionId") ? "DeleteMarkerVersionId"
                                                                                               : "VersionId");
    s3_object_t o = {0};
    o.version_id = (char *)vid;
    const char *event = marker_created ? "ObjectRemoved:DeleteMarkerCreated" : "ObjectRemoved:Delete";
    notify(req, b, event, key, &o);
    s3_events_publish(req, b, event, key, &o, marker_created ? "Delete Marker Created" : "Permanently Deleted");
}
