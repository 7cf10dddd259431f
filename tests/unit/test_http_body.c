/*
 * HTTP server tests. Request bodies: chunked, Expect: 100-continue, spilled to a temp file,
 * removed on disconnect.
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

Test(http, chunked_request_body) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=11\n"), "%s", r.body);
    cr_assert(strstr(r.body, "content=hello world\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, expect_100_continue_before_body) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    const char want[] = "HTTP/1.1 100 Continue\r\n\r\n";
    while (c.len < sizeof want - 1)
        cr_assert_gt(cl_fill(&c), 0, "no 100 Continue before the body was sent");
    cr_assert(memcmp(c.buf, want, sizeof want - 1) == 0);
    cl_consume(&c, sizeof want - 1);
    cl_puts(&c, "12345");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "content=12345\n"));
    resp_free(&r);
    cl_close(&c);
}

/* Clients that always send "Expect: 100-continue" (boto3 1.43) wait for it even before an empty body. */
Test(http, expect_100_continue_empty_body) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n");
    const char want[] = "HTTP/1.1 100 Continue\r\n\r\n";
    while (c.len < sizeof want - 1)
        cr_assert_gt(cl_fill(&c), 0, "no 100 Continue before an empty body");
    cr_assert(memcmp(c.buf, want, sizeof want - 1) == 0, "%.*s", (int)c.len, c.buf);
    cl_consume(&c, sizeof want - 1);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=0\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, big_body_spills_to_a_temp_file_removed_after) {
    client_t c;
    cl_open(&c);
    size_t n = 300 * 1024;
    char *body = malloc(n);
    memset(body, 'z', n);
    char head[256];
    snprintf(head, sizeof head, "PUT /spill HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", n);
    cl_puts(&c, head);
    cl_send(&c, body, n);
    free(body);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "body=307200\n"), "%s", r.body);
    cr_assert(strstr(r.body, "spilled=1\n"));
    cr_assert_eq(strncmp(http_fx.spill_path, http_fx.tmpdir, strlen(http_fx.tmpdir)), 0, "spilled into the configured tmpdir");
    cr_assert_neq(access(http_fx.spill_path, F_OK), 0, "temp file removed once answered");
    cr_assert_eq(count_files(http_fx.tmpdir), 0);
    resp_free(&r);
    /* A body below the threshold stays in memory. */
    cl_puts(&c, "PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
    cl_response(&c, &r, false);
    cr_assert(strstr(r.body, "spilled=0\n"));
    resp_free(&r);
    cl_close(&c);
}

Test(http, disconnect_mid_body_leaves_nothing) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /spill HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n");
    char *part = malloc(200000);
    memset(part, 'p', 200000);
    cl_send(&c, part, 200000);
    free(part);
    for (int i = 0; i < 1000 && count_files(http_fx.tmpdir) == 0; i++)
        usleep(10000);
    cr_assert_eq(count_files(http_fx.tmpdir), 1, "the upload spilled to a temp file");
    cl_close(&c);
    for (int i = 0; i < 1000 && count_files(http_fx.tmpdir) != 0; i++)
        usleep(10000);
    cr_assert_eq(count_files(http_fx.tmpdir), 0, "temp file removed after the disconnect");
    /* The server still serves. */
    expect_still_serving();
}
