/*
 * In-process calls (nb_call, nb_call_async, nb_call_cancel) through the test plugin
 * tests/unit/plugins/harness_caller.c, which relays a call to SQS or STS and answers what
 * came back. Run under ASan too: a callee's request freed while it still holds it, or a
 * callback run after its cancel, shows there.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nimbus/errno.h"
#include "nimbus/testing.h"
#include "support/harness_fixture.h"

static nb_test_t *h;  /* each test's harness (Criterion runs each test in its own process) */
static char *url;     /* the queue "q" of with_queue */

static nb_test_t *start(const char *services) { return harness_start(services); }

/* A relay's input: the callee's service, operation and input (JSON text). */
static char *relay(const char *service, const char *operation, const char *input) {
    json_t *in = json_pack("{s:s,s:s,s:s}", "Service", service, "Operation", operation, "Input", input);
    char *text = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    return text;
}

static json_t *call_ok(const char *service, const char *op, const char *input) {
    return harness_call_ok(h, service, op, input);
}

static char *queue_url(const char *name) {
    char in[128];
    snprintf(in, sizeof in, "{\"QueueName\":\"%s\"}", name);
    json_t *out = call_ok("sqs", "CreateQueue", in);
    char *made = strdup(json_string_value(json_object_get(out, "QueueUrl")));
    json_decref(out);
    return made;
}

static void with_queue(void) {
    h = start("sqs,sts,caller");
    url = queue_url("q");
}

static void without_sqs(void) { h = start("caller"); }

static void teardown(void) {
    free(url);
    nb_test_free(h);
}

TestSuite(call, .init = with_queue, .fini = teardown);

/* The caller relays a ReceiveMessage on url that waits up to wait_s seconds. */
static nb_test_pending_t *relayed_receive(int wait_s) {
    char recv[512];
    snprintf(recv, sizeof recv, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":%d}", url, wait_s);
    char *in = relay("sqs", "ReceiveMessage", recv);
    nb_test_pending_t *p = nb_test_start(h, "caller", "RelayAsync", in);
    free(in);
    cr_assert_not_null(p);
    return p;
}

static void send_to(const char *body) {
    char send[512];
    snprintf(send, sizeof send, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"%s\"}", url, body);
    json_decref(call_ok("sqs", "SendMessage", send));
}

/* How many messages a receive on url gets now. */
static size_t receive_count(void) {
    char now[512];
    snprintf(now, sizeof now, "{\"QueueUrl\":\"%s\"}", url);
    json_t *got = call_ok("sqs", "ReceiveMessage", now);
    size_t n = json_array_size(json_object_get(got, "Messages"));
    json_decref(got);
    return n;
}

static json_t *relay_output(json_t *relayed) {
    const char *text = json_string_value(json_object_get(relayed, "Output"));
    cr_assert_not_null(text, "the relay carried no output");
    return json_loads(text, 0, NULL);
}

static json_int_t stat_of(const char *name) {
    json_t *s = call_ok("caller", "Stats", NULL);
    json_int_t v = json_integer_value(json_object_get(s, name));
    json_decref(s);
    return v;
}

Test(call, async_call_to_a_synchronous_callee) {
    nb_test_set_identity(h, "111122223333", "eu-west-1");
    char *in = relay("sts", "GetCallerIdentity", "{}");
    json_t *r = call_ok("caller", "RelayAsync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "Status")), 200);
    json_t *out = relay_output(r);
    cr_assert_str_eq(json_string_value(json_object_get(out, "Account")), "111122223333",
                     "the callee runs as the caller's account");
    cr_assert_str_eq(json_string_value(json_object_get(out, "Arn")), "arn:aws:iam::111122223333:root");
    json_decref(out);
    json_decref(r);
    free(in);
    cr_assert_eq(stat_of("Delivered"), 1);
}

Test(call, sync_call_to_a_synchronous_callee_commits_before_it_returns) {
    char *in = relay("sqs", "CreateQueue", "{\"QueueName\":\"made-by-a-call\"}");
    json_t *r = call_ok("caller", "RelaySync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), 0);
    json_t *out = relay_output(r);
    cr_assert(strstr(json_string_value(json_object_get(out, "QueueUrl")), "/made-by-a-call") != NULL);
    json_t *got = call_ok("sqs", "GetQueueUrl", "{\"QueueName\":\"made-by-a-call\"}");
    cr_assert_str_eq(json_string_value(json_object_get(got, "QueueUrl")),
                     json_string_value(json_object_get(out, "QueueUrl")));
    json_decref(got);
    json_decref(out);
    json_decref(r);
    free(in);
}

/* A long poll through nb_call_async: it answers once a message is sent meanwhile. */
Test(call, async_callee_answers_later) {
    nb_test_pending_t *p = relayed_receive(1);
    cr_assert_not(nb_test_done(p), "the receive waits for a message");
    nb_test_advance(h, 300);
    cr_assert_not(nb_test_done(p), "still within its 1 s wait");
    send_to("hello");
    nb_test_run(h);
    cr_assert(nb_test_done(p), "the send woke the waiting receive");
    json_t *r = NULL;
    nb_test_error_t err;
    cr_assert_eq(nb_test_result(p, &r, &err), 0, "%s", err.message);
    json_t *out = relay_output(r);
    json_t *msgs = json_object_get(out, "Messages");
    cr_assert_eq(json_array_size(msgs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(msgs, 0), "Body")), "hello");
    json_decref(out);
    json_decref(r);
}

Test(call, async_callee_that_times_out_answers_empty) {
    nb_test_pending_t *p = relayed_receive(1);
    nb_test_advance(h, 1100);
    cr_assert(nb_test_done(p), "the 1 s wait ended");
    json_t *r = NULL;
    cr_assert_eq(nb_test_result(p, &r, NULL), 0);
    json_t *out = relay_output(r);
    cr_assert_null(json_object_get(out, "Messages"));
    json_decref(out);
    json_decref(r);
}

Test(call, callee_error_reaches_the_caller_with_code_and_message) {
    char *in = relay("sqs", "GetQueueUrl", "{\"QueueName\":\"nope\"}");
    json_t *r = call_ok("caller", "RelayAsync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_EINVAL);
    cr_assert_eq(json_integer_value(json_object_get(r, "Status")), 400);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "QueueDoesNotExist");
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorMessage")), "The specified queue does not exist.");
    cr_assert_null(json_object_get(r, "Output"));
    json_decref(r);
    free(in);
    /* The input is checked against the callee's spec: MessageBody is required. */
    char *bad = relay("sqs", "SendMessage", "{\"QueueUrl\":\"http://x/000000000000/q\"}");
    r = call_ok("caller", "RelayAsync", bad);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_EINVAL);
    cr_assert(strstr(json_string_value(json_object_get(r, "ErrorMessage")), "MessageBody") != NULL, "%s",
              json_string_value(json_object_get(r, "ErrorMessage")));
    json_decref(r);
    free(bad);
}

/* The caller's client goes away while its call waits: the call is cancelled, the callee
 * releases its request, the callback never runs, and the message the receive would have
 * taken stays in the queue. */
Test(call, callers_request_cancelled_while_waiting) {
    nb_test_pending_t *p = relayed_receive(20);
    nb_test_advance(h, 1000);
    cr_assert_not(nb_test_done(p));
    nb_test_abort(p); /* nb_req_on_abort -> nb_call_cancel */
    send_to("kept");
    nb_test_advance(h, 25000);
    cr_assert_eq(stat_of("Cancelled"), 1);
    cr_assert_eq(stat_of("Delivered"), 0, "no callback after cancel");
    cr_assert_eq(stat_of("DeliveredAfterCancel"), 0);
    cr_assert_eq(receive_count(), 1, "the cancelled receive took nothing");
}

Test(call, callee_plugin_disabled, .init = without_sqs) { /* SERVICES without sqs */
    char *in = relay("sqs", "CreateQueue", "{\"QueueName\":\"q\"}");
    json_t *r = call_ok("caller", "RelayAsync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_ENOENT);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "ServiceNotEnabled");
    json_decref(r);
    r = call_ok("caller", "RelaySync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_ENOENT);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "ServiceNotEnabled");
    json_decref(r);
    free(in);
    /* And straight from the harness. */
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "sqs", "ListQueues", "{}", NULL, &err), NB_ENOENT);
    cr_assert_str_eq(err.code, "ServiceNotEnabled");
}

/* nb_call (synchronous) cannot wait for a long poll: it refuses, and the callee's request
 * is released by the callee, not freed under it (the use-after-free of issue 11). */
Test(call, sync_call_refuses_an_async_callee_safely) {
    char recv[512];
    snprintf(recv, sizeof recv, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":5}", url);
    char *in = relay("sqs", "ReceiveMessage", recv);
    json_t *r = call_ok("caller", "RelaySync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_EINVAL);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "AsyncCallRequired");
    json_decref(r);
    send_to("later");
    nb_test_advance(h, 6000);
    cr_assert_eq(receive_count(), 1, "the refused receive took nothing");
    free(in);
}

/* The harness's own call to a long poll: nb_test_call does not wait for time to pass. */
Test(call, harness_call_to_a_long_poll_says_pending) {
    char recv[512];
    snprintf(recv, sizeof recv, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":3}", url);
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "sqs", "ReceiveMessage", recv, NULL, &err), NB_EAGAIN);
    cr_assert_str_eq(err.code, "StillPending");
}
