/*
 * nimbus/http_out.h - outbound HTTP requests of a plugin (ABI 1.10; included by nimbus/plugin.h).
 *
 * A service that calls out (SNS delivering to an HTTP/HTTPS subscriber, a webhook) sends one
 * request with nb_http_send and learns its outcome once, in a callback on the event loop. The
 * loop never blocks: the name is resolved on libuv's thread pool (uv_getaddrinfo), the socket
 * is a uv_tcp_t, TLS runs through OpenSSL on memory buffers, and the answer is read by llhttp
 * (Content-Length, chunked, or until the server closes).
 *
 *     static void delivered(const nb_http_result_t *r, void *data) {
 *         if (r->status < 0)           // NB_ECONNREFUSED, NB_ETIMEDOUT, NB_ETLS, NB_ECANCELED ...
 *             ...retry later...
 *         else if (r->status / 100 == 2)
 *             ...done...
 *     }
 *
 *     nb_http_field_t headers[] = {{"Content-Type", "text/plain; charset=UTF-8"},
 *                                  {"x-amz-sns-message-type", "Notification"}};
 *     nb_http_request_t rq = NB_HTTP_REQUEST_INIT;
 *     rq.method = "POST";
 *     rq.url = "https://localhost:8443/hook";
 *     rq.headers = headers;
 *     rq.nheaders = 2;
 *     rq.body = json_text;
 *     rq.body_len = strlen(json_text);
 *     rq.insecure_tls = 1;                // a local endpoint with a self-signed certificate
 *     nb_http_out_t *h;
 *     if (nb_http_send(self, &rq, delivered, delivery, &h) != 0) ...   // no callback then
 *
 * One request per connection (Connection: close), HTTP/1.1, no redirects followed (a 3xx is
 * an answer like any other), no proxy. Host, Content-Length and Connection are set by the
 * core; the caller's other headers are sent as given.
 *
 * Lifetimes:
 *   - Everything nb_http_send is given (URL, headers, body) is copied before it returns.
 *   - nb_http_out_t is valid from a successful nb_http_send until its callback returns (the
 *     core frees it then) or nb_http_cancel. A failed send (NB_EINVAL: a URL that is not
 *     http:// or https://, a header with CR or LF; NB_ENOMEM) calls no callback.
 *   - The callback runs exactly once, on the event loop (never from inside nb_http_send),
 *     inside a transaction of the plugin's store committed after it (as a timer callback's:
 *     it may record the outcome), unless nb_http_cancel came first.
 *   - nb_http_cancel(h): the connection is closed and the callback never runs after it
 *     returns. From inside the callback, or with NULL, it does nothing.
 *   - When the server starts to stop (SIGTERM) and when the plugin is unloaded (before its
 *     fini), every request of the plugin still under way ends with status NB_ECANCELED: the
 *     plugin keeps what it has not delivered (an outbox row) for its next start. A request
 *     sent from fini is closed without a callback.
 *
 * Memory is bounded: the response body is kept up to max_response bytes (more ends the
 * request with NB_ELIMIT), its headers up to 64 KiB and 100 fields (more: NB_EPROTO).
 */
#ifndef NIMBUS_HTTP_OUT_H
#define NIMBUS_HTTP_OUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct nb_plugin nb_plugin_t;
typedef struct nb_http_out nb_http_out_t; /* one outbound request under way, opaque */

/* One header field. */
typedef struct nb_http_field {
    const char *name;
    const char *value;
} nb_http_field_t;

typedef struct nb_http_request {
    size_t size;                   /* sizeof(nb_http_request_t): set by NB_HTTP_REQUEST_INIT */
    const char *method;            /* "POST"; NULL: GET */
    const char *url;               /* http://host[:port][/path][?query] or https://...; [v6] hosts too */
    const nb_http_field_t *headers; /* nheaders fields, sent in order */
    size_t nheaders;
    const void *body;              /* may be NULL with body_len 0 */
    size_t body_len;
    uint64_t connect_timeout_ms;   /* name, connection and TLS handshake; 0: 10 s */
    uint64_t timeout_ms;           /* the whole exchange, from the send; 0: 30 s */
    size_t max_response;           /* the largest response body kept; 0: 1 MiB */
    int insecure_tls;              /* non-zero: any server certificate is accepted (self-signed local
                                    * endpoints); else it must chain to the system's CA store and name the host */
} nb_http_request_t;

#define NB_HTTP_REQUEST_INIT {.size = sizeof(nb_http_request_t)}

/* What came back; every pointer is borrowed for the callback's duration (copy what you keep). */
typedef struct nb_http_result {
    /* The HTTP status (100-599), or a negative NB_E* code when no complete answer came:
     * NB_EDNS (the name did not resolve), NB_ECONNREFUSED (refused, reset or closed before the
     * answer), NB_ETIMEDOUT (connect_timeout_ms or timeout_ms passed), NB_ETLS (handshake failed,
     * certificate not trusted), NB_ELIMIT (body over max_response), NB_EPROTO (not HTTP),
     * NB_ECANCELED (server stop or plugin unload), NB_ENOMEM, NB_EIO. */
    int status;
    const nb_http_field_t *headers; /* the response's header fields in order; none on an error */
    size_t nheaders;
    const char *body; /* NUL-terminated (after body_len bytes); "" when none */
    size_t body_len;
} nb_http_result_t;

typedef void (*nb_http_out_cb)(const nb_http_result_t *result, void *data);

#endif /* NIMBUS_HTTP_OUT_H */
