/*
 * An event subscriber for the event bus and settings tests ("sts-events", serving STS
 * when PROVIDER_OVERRIDE_STS=sts-events). At init it subscribes to the pattern its
 * TP_EVENTS_PATTERN setting names (default "s3:*") and logs each event it gets as
 *     event <name> from <source> <account> <region> <detail JSON>
 * at most TP_EVENTS_LIMIT times. GetSessionToken publishes "tp:Token" with the
 * DurationSeconds asked, then fails (ExpiredToken) when they are 901: an event of a
 * request that failed must never arrive.
 */
#include <stdlib.h>

#include <nimbus/plugin.h>

static nb_subscription_t *sub;
static int64_t left;

static void on_event(nb_plugin_t *self, const nb_event_t *ev, void *data) {
    (void)data;
    if (left-- <= 0)
        return;
    char *detail = json_dumps(ev->detail, JSON_COMPACT | JSON_SORT_KEYS);
    nb_log(self, NB_LOG_INFO, "event %s from %s %s %s %s", ev->name, ev->source, ev->account, ev->region,
           detail ? detail : "?");
    free(detail);
}

static nb_result_t get_session_token(nb_req_t *req, const json_t *in) {
    json_int_t secs = json_integer_value(json_object_get(in, "DurationSeconds"));
    nb_event_publish(nb_req_plugin(req), req, "tp:Token", NULL, NULL, json_pack("{s:I}", "DurationSeconds", secs));
    if (secs == 901)
        return nb_error(req, "ExpiredToken", "refused after publishing");
    return nb_reply_new(req, json_pack("{s:{s:s,s:s,s:s,s:f}}", "Credentials", "AccessKeyId", "AKIDEXAMPLE",
                                       "SecretAccessKey", "secret", "SessionToken", "token", "Expiration", nb_now()));
}

static int events_init(nb_plugin_t *self) {
    left = nb_setting_int(self, "TP_EVENTS_LIMIT");
    const char *pattern = nb_setting_string(self, "TP_EVENTS_PATTERN");
    sub = nb_event_subscribe(self, pattern, on_event, NULL);
    nb_log(self, NB_LOG_INFO, "subscribed to %s", pattern);
    return sub ? 0 : NB_ENOMEM;
}

static void events_fini(nb_plugin_t *self) {
    (void)self;
    nb_event_unsubscribe(sub);
    sub = NULL;
}

static const nb_op_t events_ops[] = {
    {"GetSessionToken", get_session_token, 0},
    {NULL, NULL, 0},
};

static const nb_setting_t events_settings[] = {
    {"TP_EVENTS_PATTERN", NB_SETTING_STRING, "s3:*", "Events to log: a name, or a prefix ending in '*'"},
    {"TP_EVENTS_LIMIT", NB_SETTING_INT, "100", "At most this many events are logged"},
    {NULL, 0, NULL, NULL},
};

NB_PLUGIN_DEFINE(.name = "sts-events", .service = "sts", .api_version = "2011-06-15", .ops = events_ops,
                 .init = events_init, .fini = events_fini, .settings = events_settings);
