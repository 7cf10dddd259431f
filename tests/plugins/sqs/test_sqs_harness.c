/*
 * SQS through the plugin test harness (nimbus/testing.h): time-dependent behaviour
 * (visibility timeouts, delays, long polls, retention) with the clock moved by the
 * test instead of slept through.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nimbus/errno.h"
#include "nimbus/testing.h"

static nb_test_t *h;
static char url[256];

/* A queue "q" with these attributes (a JSON object's members, "" for none). */
static void setup_queue(const char *attributes) {
    h = nb_test_new("sqs");
    cr_assert_not_null(h);
    char in[512];
    snprintf(in, sizeof in, "{\"QueueName\":\"q\",\"Attributes\":{%s}}", attributes);
    json_t *out = NULL;
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "sqs", "CreateQueue", in, &out, &err), 0, "%s: %s", err.code, err.message);
    snprintf(url, sizeof url, "%s", json_string_value(json_object_get(out, "QueueUrl")));
    json_decref(out);
}

static void teardown(void) { nb_test_free(h); }

static void send_message(const char *body, const char *extra) {
    char in[512];
    snprintf(in, sizeof in, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"%s\"%s}", url, body, extra);
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "sqs", "SendMessage", in, NULL, &err), 0, "%s: %s", err.code, err.message);
}

/* The bodies a receive gets right now, comma-separated ("" for none). */
static void receive_now(char *bodies, size_t cap) {
    char in[512];
    snprintf(in, sizeof in, "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":10}", url);
    json_t *out = NULL;
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "sqs", "ReceiveMessage", in, &out, &err), 0, "%s: %s", err.code, err.message);
    bodies[0] = '\0';
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(out, "Messages"), i, m) {
        size_t len = strlen(bodies);
        snprintf(bodies + len, cap - len, "%s%s", i ? "," : "", json_string_value(json_object_get(m, "Body")));
    }
    json_decref(out);
}

static const char *attribute(const char *name) {
    static char value[64];
    char in[512];
    snprintf(in, sizeof in, "{\"QueueUrl\":\"%s\",\"AttributeNames\":[\"%s\"]}", url, name);
    json_t *out = NULL;
    cr_assert_eq(nb_test_call(h, "sqs", "GetQueueAttributes", in, &out, NULL), 0);
    snprintf(value, sizeof value, "%s", json_string_value(json_object_get(json_object_get(out, "Attributes"), name)));
    json_decref(out);
    return value;
}

/* A ReceiveMessage that waits up to wait_s seconds. */
static nb_test_pending_t *start_wait(int wait_s) {
    char in[512];
    snprintf(in, sizeof in, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":%d}", url, wait_s);
    nb_test_pending_t *p = nb_test_start(h, "sqs", "ReceiveMessage", in);
    cr_assert_not_null(p);
    return p;
}

/* Waits ms (not answered yet), then more_ms: answered with n messages. */
static void answered_between(nb_test_pending_t *p, uint64_t ms, uint64_t more_ms, size_t n) {
    nb_test_advance(h, ms);
    cr_assert_not(nb_test_done(p), "not answered after %llu ms", (unsigned long long)ms);
    nb_test_advance(h, more_ms);
    cr_assert(nb_test_done(p), "answered after %llu ms", (unsigned long long)(ms + more_ms));
    json_t *out = NULL;
    cr_assert_eq(nb_test_result(p, &out, NULL), 0);
    cr_assert_eq(json_array_size(json_object_get(out, "Messages")), n);
    json_decref(out);
}

static void setup_default(void) { setup_queue("\"VisibilityTimeout\":\"30\""); }

TestSuite(sqs_harness, .fini = teardown);

Test(sqs_harness, visibility_timeout_expires_after_30_seconds, .init = setup_default) {
    char got[256];
    send_message("m1", "");
    receive_now(got, sizeof got);
    cr_assert_str_eq(got, "m1");
    receive_now(got, sizeof got);
    cr_assert_str_eq(got, "", "in flight: invisible");
    cr_assert_str_eq(attribute("ApproximateNumberOfMessagesNotVisible"), "1");
    nb_test_advance(h, 29000);
    receive_now(got, sizeof got);
    cr_assert_str_eq(got, "", "29 s in: still invisible");
    nb_test_advance(h, 1500);
    receive_now(got, sizeof got);
    cr_assert_str_eq(got, "m1", "30 s in: visible again");
}

Test(sqs_harness, delay_seconds_hide_a_new_message, .init = setup_default) {
    char got[256];
    send_message("late", ",\"DelaySeconds\":10");
    send_message("now", "");
    receive_now(got, sizeof got);
    cr_assert_str_eq(got, "now");
    cr_assert_str_eq(attribute("ApproximateNumberOfMessagesDelayed"), "1");
    nb_test_advance(h, 9000);
    receive_now(got, sizeof got);
    cr_assert_str_eq(got, "");
    nb_test_advance(h, 1500);
    receive_now(got, sizeof got);
    cr_assert_str_eq(got, "late");
}

Test(sqs_harness, long_poll_answered_by_a_later_send, .init = setup_default) {
    double t0 = nb_test_now(h);
    nb_test_pending_t *p = start_wait(20);
    nb_test_advance(h, 5000);
    cr_assert_not(nb_test_done(p), "nothing to receive yet");
    send_message("wake", "");
    cr_assert(nb_test_done(p), "the send answered the waiting receive");
    json_t *out = NULL;
    cr_assert_eq(nb_test_result(p, &out, NULL), 0);
    json_t *msgs = json_object_get(out, "Messages");
    cr_assert_eq(json_array_size(msgs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(msgs, 0), "Body")), "wake");
    json_decref(out);
    cr_assert_float_eq(nb_test_now(h) - t0, 5.0, 0.01, "answered at 5 s, not at the 20 s deadline");
}

Test(sqs_harness, long_poll_without_a_message_ends_at_its_wait_time, .init = setup_default) {
    answered_between(start_wait(20), 19900, 200, 0);
}

Test(sqs_harness, long_poll_sees_a_delayed_message_when_it_becomes_visible, .init = setup_default) {
    send_message("delayed", ",\"DelaySeconds\":3");
    answered_between(start_wait(10), 2900, 200, 1);
}

Test(sqs_harness, retention_period_drops_old_messages) {
    setup_queue("\"MessageRetentionPeriod\":\"60\"");
    send_message("old", "");
    nb_test_advance(h, 30000);
    send_message("young", "");
    cr_assert_str_eq(attribute("ApproximateNumberOfMessages"), "2");
    nb_test_advance(h, 31000); /* "old" is 61 s old, "young" 31 s */
    cr_assert_str_eq(attribute("ApproximateNumberOfMessages"), "1");
    char got[256];
    receive_now(got, sizeof got);
    cr_assert_str_eq(got, "young");
}

Test(sqs_harness, errors_carry_code_message_and_status) {
    h = nb_test_new("sqs");
    nb_test_error_t err;
    json_t *out = (json_t *)1;
    cr_assert_eq(nb_test_call(h, "sqs", "GetQueueUrl", "{\"QueueName\":\"missing\"}", &out, &err), NB_EINVAL);
    cr_assert_null(out);
    cr_assert_str_eq(err.code, "QueueDoesNotExist");
    cr_assert_str_eq(err.message, "The specified queue does not exist.");
    cr_assert_eq(err.status, 400);
    cr_assert_eq(nb_test_call(h, "sqs", "CreateQueue", "{}", NULL, &err), NB_EINVAL, "QueueName is required");
    cr_assert_eq(nb_test_call(h, "sqs", "NoSuchOperation", "{}", NULL, &err), NB_ENOENT);
}
