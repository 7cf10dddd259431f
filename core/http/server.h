/*
 * The HTTP/1.1 server: libuv TCP + llhttp.
 *
 * Keep-alive, pipelining (answers in request order), chunked request bodies,
 * "Expect: 100-continue" answered once the head is in and within its limit (also for
 * an empty body: clients that wait for it must not wait in vain), bodies streamed
 * into an nb_body_t (memory, then a temp file past the spill threshold),
 * explicit limits, and a graceful close that lets in-flight requests finish.
 *
 * The handler is called once per complete request; it answers with
 * nb__http_respond() exactly once, now or later (async).
 */
#ifndef NB_HTTP_SERVER_H
#define NB_HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "http/message.h"

typedef struct nb__http_limits {
    size_t max_header_bytes;    /* request line + headers; over it: 431 */
    uint64_t max_body_bytes;    /* over it: 413 */
    size_t spill_threshold;     /* bodies larger than this go to a temp file */
    uint64_t idle_timeout_ms;   /* keep-alive connection with no request: closed (0: never) */
    uint64_t header_timeout_ms; /* a request head not complete in time: 408 and closed (0: never) */
    const char *tmpdir;         /* for spilled bodies; NULL: $TMPDIR or /tmp */
} nb__http_limits_t;

/* Defaults: 64 KiB headers, 5 GiB body, 1 MiB spill, 60 s idle, 30 s header. */
void nb__http_limits_default(nb__http_limits_t *limits);

typedef struct nb__http_server nb__http_server_t;
typedef struct nb__http_exchange nb__http_exchange_t; /* one request/response on a connection */

/* req is owned by the exchange and valid until nb__http_respond() returns. */
typedef void (*nb__http_handler_fn)(nb__http_exchange_t *x, nb__http_request_t *req, void *data);

nb__http_server_t *nb__http_server_new(uv_loop_t *loop, const nb__http_limits_t *limits,
                                       nb__http_handler_fn handler, void *data);
/* Listens on host:port (IPv4 or IPv6 literal, or "localhost"). 0 or a negative uv error. */
int nb__http_server_listen(nb__http_server_t *srv, const char *host, int port);
/* The port actually bound by the first listener (for port 0 in tests). */
int nb__http_server_port(const nb__http_server_t *srv);
/* Serves an already connected stream socket (a socketpair's end in the fuzz target: no TCP
 * handshake per input) as an accepted connection; the server owns fd once this returns 0.
 * 0 or a negative uv error (the server is closing, out of memory, fd not a socket). */
int nb__http_server_adopt(nb__http_server_t *srv, int fd);

/* What the head hook decides for a request. */
typedef enum nb__http_head_verdict {
    NB__HEAD_READ,           /* read the body, within *max_body; a body over it gets the server's bare 413 */
    NB__HEAD_READ_OWN_LIMIT, /* the same, but the handler answers a body over the limit */
    NB__HEAD_ANSWER_NOW,     /* the handler answers from the head: the request reaches it at once, without
                              * its body (no 100 Continue, not a byte read) */
} nb__http_head_verdict_t;

/* Called once a request's head is in, before any of its body is read and before
 * "100 Continue" is sent (expect_continue: the client waits for it): may lower *max_body
 * (preset to the server's limit) for this request, and leave the handler what it found in
 * req->head_data. A body over the limit (by Content-Length at once, chunked as it arrives)
 * is not read. Whenever the handler gets a request without its body (without_body set),
 * the connection closes after the answer. Without a hook: NB__HEAD_READ. */
typedef nb__http_head_verdict_t (*nb__http_head_fn)(nb__http_request_t *req, bool expect_continue, uint64_t *max_body,
                                                    void *data);
void nb__http_server_on_head(nb__http_server_t *srv, nb__http_head_fn fn); /* data: the handler's */

/* Sends resp and takes its contents (resp is left empty). Exactly once per exchange. */
void nb__http_respond(nb__http_exchange_t *x, nb__http_response_t *resp);
/* Whether x came over TLS (false once its connection is gone). secure.c. */
bool nb__http_exchange_secure(const nb__http_exchange_t *x);
/* Answers with a status alone (503 when out of memory for anything better). */
void nb__http_respond_status(nb__http_exchange_t *x, int status);
/* Streamed answers (chunked.c): the head now, the body as it is produced, sent with chunked
 * transfer encoding (to an HTTP/1.0 client: delimited by the connection's close). Takes resp's
 * status and headers (its body is ignored). NULL if the client went away meanwhile (x is freed). */
typedef struct nb_stream nb__http_stream_t;
nb__http_stream_t *nb__http_respond_stream(nb__http_exchange_t *x, nb__http_response_t *resp);
/* Bytes handed to the stream that have not left the process yet, above which a write answers
 * NB__HTTP_STREAM_FULL: the producer waits for a done callback before writing more. */
#define NB__HTTP_STREAM_HIGH_WATER (256 * 1024)
#define NB__HTTP_STREAM_FULL 1
/* status 0: the bytes were written to the socket; NB_EIO: the client went away first. */
typedef void (*nb__http_stream_done_fn)(int status, void *data);
/* Copies data (len > 0) as one chunk: 0, NB__HTTP_STREAM_FULL (taken, but the high-water mark
 * is reached), or NB_EIO (the client went away: not taken, done never called). done may be NULL. */
int nb__http_stream_write(nb__http_stream_t *s, const void *data, size_t len, nb__http_stream_done_fn done,
                          void *done_data);
/* The last chunk; releases s (done still runs, with NB_EIO if the client went away first).
 * 0, or NB_EIO when the client had gone away (s is released all the same). */
int nb__http_stream_end(nb__http_stream_t *s, nb__http_stream_done_fn done, void *done_data);
/* cb runs once if the client goes away before the end was written; s stays the caller's until
 * nb__http_stream_end. */
void nb__http_stream_on_cancel(nb__http_stream_t *s, void (*cb)(nb__http_stream_t *s, void *data), void *data);
size_t nb__http_stream_queued(const nb__http_stream_t *s);
bool nb__http_stream_cancelled(const nb__http_stream_t *s);

/* Called if the client disconnects before the exchange was answered. */
void nb__http_exchange_on_abort(nb__http_exchange_t *x, void (*cb)(nb__http_exchange_t *x, void *data), void *data);
void *nb__http_exchange_data(const nb__http_exchange_t *x); /* the handler's slot */
void nb__http_exchange_set_data(nb__http_exchange_t *x, void *data);

/* Stops accepting; connections close once their in-flight requests are answered,
 * or after grace_ms at the latest; then on_closed runs and srv is freed. */
void nb__http_server_close(nb__http_server_t *srv, uint64_t grace_ms, void (*on_closed)(void *data), void *data);

/* Number of open connections and of requests being handled (for health and tests). */
size_t nb__http_server_connections(const nb__http_server_t *srv);
size_t nb__http_server_inflight(const nb__http_server_t *srv);
/* Connections served at once: what RLIMIT_NOFILE leaves after a reserve for the stores,
 * less room for body files a connection may hold (half of the rest, at most 1,024). At
 * capacity a new connection makes the one idle the longest close (clients retry on a closed
 * keep-alive connection); requests beyond it deserve a 503 (the caller's protocol). */
size_t nb__http_server_capacity(const nb__http_server_t *srv);

#endif
