/*
 * Request heads kept as slices of the read buffer and headers kept in blocks (conn.c,
 * message.c): a head split anywhere across reads reaches the handler intact, and a header
 * list stays right through adds past its first block, removals, packing and adds after it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/message.h"
#include "support/http_fixture.h"

TestSuite(http_headers, .init = http_fx_init, .fini = http_fx_fini, .timeout = 60);
TestSuite(headers_list, .timeout = 30);

/* Sends s in pieces of n bytes, each its own read on the server (a pause between them). */
static void send_in_pieces(client_t *c, const char *s, size_t n) {
    for (size_t len = strlen(s), off = 0; off < len; off += n) {
        cl_send(c, s + off, off + n <= len ? n : len - off);
        usleep(3000);
    }
}

/* Every split point falls inside the URL, a name and a value in one of these sizes. */
Test(http_headers, head_split_across_reads_reaches_handler_intact) {
    const char *req = "GET /bucket/some-key?list-type=2&prefix=abc HTTP/1.1\r\nHost: localhost:4566\r\n"
                      "X-Amz-Date: 20261207T120000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/x\r\n\r\n";
    const size_t pieces[] = {1, 3, 7, 16};
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
        client_t c;
        cl_open(&c);
        send_in_pieces(&c, req, pieces[i]);
        resp_t r;
        cl_response(&c, &r, false);
        cr_assert_eq(r.status, 200, "pieces of %zu", pieces[i]);
        cr_assert(strstr(r.body, "path=/bucket/some-key\n"), "pieces of %zu: %s", pieces[i], r.body);
        cr_assert(strstr(r.body, "query=list-type=2&prefix=abc\n"), "pieces of %zu: %s", pieces[i], r.body);
        cr_assert(strstr(r.body, "h=Host: localhost:4566\nh=X-Amz-Date: 20261207T120000Z\n"
                                 "h=Authorization: AWS4-HMAC-SHA256 Credential=test/x\n"),
                  "pieces of %zu: %s", pieces[i], r.body);
        resp_free(&r);
        cl_close(&c);
    }
}

/* A split name that is no token is still refused as a whole. */
Test(http_headers, split_bad_name_400) {
    client_t c;
    cl_open(&c);
    send_in_pieces(&c, "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 2);
    resp_t r;
    cl_response(&c, &r, false);
    cr_assert_eq(r.status, 400);
    resp_free(&r);
    cl_close(&c);
}

static void expect_value(const nb__headers_t *h, const char *name, const char *value) {
    const char *got = nb__headers_get(h, name);
    cr_assert_not_null(got, "%s missing", name);
    cr_assert_str_eq(got, value, "%s", name);
}

Test(headers_list, many_large_removed_packed_and_grown_again) {
    nb__headers_t h = {0};
    char name[32], value[2048];
    /* more than the first items array (16) and the first block (about 1 KiB), one value larger
     * than a block */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "X-Header-%d", i);
        memset(value, 'a' + i % 26, i == 7 ? 1500 : 40);
        value[i == 7 ? 1500 : 40] = '\0';
        cr_assert_eq(nb__headers_add(&h, name, value), 0);
    }
    cr_assert_eq(h.len, 40);
    nb__headers_remove(&h, "x-header-3");
    cr_assert_eq(nb__headers_set(&h, "X-HEADER-5", "five"), 0);
    cr_assert_eq(h.len, 39);
    cr_assert_null(nb__headers_get(&h, "X-Header-3"));
    expect_value(&h, "x-header-5", "five");
    cr_assert_eq(strlen(nb__headers_get(&h, "X-Header-7")), 1500);
    nb__headers_shrink(&h);
    cr_assert_eq(h.cap, h.len);
    expect_value(&h, "X-Header-39", "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
    expect_value(&h, "X-Header-5", "five");
    /* after packing: a trailer added, one removed, one replaced */
    cr_assert_eq(nb__headers_add(&h, "X-Trailer", "t"), 0);
    nb__headers_remove(&h, "X-Header-0");
    cr_assert_eq(nb__headers_set(&h, "X-Header-1", "one"), 0);
    expect_value(&h, "X-Trailer", "t");
    expect_value(&h, "X-Header-1", "one");
    expect_value(&h, "X-Header-39", "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
    cr_assert_null(nb__headers_get(&h, "X-Header-0"));
    cr_assert_eq(h.len, 39);
    cr_assert_eq(nb__headers_count(&h, "x-header-1"), 1);
    nb__headers_free(&h);
    cr_assert_eq(h.len, 0);
    cr_assert_null(h.items);
    /* a freed list is empty and usable again */
    cr_assert_eq(nb__headers_add(&h, "A", "b"), 0);
    expect_value(&h, "a", "b");
    nb__headers_free(&h);
}

/* Lookups are answered from the names' bits first: a name present is always found, in any
 * case, and one absent never is, whichever bits they share. */
Test(headers_list, lookups_present_and_absent) {
    nb__headers_t h = {0};
    const char *present[] = {"Host", "Authorization", "X-Amz-Date", "Content-Type", "Content-Length",
                             "X-Amz-Target", "User-Agent", "amz-sdk-invocation-id", "amz-sdk-request", "Accept-Encoding"};
    size_t n = sizeof present / sizeof *present;
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(nb__headers_add(&h, present[i], present[i]), 0);
    char name[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s", present[i]);
        for (char *c = name; *c; c++)
            *c = (char)(i % 2 ? (*c >= 'a' && *c <= 'z' ? *c - 32 : *c) : (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
        expect_value(&h, name, present[i]);
        cr_assert_eq(nb__headers_count(&h, name), 1);
    }
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, "X-Absent-%d", i);
        cr_assert_null(nb__headers_get(&h, name), "%s", name);
        cr_assert_eq(nb__headers_count(&h, name), 0);
    }
    cr_assert_null(nb__headers_get(&h, "Origin"));
    cr_assert_null(nb__headers_get(&h, ""));
    nb__headers_free(&h);
}
