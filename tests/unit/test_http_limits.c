/*
 * HTTP server tests. The server's limits: header size 431, body size 413, header and idle
 * timeouts, a client that stops reading.
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

Test(http, oversized_headers_431) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    char *big = malloc(20000);
    memset(big, 'a', 20000);
    cl_send(&c, big, 20000);
    free(big);
    cl_puts(&c, "\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 431);
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, big_content_length_413_at_once) {
    client_t c;
    cl_open(&c);
    /* No body is sent: the answer must not wait for it. */
    cl_puts(&c, "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\nExpect: 100-continue\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 413, "%s", r.head);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, chunked_body_over_limit_413) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    char *chunk = malloc(64 * 1024);
    memset(chunk, 'q', 64 * 1024);
    resp_t r;
    int sent = 0;
    /* Send until the server answers (it may reset once it stopped reading). */
    for (; sent < 40; sent++) {
        char sz[32];
        snprintf(sz, sizeof sz, "%x\r\n", 64 * 1024);
        if (send(c.fd, sz, strlen(sz), MSG_NOSIGNAL) < 0 || send(c.fd, chunk, 64 * 1024, MSG_NOSIGNAL) < 0 ||
            send(c.fd, "\r\n", 2, MSG_NOSIGNAL) < 0)
            break;
    }
    free(chunk);
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 413);
    resp_free(&r);
    cl_close(&c);
}

Test(http_custom, slow_headers_408) {
    http_fx_setup();
    http_fx.limits.header_timeout_ms = 200;
    http_fx_start();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET / HTTP/1.1\r\nHost: x\r\n"); /* and never the blank line */
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 408);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http_custom, idle_keep_alive_closed_silently) {
    http_fx_setup();
    http_fx.limits.idle_timeout_ms = 200;
    http_fx_start();
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cr_assert(cl_eof(&c), "closed with no bytes sent");
    cl_close(&c);
}

Test(http_custom, client_that_stops_reading_is_dropped) {
    http_fx_setup();
    http_fx.limits.idle_timeout_ms = 300;
    http_fx_start();
    size_t n = 32 * 1024 * 1024;
    make_file(n);
    client_t c;
    memset(&c, 0, sizeof c);
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_fx.port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(connect(c.fd, (struct sockaddr *)&a, sizeof a), 0);
    c.cap = 1 << 16;
    c.buf = malloc(c.cap);
    cl_puts(&c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
    sleep(2); /* not reading: the server's writes stall */
    size_t total = 0;
    ssize_t got;
    char sink[65536];
    while ((got = recv(c.fd, sink, sizeof sink, 0)) > 0)
        total += (size_t)got;
    cr_assert_lt(total, n, "the stalled connection was closed before the whole body went out");
    cl_close(&c);
}
