/*
 * HTTP server tests. Requests parsed and framed: keep-alive, pipelining, HTTP/1.0, upgrades,
 * malformed or random bytes answered 400.
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

Test(http, simple_get) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /b1/k%201?uploads&x=1 HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: Svc.Op\r\n"
                "x-lower-case: v 2\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(hdr(&r, "X-Echo"), "1");
    cr_assert(strstr(r.head, "HTTP/1.1 200 OK\r\n") == r.head);
    cr_assert(strstr(r.body, "method=GET\n"));
    cr_assert(strstr(r.body, "path=/b1/k%201\n"));
    cr_assert(strstr(r.body, "query=uploads&x=1\n"));
    cr_assert(strstr(r.body, "target=/b1/k%201?uploads&x=1\n"));
    cr_assert(strstr(r.body, "h=Host: localhost\nh=X-Amz-Target: Svc.Op\nh=x-lower-case: v 2\nh=X-Empty: \n"
                             "h=X-Spaces: \n"), "%s", r.body);
    cr_assert(strstr(r.body, "body=0\n"));
    cr_assert(strstr(r.body, "peer=127.0.0.1:"));
    cr_assert(strstr(r.body, "inflight=1 conns=1\n"), "%s", r.body);
    cr_assert_null(hdr(&r, "Connection"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, keep_alive_two_requests) {
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/one\n"));
    resp_free(&r);
    cl_puts(&c, "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "method=POST\npath=/two\n"));
    cr_assert(strstr(r.body, "content=abc\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, pipelined_answered_in_order) {
    client_t c;
    cl_open(&c);
    /* The first one is answered later (a timer), the others at once. */
    cl_puts(&c, "GET /async-1 HTTP/1.1\r\nHost: x\r\n\r\n"
                "POST /p2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
                "GET /p3 HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_str_eq(r.body, "delayed-done");
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/p2\n"), "%s", r.body);
    cr_assert(strstr(r.body, "content=hi\n"));
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/p3\n"), "%s", r.body);
    resp_free(&r);
    cl_close(&c);
}

Test(http, pipelined_bytes_split_across_writes) {
    client_t c;
    cl_open(&c);
    const char *reqs = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const char *p = reqs; *p; p++) /* one byte at a time */
        cl_send(&c, p, 1);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/a\n"));
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/b\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, garbage_400) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "\x01\x02 THIS IS NOT HTTP\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 400);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, bad_header_after_good_request_400_in_order) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /async-x HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nBad Header\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_str_eq(r.body, "delayed-done");
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 400);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, connection_close_and_http10) {
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);

    cl_open(&c);
    cl_puts(&c, "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_str_eq(hdr(&r, "Connection"), "keep-alive");
    resp_free(&r);
    cl_puts(&c, "GET /y HTTP/1.0\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);

    cl_open(&c);
    cl_puts(&c, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_str_eq(r.body, "bye");
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, upgrade_request_answered_then_closed) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "path=/up\n"));
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

static void expect_400(const char *raw) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, raw);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 400, "for %s", raw);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

Test(http, malformed_framing_400) {
    expect_400("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    expect_400("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
    expect_400("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    expect_400("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    expect_400("GET / HTTP/9.9\r\n\r\n");
}

/* Many requests, cut at pseudo-random points, some answered late: every
 * answer comes back, in order, whatever the segmentation. */
Test(http, random_segmentation_keeps_order) {
    client_t c;
    cl_open(&c);
    char all[64 * 1024];
    size_t len = 0;
    for (int i = 0; i < 60; i++) {
        const char *path = i % 7 == 3 ? "/async" : "/seg";
        if (i % 3 == 0)
            len += (size_t)snprintf(all + len, sizeof all - len, "GET %s?i=%d HTTP/1.1\r\nHost: x\r\n\r\n", path, i);
        else if (i % 3 == 1)
            len += (size_t)snprintf(all + len, sizeof all - len,
                                    "POST %s?i=%d HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody", path, i);
        else
            len += (size_t)snprintf(all + len, sizeof all - len,
                                    "PUT %s?i=%d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                                    path, i);
    }
    unsigned seed = 12345;
    for (size_t off = 0; off < len;) {
        seed = seed * 1103515245 + 12345;
        size_t n = 1 + (seed >> 16) % 200;
        if (n > len - off)
            n = len - off;
        cl_send(&c, all + off, n);
        off += n;
        if ((seed >> 8) % 5 == 0)
            usleep(1000);
    }
    for (int i = 0; i < 60; i++) {
        resp_t r;
        cl_response(&c, &r, false);
        cr_assert_eq(r.status, 200);
        if (i % 7 == 3) {
            cr_assert_str_eq(r.body, "delayed-done", "answer %d", i);
        } else {
            char want[32];
            snprintf(want, sizeof want, "query=i=%d\n", i);
            cr_assert(strstr(r.body, want), "answer %d: %s", i, r.body);
            cr_assert(strstr(r.body, i % 3 == 0 ? "body=0\n" : i % 3 == 1 ? "body=4\n" : "body=3\n"));
        }
        resp_free(&r);
    }
    cl_close(&c);
}

/* Random bytes, alone or after a valid chunked head: each connection gets one 400 and is closed,
 * and the server still answers the next client. */
Test(http, random_garbage_is_answered_400_and_closed) {
    unsigned seed = 777;
    for (int round = 0; round < 40; round++) {
        client_t c;
        cl_open(&c);
        char junk[512];
        size_t n = 1 + round * 12;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245 + 12345;
            junk[i] = (char)(seed >> 16);
        }
        if (round % 2) /* a valid start, then junk */
            cl_puts(&c, "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        send(c.fd, junk, n, MSG_NOSIGNAL);
        shutdown(c.fd, SHUT_WR);
        /* what a client sees: one 400 for the bytes that are not HTTP, then the close */
        resp_t r;
        cl_response(&c, &r, false);
        cr_assert_eq(r.status, 400, "round %d (%zu bytes of junk): %s", round, n, r.head);
        cr_assert_str_eq(hdr(&r, "Connection"), "close", "round %d", round);
        resp_free(&r);
        cr_assert(cl_eof(&c), "round %d: more than one answer to junk", round);
        cl_close(&c);
    }
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /still-alive HTTP/1.1\r\nHost: x\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
    cl_close(&c);
}

Test(http, hundred_pipelined_in_one_write) {
    client_t c;
    cl_open(&c);
    char all[8192];
    size_t len = 0;
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(all + len, sizeof all - len, "GET /p?n=%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
    cl_send(&c, all, len);
    for (int i = 0; i < 100; i++) {
        resp_t r;
        cl_response(&c, &r, false);
        char want[32];
        snprintf(want, sizeof want, "query=n=%d\n", i);
        cr_assert(strstr(r.body, want), "answer %d: %s", i, r.body);
        resp_free(&r);
    }
    cl_close(&c);
}
