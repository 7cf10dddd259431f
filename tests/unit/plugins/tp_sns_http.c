/* SNS's HTTP/HTTPS delivery (plugins/sns/sns_http.c, built in here as is) in a test provider
 * (service lambda) that stands in for the SNS outbox, driven by tests/e2e/test_sns_http_delivery.py:
 *
 *   POST /_aws/lambda/sns-http/deliver  body: the sns_delivery_t members as JSON ("outbox_id",
 *        "topic_arn", "subscription_arn", "endpoint", "message_type", "message_id", "body", "raw",
 *        "delivery_policy"): hands them to sns_http_deliver; answers 202 at once.
 *   GET  /_aws/lambda/sns-http/done     [{"outbox_id", "delivered"}, ...]: every sns_delivery_done so far.
 *
 * Its fini calls sns_http_stop, as the sns plugin's does. */
#include "../../../plugins/sns/sns_http.c"

#define PREFIX "/_aws/lambda/sns-http/"

static nb_plugin_t *plugin;
static json_t *done_calls;

void sns_delivery_done(nb_plugin_t *self, int64_t outbox_id, int delivered) {
    (void)self;
    json_array_append_new(done_calls, json_pack("{s:I,s:b}", "outbox_id", (json_int_t)outbox_id, "delivered", delivered));
}

static const char *member(const json_t *o, const char *name) { return json_string_value(json_object_get(o, name)); }

static void deliver(nb_http_t *h) {
    nb_body_t *b = nb_http_body(h);
    int64_t size = nb_body_size(b);
    char *text = malloc((size_t)size + 1);
    json_t *a = text && nb_body_read(b, 0, text, (size_t)size) == size ? json_loadb(text, (size_t)size, 0, NULL) : NULL;
    free(text);
    if (!json_is_object(a)) {
        json_decref(a);
        nb_http_respond(h, 400, "not a JSON object", 17);
        return;
    }
    const json_t *body = json_object_get(a, "body");
    sns_delivery_t d = {
        .outbox_id = json_integer_value(json_object_get(a, "outbox_id")),
        .account = "000000000000",
        .region = "us-east-1",
        .topic_arn = member(a, "topic_arn"),
        .subscription_arn = member(a, "subscription_arn"),
        .protocol = "http",
        .endpoint = member(a, "endpoint"),
        .message_type = member(a, "message_type"),
        .message_id = member(a, "message_id"),
        .body = json_string_value(body),
        .body_len = json_string_length(body),
        .raw = json_is_true(json_object_get(a, "raw")),
        .delivery_policy = member(a, "delivery_policy"),
        .attempt = 1,
    };
    sns_http_deliver(plugin, &d);
    json_decref(a);
    nb_http_respond(h, 202, "", 0);
}

static void raw_endpoint(nb_http_t *h, void *data) {
    (void)data;
    const char *path = nb_http_path(h) + strlen(PREFIX);
    if (strcmp(path, "deliver") == 0 && strcmp(nb_http_method(h), "POST") == 0) {
        deliver(h);
    } else if (strcmp(path, "done") == 0) {
        char *text = json_dumps(done_calls, JSON_COMPACT);
        nb_http_respond(h, 200, text, strlen(text));
        free(text);
    } else {
        nb_http_respond(h, 404, "no such endpoint", 16);
    }
}

static int tp_init(nb_plugin_t *self) {
    plugin = self;
    done_calls = json_array();
    return nb_route_prefix(self, PREFIX, raw_endpoint, NULL);
}

static void tp_fini(nb_plugin_t *self) {
    sns_http_stop(self);
    json_decref(done_calls);
}

static const nb_op_t ops[] = {{NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "lambda-sns-http-test", .service = "lambda", .api_version = "2015-03-31", .ops = ops,
                 .init = tp_init, .fini = tp_fini);
