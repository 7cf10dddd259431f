/* Publish and PublishBatch: the checks SNS makes, FIFO ordering and deduplication (5 minutes),
 * and the fan-out of a message to its topic's subscriptions through the outbox. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"
#include "sns_filter.h"

#define MESSAGE_MAX (256 * 1024)
#define DEDUP_WINDOW 300.0

/* Compiled filter policies by their text, direct-mapped: a publish to a topic whose subscriptions
 * filter compiles each policy once, not once a message. */
#define FILTER_SLOTS 256
static struct {
    char *text;
    sns_filter_t *filter;
} filters[FILTER_SLOTS];

static const sns_filter_t *filter_get(const char *text) {
    size_t i = nb_fnv1a(text) % FILTER_SLOTS;
    if (filters[i].text && strcmp(filters[i].text, text) == 0)
        return filters[i].filter;
    char *err = NULL;
    sns_filter_t *f = sns_filter_compile(text, strlen(text), &err);
    free(err);
    if (f == NULL)
        return NULL;
    char *copy = strdup(text);
    if (copy == NULL) { /* out of memory: nothing would free f, so this message is not matched */
        sns_filter_free(f);
        return NULL;
    }
    free(filters[i].text);
    sns_filter_free(filters[i].filter);
    filters[i].text = copy;
    filters[i].filter = f;
    return f;
}

void sns_filters_free(void) {
    for (size_t i = 0; i < FILTER_SLOTS; i++) {
        free(filters[i].text);
        sns_filter_free(filters[i].filter);
        filters[i].text = NULL;
        filters[i].filter = NULL;
    }
}

/* Whether the subscription's FilterPolicy lets the message through. */
static bool filter_passes(const json_t *sub_attrs, const sns_message_t *m) {
    const char *policy = nb_json_str(sub_attrs, "FilterPolicy");
    if (policy == NULL || *policy == '\0')
        return true;
    const sns_filter_t *f = filter_get(policy);
    if (f == NULL)
        return false;
    bool body = nb_json_str_eq(sub_attrs, "FilterPolicyScope", "MessageBody");
    json_t *attrs = body ? NULL : sns_message_attributes_envelope(m->attrs);
    int match = sns_filter_match(f, body ? 1 : 0, attrs, m->message, strlen(m->message));
    json_decref(attrs);
    return match == 1;
}

int sns_fanout(nb_req_t *req, const sns_topic_t *t, const sns_message_t *m) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT arn, protocol, endpoint, attrs FROM subscriptions WHERE "
                                                "topic_arn = ?1 AND confirmed = 1 ORDER BY rowid");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, t->arn, -1, SQLITE_STATIC);
    /* collected first: the outbox inserts must not run while this statement steps */
    json_t *rows = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *attrs = sns_json_column(s, 3);
        if (filter_passes(attrs, m))
            json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:o}", "arn", (const char *)sqlite3_column_text(s, 0),
                                                  "protocol", (const char *)sqlite3_column_text(s, 1), "endpoint",
                                                  (const char *)sqlite3_column_text(s, 2), "attrs", attrs));
        else
            json_decref(attrs);
    }
    sqlite3_reset(s);
    int rc = 0;
    size_t i;
    json_t *row;
    const char *sigver = nb_json_str(t->attrs, "SignatureVersion");
    /* whole milliseconds (what the envelope shows): a real would send the row's text to jansson's
     * slower reader instead of the core's one-pass one */
    json_int_t timestamp_ms = (json_int_t)llround(m->timestamp * 1000);
    /* what every subscription's row holds, made once: the message and its attributes are not
     * copied and checked again for each subscription */
    json_t *common = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:b}", "type", "Notification", "message_id", m->message_id,
                               "topic_arn", t->arn, "message", m->message, "timestamp_ms", timestamp_ms,
                               "signature_version", sigver ? sigver : "1", "structure_json", m->structure_json);
    if (common == NULL) {
        json_decref(rows);
        return NB_ENOMEM;
    }
    if (m->subject)
        json_object_set_new(common, "subject", json_string(m->subject));
    /* the envelope's form (binary values in base64): what the outbox row can hold as JSON text */
    if (json_object_size(m->attrs) > 0)
        json_object_set_new(common, "attrs", sns_message_attributes_envelope(m->attrs));
    if (m->group_id)
        json_object_set_new(common, "group_id", json_string(m->group_id));
    if (m->dedup_id)
        json_object_set_new(common, "dedup_id", json_string(m->dedup_id));
    if (m->sequence_number)
        json_object_set_new(common, "sequence_number", json_string(m->sequence_number));
    if (m->signature && m->signed_version == (sigver && strcmp(sigver, "2") == 0 ? 2 : 1))
        json_object_set_new(common, "signature", json_string(m->signature));
    json_array_foreach(rows, i, row) {
        json_t *sub_attrs = json_object_get(row, "attrs");
        json_t *data = json_copy(common); /* shallow: the values are shared, not copied */
        if (data == NULL) {
            rc = NB_ENOMEM;
            break;
        }
        json_object_set_nocheck(data, "protocol", json_object_get(row, "protocol"));
        json_object_set_nocheck(data, "endpoint", json_object_get(row, "endpoint"));
        json_object_set_new_nocheck(data, "raw", json_boolean(nb_json_str_eq(sub_attrs, "RawMessageDelivery", "true")));
        const char *redrive = nb_json_str(sub_attrs, "RedrivePolicy");
        if (redrive)
            json_object_set_new(data, "redrive", json_string(redrive));
        const char *dp = nb_json_str(sub_attrs, "DeliveryPolicy");
        if (dp == NULL)
            dp = nb_json_str(t->attrs, "DeliveryPolicy");
        if (dp)
            json_object_set_new(data, "delivery_policy", json_string(dp));
        if ((rc = sns_outbox_add(req, t->account, t->region, nb_json_str(row, "arn"), data)) != 0)
            break;
    }
    json_decref(common);
    json_decref(rows);
    return rc;
}

/* ---------------------------------------------------------------- checks */

#define INVALID "InvalidParameter"

/* The message checks Publish and each PublishBatch entry share: true, or false and the fault. */
static bool message_check(const json_t *in, sns_fault_t *f) {
    const char *message = nb_json_str(in, "Message"), *subject = nb_json_str(in, "Subject");
    if (message == NULL || *message == '\0')
        return sns_fault(f, INVALID, "Invalid parameter: Empty message");
    if (strlen(message) > MESSAGE_MAX)
        return sns_fault(f, INVALID, "Invalid parameter: Message too long");
    if (subject && (*subject == '\0' || strlen(subject) > 100 || strpbrk(subject, "\r\n")))
        return sns_fault(f, INVALID, "Invalid parameter: Subject");
    const char *structure = nb_json_str(in, "MessageStructure");
    if (structure && strcmp(structure, "json") != 0)
        return sns_fault(f, INVALID, "Invalid parameter: MessageStructure");
    if (structure) {
        json_t *doc = json_loads(message, 0, NULL);
        bool parsed = json_is_object(doc), has_default = json_is_string(json_object_get(doc, "default"));
        json_decref(doc);
        if (!parsed)
            return sns_fault(f, INVALID, "Invalid parameter: Message Structure - JSON message body failed to parse");
        if (!has_default)
            return sns_fault(f, INVALID, "Invalid parameter: Message Structure - No default entry in JSON message body");
    }
    return sns_message_attributes_check(json_object_get(in, "MessageAttributes"), f);
}

/* FIFO checks for a message to t: true, or false and the fault. */
static bool fifo_check(const sns_topic_t *t, const json_t *in, sns_fault_t *f) {
    const char *group = nb_json_str(in, "MessageGroupId"), *dedup = nb_json_str(in, "MessageDeduplicationId");
    if (!t->fifo) {
        if (dedup)
            return sns_fault(f, INVALID, "Invalid parameter: MessageDeduplicationId Reason: The request includes "
                             "MessageDeduplicationId parameter that is not valid for this topic type");
        return true;
    }
    if (group == NULL || *group == '\0')
        return sns_fault(f, INVALID, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
    if ((dedup == NULL || *dedup == '\0') && !nb_json_str_eq(t->attrs, "ContentBasedDeduplication", "true"))
        return sns_fault(f, INVALID, "Invalid parameter: The topic should either have ContentBasedDeduplication "
                         "enabled or MessageDeduplicationId provided explicitly");
    if (strlen(group) > 128 || (dedup && strlen(dedup) > 128))
        return sns_fault(f, INVALID, "Invalid parameter: MessageGroupId");
    return true;
}

/* A Publish whose Notification was signed on the thread pool before its fan-out. */
typedef struct presigned {
    json_t *in;
    char arn[SNS_ARN_SIZE]; /* the topic, loaded again when the signature is made */
    const char *what;       /* the member that named it: "TopicArn" or "TargetArn" */
    char id[NB_UUID_SIZE];
    double timestamp; /* whole milliseconds, as the rows keep it */
    int version;
    char *text, *signature;
} presigned_t;

/* Publishes one checked message to topic t: 0 and its ids in out ({MessageId, SequenceNumber}).
 * pre: its MessageId, time and signature made before (NULL: made here, signed at delivery). */
static int publish_one(nb_req_t *req, sns_topic_t *t, const json_t *in, json_t *out, const presigned_t *pre) {
    char id[NB_UUID_SIZE], seq[24], dedup_hex[NB_HEX_SIZE(32)];
    if (pre)
        memcpy(id, pre->id, sizeof id);
    else
        nb_uuid(id);
    sns_message_t m = {.message_id = id,
                       .message = nb_json_str(in, "Message"),
                       .structure_json = nb_json_str(in, "MessageStructure") != NULL,
                       .subject = nb_json_str(in, "Subject"),
                       .attrs = json_object_get(in, "MessageAttributes"),
                       .timestamp = pre ? pre->timestamp : nb_now(),
                       .signature = pre ? pre->signature : NULL,
                       .signed_version = pre ? pre->version : 0};
    if (t->fifo) {
        m.group_id = nb_json_str(in, "MessageGroupId");
        m.dedup_id = nb_json_str(in, "MessageDeduplicationId");
        if (m.dedup_id == NULL || *m.dedup_id == '\0') {
            unsigned char d[NB_DIGEST_MAX];
            size_t n = nb_digest(NB_DIGEST_SHA256, m.message, strlen(m.message), d);
            nb_hex_encode(d, n, 0, dedup_hex, sizeof dedup_hex);
            m.dedup_id = dedup_hex;
        }
        sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT message_id, seqno FROM _fifo_dedup WHERE topic_arn = ?1 "
                                                    "AND dedup = ?2 AND expires > ?3");
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_text(s, 1, t->arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, m.dedup_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 3, m.timestamp);
        if (sqlite3_step(s) == SQLITE_ROW) { /* a duplicate: the first one's ids, nothing delivered */
            json_object_set_new(out, "MessageId", json_string((const char *)sqlite3_column_text(s, 0)));
            json_object_set_new(out, "SequenceNumber", json_string((const char *)sqlite3_column_text(s, 1)));
            sqlite3_reset(s);
            return 0;
        }
        sqlite3_reset(s);
        t->fifo_seq++;
        snprintf(seq, sizeof seq, "1%019lld", (long long)t->fifo_seq);
        m.sequence_number = seq;
        int rc = sns_topic_save_seq(t);
        s = rc == 0 ? nb_store_stmt(&sns.store, "INSERT OR REPLACE INTO _fifo_dedup(topic_arn, dedup, expires, "
                                                "message_id, seqno) VALUES(?1, ?2, ?3, ?4, ?5)")
                    : NULL;
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_text(s, 1, t->arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, m.dedup_id, -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 3, m.timestamp + DEDUP_WINDOW);
        sqlite3_bind_text(s, 4, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, seq, -1, SQLITE_STATIC);
        if ((rc = nb_store_run(s)) != 0)
            return rc;
        json_object_set_new(out, "SequenceNumber", json_string(seq));
    }
    json_object_set_new(out, "MessageId", json_string(id));
    return sns_fanout(req, t, &m);
}

/* Expired deduplication rows go, a few per publish. */
static void dedup_expire(void) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "DELETE FROM _fifo_dedup WHERE rowid IN (SELECT rowid FROM "
                                                "_fifo_dedup WHERE expires <= ?1 LIMIT 16)");
    if (s) {
        sqlite3_bind_double(s, 1, nb_now());
        (void)nb_store_run(s);
    }
}

/* The fan-out of a checked Publish to topic t, and its answer. */
static nb_result_t publish_now(nb_req_t *req, sns_topic_t *t, const json_t *in, const presigned_t *pre) {
    dedup_expire();
    json_t *out = json_object();
    int rc = publish_one(req, t, in, out, pre);
    if (rc != 0) {
        json_decref(out);
        return NB_FAILED(rc);
    }
    return nb_reply_new(req, out);
}

/* ---------------------------------------------------------------- signing off the loop */

/* Whether a publish to t goes out in a signed envelope: a confirmed subscription without raw
 * delivery. A topic with none (or only raw ones) signs nothing. */
static bool envelope_wanted(const sns_topic_t *t) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT 1 FROM subscriptions WHERE topic_arn = ?1 AND confirmed = 1 "
                                                "AND json_extract(attrs, '$.RawMessageDelivery') IS NOT 'true' LIMIT 1");
    if (s == NULL)
        return false;
    sqlite3_bind_text(s, 1, t->arn, -1, SQLITE_STATIC);
    bool wanted = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return wanted;
}

static void presigned_free(presigned_t *p) {
    json_decref(p->in);
    free(p->text);
    free(p->signature);
    free(p);
}

static void presign_work(void *data) {
    presigned_t *p = data;
    p->signature = sns_sign_uncached(p->text, p->version);
}

/* A failed result in a work-queue done: the error it stands for, as the handler's would be. */
static void answer_failure(nb_req_t *req, nb_result_t r) {
    if (nb_result_error(r) < 0)
        nb_error_code(req, "InternalError", 500, "Internal Error");
}

static void presign_done(nb_req_t *req, void *data) {
    presigned_t *p = data;
    sns_topic_t t; /* again: the topic may have changed or gone while the signature was made */
    nb_step_t step = sns_topic_load(req, p->arn, p->what, &t);
    if (nb_stopped(step)) {
        answer_failure(req, nb_step_result(step));
    } else {
        sns_fault_t f;
        if (!fifo_check(&t, p->in, &f))
            answer_failure(req, sns_fault_answer(req, &f));
        else
            answer_failure(req, publish_now(req, &t, p->in, p));
        sns_topic_clear(&t);
    }
    presigned_free(p);
}

/* The RSA signature of a Publish's Notification is most of its CPU (a 1024-bit signature: about
 * 1.4M instructions, a fan-out to 10 queues without it 1.7M): made on the thread pool, the loop
 * serves other requests meanwhile and the rows carry it to the drain. True when queued (the
 * handler returns NB_ASYNC); false: publish on the loop as before (the drain signs). */
static bool presign(nb_req_t *req, const sns_topic_t *t, const char *what, const json_t *in) {
    if (nb_json_str(in, "MessageStructure") != NULL || !envelope_wanted(t))
        return false; /* per-protocol messages: each its own signature, made at delivery */
    presigned_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return false;
    const char *sigver = nb_json_str(t->attrs, "SignatureVersion");
    snprintf(p->arn, sizeof p->arn, "%s", t->arn);
    p->what = what;
    nb_uuid(p->id);
    p->timestamp = (double)llround(nb_now() * 1000) / 1000;
    p->version = sigver && strcmp(sigver, "2") == 0 ? 2 : 1;
    p->in = json_incref((json_t *)in);
    p->text = sns_notification_string_to_sign(p->id, t->arn, nb_json_str(in, "Subject"), nb_json_str(in, "Message"),
                                              p->timestamp);
    if (p->text && nb_work_queue(req, presign_work, presign_done, p) == 0)
        return true;
    presigned_free(p);
    return false;
}

nb_result_t sns_publish(nb_req_t *req, const json_t *in) {
    const char *topic = nb_json_str(in, "TopicArn"), *target = nb_json_str(in, "TargetArn"),
               *phone = nb_json_str(in, "PhoneNumber");
    int targets = (topic != NULL) + (target != NULL) + (phone != NULL);
    if (targets == 0)
        return sns_invalid(req, "TopicArn or TargetArn Reason: no value for required parameter");
    if (targets > 1)
        return sns_invalid(req, "TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber can be specified");
    sns_fault_t f;
    if (!message_check(in, &f))
        return sns_fault_answer(req, &f);
    char id[NB_UUID_SIZE];
    if (phone) {
        nb_uuid(id);
        return sns_publish_to_phone(req, in, id);
    }
    if (target && strstr(target, ":endpoint/") != NULL) {
        nb_uuid(id);
        return sns_publish_to_endpoint(req, in, id);
    }
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, topic ? topic : target, topic ? "TopicArn" : "TargetArn", &t));
    if (!fifo_check(&t, in, &f)) {
        sns_topic_clear(&t);
        return sns_fault_answer(req, &f);
    }
    nb_result_t r = presign(req, &t, topic ? "TopicArn" : "TargetArn", in) ? NB_ASYNC : publish_now(req, &t, in, NULL);
    sns_topic_clear(&t);
    return r;
}

static bool batch_id_ok(const char *id) {
    size_t n = id ? strlen(id) : 0;
    return n > 0 && n <= 80 &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The error an entry failed with, as a Failed entry. */
static json_t *failed_entry(const char *id, const char *code, const char *message) {
    return json_pack("{s:s,s:s,s:s,s:b}", "Id", id ? id : "", "Code", code, "Message", message, "SenderFault", 1);
}

nb_result_t sns_publish_batch(nb_req_t *req, const json_t *in) {
    const json_t *entries = json_object_get(in, "PublishBatchRequestEntries");
    sns_topic_t t;
    NB_TRY(sns_topic_load(req, nb_json_str(in, "TopicArn"), "TopicArn", &t));
    nb_result_t err = NB_DONE;
    bool failed = false;
    size_t n = json_array_size(entries), total = 0;
    if (n == 0)
        err = nb_error(req, "EmptyBatchRequest", "The batch request doesn't contain any entries."), failed = true;
    else if (n > 10)
        err = nb_error(req, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible."),
        failed = true;
    for (size_t i = 0; !failed && i < n; i++) {
        const char *id = nb_json_str(json_array_get(entries, i), "Id");
        if (!batch_id_ok(id)) {
            err = nb_error(req, "InvalidBatchEntryId",
                           "The Id of a batch entry in a batch request doesn't abide by the specification.");
            failed = true;
        }
        for (size_t j = 0; !failed && j < i; j++)
            if (nb_json_str_eq(json_array_get(entries, j), "Id", id)) {
                err = nb_error(req, "BatchEntryIdsNotDistinct",
                               "Two or more batch entries in the request have the same Id.");
                failed = true;
            }
        const char *msg = nb_json_str(json_array_get(entries, i), "Message");
        total += msg ? strlen(msg) : 0;
    }
    if (!failed && total > MESSAGE_MAX)
        err = nb_error(req, "BatchRequestTooLong", "The length of all the messages put together is more than the "
                                                   "limit."),
        failed = true;
    if (failed) {
        sns_topic_clear(&t);
        return err;
    }
    dedup_expire();
    json_t *ok = json_array(), *bad = json_array();
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const json_t *e = json_array_get(entries, i);
        const char *id = nb_json_str(e, "Id");
        /* an entry's own error: checked as Publish would, answered in Failed */
        sns_fault_t f;
        if (!message_check(e, &f) || !fifo_check(&t, e, &f)) {
            json_array_append_new(bad, failed_entry(id, f.code, f.message));
            continue;
        }
        json_t *out = json_object();
        if ((rc = publish_one(req, &t, e, out, NULL)) == 0)
            json_array_append_new(ok, json_pack("{s:s,s:O}", "Id", id, "MessageId", json_object_get(out, "MessageId")));
        if (rc == 0 && json_object_get(out, "SequenceNumber"))
            json_object_set(json_array_get(ok, json_array_size(ok) - 1), "SequenceNumber",
                            json_object_get(out, "SequenceNumber"));
        json_decref(out);
    }
    sns_topic_clear(&t);
    if (rc != 0) {
        json_decref(ok);
        json_decref(bad);
        return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_pack("{s:o,s:o}", "Successful", ok, "Failed", bad));
}
