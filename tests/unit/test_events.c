/* The in-process event bus (core/gateway/events.c) through the plugin table: matching,
 * delivery on a later loop turn, only after the publishing request committed, unsubscribe. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "gateway/request.h"
#include "gateway/txn.h"
#include "store/store.h"

void nb__api_set_loop(uv_loop_t *loop);

static const nb_plugin_def_t pub_def = {.name = "s3", .service = "s3"};
static const nb_plugin_def_t sub_def = {.name = "sub", .service = "sqs"};
static struct nb_plugin publisher = {.def = &pub_def}, subscriber = {.def = &sub_def};

static char seen[16][96];
static size_t nseen;

static void record(nb_plugin_t *self, const nb_event_t *ev, void *data) {
    cr_assert_eq(self, &subscriber);
    snprintf(seen[nseen++ % 16], 96, "%s:%s|%s|%s|%s|%lld", (const char *)data, ev->name, ev->source, ev->account,
             ev->region, (long long)json_integer_value(json_object_get(ev->detail, "n")));
}

static void noop(uv_timer_t *t) { (void)t; }

/* One loop run: the bus's timers never keep a loop alive on their own. */
static void run_loop(void) {
    uv_timer_t keep;
    uv_timer_init(uv_default_loop(), &keep);
    uv_timer_start(&keep, noop, 5, 0);
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&keep, NULL);
    uv_run(uv_default_loop(), UV_RUN_NOWAIT);
}

static void setup(void) {
    nb__api_set_loop(uv_default_loop());
    nseen = 0;
}

static void teardown(void) {
    nb__events_unsubscribe_plugin(&subscriber);
    nb__events_clear();
    run_loop();
}

TestSuite(events, .init = setup, .fini = teardown);

Test(events, names_and_prefixes_match_in_subscription_order_on_a_later_turn) {
    cr_assert_not_null(nb__api.event_subscribe(&subscriber, "s3:ObjectCreated:*", record, "created"));
    cr_assert_not_null(nb__api.event_subscribe(&subscriber, "s3:ObjectRemoved:Delete", record, "exact"));
    cr_assert_not_null(nb__api.event_subscribe(&subscriber, "*", record, "all"));
    cr_assert_eq(nb__api.event_publish(&publisher, NULL, "s3:ObjectCreated:Put", "111122223333", "eu-west-1",
                                       json_pack("{s:i}", "n", 1)), 0);
    cr_assert_eq(nb__api.event_publish(&publisher, NULL, "s3:ObjectRemoved:DeleteMarkerCreated", NULL, NULL,
                                       json_pack("{s:i}", "n", 2)), 0);
    cr_assert_eq(nseen, 0, "never inside publish");
    run_loop();
    cr_assert_eq(nseen, 3);
    cr_assert_str_eq(seen[0], "created:s3:ObjectCreated:Put|s3|111122223333|eu-west-1|1");
    cr_assert_str_eq(seen[1], "all:s3:ObjectCreated:Put|s3|111122223333|eu-west-1|1");
    cr_assert_str_eq(seen[2], "all:s3:ObjectRemoved:DeleteMarkerCreated|s3|000000000000|us-east-1|2");
}

Test(events, bad_events_are_refused_and_their_detail_released) {
    cr_assert_eq(nb__api.event_publish(&publisher, NULL, "", NULL, NULL, NULL), NB_EINVAL);
    cr_assert_eq(nb__api.event_publish(&publisher, NULL, "x", NULL, NULL, json_string("not an object")), NB_EINVAL);
    cr_assert_null(nb__api.event_subscribe(&subscriber, NULL, record, NULL));
}

static nb_subscription_t *self_sub;
static void once(nb_plugin_t *self, const nb_event_t *ev, void *data) {
    record(self, ev, data);
    nb__api.event_unsubscribe(self_sub); /* inside its own callback */
}

Test(events, a_subscription_can_end_itself_and_ends_with_its_plugin) {
    self_sub = nb__api.event_subscribe(&subscriber, "a", once, "once");
    nb__api.event_publish(&publisher, NULL, "a", NULL, NULL, NULL);
    nb__api.event_publish(&publisher, NULL, "a", NULL, NULL, NULL);
    run_loop();
    cr_assert_eq(nseen, 1, "unsubscribed after the first");
    nb__api.event_subscribe(&subscriber, "b", record, "b");
    nb__api.event_publish(&publisher, NULL, "b", NULL, NULL, NULL);
    nb__events_unsubscribe_plugin(&subscriber); /* the plugin is unloaded before the event goes out */
    run_loop();
    cr_assert_eq(nseen, 1);
}

static nb_req_t *request(nb__service_t *svc) {
    nb_req_t *req = calloc(1, sizeof *req);
    req->svc = svc;
    snprintf(req->ctx.account, sizeof req->ctx.account, "123456789012");
    snprintf(req->ctx.region, sizeof req->ctx.region, "ap-south-1");
    return req;
}

static void publish(nb_req_t *req, int n) {
    cr_assert_eq(nb__api.event_publish(&publisher, req, "s3:ObjectCreated:Put", NULL, NULL, json_pack("{s:i}", "n", n)),
                 0);
}

/* The one rule of txn.c: an event waits for the transaction open on the publisher's store. */
Test(events, an_event_waits_for_its_transaction_and_a_rolled_back_one_never_comes) {
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("events", NULL, &st, &err), 0, "%s", err ? err : "");
    publisher.store = st;
    nb__service_t svc = {.provider = &publisher};
    nb__api.event_subscribe(&subscriber, "*", record, "r");
    nb_req_t *ok = request(&svc), *failed = request(&svc);

    cr_assert_eq(nb__txn_begin(st), 0);
    publish(ok, 7);
    run_loop();
    cr_assert_eq(nseen, 0, "its transaction is still open");
    cr_assert_eq(nb__txn_end(st, true), 0);
    run_loop();
    cr_assert_eq(nseen, 1);
    cr_assert_str_eq(seen[0], "r:s3:ObjectCreated:Put|s3|123456789012|ap-south-1|7", "%s", seen[0]);

    cr_assert_eq(nb__txn_begin(st), 0);
    publish(failed, 8);
    cr_assert_eq(nb__txn_end(st, false), 0); /* an error answered: rolled back */
    run_loop();
    cr_assert_eq(nseen, 1, "no event for a rolled-back write");

    publish(NULL, 9); /* outside any transaction: the next turn */
    run_loop();
    cr_assert_eq(nseen, 2);
    cr_assert_str_eq(seen[1], "r:s3:ObjectCreated:Put|s3|000000000000|us-east-1|9", "%s", seen[1]);

    publisher.store = NULL;
    nb__store_close(st);
    free(ok);
    free(failed);
}

/* ABI 1.8: a publisher asks before it builds a detail; the answer follows subscriptions as
 * they come and go (an exact name, a prefix, nothing). */
Test(events, subscribed_tells_whether_a_subscription_matches_now) {
    cr_assert_eq(nb__api.event_subscribed("s3:ObjectCreated:Put"), 0, "nobody subscribed yet");
    nb_subscription_t *prefix = nb__api.event_subscribe(&subscriber, "s3:ObjectCreated:*", record, "p");
    nb_subscription_t *exact = nb__api.event_subscribe(&subscriber, "s3:ObjectRemoved:Delete", record, "e");
    cr_assert(prefix && exact);
    cr_assert_eq(nb__api.event_subscribed("s3:ObjectCreated:Put"), 1);
    cr_assert_eq(nb__api.event_subscribed("s3:ObjectRemoved:Delete"), 1);
    cr_assert_eq(nb__api.event_subscribed("s3:ObjectRemoved:DeleteMarkerCreated"), 0, "exact names match whole");
    cr_assert_eq(nb__api.event_subscribed(NULL), 0);
    nb__api.event_unsubscribe(prefix);
    cr_assert_eq(nb__api.event_subscribed("s3:ObjectCreated:Put"), 0, "gone with its subscription");
    cr_assert_eq(nb__api.event_subscribed("s3:ObjectRemoved:Delete"), 1);
}
