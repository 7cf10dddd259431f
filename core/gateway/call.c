/*
 * In-process calls: one plugin calls another service's operation without HTTP
 * (S3 event notifications delivered to SQS, the test harness). A call takes the path
 * of a request after the parser: enabled check, service start, validation against
 * the spec, the handler inside a transaction of the callee's store, committed before
 * the caller sees the result.
 *
 * The callee gets a request of its own (req->call set, no HTTP exchange), which it may
 * keep past its handler (NB_ASYNC) like any request; nb__req_complete hands it back
 * here when the callee finishes it. The call record outlives it until the caller has
 * its result or cancelled, so neither side ever holds a freed request.
 */
#include "gateway/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/request.h"
#include "http/body.h"
#include "nimbus/errno.h"
#include "gateway/txn.h"

typedef enum call_state {
    CALL_QUEUED,  /* waits for the next loop turn to run */
    CALL_RUNNING, /* the callee holds its request (answered NB_ASYNC) */
    CALL_DONE,    /* the result is in; the callback waits for the next loop turn */
} call_state_t;

struct nb__call {
    nb__call_t *prev, *next; /* live calls: queued, running or done, not yet delivered or cancelled */
    uint64_t id;
    nb__gateway_t *gw;
    char caller[64];
    char service[64], operation[128];
    nb__req_context_t ctx;
    json_t *input;
    nb_call_cb cb;
    void *data;
    call_state_t state;
    bool cancelled, in_handler, linked;
    nb_req_t *req;             /* the callee's request while it runs */
    nb__http_request_t http;   /* what the callee reads of "its" HTTP request */
    uv_timer_t turn;           /* the next loop turn: to run, then to deliver */
    /* The result. */
    int rc, status;
    json_t *output;
    nb_body_t *body;
    char *code, *message;
};

static nb__call_t *live;
static void call_turn(uv_timer_t *h);
static uint64_t last_id;

static void call_link(nb__call_t *c) {
    c->next = live;
    if (live)
        live->prev = c;
    live = c;
    c->linked = true;
}

static void call_unlink(nb__call_t *c) {
    if (!c->linked)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        live = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->linked = false;
}

static void call_closed(uv_handle_t *h) { free(h->data); }

static void call_free(nb__call_t *c) {
    call_unlink(c);
    json_decref(c->input);
    json_decref(c->output);
    nb__body_free(c->body);
    free(c->code);
    free(c->message);
    nb__body_free(c->http.body);
    nb__headers_free(&c->http.headers);
    if (c->turn.data) { /* a call with a loop turn frees once its handle closed */
        uv_timer_stop(&c->turn);
        uv_close((uv_handle_t *)&c->turn, call_closed);
    } else {
        free(c);
    }
}

static void set_error(nb__call_t *c, int rc, const char *code, int status, const char *message) {
    c->rc = rc;
    c->status = status;
    free(c->code);
    free(c->message);
    c->code = strdup(code);
    c->message = strdup(message ? message : "");
}

/* The callee's request for the call, its input's streaming payload moved to its body. */
static nb_req_t *callee_req(nb__call_t *c, nb__service_t *svc, const nb__spec_op_t *op) {
    nb_plugin_t *p = svc->provider;
    c->http.method = "POST";
    c->http.target = c->http.path = "/";
    const char *payload = op->streaming_input ? json_string_value(json_object_get(op->input, "payload")) : NULL;
    json_t *stream = payload ? json_object_get(c->input, payload) : NULL;
    if (json_is_string(stream)) {
        c->http.body = nb__body_from_mem(json_string_value(stream), json_string_length(stream));
        json_object_del(c->input, payload);
    } else {
        c->http.body = nb__body_from_mem("", 0);
    }
    if (c->ctx.access_key[0]) { /* what the callee reads of the caller's credential */
        char auth[320];
        snprintf(auth, sizeof auth, "AWS4-HMAC-SHA256 Credential=%s/20240101/%s/%s/aws4_request, SignedHeaders=host, "
                 "Signature=0", c->ctx.access_key, c->ctx.region, c->service);
        nb__headers_set(&c->http.headers, "Authorization", auth);
    }
    nb_req_t *req = calloc(1, sizeof *req);
    if (req == NULL || c->http.body == NULL) {
        free(req);
        return NULL;
    }
    req->gw = c->gw;
    req->http = &c->http;
    req->svc = svc;
    req->call = c;
    req->route.spec = p->spec;
    req->route.op = op;
    req->route.protocol = p->spec->protocol; /* it only shapes the error codes here */
    req->ctx = c->ctx;
    req->start_ns = uv_hrtime();
    nb__request_id_new(req->request_id);
    return req;
}

void nb__call_req_done(nb_req_t *req) {
    nb__call_t *c = req->call;
    if (req->done)
        return;
    req->done = true; /* its transaction ended before (txn.c) */
    if (!c->cancelled) {
        if (req->has_error) {
            set_error(c, c->rc < 0 ? c->rc : NB_EINVAL, req->err.code ? req->err.code : "InternalFailure",
                      req->err.status ? req->err.status : 500, req->err.message);
        } else {
            c->rc = 0;
            c->status = req->status ? req->status : req->route.op->response_code;
            c->output = req->output ? req->output : json_object();
            req->output = NULL;
            c->body = req->out_body;
            req->out_body = NULL;
        }
    }
    if (c->gw->log)
        fprintf(c->gw->log, "INFO AWS %s.%s => %s (in-process call from %s)\n", c->service, c->operation,
                c->cancelled ? "cancelled" : req->has_error ? c->code : "ok", c->caller);
    nb__req_report(req, NULL);
    nb__req_free(req);
    c->req = NULL;
    if (c->cancelled) {
        call_free(c);
        return;
    }
    c->state = CALL_DONE;
    if (!c->in_handler && c->turn.data) /* finished later: the caller hears on a turn of its own */
        uv_timer_start(&c->turn, call_turn, 0, 0);
}

/* Runs the callee's handler. Afterwards the call is CALL_DONE with its result, or
 * CALL_RUNNING when the callee answers later. */
static void call_run(nb__call_t *c) {
    nb__gateway_t *gw = c->gw;
    nb__service_t *svc = nb__registry_service(&gw->reg, c->service);
    c->state = CALL_DONE;
    if (svc == NULL || !nb__registry_service_enabled(&gw->reg, c->service) || svc->provider == NULL) {
        set_error(c, NB_ENOENT, "ServiceNotEnabled", 501,
                  "the service is not enabled (SERVICES) or has no provider");
        return;
    }
    nb_plugin_t *p = svc->provider;
    if (nb__registry_bind(&gw->reg, svc) != 0) {
        set_error(c, NB_ENOENT, "ServiceUnavailable", 503, svc->error ? svc->error : "the service failed to start");
        return;
    }
    const nb__spec_op_t *op = nb__spec_op(p->spec, c->operation);
    nb_op_handler_pt handler = op && p->handlers ? p->handlers[op - p->spec->ops] : NULL;
    if (handler == NULL) {
        set_error(c, NB_ENOENT, "NotImplemented", 501, "the service does not implement this operation");
        return;
    }
    if (svc->state != NB_SVC_RUNNING && nb__registry_start(&gw->reg, svc) != 0) {
        set_error(c, NB_ENOENT, "ServiceUnavailable", 503, svc->error ? svc->error : "the service failed to start");
        return;
    }
    nb_req_t *req = c->input ? callee_req(c, svc, op) : NULL;
    if (req == NULL) {
        set_error(c, NB_ENOMEM, "InternalFailure", 500, "out of memory");
        return;
    }
    c->req = req;
    c->state = CALL_RUNNING;
    c->in_handler = true;
    int rc = nb__proto_validate(p->spec, op, req->route.protocol, c->input, &req->err);
    if (rc != 0) {
        req->has_error = true;
    } else {
        nb_result_t res = NB_DONE;
        int txn_rc = nb__txn_run_handler(req, handler, c->input, &res);
        rc = nb_result_error(res);
        if (c->req == NULL) { /* it called nb_finish before returning: done, req is gone */
            c->in_handler = false;
            return;
        }
        if (txn_rc != 0) /* req carries InternalError, also once an async callee finishes */
            c->rc = NB_ESTORE;
        if (nb_result_same(res, NB_ASYNC)) { /* the callee holds req; its writes so far committed (txn.c) */
            req->async = true;
            c->in_handler = false;
            return;
        }
        if (txn_rc == 0 && nb_result_same(res, NB_NOT_IMPLEMENTED)) {
            nb__aws_error_set(&req->err, p->spec, op, "NotImplemented", 501, "the operation is not implemented");
            req->has_error = true;
            c->rc = NB_ENOENT;
        } else if (txn_rc == 0 && rc < 0) {
            c->rc = rc;
            if (!req->has_error)
                nb__aws_error_set(&req->err, p->spec, op, "InternalFailure", 500, "the handler failed: %s",
                                  nb_strerror(rc));
            req->has_error = true;
        }
    }
    c->in_handler = false;
    nb__call_req_done(req);
}

/* The call's loop turn: first to run it, then (if it finished later) to deliver. */
static void call_turn(uv_timer_t *h) {
    nb__call_t *c = h->data;
    if (c->state == CALL_QUEUED)
        call_run(c);
    if (c->state != CALL_DONE)
        return; /* the callee answers later; nb__call_req_done schedules the delivery */
    call_unlink(c); /* from here on, cancelling the id does nothing */
    nb_call_result_t r = {
        .rc = c->rc,
        .output = c->rc == 0 ? c->output : NULL,
        .body = c->rc == 0 ? c->body : NULL,
        .error_code = c->rc == 0 ? NULL : c->code,
        .error_message = c->rc == 0 ? NULL : c->message ? c->message : "",
        .status = c->status,
    };
    c->cb(&r, c->data);
    call_free(c);
}

static nb__call_t *call_new(nb__gateway_t *gw, const char *caller, const nb__req_context_t *ctx, const char *service,
                            const char *operation, json_t *input) {
    nb__call_t *c = calloc(1, sizeof *c);
    if (c == NULL) {
        json_decref(input);
        return NULL;
    }
    c->gw = gw;
    c->id = ++last_id;
    c->input = input;
    c->ctx = *ctx;
    snprintf(c->caller, sizeof c->caller, "%s", caller ? caller : "?");
    snprintf(c->service, sizeof c->service, "%s", service ? service : "");
    snprintf(c->operation, sizeof c->operation, "%s", operation ? operation : "");
    return c;
}

uint64_t nb__call_start(nb__gateway_t *gw, const char *caller, const nb__req_context_t *ctx, const char *service,
                        const char *operation, json_t *input, nb_call_cb cb, void *data) {
    if (gw == NULL || cb == NULL) {
        json_decref(input);
        return 0;
    }
    nb__call_t *c = call_new(gw, caller, ctx, service, operation, input);
    if (c == NULL)
        return 0;
    c->cb = cb;
    c->data = data;
    uv_timer_init(gw->loop, &c->turn);
    c->turn.data = c;
    uv_timer_start(&c->turn, call_turn, 0, 0);
    call_link(c);
    return c->id;
}

void nb__call_cancel(uint64_t id) {
    nb__call_t *c = live;
    while (c && c->id != id)
        c = c->next;
    if (c == NULL || id == 0)
        return;
    call_unlink(c);
    c->cancelled = true;
    if (c->state != CALL_RUNNING) {
        call_free(c);
        return;
    }
    /* The callee holds its request: it sees its caller go away and finishes it (maybe right
     * here), which frees the call (nb__call_req_done). */
    nb_req_t *req = c->req;
    req->aborted = true;
    if (req->on_abort)
        req->on_abort(req, req->abort_data);
}

void nb__call_cancel_all(void) {
    while (live)
        nb__call_cancel(live->id);
}

/* ---- The function table's entries (nb_api_t.call, call_async, call_cancel). ---- */

static void fill_ctx(nb__req_context_t *ctx, const char *account, const char *region) {
    memset(ctx, 0, sizeof *ctx);
    snprintf(ctx->account, sizeof ctx->account, "%s", account ? account : nb__context_default_account());
    snprintf(ctx->region, sizeof ctx->region, "%s", region ? region : nb__context_default_region());
}

static nb__gateway_t *owner(nb_plugin_t *self) { return self && self->reg ? self->reg->owner : NULL; }

uint64_t nb__api_call_async(nb_plugin_t *self, const char *account, const char *region, const char *service,
                            const char *operation, json_t *input, nb_call_cb cb, void *data) {
    nb__req_context_t ctx;
    fill_ctx(&ctx, account, region);
    return nb__call_start(owner(self), self && self->def ? self->def->name : NULL, &ctx, service, operation, input, cb,
                          data);
}

int nb__gateway_call(nb_plugin_t *self, const char *account, const char *region, const char *service,
                     const char *operation, json_t *input, json_t **output, char *error_code, size_t error_len) {
    *output = NULL;
    if (error_code && error_len)
        error_code[0] = '\0';
    nb__gateway_t *gw = owner(self);
    nb__req_context_t ctx;
    fill_ctx(&ctx, account, region);
    nb__call_t *c = gw ? call_new(gw, self->def->name, &ctx, service, operation, input) : NULL;
    if (c == NULL) {
        if (gw == NULL)
            json_decref(input);
        return NB_ENOMEM;
    }
    call_run(c); /* no loop turn: the caller waits for the answer */
    if (c->state == CALL_RUNNING) {
        /* The callee answers later and nobody here can wait: it is told its caller went
         * away, and its request lives on until it finishes it. */
        fprintf(stderr, "nimbus: %s.%s answers later: call it with nb_call_async, not nb_call\n", service, operation);
        c->cancelled = true;
        nb_req_t *req = c->req;
        req->aborted = true;
        if (req->on_abort)
            req->on_abort(req, req->abort_data);
        if (error_code && error_len)
            snprintf(error_code, error_len, "%s", "AsyncCallRequired");
        return NB_EINVAL;
    }
    int rc = c->rc;
    if (rc == 0) {
        *output = c->output;
        c->output = NULL;
    } else if (error_code && error_len) {
        snprintf(error_code, error_len, "%s", c->code);
    }
    call_free(c);
    return rc;
}
