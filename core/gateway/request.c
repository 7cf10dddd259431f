#include "gateway/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log_line.h"
#include "http/body.h"
#include "nimbus/errno.h"
#include "util/arena.h"
#include "proc/proc.h"
#include "util/codec.h"

void nb__req_log_line(nb_req_t *req, int status) {
    nb__gateway_t *gw = req->gw;
    if (gw->log == NULL)
        return;
    /* <ts>.<ms>  INFO AWS <svc>.<op> => <status>[ (<code>)] (<ms, 2 decimals> ms) */
    nb__buf_t *l = nb__log_line_begin();
    nb__log_line_time(l);
    nb__buf_puts(l, "  INFO AWS ");
    nb__buf_puts(l, nb__log_service(req));
    nb__buf_putc(l, '.');
    nb__buf_puts(l, nb__log_operation(req));
    nb__buf_puts(l, " => ");
    nb__log_line_int(l, status);
    if (req->has_error) {
        nb__buf_puts(l, " (");
        nb__buf_puts(l, req->err.code ? req->err.code : "(null)");
        nb__buf_putc(l, ')');
    }
    nb__buf_puts(l, " (");
    nb__log_line_elapsed_ms(l, req, 2);
    nb__buf_puts(l, " ms)\n");
    nb__log_line_write(l, gw->log);
}

void nb__req_report(nb_req_t *req, const nb__http_response_t *resp) {
    void (*cb)(nb_req_t *, const nb_req_summary_t *, void *) = req->on_complete;
    req->on_complete = NULL;
    if (cb == NULL)
        return;
    if (resp == NULL) {
        cb(req, NULL, req->complete_data);
        return;
    }
    nb_req_summary_t s = {
        .status = resp->status,
        .error_code = req->has_error ? req->err.code : NULL,
        .bytes_sent = resp->no_body ? 0 : resp->stream ? nb__body_size(resp->stream) : (int64_t)resp->body.len,
        .total_ms = (double)(uv_hrtime() - req->start_ns) / 1e6,
        .method = req->http->method,
        .target = req->http->target,
        .peer = req->http->peer,
    };
    cb(req, &s, req->complete_data);
}

void nb__req_free(nb_req_t *req) {
    nb__arena_free(req->arena); /* first: its cleanup handlers may still read the request */
    json_decref(req->output);
    free(req->out_text);
    nb__body_free(req->out_body);
    nb__headers_free(&req->out_headers);
    nb__aws_error_clear(&req->err);
    free(req);
}

void nb__req_drop(nb_req_t *req) {
    nb__http_response_t none; /* nb__http_respond() takes a response even for a gone client */
    nb__http_response_init(&none);
    nb__req_report(req, NULL);
    nb__http_respond(req->x, &none);
    nb__http_response_free(&none);
    nb__req_free(req);
}

void nb__req_serialize(nb_req_t *req, nb__http_response_t *resp) {
    nb__proto_ctx_t pctx = {
        .request_id = req->request_id,
        .query_mode = req->query_mode,
        .head = strcmp(req->http->method, "HEAD") == 0,
    };
    const nb__spec_t *spec = req->route.spec;
    const nb__spec_op_t *op = req->route.op;
    nb__protocol_t proto = req->route.protocol ? req->route.protocol : NB_PROTO_JSON;
    if (!req->has_error) {
        nb_body_t *stream = req->out_body;
        req->out_body = NULL;
        int rc = req->out_text ? nb__proto_json_text(spec, req->out_text, req->out_text_len, stream, &pctx, resp)
                               : nb__proto_serialize(spec, op, proto, req->output, stream, &pctx, resp);
        if (rc == 0 && req->status)
            resp->status = req->status;
        if (rc != 0) {
            nb__http_response_free(resp);
            nb__http_response_init(resp);
            req->has_error = true;
            nb__aws_error_set(&req->err, spec, op, "InternalFailure", 500,
                              "the response could not be serialized (%s)", nb_strerror(rc));
        }
    }
    if (req->has_error)
        nb__proto_serialize_error(spec, op, proto, &req->err, &pctx, resp);
    for (size_t i = 0; i < req->out_headers.len; i++)
        nb__headers_set(&resp->headers, req->out_headers.items[i].name, req->out_headers.items[i].value);
    nb__cors_headers(req->gw->cfg, &req->route, req->http, resp);
    if (pctx.head)
        resp->no_body = true;
}

void nb__req_log(nb_req_t *req, const nb__http_response_t *resp) {
    nb__req_log_line(req, resp->status);
    if (req->gw->request_log)
        nb__request_log_write(req, resp->status);
    nb__req_report(req, resp);
    if (req->gw->log && req->gw->cfg && req->gw->cfg->debug)
        nb__debug_log_exchange(req->gw->log, req, resp);
}

void nb__req_respond(nb_req_t *req, nb__http_response_t *resp) {
    nb__http_respond(req->x, resp);
    nb__http_response_free(resp);
    nb__req_free(req);
}

void nb__req_set_error_v(nb_req_t *req, const char *code, int status, json_t *fields, const char *fmt, va_list ap) {
    char *message = NULL;
    if (fmt && vasprintf(&message, fmt, ap) < 0)
        message = NULL;
    nb__aws_error_clear(&req->err);
    req->err.fields = fields;
    nb__aws_error_set(&req->err, req->route.spec, req->route.op, code, status, "%s", message ? message : "");
    free(message);
    req->has_error = true;
    req->replied = true;
}

void nb__req_set_error(nb_req_t *req, const char *code, int status, json_t *fields, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nb__req_set_error_v(req, code, status, fields, fmt, ap);
    va_end(ap);
}

void nb__req_fail(nb_req_t *req, const char *code, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    nb__req_set_error_v(req, code, status, NULL, fmt, ap);
    va_end(ap);
    nb__req_complete(req);
}

