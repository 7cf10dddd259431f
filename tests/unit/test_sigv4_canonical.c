/*
 * SigV4's canonical request and string to sign as the gateway builds them (presign.c's
 * nb__sigv4_texts, shared by the presigned-URL check and ENFORCE_IAM's sigcheck.c), against
 * AWS's documented SigV4 test suite example get-vanilla (the suite is not in the repository:
 * its request, canonical request, string to sign and signature are written out here), and the
 * path's encoding: once for S3, twice for every other service.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/presign.h"
#include "http/message.h"
#include "util/signing.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SCOPE "20150830/us-east-1/service/aws4_request"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static nb__http_request_t request(char *method, char *path, char *query) {
    nb__http_request_t r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = path;
    r.query = query;
    nb__headers_add(&r.headers, "Host", "example.amazonaws.com");
    nb__headers_add(&r.headers, "X-Amz-Date", "20150830T123600Z");
    return r;
}

Test(sigv4_canonical, get_vanilla) {
    nb__http_request_t r = request("GET", "/", NULL);
    char *canonical = NULL, *to_sign = NULL;
    cr_assert_eq(nb__sigv4_texts(&r, "host;x-amz-date", EMPTY_SHA256, true, "20150830T123600Z", SCOPE, &canonical,
                                 &to_sign),
                 0);
    cr_expect_str_eq(canonical, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                "host;x-amz-date\n" EMPTY_SHA256);
    cr_expect_str_eq(to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n" SCOPE
                              "\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    char sig[NB_SIGNATURE_SIZE];
    nb__sigv4_signature(SECRET, "20150830", "us-east-1", "service", to_sign, sig, sizeof sig);
    cr_expect_str_eq(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    /* the two-step form gives the same signature */
    unsigned char key[NB_SIGV4_KEY_SIZE];
    char again[NB_SIGNATURE_SIZE];
    cr_assert_eq(nb__sigv4_signing_key(SECRET, "20150830", "us-east-1", "service", key), 0);
    cr_assert_gt(nb__sigv4_sign(key, to_sign, again, sizeof again), 0);
    cr_expect_str_eq(again, sig);
    free(canonical);
    free(to_sign);
    nb__headers_free(&r.headers);
}

/* The query sorted by key, each part encoded; the path: S3 signs it encoded once, the others
 * encode what was sent again. */
static char *canonical_of(char *path, char *query, bool twice) {
    nb__http_request_t r = request("GET", path, query);
    char *canonical = NULL, *to_sign = NULL;
    cr_assert_eq(nb__sigv4_texts(&r, "host", "UNSIGNED-PAYLOAD", twice, "20150830T123600Z", SCOPE, &canonical,
                                 &to_sign),
                 0);
    free(to_sign);
    nb__headers_free(&r.headers);
    return canonical;
}

Test(sigv4_canonical, query_order_and_path_encoding) {
    char *c = canonical_of("/a%20b/c", "Param2=value2&Param1=value%201&b", false);
    cr_expect_str_eq(c, "GET\n/a%20b/c\nParam1=value%201&Param2=value2&b=\nhost:example.amazonaws.com\n\nhost\n"
                        "UNSIGNED-PAYLOAD");
    free(c);
    c = canonical_of("/a%20b/c", NULL, true);
    cr_expect(strncmp(c, "GET\n/a%2520b/c\n\n", 16) == 0, "%s", c);
    free(c);
}
