/* The service quirk tables (quirks.h). */
#include "gateway/quirks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/quirks.h"

const nb__quirk_error_t nb__quirks_unavailable[] = {
    {"s3", "SlowDown", 503, "Please reduce your request rate."},
    {NULL, NULL, 0, NULL},
};

const nb__quirk_error_t nb__quirks_unknown_rest_operation[] = {
    {"s3", "MethodNotAllowed", 405, "The specified method is not allowed against this resource."},
    {NULL, NULL, 0, NULL},
};

const nb__quirk_error_t *nb__quirk_error(const nb__quirk_error_t *table, const char *service) {
    for (; service && table->service; table++)
        if (strcmp(table->service, service) == 0)
            return table;
    return NULL;
}

const nb__quirk_setting_t nb__quirks_presign_checked[] = {
    {"s3", nb__setting_skip_presign_check},
    {NULL, NULL},
};

const char *nb__quirk_setting(const nb__quirk_setting_t *table, const char *service) {
    for (; service && table->service; table++)
        if (strcmp(table->service, service) == 0)
            return table->setting;
    return NULL;
}

const char *const nb__quirks_own_auth_words[] = {"s3", NULL};

bool nb__quirk_listed(const char *const *table, const char *service) {
    for (; service && *table; table++)
        if (strcmp(*table, service) == 0)
            return true;
    return false;
}

/* SQS: clients may send an operation to the queue's URL itself (POST /<account>/<name>, or
 * LocalStack's path form /queue/<region>/<account>/<name>) without a QueueUrl parameter;
 * the URL is the path. */
static void queue_url_from_path(nb_req_t *req, json_t *input) {
    if (!json_is_object(input) || json_object_get(input, "QueueUrl") ||
        json_object_get(req->route.op->input ? json_object_get(req->route.op->input, "members") : NULL, "QueueUrl") == NULL)
        return;
    const char *path = req->http->path;
    if (path == NULL || path[0] != '/')
        return;
    const char *acct = path + 1; /* <account>/<name> from here */
    const char *region_end = strncmp(acct, "queue/", 6) == 0 ? strchr(acct + 6, '/') : NULL;
    if (region_end && region_end > acct + 6 && strchr(region_end + 1, '/'))
        acct = region_end + 1; /* /queue/<region>/<account>/<name>: the plugin reads the region from the URL */
    const char *slash = strchr(acct, '/');
    if (slash == NULL || slash == acct || slash[1] == '\0' || strchr(slash + 1, '/'))
        return;
    const char *host = nb__http_request_header(req->http, "Host");
    char *url = NULL;
    if (asprintf(&url, "http://%s%s", host ? host : "localhost", path) >= 0)
        json_object_set_new(input, "QueueUrl", json_string(url));
    free(url);
}

typedef struct input_rewrite {
    const char *service;
    void (*rewrite)(nb_req_t *req, json_t *input);
} input_rewrite_t;

static const input_rewrite_t input_rewrites[] = {
    {"sqs", queue_url_from_path},
    {NULL, NULL},
};

void nb__quirk_rewrite_input(nb_req_t *req, json_t *input) {
    for (const input_rewrite_t *r = input_rewrites; r->service; r++)
        if (strcmp(r->service, req->route.spec->service) == 0)
            r->rewrite(req, input);
}

const char nb__quirk_root_principal_service[] = "iam";
