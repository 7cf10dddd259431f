/*
 * The HTTP server seen from a raw socket, shared by the test_http_*.c files: the
 * server runs on its own loop in a thread, the test talks bytes to it and checks
 * what a client would see. The server's handler answers by path:
 *   /async, /slow   answered 100 ms / 400 ms later     /hold   never answered, aborts on disconnect
 *   /file, /mem     a streamed body (make_file's file, or 21 bytes in memory)
 *   /nocontent 204; /headlike no body with Content-Length 12345; /close "Connection: close"
 *   anything else   echoes method, path, query, headers, body size and content
 * With head_hook set, /small and /bare take 16 bytes at most and /refuse is answered from the head.
 */
#ifndef NB_TEST_HTTP_FIXTURE_H
#define NB_TEST_HTTP_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "http/body.h"
#include "http/server.h"
#include "http/tls.h"
#include "support/files.h"

typedef struct {
    uv_loop_t loop;
    uv_async_t stop;
    uv_thread_t thread;
    uv_sem_t ready;
    nb__http_server_t *srv;
    nb__http_limits_t limits;
    const char *host;
    int port;
    int listen_rc;
    uint64_t grace_ms;
    char tmpdir[64];
    char file[128];
    char spill_path[256];
    bool head_hook;      /* the server limits bodies of /small and /bare to 16 bytes */
    atomic_int heads;    /* calls of the head hook */
    atomic_llong too_large_read; /* bytes of a too large body the handler got */
    atomic_int delayed_answers; /* /async and /slow answers given, to clients gone or not */
    atomic_int handler_started, aborted, closing, closed, loop_close_rc;
    /* Set before http_fx_start: every request goes to it instead of the paths above
     * (tests of a handler stage of the gateway: origin checks, CORS). */
    void (*handle)(nb__http_exchange_t *x, nb__http_request_t *req);
    /* Set before http_fx_start: the server also answers TLS with it (and owns it from then on). */
    nb__tls_ctx_t *tls;
    uint64_t tls_handshake_ms;
} http_fixture_t;

extern http_fixture_t http_fx;

/* A raw client connection and the bytes it has read but not consumed. */
typedef struct {
    int fd;
    char *buf;
    size_t len, cap;
} client_t;

/* One response: status, head text, body (malloc'd, NUL-terminated). */
typedef struct {
    int status;
    char head[16384];
    char *body;
    size_t body_len;
} resp_t;

/* Default limits (8 KiB heads, 1 MiB bodies, spill past 1 KiB) and a fresh temp folder; no server yet. */
void http_fx_setup(void);
/* Starts the server thread with http_fx.limits and waits until it listens. */
void http_fx_start(void);
/* The "http" suite's init (setup and start) and every suite's fini: the server stopped
 * with no handle left open, and no temp file left behind. */
void http_fx_init(void);
void stop_server(void);
void http_fx_fini(void);
/* Answers x with status and a text/plain body (stages under test answer with it when they let a
 * request through). */
void respond_text(nb__http_exchange_t *x, int status, const char *text);

/* The raw client: connect, send, read one response, see whether the server closed. */
void cl_open_at(client_t *c, int family, const char *ip);
void cl_open(client_t *c);
void cl_close(client_t *c);
void cl_send(client_t *c, const void *data, size_t len);
void cl_puts(client_t *c, const char *s);
ssize_t cl_fill(client_t *c);
void cl_consume(client_t *c, size_t n);
const char *hdr(const resp_t *r, const char *name);
void cl_response(client_t *c, resp_t *r, bool head_only);
void resp_free(resp_t *r);
bool cl_eof(client_t *c);
/* Waits up to 10 s for the server thread to set a flag; fails the test otherwise. */
void wait_flag(atomic_int *flag);
/* A new connection's GET /alive is answered 200: the server survived what the test did. */
void expect_still_serving(void);
/* A file of n bytes of a known pattern at http_fx.file, removed by http_fx_fini. */
void make_file(size_t n);

#endif
