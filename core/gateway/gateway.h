/*
 * The gateway: the handler chain every HTTP request goes through.
 *
 *   origin and Host allowed?                          -> 403 (origin.c)
 *   internal routes (/_localstack/..., /_nimbus/...)  -> answered here
 *   CORS preflight                                    -> 204
 *   the request pipeline (gateway.c), one named stage each:
 *     route -> authenticate -> parse -> validate -> dispatch -> commit -> serialize -> log
 *   (route: service, operation, context, enabled, started; commit: txn.c; serialize and
 *   log: request.c), then the response is sent.
 * Start-up and shutdown: startup.c. The plugin API: api.c. Service quirks: quirks.c.
 */
#ifndef NB_GATEWAY_H
#define NB_GATEWAY_H

#include <uv.h>

#include "config/config.h"
#include "http/server.h"
#include "plugin/plugin.h"
#include "router/router.h"

typedef struct nb__gateway {
    uv_loop_t *loop;
    const nb__config_t *cfg;
    nb__registry_t reg;
    nb__router_t *router;
    nb__http_server_t *http;
    double started_at;   /* wall clock, epoch seconds */
    uint64_t requests;   /* AWS requests handled */
    FILE *log;           /* request log (stdout) */
    FILE *request_log;   /* NIMBUS_REQUEST_LOG's JSON lines; NULL when off (request_log.c) */
    bool unavailable[NB_MAX_LISTEN]; /* optional GATEWAY_LISTEN addresses this machine lacks */
    uv_timer_t eager;    /* EAGER_SERVICE_LOADING: the services start on the loop's first turn */
    /* The route nb__gateway_head found for head_http, kept for its nb__gateway_handle so a
     * request is routed once (not when a form's Action may be in the body still to come) */
    const nb__http_request_t *head_http;
    nb__route_t head_route;
} nb__gateway_t;

/* Start-up (startup.c). Loads specs and plugins, builds the router. On failure *err says why. */
int nb__gateway_init(nb__gateway_t *gw, uv_loop_t *loop, const nb__config_t *cfg, char **err);
/* HTTPS beside HTTP on the ports, as the settings ask (https.c): part of init. */
int nb__gateway_https(nb__gateway_t *gw, char **err);
/* Listens on every GATEWAY_LISTEN address. */
int nb__gateway_listen(nb__gateway_t *gw, char **err);
/* Stops accepting, lets in-flight requests finish (bounded), then calls done. */
void nb__gateway_close(nb__gateway_t *gw, void (*done)(void *data), void *data);
/* Unloads plugins and frees what init built (after close completed). */
void nb__gateway_free(nb__gateway_t *gw);

/* Handles one request (the HTTP server's handler). */
void nb__gateway_handle(nb__http_exchange_t *x, nb__http_request_t *req, void *data);
/* Decides from a request's head how its body is read (the HTTP server's head handler). */
nb__http_head_verdict_t nb__gateway_head(nb__http_request_t *http, bool expect_continue, uint64_t *max_body,
                                         void *data);

/* Refuses (403) a request from a web page origin, or for a Host name, Nimbus does not allow;
 * true if it answered. Runs before anything else. (origin.c) */
bool nb__origin_refused(nb__gateway_t *gw, nb__http_exchange_t *x, const nb__http_request_t *req);

/* Operations whose spec requires a checksum get their Content-MD5 checked against the body
 * (content_md5.c): 1 when the request may go on, 0 when req->err says why not. */
int nb__check_content_md5(nb_req_t *req);

/* NIMBUS_REQUEST_LOG (request_log.c): opens the file (nothing when unset; -1 and *err when it
 * cannot be opened), writes a request's JSON line once answered with status, closes. */
int nb__request_log_open(nb__gateway_t *gw, char **err);
void nb__request_log_write(const nb_req_t *req, int status);
void nb__request_log_close(nb__gateway_t *gw);

/* Internal endpoints; returns true if it answered. (internal.c) */
bool nb__gateway_internal(nb__gateway_t *gw, nb__http_exchange_t *x, nb__http_request_t *req);
/* Whether a path is an internal endpoint's (/_localstack/..., /_nimbus/...). */
bool nb__gateway_internal_path(const char *path);

/* CORS for requests from allowed origins (cors.c). Preflights get the default answer, unless
 * the router sends them to an OPTIONS operation of a service that answers CORS from its own
 * rules (S3's bucket CORS, unless DISABLE_CUSTOM_CORS_S3). */
bool nb__cors_preflight(const nb__gateway_t *gw, nb__http_exchange_t *x, const nb__http_request_t *req);
/* The default CORS headers on a response to a request with Origin (none with DISABLE_CORS_HEADERS).
 * route: the AWS operation answered, NULL for internal endpoints; a service with its own CORS
 * rules gets none on its actual requests. */
void nb__cors_headers(const nb__config_t *cfg, const nb__route_t *route, const nb__http_request_t *req,
                      nb__http_response_t *resp);

/* The settings and the event loop the plugin API (api.c) answers from, set at start-up. */
void nb__api_set_config(const nb__config_t *cfg);
void nb__api_set_loop(uv_loop_t *loop);

#endif
