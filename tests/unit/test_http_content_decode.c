/* Request bodies decoded from their Content-Encoding: gzip (one or more members), aws-chunked
 * framing around it in either listed order, the decoded size held to a limit (a bomb stops
 * there), a body that does not decode refused, and the headers the decoded body leaves. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/body.h"
#include "http/content_decode.h"
#include "http/gunzip.h"
#include "nimbus/errno.h"

/* data gzip'd (zlib's own gzip writer); *len its size. */
static unsigned char *gzip_of(const void *data, size_t n, size_t *len) {
    z_stream zs = {0};
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, n) + 32;
    unsigned char *out = malloc(cap);
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static nb__http_request_t request(const char *encoding, const void *body, size_t len) {
    nb__http_request_t r = {0};
    if (encoding)
        nb__headers_add(&r.headers, "Content-Encoding", encoding);
    nb__headers_add(&r.headers, "Content-Type", "application/json");
    r.body = nb__body_from_mem(body, len);
    return r;
}

static char *text_of(nb_body_t *b) {
    return strndup(nb__body_data(b, SIZE_MAX), (size_t)nb__body_size(b));
}

Test(content_decode, gzip_body_decoded) {
    const char *json = "{\"QueueName\":\"q\"}";
    size_t len;
    unsigned char *gz = gzip_of(json, strlen(json), &len);
    nb__http_request_t r = request("gzip", gz, len);
    nb_body_t *out;
    cr_assert_eq(nb__content_decode(&r, 1024, &out), 0);
    char *text = text_of(out);
    cr_assert_str_eq(text, json);
    free(text);
    nb__body_free(out);
    nb__http_request_free(&r);
    free(gz);
}

Test(content_decode, no_coding_leaves_the_body) {
    nb__http_request_t r = request("identity", "{}", 2);
    nb_body_t *out = (nb_body_t *)&r;
    cr_assert_eq(nb__content_decode(&r, 1024, &out), 0);
    cr_assert_null(out);
    nb__http_request_free(&r);
}

Test(content_decode, members_back_to_back) {
    size_t l1, l2;
    unsigned char *a = gzip_of("hello ", 6, &l1), *b = gzip_of("world", 5, &l2);
    unsigned char *both = malloc(l1 + l2);
    memcpy(both, a, l1);
    memcpy(both + l1, b, l2);
    nb_body_t *in = nb__body_from_mem(both, l1 + l2), *out;
    cr_assert_eq(nb__gunzip_body(in, 100, false, &out), 0);
    char *text = text_of(out);
    cr_assert_str_eq(text, "hello world");
    free(text);
    nb__body_free(out);
    nb__body_free(in);
    free(a), free(b), free(both);
}

Test(content_decode, bomb_stops_at_the_limit) {
    size_t n = 8u << 20, len;
    char *zeros = calloc(1, n);
    unsigned char *gz = gzip_of(zeros, n, &len);
    free(zeros);
    cr_assert_lt(len, 16 * 1024);
    nb__http_request_t r = request("gzip", gz, len);
    nb_body_t *out = NULL;
    cr_assert_eq(nb__content_decode(&r, 64 * 1024, &out), NB_ELIMIT);
    cr_assert_null(out);
    cr_assert_eq(nb__content_decode(&r, n, &out), 0); /* exactly at the limit: allowed */
    cr_assert_eq(nb__body_size(out), (int64_t)n);
    nb__body_free(out);
    nb__http_request_free(&r);
    free(gz);
}

Test(content_decode, prefix_keeps_the_head) {
    size_t len;
    unsigned char *gz = gzip_of("Action=SendMessage&MessageBody=long", 35, &len);
    nb_body_t *in = nb__body_from_mem(gz, len), *out;
    cr_assert_eq(nb__gunzip_body(in, 18, true, &out), 0);
    char *text = text_of(out);
    cr_assert_str_eq(text, "Action=SendMessage");
    free(text);
    nb__body_free(out);
    nb__body_free(in);
    free(gz);
}

Test(content_decode, corrupt_and_cut_short_refused) {
    nb__http_request_t r = request("gzip", "\x1f\x8b\x08\x00 not deflate", 16);
    nb_body_t *out = NULL;
    cr_assert_eq(nb__content_decode(&r, 1024, &out), NB_EPROTO);
    nb__http_request_free(&r);
    size_t len;
    unsigned char *gz = gzip_of("{\"a\":1}", 7, &len);
    r = request("gzip", gz, len - 4); /* without the length of the trailer */
    cr_assert_eq(nb__content_decode(&r, 1024, &out), NB_EPROTO);
    nb__http_request_free(&r);
    r = request("gzip", "", 0);
    cr_assert_eq(nb__content_decode(&r, 1024, &out), NB_EPROTO);
    nb__http_request_free(&r);
    free(gz);
}

Test(content_decode, aws_chunked_around_gzip_either_order) {
    const char *json = "{\"QueueName\":\"chunked\"}";
    size_t len;
    unsigned char *gz = gzip_of(json, strlen(json), &len);
    char framed[512];
    size_t half = len / 2;
    int n = snprintf(framed, sizeof framed, "%zx;chunk-signature=ab\r\n", half);
    memcpy(framed + n, gz, half);
    n += (int)half;
    n += snprintf(framed + n, sizeof framed - (size_t)n, "\r\n%zx;chunk-signature=cd\r\n", len - half);
    memcpy(framed + n, gz + half, len - half);
    n += (int)(len - half);
    n += snprintf(framed + n, sizeof framed - (size_t)n, "\r\n0;chunk-signature=ef\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    const char *orders[] = {"aws-chunked,gzip", "gzip, aws-chunked"};
    for (int i = 0; i < 2; i++) {
        nb__http_request_t r = request(orders[i], framed, (size_t)n);
        nb_body_t *out;
        cr_assert_eq(nb__content_decode(&r, 1024, &out), 0, "%s", orders[i]);
        char *text = text_of(out);
        cr_assert_str_eq(text, json);
        free(text);
        nb__body_free(out);
        nb__http_request_free(&r);
    }
    nb__http_request_t r = request("aws-chunked,gzip", "zz\r\nnot framed", 14);
    nb_body_t *out;
    cr_assert_eq(nb__content_decode(&r, 1024, &out), NB_EPROTO);
    nb__http_request_free(&r);
    free(gz);
}

Test(content_decode, headers_left_after_decoding) {
    nb__http_request_t r = request("custom, gzip", "", 0);
    nb__headers_t left;
    cr_assert_eq(nb__content_decoded_headers(&r.headers, &left), 0);
    cr_assert_str_eq(nb__headers_get(&left, "Content-Encoding"), "custom");
    cr_assert_str_eq(nb__headers_get(&left, "Content-Type"), "application/json");
    nb__headers_free(&left);
    nb__http_request_free(&r);
    r = request("aws-chunked,gzip", "", 0);
    cr_assert_eq(nb__content_decoded_headers(&r.headers, &left), 0);
    cr_assert_null(nb__headers_get(&left, "Content-Encoding"));
    nb__headers_free(&left);
    nb__http_request_free(&r);
}
