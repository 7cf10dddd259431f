/*
 * The one owner of transactions in the request pipeline: every path that runs plugin code
 * against its store (a request's handler, its precheck, a work-queue completion, an async
 * request's nb_finish, a timer callback) begins and ends its transaction here, and the
 * store (core/store) runs the on-commit and on-rollback hooks of whichever ended.
 *
 * A failed commit is never ignored: the store rolled everything back and ran the plugin's
 * rolled_back and the on-rollback hooks; a request then answers AWS's InternalError (500);
 * a timer's is logged and dropped (a repeating timer runs again at its next period).
 */
#ifndef NB_GATEWAY_TXN_H
#define NB_GATEWAY_TXN_H

#include <stdbool.h>

#include "gateway/request.h"
#include "store/store.h"

/* The pair every path below goes through: begin, then end with keep true to commit, false to
 * roll back. st NULL (a plugin without a store): nothing to do, 0. begin: 0 or NB_ESTORE
 * (logged). end: 0, or NB_ESTORE when the commit failed (logged, everything undone). */
int nb__txn_begin(nb__store_t *st);
int nb__txn_end(nb__store_t *st, bool keep);

/* Runs body(ctx) inside a transaction of st, then commits it if body returned true, else
 * rolls it back. st NULL (a plugin without a store): body alone. 0, or NB_ESTORE when the
 * transaction could not begin (body not run) or its commit failed (everything undone). */
int nb__txn_run(nb__store_t *st, bool (*body)(void *ctx), void *ctx);

/* The store of the plugin serving req (NULL: none). */
nb__store_t *nb__txn_req_store(const nb_req_t *req);

/* Runs handler(req, input) inside a transaction of the request's store, committed (or rolled
 * back when the handler set an error or failed) before this returns: an async handler's writes
 * too (a transaction never stays open across loop turns; its nb_finish gets its own). The
 * handler's return value in *handler_rc. 0, or NB_ESTORE when the transaction could not begin
 * or commit: req then carries AWS's InternalError. Does not complete req. Also for in-process
 * calls (call.c). */
int nb__txn_run_handler(nb_req_t *req, nb_op_handler_pt handler, const json_t *input, nb_result_t *handler_rc);

/* Sets AWS's InternalError on req after its transaction could not begin or commit. */
void nb__txn_failed(nb_req_t *req);

/* Completes req (nb__req_complete) once the transaction open on its store ends: as built
 * when it commits, as InternalError when it rolls back or its commit fails (nb_finish from a
 * timer callback or another request's handler). At once when none is open. */
void nb__txn_complete_at_end(nb_req_t *req);
/* The same, for a caller that goes on with the answer itself when nothing is open: true when
 * req is completed later, once the transaction open on its store (the loop turn's group
 * transaction, with group commit) ends; false when the caller answers now. */
bool nb__txn_complete_later(nb_req_t *req);

#endif
