/*
 * SigV4's canonical request and string to sign as the gateway builds them (sigv4_text.c's
 * nb__sigv4_string_to_sign, shared by the presigned-URL check and ENFORCE_IAM's sigcheck.c), against
 * AWS's documented SigV4 test suite example get-vanilla (the suite is not in the repository:
 * its request, canonical request, string to sign and signature are written out here), and the
 * path's encoding: once for S3, twice for every other service.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sigv4_text.h"
#include "http/message.h"
#include "util/codec.h"
#include "util/signing.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SCOPE "20150830/us-east-1/service/aws4_request"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* The canonical request (malloc'd) and the string to sign, as the check makes them. */
static int texts(const nb__http_request_t *r, const char *signed_headers, const char *payload, bool twice,
                 char **canonical, char to_sign[NB_SIGV4_TO_SIGN_MAX]) {
    nb__query_t q;
    cr_assert(nb__query_parse(r->query, &q));
    nb__buf_t kept = NB__BUF_INIT;
    int rc = nb__sigv4_string_to_sign(r, &q, signed_headers, payload, twice, "20150830T123600Z", SCOPE, to_sign,
                                      NB_SIGV4_TO_SIGN_MAX, &kept);
    /* hashed without keeping the text: the same string to sign */
    char again[NB_SIGV4_TO_SIGN_MAX];
    cr_assert_eq(nb__sigv4_string_to_sign(r, &q, signed_headers, payload, twice, "20150830T123600Z", SCOPE, again,
                                          sizeof again, NULL),
                 rc);
    cr_expect_str_eq(again, to_sign);
    nb__query_free(&q);
    *canonical = nb__buf_steal(&kept, NULL);
    return rc;
}

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
    char *canonical = NULL, to_sign[NB_SIGV4_TO_SIGN_MAX];
    cr_assert_eq(texts(&r, "host;x-amz-date", EMPTY_SHA256, true, &canonical, to_sign), 0);
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
    /* and so does the key's kept HMAC states */
    nb_hmac_key_t *states;
    cr_assert_eq(nb__hmac_key_new(NB_DIGEST_SHA256, key, sizeof key, &states), 0);
    char hex[NB_HEX_SIZE(NB_DIGEST_MAX)];
    size_t half = strlen(to_sign) / 2;
    cr_assert(nb__sigv4_sign_with(states, to_sign, half, to_sign + half, strlen(to_sign) - half, hex));
    cr_expect_str_eq(hex, sig);
    nb__hmac_key_free(states);
    free(canonical);
    nb__headers_free(&r.headers);
}

/* The query sorted by key, each part encoded; the path: S3 signs it encoded once, the others
 * encode what was sent again. */
static char *canonical_of(char *path, char *query, bool twice) {
    nb__http_request_t r = request("GET", path, query);
    char *canonical = NULL, to_sign[NB_SIGV4_TO_SIGN_MAX];
    cr_assert_eq(texts(&r, "host", "UNSIGNED-PAYLOAD", twice, &canonical, to_sign), 0);
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

/* A path longer than the sink's staging block and the stack buffers: the same hash whether the
 * text is kept or not (checked in texts), and the text whole. */
Test(sigv4_canonical, long_path) {
    char path[5001];
    path[0] = '/';
    memset(path + 1, 'p', sizeof path - 2);
    path[sizeof path - 1] = '\0';
    nb__http_request_t r = request("GET", path, "a=1");
    char *canonical = NULL, to_sign[NB_SIGV4_TO_SIGN_MAX];
    cr_assert_eq(texts(&r, "host", "UNSIGNED-PAYLOAD", false, &canonical, to_sign), 0);
    cr_expect(strncmp(canonical + 4, path, sizeof path - 1) == 0);
    free(canonical);
    nb__headers_free(&r.headers);
}

/* The chunk signatures of AWS's streaming-upload example (sigv4-streaming: 64 KiB then 1 KiB of
 * 'a', then the empty chunk), chained from its seed signature as gateway/chunk_sig.c chains them. */
Test(sigv4_canonical, chunk_signature_chain) {
    unsigned char key[NB_SIGV4_KEY_SIZE];
    cr_assert_eq(nb__sigv4_signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3", key),
                 0);
    nb_hmac_key_t *states;
    cr_assert_eq(nb__hmac_key_new(NB_DIGEST_SHA256, key, sizeof key, &states), 0);
    static char data[65536];
    memset(data, 'a', sizeof data);
    const size_t sizes[] = {65536, 1024, 0};
    const char *const want[] = {"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                                "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"};
    char prev[NB_HEX_SIZE(NB_DIGEST_MAX)] = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    for (size_t i = 0; i < 3; i++) {
        unsigned char digest[NB_DIGEST_MAX];
        char hash[NB_HEX_SIZE(NB_DIGEST_MAX)], head[512], sig[NB_HEX_SIZE(NB_DIGEST_MAX)];
        nb__hex_encode_to(digest, nb__digest(NB_DIGEST_SHA256, data, sizes[i], digest), 0, hash, sizeof hash);
        snprintf(head, sizeof head, "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n%s\n%s\n",
                 prev, EMPTY_SHA256);
        cr_assert(nb__sigv4_sign_with(states, head, strlen(head), hash, strlen(hash), sig));
        cr_expect_str_eq(sig, want[i], "chunk %zu", i);
        memcpy(prev, sig, sizeof prev);
    }
    nb__hmac_key_free(states);
}
