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

static nb_test_t *start(const char *services) {
    nb_test_options_t o = {
        .services = services,
        .plugin_path = NB_HARNESS_PLUGIN_DIR,
        .spec_path = NB_SOURCE_DIR "/specs:" NB_HARNESS_SPEC_DIR,
    };
    char *err = NULL;
    nb_test_t *h = nb_test_new_with(&o, &err);
    cr_assert_not_null(h, "%s", err ? err : "");
    return h;
}

/* A relay's input: the callee's service, operation and input (JSON text). */
static char *relay(const char *service, const char *operation, const char *input) {
    json_t *in = json_pack("{s:s,s:s,s:s}", "Service", service, "Operation", operation, "Input", input);
    char *text = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    return text;
}

static json_t *call_ok(nb_test_t *h, const char *service, const char *op, const char *input) {
    json_t *out = NULL;
    nb_test_error_t err;
    int rc = nb_test_call(h, service, op, input, &out, &err);
    cr_assert_eq(rc, 0, "%s.%s: %d %s: %s", service, op, rc, err.code, err.message);
    return out;
}

static char *queue_url(nb_test_t *h, const char *name) {
    char in[128];
    snprintf(in, sizeof in, "{\"QueueName\":\"%s\"}", name);
    json_t *out = call_ok(h, "sqs", "CreateQueue", in);
    char *url = strdup(json_string_value(json_object_get(out, "QueueUrl")));
    json_decref(out);
    return url;
}

static json_t *relay_output(json_t *relayed) {
    const char *text = json_string_value(json_object_get(relayed, "Output"));
    cr_assert_not_null(text, "the relay carried no output");
    return json_loads(text, 0, NULL);
}

static json_int_t stat_of(nb_test_t *h, const char *name) {
    json_t *s = call_ok(h, "caller", "Stats", NULL);
    json_int_t v = json_integer_value(json_object_get(s, name));
    json_decref(s);
    return v;
}

Test(call, async_call_to_a_synchronous_callee) {
    nb_test_t *h = start("sqs,sts,caller");
    nb_test_set_identity(h, "111122223333", "eu-west-1");
    char *in = relay("sts", "GetCallerIdentity", "{}");
    json_t *r = call_ok(h, "caller", "RelayAsync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "Status")), 200);
    json_t *out = relay_output(r);
    cr_assert_str_eq(json_string_value(json_object_get(out, "Account")), "111122223333",
                     "the callee runs as the caller's account");
    cr_assert_str_eq(json_string_value(json_object_get(out, "Arn")), "arn:aws:iam::111122223333:root");
    json_decref(out);
    json_decref(r);
    free(in);
    cr_assert_eq(stat_of(h, "Delivered"), 1);
    nb_test_free(h);
}

Test(call, sync_call_to_a_synchronous_callee_commits_before_it_returns) {
    nb_test_t *h = start("sqs,caller");
    char *in = relay("sqs", "CreateQueue", "{\"QueueName\":\"made-by-a-call\"}");
    json_t *r = call_ok(h, "caller", "RelaySync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), 0);
    json_t *out = relay_output(r);
    cr_assert(strstr(json_string_value(json_object_get(out, "QueueUrl")), "/made-by-a-call") != NULL);
    json_t *got = call_ok(h, "sqs", "GetQueueUrl", "{\"QueueName\":\"made-by-a-call\"}");
    cr_assert_str_eq(json_string_value(json_object_get(got, "QueueUrl")),
                     json_string_value(json_object_get(out, "QueueUrl")));
    json_decref(got);
    json_decref(out);
    json_decref(r);
    free(in);
    nb_test_free(h);
}

/* A long poll through nb_call_async: it answers once a message is sent meanwhile. */
Test(call, async_callee_answers_later) {
    nb_test_t *h = start("sqs,caller");
    char *url = queue_url(h, "waits");
    char recv[512];
    snprintf(recv, sizeof recv, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":1}", url);
    char *in = relay("sqs", "ReceiveMessage", recv);
    nb_test_pending_t *p = nb_test_start(h, "caller", "RelayAsync", in);
    cr_assert_not_null(p);
    cr_assert_not(nb_test_done(p), "the receive waits for a message");
    nb_test_advance(h, 300);
    cr_assert_not(nb_test_done(p), "still within its 1 s wait");
    char send[512];
    snprintf(send, sizeof send, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"hello\"}", url);
    json_decref(call_ok(h, "sqs", "SendMessage", send));
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
    free(in);
    free(url);
    nb_test_free(h);
}

Test(call, async_callee_that_times_out_answers_empty) {
    nb_test_t *h = start("sqs,caller");
    char *url = queue_url(h, "empty");
    char recv[512];
    snprintf(recv, sizeof recv, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":1}", url);
    char *in = relay("sqs", "ReceiveMessage", recv);
    nb_test_pending_t *p = nb_test_start(h, "caller", "RelayAsync", in);
    nb_test_advance(h, 1100);
    cr_assert(nb_test_done(p), "the 1 s wait ended");
    json_t *r = NULL;
    cr_assert_eq(nb_test_result(p, &r, NULL), 0);
    json_t *out = relay_output(r);
    cr_assert_null(json_object_get(out, "Messages"));
    json_decref(out);
    json_decref(r);
    free(in);
    free(url);
    nb_test_free(h);
}

Test(call, callee_error_reaches_the_caller_with_code_and_message) {
    nb_test_t *h = start("sqs,caller");
    char *in = relay("sqs", "GetQueueUrl", "{\"QueueName\":\"nope\"}");
    json_t *r = call_ok(h, "caller", "RelayAsync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_EINVAL);
    cr_assert_eq(json_integer_value(json_object_get(r, "Status")), 400);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "QueueDoesNotExist");
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorMessage")), "The specified queue does not exist.");
    cr_assert_null(json_object_get(r, "Output"));
    json_decref(r);
    free(in);
    /* The input is checked against the callee's spec: MessageBody is required. */
    char *bad = relay("sqs", "SendMessage", "{\"QueueUrl\":\"http://x/000000000000/q\"}");
    r = call_ok(h, "caller", "RelayAsync", bad);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_EINVAL);
    cr_assert(strstr(json_string_value(json_object_get(r, "ErrorMessage")), "MessageBody") != NULL, "%s",
              json_string_value(json_object_get(r, "ErrorMessage")));
    json_decref(r);
    free(bad);
    nb_test_free(h);
}

/* The caller's client goes away while its call waits: the call is cancelled, the callee
 * releases its request, the callback never runs, and the message the receive would have
 * taken stays in the queue. */
Test(call, callers_request_cancelled_while_waiting) {
    nb_test_t *h = start("sqs,caller");
    char *url = queue_url(h, "cancelled");
    char recv[512];
    snprintf(recv, sizeof recv, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":20}", url);
    char *in = relay("sqs", "ReceiveMessage", recv);
    nb_test_pending_t *p = nb_test_start(h, "caller", "RelayAsync", in);
    nb_test_advance(h, 1000);
    cr_assert_not(nb_test_done(p));
    nb_test_abort(p); /* nb_req_on_abort -> nb_call_cancel */
    char send[512];
    snprintf(send, sizeof send, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"kept\"}", url);
    json_decref(call_ok(h, "sqs", "SendMessage", send));
    nb_test_advance(h, 25000);
    cr_assert_eq(stat_of(h, "Cancelled"), 1);
    cr_assert_eq(stat_of(h, "Delivered"), 0, "no callback after cancel");
    cr_assert_eq(stat_of(h, "DeliveredAfterCancel"), 0);
    char now[512];
    snprintf(now, sizeof now, "{\"QueueUrl\":\"%s\"}", url);
    json_t *got = call_ok(h, "sqs", "ReceiveMessage", now);
    cr_assert_eq(json_array_size(json_object_get(got, "Messages")), 1, "the cancelled receive took nothing");
    json_decref(got);
    free(in);
    free(url);
    nb_test_free(h);
}

Test(call, callee_plugin_disabled) {
    nb_test_t *h = start("caller"); /* SERVICES without sqs */
    char *in = relay("sqs", "CreateQueue", "{\"QueueName\":\"q\"}");
    json_t *r = call_ok(h, "caller", "RelayAsync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_ENOENT);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "ServiceNotEnabled");
    json_decref(r);
    r = call_ok(h, "caller", "RelaySync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_ENOENT);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "ServiceNotEnabled");
    json_decref(r);
    free(in);
    /* And straight from the harness. */
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "sqs", "ListQueues", "{}", NULL, &err), NB_ENOENT);
    cr_assert_str_eq(err.code, "ServiceNotEnabled");
    nb_test_free(h);
}

/* nb_call (synchronous) cannot wait for a long poll: it refuses, and the callee's request
 * is released by the callee, not freed under it (the use-after-free of issue 11). */
Test(call, sync_call_refuses_an_async_callee_safely) {
    nb_test_t *h = start("sqs,caller");
    char *url = queue_url(h, "sync-long-poll");
    char recv[512];
    snprintf(recv, sizeof recv, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":5}", url);
    char *in = relay("sqs", "ReceiveMessage", recv);
    json_t *r = call_ok(h, "caller", "RelaySync", in);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), NB_EINVAL);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "AsyncCallRequired");
    json_decref(r);
    char send[512];
    snprintf(send, sizeof send, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"later\"}", url);
    json_decref(call_ok(h, "sqs", "SendMessage", send));
    nb_test_advance(h, 6000);
    char now[512];
    snprintf(now, sizeof now, "{\"QueueUrl\":\"%s\"}", url);
    json_t *got = call_ok(h, "sqs", "ReceiveMessage", now);
    cr_assert_eq(json_array_size(json_object_get(got, "Messages")), 1, "the refused receive took nothing");
    json_decref(got);
    free(in);
    free(url);
    nb_test_free(h);
}

/* The harness's own call to a long poll: nb_test_call does not wait for time to pass. */
Test(call, harness_call_to_a_long_poll_says_pending) {
    nb_test_t *h = start("sqs");
    char *url = queue_url(h, "pending");
    char recv[512];
    snprintf(recv, sizeof recv, "{\"QueueUrl\":\"%s\",\"WaitTimeSeconds\":3}", url);
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "sqs", "ReceiveMessage", recv, NULL, &err), NB_EAGAIN);
    cr_assert_str_eq(err.code, "StillPending");
    free(url);
    nb_test_free(h);
}
