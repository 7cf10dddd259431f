/*
 * The request pipeline: every AWS request goes through the named stages of `stages` below,
 * in order, from one loop (run_stages); a new stage is one line there. A stage passes the
 * request on, answers it with req->err (the runner completes it), or has answered it or
 * handed it to a later loop turn itself (a large body parsed on the thread pool, an async
 * handler): the pipeline then resumes at the next stage (parse_done) or at serialize
 * (nb__req_complete, which every completion goes through). Start-up is startup.c's, the
 * plugin API api.c's, transactions txn.c's.
 */
#include "gateway/gateway.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/content_encoding.h"
#include "gateway/limits.h"
#include "gateway/spec_wait.h"
#include "gateway/presign.h"
#include "gateway/quirks.h"
#include "gateway/authz.h"
#include "gateway/sigcheck.h"
#include "gateway/call.h"
#include "gateway/request.h"
#include "gateway/txn.h"
#include "http/body.h"
#include "http/content_decode.h"
#include "nimbus/errno.h"
#include "proc/proc.h"
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

/* The plugin and its handler for the routed operation; NULL when none implements it. */
static nb_op_handler_pt op_handler(const nb_req_t *req, nb_plugin_t **plugin) {
    const nb__service_t *svc = req->svc;
    nb_plugin_t *p = svc && svc->provider && svc->provider->spec == req->route.spec ? svc->provider : NULL;
    *plugin = p;
    return p && p->handlers ? p->handlers[req->route.op - req->route.spec->ops] : NULL;
}

/* A large input is freed off the loop (hundreds of thousands of values take a while),
 * then the pages go back to the system. malloc_trim walks every arena but never shrinks a
 * thread arena's top, where the parse's memory ends up once its small blocks are merged; a
 * free of a block of 64 KiB or more in that arena does (glibc merges the arena's freed small
 * blocks, then trims its top). So the parse allocates such a block (arena_mark) in its own
 * thread's arena first, and it is freed after the input: without it, 8-10 MiB of a 9 MiB XML
 * body's parse stayed resident at random. Thread arenas stay: with one arena for all, the
 * release's consolidation and trim of 300 MB held the lock the loop's mallocs need (the loop
 * stalled 375 ms in CI). */
#define ARENA_MARK_BYTES (64 * 1024)

typedef struct release_job {
    uv_work_t work;
    json_t *input;
    void *arena_mark;
} release_job_t;

static void release_work(uv_work_t *w) {
    release_job_t *job = w->data;
    json_decref(job->input);
    free(job->arena_mark);
    malloc_trim(0);
}

static void release_done(uv_work_t *w, int status) {
    (void)status;
    free(w->data);
}

static void release_large_input(uv_loop_t *loop, json_t *input, void *arena_mark) {
    release_job_t *job = malloc(sizeof *job);
    if (job) {
        job->input = input;
        job->arena_mark = arena_mark;
        job->work.data = job;
        if (uv_queue_work(loop, &job->work, release_work, release_done) == 0)
            return;
        free(job);
    }
    json_decref(input);
    free(arena_mark);
}

/* A body too large for its operation (the HTTP server stopped reading it): AWS's error. */
static void fail_too_large(nb_req_t *req) {
    nb__body_limit_t limit;
    nb__body_limit(req->gw->cfg, req->route.spec, req->route.op, req->http->max_body, &limit);
    const char *code;
    int status;
    char message[256];
    nb__body_limit_error(&limit, req->http->max_body, &code, &status, message, sizeof message);
    nb__req_fail(req, code, status, "%s", message);
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

/* The routed service and operation, ready to run: enabled, known, within capacity,
 * started (or, without a handler, its spec's shapes loaded). true to go on; false when
 * req was answered (failed) with the reason. */
static bool admit(nb_req_t *req) {
    nb__gateway_t *gw = req->gw;
    const char *svc_name = req->route.spec->service;
    nb__service_t *svc = nb__registry_service(&gw->reg, svc_name);
    req->svc = svc;
    if (!nb__registry_service_enabled(&gw->reg, svc_name)) {
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
    /* A plugin binds its handlers on its service's first request (its spec was a stub until
     * routing read it); one that cannot fails its start, answered below. */
    if (svc && svc->provider && svc->state == NB_SVC_AVAILABLE)
        nb__registry_bind(&gw->reg, svc);
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

/* ---- The stages ---- */

typedef enum stage_result {
    STAGE_NEXT,  /* on to the next stage */
    STAGE_ERROR, /* req->err says why it stops: answered from serialize on */
    STAGE_DONE,  /* answered already, or resumed later by whoever took it */
} stage_result_t;

/* What the stages of one request hand each other. */
typedef struct stage_ctx {
    const nb__route_t *known_route; /* routed from the head already; NULL: route now */
    bool head_only;                 /* checked from its head: no body yet */
    bool large;                     /* the body is large: parsed, then freed, off the loop */
    char *path_buf;                 /* room for the labels' path (8 KiB) */
    const char *path;               /* the path the operation's labels are read from */
    json_t *input;                  /* the parsed input (owned) */
    void *arena_mark;               /* a large parse's block in its thread's arena (release_work) */
    nb_result_t handler_rc;
    nb__http_response_t resp;
} stage_ctx_t;

#define PATH_BUF_BYTES 8192

/* Routes without reading a spec on the loop: true when the service's spec must be read first
 * (route->spec names it; spec_wait.c reads it). */
static bool route_unread(const nb__gateway_t *gw, const nb__http_request_t *http, nb__route_t *route) {
    const nb__spec_t *unread;
    return nb__router_route_unread(gw->router, http, route, &unread) == NB_EAGAIN ||
           (route->spec && nb__spec_unread(route->spec));
}

/* The head of a request whose spec was unread allowed the server's limit (nb__gateway_head):
 * the operation's applies once it is routed (and is the one its error names). */
static bool over_limit(nb_req_t *req) {
    nb__body_limit_t limit;
    nb__body_limit(req->gw->cfg, req->route.spec, req->route.op, req->http->max_body, &limit);
    if (req->http->body == NULL || (uint64_t)nb__body_size(req->http->body) <= limit.max)
        return false;
    req->http->max_body = limit.max;
    return true;
}

static void resume_parked(nb_req_t *req, bool read);

/* Route: the service and operation the request is for, admitted to run, and the path its
 * labels are read from. */
static stage_result_t stage_route(nb_req_t *req, stage_ctx_t *c) {
    if (c->known_route)
        req->route = *c->known_route;
    else if (route_unread(req->gw, req->http, &req->route)) {
        /* the service's spec is read off the loop (spec_wait.c); failing to queue that, now */
        if (nb__spec_wait(req->gw->loop, req->route.spec, req, resume_parked))
            return STAGE_DONE;
        nb__router_route(req->gw->router, req->http, &req->route);
    }
    if (req->route.spec == NULL) {
        req->route.protocol = NB_PROTO_JSON;
        nb__req_fail(req, "UnknownServiceException", 400, "Nimbus could not tell which AWS service this request is for");
        return STAGE_DONE;
    }
    if (req->http->without_body || over_limit(req)) {
        fail_too_large(req);
        return STAGE_DONE;
    }
    if (!admit(req))
        return STAGE_DONE;
    c->path = label_path(req, c->path_buf, PATH_BUF_BYTES);
    return c->path ? STAGE_NEXT : STAGE_DONE;
}

/* Authenticate: Nimbus accepts any credentials, as LocalStack does by default; a presigned
 * URL's signature is checked when the service's setting asks (presign.c), the signature of a
 * key a service issued with ENFORCE_IAM=1 (sigcheck.c). */
static stage_result_t stage_authenticate(nb_req_t *req, stage_ctx_t *c) {
    return nb__sigcheck(req, c->head_only) && nb__presign_check(req, c->path) ? STAGE_NEXT : STAGE_ERROR;
}

/* Bodies above this are parsed off the loop: a few hundred KiB already take milliseconds,
 * the loop's whole budget for one request. */
#define PARSE_OFF_LOOP_BYTES (128 * 1024)

/* A streaming payload is the handler's to read: its parse reads the head only. */
static bool parsed_off_loop(const nb_req_t *req) {
    if (req->route.op->streaming_input)
        return false;
    int64_t size = nb__body_size(req->http->body);
    /* deflate expands up to 1032 times: a small gzip'd body may decode to a large one */
    bool gzip = nb__content_codings(req->http).gzip;
    return size > PARSE_OFF_LOOP_BYTES || (gzip && size > PARSE_OFF_LOOP_BYTES / 1032);
}

static bool queue_parse(nb_req_t *req, stage_ctx_t *c);

/* The parse of the input alone (with its Content-MD5 check): for an operation with a
 * streaming payload, it reads the head only. May run on the thread pool: reads the spec
 * and the request, writes only req->err and c. */
static stage_result_t parse_now(nb_req_t *req, stage_ctx_t *c) {
    /* Content-MD5 is of the body as sent, the parse of it decoded */
    if (!c->head_only && !nb__check_content_md5(req))
        return STAGE_ERROR;
    nb__http_request_t view = *req->http;
    view.path = (char *)c->path;
    if (!c->head_only && !req->route.op->streaming_input && !nb__decoded_view(req, &view))
        return STAGE_ERROR;
    int rc = nb__proto_parse(req->route.spec, req->route.op, req->route.protocol, &view, &c->input, &req->err);
    nb__decoded_view_release(req, &view);
    if (rc != 0)
        return STAGE_ERROR;
    nb__quirk_rewrite_input(req, c->input);
    return STAGE_NEXT;
}

/* Parse: on the loop, or for a large body on the thread pool (with validate), resumed at
 * dispatch by parse_done. */
static stage_result_t stage_parse(nb_req_t *req, stage_ctx_t *c) {
    c->large = !c->head_only && parsed_off_loop(req);
    if (c->large && queue_parse(req, c))
        return STAGE_DONE;
    return parse_now(req, c);
}

/* Validate: the input against the operation's shapes. May run on the thread pool. */
static stage_result_t stage_validate(nb_req_t *req, stage_ctx_t *c) {
    const nb__spec_t *spec = req->route.spec;
    if (nb__proto_validate(spec, req->route.op, req->route.protocol, c->input, &req->err) != 0)
        return STAGE_ERROR;
    return STAGE_NEXT;
}

/* Dispatch: the plugin's handler, inside the transaction the commit stage ends. */
static stage_result_t stage_dispatch(nb_req_t *req, stage_ctx_t *c) {
    if (req->aborted) { /* a client gone meanwhile gets nothing (nb__req_complete) */
        nb__req_complete(req);
        return STAGE_DONE;
    }
    nb_plugin_t *p;
    nb_op_handler_pt handler = op_handler(req, &p);
    if (handler == NULL) {
        fail_not_implemented(req);
        return STAGE_DONE;
    }
    if (nb__txn_begin(p->store) != 0) {
        nb__txn_failed(req);
        return STAGE_ERROR;
    }
    /* ENFORCE_IAM=1's policies (authz.c), read in the transaction: a denial rolls back nothing */
    c->handler_rc = nb__authz_allows(req, p, c->input) ? handler(req, c->input) : NB_DONE;
    return STAGE_NEXT;
}

static stage_result_t handler_failed(nb_req_t *req, int rc);

/* Commit: the handler's writes are durable before anything is sent (an async handler's
 * too: nb_finish and nb_work_queue's done get transactions of their own); an error, a
 * failure or an operation the handler left unimplemented keeps nothing. */
static stage_result_t stage_commit(nb_req_t *req, stage_ctx_t *c) {
    nb_result_t res = c->handler_rc;
    int rc = nb_result_error(res);
    bool keep = !req->has_error && rc == 0 && !nb_result_same(res, NB_NOT_IMPLEMENTED);
    bool committed = nb__txn_end(nb__txn_req_store(req), keep) == 0;
    if (nb_result_same(res, NB_ASYNC)) {
        req->async = true;
        nb__headers_shrink(&req->http->headers); /* held while it waits (a long poll: 20 s) */
        if (!committed)
            nb__txn_failed(req); /* answered so when the plugin calls nb_finish() or done() returns */
        return STAGE_DONE;
    }
    if (!committed) {
        nb__txn_failed(req);
        return STAGE_ERROR;
    }
    if (nb_result_same(res, NB_NOT_IMPLEMENTED)) {
        json_decref(req->output);
        req->output = NULL;
        fail_not_implemented(req);
        return STAGE_DONE;
    }
    if (rc < 0)
        return handler_failed(req, rc);
    if (!req->replied)
        req->output = json_object(); /* a handler that set nothing answers an empty output */
    if (nb__txn_complete_later(req))
        return STAGE_DONE; /* group commit: answered once the loop turn's writes are durable */
    return STAGE_NEXT;
}

/* A handler's failure as AWS would answer it: 503 for what passes, 500 otherwise. */
static stage_result_t handler_failed(nb_req_t *req, int rc) {
    const char *svc_name = req->route.spec->service;
    const nb__spec_op_t *op = req->route.op;
    nb__store_t *st = nb__txn_req_store(req);
    json_decref(req->output);
    req->output = NULL;
    if (rc == NB_EAGAIN || ((rc == NB_EIO || rc == NB_ESTORE) && st && nb__store_exhausted(st))) {
        fprintf(stderr, "nimbus: %s.%s: out of a resource for now (descriptors, memory): answered 503\n", svc_name,
                op->name);
        fail_unavailable(req);
        return STAGE_DONE;
    }
    if (rc == NB_EIO || rc == NB_ESTORE) { /* the disk or the store failed, as AWS's own InternalError */
        fprintf(stderr, "nimbus: %s.%s: %s failed: %s\n", svc_name, op->name, rc == NB_EIO ? "I/O" : "the store",
                st && *nb__store_errmsg(st) ? nb__store_errmsg(st) : "see above");
        nb__aws_error_set(&req->err, req->route.spec, op, "InternalError", 500,
                          "We encountered an internal error. Please try again.");
    } else {
        fprintf(stderr, "nimbus: %s.%s handler failed (%d)\n", svc_name, op->name, rc);
        nb__aws_error_set(&req->err, req->route.spec, op, "InternalFailure", 500, "The handler for %s.%s failed",
                          svc_name, op->name);
    }
    return STAGE_ERROR;
}

/* Serialize: the reply or the error in the protocol's format (request.c). */
static stage_result_t stage_serialize(nb_req_t *req, stage_ctx_t *c) {
    nb__req_serialize(req, &c->resp);
    return STAGE_NEXT;
}

/* Log: the request log line, the plugin's on_complete report, the DEBUG exchange. */
static stage_result_t stage_log(nb_req_t *req, stage_ctx_t *c) {
    nb__req_log(req, &c->resp);
    return STAGE_NEXT;
}

typedef enum stage_id {
    STAGE_ROUTE,
    STAGE_AUTHENTICATE,
    STAGE_PARSE,
    STAGE_VALIDATE,
    STAGE_DISPATCH,
    STAGE_COMMIT,
    STAGE_SERIALIZE,
    STAGE_LOG,
    STAGE_COUNT,
} stage_id_t;

static stage_result_t (*const stages[STAGE_COUNT])(nb_req_t *req, stage_ctx_t *c) = {
    [STAGE_ROUTE] = stage_route,
    [STAGE_AUTHENTICATE] = stage_authenticate,
    [STAGE_PARSE] = stage_parse,
    [STAGE_VALIDATE] = stage_validate,
    [STAGE_DISPATCH] = stage_dispatch,
    [STAGE_COMMIT] = stage_commit,
    [STAGE_SERIALIZE] = stage_serialize,
    [STAGE_LOG] = stage_log,
};

/* Runs the stages [from, to); past the last, the response goes out (req freed). true when
 * every one passed the request on. */
static bool run_stages(nb_req_t *req, stage_ctx_t *c, stage_id_t from, stage_id_t to) {
    for (stage_id_t i = from; i < to; i++) {
        stage_result_t r = stages[i](req, c);
        if (r == STAGE_ERROR) {
            req->has_error = true;
            nb__req_complete(req);
        }
        if (r != STAGE_NEXT)
            return false;
    }
    if (to == STAGE_COUNT)
        nb__req_respond(req, &c->resp);
    return true;
}

void nb__req_complete(nb_req_t *req) {
    if (req->call) { /* an in-process call: its caller gets the answer (call.c) */
        nb__call_req_done(req);
        return;
    }
    if (req->x == NULL)
        return; /* checked from its head: answered once the server hands it over (nb__gateway_handle) */
    if (req->done)
        return;
    req->done = true;
    if (req->aborted) {
        nb__req_drop(req);
        return;
    }
    stage_ctx_t c = {0};
    nb__http_response_init(&c.resp);
    run_stages(req, &c, STAGE_SERIALIZE, STAGE_COUNT);
}

/* The input once the handler ran (it kept what it needs with references of its own). */
static void release_input(uv_loop_t *loop, stage_ctx_t *c) {
    if (c->input == NULL && c->arena_mark == NULL)
        return;
    if (c->large)
        release_large_input(loop, c->input, c->arena_mark);
    else
        json_decref(c->input);
    c->input = NULL;
    c->arena_mark = NULL;
}

/* A large body's parse and validation, on the thread pool. */
typedef struct parse_job {
    uv_work_t work;
    nb_req_t *req;
    stage_ctx_t c;
    stage_result_t result;
    char path_buf[PATH_BUF_BYTES];
} parse_job_t;

static void parse_work(uv_work_t *w) {
    parse_job_t *job = w->data;
    job->c.arena_mark = malloc(ARENA_MARK_BYTES); /* in this thread's arena: see release_work */
    job->result = parse_now(job->req, &job->c);
    if (job->result == STAGE_NEXT)
        job->result = stage_validate(job->req, &job->c);
}

/* On the loop again: the pipeline goes on at dispatch, or answers the error. */
static void parse_done(uv_work_t *w, int status) {
    parse_job_t *job = w->data;
    nb_req_t *req = job->req;
    uv_loop_t *loop = req->gw->loop;
    if (status != 0) {
        nb__aws_error_set(&req->err, req->route.spec, req->route.op, "InternalError", 500,
                          "We encountered an internal error. Please try again.");
        job->result = STAGE_ERROR;
    }
    if (job->result == STAGE_NEXT) {
        run_stages(req, &job->c, STAGE_DISPATCH, STAGE_COUNT);
    } else {
        req->has_error = true;
        nb__req_complete(req);
    }
    release_input(loop, &job->c);
    free(job);
}

/* Queues a large body's parse on the thread pool. false when it could not be queued: the
 * caller parses it now. */
static bool queue_parse(nb_req_t *req, stage_ctx_t *c) {
    parse_job_t *job = malloc(sizeof *job);
    if (job == NULL)
        return false;
    job->req = req;
    job->c = *c;
    job->c.path_buf = job->path_buf;
    if (c->path == c->path_buf) { /* the labels' path is in the caller's buffer */
        snprintf(job->path_buf, sizeof job->path_buf, "%s", c->path_buf);
        job->c.path = job->path_buf;
    }
    job->work.data = job;
    /* What the parse would otherwise build lazily in the spec is built now, on the loop. */
    nb__spec_error_shape(req->route.spec, NULL, "", NULL);
    if (uv_queue_work(req->gw->loop, &job->work, parse_work, parse_done) == 0)
        return true;
    free(job);
    return false;
}

/* ---- Entry points ---- */

typedef struct precheck_call {
    nb_plugin_t *p;
    nb_req_t *req;
    const json_t *input;
    nb_result_t (*precheck)(nb_plugin_t *, nb_req_t *, const json_t *);
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

/* A request for the gateway, not yet routed, tied to an exchange nor counted. NULL without
 * memory. */
static nb_req_t *req_new(nb__gateway_t *gw, nb__http_request_t *http) {
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
    return req;
}

/* A client waiting on "100 Continue" to send an operation's streaming payload: the stages
 * that need no body run now (route, authenticate, the input from the head, its validation)
 * and the plugin's precheck, so a request bound to fail is answered before the client sends
 * its body. NULL when it may go on; else the failed request, answered by nb__gateway_handle. */
static nb_req_t *check_head(nb__gateway_t *gw, nb__http_request_t *http, const nb__route_t *route) {
    nb_req_t *req = req_new(gw, http);
    if (req == NULL)
        return NULL; /* the whole request answers */
    char path_buf[PATH_BUF_BYTES];
    stage_ctx_t c = {.known_route = route, .head_only = true, .path_buf = path_buf};
    if (run_stages(req, &c, STAGE_ROUTE, STAGE_DISPATCH))
        run_precheck(req, c.input);
    json_decref(c.input);
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
    gw->head_http = NULL;
    nb__router_forget_head(gw->router);
    /* Nimbus's own endpoints are no service's: routing them would read S3's spec (the last
     * resort) on a health check. */
    if (nb__gateway_internal_path(http->path))
        return NB__HEAD_READ;
    nb__route_t route;
    bool unread = route_unread(gw, http, &route);
    if (unread) /* read while the body arrives; its first request waits for it in stage_route */
        nb__spec_prefetch(gw->loop, route.spec);
    if (unread && route.op == NULL) /* which operation, and so which limit: known once routed */
        return NB__HEAD_READ_OWN_LIMIT;
    if (!unread && !route.body_unread) { /* routed for good: the request's stage_route reuses it */
        gw->head_http = http;
        gw->head_route = route;
    }
    if (!unread && expect_continue && route.op && route.op->streaming_input &&
        (http->head_data = check_head(gw, http, &route)) != NULL) {
        http->head_free = head_req_free;
        return NB__HEAD_ANSWER_NOW;
    }
    nb__body_limit_t limit;
    nb__body_limit(gw->cfg, route.spec, route.op, *max_body, &limit);
    *max_body = limit.max;
    return limit.code != NULL ? NB__HEAD_READ_OWN_LIMIT : NB__HEAD_READ;
}

/* The pipeline for req; known_route: routed already (NULL: route now). */
static void run_request(nb_req_t *req, const nb__route_t *known_route) {
    uv_loop_t *loop = req->gw->loop;
    char path_buf[PATH_BUF_BYTES];
    stage_ctx_t c = {.known_route = known_route, .path_buf = path_buf};
    nb__http_response_init(&c.resp);
    run_stages(req, &c, STAGE_ROUTE, STAGE_COUNT);
    release_input(loop, &c); /* req may be gone now (answered, its body freed) */
}

/* A request parked for its service's spec, on the loop again: routed anew (another spec may
 * be needed yet); when the spec could not be read, with the service and no operation, as the
 * router answers a service whose spec it cannot read (the protocol's unknown-operation error). */
static void resume_parked(nb_req_t *req, bool read) {
    nb__route_t unread = {.spec = req->route.spec, .protocol = req->route.protocol};
    if (req->aborted)
        nb__req_complete(req);
    else
        run_request(req, read ? NULL : &unread);
}

void nb__gateway_handle(nb__http_exchange_t *x, nb__http_request_t *http, void *data) {
    nb__gateway_t *gw = data;
    if (nb__origin_refused(gw, x, http) ||
        (!http->without_body && (nb__endpoint_route(gw, x, http) || nb__gateway_internal(gw, x, http) ||
                                 nb__cors_preflight(gw, x, http))))
        return;

    nb_req_t *req = http->head_data; /* answered from its head (check_head) */
    http->head_data = NULL;
    if (req == NULL && (req = req_new(gw, http)) == NULL) {
        nb__http_respond_status(x, 503);
        return;
    }
    req->x = x;
    gw->requests++;
    nb__http_exchange_on_abort(x, on_abort, req);
    if (req->has_error) {
        nb__req_complete(req);
        return;
    }
    /* Only this request's own head route: every head resets it, and it is used once. */
    const nb__route_t *known = gw->head_http == http ? &gw->head_route : NULL;
    gw->head_http = NULL;
    run_request(req, known);
}
