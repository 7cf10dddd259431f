/*
 * What a plugin owns beyond its requests (ABI 1.6): child processes (proc.c), raw HTTP
 * endpoints on extra ports or private prefixes of the main port (endpoint.c) and streamed
 * responses (stream.c). The core releases all of it when the plugin is unloaded.
 */
#ifndef NB_PROC_PROC_H
#define NB_PROC_PROC_H

#include <stdbool.h>

#include "gateway/gateway.h"
#include "nimbus/plugin.h"

/* proc.c */
int nb__proc_spawn(nb_plugin_t *self, const nb_proc_opts_t *opts, nb_proc_t **out);
int nb__proc_kill(nb_proc_t *p, uint64_t grace_ms);
int nb__proc_write(nb_proc_t *p, const void *data, size_t len);
int nb__proc_close_stdin(nb_proc_t *p);
int nb__proc_pid(const nb_proc_t *p);
void nb__proc_stop_children(nb_plugin_t *p);

/* endpoint.c */
/* A request to a plugin's private prefix: handed to it; true if so. Runs after the origin check. */
bool nb__endpoint_route(nb__gateway_t *gw, nb__http_exchange_t *x, nb__http_request_t *req);
/* The server stops: every extra listener closes like the main port. */
void nb__endpoint_close_all(uint64_t grace_ms);
void nb__endpoint_release(nb_plugin_t *p);
int nb__endpoint_listen(nb_plugin_t *self, int port, nb_http_handler_pt handler, void *data, nb_listener_t **out);
int nb__endpoint_listener_port(const nb_listener_t *l);
void nb__endpoint_listener_close(nb_listener_t *l);
int nb__endpoint_route_prefix(nb_plugin_t *self, const char *prefix, nb_http_handler_pt handler, void *data);
const char *nb__http_method(const nb_http_t *h);
const char *nb__http_path(const nb_http_t *h);
const char *nb__http_query(const nb_http_t *h);
const char *nb__http_header(const nb_http_t *h, const char *name);
nb_body_t *nb__http_body(nb_http_t *h);
int nb__http_reply_header(nb_http_t *h, const char *name, const char *value);
int nb__http_respond_raw(nb_http_t *h, int status, const void *body, size_t len);
nb_stream_t *nb__http_stream_begin(nb_http_t *h, int status);
void nb__http_on_abort(nb_http_t *h, void (*cb)(nb_http_t *h, void *data), void *data);

/* stream.c */
int nb__reply_stream_begin(nb_req_t *req, nb_stream_t **out);
int nb__stream_write(nb_stream_t *s, const void *data, size_t len, nb_stream_done_cb done, void *done_data);
int nb__stream_write_message(nb_stream_t *s, const nb_event_header_t *headers, size_t nheaders, const void *payload,
                             size_t len, nb_stream_done_cb done, void *done_data);
int nb__stream_write_event(nb_stream_t *s, const char *event_type, const char *content_type, const void *payload,
                           size_t len, nb_stream_done_cb done, void *done_data);
int nb__stream_end(nb_stream_t *s, nb_stream_done_cb done, void *done_data);
void nb__stream_on_cancel(nb_stream_t *s, void (*cb)(nb_stream_t *s, void *data), void *data);
size_t nb__stream_queued(const nb_stream_t *s);

#endif
