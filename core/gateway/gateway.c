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
#include "gateway/quirks.h"
#include "gateway/request.h"
#include "http/body.h"
#include "nimbus/errno.h"
#include "util/buf.h"
#include "util/codec.h"
#include "gateway/txn.h"
#include "store/store.h"


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
    const nb__quirk_error_t *own;
    switch (req->route.protocol) {
    case NB_PROTO_QUERY:
    case NB_PROTO_EC2:
        nb__req_fail(req, "InvalidAction", 400, "The action or operation requested is invalid. Verify that the action is typed correctly.");
        break;
    case NB_PROTO_REST_XML:
    case NB_PROTO_REST_JSON:
        if ((own = nb__quirk_error(nb__quirks_unknown_rest_operation, spec->service)) != NULL)
            nb__req_fail(req, own->code, own->status, "%s", own->message);
        else
            nb__req_fail(req, "UnknownOperationException", 404, "No operation of service '%s' matches %s %s",
                         spec->service, req->http->method, req->http->path);
        break;
    default:
        nb__req_fail(req, "UnknownOperationException", 400, "%s", "");
        break;
    }
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
        nb__quirk_rewrite_input(req, *input);
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
    /* Read without the spec's shapes, which may not be loaded (and not loadable at the
     * descriptor limit). */
    const nb__quirk_error_t *own = nb__quirk_error(nb__quirks_unavailable, req->route.spec->service);
    if (own != NULL)
        nb__req_fail(req, own->code, own->status, "%s", own->message);
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

typedef struct precheck_call {
    nb_plugin_t *p;
    nb_req_t *req;
    const json_t *input;
    int (*precheck)(nb_plugin_t *, nb_req_t *, const json_t *);
} precheck_call_t;

/* A check that could not be made leaves the answer to the handler; it only reads, so its
 * transaction always rolls back. */
static bool precheck_body(void *ctx) {
    precheck_call_t *c = ctx;
    (void)c->precheck(c->p, c->req, c->input);
    return false;
}

/* The plugin's check of a request from its head (precheck hook), in a transaction rolled
 * back after it: it only reads. */
static void run_precheck(nb_req_t *req, const json_t *input) {
    nb_plugin_t *p;
    if (op_handler(req, &p) == NULL) {
        fail_not_implemented(req);
        return;
    }
    precheck_call_t c = {p, req, input, NB__DEF_HOOK(p->def, precheck)};
    if (c.precheck != NULL)
        (void)nb__txn_run(p->store, precheck_body, &c); /* could not begin: the handler answers */
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
nb__http_head_verdict_t nb__gateway_head(nb__http_request_t *http, bool expect_continue, uint64_t *max_body,
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
    /* Every write of the handler in one transaction, committed before the reply (an async
     * handler's too: nb_finish and nb_work_queue's done get their own). */
    int rc = 0;
    if (nb__txn_run_handler(req, handler, input, &rc) != 0) {
        if (rc == NB_ASYNC)
            req->async = true; /* the plugin still calls nb_finish() or done(): it answers the error */
        else
            nb__req_complete(req);
        return;
    }
    if (rc == NB_NOT_IMPLEMENTED) {
        json_decref(req->output);
        req->output = NULL;
        fail_not_implemented(req);
        return;
    }
    if (rc == NB_ASYNC) {
        req->async = true;
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
