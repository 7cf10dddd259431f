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

#include "gateway/limits.h"
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
    int rc = nb__store_open(svc->name, &sc, &st, err);
    if (rc != 0)
        return rc == NB_EAGAIN || rc == NB_ENOMEM ? NB_EAGAIN : NB_ESTORE;
    svc->provider->store = st;
    nb__store_on_lost_writes(st, lost_writes, svc->provider);
    return 0;
}

/* A plugin's init failed: retried later if its store failed for a reason that passes
 * (the disk full while it created its tables). */
static int store_init_failure(nb__registry_t *reg, nb__service_t *svc) {
    (void)reg;
    return svc->provider->store ? nb__store_failure_code(svc->provider->store) : NB_EINVAL;
}

typedef struct blob_keys {
    char **keys;
    size_t n, cap;
    bool failed;
} blob_keys_t;

static void keep_blob(void *ctx, const char *key) {
    blob_keys_t *k = ctx;
    if (k->failed || key == NULL)
        return;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 256;
        char **grown = realloc(k->keys, cap * sizeof *grown);
        if (grown == NULL) {
            k->failed = true;
            return;
        }
        k->keys = grown;
        k->cap = cap;
    }
    if ((k->keys[k->n] = strdup(key)) == NULL)
        k->failed = true;
    else
        k->n++;
}

/* With persistence, the blobs no committed row points to (a kill -9 between a blob's
 * write and its row's commit) go when the service starts. Nothing goes unless the
 * plugin listed every key it keeps. */
static void sweep_orphan_blobs(nb__registry_t *reg, nb__service_t *svc) {
    nb_plugin_t *p = svc->provider;
    int (*list)(nb_plugin_t *, void (*)(void *, const char *), void *) = NB__DEF_HOOK(p->def, blob_keys);
    if (list == NULL || p->store == NULL || !reg->cfg || !reg->cfg->persistence)
        return;
    blob_keys_t k = {0};
    if (list(p, keep_blob, &k) == 0 && !k.failed) {
        size_t removed = nb__store_blob_sweep(p->store, k.keys, k.n);
        if (removed)
            fprintf(stderr, "nimbus: %s: removed %zu blob(s) that no saved state points to (left by a crash)\n",
                    svc->name, removed);
    }
    for (size_t i = 0; i < k.n; i++)
        free(k.keys[i]);
    free(k.keys);
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

static nb__http_head_verdict_t gateway_head(nb__http_request_t *http, bool expect_continue, uint64_t *max_body,
                                            void *data);

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
    gw->reg.on_started = sweep_orphan_blobs;
    gw->reg.init_failure = store_init_failure;
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
    /* Fixed thresholds: glibc's dynamic ones grow with the largest block freed (a 16 MB
     * body), after which a thread arena keeps that much of its top resident for good, out
     * of malloc_trim's reach. Blocks of 1 MiB and more are mapped and unmapped on their own. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
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
    nb__http_server_on_head(gw->http, gateway_head);
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
    /* Listeners go first (a new connection is refused), then the plugins answer what
     * waits (long polls): idle connections close now, the rest once answered or at
     * the grace period's end. */
    nb__http_server_close(gw->http, gw->cfg->shutdown_grace_ms, done, data);
    gw->http = NULL;
    nb__registry_shutdown(&gw->reg);
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
 * 1 when the request may go on, 0 when req->err says why not. */
static int check_content_md5(nb_req_t *req) {
    const char *want = req->route.op->checksum_required ? nb__http_request_header(req->http, "Content-MD5") : NULL;
    if (want == NULL)
        return 1;
    const nb__spec_t *spec = req->route.spec;
    const nb__spec_op_t *op = req->route.op;
    size_t len = 0;
    unsigned char *digest = nb__base64_decode(want, strlen(want), &len);
    if (digest == NULL || len != MD5_DIGEST_LENGTH) {
        free(digest);
        nb__aws_error_set(&req->err, spec, op, "InvalidDigest", 400, "The Content-MD5 you specified was not valid.");
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
        nb__aws_error_set(&req->err, spec, op, "InternalError", 500, "We encountered an internal error. Please try again.");
        return 0;
    }
    if (!same) {
        nb__aws_error_set(&req->err, spec, op, "BadDigest", 400,
                          "The Content-MD5 you specified did not match what we received.");
        return 0;
    }
    return 1;
}

/* The operation's input from the request (path: the one its labels are read from):
 * checksum, parse, validate. 0, or an error with req->err set. Runs on the thread pool
 * for a large body, so it reads the spec and the request and writes only req->err. */
static int parse_validate(nb_req_t *req, const char *path, json_t **input);

static int parse_input(nb_req_t *req, const char *path, json_t **input) {
    *input = NULL;
    if (!check_content_md5(req))
        return NB_EINVAL;
    return parse_validate(req, path, input);
}

/* The parse and validation alone: for an operation with a streaming payload, they read
 * the head only. */
static int parse_validate(nb_req_t *req, const char *path, json_t **input) {
    nb__http_request_t view = *req->http;
    view.path = (char *)path;
    const nb__spec_t *spec = req->route.spec;
    int rc = nb__proto_parse(spec, req->route.op, req->route.protocol, &view, input, &req->err);
    if (rc == 0) {
        sqs_queue_url_from_path(req, *input);
        rc = nb__proto_validate(spec, req->route.op, req->route.protocol, *input, &req->err);
    }
    if (rc != 0) {
        json_decref(*input);
        *input = NULL;
    }
    return rc;
}

/* Bodies above this are parsed off the loop: a few hundred KiB already take milliseconds,
 * the loop's whole budget for one request. */
#define PARSE_OFF_LOOP_BYTES (128 * 1024)

/* A streaming payload is the handler's to read: its parse reads the head only. */
static bool parsed_off_loop(const nb_req_t *req) {
    return !req->route.op->streaming_input && nb__body_size(req->http->body) > PARSE_OFF_LOOP_BYTES;
}

/* A large body's parse, on the thread pool (small ones are parsed on the loop, no job). */
typedef struct parse_job {
    uv_work_t work;
    nb_req_t *req;
    const char *match_path; /* the request's path, or path_buf */
    json_t *input;
    int rc;
    char path_buf[8192];
} parse_job_t;

/* The plugin and its handler for the routed operation; NULL when none implements it. */
static nb_op_handler_pt op_handler(const nb_req_t *req, nb_plugin_t **plugin) {
    const nb__service_t *svc = req->svc;
    nb_plugin_t *p = svc && svc->provider && svc->provider->spec == req->route.spec ? svc->provider : NULL;
    *plugin = p;
    return p ? p->handlers[req->route.op - req->route.spec->ops] : NULL;
}

/* A large input is freed off the loop (hundreds of thousands of values take a while),
 * then the pages go back to the system (malloc_trim walks every arena). */
typedef struct release_job {
    uv_work_t work;
    json_t *input;
} release_job_t;

static void release_work(uv_work_t *w) {
    release_job_t *job = w->data;
    json_decref(job->input);
    malloc_trim(0);
}

static void release_done(uv_work_t *w, int status) {
    (void)status;
    free(w->data);
}

static void release_large_input(uv_loop_t *loop, json_t *input) {
    release_job_t *job = malloc(sizeof *job);
    if (job) {
        job->input = input;
        job->work.data = job;
        if (uv_queue_work(loop, &job->work, release_work, release_done) == 0)
            return;
        free(job);
    }
    json_decref(input);
}

static void handle_parsed(nb_req_t *req, json_t *input, int rc);

static void parse_work(uv_work_t *w) {
    parse_job_t *job = w->data;
    job->rc = parse_input(job->req, job->match_path, &job->input);
}

static void parse_done(uv_work_t *w, int status) {
    parse_job_t *job = w->data;
    nb_req_t *req = job->req;
    json_t *input = job->input;
    int rc = status == 0 ? job->rc : NB_EIO;
    if (status != 0)
        nb__aws_error_set(&req->err, req->route.spec, req->route.op, "InternalError", 500,
                          "We encountered an internal error. Please try again.");
    free(job);
    handle_parsed(req, input, rc);
}

/* Queues a large body's parse on the thread pool (path: the labels' path, which may be in
 * the caller's path_buf). false when it could not be queued: the caller parses it now. */
static bool queue_parse(nb_req_t *req, const char *path, const char *path_buf) {
    parse_job_t *job = malloc(sizeof *job);
    if (job == NULL)
        return false;
    job->req = req;
    job->input = NULL;
    job->rc = 0;
    job->work.data = job;
    if (path == path_buf) {
        snprintf(job->path_buf, sizeof job->path_buf, "%s", path_buf);
        path = job->path_buf;
    }
    job->match_path = path;
    /* What the parse would otherwise build lazily in the spec is built now, on the loop. */
    nb__spec_error_shape(req->route.spec, NULL, "", NULL);
    if (uv_queue_work(req->gw->loop, &job->work, parse_work, parse_done) == 0)
        return true;
    free(job);
    return false;
}

/* A body too large for its operation (the HTTP server stopped reading it): AWS's error. */
static void fail_too_large(nb_req_t *req) {
    nb__body_limit_t limit;
    nb__body_limit(req->gw->cfg, req->route.spec, req->route.op, req->http->max_body, &limit);
    if (limit.code == NULL) { /* routed elsewhere than from the head alone: still the service's format */
        nb__req_fail(req, "RequestEntityTooLarge", 413, "Request body is too large");
        return;
    }
    char message[256];
    snprintf(message, sizeof message, limit.message, (unsigned long long)req->http->max_body);
    nb__req_fail(req, limit.code, limit.status, "%s", message);
}

/* Out of a resource for now (descriptors, memory; a store that could not open):
 * AWS's answer to a request it cannot take at the moment, which SDKs retry. */
static void fail_unavailable(nb_req_t *req) {
    /* Quirk table: services that answer "try again" with their own code. Read without the
     * spec's shapes, which may not be loaded (and not loadable at the descriptor limit). */
    static const char *const slow_down_services[] = {"s3", NULL};
    bool slow_down = false;
    for (size_t i = 0; slow_down_services[i] && !slow_down; i++)
        slow_down = strcmp(req->route.spec->service, slow_down_services[i]) == 0;
    if (slow_down)
        nb__req_fail(req, "SlowDown", 503, "Please reduce your request rate.");
    else
        nb__req_fail(req, "ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server.");
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

/* A request for the gateway, routed (route: already known, or NULL); not yet tied to an
 * exchange nor counted. NULL without memory. */
static nb_req_t *req_new(nb__gateway_t *gw, nb__http_request_t *http, const nb__route_t *route) {
    nb_req_t *req = calloc(1, sizeof *req);
    if (req == NULL)
        return NULL;
    req->start_ns = uv_hrtime();
    req->gw = gw;
    req->http = http;
    nb__request_id_new(req->request_id);
    nb__context_from_request(http, &req->ctx);
    const char *qm = nb__http_request_header(http, "x-amzn-query-mode");
    req->query_mode = qm && strcmp(qm, "true") == 0;
    if (route)
        req->route = *route;
    else
        nb__router_route(gw->router, http, &req->route);
    return req;
}

/* The routed service and operation, ready to run: enabled, known, within capacity,
 * started (or, without a handler, its spec's shapes loaded). true to go on; false when
 * req was answered (failed) with the reason. */
static bool admit(nb_req_t *req) {
    nb__gateway_t *gw = req->gw;
    const char *svc_name = req->route.spec->service;
    nb__service_t *svc = nb__registry_service(&gw->reg, svc_name);
    req->svc = svc;
    if (!nb__config_service_enabled(gw->cfg, svc_name)) {
        nb__req_fail(req, "InternalFailure", 501,
                     "Service '%s' is not enabled. Please check your 'SERVICES' configuration variable.", svc_name);
        return false;
    }
    if (req->route.op == NULL) {
        fail_unknown_operation(req);
        return false;
    }
    /* Every connection busy at the descriptor limit: more work would run the stores
     * out of descriptors. The client retries on a new connection later. */
    if (gw->http && nb__http_server_connections(gw->http) > nb__http_server_capacity(gw->http)) {
        nb__headers_set(&req->out_headers, "Connection", "close");
        fail_unavailable(req);
        return false;
    }
    nb_plugin_t *p;
    nb_op_handler_pt handler = op_handler(req, &p);
    /* The request is parsed and validated before the skeleton looks for a handler
     * (DESIGN 1): a malformed call to an operation Nimbus does not implement gets the
     * protocol's own error, as it would from AWS, and 501 only when it is well formed. */
    char *spec_err = NULL;
    int start_rc = 0;
    if (svc && svc->state == NB_SVC_ERROR && !svc->transient)
        start_rc = NB_EINVAL;
    else if (handler)
        start_rc = svc->state != NB_SVC_RUNNING ? nb__registry_start(&gw->reg, svc) : 0;
    else if (nb__spec_load_shapes((nb__spec_t *)req->route.spec, &spec_err) != 0)
        start_rc = NB_EAGAIN; /* the spec loaded at startup: what fails now is the process's limits */
    if (start_rc == NB_EAGAIN) {
        free(spec_err);
        fail_unavailable(req);
        return false;
    }
    if (start_rc != 0) {
        nb__req_fail(req, "InternalFailure", 500, "Service '%s' failed to start: %s", svc_name,
                     svc && svc->error ? svc->error : "unknown error");
        return false;
    }
    return true;
}

/* Labels are read from the path the operation matched: for an S3 virtual-host request
 * that is "/<bucket>" + the path. NULL when req was answered (a path too long). */
static const char *label_path(nb_req_t *req, char *buf, size_t cap) {
    const char *path = nb__router_match_path(req->gw->router, req->http, &req->route, buf, cap);
    if (path == NULL)
        nb__req_fail(req, "KeyTooLongError", 400, "Your key is too long");
    return path;
}

/* The plugin's check of a request from its head (precheck hook), in a transaction rolled
 * back after it: it only reads. */
static void run_precheck(nb_req_t *req, const json_t *input) {
    nb_plugin_t *p;
    if (op_handler(req, &p) == NULL) {
        fail_not_implemented(req);
        return;
    }
    int (*precheck)(nb_plugin_t *, nb_req_t *, const json_t *) = NB__DEF_HOOK(p->def, precheck);
    if (precheck == NULL || (p->store && nb__store_begin(p->store) != 0))
        return;
    (void)precheck(p, req, input); /* a check that could not be made leaves the answer to the handler */
    if (p->store)
        nb__store_rollback(p->store);
}

static void head_req_free(void *data) { nb__req_free(data); }

/* A client waiting on "100 Continue" to send an operation's streaming payload: what needs
 * no body runs now (the service, the input from the head, its validation, the plugin's
 * precheck), so a request bound to fail is answered before the client sends its body.
 * NULL when it may go on; else the failed request, answered by nb__gateway_handle. */
static nb_req_t *check_head(nb__gateway_t *gw, nb__http_request_t *http, const nb__route_t *route) {
    nb_req_t *req = req_new(gw, http, route);
    if (req == NULL)
        return NULL; /* the whole request answers */
    char path_buf[8192];
    const char *path;
    json_t *input = NULL;
    if (admit(req) && (path = label_path(req, path_buf, sizeof path_buf)) != NULL) {
        if (parse_validate(req, path, &input) != 0)
            req->has_error = true;
        else
            run_precheck(req, input);
    }
    json_decref(input);
    if (req->has_error)
        return req;
    nb__req_report(req, NULL);
    nb__req_free(req);
    return NULL;
}

/* The head stage: routed from the head alone (a query-protocol Action in the body is not
 * known yet: the service's limit serves), the body gets its operation's limit; above it,
 * the service's own error (fail_too_large) or the HTTP server's bare 413. A streaming
 * upload waiting on 100-continue is checked from its head first (check_head). */
static nb__http_head_verdict_t gateway_head(nb__http_request_t *http, bool expect_continue, uint64_t *max_body,
                                            void *data) {
    nb__gateway_t *gw = data;
    nb__route_t route;
    nb__router_route(gw->router, http, &route);
    if (expect_continue && route.op && route.op->streaming_input &&
        (http->head_data = check_head(gw, http, &route)) != NULL) {
        http->head_free = head_req_free;
        return NB__HEAD_ANSWER_NOW;
    }
    nb__body_limit_t limit;
    nb__body_limit(gw->cfg, route.spec, route.op, *max_body, &limit);
    *max_body = limit.max;
    return limit.code != NULL ? NB__HEAD_READ_OWN_LIMIT : NB__HEAD_READ;
}

void nb__gateway_handle(nb__http_exchange_t *x, nb__http_request_t *http, void *data) {
    nb__gateway_t *gw = data;
    if (nb__origin_refused(gw, x, http) ||
        (!http->without_body && (nb__gateway_internal(gw, x, http) || nb__cors_preflight(gw, x, http))))
        return;

    nb_req_t *req = http->head_data; /* answered from its head (check_head) */
    http->head_data = NULL;
    if (req == NULL && (req = req_new(gw, http, NULL)) == NULL) {
        nb__http_response_t resp;
        nb__http_response_init(&resp);
        resp.status = 503;
        nb__http_respond(x, &resp);
        nb__http_response_free(&resp);
        return;
    }
    req->x = x;
    gw->requests++;
    nb__http_exchange_on_abort(x, on_abort, req);
    if (req->has_error) {
        nb__req_complete(req);
        return;
    }
    if (req->route.spec == NULL) {
        req->route.protocol = NB_PROTO_JSON;
        nb__req_fail(req, "UnknownServiceException", 400, "Nimbus could not tell which AWS service this request is for");
        return;
    }
    if (http->without_body) {
        fail_too_large(req);
        return;
    }
    if (!admit(req))
        return;

    char path_buf[8192];
    const char *path = label_path(req, path_buf, sizeof path_buf);
    if (path == NULL || (parsed_off_loop(req) && queue_parse(req, path, path_buf)))
        return;
    json_t *input = NULL;
    int rc = parse_input(req, path, &input);
    handle_parsed(req, input, rc);
}

static void run_handler(nb_req_t *req, const json_t *input);

/* The pipeline after the parse, on the loop again: the handler, or the error. */
static void handle_parsed(nb_req_t *req, json_t *input, int rc) {
    bool large = parsed_off_loop(req);
    uv_loop_t *loop = req->gw->loop;
    if (req->aborted || rc != 0) { /* a client gone meanwhile gets nothing (nb__req_complete) */
        req->has_error = rc != 0;
        nb__req_complete(req);
    } else {
        run_handler(req, input);
    }
    /* req may be gone now (answered, its body freed); the handler kept what it needs of
     * input with references of its own. */
    if (large)
        release_large_input(loop, input);
    else
        json_decref(input);
}

/* input: borrowed. */
static void run_handler(nb_req_t *req, const json_t *input) {
    const char *svc_name = req->route.spec->service;
    const nb__spec_op_t *op = req->route.op;
    nb_plugin_t *p;
    nb_op_handler_pt handler = op_handler(req, &p);
    if (handler == NULL) {
        fail_not_implemented(req);
        return;
    }
    /* Every write of the handler in one transaction, committed before the reply. */
    if (p->store && nb__store_begin(p->store) != 0) {
        nb__req_fail(req, "InternalError", 500, "the state store could not start a transaction");
        return;
    }
    req->in_txn = p->store != NULL;
    int rc = handler(req, input);
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
    if (rc == NB_EAGAIN || ((rc == NB_EIO || rc == NB_ESTORE) && p->store && nb__store_exhausted(p->store))) {
        json_decref(req->output);
        req->output = NULL;
        fprintf(stderr, "nimbus: %s.%s: out of a resource for now (descriptors, memory): answered 503\n", svc_name,
                op->name);
        fail_unavailable(req);
        return;
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
