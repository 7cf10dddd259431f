#include "gateway/gateway.h"

#include <stdarg.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/md5.h>

#include "gateway/request.h"
#include "http/body.h"
#include "nimbus/errno.h"
#include "util/buf.h"
#include "util/codec.h"
#include "store/store.h"

void nb__api_set_config(const nb__config_t *cfg);
void nb__api_set_loop(uv_loop_t *loop);


/* A commit failed after the handler succeeded: the plugin drops what it cached. */
static void lost_writes(void *data) {
    nb_plugin_t *p = data;
    void (*hook)(nb_plugin_t *) = NB__DEF_HOOK(p->def, rolled_back);
    if (hook)
        hook(p);
}

/* Opens a service's store when it starts; closes it when it stops. */
static int store_start(nb__registry_t *reg, nb__service_t *svc, char **err) {
    const nb__config_t *cfg = reg->cfg;
    nb__store_config_t sc = {
        .persistence = cfg && cfg->persistence,
        .data_dir = cfg ? cfg->data_dir : NULL,
    };
    nb__store_t *st = NULL;
    if (nb__store_open(svc->name, &sc, &st, err) != 0)
        return NB_ESTORE;
    svc->provider->store = st;
    nb__store_on_lost_writes(st, lost_writes, svc->provider);
    return 0;
}

static void store_stop(nb__registry_t *reg, nb__service_t *svc) {
    (void)reg;
    nb__store_close(svc->provider->store);
    svc->provider->store = NULL;
}

/* With persistence, a service that has state on disk starts now: a corrupt
 * database, or one a newer Nimbus wrote, stops startup instead of failing the
 * service's first request much later. */
static int start_saved_services(nb__gateway_t *gw, char **err) {
    for (size_t i = 0; i < gw->reg.nservices; i++) {
        nb__service_t *svc = &gw->reg.services[i];
        if (svc->state != NB_SVC_AVAILABLE || svc->provider == NULL)
            continue;
        char *path = nb__strdup_printf("%s/%s.db", gw->cfg->data_dir, svc->name);
        if (path == NULL)
            return NB_ENOMEM;
        struct stat sb;
        int saved = stat(path, &sb) == 0;
        if (saved && nb__registry_start(&gw->reg, svc) != 0) {
            if (svc->error && strstr(svc->error, path))
                *err = nb__strdup_printf("service %s cannot start: %s", svc->name, svc->error);
            else
                *err = nb__strdup_printf("service %s cannot start from its saved state %s: %s (see above)", svc->name, path,
                           svc->error ? svc->error : "unknown error");
            free(path);
            return NB_ESTORE;
        }
        free(path);
    }
    return 0;
}

int nb__gateway_init(nb__gateway_t *gw, uv_loop_t *loop, const nb__config_t *cfg, char **err) {
    memset(gw, 0, sizeof *gw);
    gw->loop = loop;
    gw->cfg = cfg;
    gw->log = stdout;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    gw->started_at = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    nb__api_set_config(cfg);
    nb__api_set_loop(loop);
    if (cfg->persistence && nb__store_check_data_dir(cfg->data_dir, err) != 0)
        return NB_ESTORE;
    const char *tmp = getenv("TMPDIR");
    nb__store_sweep_temp(tmp && *tmp ? tmp : "/tmp");
    int rc = nb__registry_init(&gw->reg, cfg, err);
    if (rc != 0)
        return rc;
    gw->reg.on_start = store_start;
    gw->reg.on_stop = store_stop;
    gw->reg.owner = gw;
    nb__registry_select(&gw->reg);
    gw->router = nb__router_new(&gw->reg.specs);
    if (gw->router == NULL) {
        *err = nb__strdup_printf("cannot build the router");
        return NB_ENOMEM;
    }
    /* S3 virtual hosts under LOCALSTACK_HOST's host name too. */
    char host[256];
    snprintf(host, sizeof host, "%s", cfg->localstack_host ? cfg->localstack_host : "");
    char *colon = strrchr(host, ':');
    if (colon && !strchr(host, ']'))
        *colon = '\0';
    if (host[0] && nb__router_add_hostname(gw->router, host) != 0) {
        *err = nb__strdup_printf("LOCALSTACK_HOST: '%s' is not a usable host name", cfg->localstack_host);
        return NB_EINVAL;
    }
    if (cfg->persistence && (rc = start_saved_services(gw, err)) != 0)
        return rc;
    /* Specs of services not started keep only what the router needs (loaded again on
     * a service's first request): most of a spec's memory is its shapes. */
    for (size_t i = 0; i < gw->reg.specs.len; i++) {
        nb__service_t *svc = nb__registry_service(&gw->reg, gw->reg.specs.items[i]->service);
        if (svc == NULL || svc->state != NB_SVC_RUNNING)
            nb__spec_unload_shapes(gw->reg.specs.items[i]);
    }
    if (cfg->eager_loading)
        nb__registry_start_all(&gw->reg);
    malloc_trim(0);
    nb__http_limits_t limits;
    nb__http_limits_default(&limits);
    limits.max_header_bytes = cfg->max_header_bytes;
    limits.max_body_bytes = cfg->max_body_bytes;
    limits.spill_threshold = cfg->body_spill_bytes;
    limits.idle_timeout_ms = cfg->idle_timeout_ms;
    limits.header_timeout_ms = cfg->header_timeout_ms;
    gw->http = nb__http_server_new(loop, &limits, nb__gateway_handle, gw);
    if (gw->http == NULL) {
        *err = nb__strdup_printf("cannot create the HTTP server");
        return NB_ENOMEM;
    }
    return 0;
}

int nb__gateway_listen(nb__gateway_t *gw, char **err) {
    for (size_t i = 0; i < gw->cfg->nlisten; i++) {
        const nb__listen_addr_t *a = &gw->cfg->listen[i];
        int rc = nb__http_server_listen(gw->http, a->host, a->port);
        if (rc != 0 && a->optional && (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT)) {
            fprintf(stderr, "nimbus: not listening on [%s]:%d (%s): this machine has no IPv6 loopback\n", a->host,
                    a->port, uv_strerror(rc));
            gw->unavailable[i] = true;
            continue;
        }
        if (rc != 0) {
            *err = nb__strdup_printf("GATEWAY_LISTEN: cannot listen on %s:%d: %s", a->host, a->port, uv_strerror(rc));
            return NB_EIO;
        }
    }
    return 0;
}

void nb__gateway_close(nb__gateway_t *gw, void (*done)(void *data), void *data) {
    nb__http_server_close(gw->http, gw->cfg->shutdown_grace_ms, done, data);
    gw->http = NULL;
}

void nb__gateway_free(nb__gateway_t *gw) {
    nb__router_free(gw->router);
    gw->router = NULL;
    nb__registry_free(&gw->reg);
}

static void on_abort(nb__http_exchange_t *x, void *data) {
    (void)x;
    nb_req_t *req = data;
    req->aborted = true;
    if (req->on_abort)
        req->on_abort(req, req->abort_data);
}

/* The error a protocol answers for an operation it does not know. */
static void fail_unknown_operation(nb_req_t *req) {
    const nb__spec_t *spec = req->route.spec;
    switch (req->route.protocol) {
    case NB_PROTO_QUERY:
    case NB_PROTO_EC2:
        nb__req_fail(req, "InvalidAction", 400, "The action or operation requested is invalid. Verify that the action is typed correctly.");
        break;
    case NB_PROTO_REST_XML:
    case NB_PROTO_REST_JSON:
        if (strcmp(spec->service, "s3") == 0)
            nb__req_fail(req, "MethodNotAllowed", 405, "The specified method is not allowed against this resource.");
        else
            nb__req_fail(req, "UnknownOperationException", 404, "No operation of service '%s' matches %s %s",
                         spec->service, req->http->method, req->http->path);
        break;
    default:
        nb__req_fail(req, "UnknownOperationException", 400, "%s", "");
        break;
    }
}

/* SQS quirk: clients may send an operation to the queue's URL itself
 * (POST /<account>/<name>, or LocalStack's path form /queue/<region>/<account>/<name>)
 * without a QueueUrl parameter; the URL is the path. */
static void sqs_queue_url_from_path(nb_req_t *req, json_t *input) {
    const nb__spec_t *spec = req->route.spec;
    if (strcmp(spec->service, "sqs") != 0 || !json_is_object(input) || json_object_get(input, "QueueUrl") ||
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

/* Operations whose spec requires a checksum (httpChecksumRequired, or httpChecksum's
 * requestChecksumRequired: S3 DeleteObjects, PutBucketCors, ...) get their Content-MD5
 * checked against the body, as AWS does (the upload operations, which stream, check theirs
 * in the plugin).
 * 1 when the request may go on, 0 when the error was answered. */
static int check_content_md5(nb_req_t *req) {
    const char *want = req->route.op->checksum_required ? nb__http_request_header(req->http, "Content-MD5") : NULL;
    if (want == NULL)
        return 1;
    size_t len = 0;
    unsigned char *digest = nb__base64_decode(want, strlen(want), &len);
    if (digest == NULL || len != MD5_DIGEST_LENGTH) {
        free(digest);
        nb__req_fail(req, "InvalidDigest", 400, "The Content-MD5 you specified was not valid.");
        return 0;
    }
    unsigned char got[MD5_DIGEST_LENGTH], buf[65536];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1;
    int64_t off = 0, size = nb__body_size(req->http->body);
    while (ok && off < size) {
        ssize_t n = nb__body_read(req->http->body, off, buf, sizeof buf);
        ok = n > 0 && EVP_DigestUpdate(ctx, buf, (size_t)n) == 1;
        off += n > 0 ? n : 0;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, got, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    int same = ok && memcmp(got, digest, sizeof got) == 0;
    free(digest);
    if (!ok) {
        nb__req_fail(req, "InternalError", 500, "We encountered an internal error. Please try again.");
        return 0;
    }
    if (!same) {
        nb__req_fail(req, "BadDigest", 400, "The Content-MD5 you specified did not match what we received.");
        return 0;
    }
    return 1;
}

/* An operation without a handler: LocalStack's 501 InternalFailure, unless the service's
 * spec defines its own NotImplemented error (S3 does, in its overlay): then that code, its
 * status and the message the shape's nimbusMessage trait gives, as the service answers. */
static void fail_not_implemented(nb_req_t *req) {
    const json_t *own = nb__spec_shape(req->route.spec, "NotImplemented");
    const json_t *err = json_object_get(own, "error");
    const char *msg = json_string_value(json_object_get(own, "nimbusMessage"));
    json_int_t status = json_integer_value(json_object_get(err, "httpStatusCode"));
    if (msg && status >= 400 && status < 600) {
        nb__req_fail(req, "NotImplemented", (int)status, "%s", msg);
        return;
    }
    nb__req_fail(req, "InternalFailure", 501, "The API action '%s' for service '%s' is not implemented yet",
                 req->route.op->name, req->route.spec->service);
}

void nb__gateway_handle(nb__http_exchange_t *x, nb__http_request_t *http, void *data) {
    nb__gateway_t *gw = data;
    if (nb__gateway_internal(gw, x, http) || nb__cors_preflight(gw->router, x, http))
        return;

    nb_req_t *req = calloc(1, sizeof *req);
    if (req == NULL) {
        nb__http_response_t resp;
        nb__http_response_init(&resp);
        resp.status = 503;
        nb__http_respond(x, &resp);
        nb__http_response_free(&resp);
        return;
    }
    req->start_ns = uv_hrtime();
    req->gw = gw;
    req->x = x;
    req->http = http;
    gw->requests++;
    nb__request_id_new(req->request_id);
    nb__context_from_request(http, &req->ctx);
    const char *qm = nb__http_request_header(http, "x-amzn-query-mode");
    req->query_mode = qm && strcmp(qm, "true") == 0;
    nb__http_exchange_on_abort(x, on_abort, req);

    nb__router_route(gw->router, http, &req->route);
    if (req->route.spec == NULL) {
        req->route.protocol = NB_PROTO_JSON;
        nb__req_fail(req, "UnknownServiceException", 400, "Nimbus could not tell which AWS service this request is for");
        return;
    }
    const char *svc_name = req->route.spec->service;
    nb__service_t *svc = nb__registry_service(&gw->reg, svc_name);
    req->svc = svc;
    if (!nb__config_service_enabled(gw->cfg, svc_name)) {
        nb__req_fail(req, "InternalFailure", 501,
                     "Service '%s' is not enabled. Please check your 'SERVICES' configuration variable.", svc_name);
        return;
    }
    if (req->route.op == NULL) {
        fail_unknown_operation(req);
        return;
    }
    const nb__spec_op_t *op = req->route.op;
    size_t op_index = (size_t)(op - req->route.spec->ops);
    nb_plugin_t *p = svc && svc->provider && svc->provider->spec == req->route.spec ? svc->provider : NULL;
    nb_op_handler_pt handler = p ? p->handlers[op_index] : NULL;
    /* The request is parsed and validated before the skeleton looks for a handler
     * (DESIGN 1): a malformed call to an operation Nimbus does not implement gets the
     * protocol's own error, as it would from AWS, and 501 only when it is well formed. */
    char *spec_err = NULL;
    if ((svc && svc->state == NB_SVC_ERROR) ||
        (handler ? svc->state != NB_SVC_RUNNING && nb__registry_start(&gw->reg, svc) != 0
                 : nb__spec_load_shapes((nb__spec_t *)req->route.spec, &spec_err) != 0)) {
        nb__req_fail(req, "InternalFailure", 500, "Service '%s' failed to start: %s", svc_name,
                     spec_err ? spec_err : svc && svc->error ? svc->error : "unknown error");
        free(spec_err);
        return;
    }

    /* Labels are read from the path the operation matched: for an S3 virtual-host
     * request that is "/<bucket>" + the path. */
    nb__http_request_t view = *http;
    char path_buf[8192];
    const char *match_path = nb__router_match_path(gw->router, http, &req->route, path_buf, sizeof path_buf);
    if (match_path == NULL) {
        nb__req_fail(req, "KeyTooLongError", 400, "Your key is too long");
        return;
    }
    view.path = (char *)match_path;
    if (!check_content_md5(req))
        return;
    json_t *input = NULL;
    int rc = nb__proto_parse(req->route.spec, op, req->route.protocol, &view, &input, &req->err);
    if (rc == 0) {
        sqs_queue_url_from_path(req, input);
        rc = nb__proto_validate(req->route.spec, op, req->route.protocol, input, &req->err);
    }
    if (rc != 0) {
        json_decref(input);
        req->has_error = true;
        nb__req_complete(req);
        return;
    }
    if (handler == NULL) {
        json_decref(input);
        fail_not_implemented(req);
        return;
    }
    /* Every write of the handler in one transaction, committed before the reply. */
    if (p->store && nb__store_begin(p->store) != 0) {
        json_decref(input);
        nb__req_fail(req, "InternalError", 500, "the state store could not start a transaction");
        return;
    }
    req->in_txn = p->store != NULL;
    rc = handler(req, input);
    json_decref(input);
    if (rc == NB_NOT_IMPLEMENTED) {
        json_decref(req->output);
        req->output = NULL;
        fail_not_implemented(req);
        return;
    }
    if (rc == NB_ASYNC) {
        req->async = true;
        bool ours = req->in_txn;
        req->in_txn = false;
        /* Never leave a transaction open across loop iterations (docs/store.md): left
         * open, it would swallow the requests served meanwhile (their commits would only
         * release savepoints, so they would be answered before being durable). The
         * handler's writes commit now; nb_finish and nb_work_queue open their own. */
        if (ours && req->has_error) {
            nb__store_rollback(p->store);
        } else if (ours && nb__store_commit(p->store) != 0) {
            fprintf(stderr, "nimbus: %s.%s: the store could not commit before going async: %s\n", svc_name,
                    op->name, nb__store_errmsg(p->store));
            req->has_error = true;
            nb__aws_error_set(&req->err, req->route.spec, op, "InternalError", 500,
                              "the state store could not commit the write");
        }
        return; /* the plugin calls nb_finish() or its nb_work_queue done() completes it */
    }
    if (rc < 0) {
        json_decref(req->output);
        req->output = NULL;
        if (rc == NB_EIO || rc == NB_ESTORE) { /* the disk or the store failed, as AWS's own InternalError */
            fprintf(stderr, "nimbus: %s.%s: %s failed: %s\n", svc_name, op->name, rc == NB_EIO ? "I/O" : "the store",
                    p->store && *nb__store_errmsg(p->store) ? nb__store_errmsg(p->store) : "see above");
            nb__aws_error_set(&req->err, req->route.spec, op, "InternalError", 500,
                              "We encountered an internal error. Please try again.");
        } else {
            fprintf(stderr, "nimbus: %s.%s handler failed (%d)\n", svc_name, op->name, rc);
            nb__aws_error_set(&req->err, req->route.spec, op, "InternalFailure", 500, "The handler for %s.%s failed",
                              svc_name, op->name);
        }
        req->has_error = true;
    } else if (!req->replied) {
        req->output = json_object(); /* a handler that set nothing answers an empty output */
    }
    nb__req_complete(req);
}
