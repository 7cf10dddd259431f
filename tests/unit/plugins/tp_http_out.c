/* A test provider (service lambda) for the ABI 1.10 outbound HTTP client, driven end to end by
 * tests/e2e/test_http_out.py through LocalStack-style developer endpoints of the main port:
 *
 *   POST /_aws/lambda/http-out/send    body {"url", "method", "headers": {name: value}, "body",
 *        "connect_timeout_ms", "timeout_ms", "max_response", "insecure", "cancel_after_ms"}:
 *        sends it with nb_http_send and answers, once its callback ran, {"status", "error",
 *        "headers": [[name, value], ...], "body"}; with cancel_after_ms, nb_http_cancel after that
 *        long, answering {"cancelled": true}.
 *   GET  /_aws/lambda/http-out/stats   {"callbacks": n, "cancelled_callbacks": n} (NB_ECANCELED ones).
 *
 * A client that goes away cancels its request. Each callback is logged ("tp-http-out: callback
 * status N"), so a test reads what ran at the server's stop. */
#include <nimbus/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "/_aws/lambda/http-out/"

static nb_plugin_t *plugin;
static unsigned long callbacks, cancelled_callbacks;

typedef struct exchange {
    nb_http_t *client; /* the test's request; NULL once it went away */
    nb_http_out_t *out;
    nb_timer_t *cancel_timer;
} exchange_t;

static void respond_json(nb_http_t *h, int status, json_t *value) {
    char *text = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    nb_http_reply_header(h, "Content-Type", "application/json");
    nb_http_respond(h, status, text ? text : "null", text ? strlen(text) : 4);
    free(text);
}

static void exchange_free(exchange_t *x) {
    if (x->cancel_timer)
        nb_timer_stop(x->cancel_timer);
    free(x);
}

static void answered(const nb_http_result_t *r, void *data) {
    exchange_t *x = data;
    callbacks++;
    if (r->status == NB_ECANCELED)
        cancelled_callbacks++;
    nb_log(plugin, NB_LOG_INFO, "tp-http-out: callback status %d", r->status);
    if (x->client) {
        json_t *headers = json_array();
        for (size_t i = 0; i < r->nheaders; i++)
            json_array_append_new(headers, json_pack("[s,s]", r->headers[i].name, r->headers[i].value));
        respond_json(x->client, 200,
                     json_pack("{s:i,s:s,s:o,s:s%}", "status", r->status, "error",
                               r->status < 0 ? nb_strerror(r->status) : "", "headers", headers, "body", r->body,
                               r->body_len));
    }
    exchange_free(x);
}

static void client_gone(nb_http_t *h, void *data) {
    (void)h;
    exchange_t *x = data;
    nb_http_cancel(x->out);
    exchange_free(x);
}

static void cancel_now(nb_timer_t *t, void *data) {
    (void)t;
    exchange_t *x = data;
    nb_http_cancel(x->out);
    respond_json(x->client, 200, json_pack("{s:b}", "cancelled", 1));
    exchange_free(x); /* stops this timer too */
}

static void send_one(nb_http_t *h) {
    nb_body_t *b = nb_http_body(h);
    int64_t size = nb_body_size(b);
    char *text = malloc((size_t)size + 1);
    json_t *args = text && nb_body_read(b, 0, text, (size_t)size) == size ? json_loadb(text, (size_t)size, 0, NULL) : NULL;
    free(text);
    if (!json_is_object(args)) {
        json_decref(args);
        nb_http_respond(h, 400, "not a JSON object", 17);
        return;
    }
    nb_http_field_t fields[32];
    size_t nfields = 0;
    const char *name;
    json_t *value;
    json_object_foreach(json_object_get(args, "headers"), name, value) {
        if (nfields < 32)
            fields[nfields++] = (nb_http_field_t){name, json_string_value(value)};
    }
    const json_t *body = json_object_get(args, "body");
    nb_http_request_t rq = NB_HTTP_REQUEST_INIT;
    rq.url = json_string_value(json_object_get(args, "url"));
    rq.method = json_string_value(json_object_get(args, "method"));
    rq.headers = fields;
    rq.nheaders = nfields;
    rq.body = body ? json_string_value(body) : NULL;
    rq.body_len = body ? json_string_length(body) : 0;
    rq.connect_timeout_ms = (uint64_t)json_integer_value(json_object_get(args, "connect_timeout_ms"));
    rq.timeout_ms = (uint64_t)json_integer_value(json_object_get(args, "timeout_ms"));
    rq.max_response = (size_t)json_integer_value(json_object_get(args, "max_response"));
    rq.insecure_tls = json_is_true(json_object_get(args, "insecure"));
    json_int_t cancel_after = json_integer_value(json_object_get(args, "cancel_after_ms"));
    exchange_t *x = calloc(1, sizeof *x);
    x->client = h;
    int rc = nb_http_send(plugin, &rq, answered, x, &x->out);
    json_decref(args); /* everything was copied */
    if (rc != 0) {
        free(x);
        respond_json(h, 200, json_pack("{s:i,s:s}", "send_failed", rc, "error", nb_strerror(rc)));
        return;
    }
    nb_http_on_abort(h, client_gone, x);
    if (cancel_after > 0)
        x->cancel_timer = nb_timer_start(plugin, (uint64_t)cancel_after, 0, cancel_now, x);
}

static void raw(nb_http_t *h, void *data) {
    (void)data;
    const char *path = nb_http_path(h) + strlen(PREFIX);
    if (strcmp(path, "send") == 0 && strcmp(nb_http_method(h), "POST") == 0) {
        send_one(h);
    } else if (strcmp(path, "stats") == 0) {
        respond_json(h, 200, json_pack("{s:I,s:I}", "callbacks", (json_int_t)callbacks, "cancelled_callbacks",
                                       (json_int_t)cancelled_callbacks));
    } else {
        nb_http_respond(h, 404, "no such endpoint", 16);
    }
}

static int tp_init(nb_plugin_t *self) {
    plugin = self;
    return nb_route_prefix(self, PREFIX, raw, NULL);
}

static const nb_op_t ops[] = {{NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "lambda-http-out-test", .service = "lambda", .api_version = "2015-03-31", .ops = ops,
                 .init = tp_init);
