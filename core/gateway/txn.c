/* Transactions of the request pipeline, begun and ended in one place (txn.h). */
#include "gateway/txn.h"

#include <stdio.h>

#include "nimbus/errno.h"

int nb__txn_begin(nb__store_t *st) {
    if (st == NULL || nb__store_begin(st) == 0)
        return 0;
    fprintf(stderr, "nimbus: %s\n", nb__store_errmsg(st));
    return NB_ESTORE;
}

int nb__txn_end(nb__store_t *st, bool keep) {
    if (st == NULL)
        return 0;
    if (!keep) {
        nb__store_rollback(st);
        return 0;
    }
    if (nb__store_commit(st) == 0)
        return 0;
    fprintf(stderr, "nimbus: %s\n", nb__store_errmsg(st));
    return NB_ESTORE;
}

int nb__txn_run(nb__store_t *st, bool (*body)(void *ctx), void *ctx) {
    if (nb__txn_begin(st) != 0)
        return NB_ESTORE;
    return nb__txn_end(st, body(ctx));
}

nb__store_t *nb__txn_req_store(const nb_req_t *req) {
    return req->svc && req->svc->provider ? req->svc->provider->store : NULL;
}

void nb__txn_failed(nb_req_t *req) {
    nb__aws_error_clear(&req->err);
    nb__aws_error_set(&req->err, req->route.spec, req->route.op, "InternalError", 500,
                      "We encountered an internal error. Please try again.");
    req->has_error = true;
}

typedef struct handler_call {
    nb_req_t *req;
    nb_op_handler_pt handler;
    const json_t *input;
    nb_result_t rc;
} handler_call_t;

/* An error, a failure or a handler that will answer 501 keeps nothing it wrote. */
static bool handler_body(void *ctx) {
    handler_call_t *c = ctx;
    c->rc = c->handler(c->req, c->input);
    return !c->req->has_error && nb_result_error(c->rc) == 0 && !nb_result_same(c->rc, NB_NOT_IMPLEMENTED);
}

int nb__txn_run_handler(nb_req_t *req, nb_op_handler_pt handler, const json_t *input, nb_result_t *handler_rc) {
    handler_call_t c = {req, handler, input, NB_DONE};
    int rc = nb__txn_run(nb__txn_req_store(req), handler_body, &c);
    *handler_rc = c.rc;
    if (rc != 0)
        nb__txn_failed(req);
    return rc;
}

static void complete_committed(void *data) { nb__req_complete(data); }

static void complete_rolled_back(void *data) {
    nb_req_t *req = data;
    nb__txn_failed(req);
    nb__req_complete(req);
}

bool nb__txn_complete_later(nb_req_t *req) {
    nb__store_t *st = nb__txn_req_store(req);
    /* A client gone gets nothing; without memory for the hooks, the answer goes now. */
    return st != NULL && !req->aborted && nb__store_in_txn(st) &&
           nb__store_hook_add_pair(st, complete_committed, complete_rolled_back, req) == 0;
}

void nb__txn_complete_at_end(nb_req_t *req) {
    if (!nb__txn_complete_later(req))
        nb__req_complete(req);
}
