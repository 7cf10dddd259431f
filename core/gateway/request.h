/* One AWS request on its way through the gateway (nb_req_t, opaque to plugins). */
#ifndef NB_GATEWAY_REQUEST_H
#define NB_GATEWAY_REQUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/gateway.h"
#include "proto/proto.h"
#include "router/context.h"

struct nb_req {
    nb__gateway_t *gw;
    nb__http_exchange_t *x; /* NULL while checked from its head */
    nb__http_request_t *http; /* borrowed from the exchange */
    nb__route_t route;
    nb__service_t *svc;
    nb__req_context_t ctx;
    char request_id[40];
    bool query_mode; /* x-amzn-query-mode */

    /* The reply being built. */
    json_t *output;
    char *out_text; /* nb_reply_json_text's body, sent instead of output (reply_text.c) */
    size_t out_text_len;
    nb_body_t *out_body;
    nb__headers_t out_headers;
    nb__aws_error_t err;
    int status; /* nb_reply_status; 0: the operation's */
    bool has_error, replied, async, done, aborted;
    void (*on_abort)(nb_req_t *req, void *data);
    void *abort_data;
    void (*on_complete)(nb_req_t *req, const nb_req_summary_t *summary, void *data);
    void *complete_data;
    uint64_t start_ns;
    struct nb__arena *arena; /* nb_req_alloc's memory, created on first use; freed with the request */
    struct nb__call *call; /* an in-process call's callee request (call.c): no exchange */
};

/* Answers the request from the pipeline's serialize stage on (gateway.c): the reply or error
 * built so far, logged, sent; req freed. Its transaction ended before (txn.c). A client gone
 * gets nothing (nb__req_drop); a request checked from its head has no exchange yet (x NULL):
 * its answer waits for it. Once per request. */
void nb__req_complete(nb_req_t *req);
/* The stages' work (request.c). Serialize: the reply or error into resp, in the protocol's
 * format, with the plugin's headers and CORS. Log: the request log line, the on_complete
 * report, the DEBUG exchange. Respond: sends resp, frees it and req. Drop: a client gone,
 * nothing sent, req freed. */
void nb__req_serialize(nb_req_t *req, nb__http_response_t *resp);
void nb__req_log(nb_req_t *req, const nb__http_response_t *resp);
void nb__req_respond(nb_req_t *req, nb__http_response_t *resp);
void nb__req_drop(nb_req_t *req);
/* The request's line in the request log ("AWS sqs.SendMessage => 200"). */
void nb__req_log_line(nb_req_t *req, int status);
/* Frees a request that is not answered (checked from its head, then let through). */
void nb__req_free(nb_req_t *req);
/* Runs the request's nb_req_on_complete callback, if any, once: with what resp answers, or
 * with no summary when resp is NULL (nothing is sent). */
void nb__req_report(nb_req_t *req, const nb__http_response_t *resp);
/* Sets the request's error (status 0: the spec's); fields: taken, may be NULL. */
void nb__req_set_error_v(nb_req_t *req, const char *code, int status, json_t *fields, const char *fmt, va_list ap);
void nb__req_set_error(nb_req_t *req, const char *code, int status, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Answers an error before or instead of the handler. */
void nb__req_fail(nb_req_t *req, const char *code, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* DEBUG=1: the request and its response written to f, credentials and the values the
 * spec marks sensitive left out (debug_log.c). */
void nb__debug_log_exchange(FILE *f, const nb_req_t *req, const nb__http_response_t *resp);

#endif
