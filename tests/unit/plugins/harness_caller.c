/*
 * A test plugin ("caller", spec in tests/data/harness-specs) that relays one call to
 * another service's operation, for the tests of nb_call and nb_call_async:
 *
 *   RelaySync  {Service, Operation, Input: JSON text} -> nb_call
 *   RelayAsync {Service, Operation, Input: JSON text} -> nb_call_async, answered from its
 *              callback; a caller that goes away cancels the call (nb_req_on_abort)
 *   Stats      -> {Delivered, Cancelled, DeliveredAfterCancel}: callbacks run, calls
 *              cancelled, and callbacks that ran for a cancelled call (must stay 0)
 *
 * Output: {Rc, Status, Output: JSON text, ErrorCode, ErrorMessage}.
 */
#include <stdlib.h>
#include <string.h>

#include <nimbus/plugin.h>

typedef struct relay {
    nb_req_t *req;
    uint64_t call;
    struct relay *next;
} relay_t;

static int delivered, cancelled, delivered_after_cancel;
static uint64_t cancelled_ids[64];
static int ncancelled_ids;
static relay_t *relays; /* waiting for their callback */

static json_t *relay_input(const json_t *in) {
    const char *text = json_string_value(json_object_get(in, "Input"));
    return text ? json_loads(text, 0, NULL) : json_object();
}

static nb_result_t relay_sync(nb_req_t *req, const json_t *in) {
    json_t *out = NULL;
    char code[128];
    int rc = nb_call(nb_req_plugin(req), nb_req_account(req), nb_req_region(req),
                     json_string_value(json_object_get(in, "Service")),
                     json_string_value(json_object_get(in, "Operation")), relay_input(in), &out, code, sizeof code);
    char *text = out ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(out);
    json_t *reply = json_pack("{s:i}", "Rc", rc);
    if (text)
        json_object_set_new(reply, "Output", json_string(text));
    if (rc != 0)
        json_object_set_new(reply, "ErrorCode", json_string(code));
    free(text);
    return nb_reply_new(req, reply);
}

static void relay_unlink(relay_t *r) {
    for (relay_t **p = &relays; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            return;
        }
}

static void relay_done(const nb_call_result_t *res, void *data) {
    relay_t *r = data;
    delivered++;
    for (int i = 0; i < ncancelled_ids; i++)
        if (cancelled_ids[i] == r->call)
            delivered_after_cancel++;
    relay_unlink(r);
    json_t *reply = json_pack("{s:i,s:i}", "Rc", res->rc, "Status", res->status);
    if (res->output) {
        char *text = json_dumps(res->output, JSON_COMPACT | JSON_SORT_KEYS);
        json_object_set_new(reply, "Output", json_string(text));
        free(text);
    }
    if (res->error_code) {
        json_object_set_new(reply, "ErrorCode", json_string(res->error_code));
        json_object_set_new(reply, "ErrorMessage", json_string(res->error_message));
    }
    nb_req_t *req = r->req;
    free(r);
    nb_reply_new(req, reply);
    nb_finish(req);
}

/* Our own caller went away: so does our call, and the request is released. */
static void relay_aborted(nb_req_t *req, void *data) {
    relay_t *r = data;
    nb_call_cancel(r->call);
    nb_call_cancel(r->call); /* twice: a second cancel is a no-op */
    cancelled++;
    if (ncancelled_ids < 64)
        cancelled_ids[ncancelled_ids++] = r->call;
    relay_unlink(r);
    free(r);
    nb_finish(req);
}

static nb_result_t relay_async(nb_req_t *req, const json_t *in) {
    relay_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NB_FAILED(NB_ENOMEM);
    r->req = req;
    r->call = nb_call_async(nb_req_plugin(req), nb_req_account(req), nb_req_region(req),
                            json_string_value(json_object_get(in, "Service")),
                            json_string_value(json_object_get(in, "Operation")), relay_input(in), relay_done, r);
    if (r->call == 0) {
        free(r);
        return NB_FAILED(NB_ENOMEM);
    }
    r->next = relays;
    relays = r;
    nb_req_on_abort(req, relay_aborted, r);
    return NB_ASYNC;
}

static nb_result_t stats(nb_req_t *req, const json_t *in) {
    (void)in;
    return nb_reply_new(req, json_pack("{s:i,s:i,s:i}", "Delivered", delivered, "Cancelled", cancelled,
                                       "DeliveredAfterCancel", delivered_after_cancel));
}

/* The server stops: what still waits is cancelled and answered. */
static void caller_shutdown(nb_plugin_t *self) {
    (void)self;
    while (relays) {
        relay_t *r = relays;
        relays = r->next;
        nb_call_cancel(r->call);
        nb_req_t *req = r->req;
        free(r);
        nb_error_code(req, "ServiceUnavailable", 503, "shutting down");
        nb_finish(req);
    }
}

static const nb_op_t ops[] = {
    {"RelaySync", relay_sync, 0},
    {"RelayAsync", relay_async, 0},
    {"Stats", stats, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "caller", .service = "caller", .ops = ops, .shutdown = caller_shutdown);
