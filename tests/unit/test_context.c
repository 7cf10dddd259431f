#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "proto/quirks.h"
#include "router/context.h"
#include "router/raw_request.h"

static nb__req_context_t ctx_of(const char *raw) {
    nb__http_request_t req;
    cr_assert_eq(nb_test_request(raw, &req), 0);
    nb__req_context_t ctx;
    memset(&ctx, 0x5a, sizeof ctx); /* the function must fill every field */
    nb__context_from_request(&req, &ctx);
    nb__http_request_free(&req);
    return ctx;
}

#define SIGNED(akid, region)                                                                                       \
    "POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: AWS4-HMAC-SHA256 Credential=" akid "/20261124/" region    \
    "/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc\r\n\r\n"

Test(context, default_test_key_is_the_default_account) {
    nb__req_context_t c = ctx_of(SIGNED("test", "us-east-1"));
    cr_assert_str_eq(c.account, "000000000000");
    cr_assert_str_eq(c.region, "us-east-1");
    cr_assert_str_eq(c.access_key, "test");
}

Test(context, twelve_digit_key_is_its_account) {
    nb__req_context_t c = ctx_of(SIGNED("123456789012", "eu-west-2"));
    cr_assert_str_eq(c.account, "123456789012");
    cr_assert_str_eq(c.region, "eu-west-2");
    cr_assert_str_eq(c.access_key, "123456789012");
}

Test(context, other_keys_are_the_default_account) {
    const char *keys[] = {"12345678901", "1234567890123", "12345678901a", "AKIAIOSFODNN7EXAMPLE", "000000000000x"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char raw[512];
        snprintf(raw, sizeof raw,
                 "GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=%s/20261124/ap-south-1/s3/"
                 "aws4_request,SignedHeaders=host,Signature=abc\r\n\r\n",
                 keys[i]);
        nb__req_context_t c = ctx_of(raw);
        cr_assert_str_eq(c.account, "000000000000", "key %s", keys[i]);
        cr_assert_str_eq(c.access_key, keys[i]);
        cr_assert_str_eq(c.region, "ap-south-1");
    }
}

Test(context, presigned_query_credential) {
    nb__req_context_t c = ctx_of("GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=111122223333%2F20261124%2F"
                                 "sa-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00 HTTP/1.1\r\nHost: h\r\n\r\n");
    cr_assert_str_eq(c.account, "111122223333");
    cr_assert_str_eq(c.region, "sa-east-1");
    cr_assert_str_eq(c.access_key, "111122223333");
}

Test(context, sigv2_gives_the_key_and_default_region) {
    nb__req_context_t c = ctx_of("GET /b/k HTTP/1.1\r\nAuthorization: AWS 210987654321:c2ln\r\n\r\n");
    cr_assert_str_eq(c.account, "210987654321");
    cr_assert_str_eq(c.region, "us-east-1");
    c = ctx_of("GET /b/k?AWSAccessKeyId=test&Expires=1&Signature=x HTTP/1.1\r\n\r\n");
    cr_assert_str_eq(c.access_key, "test");
    cr_assert_str_eq(c.account, "000000000000");
}

Test(context, sigv4a_scope_has_no_region) {
    nb__http_request_t req;
    cr_assert_eq(nb_test_request("GET /b/k HTTP/1.1\r\nX-Amz-Region-Set: *\r\nAuthorization: AWS4-ECDSA-P256-SHA256 "
                                 "Credential=123456789012/20261124/s3/aws4_request, SignedHeaders=host, Signature=3045"
                                 "\r\n\r\n",
                                 &req),
                 0);
    nb__credential_t cred;
    cr_assert(nb__credential_parse(&req, &cred));
    cr_assert(cred.sigv4);
    cr_assert_str_eq(cred.service, "s3");
    cr_assert_str_eq(cred.region, "");
    nb__req_context_t c;
    nb__context_from_request(&req, &c);
    cr_assert_str_eq(c.account, "123456789012");
    cr_assert_str_eq(c.region, "us-east-1");
    nb__http_request_free(&req);
}

Test(context, no_credentials) {
    nb__req_context_t c = ctx_of("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    cr_assert_str_eq(c.account, "000000000000");
    cr_assert_str_eq(c.region, "us-east-1");
    cr_assert_str_eq(c.access_key, "");
}

Test(context, malformed_credentials_fall_back) {
    const char *raws[] = {
        "GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=\r\n\r\n",
        "GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=123456789012\r\n\r\n",
        "GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/2026//s3/aws4_request\r\n\r\n",
        "GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/2026/US EAST/s3/aws4_request\r\n\r\n",
        "GET / HTTP/1.1\r\nAuthorization: Bearer xyz\r\n\r\n",
        "GET /?X-Amz-Credential=%ZZ HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof raws / sizeof *raws; i++) {
        nb__req_context_t c = ctx_of(raws[i]);
        cr_assert_str_eq(c.region, "us-east-1", "case %zu", i);
        cr_assert_eq(strlen(c.account), 12, "case %zu", i);
    }
    /* a lone 12-digit key without a scope is still that account */
    cr_assert_str_eq(ctx_of(raws[1]).account, "123456789012");
}

Test(context, overlong_fields_are_truncated) {
    char raw[2048], key[600];
    memset(key, 'K', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    snprintf(raw, sizeof raw,
             "GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=%s/20261124/"
             "a-region-name-that-is-far-too-long-to-keep/s3/aws4_request\r\n\r\n",
             key);
    nb__req_context_t c = ctx_of(raw);
    cr_assert_eq(strlen(c.access_key), sizeof c.access_key - 1);
    cr_assert_str_eq(c.account, "000000000000");
    cr_assert_eq(strlen(c.region), sizeof c.region - 1);
}

Test(context, request_ids_are_uuid4_and_distinct) {
    enum { N = 2000 };
    static char ids[N][37];
    for (int i = 0; i < N; i++) {
        nb__request_id_new(ids[i]);
        const char *s = ids[i];
        cr_assert_eq(strlen(s), 36);
        for (int j = 0; j < 36; j++) {
            if (j == 8 || j == 13 || j == 18 || j == 23)
                cr_assert_eq(s[j], '-', "%s", s);
            else
                cr_assert(isxdigit((unsigned char)s[j]) && !isupper((unsigned char)s[j]), "%s", s);
        }
        cr_assert_eq(s[14], '4', "version nibble: %s", s);
        cr_assert(strchr("89ab", s[19]) != NULL, "variant nibble: %s", s);
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            cr_assert_str_neq(ids[i], ids[j]);
}

Test(context, request_id_header_per_service) {
    nb__spec_set_t set = {0};
    char *err = NULL;
    cr_assert_eq(nb__spec_set_load_dir(&set, NB_SOURCE_DIR "/specs", &err), 0, "%s", err ? err : "");
    cr_assert_str_eq(nb__request_id_header(nb__spec_set_find(&set, "s3")), "x-amz-request-id");
    cr_assert_str_eq(nb__request_id_header(nb__spec_set_find(&set, "sqs")), "x-amzn-RequestId");
    cr_assert_str_eq(nb__request_id_header(nb__spec_set_find(&set, "lambda")), "x-amzn-RequestId");
    cr_assert_str_eq(nb__request_id_header(NULL), "x-amzn-RequestId");
    nb__spec_set_free(&set);
}
