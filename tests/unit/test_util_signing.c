/* AWS request signatures (core/util/signing.c, nb_api's sigv4_signature / sigv2_signature):
 * the examples of AWS's documentation (a SigV4 presigned GET, a SigV2 query-string GET) give
 * their published signatures; a short buffer is refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "nimbus/errno.h"
#include "util/signing.h"

static const char example_secret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

Test(util_signing, sigv4_presigned_get_example) {
    /* the string to sign of GET /test.txt on examplebucket, 2013-05-24, 86400 s, host signed */
    const char *to_sign = "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                          "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04";
    char out[NB_SIGNATURE_SIZE];
    cr_assert_eq(nb__sigv4_signature(example_secret, "20130524", "us-east-1", "s3", to_sign, out, sizeof out), 64);
    cr_assert_str_eq(out, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    /* another secret, region or date gives another signature */
    char other[NB_SIGNATURE_SIZE];
    nb__sigv4_signature("test", "20130524", "us-east-1", "s3", to_sign, other, sizeof other);
    cr_assert_str_neq(other, out);
    nb__sigv4_signature(example_secret, "20130524", "eu-west-1", "s3", to_sign, other, sizeof other);
    cr_assert_str_neq(other, out);
    cr_assert_eq(nb__sigv4_signature(example_secret, "20130524", "us-east-1", "s3", to_sign, other, 64), NB_ELIMIT);
}

Test(util_signing, sigv2_query_string_example) {
    char out[NB_SIGNATURE_SIZE];
    cr_assert_eq(nb__sigv2_signature(example_secret, "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg", out,
                                     sizeof out), 28);
    cr_assert_str_eq(out, "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
    cr_assert_eq(nb__sigv2_signature(example_secret, "GET", out, 20), NB_ELIMIT);
}
