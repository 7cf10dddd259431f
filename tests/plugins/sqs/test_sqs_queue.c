/*
 * The SQS plugin's queue logic, driven through its handlers with a fake core: an
 * in-memory store, a clock the test moves, timers the test fires. Visibility,
 * delays, retention, redrive, FIFO groups and deduplication, long polls and the
 * in-flight cap are checked without sleeping.
 */
#undef NB_CORE_INTERNAL
#define SQS_MAX_INFLIGHT 5
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>

#include "util/util_api.h"

#include "../../../plugins/sqs/sqs_deadline.c"
#include "../../../plugins/sqs/sqs_message.c"
#include "../../../plugins/sqs/sqs_plugin.c"
#include "../../../plugins/sqs/sqs_queue.c"
#include "../../../plugins/sqs/sqs_seq.c"
#include "../../../plugins/sqs/sqs_dev.c"
#include "../../../plugins/sqs/sqs_url.c"
#include "../../../plugins/sqs/sqs_util.c"
#include "../../../plugins/sqs/sqs_authz.c"
#include "util/arena.h"

/* ------------------------------------------------------------ fake core */

struct nb_req {
    json_t *out;
    char code[96];
    char msg[512];
    int finished;
    void (*abort_cb)(nb_req_t *, void *);
    void *abort_data;
};
struct nb_plugin {
    sqlite3 *db;
};
struct nb_timer {
    double due;
    uint64_t repeat_ms;
    nb_timer_cb cb;
    void *data;
    int active;
};

static double fake_now = 1800000000.0;
static struct nb_plugin plugin;
static nb_timer_t *timers[4096];
static int ntimers;

static nb_result_t f_reply_new(nb_req_t *r, json_t *o) {
    json_decref(r->out);
    r->out = o ? o : json_object();
    return NB_DONE;
}
static nb_result_t f_error(nb_req_t *r, const char *code, json_t *fields, const char *fmt, ...) {
    json_decref(fields);
    snprintf(r->code, sizeof r->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    return NB_DONE;
}
static nb_result_t f_error_code(nb_req_t *r, const char *code, int status, const char *fmt, ...) {
    (void)status;
    snprintf(r->code, sizeof r->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    return NB_DONE;
}
static void f_finish(nb_req_t *r) { r->finished++; }
static const char *f_account(const nb_req_t *r) { (void)r; return "000000000000"; }
static const char *f_region(const nb_req_t *r) { (void)r; return "us-east-1"; }
static void f_on_abort(nb_req_t *r, void (*cb)(nb_req_t *, void *), void *d) {
    r->abort_cb = cb;
    r->abort_data = d;
}
static const char *f_config(const char *n) { (void)n; return NULL; }
static sqlite3 *f_db(nb_plugin_t *p) { return p->db; }
static nb_timer_t *f_timer_start(nb_plugin_t *p, uint64_t ms_, uint64_t rep, nb_timer_cb cb, void *d) {
    (void)p;
    nb_timer_t *t = calloc(1, sizeof *t);
    t->due = fake_now + (double)ms_ / 1000.0;
    t->repeat_ms = rep;
    t->cb = cb;
    t->data = d;
    t->active = 1;
    timers[ntimers++] = t;
    return t;
}
static void f_timer_stop(nb_timer_t *t) { t->active = 0; }
static void f_log(nb_plugin_t *p, nb_log_level_t l, const char *fmt, ...) { (void)p, (void)l, (void)fmt; }
static double f_now(void) { return fake_now; }
static const char *f_partition(const char *region) { (void)region; return "aws"; }
/* nb_req_printf's memory lives until the test ends, as a request's until it ends. */
static nb__arena_t *fake_arena;
static char *f_req_printf(nb_req_t *r, const char *fmt, ...) {
    (void)r;
    va_list ap;
    va_start(ap, fmt);
    char *s = nb__arena_vprintf(&fake_arena, fmt, ap);
    va_end(ap);
    return s;
}
static int f_setting_bool(nb_plugin_t *p, const char *name) { /* the declared defaults */
    (void)p;
    return strcmp(name, "SQS_DELAY_PURGE_RETRY") == 0;
}

static const char *f_setting_string(nb_plugin_t *p, const char *name) { /* the declared defaults */
    (void)p;
    return strcmp(name, "SQS_ENDPOINT_STRATEGY") == 0 ? "standard" : NULL;
}
static const char *f_req_header(const nb_req_t *req, const char *name) { /* no HTTP request here */
    (void)req;
    (void)name;
    return NULL;
}

static int f_route_prefix(nb_plugin_t *self, const char *prefix, nb_http_handler_pt handler, void *data) {
    (void)self, (void)prefix, (void)handler, (void)data; /* no HTTP server here */
    return 0;
}

static const nb_api_t fake_api = {
    .size = sizeof(nb_api_t), .reply_new = f_reply_new, .error = f_error, .error_code = f_error_code,
    .finish = f_finish, .req_account = f_account, .req_region = f_region, .req_on_abort = f_on_abort,
    .config_get = f_config, .store_db = f_db, .timer_start = f_timer_start, .timer_stop = f_timer_stop,
    .log = f_log, .now = f_now, .partition = f_partition, .req_printf = f_req_printf, .setting_bool = f_setting_bool,
    .setting_string = f_setting_string, .req_header = f_req_header, .route_prefix = f_route_prefix,
    .util = &nb__util_api, /* the core's own: digests, ids and ARNs need no faking */
};

/* Moves the clock, firing due timers in order (a zero-delay one runs at once). */
static void advance(double secs) {
    double end = fake_now + secs;
    for (;;) {
        nb_timer_t *next = NULL;
        for (int i = 0; i < ntimers; i++)
            if (timers[i]->active && timers[i]->due <= end && (!next || timers[i]->due < next->due))
                next = timers[i];
        if (next == NULL)
            break;
        if (next->due > fake_now)
            fake_now = next->due;
        if (next->repeat_ms)
            next->due += (double)next->repeat_ms / 1000.0;
        else
            next->active = 0;
        next->cb(next, next->data);
    }
    fake_now = end;
}

static void setup(void) {
    nb_api = &fake_api;
    cr_assert_eq(sqlite3_open(":memory:", &plugin.db), SQLITE_OK);
    cr_assert_eq(sqs_init(&plugin), 0);
}

static void teardown(void) {
    sqs_fini(&plugin);
    sqlite3_close(plugin.db);
    for (int i = 0; i < ntimers; i++)
        free(timers[i]);
    ntimers = 0;
    nb__arena_free(fake_arena);
    fake_arena = NULL;
}

/* Calls a handler; the request stays alive for async answers. */
static nb_req_t *call(nb_op_handler_pt h, json_t *in, nb_result_t *rc) {
    nb_req_t *r = calloc(1, sizeof *r);
    nb_result_t x = h(r, in);
    if (rc)
        *rc = x;
    json_decref(in);
    return r;
}

static void req_free(nb_req_t *r) {
    json_decref(r->out);
    free(r);
}

/* A handler that must succeed; returns its output (owned). */
static json_t *ok(nb_op_handler_pt h, json_t *in) {
    nb_result_t rc;
    nb_req_t *r = call(h, in, &rc);
    cr_assert(nb_result_same(rc, NB_DONE), "handler failed (%d) or answers later", nb_result_error(rc));
    cr_assert_str_empty(r->code, "unexpected error %s: %s", r->code, r->msg);
    json_t *out = json_incref(r->out);
    req_free(r);
    return out;
}

/* A handler that must fail with code; returns nothing. */
static void fails(nb_op_handler_pt h, json_t *in, const char *code) {
    nb_req_t *r = call(h, in, NULL);
    cr_assert_str_eq(r->code, code, "message: %s", r->msg);
    req_free(r);
}

/* A handler that must fail with code and exactly the message msg. */
static void fails_msg(nb_op_handler_pt h, json_t *in, const char *code, const char *msg) {
    nb_req_t *r = call(h, in, NULL);
    cr_assert_str_eq(r->code, code, "message: %s", r->msg);
    cr_assert_str_eq(r->msg, msg);
    req_free(r);
}

#define URL(name) "http://localhost/000000000000/" name
#define ARN(name) "arn:aws:sqs:us-east-1:000000000000:" name

static void make_queue(const char *name, json_t *attrs) {
    json_t *in = json_pack("{s:s}", "QueueName", name);
    if (attrs)
        json_object_set_new(in, "Attributes", attrs);
    json_decref(ok(sqs_create_queue, in));
}

static void send_body(const char *name, const char *body) {
    char url[128];
    snprintf(url, sizeof url, URL("%s"), name);
    json_decref(ok(sqs_send_message, json_pack("{s:s,s:s}", "QueueUrl", url, "MessageBody", body)));
}

/* Receives up to max; returns the Messages array (owned, maybe empty). */
static json_t *recv_n(const char *name, int max, json_t *extra) {
    char url[128];
    snprintf(url, sizeof url, URL("%s"), name);
    json_t *in = json_pack("{s:s,s:i,s:[s]}", "QueueUrl", url, "MaxNumberOfMessages", max, "AttributeNames", "All");
    if (extra) {
        json_object_update(in, extra);
        json_decref(extra);
    }
    json_t *out = ok(sqs_receive_message, in);
    json_t *m = json_incref(json_object_get(out, "Messages"));
    json_decref(out);
    return m ? m : json_array();
}

static const char *attr_of(json_t *m, const char *k) { return nb_json_str(json_object_get(m, "Attributes"), k); }

static const char *count_of(const char *name, const char *attr) {
    static char buf[32];
    char url[128];
    snprintf(url, sizeof url, URL("%s"), name);
    json_t *out = ok(sqs_get_queue_attributes, json_pack("{s:s,s:[s]}", "QueueUrl", url, "AttributeNames", "All"));
    snprintf(buf, sizeof buf, "%s", nb_json_str(json_object_get(out, "Attributes"), attr) ?: "");
    json_decref(out);
    return buf;
}

TestSuite(sqs_queue, .init = setup, .fini = teardown);

Test(sqs_queue, visibility_timeout_hides_then_returns_with_a_higher_count) {
    make_queue("v", json_pack("{s:s}", "VisibilityTimeout", "30"));
    send_body("v", "hello");
    json_t *m = recv_n("v", 1, NULL);
    cr_assert_eq(json_array_size(m), 1);
    cr_assert_str_eq(attr_of(json_array_get(m, 0), "ApproximateReceiveCount"), "1");
    json_decref(m);
    m = recv_n("v", 1, NULL);
    cr_assert_eq(json_array_size(m), 0);
    json_decref(m);
    cr_assert_str_eq(count_of("v", "ApproximateNumberOfMessagesNotVisible"), "1");
    advance(29);
    m = recv_n("v", 1, NULL);
    cr_assert_eq(json_array_size(m), 0);
    json_decref(m);
    advance(1.5);
    m = recv_n("v", 1, NULL);
    cr_assert_eq(json_array_size(m), 1);
    cr_assert_str_eq(attr_of(json_array_get(m, 0), "ApproximateReceiveCount"), "2");
    json_decref(m);
}

Test(sqs_queue, delay_and_retention) {
    make_queue("d", json_pack("{s:s,s:s}", "DelaySeconds", "10", "MessageRetentionPeriod", "60"));
    send_body("d", "later");
    cr_assert_str_eq(count_of("d", "ApproximateNumberOfMessagesDelayed"), "1");
    json_t *m = recv_n("d", 10, NULL);
    cr_assert_eq(json_array_size(m), 0);
    json_decref(m);
    advance(10);
    cr_assert_str_eq(count_of("d", "ApproximateNumberOfMessages"), "1");
    advance(49.999); /* the period counts from the send, not from the end of the delay */
    cr_assert_str_eq(count_of("d", "ApproximateNumberOfMessages"), "1");
    advance(0.002); /* 60.001 s after sending: past the retention period */
    m = recv_n("d", 10, NULL);
    cr_assert_eq(json_array_size(m), 0);
    json_decref(m);
    cr_assert_str_eq(count_of("d", "ApproximateNumberOfMessages"), "0");
}

Test(sqs_queue, redrive_after_max_receive_count) {
    make_queue("dlq", NULL);
    make_queue("src", json_pack("{s:s,s:s}", "VisibilityTimeout", "0", "RedrivePolicy",
                                "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\","
                                "\"maxReceiveCount\":3}"));
    send_body("src", "poison");
    for (int i = 0; i < 3; i++) {
        json_t *m = recv_n("src", 1, NULL);
        cr_assert_eq(json_array_size(m), 1, "receive %d", i);
        json_decref(m);
    }
    json_t *m = recv_n("src", 1, NULL);
    cr_assert_eq(json_array_size(m), 0);
    json_decref(m);
    m = recv_n("dlq", 1, json_pack("{s:[s]}", "MessageSystemAttributeNames", "DeadLetterQueueSourceArn"));
    cr_assert_eq(json_array_size(m), 1);
    cr_assert_str_eq(nb_json_str(json_array_get(m, 0), "Body"), "poison");
    cr_assert_str_eq(attr_of(json_array_get(m, 0), "DeadLetterQueueSourceArn"), "arn:aws:sqs:us-east-1:000000000000:src");
    json_decref(m);
    json_t *out = ok(sqs_list_dead_letter_source_queues, json_pack("{s:s}", "QueueUrl", URL("dlq")));
    cr_assert_eq(json_array_size(json_object_get(out, "queueUrls")), 1);
    json_decref(out);
}

static json_t *fifo_send(const char *grp, const char *dedup, const char *body) {
    json_t *in = json_pack("{s:s,s:s,s:s}", "QueueUrl", URL("f.fifo"), "MessageBody", body, "MessageGroupId", grp);
    if (dedup)
        json_object_set_new(in, "MessageDeduplicationId", json_string(dedup));
    return ok(sqs_send_message, in);
}

Test(sqs_queue, fifo_groups_order_lock_and_deduplication_window) {
    make_queue("f.fifo", json_pack("{s:s,s:s}", "FifoQueue", "true", "ContentBasedDeduplication", "true"));
    json_decref(fifo_send("a", NULL, "a1"));
    json_decref(fifo_send("a", NULL, "a2"));
    json_decref(fifo_send("b", NULL, "b1"));
    json_t *dup = fifo_send("a", NULL, "a1"); /* same content within 5 minutes */
    char *first_id = strdup(nb_json_str(dup, "MessageId"));
    json_t *m = recv_n("f.fifo", 1, NULL);
    cr_assert_str_eq(nb_json_str(json_array_get(m, 0), "Body"), "a1");
    cr_assert_str_eq(nb_json_str(json_array_get(m, 0), "MessageId"), nb_json_str(dup, "MessageId"));
    char *handle = strdup(nb_json_str(json_array_get(m, 0), "ReceiptHandle"));
    json_decref(m);
    json_decref(dup);
    m = recv_n("f.fifo", 10, NULL); /* group a is locked by a1 in flight */
    cr_assert_eq(json_array_size(m), 1);
    cr_assert_str_eq(nb_json_str(json_array_get(m, 0), "Body"), "b1");
    json_decref(m);
    json_decref(ok(sqs_delete_message, json_pack("{s:s,s:s}", "QueueUrl", URL("f.fifo"), "ReceiptHandle", handle)));
    free(handle);
    m = recv_n("f.fifo", 10, NULL);
    cr_assert_eq(json_array_size(m), 1);
    cr_assert_str_eq(nb_json_str(json_array_get(m, 0), "Body"), "a2");
    json_decref(m);
    advance(301); /* past the deduplication window the same content is new */
    json_t *again = fifo_send("a", NULL, "a1");
    cr_assert_str_neq(nb_json_str(again, "MessageId"), first_id);
    cr_assert_not_null(nb_json_str(again, "SequenceNumber"));
    json_decref(again);
    free(first_id);
    /* b1 and a2, never deleted, are visible again; the new a1 waits behind a2 in group a */
    m = recv_n("f.fifo", 10, NULL);
    cr_assert_eq(json_array_size(m), 3);
    cr_assert_str_eq(nb_json_str(json_array_get(m, 0), "Body"), "a2");
    cr_assert_str_eq(nb_json_str(json_array_get(m, 1), "Body"), "b1");
    cr_assert_str_eq(nb_json_str(json_array_get(m, 2), "Body"), "a1");
    json_decref(m);
}

Test(sqs_queue, long_poll_is_woken_by_a_send_and_times_out_when_idle) {
    make_queue("lp", NULL);
    nb_result_t rc;
    nb_req_t *w = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("lp"), "WaitTimeSeconds", 20), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    cr_assert_eq(w->finished, 0);
    advance(5);
    cr_assert_eq(w->finished, 0);
    send_body("lp", "wake");
    advance(0); /* the wake-up runs on the next loop turn */
    cr_assert_eq(w->finished, 1);
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(w->out, "Messages"), 0), "Body"), "wake");
    req_free(w);
    w = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("lp"), "WaitTimeSeconds", 2), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    advance(1.9);
    cr_assert_eq(w->finished, 0);
    advance(0.2);
    cr_assert_eq(w->finished, 1);
    cr_assert_null(json_object_get(w->out, "Messages"));
    req_free(w);
}

Test(sqs_queue, long_poll_sees_a_delayed_message_when_it_becomes_visible) {
    make_queue("lpd", NULL);
    json_decref(ok(sqs_send_message, json_pack("{s:s,s:s,s:i}", "QueueUrl", URL("lpd"), "MessageBody", "x",
                                               "DelaySeconds", 3)));
    nb_result_t rc;
    nb_req_t *w = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("lpd"), "WaitTimeSeconds", 20), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    advance(2.9);
    cr_assert_eq(w->finished, 0);
    advance(0.2);
    cr_assert_eq(w->finished, 1);
    cr_assert_eq(json_array_size(json_object_get(w->out, "Messages")), 1);
    req_free(w);
}

/* A long poll that is already waiting when a message is sent with DelaySeconds answers
 * when the message becomes visible, not at its deadline. */
Test(sqs_queue, long_poll_sees_a_message_sent_delayed_during_the_wait) {
    make_queue("lpw", NULL);
    nb_result_t rc;
    nb_req_t *w = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("lpw"), "WaitTimeSeconds", 20), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    advance(1);
    json_decref(ok(sqs_send_message, json_pack("{s:s,s:s,s:i}", "QueueUrl", URL("lpw"), "MessageBody", "late",
                                               "DelaySeconds", 3)));
    advance(2.9);
    cr_assert_eq(w->finished, 0);
    advance(0.2); /* 3 s after the send, 16 s before the deadline */
    cr_assert_eq(w->finished, 1);
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(w->out, "Messages"), 0), "Body"), "late");
    req_free(w);
}

/* A visibility change to a non-zero time during a wait: the waiter gets the message then. */
Test(sqs_queue, long_poll_sees_a_message_whose_visibility_is_shortened_during_the_wait) {
    make_queue("lpv", NULL);
    send_body("lpv", "v");
    json_t *m = recv_n("lpv", 1, json_pack("{s:i}", "VisibilityTimeout", 300));
    char *h = strdup(nb_json_str(json_array_get(m, 0), "ReceiptHandle"));
    json_decref(m);
    nb_result_t rc;
    nb_req_t *w = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("lpv"), "WaitTimeSeconds", 20), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    advance(1);
    json_decref(ok(sqs_change_message_visibility, json_pack("{s:s,s:s,s:i}", "QueueUrl", URL("lpv"), "ReceiptHandle",
                                                            h, "VisibilityTimeout", 2)));
    free(h);
    advance(1.9);
    cr_assert_eq(w->finished, 0);
    advance(0.2);
    cr_assert_eq(w->finished, 1);
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(w->out, "Messages"), 0), "Body"), "v");
    req_free(w);
}

/* Two waiters, one message: the first takes it for 2 s; when that visibility timeout runs
 * out the second, still waiting, gets it. */
Test(sqs_queue, long_poll_sees_a_message_whose_visibility_timeout_expires_during_the_wait) {
    make_queue("lpe", NULL);
    nb_result_t rc;
    nb_req_t *a = call(sqs_receive_message, json_pack("{s:s,s:i,s:i}", "QueueUrl", URL("lpe"), "WaitTimeSeconds", 20,
                                                      "VisibilityTimeout", 2), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    nb_req_t *b = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("lpe"), "WaitTimeSeconds", 20), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    advance(1);
    send_body("lpe", "shared");
    advance(0);
    cr_assert_eq(a->finished, 1);
    cr_assert_eq(b->finished, 0);
    advance(1.9);
    cr_assert_eq(b->finished, 0);
    advance(0.2);
    cr_assert_eq(b->finished, 1);
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(b->out, "Messages"), 0), "Body"), "shared");
    req_free(a);
    req_free(b);
}

/* A FIFO group locked by a message in flight unlocks when its visibility timeout runs out. */
Test(sqs_queue, long_poll_on_a_locked_fifo_group_answers_when_the_lock_expires) {
    make_queue("lpf.fifo", json_pack("{s:s,s:s}", "FifoQueue", "true", "ContentBasedDeduplication", "true"));
    json_decref(ok(sqs_send_message, json_pack("{s:s,s:s,s:s}", "QueueUrl", URL("lpf.fifo"), "MessageBody", "g1",
                                               "MessageGroupId", "g")));
    json_decref(recv_n("lpf.fifo", 1, json_pack("{s:i}", "VisibilityTimeout", 4)));
    nb_result_t rc;
    nb_req_t *w = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("lpf.fifo"), "WaitTimeSeconds", 20),
                       &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    json_decref(ok(sqs_send_message, json_pack("{s:s,s:s,s:s}", "QueueUrl", URL("lpf.fifo"), "MessageBody", "g2",
                                               "MessageGroupId", "g")));
    advance(3.9); /* g2 is visible but its group is locked */
    cr_assert_eq(w->finished, 0);
    advance(0.2);
    cr_assert_eq(w->finished, 1);
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(w->out, "Messages"), 0), "Body"), "g1");
    req_free(w);
}

/* Many waiters on an idle queue hold one queue timer each besides their deadlines: a send
 * wakes the oldest, the others keep waiting until their deadlines. */
Test(sqs_queue, many_waiters_one_message) {
    make_queue("lpm", NULL);
    nb_req_t *w[50];
    for (int i = 0; i < 50; i++) {
        nb_result_t rc;
        w[i] = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("lpm"), "WaitTimeSeconds", 5), &rc);
        cr_assert(nb_result_same(rc, NB_ASYNC));
    }
    send_body("lpm", "one");
    advance(0);
    cr_assert_eq(w[0]->finished, 1);
    cr_assert_eq(json_array_size(json_object_get(w[0]->out, "Messages")), 1);
    for (int i = 1; i < 50; i++)
        cr_assert_eq(w[i]->finished, 0, "waiter %d", i);
    advance(5.1);
    for (int i = 1; i < 50; i++) {
        cr_assert_eq(w[i]->finished, 1, "waiter %d", i);
        cr_assert_null(json_object_get(w[i]->out, "Messages"));
    }
    for (int i = 0; i < 50; i++)
        req_free(w[i]);
}

Test(sqs_queue, aborted_long_poll_leaves_the_message_for_others) {
    make_queue("ab", NULL);
    nb_result_t rc;
    nb_req_t *w = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("ab"), "WaitTimeSeconds", 20), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    cr_assert_not_null(w->abort_cb);
    w->abort_cb(w, w->abort_data);
    cr_assert_eq(w->finished, 1);
    send_body("ab", "kept");
    advance(0);
    json_t *m = recv_n("ab", 1, NULL);
    cr_assert_eq(json_array_size(m), 1);
    json_decref(m);
    req_free(w);
}

Test(sqs_queue, deleting_a_queue_answers_its_waiters) {
    make_queue("gone", NULL);
    nb_result_t rc;
    nb_req_t *w = call(sqs_receive_message, json_pack("{s:s,s:i}", "QueueUrl", URL("gone"), "WaitTimeSeconds", 20), &rc);
    cr_assert(nb_result_same(rc, NB_ASYNC));
    json_decref(ok(sqs_delete_queue, json_pack("{s:s}", "QueueUrl", URL("gone"))));
    cr_assert_eq(w->finished, 1);
    req_free(w);
    advance(30); /* its timer must not fire on freed memory */
    fails(sqs_get_queue_url, json_pack("{s:s}", "QueueName", "gone"), "QueueDoesNotExist");
}

Test(sqs_queue, in_flight_cap_answers_over_limit) {
    make_queue("cap", NULL); /* the cap is 5 in this test */
    for (int i = 0; i < 6; i++)
        send_body("cap", "m");
    json_t *m = recv_n("cap", 5, NULL);
    cr_assert_eq(json_array_size(m), 5);
    char *h = strdup(nb_json_str(json_array_get(m, 0), "ReceiptHandle"));
    json_decref(m);
    fails(sqs_receive_message, json_pack("{s:s}", "QueueUrl", URL("cap")), "OverLimit");
    json_decref(ok(sqs_delete_message, json_pack("{s:s,s:s}", "QueueUrl", URL("cap"), "ReceiptHandle", h)));
    free(h);
    m = recv_n("cap", 1, NULL);
    cr_assert_eq(json_array_size(m), 1);
    json_decref(m);
}

Test(sqs_queue, purge_once_a_minute) {
    make_queue("p", NULL);
    send_body("p", "x");
    json_decref(ok(sqs_purge_queue, json_pack("{s:s}", "QueueUrl", URL("p"))));
    cr_assert_str_eq(count_of("p", "ApproximateNumberOfMessages"), "0");
    fails(sqs_purge_queue, json_pack("{s:s}", "QueueUrl", URL("p")), "PurgeQueueInProgress");
    advance(60);
    json_decref(ok(sqs_purge_queue, json_pack("{s:s}", "QueueUrl", URL("p"))));
}

Test(sqs_queue, message_move_task_moves_back_to_the_sources) {
    make_queue("mdlq", NULL);
    make_queue("msrc", json_pack("{s:s,s:s}", "VisibilityTimeout", "0", "RedrivePolicy",
                                 "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:mdlq\","
                                 "\"maxReceiveCount\":1}"));
    for (int i = 0; i < 3; i++)
        send_body("msrc", "m");
    json_decref(recv_n("msrc", 10, NULL));
    json_decref(recv_n("msrc", 10, NULL)); /* second receive moves them */
    cr_assert_str_eq(count_of("mdlq", "ApproximateNumberOfMessages"), "3");
    json_t *out = ok(sqs_start_message_move_task, json_pack("{s:s,s:i}", "SourceArn",
                                                            "arn:aws:sqs:us-east-1:000000000000:mdlq",
                                                            "MaxNumberOfMessagesPerSecond", 2));
    json_t *handle = json_incref(json_object_get(out, "TaskHandle"));
    json_decref(out);
    advance(0); /* first tick: 2 messages */
    out = ok(sqs_list_message_move_tasks, json_pack("{s:s}", "SourceArn", "arn:aws:sqs:us-east-1:000000000000:mdlq"));
    json_t *t = json_array_get(json_object_get(out, "Results"), 0);
    cr_assert_str_eq(nb_json_str(t, "Status"), "RUNNING");
    cr_assert_eq(json_integer_value(json_object_get(t, "ApproximateNumberOfMessagesMoved")), 2);
    json_decref(out);
    advance(1.5);
    out = ok(sqs_list_message_move_tasks, json_pack("{s:s}", "SourceArn", "arn:aws:sqs:us-east-1:000000000000:mdlq"));
    t = json_array_get(json_object_get(out, "Results"), 0);
    cr_assert_str_eq(nb_json_str(t, "Status"), "COMPLETED");
    cr_assert_eq(json_integer_value(json_object_get(t, "ApproximateNumberOfMessagesMoved")), 3);
    json_decref(out);
    cr_assert_str_eq(count_of("msrc", "ApproximateNumberOfMessages"), "3");
    fails(sqs_cancel_message_move_task, json_pack("{s:O}", "TaskHandle", handle), "FailedPrecondition");
    json_decref(handle);
}

Test(sqs_queue, fifo_receive_retry_with_the_same_attempt_id_gets_the_same_answer) {
    make_queue("r.fifo", json_pack("{s:s,s:s}", "FifoQueue", "true", "ContentBasedDeduplication", "true"));
    json_decref(ok(sqs_send_message, json_pack("{s:s,s:s,s:s}", "QueueUrl", URL("r.fifo"), "MessageBody", "x",
                                               "MessageGroupId", "g")));
    json_t *a = recv_n("r.fifo", 10, json_pack("{s:s}", "ReceiveRequestAttemptId", "try-1"));
    json_t *b = recv_n("r.fifo", 10, json_pack("{s:s}", "ReceiveRequestAttemptId", "try-1"));
    cr_assert_eq(json_array_size(a), 1);
    cr_assert(json_equal(a, b));
    json_t *c = recv_n("r.fifo", 10, json_pack("{s:s}", "ReceiveRequestAttemptId", "try-2"));
    cr_assert_eq(json_array_size(c), 0); /* a new attempt: the group is in flight */
    json_decref(a);
    json_decref(b);
    json_decref(c);
    advance(301);
    a = recv_n("r.fifo", 10, json_pack("{s:s}", "ReceiveRequestAttemptId", "try-1"));
    cr_assert_str_eq(attr_of(json_array_get(a, 0), "ApproximateReceiveCount"), "2"); /* expired: a real receive */
    json_decref(a);
}

/* The message names the value given, as AWS does ("Invalid value for maxReceiveCount: 0"). */
Test(sqs_queue, max_receive_count_out_of_range_names_the_value) {
    make_queue("rdlq", NULL);
    static const char *const bad[][2] = {
        {"{\"deadLetterTargetArn\":\"" ARN("rdlq") "\",\"maxReceiveCount\":0}", "0"},
        {"{\"deadLetterTargetArn\":\"" ARN("rdlq") "\",\"maxReceiveCount\":1001}", "1001"},
        {"{\"deadLetterTargetArn\":\"" ARN("rdlq") "\",\"maxReceiveCount\":\"abc\"}", "abc"},
        {"{\"deadLetterTargetArn\":\"" ARN("rdlq") "\",\"maxReceiveCount\":-3}", "-3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[512];
        snprintf(want, sizeof want,
                 "Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %s, valid "
                 "values are from 1 to 1000 both inclusive.",
                 bad[i][0], bad[i][1]);
        fails_msg(sqs_create_queue, json_pack("{s:s,s:{s:s}}", "QueueName", "rsrc", "Attributes", "RedrivePolicy", bad[i][0]),
                  "InvalidParameterValue", want);
    }
}

static json_t *redrive_to(const char *dlq) {
    char rp[256];
    snprintf(rp, sizeof rp, "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:%s\",\"maxReceiveCount\":2}",
             dlq);
    return json_pack("{s:s}", "RedrivePolicy", rp);
}

/* A dead-letter queue's RedriveAllowPolicy decides which queues may name it. */
Test(sqs_queue, redrive_allow_policy_is_enforced) {
    make_queue("deny", json_pack("{s:s}", "RedriveAllowPolicy", "{\"redrivePermission\":\"denyAll\"}"));
    make_queue("only", json_pack("{s:s}", "RedriveAllowPolicy",
                                 "{\"redrivePermission\":\"byQueue\",\"sourceQueueArns\":[\"" ARN("allowed") "\"]}"));
    make_queue("open", json_pack("{s:s}", "RedriveAllowPolicy", "{\"redrivePermission\":\"allowAll\"}"));
    /* CreateQueue */
    fails(sqs_create_queue, json_pack("{s:s,s:o}", "QueueName", "src1", "Attributes", redrive_to("deny")),
          "InvalidParameterValue");
    fails_msg(sqs_create_queue, json_pack("{s:s,s:o}", "QueueName", "src1", "Attributes", redrive_to("only")),
              "InvalidParameterValue",
              "Value {\"deadLetterTargetArn\":\"" ARN("only") "\",\"maxReceiveCount\":2} for parameter RedrivePolicy "
              "is invalid. Reason: The RedriveAllowPolicy of " ARN("only") " does not allow " ARN("src1") " to use it as a "
              "dead-letter queue.");
    fails(sqs_get_queue_url, json_pack("{s:s}", "QueueName", "src1"), "QueueDoesNotExist");
    make_queue("allowed", redrive_to("only")); /* listed before it exists, as Terraform does */
    make_queue("src2", redrive_to("open"));
    /* SetQueueAttributes */
    fails(sqs_set_queue_attributes, json_pack("{s:s,s:o}", "QueueUrl", URL("src2"), "Attributes", redrive_to("deny")),
          "InvalidParameterValue");
    fails(sqs_set_queue_attributes, json_pack("{s:s,s:o}", "QueueUrl", URL("src2"), "Attributes", redrive_to("only")),
          "InvalidParameterValue");
    json_decref(ok(sqs_set_queue_attributes, json_pack("{s:s,s:{s:s}}", "QueueUrl", URL("only"), "Attributes",
                                                       "RedriveAllowPolicy", "{\"redrivePermission\":\"allowAll\"}")));
    json_decref(ok(sqs_set_queue_attributes, json_pack("{s:s,s:o}", "QueueUrl", URL("src2"), "Attributes",
                                                       redrive_to("only"))));
}

Test(sqs_queue, redrive_allow_policy_shape) {
    static const char *const bad[] = {
        "{\"redrivePermission\":\"byQueue\"}",
        "{\"redrivePermission\":\"byQueue\",\"sourceQueueArns\":[]}",
        "{\"redrivePermission\":\"denyAll\",\"sourceQueueArns\":[\"" ARN("x") "\"]}",
        "{\"redrivePermission\":\"byQueue\",\"sourceQueueArns\":[1]}",
        "{\"redrivePermission\":\"byQueue\",\"sourceQueueArns\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\","
        "\"h\",\"i\",\"j\",\"k\"]}",
        "{\"redrivePermission\":\"someQueues\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        fails(sqs_create_queue, json_pack("{s:s,s:{s:s}}", "QueueName", "rap", "Attributes", "RedriveAllowPolicy", bad[i]),
              "InvalidParameterValue");
    fails_msg(sqs_create_queue, json_pack("{s:s,s:{s:s}}", "QueueName", "rap", "Attributes", "RedriveAllowPolicy", bad[0]),
              "InvalidParameterValue",
              "Value {\"redrivePermission\":\"byQueue\"} for parameter RedriveAllowPolicy is invalid. Reason: "
              "sourceQueueArns is required when redrivePermission is byQueue.");
    make_queue("rap", json_pack("{s:s}", "RedriveAllowPolicy",
                                "{\"redrivePermission\":\"byQueue\",\"sourceQueueArns\":[\"" ARN("x") "\"]}"));
}

/* A message's visibility reaches at most 12 hours past the receive that made it invisible,
 * however it is extended; a new receive starts a new 12 hours. */
Test(sqs_queue, total_visibility_is_limited_to_12_hours_from_the_receive) {
    make_queue("vis12", NULL);
    send_body("vis12", "long job");
    json_t *m = recv_n("vis12", 1, json_pack("{s:i}", "VisibilityTimeout", 43200));
    char *h = strdup(nb_json_str(json_array_get(m, 0), "ReceiptHandle"));
    json_decref(m);
    json_decref(ok(sqs_change_message_visibility,
                   json_pack("{s:s,s:s,s:i}", "QueueUrl", URL("vis12"), "ReceiptHandle", h, "VisibilityTimeout", 43200)));
    advance(7200);
    json_decref(ok(sqs_change_message_visibility,
                   json_pack("{s:s,s:s,s:i}", "QueueUrl", URL("vis12"), "ReceiptHandle", h, "VisibilityTimeout", 36000)));
    fails_msg(sqs_change_message_visibility,
              json_pack("{s:s,s:s,s:i}", "QueueUrl", URL("vis12"), "ReceiptHandle", h, "VisibilityTimeout", 36001),
              "InvalidParameterValue",
              "Value 36001 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is "
              "beyond the limit [43200 seconds]");
    json_t *out = ok(sqs_change_message_visibility_batch,
                     json_pack("{s:s,s:[{s:s,s:s,s:i},{s:s,s:s,s:i}]}", "QueueUrl", URL("vis12"), "Entries", "Id", "a",
                               "ReceiptHandle", h, "VisibilityTimeout", 40000, "Id", "b", "ReceiptHandle", h,
                               "VisibilityTimeout", 60));
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(out, "Failed"), 0), "Id"), "a");
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(out, "Failed"), 0), "Code"), "InvalidParameterValue");
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(out, "Successful"), 0), "Id"), "b");
    json_decref(out);
    free(h);
    advance(61); /* visible again; a new receive has 12 hours of its own */
    m = recv_n("vis12", 1, json_pack("{s:i}", "VisibilityTimeout", 10));
    h = strdup(nb_json_str(json_array_get(m, 0), "ReceiptHandle"));
    json_decref(m);
    json_decref(ok(sqs_change_message_visibility,
                   json_pack("{s:s,s:s,s:i}", "QueueUrl", URL("vis12"), "ReceiptHandle", h, "VisibilityTimeout", 43200)));
    free(h);
}

/* MessageGroupId and MessageDeduplicationId: 1-128 letters, digits and punctuation. */
Test(sqs_queue, group_and_deduplication_id_characters) {
    make_queue("ids.fifo", json_pack("{s:s}", "FifoQueue", "true"));
    make_queue("ids", NULL);
    fails_msg(sqs_send_message, json_pack("{s:s,s:s,s:s,s:s}", "QueueUrl", URL("ids.fifo"), "MessageBody", "x",
                                          "MessageGroupId", "has space", "MessageDeduplicationId", "d"),
              "InvalidParameterValue",
              "Value has space for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include "
              "alphanumeric and punctuation characters. 1 to 128 in length.");
    fails_msg(sqs_send_message, json_pack("{s:s,s:s,s:s,s:s}", "QueueUrl", URL("ids.fifo"), "MessageBody", "x",
                                          "MessageGroupId", "g", "MessageDeduplicationId", "d d"),
              "InvalidParameterValue",
              "Value d d for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only "
              "include alphanumeric and punctuation characters. 1 to 128 in length.");
    char long_id[130];
    memset(long_id, 'g', 129);
    long_id[129] = '\0';
    fails(sqs_send_message, json_pack("{s:s,s:s,s:s,s:s}", "QueueUrl", URL("ids.fifo"), "MessageBody", "x",
                                      "MessageGroupId", long_id, "MessageDeduplicationId", "d"),
          "InvalidParameterValue");
    fails(sqs_send_message, json_pack("{s:s,s:s,s:s,s:s}", "QueueUrl", URL("ids.fifo"), "MessageBody", "x",
                                      "MessageGroupId", "", "MessageDeduplicationId", "d"),
          "InvalidParameterValue");
    long_id[128] = '\0';
    json_decref(ok(sqs_send_message, json_pack("{s:s,s:s,s:s,s:s}", "QueueUrl", URL("ids.fifo"), "MessageBody", "x",
                                               "MessageGroupId", long_id, "MessageDeduplicationId",
                                               "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")));
    /* a standard queue takes a MessageGroupId (fair queues), checked the same way */
    fails(sqs_send_message, json_pack("{s:s,s:s,s:s}", "QueueUrl", URL("ids"), "MessageBody", "x", "MessageGroupId",
                                      "tenant 1"),
          "InvalidParameterValue");
    json_decref(ok(sqs_send_message, json_pack("{s:s,s:s,s:s}", "QueueUrl", URL("ids"), "MessageBody", "x",
                                               "MessageGroupId", "tenant-1")));
    /* in a batch the entry fails alone */
    json_t *out = ok(sqs_send_message_batch,
                     json_pack("{s:s,s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s}]}", "QueueUrl", URL("ids.fifo"), "Entries",
                               "Id", "bad", "MessageBody", "x", "MessageGroupId", "a b", "MessageDeduplicationId", "1",
                               "Id", "good", "MessageBody", "y", "MessageGroupId", "ab", "MessageDeduplicationId", "2"));
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(out, "Failed"), 0), "Id"), "bad");
    cr_assert_str_eq(nb_json_str(json_array_get(json_object_get(out, "Successful"), 0), "Id"), "good");
    json_decref(out);
}

/* MessageRetentionPeriod (60 s, the least AWS allows): a message is kept up to its end,
 * in flight or not, and then gone from receives and from the counts. */
Test(sqs_queue, retention_period_expires_visible_and_in_flight_messages) {
    make_queue("ret", json_pack("{s:s}", "MessageRetentionPeriod", "60"));
    send_body("ret", "visible");
    send_body("ret", "in flight");
    json_t *m = recv_n("ret", 1, json_pack("{s:i}", "VisibilityTimeout", 300));
    cr_assert_eq(json_array_size(m), 1);
    json_decref(m);
    advance(60); /* the whole period, to the second */
    cr_assert_str_eq(count_of("ret", "ApproximateNumberOfMessages"), "1");
    cr_assert_str_eq(count_of("ret", "ApproximateNumberOfMessagesNotVisible"), "1");
    advance(0.001); /* 60.001 s after sending */
    cr_assert_str_eq(count_of("ret", "ApproximateNumberOfMessages"), "0");
    cr_assert_str_eq(count_of("ret", "ApproximateNumberOfMessagesNotVisible"), "0");
    m = recv_n("ret", 10, NULL);
    cr_assert_eq(json_array_size(m), 0);
    json_decref(m);
    /* a message sent later keeps its own 60 s, received to their end */
    send_body("ret", "new");
    advance(60);
    m = recv_n("ret", 10, NULL);
    cr_assert_eq(json_array_size(m), 1);
    cr_assert_str_eq(nb_json_str(json_array_get(m, 0), "Body"), "new");
    json_decref(m);
}
