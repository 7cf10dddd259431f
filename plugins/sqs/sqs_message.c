/* Messages: send, receive (with long polls), delete, visibility, purge, redrive. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "sqs_deadline.h"
#include "sqs_plugin.h"

/* ------------------------------------------------------------- helpers */

/* An AWS-style error for one entry of a batch, or for the whole request. */
typedef struct {
    const char *code; /* NULL: none */
    char msg[512];
} sqs_err_t;

static void err_set(sqs_err_t *e, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err_set(sqs_err_t *e, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
}

/* Answers e as the request's error: its status comes from the spec, or the core's common errors
 * (InvalidParameterValue, MissingParameter, InternalError). */
static nb_result_t err_answer(nb_req_t *req, const sqs_err_t *e) { return nb_error(req, e->code, "%s", e->msg); }

static json_t *batch_error(const char *id, const sqs_err_t *e) {
    return json_pack("{s:s,s:b,s:s,s:s}", "Id", id, "SenderFault", 1, "Code", e->code, "Message", e->msg);
}

/* Stored message attributes: BinaryValue as base64, so the text is valid JSON. */
static char *attrs_store_text(const json_t *attrs) {
    if (json_object_size(attrs) == 0)
        return NULL;
    json_t *copy = json_object();
    const char *k;
    json_t *a;
    json_object_foreach((json_t *)attrs, k, a) {
        json_t *c = json_object();
        json_object_set(c, "DataType", json_object_get(a, "DataType"));
        json_t *sv = json_object_get(a, "StringValue"), *bv = json_object_get(a, "BinaryValue");
        if (sv)
            json_object_set(c, "StringValue", sv);
        if (json_is_string(bv)) {
            size_t n = json_string_length(bv);
            char *b64 = malloc(NB_BASE64_SIZE(n));
            if (b64) {
                nb_base64_encode(json_string_value(bv), n, 0, b64, NB_BASE64_SIZE(n));
                json_object_set_new(c, "BinaryValue", json_string(b64));
            }
            free(b64);
        }
        json_object_set_new(copy, k, c);
    }
    char *text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return text;
}

static json_t *attrs_from_store(const char *text) {
    json_t *attrs = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(attrs)) {
        json_decref(attrs);
        return NULL;
    }
    const char *k;
    json_t *a;
    json_object_foreach(attrs, k, a) {
        const char *b64 = nb_json_str(a, "BinaryValue");
        if (b64 == NULL)
            continue;
        size_t len = strlen(b64);
        char *raw = malloc(NB_BASE64_DECODED_SIZE(len));
        if (raw == NULL)
            continue;
        ssize_t n = nb_base64_decode(b64, len, 0, raw, NB_BASE64_DECODED_SIZE(len));
        json_object_set_new(a, "BinaryValue", json_stringn_nocheck(raw, n < 0 ? 0 : (size_t)n));
        free(raw);
    }
    return attrs;
}

static double now_s(void) { return nb_now(); }

static int64_t ms(double t) { return (int64_t)(t * 1000.0); }

/* -------------------------------------------------------------- counts */

int64_t sqs_count(sqs_queue_t *q, int kind) {
    static const char *const sql[] = {
        "SELECT COUNT(*) FROM messages WHERE qid = ?1 AND visible <= ?2",
        "SELECT COUNT(*) FROM messages WHERE qid = ?1 AND visible > ?2 AND receives > 0",
        "SELECT COUNT(*) FROM messages WHERE qid = ?1 AND visible > ?2 AND receives = 0",
    };
    sqlite3_stmt *s = nb_store_stmt(&sqs.store, sql[kind]);
    if (s == NULL)
        return 0;
    sqlite3_bind_int64(s, 1, q->qid);
    sqlite3_bind_double(s, 2, now_s());
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return n;
}

void sqs_expire(sqs_queue_t *q) {
    sqlite3_stmt *s = nb_store_stmt(&sqs.store, "DELETE FROM messages WHERE qid = ?1 AND sent < ?2");
    if (s) {
        sqlite3_bind_int64(s, 1, q->qid);
        sqlite3_bind_double(s, 2, now_s() - q->retention);
        nb_store_run(s);
    }
    s = nb_store_stmt(&sqs.store, "DELETE FROM _dedup WHERE expires < ?1");
    if (s) {
        sqlite3_bind_double(s, 1, now_s());
        nb_store_run(s);
    }
}

/* ---------------------------------------------------------- long polls */

/* Kept small: 10,000 receivers may wait together. */
struct sqs_waiter {
    sqs_waiter_t *prev, *next;
    sqs_queue_t *q;
    nb_req_t *req;
    sqs_deadline_t deadline; /* in the plugin's one deadline heap, not a timer of its own */
    int max, vt;
    json_t *sysnames, *attrnames; /* NULL when none asked for */
};

static void waiter_unlink(sqs_waiter_t *w) {
    sqs_queue_t *q = w->q;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->whead = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->wtail = w->prev;
    w->prev = w->next = NULL;
    if (q->whead == NULL && q->wake) { /* nobody left to wake */
        nb_timer_stop(q->wake);
        q->wake = NULL;
    }
}

static void waiter_free(sqs_waiter_t *w) {
    sqs_deadline_remove(&w->deadline);
    json_decref(w->sysnames);
    json_decref(w->attrnames);
    free(w);
}

/* Answers a waiter with messages (may be empty) and frees it. */
static void waiter_finish(sqs_waiter_t *w, json_t *messages) {
    waiter_unlink(w);
    json_t *out = json_object();
    if (messages && json_array_size(messages))
        json_object_set(out, "Messages", messages);
    nb_req_t *req = w->req;
    waiter_free(w);
    nb_reply_new(req, out);
    nb_finish(req);
}

void sqs_waiters_cancel(sqs_queue_t *q) {
    while (q->whead)
        waiter_finish(q->whead, NULL);
    if (q->wake) {
        nb_timer_stop(q->wake);
        q->wake = NULL;
    }
}

static void waiter_aborted(nb_req_t *req, void *data) {
    sqs_waiter_t *w = data;
    waiter_unlink(w);
    waiter_free(w);
    nb_finish(req);
}

/* ------------------------------------------------------------- receive */

typedef struct {
    int max, vt;
    const json_t *sysnames, *attrnames;
} recv_params_t;

static bool sys_wanted(const json_t *names, const char *name) {
    size_t i;
    json_t *n;
    json_array_foreach((json_t *)names, i, n) {
        const char *s = json_string_value(n);
        if (s && (strcmp(s, "All") == 0 || strcmp(s, name) == 0))
            return true;
    }
    return false;
}

static void put_num(json_t *o, const char *k, int64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    json_object_set_new(o, k, json_string(buf));
}

/* Moves one message (by row) to the queue dst, as redrive does. */
static int move_row(int64_t seq, sqs_queue_t *src, sqs_queue_t *dst, bool record_source) {
    sqlite3_stmt *s = nb_store_stmt(&sqs.store,
        "INSERT INTO messages(seq, account, region, qid, id, body, attrs, sysattrs, md5_body, md5_attrs, md5_sys, sent,"
        " visible, receives, first_receive, grp, dedup, seqno, src_arn) SELECT ?7, ?2, ?3, ?4, id, body, attrs, sysattrs,"
        " md5_body, md5_attrs, md5_sys, sent, ?5, 0, NULL, grp, dedup, seqno, COALESCE(?6, src_arn)"
        " FROM messages WHERE seq = ?1");
    int64_t new_seq = sqs_seq_take();
    if (s == NULL || new_seq < 0)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 7, new_seq);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_text(s, 2, dst->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, dst->region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, dst->qid);
    sqlite3_bind_double(s, 5, now_s());
    if (record_source)
        sqlite3_bind_text(s, 6, src->arn, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 6);
    if (nb_store_run(s) != 0)
        return NB_ESTORE;
    s = nb_store_stmt(&sqs.store, "DELETE FROM messages WHERE seq = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, seq);
    return nb_store_run(s);
}

static void schedule_wake(sqs_queue_t *q);
static void wake_at(sqs_queue_t *q, double at);

/* The system attributes of the message in row s that sysnames asks for, into sys. */
static void add_sys_attributes(const sqs_queue_t *q, sqlite3_stmt *s, const json_t *sysnames, int64_t receives,
                               json_t *sys) {
    if (sys_wanted(sysnames, "SenderId"))
        json_object_set_new(sys, "SenderId", json_string(q->account));
    if (sys_wanted(sysnames, "SentTimestamp"))
        put_num(sys, "SentTimestamp", ms(sqlite3_column_double(s, 5)));
    if (sys_wanted(sysnames, "ApproximateReceiveCount"))
        put_num(sys, "ApproximateReceiveCount", receives);
    if (sys_wanted(sysnames, "ApproximateFirstReceiveTimestamp") && sqlite3_column_type(s, 7) != SQLITE_NULL)
        put_num(sys, "ApproximateFirstReceiveTimestamp", ms(sqlite3_column_double(s, 7)));
    if (q->fifo) {
        if (sys_wanted(sysnames, "SequenceNumber") && sqlite3_column_text(s, 10))
            json_object_set_new(sys, "SequenceNumber", json_string((const char *)sqlite3_column_text(s, 10)));
        if (sys_wanted(sysnames, "MessageDeduplicationId") && sqlite3_column_text(s, 9))
            json_object_set_new(sys, "MessageDeduplicationId", json_string((const char *)sqlite3_column_text(s, 9)));
        if (sys_wanted(sysnames, "MessageGroupId") && sqlite3_column_text(s, 8))
            json_object_set_new(sys, "MessageGroupId", json_string((const char *)sqlite3_column_text(s, 8)));
    }
    if (sys_wanted(sysnames, "DeadLetterQueueSourceArn") && sqlite3_column_text(s, 11))
        json_object_set_new(sys, "DeadLetterQueueSourceArn", json_string((const char *)sqlite3_column_text(s, 11)));
    if (sys_wanted(sysnames, "AWSTraceHeader") && sqlite3_column_text(s, 3)) {
        json_t *sa = json_loads((const char *)sqlite3_column_text(s, 3), 0, NULL);
        const char *th = nb_json_str(json_object_get(sa, "AWSTraceHeader"), "StringValue");
        if (th)
            json_object_set_new(sys, "AWSTraceHeader", json_string(th));
        json_decref(sa);
    }
}

json_t *sqs_message_json(const sqs_queue_t *q, sqlite3_stmt *s, const json_t *sysnames, const json_t *attrnames,
                         const char *receipt) {
    int64_t receives = sqlite3_column_int64(s, 6);
    /* set member by member, not json_pack'd: its format is parsed again at every call; the ids,
     * handle and digest are ASCII we made, the body is checked as UTF-8 */
    const char *body = (const char *)sqlite3_column_text(s, 1);
    json_t *m = json_object(), *bodyv = body ? json_stringn(body, (size_t)sqlite3_column_bytes(s, 1)) : NULL;
    if (m == NULL || bodyv == NULL || sqlite3_column_text(s, 0) == NULL || sqlite3_column_text(s, 4) == NULL) {
        json_decref(m);
        json_decref(bodyv);
        return NULL;
    }
    json_object_set_new_nocheck(m, "MessageId", json_string_nocheck((const char *)sqlite3_column_text(s, 0)));
    json_object_set_new_nocheck(m, "ReceiptHandle", json_string_nocheck(receipt));
    json_object_set_new_nocheck(m, "MD5OfBody", json_string_nocheck((const char *)sqlite3_column_text(s, 4)));
    json_object_set_new_nocheck(m, "Body", bodyv);
    /* most receives ask for no system attribute: no object made and dropped, no name looked up */
    json_t *sys = json_array_size(sysnames) ? json_object() : NULL;
    if (sys != NULL)
        add_sys_attributes(q, s, sysnames, receives, sys);
    if (json_object_size(sys))
        json_object_set_new(m, "Attributes", sys);
    else
        json_decref(sys);
    if (json_array_size(attrnames) && sqlite3_column_text(s, 2)) {
        json_t *all = attrs_from_store((const char *)sqlite3_column_text(s, 2));
        json_t *sel = json_object();
        const char *k;
        json_t *a;
        json_object_foreach(all, k, a) if (sqs_attribute_selected(attrnames, k)) json_object_set(sel, k, a);
        char md5[33];
        if (sqs_attributes_md5(sel, md5)) {
            json_object_set_new(m, "MD5OfMessageAttributes", json_string(md5));
            json_object_set_new(m, "MessageAttributes", sel);
        } else {
            json_decref(sel);
        }
        json_decref(all);
    }
    return m;
}

/* The columns of a message as a receive answers it: SQS_MESSAGE_COLUMNS with the receive count
 * and first receive time the receive's update gives them (?2 is now). */
#define TAKEN_COLUMNS                                                                                          \
    "id, body, attrs, sysattrs, md5_body, sent, receives + 1, COALESCE(first_receive, ?2), grp, dedup, seqno," \
    " src_arn"

/* The reply entry of the message in row s (TAKEN_COLUMNS first), with a new receipt handle. */
static json_t *taken_entry(sqs_queue_t *q, int64_t seq, sqlite3_stmt *s, const recv_params_t *p) {
    char *rh = sqs_receipt_new(q->qid, seq, sqlite3_column_int64(s, 6));
    json_t *m = sqs_message_json(q, s, p->sysnames, p->attrnames, rh ? rh : "");
    free(rh);
    return m;
}

/* Takes one message: new visibility, receive count, and its reply entry m, read beforehand (NULL:
 * read here). The update has no RETURNING: SQLite answers RETURNING through a temporary table it
 * opens and closes per statement, which cost more than reading the row first. */
static int take_row(sqs_queue_t *q, int64_t seq, const recv_params_t *p, double now, json_t *m, json_t *out) {
    sqlite3_stmt *s;
    if (m == NULL) {
        s = nb_store_stmt(&sqs.store, "SELECT " TAKEN_COLUMNS " FROM messages WHERE seq = ?1");
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_int64(s, 1, seq);
        sqlite3_bind_double(s, 2, now);
        if (sqlite3_step(s) != SQLITE_ROW) {
            sqlite3_reset(s);
            return NB_ESTORE;
        }
        m = taken_entry(q, seq, s, p);
        sqlite3_reset(s);
        if (m == NULL)
            return NB_ENOMEM;
    }
    s = nb_store_stmt(&sqs.store,
        "UPDATE messages SET receives = receives + 1, first_receive = COALESCE(first_receive, ?2), last_receive = ?2,"
        " visible = ?3 WHERE seq = ?1");
    if (s == NULL) {
        json_decref(m);
        return NB_ESTORE;
    }
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_double(s, 2, now);
    sqlite3_bind_double(s, 3, now + p->vt);
    if (nb_store_run(s) != 0) {
        json_decref(m);
        return NB_ESTORE;
    }
    wake_at(q, now + p->vt); /* others waiting see it again then */
    json_array_append_new(out, m);
    return 0;
}

#define CAND_MAX 64

/* Receives up to p->max messages into out; returns how many, or < 0. */
static int receive(sqs_queue_t *q, const recv_params_t *p, json_t *out) {
    double now = now_s();
    sqs_queue_t *dlq = q->max_receive > 0 ? sqs_queue_by_arn(q->dlq_arn) : NULL;
    int taken = 0;
    int64_t taken_seq[16];
    /* AWS's cap on messages in flight; the hint only grows between exact counts */
    if (q->inflight_hint + p->max > SQS_MAX_INFLIGHT) {
        q->inflight_hint = sqs_count(q, 1);
        if (q->inflight_hint + 1 > SQS_MAX_INFLIGHT)
            return SQS_OVERLIMIT;
    }
    for (int round = 0; round < 32 && taken < p->max; round++) {
        int64_t cand[CAND_MAX];
        json_t *entry[CAND_MAX] = {NULL}; /* a candidate's reply entry when its row was read already */
        int ncand = 0, moved = 0;
        int64_t expire[CAND_MAX], redrive[CAND_MAX];
        int nexp = 0, nred = 0;
        if (!q->fifo) {
            /* the candidates' rows are read here, once: their entries are built as they come */
            sqlite3_stmt *s = nb_store_stmt(&sqs.store,
                "SELECT " TAKEN_COLUMNS ", seq, receives, sent FROM messages WHERE qid = ?1 AND visible <= ?3"
                " ORDER BY visible, seq LIMIT ?4");
            if (s == NULL)
                return NB_ESTORE;
            sqlite3_bind_int64(s, 1, q->qid);
            sqlite3_bind_double(s, 2, now);
            sqlite3_bind_double(s, 3, now);
            sqlite3_bind_int(s, 4, p->max - taken + taken + 8);
            while (ncand + nexp + nred < CAND_MAX && ncand < p->max - taken && sqlite3_step(s) == SQLITE_ROW) {
                int64_t seq = sqlite3_column_int64(s, 12);
                bool dup = false;
                for (int i = 0; i < taken; i++)
                    dup = dup || taken_seq[i] == seq;
                if (dup)
                    continue;
                if (sqlite3_column_double(s, 14) + q->retention < now) {
                    expire[nexp++] = seq;
                } else if (dlq && sqlite3_column_int64(s, 13) >= q->max_receive) {
                    redrive[nred++] = seq;
                } else {
                    if ((entry[ncand] = taken_entry(q, seq, s, p)) == NULL) {
                        sqlite3_reset(s);
                        for (int i = 0; i < ncand; i++)
                            json_decref(entry[i]);
                        return NB_ENOMEM;
                    }
                    cand[ncand++] = seq;
                }
            }
            sqlite3_reset(s);
        } else {
            /* A group with a message in flight (or delayed) is locked; order within a group is kept. */
            json_t *locked = json_object();
            sqlite3_stmt *s = nb_store_stmt(&sqs.store,
                "SELECT seq, receives, sent, grp, visible FROM messages WHERE qid = ?1 AND grp IS NOT NULL ORDER BY seq");
            if (s == NULL) {
                json_decref(locked);
                return NB_ESTORE;
            }
            sqlite3_bind_int64(s, 1, q->qid);
            while (ncand < p->max - taken && nexp + nred < CAND_MAX - 16 && sqlite3_step(s) == SQLITE_ROW) {
                int64_t seq = sqlite3_column_int64(s, 0);
                const char *grp = (const char *)sqlite3_column_text(s, 3);
                bool dup = false;
                for (int i = 0; i < taken; i++)
                    dup = dup || taken_seq[i] == seq;
                if (sqlite3_column_double(s, 4) > now || dup) {
                    json_object_set_new(locked, grp, json_true());
                    continue;
                }
                if (json_object_get(locked, grp))
                    continue;
                if (sqlite3_column_double(s, 2) + q->retention < now)
                    expire[nexp++] = seq;
                else if (dlq && sqlite3_column_int64(s, 1) >= q->max_receive)
                    redrive[nred++] = seq;
                else
                    cand[ncand++] = seq;
            }
            sqlite3_reset(s);
            json_decref(locked);
        }
        int rc = 0;
        for (int i = 0; i < nexp && rc == 0; i++) {
            sqlite3_stmt *d = nb_store_stmt(&sqs.store, "DELETE FROM messages WHERE seq = ?1");
            if (d == NULL) {
                rc = NB_ESTORE;
                break;
            }
            sqlite3_bind_int64(d, 1, expire[i]);
            nb_store_run(d);
        }
        for (int i = 0; i < nred && rc == 0; i++)
            if (move_row(redrive[i], q, dlq, true) != 0)
                rc = NB_ESTORE;
        if (nred && rc == 0)
            schedule_wake(dlq);
        moved = nexp + nred;
        for (int i = 0; i < ncand; i++) {
            if (rc == 0 && taken < p->max) {
                rc = take_row(q, cand[i], p, now, entry[i], out); /* takes the entry, even failing */
                if (rc == 0) {
                    taken_seq[taken++] = cand[i];
                    q->inflight_hint++;
                }
            } else {
                json_decref(entry[i]);
            }
        }
        if (rc != 0)
            return rc;
        if (moved == 0)
            break;
    }
    return taken;
}

/* The members of a ReceiveMessage, read once (RECV_*: their places in recv_members). */
static const char *const recv_members[] = {"MaxNumberOfMessages",   "VisibilityTimeout",
                                           "WaitTimeSeconds",       "AttributeNames",
                                           "MessageSystemAttributeNames", "MessageAttributeNames",
                                           "ReceiveRequestAttemptId"};
enum { RECV_MAX, RECV_VT, RECV_WAIT, RECV_ATTRS, RECV_SYS_ATTRS, RECV_MSG_ATTRS, RECV_ATTEMPT, RECV_N };

static bool check_receive(nb_req_t *req, sqs_queue_t *q, const json_t *const in[RECV_N], recv_params_t *p,
                          int *wait) {
    const json_t *v = in[RECV_MAX];
    p->max = v ? (int)json_integer_value(v) : 1;
    if (v && (json_integer_value(v) < 1 || json_integer_value(v) > 10)) {
        nb_error_code(req, "InvalidParameterValue", 400,
                      "Value %" JSON_INTEGER_FORMAT " for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
                      json_integer_value(v));
        return false;
    }
    v = in[RECV_VT];
    p->vt = v ? (int)json_integer_value(v) : q->visibility;
    if (v && (json_integer_value(v) < 0 || json_integer_value(v) > 43200)) {
        nb_error_code(req, "InvalidParameterValue", 400,
                      "Value %" JSON_INTEGER_FORMAT " for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.",
                      json_integer_value(v));
        return false;
    }
    v = in[RECV_WAIT];
    *wait = v ? (int)json_integer_value(v) : q->wait;
    if (v && (json_integer_value(v) < 0 || json_integer_value(v) > 20)) {
        nb_error_code(req, "InvalidParameterValue", 400,
                      "Value %" JSON_INTEGER_FORMAT " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
                      json_integer_value(v));
        return false;
    }
    return true;
}

static void waiter_retry(sqs_waiter_t *w, bool timed_out);

static void waiter_expired(sqs_deadline_t *d) {
    sqs_waiter_t *w = (sqs_waiter_t *)((char *)d - offsetof(sqs_waiter_t, deadline));
    waiter_retry(w, false);
}

/* A waiter's deadline is in the deadline heap; the queue's wake timer (wake_at) covers
 * the times in between when a message becomes visible. Out of memory for the heap's
 * room: it is answered (empty) now rather than never. */
static void waiter_arm(sqs_waiter_t *w) {
    if (sqs_deadline_add(&w->deadline) != 0)
        waiter_finish(w, NULL);
}

/* Tries a waiter's receive outside any request transaction; answers it when it got
 * messages or its time is up. Returns whether it got messages. */
static bool waiter_try(sqs_waiter_t *w) {
    recv_params_t p = {w->max, w->vt, w->sysnames, w->attrnames};
    json_t *msgs = json_array();
    sqlite3 *db = sqs.store.db;
    nb_store_savepoint(db, "sqs_wait");
    int n = receive(w->q, &p, msgs);
    if (n < 0) {
        nb_store_rollback_to(db, "sqs_wait");
        sqs_seq_load(); /* a redrive's block of numbers may have gone with it */
    }
    else
        nb_store_release(db, "sqs_wait");
    bool got = n > 0;
    if (got)
        waiter_finish(w, msgs);
    json_decref(msgs);
    return got;
}

static void waiter_retry(sqs_waiter_t *w, bool timed_out) {
    if (waiter_try(w))
        return;
    if (timed_out || now_s() >= w->deadline.at - 0.001)
        waiter_finish(w, NULL);
    else
        waiter_arm(w);
}

static void wake_rearm(sqs_queue_t *q, double tried);

static void wake_cb(nb_timer_t *t, void *data) {
    sqs_queue_t *q = data;
    nb_timer_stop(t);
    q->wake = NULL;
    double tried = now_s(); /* the receives below see what is visible from here on */
    /* oldest waiter first; stop at the first that finds nothing */
    while (q->whead && waiter_try(q->whead))
        ;
    /* the rest wait on: look again when the next message becomes visible */
    if (q->whead)
        wake_rearm(q, tried);
}

/*
 * Runs the queue's waiters at time `at` (now: on the next loop turn, after the
 * sender's commit). One timer a queue, at the earliest time asked for while it has
 * waiters: a send (its DelaySeconds), a receive (its visibility timeout), a
 * visibility change, a FIFO delete or a redrive each ask for theirs, and a queue
 * that gets its first waiter, or whose waiters found nothing, asks the store
 * (wake_rearm). A waiter's own timer is only its deadline, so the cost of a
 * wake-up does not grow with the number of waiters.
 */
static void wake_at(sqs_queue_t *q, double at) {
    if (q == NULL || q->whead == NULL || (q->wake && q->wake_at <= at))
        return;
    if (q->wake)
        nb_timer_stop(q->wake);
    double delay_ms = (at - now_s()) * 1000.0;
    q->wake_at = at;
    /* a millisecond late rather than early: early finds the message still hidden */
    q->wake = nb_timer_start(sqs.self, delay_ms > 0 ? (uint64_t)delay_ms + 1 : 0, 0, wake_cb, q);
}

static void schedule_wake(sqs_queue_t *q) { wake_at(q, now_s()); }

/* Arms the wake-up for the next time one of q's messages becomes visible after `tried`, the
 * time taken just before the receive that found nothing: a message that became visible
 * between that receive and this query wakes the waiters at once. Measured from now instead,
 * it fell between the two and nothing was armed (the waiter then slept to its deadline: a
 * wake timer fires up to a loop turn early, so the retries crowd around `visible`). Messages
 * visible before `tried` yet not received (their FIFO group in flight) wake nobody. */
static void wake_rearm(sqs_queue_t *q, double tried) {
    sqlite3_stmt *s = nb_store_stmt(&sqs.store, "SELECT MIN(visible) FROM messages WHERE qid = ?1 AND visible > ?2");
    if (s == NULL)
        return;
    sqlite3_bind_int64(s, 1, q->qid);
    sqlite3_bind_double(s, 2, tried);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        wake_at(q, sqlite3_column_double(s, 0));
    sqlite3_reset(s);
}

nb_result_t sqs_receive_message(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    recv_params_t p;
    int wait;
    const json_t *members[RECV_N];
    sqs_json_members(in, recv_members, members, RECV_N);
    if (!check_receive(req, q, members, &p, &wait))
        return NB_DONE;
    /* NULL when no system attribute is asked for (most receives): no array made and dropped */
    json_t *sysnames = NULL;
    if (json_array_size(members[RECV_ATTRS]) || json_array_size(members[RECV_SYS_ATTRS])) {
        sysnames = json_array();
        json_array_extend(sysnames, (json_t *)members[RECV_ATTRS]);
        json_array_extend(sysnames, (json_t *)members[RECV_SYS_ATTRS]);
    }
    p.sysnames = sysnames;
    p.attrnames = members[RECV_MSG_ATTRS];
    /* FIFO: a retried receive (same ReceiveRequestAttemptId within 5 minutes) gets the same answer */
    const char *attempt = q->fifo ? json_string_value(members[RECV_ATTEMPT]) : NULL;
    if (attempt) {
        double now = now_s();
        const char *k;
        void *tmp;
        json_t *a;
        json_object_foreach_safe(q->attempts, tmp, k, a) if (json_real_value(json_object_get(a, "expires")) < now)
            json_object_del(q->attempts, k);
        json_t *seen = json_object_get(q->attempts, attempt);
        if (seen) {
            json_decref(sysnames);
            return nb_reply_new(req, json_deep_copy(json_object_get(seen, "output")));
        }
    }
    json_t *msgs = json_array();
    double tried = now_s();
    int n = receive(q, &p, msgs);
    if (n < 0) {
        json_decref(msgs);
        json_decref(sysnames);
        if (n == SQS_OVERLIMIT)
            return nb_error(req, "OverLimit", "Too many messages in flight: the queue holds %d (the maximum).",
                            SQS_MAX_INFLIGHT);
        return NB_FAILED(n);
    }
    if (n == 0 && wait > 0 && !sqs.stopping) {
        sqs_waiter_t *w = calloc(1, sizeof *w);
        if (w == NULL) {
            json_decref(msgs);
            json_decref(sysnames);
            return NB_FAILED(NB_ENOMEM);
        }
        w->q = q;
        w->req = req;
        w->deadline.at = now_s() + wait;
        w->max = p.max;
        w->vt = p.vt;
        w->sysnames = json_array_size(sysnames) ? sysnames : NULL;
        if (w->sysnames == NULL)
            json_decref(sysnames);
        w->attrnames = json_incref((json_t *)p.attrnames);
        w->deadline.expired = waiter_expired;
        if (sqs_deadline_add(&w->deadline) != 0) {
            waiter_free(w);
            json_decref(msgs);
            return NB_FAILED(NB_ENOMEM);
        }
        w->prev = q->wtail;
        if (q->wtail)
            q->wtail->next = w;
        else
            q->whead = w;
        q->wtail = w;
        nb_req_on_abort(req, waiter_aborted, w);
        if (q->wake == NULL) /* else it is set for the next visible message already */
            wake_rearm(q, tried);
        json_decref(msgs);
        return NB_ASYNC;
    }
    json_decref(sysnames);
    json_t *out = json_object();
    if (n > 0)
        json_object_set(out, "Messages", msgs);
    json_decref(msgs);
    if (attempt && n > 0) {
        if (q->attempts == NULL)
            q->attempts = json_object();
        json_object_set_new(q->attempts, attempt,
                            json_pack("{s:f,s:o}", "expires", now_s() + SQS_DEDUP_WINDOW, "output", json_deep_copy(out)));
    }
    return nb_reply_new(req, out);
}

/* ---------------------------------------------------------------- send */

/* A FIFO send names its group, and its deduplication id unless the queue deduplicates by
 * content. In a batch, an entry without one fails the whole request, as AWS answers it. */
static bool fifo_id_missing(const sqs_queue_t *q, const json_t *e, sqs_err_t *err) {
    if (nb_json_str(e, "MessageGroupId") == NULL) {
        err_set(err, "MissingParameter", "The request must contain the parameter MessageGroupId.");
        return true;
    }
    if (nb_json_str(e, "MessageDeduplicationId") == NULL && !q->cbd) {
        err_set(err, "InvalidParameterValue",
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
                "provided explicitly");
        return true;
    }
    return false;
}

/* What a send (SendMessage, or a batch's entry) carries, read from its members once. */
typedef struct {
    const json_t *entry;
    const char *body;
    size_t blen;
    const json_t *attrs, *sys, *delay;
    const char *grp, *dedup;
} send_in_t;

static void send_in_read(const json_t *e, send_in_t *in) {
    static const char *const names[] = {"MessageBody", "MessageAttributes", "MessageSystemAttributes",
                                        "DelaySeconds", "MessageGroupId", "MessageDeduplicationId"};
    const json_t *v[6];
    sqs_json_members(e, names, v, 6);
    *in = (send_in_t){.entry = e, .body = json_string_value(v[0]), .blen = json_string_length(v[0]),
                      .attrs = v[1], .sys = v[2], .delay = v[3], .grp = json_string_value(v[4]),
                      .dedup = json_string_value(v[5])};
}

static bool check_send(sqs_queue_t *q, const send_in_t *in, size_t *size, sqs_err_t *err) {
    size_t blen = in->blen;
    const json_t *delay = in->delay;
    const char *grp = in->grp, *dedup = in->dedup;
    if (in->body == NULL || blen == 0) {
        err_set(err, "MissingParameter", "The request must contain the parameter MessageBody.");
        return false;
    }
    size_t abytes = 0;
    if (!sqs_message_attributes_check(in->attrs, &abytes, err->msg, sizeof err->msg)) {
        err->code = "InvalidParameterValue";
        return false;
    }
    *size = blen + abytes;
    if (blen + abytes > (size_t)q->max_size) {
        err_set(err, "InvalidParameterValue",
                "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q->max_size);
        return false;
    }
    if (!sqs_body_chars_valid(in->body, blen)) {
        err_set(err, "InvalidMessageContents",
                "Invalid characters found. The set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | "
                "#xE000 to #xFFFD | #x10000 to #x10FFFF");
        return false;
    }
    if (delay && (json_integer_value(delay) < 0 || json_integer_value(delay) > 900)) {
        err_set(err, "InvalidParameterValue",
                "Value %" JSON_INTEGER_FORMAT " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 "
                "and <= 900.",
                json_integer_value(delay));
        return false;
    }
    const char *k;
    json_t *a;
    json_object_foreach((json_t *)in->sys, k, a) {
        if (strcmp(k, "AWSTraceHeader") != 0 || strcmp(nb_json_str(a, "DataType") ?: "", "String") != 0 ||
            nb_json_str(a, "StringValue") == NULL) {
            err_set(err, "InvalidParameterValue", "Message system attribute name '%s' is invalid.", k);
            return false;
        }
    }
    /* both ids: 1-128 letters, digits, punctuation (a standard queue takes a MessageGroupId too) */
    const char *bad_name = grp && !sqs_fifo_id_valid(grp)                 ? "MessageGroupId"
                           : q->fifo && dedup && !sqs_fifo_id_valid(dedup) ? "MessageDeduplicationId"
                                                                           : NULL;
    if (bad_name) {
        err_set(err, "InvalidParameterValue",
                "Value %.200s for parameter %s is invalid. Reason: %s can only include alphanumeric and punctuation "
                "characters. 1 to 128 in length.",
                strcmp(bad_name, "MessageGroupId") == 0 ? grp : dedup, bad_name, bad_name);
        return false;
    }
    if (q->fifo) {
        if (fifo_id_missing(q, in->entry, err))
            return false;
        if (delay && json_integer_value(delay) != 0) {
            err_set(err, "InvalidParameterValue",
                    "Value %" JSON_INTEGER_FORMAT " for parameter DelaySeconds is invalid. Reason: The request include "
                    "parameter that is not valid for this queue type.",
                    json_integer_value(delay));
            return false;
        }
    } else if (dedup) {
        err_set(err, "InvalidParameterValue",
                "Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter "
                "that is not valid for this queue type.",
                dedup);
        return false;
    }
    return true;
}

/* Stores one checked message; *result is the reply entry (MessageId, checksums, ...). */
static int enqueue(nb_req_t *req, sqs_queue_t *q, const send_in_t *in, json_t **result) {
    const char *body = in->body;
    size_t blen = in->blen;
    const json_t *attrs = in->attrs;
    const json_t *sys = in->sys;
    const json_t *delayv = in->delay;
    const char *grp = in->grp;
    const char *dedup = in->dedup;
    char md5_body[33], md5_attrs[33], md5_sys[33], id[37], seqno[24] = "";
    sqs_md5_hex(body, blen, md5_body);
    bool has_attrs = sqs_attributes_md5(attrs, md5_attrs);
    bool has_sys = sqs_attributes_md5(sys, md5_sys);
    double now = now_s();
    char content_hash[65];
    if (q->fifo) {
        if (dedup == NULL) {
            unsigned char d[NB_DIGEST_MAX];
            nb_hex_encode(d, nb_digest(NB_DIGEST_SHA256, body, blen, d), 0, content_hash, sizeof content_hash);
            dedup = content_hash;
        }
        char key[300];
        snprintf(key, sizeof key, "%s%s%s", q->dedup_per_group ? grp : "", q->dedup_per_group ? "\n" : "", dedup);
        sqlite3_stmt *s = nb_store_stmt(&sqs.store,
                                        "SELECT message_id, seqno FROM _dedup WHERE qid = ?1 AND key = ?2 AND expires > ?3");
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_int64(s, 1, q->qid);
        sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(s, 3, now);
        if (sqlite3_step(s) == SQLITE_ROW) {
            /* a duplicate: acknowledged like the original, not enqueued */
            *result = json_pack("{s:s,s:s,s:s}", "MessageId", (const char *)sqlite3_column_text(s, 0),
                                "MD5OfMessageBody", md5_body, "SequenceNumber",
                                (const char *)sqlite3_column_text(s, 1) ?: "");
            sqlite3_reset(s);
            if (has_attrs)
                json_object_set_new(*result, "MD5OfMessageAttributes", json_string(md5_attrs));
            if (has_sys)
                json_object_set_new(*result, "MD5OfMessageSystemAttributes", json_string(md5_sys));
            return 0;
        }
        sqlite3_reset(s);
        q->fifo_seq++;
        snprintf(seqno, sizeof seqno, "%020" PRId64, q->fifo_seq);
        if (sqs_queue_save_meta(q) != 0)
            return NB_ESTORE;
        nb_uuid(id);
        s = nb_store_stmt(&sqs.store, "INSERT OR REPLACE INTO _dedup(qid, key, expires, message_id, seqno)"
                                      " VALUES(?1, ?2, ?3, ?4, ?5)");
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_int64(s, 1, q->qid);
        sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(s, 3, now + SQS_DEDUP_WINDOW);
        sqlite3_bind_text(s, 4, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 5, seqno, -1, SQLITE_TRANSIENT);
        if (nb_store_run(s) != 0)
            return NB_ESTORE;
    } else {
        nb_uuid(id);
    }
    int delay = delayv ? (int)json_integer_value(delayv) : q->delay;
    char *attrs_text = attrs_store_text(attrs);
    char *sys_text = json_object_size(sys) ? json_dumps(sys, JSON_COMPACT) : NULL;
    sqlite3_stmt *s = nb_store_stmt(&sqs.store,
        "INSERT INTO messages(account, region, qid, id, body, attrs, sysattrs, md5_body, md5_attrs, md5_sys, sent,"
        " visible, grp, dedup, seqno, seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
    int64_t seq = sqs_seq_take();
    if (s == NULL || seq < 0) {
        free(attrs_text);
        free(sys_text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, q->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, q->region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, q->qid);
    sqlite3_bind_text(s, 4, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, body, (int)blen, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, attrs_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, sys_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, md5_body, -1, SQLITE_STATIC);
    if (has_attrs)
        sqlite3_bind_text(s, 9, md5_attrs, -1, SQLITE_STATIC);
    if (has_sys)
        sqlite3_bind_text(s, 10, md5_sys, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 11, now);
    sqlite3_bind_double(s, 12, now + delay);
    sqlite3_bind_int64(s, 16, seq);
    if (q->fifo) {
        sqlite3_bind_text(s, 13, grp, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 14, dedup, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 15, seqno, -1, SQLITE_STATIC);
    }
    int rc = nb_store_run(s);
    free(attrs_text);
    free(sys_text);
    if (rc != 0)
        return rc;
    (void)req;
    *result = json_object();
    json_object_set_new_nocheck(*result, "MessageId", json_string_nocheck(id));
    json_object_set_new_nocheck(*result, "MD5OfMessageBody", json_string_nocheck(md5_body));
    if (has_attrs)
        json_object_set_new(*result, "MD5OfMessageAttributes", json_string(md5_attrs));
    if (has_sys)
        json_object_set_new(*result, "MD5OfMessageSystemAttributes", json_string(md5_sys));
    if (q->fifo)
        json_object_set_new(*result, "SequenceNumber", json_string(seqno));
    wake_at(q, now + delay);
    return 0;
}

nb_result_t sqs_send_message(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    sqs_err_t err = {0};
    size_t size;
    send_in_t send;
    send_in_read(in, &send);
    if (!check_send(q, &send, &size, &err))
        return err_answer(req, &err);
    json_t *result = NULL;
    int rc = enqueue(req, q, &send, &result);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, result);
}

/* Common checks of a batch's entries: count, ids. Answers the error and returns false. */
static bool check_batch(nb_req_t *req, const json_t *entries, const char *entry_name) {
    size_t n = json_array_size(entries);
    if (n == 0) {
        nb_error(req, "EmptyBatchRequest", "There should be at least one %s in the request.", entry_name);
        return false;
    }
    if (n > SQS_MAX_BATCH) {
        nb_error(req, "TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %zu.",
                 SQS_MAX_BATCH, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = nb_json_str(json_array_get(entries, i), "Id");
        if (!sqs_batch_id_valid(id)) {
            nb_error(req, "InvalidBatchEntryId",
                     "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be "
                     "at most 80 letters long.");
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(id, nb_json_str(json_array_get(entries, j), "Id")) == 0) {
                nb_error(req, "BatchEntryIdsNotDistinct", "Id %s repeated.", id);
                return false;
            }
    }
    return true;
}

/* ---- the batch walk: SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch */

/* Checks of the whole batch after its entries' ids, before any entry runs: go on, or stop with the
 * error set. */
typedef nb_step_t (*batch_check_fn)(nb_req_t *req, sqs_queue_t *q, const json_t *entries);
/* One entry: 0 it succeeded (*result: its Successful member without the Id, NULL for the Id alone),
 * 1 it failed (err: its Failed member), < 0 an NB_E* failure that ends the request. */
typedef int (*batch_entry_fn)(nb_req_t *req, sqs_queue_t *q, const json_t *entry, json_t **result, sqs_err_t *err);

/* The queue, the entries' count and ids, check (may be NULL), then each entry through one():
 * the answer is {Successful, Failed}. */
static nb_result_t batch_walk(nb_req_t *req, const json_t *in, const char *entry_name, batch_check_fn check,
                              batch_entry_fn one) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    const json_t *entries = json_object_get(in, "Entries");
    if (!check_batch(req, entries, entry_name))
        return NB_DONE;
    if (check)
        NB_TRY(check(req, q, entries));
    json_t *ok = json_array(), *failed = json_array(), *e;
    size_t i;
    json_array_foreach((json_t *)entries, i, e) {
        const char *id = nb_json_str(e, "Id");
        sqs_err_t err = {0};
        json_t *result = NULL;
        int rc = one(req, q, e, &result, &err);
        if (rc < 0) {
            json_decref(ok);
            json_decref(failed);
            return NB_FAILED(rc);
        }
        if (rc > 0) {
            json_array_append_new(failed, batch_error(id, &err));
            continue;
        }
        if (result == NULL)
            result = json_object();
        json_object_set_new(result, "Id", json_string(id));
        json_array_append_new(ok, result);
    }
    return nb_reply_new(req, json_pack("{s:o,s:o}", "Successful", ok, "Failed", failed));
}

/* The whole batch's size, and FIFO's group and deduplication ids, fail the request, not an entry. */
static nb_step_t send_batch_check(nb_req_t *req, sqs_queue_t *q, const json_t *entries) {
    size_t total = 0, i;
    json_t *e;
    json_array_foreach((json_t *)entries, i, e) {
        const json_t *b = json_object_get(e, "MessageBody");
        size_t ab = 0;
        char tmp[8];
        sqs_message_attributes_check(json_object_get(e, "MessageAttributes"), &ab, tmp, sizeof tmp);
        total += json_string_length(b) + ab;
    }
    if (total > SQS_MAX_MESSAGE_BYTES)
        return nb_stop(nb_error(req, "BatchRequestTooLong",
                                "Batch requests cannot be longer than %d bytes. You have sent %zu bytes.",
                                SQS_MAX_MESSAGE_BYTES, total));
    json_array_foreach((json_t *)entries, i, e) {
        sqs_err_t err = {0};
        if (q->fifo && fifo_id_missing(q, e, &err))
            return nb_stop(nb_error(req, err.code, "%s", err.msg));
    }
    return NB_GO_ON;
}

static int send_entry(nb_req_t *req, sqs_queue_t *q, const json_t *e, json_t **result, sqs_err_t *err) {
    size_t size;
    send_in_t send;
    send_in_read(e, &send);
    if (!check_send(q, &send, &size, err))
        return 1;
    return enqueue(req, q, &send, result);
}

nb_result_t sqs_send_message_batch(nb_req_t *req, const json_t *in) {
    return batch_walk(req, in, "SendMessageBatchRequestEntry", send_batch_check, send_entry);
}

/* ------------------------------------------------- delete and visibility */

/* The message row a receipt handle names in q: 1 found, 0 gone, < 0 not a handle of q.
 * *received: when it was last received (0 never). */
/* The message a receipt handle names: -1 if the handle is not one of this queue's, 0 if the
 * message is gone, 1 with its row. *issued_at is the receive count the handle was issued at
 * (a handle from an earlier receive has a smaller one than *receives). */
static int receipt_row(sqs_queue_t *q, const char *handle, int64_t *seq, double *visible, int64_t *receives,
                       double *received, int64_t *issued_at) {
    int64_t qid;
    if (!sqs_receipt_parse(handle, &qid, seq, issued_at) || qid != q->qid)
        return -1;
    sqlite3_stmt *s = nb_store_stmt(&sqs.store, "SELECT visible, receives, COALESCE(last_receive, first_receive, 0)"
                                                " FROM messages WHERE seq = ?1 AND qid = ?2");
    if (s == NULL)
        return -1;
    sqlite3_bind_int64(s, 1, *seq);
    sqlite3_bind_int64(s, 2, q->qid);
    int found = sqlite3_step(s) == SQLITE_ROW;
    if (found) {
        *visible = sqlite3_column_double(s, 0);
        *receives = sqlite3_column_int64(s, 1);
        *received = sqlite3_column_double(s, 2);
    }
    sqlite3_reset(s);
    return found;
}

static bool delete_one(sqs_queue_t *q, const char *handle, sqs_err_t *err) {
    int64_t seq, receives, issued_at;
    double visible, received;
    int found = receipt_row(q, handle, &seq, &visible, &receives, &received, &issued_at);
    if (found < 0) {
        err_set(err, "ReceiptHandleIsInvalid", "The input receipt handle \"%.300s\" is not a valid receipt handle.",
                handle);
        return false;
    }
    /* FIFO: a handle whose visibility ran out (the message visible again, or received since)
     * deletes nothing, as AWS answers; a standard queue takes any handle of the message. */
    if (found && q->fifo && (issued_at != receives || visible <= now_s())) {
        err_set(err, "InvalidParameterValue",
                "Value %.300s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", handle);
        return false;
    }
    if (found) {
        sqlite3_stmt *s = nb_store_stmt(&sqs.store, "DELETE FROM messages WHERE seq = ?1");
        if (s == NULL) {
            err_set(err, "InternalError", "store failure");
            return false;
        }
        sqlite3_bind_int64(s, 1, seq);
        nb_store_run(s);
        if (q->inflight_hint > 0 && visible > now_s())
            q->inflight_hint--;
        if (q->fifo)
            schedule_wake(q); /* its group is unlocked */
    }
    return true;
}

nb_result_t sqs_delete_message(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    sqs_err_t err = {0};
    if (!delete_one(q, nb_json_str(in, "ReceiptHandle"), &err))
        return err_answer(req, &err);
    return nb_reply_new(req, NULL);
}

static int delete_entry(nb_req_t *req, sqs_queue_t *q, const json_t *e, json_t **result, sqs_err_t *err) {
    (void)req;
    (void)result;
    return delete_one(q, nb_json_str(e, "ReceiptHandle"), err) ? 0 : 1;
}

nb_result_t sqs_delete_message_batch(nb_req_t *req, const json_t *in) {
    return batch_walk(req, in, "DeleteMessageBatchRequestEntry", NULL, delete_entry);
}

static bool change_one(sqs_queue_t *q, const char *handle, const json_t *vtv, sqs_err_t *err) {
    json_int_t vt = json_integer_value(vtv);
    if (vtv == NULL) {
        err_set(err, "MissingParameter", "The request must contain the parameter VisibilityTimeout.");
        return false;
    }
    if (vt < 0 || vt > 43200) {
        err_set(err, "InvalidParameterValue",
                "Value %" JSON_INTEGER_FORMAT " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 "
                "and 43200, if provided.",
                vt);
        return false;
    }
    int64_t seq, receives, issued_at;
    double visible, received, now = now_s();
    int found = receipt_row(q, handle, &seq, &visible, &receives, &received, &issued_at);
    if (found < 0) {
        err_set(err, "ReceiptHandleIsInvalid", "The input receipt handle \"%.300s\" is not a valid receipt handle.",
                handle);
        return false;
    }
    if (found == 0) {
        err_set(err, "InvalidParameterValue",
                "Value %.300s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not "
                "available for visibility timeout change.",
                handle);
        return false;
    }
    if (visible <= now || receives == 0) {
        err_set(err, "MessageNotInflight", "The message referred to isn't in flight.");
        return false;
    }
    /* 12 hours at most from the receive, however often it is extended (whole seconds elapsed) */
    if ((json_int_t)(now - received) + vt > 43200) {
        err_set(err, "InvalidParameterValue",
                "Value %" JSON_INTEGER_FORMAT " for parameter VisibilityTimeout is invalid. Reason: Total "
                "VisibilityTimeout for the message is beyond the limit [43200 seconds]",
                vt);
        return false;
    }
    sqlite3_stmt *s = nb_store_stmt(&sqs.store, "UPDATE messages SET visible = ?2 WHERE seq = ?1");
    if (s == NULL) {
        err_set(err, "InternalError", "store failure");
        return false;
    }
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_double(s, 2, now + (double)vt);
    nb_store_run(s);
    wake_at(q, now + (double)vt);
    return true;
}

nb_result_t sqs_change_message_visibility(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    sqs_err_t err = {0};
    if (!change_one(q, nb_json_str(in, "ReceiptHandle"), json_object_get(in, "VisibilityTimeout"), &err))
        return err_answer(req, &err);
    return nb_reply_new(req, NULL);
}

/* An entry without a VisibilityTimeout makes the message visible now. */
static int change_entry(nb_req_t *req, sqs_queue_t *q, const json_t *e, json_t **result, sqs_err_t *err) {
    (void)req;
    (void)result;
    json_t *vt = json_object_get(e, "VisibilityTimeout");
    json_t *zero = vt ? NULL : json_integer(0);
    bool changed = change_one(q, nb_json_str(e, "ReceiptHandle"), vt ? vt : zero, err);
    json_decref(zero);
    return changed ? 0 : 1;
}

nb_result_t sqs_change_message_visibility_batch(nb_req_t *req, const json_t *in) {
    return batch_walk(req, in, "ChangeMessageVisibilityBatchRequestEntry", NULL, change_entry);
}

nb_result_t sqs_purge_queue(nb_req_t *req, const json_t *in) {
    sqs_queue_t *q = sqs_queue_from_url(req, in);
    if (q == NULL)
        return NB_DONE;
    double now = now_s();
    if (q->last_purge > 0 && now - q->last_purge < 60 && nb_setting_bool(sqs.self, "SQS_DELAY_PURGE_RETRY"))
        return nb_error(req, "PurgeQueueInProgress", "Only one PurgeQueue operation on %s is allowed every 60 seconds.",
                        q->name);
    sqlite3_stmt *s = nb_store_stmt(&sqs.store, "DELETE FROM messages WHERE qid = ?1");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, q->qid);
    if (nb_store_run(s) != 0)
        return NB_FAILED(NB_ESTORE);
    q->last_purge = now;
    if (sqs_queue_save_meta(q) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

/* ------------------------------------------------- message move tasks */

typedef struct sqs_task {
    struct sqs_task *next;
    char handle[512];
    char source[192], dest[192];
    int rate; /* 0: as fast as we go */
    const char *status;
    char failure[256];
    int64_t moved, to_move, started;
    nb_timer_t *timer;
} sqs_task_t;

static void task_stop(sqs_task_t *t, const char *status) {
    t->status = status;
    if (t->timer) {
        nb_timer_stop(t->timer);
        t->timer = NULL;
    }
}

/* Moves up to a second's worth of messages; done when the source holds no visible message. */
static void task_tick(nb_timer_t *timer, void *data) {
    (void)timer;
    sqs_task_t *t = data;
    sqs_queue_t *src = sqs_queue_by_arn(t->source);
    if (src == NULL) {
        snprintf(t->failure, sizeof t->failure, "The source queue was deleted.");
        task_stop(t, "FAILED");
        return;
    }
    sqs_queue_t *fixed = t->dest[0] ? sqs_queue_by_arn(t->dest) : NULL;
    if (t->dest[0] && fixed == NULL) {
        snprintf(t->failure, sizeof t->failure, "The destination queue was deleted.");
        task_stop(t, "FAILED");
        return;
    }
    int budget = t->rate ? t->rate : 500;
    sqlite3 *db = sqs.store.db;
    nb_store_savepoint(db, "sqs_move");
    sqlite3_stmt *s = nb_store_stmt(&sqs.store,
                                    "SELECT seq, src_arn FROM messages WHERE qid = ?1 AND visible <= ?2 ORDER BY seq LIMIT ?3");
    int64_t seqs[512];
    char(*srcs)[192] = calloc(512, 192);
    int n = 0;
    if (s && srcs) {
        sqlite3_bind_int64(s, 1, src->qid);
        sqlite3_bind_double(s, 2, now_s());
        sqlite3_bind_int(s, 3, budget);
        while (n < 512 && sqlite3_step(s) == SQLITE_ROW) {
            seqs[n] = sqlite3_column_int64(s, 0);
            snprintf(srcs[n], 192, "%s", sqlite3_column_text(s, 1) ? (const char *)sqlite3_column_text(s, 1) : "");
            n++;
        }
        sqlite3_reset(s);
    }
    for (int i = 0; i < n; i++) {
        sqs_queue_t *dst = fixed ? fixed : sqs_queue_by_arn(srcs[i]);
        if (dst == NULL) {
            snprintf(t->failure, sizeof t->failure, "Original source queue of a message does not exist.");
            t->status = "FAILED";
            break;
        }
        if (move_row(seqs[i], src, dst, false) != 0)
            break;
        t->moved++;
        schedule_wake(dst);
    }
    free(srcs);
    nb_store_release(db, "sqs_move");
    if (strcmp(t->status, "FAILED") == 0)
        task_stop(t, "FAILED");
    else if (n < budget)
        task_stop(t, "COMPLETED");
}

void sqs_tasks_free(void) {
    for (sqs_task_t *t = sqs.tasks, *next; t; t = next) {
        next = t->next;
        if (t->timer)
            nb_timer_stop(t->timer);
        free(t);
    }
    sqs.tasks = NULL;
}

nb_result_t sqs_start_message_move_task(nb_req_t *req, const json_t *in) {
    const char *source = nb_json_str(in, "SourceArn");
    const char *dest = nb_json_str(in, "DestinationArn");
    json_t *ratev = json_object_get(in, "MaxNumberOfMessagesPerSecond");
    sqs_queue_t *src = sqs_queue_by_arn(source);
    if (src == NULL)
        return nb_error(req, "ResourceNotFoundException",
                        "The resource that you specified for the SourceArn parameter doesn't exist.");
    if (dest && sqs_queue_by_arn(dest) == NULL)
        return nb_error(req, "ResourceNotFoundException",
                        "The resource that you specified for the DestinationArn parameter doesn't exist.");
    if (ratev && (json_integer_value(ratev) < 1 || json_integer_value(ratev) > 500))
        return nb_error_code(req, "InvalidParameterValue", 400,
                             "Value %" JSON_INTEGER_FORMAT " for parameter MaxNumberOfMessagesPerSecond is invalid. "
                             "Reason: Must be between 1 and 500, if provided.",
                             json_integer_value(ratev));
    bool is_dlq = false;
    for (size_t i = 0; i < sqs.nbuckets && !is_dlq; i++)
        for (sqs_queue_t *q = sqs.buckets[i]; q && !is_dlq; q = q->hnext)
            is_dlq = strcmp(q->dlq_arn, src->arn) == 0;
    if (!is_dlq)
        return nb_error_code(req, "InvalidParameterValue", 400, "Source queue must be configured as a Dead Letter Queue.");
    for (sqs_task_t *t = sqs.tasks; t; t = t->next)
        if (strcmp(t->source, src->arn) == 0 && strcmp(t->status, "RUNNING") == 0)
            return nb_error_code(req, "InvalidParameterValue", 400,
                                 "There is already a task running. Only one active task is allowed for a source queue "
                                 "arn at a given time.");
    sqs_task_t *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NB_FAILED(NB_ENOMEM);
    char id[37];
    nb_uuid(id);
    char raw[400];
    int n = snprintf(raw, sizeof raw, "{\"taskId\":\"%s\",\"sourceArn\":\"%s\"}", id, src->arn);
    nb_base64_encode(raw, (size_t)n, 0, t->handle, sizeof t->handle);
    snprintf(t->source, sizeof t->source, "%s", src->arn);
    snprintf(t->dest, sizeof t->dest, "%s", dest ? dest : "");
    t->rate = ratev ? (int)json_integer_value(ratev) : 0;
    t->status = "RUNNING";
    t->started = ms(now_s());
    t->to_move = sqs_count(src, 0);
    t->next = sqs.tasks;
    sqs.tasks = t;
    t->timer = nb_timer_start(sqs.self, 0, 1000, task_tick, t);
    return nb_reply_new(req, json_pack("{s:s}", "TaskHandle", t->handle));
}

nb_result_t sqs_list_message_move_tasks(nb_req_t *req, const json_t *in) {
    const char *source = nb_json_str(in, "SourceArn");
    json_t *mr = json_object_get(in, "MaxResults");
    json_int_t max = mr ? json_integer_value(mr) : 1;
    if (sqs_queue_by_arn(source) == NULL)
        return nb_error(req, "ResourceNotFoundException",
                        "The resource that you specified for the SourceArn parameter doesn't exist.");
    if (max < 1 || max > 10)
        return nb_error_code(req, "InvalidParameterValue", 400,
                             "Value %" JSON_INTEGER_FORMAT " for parameter MaxResults is invalid. Reason: You must "
                             "enter a number that's between 1 and 10.",
                             max);
    json_t *results = json_array();
    for (sqs_task_t *t = sqs.tasks; t && (json_int_t)json_array_size(results) < max; t = t->next) {
        if (strcmp(t->source, source) != 0)
            continue;
        json_t *e = json_pack("{s:s,s:s,s:I,s:I,s:I}", "Status", t->status, "SourceArn", t->source,
                              "ApproximateNumberOfMessagesMoved", (json_int_t)t->moved,
                              "ApproximateNumberOfMessagesToMove", (json_int_t)t->to_move, "StartedTimestamp",
                              (json_int_t)t->started);
        if (strcmp(t->status, "RUNNING") == 0)
            json_object_set_new(e, "TaskHandle", json_string(t->handle));
        if (t->dest[0])
            json_object_set_new(e, "DestinationArn", json_string(t->dest));
        if (t->rate)
            json_object_set_new(e, "MaxNumberOfMessagesPerSecond", json_integer(t->rate));
        if (t->failure[0])
            json_object_set_new(e, "FailureReason", json_string(t->failure));
        json_array_append_new(results, e);
    }
    return nb_reply_new(req, json_pack("{s:o}", "Results", results));
}

nb_result_t sqs_cancel_message_move_task(nb_req_t *req, const json_t *in) {
    const char *handle = nb_json_str(in, "TaskHandle");
    for (sqs_task_t *t = sqs.tasks; t; t = t->next) {
        if (strcmp(t->handle, handle) != 0)
            continue;
        if (strcmp(t->status, "RUNNING") != 0)
            return nb_error_code(req, "FailedPrecondition", 400, "Only active tasks can be cancelled.");
        task_stop(t, "CANCELLED");
        return nb_reply_new(req, json_pack("{s:I}", "ApproximateNumberOfMessagesMoved", (json_int_t)t->moved));
    }
    return nb_error(req, "ResourceNotFoundException", "Task does not exist.");
}
