/*
 * HTTP server tests. Responses: HEAD and 204 without a body, streamed file bodies, a client gone
 * mid-download.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/message.h"
#include "support/http_fixture.h"

TestSuite(http, .init = http_fx_init, .fini = http_fx_fini, .timeout = 60);
/* Tests that set their own limits before starting the server. */
TestSuite(http_custom, .fini = http_fx_fini, .timeout = 60);

Test(http, head_has_no_body) {
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, true);
    cr_assert_eq(r.status, 200);
    const char *cl = hdr(&r, "Content-Length");
    cr_assert_not_null(cl);
    int head_length = atoi(cl);
    resp_free(&r);
    /* The next answer starts right after the head: no body bytes were sent. The same request
     * as a GET has the body the HEAD's Content-Length announced, but for the method the echo
     * names ("HEAD" is one byte longer than "GET"). */
    cl_puts(&c, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strncmp(r.body, "method=GET\npath=/x\n", 19) == 0, "%s", r.body);
    cr_assert_eq((size_t)head_length, r.body_len + 1, "HEAD announced %d bytes, the GET sent %zu", head_length,
                 r.body_len);
    resp_free(&r);
    cl_puts(&c, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "path=/after\n"));
    resp_free(&r);
    /* A handler-given Content-Length with no_body is kept (S3 HeadObject). */
    cl_puts(&c, "HEAD /headlike HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, true);
    cr_assert_str_eq(hdr(&r, "Content-Length"), "12345");
    resp_free(&r);
    cl_puts(&c, "GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 204);
    cr_assert_null(hdr(&r, "Content-Length"));
    resp_free(&r);
    cl_puts(&c, "GET /after2 HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/after2\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, file_body_streamed) {
    size_t n = 3 * 1024 * 1024 + 123;
    make_file(n);
    client_t c;
    cl_open(&c);
    resp_t r;
    cl_puts(&c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\nGET /mem HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, n);
    bool same = true;
    for (size_t i = 0; i < n && same; i++)
        same = r.body[i] == (char)('a' + (i * 7 + i / 1000) % 26);
    cr_assert(same, "streamed bytes match the file");
    resp_free(&r);
    cl_response(&c, &r, false);
    cr_assert_str_eq(r.body, "in-memory stream body");
    resp_free(&r);
    cl_puts(&c, "HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, true);
    cr_assert_eq((size_t)atoll(hdr(&r, "Content-Length")), n);
    resp_free(&r);
    cl_puts(&c, "GET /alive HTTP/1.1\r\nHost: x\r\n\r\n");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "path=/alive\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, client_gone_mid_download) {
    make_file(32 * 1024 * 1024);
    client_t c;
    cl_open(&c);
    cl_puts(&c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_assert_gt(cl_fill(&c), 0);
    cl_close(&c); /* the server's next writes fail */
    usleep(100000);
    expect_still_serving();
}

/* Lookups skip names by length and first letter first: only an equal name, in any case, matches. */
Test(headers, lookup_ignores_case_and_counts_repeats) {
    nb__headers_t h = {0};
    cr_assert_eq(nb__headers_add(&h, "Host", "a"), 0);
    cr_assert_eq(nb__headers_add(&h, "X-Amz-Target", "Svc.Op"), 0);
    cr_assert_eq(nb__headers_add(&h, "host", "b"), 0);
    cr_assert_str_eq(nb__headers_get(&h, "x-amz-target"), "Svc.Op");
    cr_assert_str_eq(nb__headers_get(&h, "HOST"), "a");
    cr_assert_null(nb__headers_get(&h, "Hos"));
    cr_assert_null(nb__headers_get(&h, "Hosts"));
    cr_assert_null(nb__headers_get(&h, "Gost"));
    cr_assert_eq(nb__headers_count(&h, "Host"), 2);
    nb__headers_remove(&h, "HOST");
    cr_assert_eq(h.len, 1);
    cr_assert_null(nb__headers_get(&h, "Host"));
    cr_assert_eq(nb__headers_set(&h, "x-amz-target", "Other.Op"), 0);
    cr_assert_eq(h.len, 1);
    cr_assert_str_eq(nb__headers_get(&h, "X-Amz-Target"), "Other.Op");
    nb__headers_free(&h);
}
