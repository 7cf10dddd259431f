/*
 * nb__http_server_adopt: a connected stream socket handed to the server (the fuzz target's
 * socketpair) is served like an accepted TCP connection: answered, counted, freed on close.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "http/server.h"

static void echo_peer(nb__http_exchange_t *x, nb__http_request_t *req, void *data) {
    (void)data;
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = 200;
    nb__buf_puts(&resp.body, "peer=[");
    nb__buf_puts(&resp.body, req->peer);
    nb__buf_puts(&resp.body, "] ");
    nb__buf_puts(&resp.body, req->target);
    nb__http_respond(x, &resp);
    nb__http_response_free(&resp);
}

static void closed(void *data) { *(bool *)data = true; }

/* A server with the default limits on a fresh loop, and no listener. */
static nb__http_server_t *server_on(uv_loop_t *loop) {
    cr_assert_eq(uv_loop_init(loop), 0);
    nb__http_limits_t limits;
    nb__http_limits_default(&limits);
    nb__http_server_t *srv = nb__http_server_new(loop, &limits, echo_peer, NULL);
    cr_assert_not_null(srv);
    return srv;
}

static void server_close(uv_loop_t *loop, nb__http_server_t *srv) {
    bool done = false;
    nb__http_server_close(srv, 0, closed, &done);
    uv_run(loop, UV_RUN_DEFAULT);
    cr_assert(done, "the server closed once its connections were gone");
    cr_assert_eq(uv_loop_close(loop), 0, "nothing left open on the loop");
}

TestSuite(http_adopt, .timeout = 30);

Test(http_adopt, socketpair_is_served_and_freed) {
    uv_loop_t loop;
    nb__http_server_t *srv = server_on(&loop);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(nb__http_server_adopt(srv, sv[1]), 0);
    cr_assert_eq(nb__http_server_connections(srv), 1);

    const char req[] = "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    cr_assert_eq(write(sv[0], req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    shutdown(sv[0], SHUT_WR);
    while (nb__http_server_connections(srv) > 0)
        uv_run(&loop, UV_RUN_ONCE);

    char buf[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf - 1 && (n = read(sv[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(sv[0]);
    cr_assert(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    /* both pipelined answers, in order; a socket with no IP address has no peer to name */
    char *one = strstr(buf, "peer=[] /one"), *two = strstr(buf, "peer=[] /two");
    cr_assert(one != NULL && two != NULL && one < two, "%s", buf);

    server_close(&loop, srv);
}

Test(http_adopt, refuses_what_is_not_a_descriptor) {
    uv_loop_t loop;
    nb__http_server_t *srv = server_on(&loop);
    cr_assert_lt(nb__http_server_adopt(srv, 1000000), 0);
    uv_run(&loop, UV_RUN_NOWAIT); /* its record's handles close */
    cr_assert_eq(nb__http_server_connections(srv), 0, "the failed adoption left no connection behind");
    server_close(&loop, srv);
}
