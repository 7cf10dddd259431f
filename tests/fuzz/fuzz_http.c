/*
 * libFuzzer target: the HTTP layer as a client reaches it. The input is written to a real
 * connection of the core's server (core/http: llhttp, heads, Content-Length and chunked bodies
 * with trailers, Expect, pipelining, limits), then its write side is shut. The connection is a
 * socketpair the server adopts (nb__http_server_adopt), not TCP: the same reads, writes and
 * closes, without the loopback TCP handshake and stack that cost 70% of each run; the handler reads each
 * request's body and, for Content-Encoding aws-chunked, decodes it as S3 does (plugins/s3's
 * decoder, trailers included). The answers are read until the server closes; the run ends once
 * no connection is left, so every request, body and connection of the input is freed with it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "http/body.h"
#include "http/server.h"
#include "plugin/plugin.h"
#include "s3_codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The decoder calls the core through the plugin ABI (its nb_api, which the loader sets in a
 * plugin); this file sees the core's side of the header, hence the declaration here. */
extern const nb_api_t *nb_api;
const nb_api_t *nb_api = &nb__api;

static uv_loop_t loop;
static nb__http_server_t *server;

static int discard(void *ud, const void *data, size_t len) {
    (void)ud, (void)data, (void)len;
    return 0;
}

static void handle(nb__http_exchange_t *x, nb__http_request_t *req, void *data) {
    (void)data;
    int status = 200;
    const char *enc = nb__http_request_header(req, "Content-Encoding");
    if (!req->without_body && enc && strcasestr(enc, "aws-chunked")) {
        s3_chunked_t c;
        s3_chunked_init(&c, discard, NULL);
        char buf[4096];
        int64_t off = 0;
        ssize_t n;
        while (status == 200 && (n = nb__body_read(req->body, off, buf, sizeof buf)) > 0) {
            if (s3_chunked_feed(&c, buf, (size_t)n) != 0)
                status = 400;
            off += n;
        }
        char value[128];
        if (status == 200 && !s3_chunked_done(&c))
            status = 400;
        else if (status == 200)
            (void)s3_chunked_trailer(&c, "x-amz-checksum-crc32", value, sizeof value);
    } else if (!req->without_body) {
        (void)nb__body_data(req->body, 1 << 20);
    }
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = status;
    nb__headers_add(&resp.headers, "Content-Type", "text/plain");
    nb__buf_puts(&resp.body, req->method);
    nb__http_respond(x, &resp);
    nb__http_response_free(&resp);
}

static void fuzz_http_free(void) {
    nb__http_server_close(server, 0, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    nb__http_limits_t limits;
    nb__http_limits_default(&limits);
    /* small enough for the limits' paths (431, 413, a spilled body) to be reachable */
    limits.max_header_bytes = 8 * 1024;
    limits.max_body_bytes = 256 * 1024;
    limits.spill_threshold = 64 * 1024;
    limits.idle_timeout_ms = 2000;
    limits.header_timeout_ms = 2000;
    if (uv_loop_init(&loop) != 0 || (server = nb__http_server_new(&loop, &limits, handle, NULL)) == NULL) {
        fprintf(stderr, "fuzz: cannot start the HTTP server\n");
        abort();
    }
    atexit(fuzz_http_free); /* one server for the whole run: not a leak */
    return 0;
}

/* The client's side of one input, driven by the same loop as the server. */
typedef struct client {
    uv_poll_t poll;
    int fd;
    const uint8_t *data;
    size_t size, sent;
    bool write_shut, done;
} client_t;

static void client_closed(uv_handle_t *h) {
    client_t *c = h->data;
    close(c->fd);
    c->done = true;
}

static void client_end(client_t *c) {
    if (!uv_is_closing((uv_handle_t *)&c->poll))
        uv_close((uv_handle_t *)&c->poll, client_closed);
}

static void client_io(uv_poll_t *p, int status, int events) {
    client_t *c = p->data;
    if (status < 0) {
        client_end(c);
        return;
    }
    if ((events & UV_WRITABLE) && !c->write_shut) {
        while (c->sent < c->size) {
            ssize_t n = send(c->fd, c->data + c->sent, c->size - c->sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                c->sent = c->size; /* the server closed: the rest is not wanted */
                break;
            }
            c->sent += (size_t)n;
        }
        if (c->sent == c->size) {
            shutdown(c->fd, SHUT_WR);
            c->write_shut = true;
            uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, client_io);
        }
    }
    if (events & (UV_READABLE | UV_DISCONNECT)) {
        char buf[16384];
        for (;;) {
            ssize_t n = recv(c->fd, buf, sizeof buf, 0);
            if (n > 0)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            client_end(c); /* the server closed (or reset) the connection */
            return;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    client_t c = {.data = data, .size = size};
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0 || nb__http_server_adopt(server, sv[1]) != 0)
        abort();
    c.fd = sv[0];
    if (uv_poll_init(&loop, &c.poll, c.fd) != 0)
        abort();
    c.poll.data = &c;
    uv_poll_start(&c.poll, UV_WRITABLE | UV_READABLE | UV_DISCONNECT, client_io);
    while (!c.done || nb__http_server_connections(server) > 0)
        uv_run(&loop, UV_RUN_ONCE);
    return 0;
}
