/* The outbox drain: after a publish commits, each outbox row goes to its subscriber. SQS gets
 * sqs:SendMessage through nb_call_async (never blocking the loop), HTTP/HTTPS go to
 * sns_http_deliver, Lambda to the "sns:Delivery:lambda" hook, and the protocols SNS cannot reach
 * from here (email, sms, application, firehose) are recorded for the developer endpoints. A row
 * is removed once its delivery ended; a failed one goes to the RedrivePolicy's dead-letter queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sns.h"

#define DRAIN_BATCH 256

typedef struct id_list {
    int64_t *ids;
    size_t n, cap;
} id_list_t;

static struct {
    nb_timer_t *timer;       /* a drain is scheduled */
    int64_t dispatched_upto; /* rows up to this id were handed out since the start */
    id_list_t done, failed;  /* deliveries that ended, waiting for the drain to remove their rows */
} dl;

static void id_push(id_list_t *l, int64_t id) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *ids = realloc(l->ids, cap * sizeof *ids);
        if (ids == NULL)
            return; /* the row stays and goes out again after a restart */
        l->ids = ids;
        l->cap = cap;
    }
    l->ids[l->n++] = id;
}

void sns_deliver_fini(void) {
    if (dl.timer)
        nb_timer_stop(dl.timer);
    free(dl.done.ids);
    free(dl.failed.ids);
    memset(&dl, 0, sizeof dl);
}

static void drain_cb(nb_timer_t *timer, void *data);

void sns_deliver_reset(void) {
    /* the outbox is empty and its ids may start again from 1 */
    dl.dispatched_upto = 0;
    dl.done.n = dl.failed.n = 0;
}

void sns_drain_schedule(void) {
    if (dl.timer == NULL)
        dl.timer = nb_timer_start(sns.self, 0, 0, drain_cb, NULL);
}

static void after_commit(void *data) {
    (void)data;
    sns_drain_schedule();
}

int sns_outbox_add(nb_req_t *req, const char *account, const char *region, const char *sub_arn, json_t *data_new) {
    char *text = data_new ? sns_json_dump(data_new) : NULL;
    json_decref(data_new);
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "INSERT INTO outbox(account, region, sub_arn, data, created) "
                                                "VALUES(?1, ?2, ?3, ?4, ?5)");
    if (s == NULL || text == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, sub_arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, text, -1, free);
    sqlite3_bind_double(s, 5, nb_now());
    int rc = nb_store_run(s);
    if (rc == 0 && nb_req_on_commit(req, after_commit, NULL) != 0)
        sns_drain_schedule(); /* no hook: the timer's own transaction comes after this one */
    return rc;
}

int sns_record(const char *account, const char *region, const char *kind, const char *target, json_t *data_new) {
    char *text = data_new ? sns_json_dump(data_new) : NULL;
    json_decref(data_new);
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "INSERT INTO recorded(account, region, kind, target, data, created) "
                                                "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (s == NULL || text == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, text, -1, free);
    sqlite3_bind_double(s, 6, nb_now());
    return nb_store_run(s);
}

void sns_delivery_done(nb_plugin_t *self, int64_t outbox_id, int delivered) {
    (void)self;
    id_push(delivered ? &dl.done : &dl.failed, outbox_id);
    sns_drain_schedule();
}

/* ------------------------------------------------------------ one row */

typedef struct row {
    int64_t id;
    const char *account, *region, *sub_arn;
    json_t *data;
} row_t;

/* The message a protocol gets: with MessageStructure=json its own entry, else "default". */
static char *protocol_message(const json_t *data) {
    const char *message = nb_json_str(data, "message");
    if (!json_is_true(json_object_get(data, "structure_json")))
        return strdup(message ? message : "");
    json_t *doc = json_loads(message ? message : "", 0, NULL);
    const char *m = nb_json_str(doc, nb_json_str(data, "protocol"));
    if (m == NULL)
        m = nb_json_str(doc, "default");
    char *out = strdup(m ? m : "");
    json_decref(doc);
    return out;
}

/* What the subscriber receives: the raw message, or the signed envelope (malloc'd). */
static char *row_body(const row_t *r, const char *message) {
    const json_t *d = r->data;
    if (json_is_true(json_object_get(d, "raw")))
        return strdup(message);
    /* publishes write whole milliseconds; confirmations and rows of older versions a real */
    const json_t *ms = json_object_get(d, "timestamp_ms");
    double timestamp = json_is_integer(ms) ? (double)json_integer_value(ms) / 1000 : nb_json_num(d, "timestamp", nb_now());
    return sns_envelope(nb_json_str(d, "type"), nb_json_str(d, "message_id"), nb_json_str(d, "topic_arn"),
                        nb_json_str(d, "subject"), message, timestamp,
                        nb_json_str(d, "token"), r->sub_arn, json_object_get(d, "attrs"),
                        nb_json_str(d, "sequence_number"), nb_json_str(d, "signature_version"),
                        nb_json_str(d, "signature"));
}

/* The queue an SQS ARN names: its name, account and region (pointers into buf). */
static bool queue_of(const char *arn, char *buf, size_t cap, nb_arn_t *a) {
    return arn && strlen(arn) < cap && nb_arn_parse(arn, a, buf, cap) == 0 && strcmp(a->service, "sqs") == 0;
}

static void ignore_result(const nb_call_result_t *result, void *data) {
    (void)data;
    if (result->rc != 0)
        nb_log(sns.self, NB_LOG_WARN, "dead-letter delivery failed: %s", result->error_code ? result->error_code : "");
}

/* SendMessage input for the queue arn (the raw attributes mapped back to SQS's shape). */
static json_t *send_input(const row_t *r, const char *queue_name, bool fifo_queue, const char *body) {
    /* body is the envelope written from UTF-8 strings or the published message itself, both valid
     * UTF-8 already: jansson's check of a 1 KiB envelope cost a tenth of a delivery */
    json_t *in = json_object();
    json_object_set_new_nocheck(in, "QueueUrl", json_string(queue_name));
    json_object_set_new_nocheck(in, "MessageBody", json_stringn_nocheck(body, strlen(body)));
    const json_t *d = r->data;
    if (json_is_true(json_object_get(d, "raw")) && json_object_size(json_object_get(d, "attrs")) > 0) {
        json_t *attrs = json_object();
        const char *name;
        json_t *a;
        json_object_foreach(json_object_get(d, "attrs"), name, a) {
            const char *type = nb_json_str(a, "Type"), *value = nb_json_str(a, "Value");
            if (type == NULL || value == NULL)
                continue;
            if (strncmp(type, "Binary", 6) == 0) {
                size_t n = strlen(value);
                char *bin = malloc(NB_BASE64_DECODED_SIZE(n));
                ssize_t k = bin ? nb_base64_decode(value, n, 0, bin, NB_BASE64_DECODED_SIZE(n)) : -1;
                if (k >= 0)
                    json_object_set_new(attrs, name, json_pack("{s:s,s:o}", "DataType", type, "BinaryValue",
                                                               json_stringn_nocheck(bin, (size_t)k)));
                free(bin);
            } else {
                json_object_set_new(attrs, name, json_pack("{s:s,s:s}", "DataType", type, "StringValue", value));
            }
        }
        json_object_set_new(in, "MessageAttributes", attrs);
    }
    if (fifo_queue) {
        const char *group = nb_json_str(d, "group_id"), *dedup = nb_json_str(d, "dedup_id");
        json_object_set_new(in, "MessageGroupId", json_string(group ? group : nb_json_str(d, "message_id")));
        json_object_set_new(in, "MessageDeduplicationId", json_string(dedup ? dedup : nb_json_str(d, "message_id")));
    }
    return in;
}

/* Sends body to the SQS queue arn; cb(result, data) as nb_call_async. 0, or -1 (not sent). */
static int sqs_send(const row_t *r, const char *arn, const char *body, nb_call_cb cb, void *data) {
    char buf[512];
    nb_arn_t a;
    if (!queue_of(arn, buf, sizeof buf, &a))
        return -1;
    size_t n = strlen(a.resource);
    bool fifo = n > 5 && strcmp(a.resource + n - 5, ".fifo") == 0;
    return nb_call_async(sns.self, a.account, a.region, "sqs", "SendMessage", send_input(r, a.resource, fifo, body),
                         cb, data) != 0
               ? 0
               : -1;
}

static void sqs_sent(const nb_call_result_t *result, void *data) {
    int64_t *id = data;
    if (result->rc == NB_ENOENT) {
        /* SQS is not enabled (SERVICES): not the subscriber's failure. The row stays in the outbox
         * and goes out when the server starts again with SQS. */
        nb_log(sns.self, NB_LOG_WARN, "SNS delivery to SQS kept for later: the SQS service is not enabled");
        free(id);
        return;
    }
    if (result->rc != 0)
        nb_log(sns.self, NB_LOG_WARN, "SNS delivery to SQS failed: %s %s",
               result->error_code ? result->error_code : "", result->error_message ? result->error_message : "");
    sns_delivery_done(sns.self, *id, result->rc == 0);
    free(id);
}

/* The SNS event record Lambda gets, from the envelope. */
static json_t *lambda_event(const char *envelope, const char *sub_arn) {
    json_t *e = json_loads(envelope, 0, NULL);
    if (e == NULL)
        return NULL;
    json_t *sns_part = json_pack("{s:O*,s:O*,s:O*,s:O*,s:O*,s:O*,s:O*,s:O*,s:O*,s:O*}", "Type",
                                 json_object_get(e, "Type"), "MessageId", json_object_get(e, "MessageId"), "TopicArn",
                                 json_object_get(e, "TopicArn"), "Message", json_object_get(e, "Message"), "Timestamp",
                                 json_object_get(e, "Timestamp"), "SignatureVersion",
                                 json_object_get(e, "SignatureVersion"), "Signature", json_object_get(e, "Signature"),
                                 "SigningCertUrl", json_object_get(e, "SigningCertURL"), "UnsubscribeUrl",
                                 json_object_get(e, "UnsubscribeURL"), "MessageAttributes",
                                 json_object_get(e, "MessageAttributes"));
    json_object_set(sns_part, "Subject", json_object_get(e, "Subject") ? json_object_get(e, "Subject") : json_null());
    if (!json_object_get(sns_part, "MessageAttributes"))
        json_object_set_new(sns_part, "MessageAttributes", json_object());
    json_decref(e);
    return json_pack("{s:[{s:s,s:s,s:s,s:o}]}", "Records", "EventSource", "aws:sns", "EventVersion", "1.0",
                     "EventSubscriptionArn", sub_arn, "Sns", sns_part);
}

/* A delivery recorded for the developer endpoints, in LocalStack's shape. */
static void record(const row_t *r, const char *protocol, const char *endpoint, const char *message,
                   const char *body) {
    const json_t *d = r->data;
    json_t *entry = json_pack("{s:s,s:s,s:s,s:s,s:O*,s:s*,s:s*}", "TopicArn", nb_json_str(d, "topic_arn"),
                              "SubscriptionArn", r->sub_arn, "MessageId", nb_json_str(d, "message_id"), "Message",
                              strcmp(protocol, "email") == 0 || strcmp(protocol, "sms") == 0 ? message : body,
                              "MessageAttributes", json_object_get(d, "attrs"), "MessageStructure",
                              json_is_true(json_object_get(d, "structure_json")) ? "json" : NULL, "Subject",
                              nb_json_str(d, "subject"));
    if (entry == NULL)
        return;
    json_object_set_new(entry, strcmp(protocol, "sms") == 0 ? "PhoneNumber" : "TargetArn", json_string(endpoint));
    if (sns_record(r->account, r->region, protocol, endpoint, entry) != 0)
        nb_log(sns.self, NB_LOG_WARN, "cannot record the %s delivery to %s", protocol, endpoint);
}

/* Hands one row to its protocol. Returns true when the row ended here (remove it now). */
static bool dispatch(const row_t *r) {
    const json_t *d = r->data;
    const char *protocol = nb_json_str(d, "protocol"), *endpoint = nb_json_str(d, "endpoint");
    if (protocol == NULL || endpoint == NULL)
        return true;
    char *message = protocol_message(d);
    char *body = message ? row_body(r, message) : NULL;
    bool ended = true;
    if (body == NULL) {
        nb_log(sns.self, NB_LOG_ERROR, "cannot build the SNS message of outbox row %lld", (long long)r->id);
    } else if (strcmp(protocol, "sqs") == 0) {
        int64_t *id = malloc(sizeof *id);
        if (id) {
            *id = r->id;
            if (sqs_send(r, endpoint, body, sqs_sent, id) == 0)
                ended = false;
            else {
                free(id);
                id_push(&dl.failed, r->id);
                ended = false;
            }
        }
    } else if (strcmp(protocol, "http") == 0 || strcmp(protocol, "https") == 0) {
        sns_delivery_t hd = {.outbox_id = r->id,
                             .account = r->account,
                             .region = r->region,
                             .topic_arn = nb_json_str(d, "topic_arn"),
                             .subscription_arn = r->sub_arn,
                             .protocol = protocol,
                             .endpoint = endpoint,
                             .message_type = nb_json_str(d, "type"),
                             .message_id = nb_json_str(d, "message_id"),
                             .body = body,
                             .body_len = strlen(body),
                             .raw = json_is_true(json_object_get(d, "raw")),
                             .delivery_policy = nb_json_str(d, "delivery_policy"),
                             .attempt = 1};
        sns_http_deliver(sns.self, &hd);
        ended = false;
    } else if (strcmp(protocol, "lambda") == 0) {
        json_t *ev = lambda_event(body, r->sub_arn);
        if (ev) {
            json_t *detail = json_pack("{s:s,s:s,s:s,s:O}", "Endpoint", endpoint, "SubscriptionArn", r->sub_arn,
                                       "TopicArn", nb_json_str(d, "topic_arn"), "Event", ev);
            nb_event_publish(sns.self, NULL, SNS_DELIVERY_EVENT_PREFIX "lambda", r->account, r->region, detail);
            if (sns_record(r->account, r->region, "lambda", endpoint, ev) != 0)
                nb_log(sns.self, NB_LOG_WARN, "cannot record the lambda delivery to %s", endpoint);
        }
    } else {
        record(r, protocol, endpoint, message, body);
    }
    free(message);
    free(body);
    return ended;
}

/* ------------------------------------------------------------ the drain */

static int row_delete(int64_t id) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "DELETE FROM outbox WHERE id = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    return nb_store_run(s);
}

/* A failed delivery: to the subscription's dead-letter queue if it has one, then the row goes. */
static void redrive(int64_t id) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT account, region, sub_arn, data FROM outbox WHERE id = ?1");
    if (s == NULL)
        return;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        row_t r = {.id = id,
                   .account = (const char *)sqlite3_column_text(s, 0),
                   .region = (const char *)sqlite3_column_text(s, 1),
                   .sub_arn = (const char *)sqlite3_column_text(s, 2),
                   .data = sns_json_column(s, 3)};
        json_t *policy = json_loads(nb_json_str(r.data, "redrive") ? nb_json_str(r.data, "redrive") : "", 0, NULL);
        const char *dlq = nb_json_str(policy, "deadLetterTargetArn");
        if (dlq) {
            char *message = protocol_message(r.data);
            char *body = message ? row_body(&r, message) : NULL;
            if (body == NULL || sqs_send(&r, dlq, body, ignore_result, NULL) != 0)
                nb_log(sns.self, NB_LOG_WARN, "cannot move a failed delivery to %s", dlq);
            free(message);
            free(body);
        }
        json_decref(policy);
        json_decref(r.data);
    }
    sqlite3_reset(s);
}

static void drain_cb(nb_timer_t *timer, void *data) {
    (void)data;
    nb_timer_stop(timer);
    dl.timer = NULL;
    for (size_t i = 0; i < dl.failed.n; i++)
        redrive(dl.failed.ids[i]);
    for (size_t i = 0; i < dl.failed.n; i++)
        (void)row_delete(dl.failed.ids[i]);
    for (size_t i = 0; i < dl.done.n; i++)
        (void)row_delete(dl.done.ids[i]);
    dl.failed.n = dl.done.n = 0;

    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT id, account, region, sub_arn, data FROM outbox WHERE id > ?1 "
                                                "ORDER BY id LIMIT 256");
    if (s == NULL)
        return;
    sqlite3_bind_int64(s, 1, dl.dispatched_upto);
    /* read first: dispatching writes (records, removals) while this statement steps would see them;
     * kept as C strings, not a JSON array of rows (packing each row cost as much as parsing it) */
    row_t rows[DRAIN_BATCH];
    size_t n = 0;
    while (n < DRAIN_BATCH && sqlite3_step(s) == SQLITE_ROW) {
        const char *text[3];
        size_t len[3], total = 0;
        for (int c = 0; c < 3; c++) {
            text[c] = (const char *)sqlite3_column_text(s, c + 1);
            len[c] = text[c] ? (size_t)sqlite3_column_bytes(s, c + 1) : 0;
            total += len[c] + 1;
        }
        char *copy = malloc(total);
        if (copy == NULL)
            break; /* the rest go out on the next drain */
        char *p = copy;
        const char **field[3] = {&rows[n].account, &rows[n].region, &rows[n].sub_arn};
        for (int c = 0; c < 3; c++) {
            memcpy(p, text[c] ? text[c] : "", len[c]);
            p[len[c]] = '\0';
            *field[c] = p;
            p += len[c] + 1;
        }
        rows[n].id = sqlite3_column_int64(s, 0);
        rows[n].data = sns_json_column(s, 4);
        n++;
    }
    sqlite3_reset(s);
    for (size_t i = 0; i < n; i++) {
        dl.dispatched_upto = rows[i].id;
        if (dispatch(&rows[i]))
            (void)row_delete(rows[i].id);
    }
    if (n == DRAIN_BATCH || dl.failed.n > 0)
        sns_drain_schedule();
    for (size_t i = 0; i < n; i++) {
        free((char *)rows[i].account); /* the block of the three strings */
        json_decref(rows[i].data);
    }
}
