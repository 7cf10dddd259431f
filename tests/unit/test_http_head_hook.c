/*
 * HTTP server tests. The head hook: a per-request body limit and an answer decided from the head
 * alone.
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

static void start_with_head_hook(void) {
    http_fx_setup();
    http_fx.head_hook = true;
    atomic_store(&http_fx.too_large_read, -1);
    http_fx_start();
}

/* Sends a head whose Content-Length is over its limit: the handler's answer (text), closed after. */
static void refused_by_the_handler(const char *head, const char *text, int status) {
    client_t c;
    cl_open(&c);
    cl_puts(&c, head);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, status, "%s", r.head);
    cr_assert_str_eq(r.body, text);
    cr_assert_str_eq(hdr(&r, "Connection"), "close");
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
}

/* The hook's limit, known from the head: the handler answers at once, no 100 Continue, nothing read, closed after. */
Test(http_custom, head_hook_limit_by_content_length) {
    start_with_head_hook();
    refused_by_the_handler("PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n",
                           "too large: max 16", 422);
    cr_assert_eq(atomic_load(&http_fx.too_large_read), 0);
}

Test(http_custom, head_hook_limit_within_and_elsewhere) {
    start_with_head_hook();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /small HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=16\n"));
    resp_free(&r);
    /* other paths keep the server's limit (1 MiB here), on the same connection */
    cl_puts(&c, "PUT /other HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
    char body[100];
    memset(body, 'b', sizeof body);
    cl_send(&c, body, sizeof body);
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=100\n"));
    resp_free(&r);
    cr_assert_eq(atomic_load(&http_fx.heads), 2);
    cl_close(&c);
}

/* A chunked body is held to the limit as it arrives: the handler answers once it is passed. */
Test(http_custom, head_hook_limit_chunked) {
    start_with_head_hook();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "a\r\n0123456789\r\na\r\n0123456789\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 422, "%s", r.head);
    cr_assert_leq(atomic_load(&http_fx.too_large_read), 16, "no more than the limit is kept");
    resp_free(&r);
    cl_close(&c);
}

/* A hook may leave the answer to the server: its bare 413, before the body, and closed. */
Test(http_custom, head_hook_limit_answered_by_the_server) {
    start_with_head_hook();
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /bare HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 413, "%s", r.head);
    cr_assert_eq(r.body_len, 0);
    resp_free(&r);
    cr_assert(cl_eof(&c));
    cl_close(&c);
    cl_open(&c);
    cl_puts(&c, "POST /bare HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\na\r\n0123456789\r\n");
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 413, "%s", r.head);
    resp_free(&r);
    cl_close(&c);
    cr_assert_eq(atomic_load(&http_fx.too_large_read), -1, "the handler never saw them");
}

/* A head the hook refuses: the handler's answer at once, no 100 Continue, not a byte of
 * the body read, closed after; the same path without Expect reads its body as usual. */
Test(http_custom, head_hook_answers_from_the_head) {
    start_with_head_hook();
    refused_by_the_handler("PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
                           "refused from the head", 409);
    cr_assert_eq(atomic_load(&http_fx.too_large_read), 0);
    client_t c;
    cl_open(&c);
    cl_puts(&c, "PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 200, "%s", r.head);
    cr_assert(strstr(r.body, "content=hello\n"));
    resp_free(&r);
    cl_close(&c);
}

/* The server's own limit still caps what a hook allows. */
Test(http_custom, head_hook_cannot_raise_the_server_limit) {
    start_with_head_hook();
    refused_by_the_handler("PUT /other HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
                           "too large: max 1048576", 422);
}
