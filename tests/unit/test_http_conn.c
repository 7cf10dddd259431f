/*
 * HTTP server tests. Connections: aborts on disconnect, graceful close, IPv6 and localhost, half-
 * closed clients.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/http_fixture.h"

TestSuite(http, .init = http_fx_init, .fini = http_fx_fini, .timeout = 60);
/* Tests that set their own limits before starting the server. */
TestSuite(http_custom, .fini = http_fx_fini, .timeout = 60);

Test(http, disconnect_while_handled_calls_on_abort) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_flag(&http_fx.handler_started);
    cl_close(&c);
    wait_flag(&http_fx.aborted);
}

Test(http, disconnect_before_async_answer) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /async HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_flag(&http_fx.handler_started);
    cl_close(&c);
    /* The timer answers an aborted exchange later: it must only be freed. */
    wait_flag(&http_fx.delayed_answers);
    expect_still_serving();
}

Test(http, graceful_close_finishes_in_flight) {
    client_t c, idle;
    cl_open(&idle);
    cl_open(&c);
    cl_puts(&c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_flag(&http_fx.handler_started);
    uv_async_send(&http_fx.stop);
    wait_flag(&http_fx.closing);
    cr_assert(cl_eof(&idle), "an idle connection is closed at once");
    cl_close(&idle);
    /* No new connections. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_fx.port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_neq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "delayed-done");
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
    uv_thread_join(&http_fx.thread);
    cr_assert_eq(atomic_load(&http_fx.closed), 1);
    cr_assert_eq(atomic_load(&http_fx.loop_close_rc), 0);
}

Test(http_custom, graceful_close_forces_after_grace) {
    http_fx_setup();
    http_fx.grace_ms = 200;
    http_fx_start();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_flag(&http_fx.handler_started);
    uv_async_send(&http_fx.stop);
    cr_assert(cl_eof(&c), "connection closed once the grace period ended");
    cl_close(&c);
    uv_thread_join(&http_fx.thread);
    cr_assert_eq(atomic_load(&http_fx.aborted), 1, "the held exchange was aborted");
    cr_assert_eq(atomic_load(&http_fx.closed), 1);
}

Test(http_custom, listens_on_ipv6_and_localhost) {
    http_fx_setup();
    http_fx.host = "localhost";
    http_fx_start();
    cr_assert_eq(http_fx.listen_rc, 0);
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /v4 HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "peer=127.0.0.1:"));
    resp_free(&r);
    cl_close(&c);
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool has_v6 = probe >= 0 && bind(probe, (struct sockaddr *)&a6, sizeof a6) == 0;
    if (probe >= 0)
        close(probe);
    if (has_v6) {
        cl_open_at(&c, AF_INET6, "::1");
        cl_puts(&c, "GET /v6 HTTP/1.1\r\nHost: x\r\n\r\n");
        cl_response(&c, &r, false);
        cr_assert(strstr(r.body, "peer=[::1]:"), "%s", r.body);
        resp_free(&r);
        cl_close(&c);
    }
}

Test(http, half_closed_client_still_gets_its_answer) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /half HTTP/1.1\r\nHost: x\r\n\r\n");
    shutdown(c.fd, SHUT_WR);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "path=/half\n"));
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}
