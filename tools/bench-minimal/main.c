/*
 * nimbus-bench-minimal PORT [--nimbus]
 *
 * The yardstick for bench/: the least a libuv + llhttp server can do per
 * request (parse, answer 200 with a fixed small JSON body, keep the
 * connection alive). With --nimbus the same answer goes through the core's
 * HTTP server instead, which isolates the HTTP layer's cost.
 */
#include <llhttp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "http/server.h"

static const char body[] = "{\"status\": \"ok\"}";
static const char answer[] = "HTTP/1.1 200 OK\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: 16\r\n"
                             "\r\n"
                             "{\"status\": \"ok\"}";

typedef struct {
    uv_tcp_t tcp;
    llhttp_t parser;
    char buf[64 * 1024];
    int answers; /* completed in the current read, written together */
    int close_after;
} conn_t;

static void on_closed(uv_handle_t *h) { free(h->data); }

static void on_written(uv_write_t *w, int status) {
    conn_t *c = w->data;
    free(w);
    if ((status < 0 || c->close_after) && !uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static int on_message_complete(llhttp_t *p) {
    conn_t *c = p->data;
    c->answers++;
    if (!llhttp_should_keep_alive(p))
        c->close_after = 1;
    return 0;
}

static llhttp_settings_t settings;

static void on_alloc(uv_handle_t *h, size_t n, uv_buf_t *buf) {
    (void)n;
    conn_t *c = h->data;
    *buf = uv_buf_init(c->buf, sizeof c->buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    conn_t *c = s->data;
    if (n == 0)
        return;
    if (n < 0 || llhttp_execute(&c->parser, buf->base, (size_t)n) != HPE_OK) {
        uv_close((uv_handle_t *)s, on_closed);
        return;
    }
    if (c->answers == 0)
        return;
    uv_buf_t bufs[64];
    int k = c->answers < 64 ? c->answers : 64;
    for (int i = 0; i < k; i++)
        bufs[i] = uv_buf_init((char *)answer, sizeof answer - 1);
    c->answers = 0;
    uv_write_t *w = malloc(sizeof *w);
    w->data = c;
    if (uv_write(w, s, bufs, (unsigned)k, on_written) != 0) {
        free(w);
        uv_close((uv_handle_t *)s, on_closed);
        return;
    }
}

static void on_connection(uv_stream_t *server, int status) {
    if (status < 0)
        return;
    conn_t *c = calloc(1, sizeof *c);
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    llhttp_init(&c->parser, HTTP_REQUEST, &settings);
    c->parser.data = c;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void nimbus_handler(nb__http_exchange_t *x, nb__http_request_t *req, void *data) {
    (void)req;
    (void)data;
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    nb__headers_add(&resp.headers, "Content-Type", "application/json");
    nb__buf_append(&resp.body, body, sizeof body - 1);
    nb__http_respond(x, &resp);
}

static void on_signal(uv_signal_t *s, int sig) {
    (void)sig;
    uv_stop(s->loop);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [--nimbus]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    uv_loop_t *loop = uv_default_loop();
    uv_signal_t sigint, sigterm;
    uv_signal_init(loop, &sigint);
    uv_signal_init(loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    if (argc > 2 && strcmp(argv[2], "--nimbus") == 0) {
        nb__http_server_t *srv = nb__http_server_new(loop, NULL, nimbus_handler, NULL);
        int rc = srv ? nb__http_server_listen(srv, "127.0.0.1", port) : UV_ENOMEM;
        if (rc != 0) {
            fprintf(stderr, "listen: %s\n", uv_strerror(rc));
            return 1;
        }
    } else {
        llhttp_settings_init(&settings);
        settings.on_message_complete = on_message_complete;
        static uv_tcp_t server;
        struct sockaddr_in addr;
        uv_tcp_init(loop, &server);
        uv_ip4_addr("127.0.0.1", port, &addr);
        int rc = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
        if (rc == 0)
            rc = uv_listen((uv_stream_t *)&server, SOMAXCONN, on_connection);
        if (rc != 0) {
            fprintf(stderr, "listen: %s\n", uv_strerror(rc));
            return 1;
        }
    }
    printf("Ready.\n");
    fflush(stdout);
    uv_run(loop, UV_RUN_DEFAULT);
    return 0;
}
