/* Queue URLs in the shape SQS_ENDPOINT_STRATEGY selects, as LocalStack builds them:
 *   standard  http://sqs.<region>.<LOCALSTACK_HOST>/<account>/<name>        (the default, AWS's shape)
 *   domain    http://<region>.queue.<LOCALSTACK_HOST>/<account>/<name>      (no "<region>." for us-east-1)
 *   path      http://<Host of the request>/queue/<region>/<account>/<name>
 *   off       http://<Host of the request>/<account>/<name>
 * The last two use the host the client reached Nimbus at (LOCALSTACK_HOST for in-process calls).
 * Every shape is accepted back as a QueueUrl whatever the setting (sqs_parse_queue_url). */
#include <string.h>

#include "sqs_plugin.h"

static const char *const strategies[] = {"standard", "domain", "path", "off"};

int sqs_url_strategy_load(nb_plugin_t *self) {
    const char *v = nb_setting_string(self, "SQS_ENDPOINT_STRATEGY");
    for (int i = 0; i < 4; i++)
        if (v == NULL || strcmp(v, strategies[i]) == 0) {
            sqs.url_strategy = v ? i : SQS_URL_STANDARD;
            return 0;
        }
    nb_log(self, NB_LOG_ERROR, "SQS_ENDPOINT_STRATEGY: invalid value '%s': expected standard, domain, path or off",
           v);
    return -1;
}

/* LOCALSTACK_HOST with a port (4566 when it names none). */
static const char *configured_host(nb_req_t *req) {
    const char *host = nb_config_get("LOCALSTACK_HOST");
    if (host == NULL || *host == '\0')
        host = "localhost.localstack.cloud:4566";
    const char *colon = strrchr(host, ':');
    bool has_port = colon && !strchr(colon, ']');
    return has_port ? host : nb_req_printf(req, "%s:4566", host);
}

const char *sqs_queue_url(nb_req_t *req, const sqs_queue_t *q) {
    const char *host = configured_host(req);
    const char *request_host = nb_req_header(req, "Host");
    if (request_host == NULL || *request_host == '\0' || strpbrk(request_host, "/ "))
        request_host = host;
    switch (sqs.url_strategy) {
    case SQS_URL_DOMAIN:
        if (strcmp(q->region, "us-east-1") == 0)
            return nb_req_printf(req, "http://queue.%s/%s/%s", host, q->account, q->name);
        return nb_req_printf(req, "http://%s.queue.%s/%s/%s", q->region, host, q->account, q->name);
    case SQS_URL_PATH:
        return nb_req_printf(req, "http://%s/queue/%s/%s/%s", request_host, q->region, q->account, q->name);
    case SQS_URL_OFF:
        return nb_req_printf(req, "http://%s/%s/%s", request_host, q->account, q->name);
    default:
        return nb_req_printf(req, "http://sqs.%s.%s/%s/%s", q->region, host, q->account, q->name);
    }
}
