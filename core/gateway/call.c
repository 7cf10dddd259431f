/*
 * In-process calls: one plugin calls another service's operation without HTTP
 * (S3 event notifications delivered to SQS). The call takes the path of a request
 * after the parser: enabled check, service start, validation against the spec,
 * the handler inside a transaction of the callee's store, committed before the
 * caller sees the result. Only synchronous handlers can be called this way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/request.h"
#include "http/body.h"
#include "nimbus/errno.h"
#include "store/store.h"
#include "util/arena.h"

static void set_code(char *buf, size_t len, const char *code) {
    if (buf && len)
        snprintf(buf, len, "%s", code ? code : "");
}

int nb__gateway_call(nb_plugin_t *self, const char *account, const char *region, const char *service,
                     const char *operation, json_t *input, json_t **output, char *error_code, size_t error_len) {
    *output = NULL;
    set_code(error_code, error_len, NULL);
    nb__registry_t *reg = self ? self->reg : NULL;
    nb__gateway_t *gw = reg ? reg->owner : NULL;
    nb__service_t *svc = gw ? nb__registry_service(&gw->reg, service) : NULL;
    if (svc == NULL || svc->provider == NULL || !nb__config_service_enabled(gw->cfg, service)) {
        json_decref(input);
        set_code(error_code, error_len, "ServiceNotEnabled");
        return NB_ENOENT;
    }
    nb_plugin_t *p = svc->provider;
    const nb__spec_op_t *op = nb__spec_op(p->spec, operation);
    nb_op_handler_pt handler = op ? p->handlers[op - p->spec->ops] : NULL;
    if (handler == NULL || (svc->state != NB_SVC_RUNNING && nb__registry_start(&gw->reg, svc) != 0)) {
        json_decref(input);
        set_code(error_code, error_len, handler ? "ServiceUnavailable" : "NotImplemented");
        return NB_ENOENT;
    }
    nb__http_request_t http = {.method = "POST", .target = "/", .path = "/"};
    http.body = nb__body_from_mem("", 0);
    nb_req_t *req = calloc(1, sizeof *req);
    if (req == NULL || http.body == NULL || input == NULL) {
        free(req);
        nb__body_free(http.body);
        json_decref(input);
        return NB_ENOMEM;
    }
    req->gw = gw;
    req->http = &http;
    req->svc = svc;
    req->route.spec = p->spec;
    req->route.op = op;
    req->route.protocol = p->spec->protocol; /* it only shapes the error codes here */
    snprintf(req->ctx.account, sizeof req->ctx.account, "%s", account ? account : "000000000000");
    snprintf(req->ctx.region, sizeof req->ctx.region, "%s", region ? region : "us-east-1");
    nb__request_id_new(req->request_id);

    int rc = nb__proto_validate(p->spec, op, req->route.protocol, input, &req->err);
    if (rc != 0)
        req->has_error = true;
    nb__store_t *st = p->store;
    bool txn = false;
    if (rc == 0 && st && (rc = nb__store_begin(st)) == 0)
        txn = true;
    if (rc == 0) {
        nb_result_t res = handler(req, input);
        rc = nb_result_error(res);
        if (nb_result_same(res, NB_ASYNC) || nb_result_same(res, NB_NOT_IMPLEMENTED)) {
            /* an async handler would finish a request nobody waits for */
            fprintf(stderr, "nimbus: %s.%s cannot be called in-process (it answers later)\n", service, operation);
            rc = NB_EINVAL;
        }
        if (rc < 0)
            req->has_error = true;
    }
    if (txn) {
        if (req->has_error)
            nb__store_rollback(st);
        else if (nb__store_commit(st) != 0)
            rc = NB_ESTORE, req->has_error = true;
    }
    if (req->has_error) {
        set_code(error_code, error_len, req->err.code ? req->err.code : "InternalFailure");
        if (rc == 0)
            rc = NB_EINVAL;
    } else {
        *output = req->output ? req->output : json_object();
        req->output = NULL;
        rc = 0;
    }
    if (gw->log)
        fprintf(gw->log, "INFO AWS %s.%s => %s (in-process call from %s)\n", service, operation,
                req->has_error ? (req->err.code ? req->err.code : "error") : "ok", self->def->name);
    nb__req_report(req, NULL);
    nb__arena_free(req->arena);
    json_decref(input);
    json_decref(req->output);
    nb__body_free(req->out_body);
    nb__headers_free(&req->out_headers);
    nb__aws_error_clear(&req->err);
    nb__body_free(http.body);
    nb__headers_free(&http.headers);
    free(req);
    return rc;
}
