/* Queues: the table, its in-memory index, and the queue-level operations. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqs_plugin.h"

#define QUEUE_DOES_NOT_EXIST "The specified queue does not exist."

/* ------------------------------------------------------------------ index */

static uint64_t key_hash(const char *account, const char *region, const char *name) {
    uint64_t h = 14695981039346656037ull;
    const char *parts[3] = {account, region, name};
    for (int i = 0; i < 3; i++) {
        for (const char *s = parts[i]; *s; s++)
            h = (h ^ (unsigned char)*s) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

static int index_grow(void) {
    size_t n = sqs.nbuckets ? sqs.nbuckets * 2 : 256;
    sqs_queue_t **b = calloc(n, sizeof *b);
    if (b == NULL)
        return NB_ENOMEM;
    for (size_t i = 0; i < sqs.nbuckets; i++)
        for (sqs_queue_t *q = sqs.buckets[i], *next; q; q = next) {
            next = q->hnext;
            size_t j = key_hash(q->account, q->region, q->name) & (n - 1);
            q->hnext = b[j];
            b[j] = q;
        }
    free(sqs.buckets);
    sqs.buckets = b;
    sqs.nbuckets = n;
    return 0;
}

static int index_add(sqs_queue_t *q) {
    if ((sqs.nqueues + 1) > sqs.nbuckets && index_grow() != 0)
        return NB_ENOMEM;
    size_t j = key_hash(q->account, q->region, q->name) & (sqs.nbuckets - 1);
    q->hnext = sqs.buckets[j];
    sqs.buckets[j] = q;
    sqs.nqueues++;
    return 0;
}

static void index_remove(sqs_queue_t *q) {
    size_t j = key_hash(q->account, q->region, q->name) & (sqs.nbuckets - 1);
    for (sqs_queue_t **p = &sqs.buckets[j]; *p; p = &(*p)->hnext)
        if (*p == q) {
            *p = q->hnext;
            sqs.nqueues--;
            return;
        }
}

sqs_queue_t *sqs_queue_get(const char *account, const char *region, const char *name) {
    if (sqs.nbuckets == 0 || account == NULL || region == NULL || name == NULL)
        return NULL;
    size_t j = key_hash(account, region, name) & (sqs.nbuckets - 1);
    for (sqs_queue_t *q = sqs.buckets[j]; q; q = q->hnext)
        if (strcmp(q->name, name) == 0 && strcmp(q->account, account) == 0 && strcmp(q->region, region) == 0)
            return q;
    return NULL;
}

sqs_queue_t *sqs_queue_by_arn(const char *arn) {
    char account[16], region[32], name[96];
    if (!sqs_parse_arn(arn, account, region, name))
        return NULL;
    return sqs_queue_get(account, region, name);
}

static void queue_free(sqs_queue_t *q) {
    json_decref(q->attrs);
    json_decref(q->tags);
    json_decref(q->attempts);
    free(q);
}

static int attr_int(const sqs_queue_t *q, const char *name, int dflt) {
    const char *s = nb_json_str(q->attrs, name);
    return s ? atoi(s) : dflt;
}

/* Reads the parsed fields from q->attrs. */
static void queue_apply(sqs_queue_t *q) {
    q->delay = attr_int(q, "DelaySeconds", 0);
    q->max_size = attr_int(q, "MaximumMessageSize", SQS_MAX_MESSAGE_BYTES);
    q->retention = attr_int(q, "MessageRetentionPeriod", 345600);
    q->wait = attr_int(q, "ReceiveMessageWaitTimeSeconds", 0);
    q->visibility = attr_int(q, "VisibilityTimeout", 30);
    const char *s = nb_json_str(q->attrs, "FifoQueue");
    q->fifo = s && strcmp(s, "true") == 0;
    s = nb_json_str(q->attrs, "ContentBasedDeduplication");
    q->cbd = s && strcmp(s, "true") == 0;
    s = nb_json_str(q->attrs, "DeduplicationScope");
    q->dedup_per_group = s && strcmp(s, "messageGroup") == 0;
    q->dlq_arn[0] = '\0';
    q->max_receive = 0;
    s = nb_json_str(q->attrs, "RedrivePolicy");
    if (s && *s) {
        json_t *rp = json_loads(s, 0, NULL);
        const char *arn = nb_json_str(rp, "deadLetterTargetArn");
        json_t *mrc = json_object_get(rp, "maxReceiveCount");
        if (arn) {
            snprintf(q->dlq_arn, sizeof q->dlq_arn, "%s", arn);
            q->max_receive = json_is_integer(mrc) ? (int)json_integer_value(mrc) : atoi(json_string_value(mrc) ?: "0");
        }
        json_decref(rp);
    }
}

static sqs_queue_t *queue_new(const char *account, const char *region, const char *name) {
    sqs_queue_t *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    snprintf(q->account, sizeof q->account, "%s", account);
    snprintf(q->region, sizeof q->region, "%s", region);
    snprintf(q->name, sizeof q->name, "%s", name);
    nb_arn_format(&(nb_arn_t){.service = "sqs", .region = region, .account = account, .resource = name}, q->arn,
                  sizeof q->arn);
    return q;
}

int sqs_queues_load(void) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sqs.store.db,
                           "SELECT account, region, name, qid, created, modified, attrs, tags, fifo_seq, last_purge"
                           " FROM queues",
                           -1, &s, NULL) != SQLITE_OK)
        return NB_ESTORE;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sqs_queue_t *q = queue_new((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                                   (const char *)sqlite3_column_text(s, 2));
        if (q == NULL)
            break;
        q->qid = sqlite3_column_int64(s, 3);
        q->created = sqlite3_column_double(s, 4);
        q->modified = sqlite3_column_double(s, 5);
        q->attrs = json_loads((const char *)sqlite3_column_text(s, 6), 0, NULL);
        q->tags = json_loads((const char *)sqlite3_column_text(s, 7), 0, NULL);
        if (!q->attrs)
            q->attrs = json_object();
        if (!q->tags)
            q->tags = json_object();
        q->fifo_seq = sqlite3_column_int64(s, 8);
        q->last_purge = sqlite3_column_double(s, 9);
        queue_apply(q);
        if (q->qid >= sqs.next_qid)
            sqs.next_qid = q->qid + 1;
        if (index_add(q) != 0) {
            queue_free(q);
            break;
        }
    }
    sqlite3_finalize(s);
    if (sqs.next_qid == 0)
        sqs.next_qid = 1;
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}

void sqs_waiters_cancel_all(void) {
    for (size_t i = 0; i < sqs.nbuckets; i++)
        for (sqs_queue_t *q = sqs.buckets[i]; q; q = q->hnext)
            sqs_waiters_cancel(q);
}

void sqs_queues_free(void) {
    for (size_t i = 0; i < sqs.nbuckets; i++)
        for (sqs_queue_t *q = sqs.buckets[i], *next; q; q = next) {
            next = q->hnext;
            sqs_waiters_cancel(q);
            queue_free(q);
        }
    free(sqs.buckets);
    sqs.buckets = NULL;
    sqs.nbuckets = sqs.nqueues = 0;
}

int sqs_queue_save_meta(sqs_queue_t *q) {
    sqlite3_stmt *s = nb_store_stmt(&sqs.store, "UPDATE queues SET modified = ?2, attrs = ?3, tags = ?4, fifo_seq = ?5,"
                                                " last_purge = ?6 WHERE qid = ?1");
    if (s == NULL)
        return NB_ESTORE;
    char *attrs = json_dumps(q->attrs, JSON_COMPACT | JSON_SORT_KEYS);
    char *tags = json_dumps(q->tags, JSON_COMPACT | JSON_SORT_KEYS);
    sqlite3_bind_int64(s, 1, q->qid);
    sqlite3_bind_double(s, 2, q->modified);
    sqlite3_bind_text(s, 3, attrs ? attrs : "{}", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, tags ? tags : "{}", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, q->fifo_seq);
    sqlite3_bind_double(s, 6, q->last_purge);
    free(attrs);
    free(tags);
    return nb_store_run(s);
}

/* POST /_localstack/state/reset emptied every table (the _epoch row of schema 2 too, which
 * nothing reads since the core calls the plugin's reset hook): the in-memory queues, their
 * waiters and the move tasks go as well. */
void sqs_state_reset(void) {
    sqs_tasks_free();
    sqs_queues_free();
    sqs_seq_load();
}

sqs_queue_t *sqs_queue_from_url(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_named(req, nb_json_str(in, "QueueUrl"));
    if (q == NULL)
        nb_error(req, "QueueDoesNotExist", QUEUE_DOES_NOT_EXIST);
    return q;
}

sqs_queue_t *sqs_queue_named(nb_req_t *req, const char *url) {
    char account[16], region[32], name[96];
    sqs_queue_t *q = NULL;
    if (url && sqs_parse_queue_url(url, account, region, name))
        q = sqs_queue_get(account, region[0] ? region : nb_req_region(req), name);
    else if (url && strchr(url, '/') == NULL && strlen(url) < sizeof name)
        /* A bare queue name, as AWS accepts one: the caller's account and region. */
        q = sqs_queue_get(nb_req_account(req), nb_req_region(req), url);
    return q;
}

/* ------------------------------------------------------------ attributes */

static bool parse_int(const char *s, long *out) {
    if (s == NULL || *s == '\0')
        return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end != '\0')
        return false;
    *out = v;
    return true;
}

typedef struct {
    const char *name;
    long min, max;
} int_attr_t;

static const int_attr_t int_attrs[] = {
    {"DelaySeconds", 0, 900},
    {"MaximumMessageSize", 1024, SQS_MAX_MESSAGE_BYTES},
    {"MessageRetentionPeriod", 60, 1209600},
    {"ReceiveMessageWaitTimeSeconds", 0, 20},
    {"VisibilityTimeout", 0, 43200},
    {"KmsDataKeyReusePeriodSeconds", 60, 86400},
    {NULL, 0, 0},
};

static const char *const read_only_attrs[] = {
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn", NULL,
};

static bool is_bool(const char *s) { return s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0); }

/* Whether the RedriveAllowPolicy of dlq lets the queue src_arn name it as its dead-letter queue. */
static bool redrive_allowed(const sqs_queue_t *dlq, const char *src_arn) {
    const char *text = nb_json_str(dlq->attrs, "RedriveAllowPolicy");
    json_t *p = text && *text ? json_loads(text, 0, NULL) : NULL;
    const char *perm = nb_json_str(p, "redrivePermission");
    bool ok = perm == NULL || strcmp(perm, "allowAll") == 0;
    if (perm && strcmp(perm, "byQueue") == 0) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(p, "sourceQueueArns"), i, a) ok = ok || strcmp(json_string_value(a) ?: "", src_arn) == 0;
    }
    json_decref(p);
    return ok;
}

/* Checks and normalizes RedrivePolicy of the queue src_arn; returns the value to store
 * or NULL with an error answered. */
static char *redrive_normalize(nb_req_t *req, const char *value, bool fifo, const char *src_arn) {
    if (*value == '\0')
        return strdup("");
    json_t *rp = json_loads(value, 0, NULL);
    const char *arn = nb_json_str(rp, "deadLetterTargetArn");
    json_t *mrc = json_object_get(rp, "maxReceiveCount");
    long n = -1;
    if (json_is_integer(mrc))
        n = (long)json_integer_value(mrc);
    else if (json_is_string(mrc) && !parse_int(json_string_value(mrc), &n))
        n = -1;
    char *out = NULL;
    if (!json_is_object(rp)) {
        nb_error_code(req, "InvalidParameterValue", 400,
                      "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.",
                      value);
    } else if (arn == NULL || mrc == NULL) {
        nb_error_code(req, "InvalidParameterValue", 400,
                      "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain "
                      "mandatory attribute: %s.",
                      value, arn == NULL ? "deadLetterTargetArn" : "maxReceiveCount");
    } else if (n < 1 || n > 1000) {
        /* the value as given: 0, "abc", 1.5 */
        char *given = json_is_string(mrc) ? strdup(json_string_value(mrc)) : json_dumps(mrc, JSON_ENCODE_ANY);
        nb_error_code(req, "InvalidParameterValue", 400,
                      "Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: "
                      "%s, valid values are from 1 to 1000 both inclusive.",
                      value, given ? given : "");
        free(given);
    } else {
        sqs_queue_t *dlq = sqs_queue_by_arn(arn);
        if (dlq == NULL)
            nb_error_code(req, "InvalidParameterValue", 400,
                          "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.",
                          value);
        else if (dlq->fifo != fifo)
            nb_error_code(req, "InvalidParameterValue", 400,
                          "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same "
                          "type of queue as the source.",
                          value);
        else if (!redrive_allowed(dlq, src_arn))
            nb_error_code(req, "InvalidParameterValue", 400,
                          "Value %s for parameter RedrivePolicy is invalid. Reason: The RedriveAllowPolicy of %s does "
                          "not allow %s to use it as a dead-letter queue.",
                          value, dlq->arn, src_arn);
        else if (asprintf(&out, "{\"deadLetterTargetArn\":\"%s\",\"maxReceiveCount\":%ld}", arn, n) < 0)
            out = NULL;
    }
    json_decref(rp);
    return out;
}

/* Checks a RedriveAllowPolicy object; false with the error answered. sourceQueueArns
 * goes with byQueue only, and then names 1 to 10 queues. */
static bool redrive_allow_check(nb_req_t *req, const json_t *p, const char *value) {
    const char *perm = nb_json_str(p, "redrivePermission");
    const json_t *arns = json_object_get(p, "sourceQueueArns");
    const char *reason = NULL;
    if (perm == NULL || (strcmp(perm, "allowAll") != 0 && strcmp(perm, "denyAll") != 0 && strcmp(perm, "byQueue") != 0))
        reason = "Invalid value for redrivePermission.";
    else if (strcmp(perm, "byQueue") != 0 && arns)
        reason = "sourceQueueArns can be specified only when redrivePermission is byQueue.";
    else if (strcmp(perm, "byQueue") == 0 && json_array_size(arns) == 0)
        reason = "sourceQueueArns is required when redrivePermission is byQueue.";
    else if (json_array_size(arns) > 10)
        reason = "sourceQueueArns can name at most 10 queues.";
    size_t i;
    json_t *a;
    json_array_foreach((json_t *)arns, i, a) if (!reason && !json_is_string(a)) reason = "Invalid value for sourceQueueArns.";
    if (reason == NULL)
        return true;
    nb_error_code(req, "InvalidParameterValue", 400,
                  "Value %s for parameter RedriveAllowPolicy is invalid. Reason: %s", value, reason);
    return false;
}

/*
 * Checks attributes for CreateQueue (create) or SetQueueAttributes of the queue arn and
 * returns them normalized (AWS strings), or NULL with the error answered.
 */
static json_t *attrs_check(nb_req_t *req, const json_t *attrs, bool create, bool fifo, const char *arn) {
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)attrs, k, v) {
        const char *s = json_string_value(v);
        if (s == NULL)
            s = "";
        bool ro = false;
        for (int i = 0; read_only_attrs[i]; i++)
            ro = ro || strcmp(read_only_attrs[i], k) == 0;
        bool fifo_only = strcmp(k, "ContentBasedDeduplication") == 0 || strcmp(k, "DeduplicationScope") == 0 ||
                         strcmp(k, "FifoThroughputLimit") == 0;
        if (!sqs_attribute_known(k) || ro || strcmp(k, "All") == 0 || (fifo_only && !fifo) ||
            (!create && strcmp(k, "FifoQueue") == 0)) {
            nb_error(req, "InvalidAttributeName", "Unknown Attribute %s.", k);
            goto fail;
        }
        const int_attr_t *ia = NULL;
        for (int i = 0; int_attrs[i].name; i++)
            if (strcmp(int_attrs[i].name, k) == 0)
                ia = &int_attrs[i];
        long n;
        if (ia) {
            if (!parse_int(s, &n) || n < ia->min || n > ia->max) {
                nb_error(req, "InvalidAttributeValue", "Invalid value for the parameter %s.", k);
                goto fail;
            }
            char buf[32];
            snprintf(buf, sizeof buf, "%ld", n);
            json_object_set_new(out, k, json_string(buf));
            continue;
        }
        if (strcmp(k, "FifoQueue") == 0 || strcmp(k, "ContentBasedDeduplication") == 0 ||
            strcmp(k, "SqsManagedSseEnabled") == 0) {
            if (!is_bool(s)) {
                nb_error(req, "InvalidAttributeValue", "Invalid value for the parameter %s.", k);
                goto fail;
            }
        } else if (strcmp(k, "DeduplicationScope") == 0) {
            if (strcmp(s, "queue") != 0 && strcmp(s, "messageGroup") != 0) {
                nb_error(req, "InvalidAttributeValue", "Invalid value for the parameter %s.", k);
                goto fail;
            }
        } else if (strcmp(k, "FifoThroughputLimit") == 0) {
            if (strcmp(s, "perQueue") != 0 && strcmp(s, "perMessageGroupId") != 0) {
                nb_error(req, "InvalidAttributeValue", "Invalid value for the parameter %s.", k);
                goto fail;
            }
        } else if (strcmp(k, "RedrivePolicy") == 0) {
            char *norm = redrive_normalize(req, s, fifo, arn);
            if (norm == NULL)
                goto fail;
            json_object_set_new(out, k, json_string(norm));
            free(norm);
            continue;
        } else if (strcmp(k, "Policy") == 0 || strcmp(k, "RedriveAllowPolicy") == 0) {
            json_t *p = *s ? json_loads(s, 0, NULL) : NULL;
            if (*s && !json_is_object(p)) {
                json_decref(p);
                nb_error(req, "InvalidAttributeValue", "Invalid value for the parameter %s.", k);
                goto fail;
            }
            if (strcmp(k, "RedriveAllowPolicy") == 0 && p && !redrive_allow_check(req, p, s)) {
                json_decref(p);
                goto fail;
            }
            json_decref(p);
        }
        json_object_set_new(out, k, json_string(s));
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

static void put_count(json_t *out, const char *name, int64_t n) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, n);
    json_object_set_new(out, name, json_string(buf));
}

/*
 * A KMS key set by changed (KmsMasterKeyId not empty) turns SQS-managed encryption off
 * in attrs and brings KmsDataKeyReusePeriodSeconds, 300 unless given: the same for
 * CreateQueue and SetQueueAttributes.
 */
static void kms_apply(json_t *attrs, const json_t *changed) {
    const char *key = nb_json_str(changed, "KmsMasterKeyId");
    if (key == NULL || *key == '\0')
        return;
    json_object_set_new(attrs, "SqsManagedSseEnabled", json_string("false"));
    if (!json_object_get(attrs, "KmsDataKeyReusePeriodSeconds"))
        json_object_set_new(attrs, "KmsDataKeyReusePeriodSeconds", json_string("300"));
}

/* ------------------------------------------------------------ operations */

nb_result_t sqs_create_queue(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "QueueName");
    const json_t *attrs = json_object_get(in, "Attributes");
    const char *fifo_s = nb_json_str(attrs, "FifoQueue");
    bool fifo = fifo_s && strcmp(fifo_s, "true") == 0;
    size_t len = strlen(name);
    bool fifo_name = len > 5 && strcmp(name + len - 5, ".fifo") == 0;
    if (!sqs_queue_name_valid(name, fifo) || (fifo_name && !fifo)) {
        if (fifo || fifo_name)
            return nb_error_code(req, "InvalidParameterValue", 400,
                                 "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                                 "underscores, must end with .fifo suffix and be 1 to 80 in length.");
        return nb_error_code(req, "InvalidParameterValue", 400,
                             "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
    }
    json_t *none = attrs ? NULL : json_object();
    char arn[192];
    nb_arn_format(&(nb_arn_t){.service = "sqs", .region = nb_req_region(req), .account = nb_req_account(req),
                              .resource = name},
                  arn, sizeof arn);
    json_t *norm = attrs_check(req, attrs ? attrs : none, true, fifo, arn);
    json_decref(none);
    if (norm == NULL)
        return NB_DONE;
    const char *account = nb_req_account(req), *region = nb_req_region(req);
    sqs_queue_t *q = sqs_queue_get(account, region, name);
    if (q) {
        const char *k;
        json_t *v;
        json_object_foreach(norm, k, v) {
            const char *have = nb_json_str(q->attrs, k);
            if (have == NULL)
                have = strcmp(k, "FifoQueue") == 0 ? "false" : "";
            if (strcmp(have, json_string_value(v)) != 0) {
                nb_error(req, "QueueNameExists",
                         "A queue already exists with the same name and a different value for attribute %s", k);
                json_decref(norm);
                return NB_DONE;
            }
        }
        json_decref(norm);
        return nb_reply_new(req, json_pack("{s:s}", "QueueUrl", sqs_queue_url(req, q)));
    }
    /* defaults, then what was asked */
    json_t *full = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "DelaySeconds", "0", "MaximumMessageSize", SQS_MAX_MESSAGE_TEXT,
                             "MessageRetentionPeriod", "345600", "ReceiveMessageWaitTimeSeconds", "0",
                             "VisibilityTimeout", "30", "SqsManagedSseEnabled", "true");
    if (fifo) {
        json_object_set_new(full, "ContentBasedDeduplication", json_string("false"));
        json_object_set_new(full, "DeduplicationScope", json_string("queue"));
        json_object_set_new(full, "FifoThroughputLimit", json_string("perQueue"));
    }
    json_object_update(full, norm);
    json_decref(norm);
    if (!fifo)
        json_object_del(full, "FifoQueue");
    kms_apply(full, full);
    q = queue_new(account, region, name);
    if (q == NULL) {
        json_decref(full);
        return NB_FAILED(NB_ENOMEM);
    }
    q->attrs = full;
    q->tags = json_object();
    const json_t *tags = json_object_get(in, "tags");
    if (json_is_object(tags))
        json_object_update(q->tags, (json_t *)tags);
    q->qid = sqs.next_qid++;
    q->created = q->modified = (double)(int64_t)nb_now();
    queue_apply(q);
    sqlite3_stmt *s = nb_store_scoped(&sqs.store, req,
                                      "INSERT INTO queues(account, region, name, qid, created, modified, attrs, tags)"
                                      " VALUES(:account, :region, :name, :qid, :created, :created, '{}', '{}')");
    if (s == NULL) {
        queue_free(q);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":name"), name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":qid"), q->qid);
    sqlite3_bind_double(s, sqlite3_bind_parameter_index(s, ":created"), q->created);
    if (nb_store_run(s) != 0 || sqs_queue_save_meta(q) != 0 || index_add(q) != 0) {
        queue_free(q);
        return NB_FAILED(NB_ESTORE);
    }
    return nb_reply_new(req, json_pack("{s:s}", "QueueUrl", sqs_queue_url(req, q)));
}

nb_result_t sqs_get_queue_url(nb_req_t *req, const json_t *in) {
    const char *owner = nb_json_str(in, "QueueOwnerAWSAccountId");
    sqs_queue_t *q = sqs_queue_get(owner ? owner : nb_req_account(req), nb_req_region(req), nb_json_str(in, "QueueName"));
    if (q == NULL)
        return nb_error(req, "QueueDoesNotExist", QUEUE_DOES_NOT_EXIST);
    return nb_reply_new(req, json_pack("{s:s}", "QueueUrl", sqs_queue_url(req, q)));
}

nb_result_t sqs_list_queues(nb_req_t *req, const json_t *in) {
    const char *prefix = nb_json_str(in, "QueueNamePrefix");
    const char *token = nb_json_str(in, "NextToken");
    json_t *mr = json_object_get(in, "MaxResults");
    json_int_t max = 1000;
    if (mr) {
        max = json_integer_value(mr);
        if (max < 1 || max > 1000)
            return nb_error_code(req, "InvalidParameterValue", 400,
                                 "Value %" JSON_INTEGER_FORMAT " for parameter MaxResults is invalid. Reason: "
                                 "MaxResults must be an integer between 1 and 1000.",
                                 max);
    }
    char after[128] = "";
    if (token) {
        /* the token is the last name of the previous page, hex-encoded */
        ssize_t n = nb_hex_decode(token, strlen(token), after, sizeof after - 1);
        if (n >= 0)
            after[n] = '\0';
        if (n < 0 || strlen(after) != (size_t)n)
            return nb_error_code(req, "InvalidParameterValue", 400, "Invalid NextToken value.");
    }
    sqlite3_stmt *s = nb_store_scoped(&sqs.store, req,
                                      "SELECT name FROM queues WHERE account = :account AND region = :region"
                                      " AND substr(name, 1, length(:prefix)) = :prefix AND name > :after ORDER BY name LIMIT :limit");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":prefix"), prefix ? prefix : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":after"), after, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":limit"), max + 1);
    json_t *urls = json_array();
    json_t *out = json_object();
    json_int_t n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (n == max) {
            if (mr) {
                char tok[260] = "";
                const char *last = json_string_value(json_array_get(urls, json_array_size(urls) - 1));
                last = strrchr(last, '/') + 1;
                nb_hex_encode(last, strnlen(last, 120), 0, tok, sizeof tok);
                json_object_set_new(out, "NextToken", json_string(tok));
            }
            break;
        }
        sqs_queue_t *q = sqs_queue_get(nb_req_account(req), nb_req_region(req), name);
        const char *url = q ? sqs_queue_url(req, q) : NULL;
        if (url)
            json_array_append_new(urls, json_string(url));
        n++;
    }
    sqlite3_reset(s);
    if (json_array_size(urls))
        json_object_set(out, "QueueUrls", urls);
    json_decref(urls);
    return nb_reply_new(req, out);
}

nb_result_t sqs_delete_queue(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    const char *sqls[] = {"DELETE FROM messages WHERE qid = ?1", "DELETE FROM _dedup WHERE qid = ?1",
                          "DELETE FROM queues WHERE qid = ?1"};
    for (size_t i = 0; i < 3; i++) {
        sqlite3_stmt *s = nb_store_stmt(&sqs.store, sqls[i]);
        if (s == NULL)
            return NB_FAILED(NB_ESTORE);
        sqlite3_bind_int64(s, 1, q->qid);
        if (nb_store_run(s) != 0)
            return NB_FAILED(NB_ESTORE);
    }
    sqs_waiters_cancel(q);
    index_remove(q);
    queue_free(q);
    return nb_reply_new(req, NULL);
}

nb_result_t sqs_get_queue_attributes(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    const json_t *names = json_object_get(in, "AttributeNames");
    size_t i;
    json_t *n;
    bool all = false;
    json_array_foreach((json_t *)names, i, n) {
        const char *s = json_string_value(n);
        if (!sqs_attribute_known(s))
            return nb_error(req, "InvalidAttributeName", "Unknown Attribute %s.", s ? s : "");
        all = all || strcmp(s, "All") == 0;
    }
    json_t *attrs = json_object();
    bool counts = all;
    json_array_foreach((json_t *)names, i, n) counts =
        counts || strncmp(json_string_value(n), "ApproximateNumberOfMessages", 27) == 0;
    if (counts)
        sqs_expire(q);
    static const char *const order[] = {
        "Policy", "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod",
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "CreatedTimestamp",
        "LastModifiedTimestamp", "QueueArn", "ApproximateNumberOfMessagesDelayed", "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds", "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication",
        "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit",
        "RedriveAllowPolicy", "SqsManagedSseEnabled", NULL,
    };
    for (int k = 0; order[k]; k++) {
        const char *a = order[k];
        bool want = all;
        json_array_foreach((json_t *)names, i, n) want = want || strcmp(json_string_value(n), a) == 0;
        if (!want)
            continue;
        if (strcmp(a, "ApproximateNumberOfMessages") == 0)
            put_count(attrs, a, sqs_count(q, 0));
        else if (strcmp(a, "ApproximateNumberOfMessagesNotVisible") == 0)
            put_count(attrs, a, sqs_count(q, 1));
        else if (strcmp(a, "ApproximateNumberOfMessagesDelayed") == 0)
            put_count(attrs, a, sqs_count(q, 2));
        else if (strcmp(a, "CreatedTimestamp") == 0)
            put_count(attrs, a, (int64_t)q->created);
        else if (strcmp(a, "LastModifiedTimestamp") == 0)
            put_count(attrs, a, (int64_t)q->modified);
        else if (strcmp(a, "QueueArn") == 0)
            json_object_set_new(attrs, a, json_string(q->arn));
        else {
            const char *v = nb_json_str(q->attrs, a);
            if (v && *v)
                json_object_set_new(attrs, a, json_string(v));
        }
    }
    json_t *out = json_object();
    if (json_object_size(attrs))
        json_object_set_new(out, "Attributes", attrs);
    else
        json_decref(attrs);
    return nb_reply_new(req, out);
}

nb_result_t sqs_set_queue_attributes(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    json_t *norm = attrs_check(req, json_object_get(in, "Attributes"), false, q->fifo, q->arn);
    if (norm == NULL)
        return NB_DONE;
    const char *k;
    json_t *v;
    json_object_foreach(norm, k, v) {
        const char *s = json_string_value(v);
        if (*s == '\0' && (strcmp(k, "Policy") == 0 || strcmp(k, "RedrivePolicy") == 0 ||
                           strcmp(k, "RedriveAllowPolicy") == 0 || strcmp(k, "KmsMasterKeyId") == 0))
            json_object_del(q->attrs, k);
        else
            json_object_set(q->attrs, k, v);
    }
    kms_apply(q->attrs, norm);
    json_decref(norm);
    q->modified = (double)(int64_t)nb_now();
    queue_apply(q);
    if (sqs_queue_save_meta(q) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t sqs_tag_queue(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    const json_t *tags = json_object_get(in, "Tags");
    if (json_object_size(tags) == 0) /* as the query protocol's check of a required member says (moto agrees) */
        return nb_error_code(req, "MissingParameter", 400, "The request must contain the parameter Tags.");
    json_t *merged = json_copy(q->tags);
    json_object_update(merged, (json_t *)tags);
    if (json_object_size(merged) > 50) {
        json_decref(merged);
        return nb_error_code(req, "InvalidParameterValue", 400, "Too many tags added for queue %s.", q->name);
    }
    json_decref(q->tags);
    q->tags = merged;
    if (sqs_queue_save_meta(q) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t sqs_untag_queue(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    const json_t *keys = json_object_get(in, "TagKeys");
    if (json_array_size(keys) == 0)
        return nb_error_code(req, "InvalidParameterValue", 400, "Tag keys must be between 1 and 128 characters in length.");
    size_t i;
    json_t *k;
    json_array_foreach((json_t *)keys, i, k) if (json_is_string(k)) json_object_del(q->tags, json_string_value(k));
    if (sqs_queue_save_meta(q) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t sqs_list_queue_tags(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    json_t *out = json_object();
    if (json_object_size(q->tags))
        json_object_set_new(out, "Tags", json_copy(q->tags));
    return nb_reply_new(req, out);
}

nb_result_t sqs_add_permission(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    const char *label = nb_json_str(in, "Label");
    const json_t *accounts = json_object_get(in, "AWSAccountIds");
    const json_t *actions = json_object_get(in, "Actions");
    if (!sqs_batch_id_valid(label))
        return nb_error_code(req, "InvalidParameterValue", 400,
                             "Value %s for parameter Label is invalid. Reason: Can only include alphanumeric "
                             "characters, hyphens, or underscores. 1 to 80 in length.",
                             label);
    if (json_array_size(actions) == 0)
        return nb_error_code(req, "MissingParameter", 400, "The request must contain the parameter Actions.");
    if (json_array_size(actions) > SQS_MAX_PERMISSION_ACTIONS)
        return nb_error_code(req, "OverLimit", 403, "%zu Actions were found, maximum allowed is %d.",
                             json_array_size(actions), SQS_MAX_PERMISSION_ACTIONS);
    if (json_array_size(accounts) == 0)
        return nb_error_code(req, "InvalidParameterValue", 400,
                             "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.");
    size_t i;
    json_t *a;
    json_array_foreach((json_t *)actions, i, a) {
        const char *action = json_string_value(a) ?: "";
        sqs_permission_t kind = sqs_permission_action(action);
        if (kind == SQS_PERMISSION_OWNER_ONLY)
            return nb_error_code(req, "InvalidParameterValue", 400,
                                 "Value SQS:%s for parameter ActionName is invalid. Reason: Only the queue owner is "
                                 "allowed to invoke this action.",
                                 action);
        if (kind == SQS_PERMISSION_UNKNOWN)
            return nb_error_code(req, "InvalidParameterValue", 400,
                                 "Value SQS:%s for parameter ActionName is invalid. Reason: Please refer to the "
                                 "appropriate WSDL for a list of valid actions.",
                                 action);
    }
    const char *ptext = nb_json_str(q->attrs, "Policy");
    json_t *policy = ptext ? json_loads(ptext, 0, NULL) : NULL;
    if (!json_is_object(policy)) {
        json_decref(policy);
        char id[256];
        snprintf(id, sizeof id, "%s/SQSDefaultPolicy", q->arn);
        policy = json_pack("{s:s,s:s,s:[]}", "Version", "2012-10-17", "Id", id, "Statement");
    }
    json_t *stmts = json_object_get(policy, "Statement");
    if (!json_is_array(stmts)) {
        stmts = json_array();
        json_object_set_new(policy, "Statement", stmts);
    }
    json_t *st;
    json_array_foreach(stmts, i, st) if (strcmp(nb_json_str(st, "Sid") ?: "", label) == 0) {
        json_decref(policy);
        return nb_error_code(req, "InvalidParameterValue", 400,
                             "Value %s for parameter Label is invalid. Reason: Already exists.", label);
    }
    json_t *principals = json_array(), *acts = json_array();
    json_array_foreach((json_t *)accounts, i, a) {
        char arn[96];
        nb_arn_format(&(nb_arn_t){.partition = nb_partition(q->region), .service = "iam",
                                  .account = json_string_value(a) ?: "", .resource = "root"},
                      arn, sizeof arn);
        json_array_append_new(principals, json_string(arn));
    }
    json_array_foreach((json_t *)actions, i, a) {
        char act[96];
        snprintf(act, sizeof act, "SQS:%s", json_string_value(a) ?: "");
        json_array_append_new(acts, json_string(act));
    }
    json_array_append_new(stmts, json_pack("{s:s,s:s,s:{s:o},s:o,s:s}", "Sid", label, "Effect", "Allow", "Principal",
                                           "AWS", json_array_size(principals) == 1 ? json_incref(json_array_get(principals, 0)) : json_incref(principals),
                                           "Action", json_array_size(acts) == 1 ? json_incref(json_array_get(acts, 0)) : json_incref(acts),
                                           "Resource", q->arn));
    json_decref(principals);
    json_decref(acts);
    char *text = json_dumps(policy, JSON_COMPACT);
    json_decref(policy);
    json_object_set_new(q->attrs, "Policy", json_string(text ? text : "{}"));
    free(text);
    if (sqs_queue_save_meta(q) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t sqs_remove_permission(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    const char *label = nb_json_str(in, "Label");
    const char *ptext = nb_json_str(q->attrs, "Policy");
    json_t *policy = ptext ? json_loads(ptext, 0, NULL) : NULL;
    json_t *stmts = json_object_get(policy, "Statement");
    size_t i, found = (size_t)-1;
    json_t *st;
    json_array_foreach(stmts, i, st) if (strcmp(nb_json_str(st, "Sid") ?: "", label) == 0) found = i;
    if (found == (size_t)-1) {
        json_decref(policy);
        return nb_error_code(req, "InvalidParameterValue", 400,
                             "Value %s for parameter Label is invalid. Reason: can't find label on existing policy.",
                             label);
    }
    json_array_remove(stmts, found);
    if (json_array_size(stmts) == 0) {
        json_object_del(q->attrs, "Policy");
    } else {
        char *text = json_dumps(policy, JSON_COMPACT);
        json_object_set_new(q->attrs, "Policy", json_string(text ? text : "{}"));
        free(text);
    }
    json_decref(policy);
    if (sqs_queue_save_meta(q) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t sqs_list_dead_letter_source_queues(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    json_t *mr = json_object_get(in, "MaxResults");
    json_int_t max = mr ? json_integer_value(mr) : 1000;
    if (max < 1 || max > 1000)
        return nb_error_code(req, "InvalidParameterValue", 400,
                             "Value %" JSON_INTEGER_FORMAT " for parameter MaxResults is invalid. Reason: MaxResults "
                             "must be an integer between 1 and 1000.",
                             max);
    /* sorted by name through the store, like ListQueues */
    sqlite3_stmt *s = nb_store_scoped(&sqs.store, req,
                                      "SELECT name FROM queues WHERE account = :account AND region = :region"
                                      " AND name > :after ORDER BY name");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    const char *token = nb_json_str(in, "NextToken");
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":after"), token ? token : "", -1, SQLITE_TRANSIENT);
    json_t *urls = json_array(), *out = json_object();
    while (sqlite3_step(s) == SQLITE_ROW) {
        sqs_queue_t *src = sqs_queue_get(nb_req_account(req), nb_req_region(req), (const char *)sqlite3_column_text(s, 0));
        if (src == NULL || strcmp(src->dlq_arn, q->arn) != 0)
            continue;
        if ((json_int_t)json_array_size(urls) == max) {
            if (mr) {
                const char *last = strrchr(json_string_value(json_array_get(urls, json_array_size(urls) - 1)), '/');
                json_object_set_new(out, "NextToken", json_string(last + 1));
            }
            break;
        }
        json_array_append_new(urls, json_string(sqs_queue_url(req, src)));
    }
    sqlite3_reset(s);
    json_object_set_new(out, "queueUrls", urls);
    return nb_reply_new(req, out);
}
