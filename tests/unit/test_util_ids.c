/* nb_api->util identifiers and ARNs: UUID v4 form, random ids of an alphabet, partition-aware ARNs. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "util/util_api.h"

static const nb_util_api_t *u = &nb__util_api;

static void assert_uuid_v4(const char *s) {
    cr_assert_eq(strlen(s), 36, "%s", s);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            cr_assert_eq(s[i], '-', "%s", s);
        else
            cr_assert(isxdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]), "%s", s);
    }
    cr_assert_eq(s[14], '4', "version 4: %s", s);
    cr_assert(strchr("89ab", s[19]) != NULL, "RFC 4122 variant: %s", s);
}

Test(util_ids, uuids_and_request_ids_are_v4_and_distinct) {
    char a[NB_UUID_SIZE], b[NB_UUID_SIZE], r[NB_UUID_SIZE];
    u->uuid(a);
    u->uuid(b);
    u->request_id(r);
    assert_uuid_v4(a);
    assert_uuid_v4(b);
    assert_uuid_v4(r);
    cr_assert_str_neq(a, b);
}

Test(util_ids, random_ids_use_only_the_alphabet) {
    char id[21];
    memcpy(id, "AKIA", 4);
    cr_assert_eq(u->random_id(NB_ID_UPPER_ALNUM, 16, id + 4), 0);
    cr_assert_eq(strlen(id), 20);
    for (int i = 4; i < 20; i++)
        cr_assert(strchr(NB_ID_UPPER_ALNUM, id[i]) != NULL, "%s", id);
    char again[17];
    u->random_id(NB_ID_UPPER_ALNUM, 16, again);
    cr_assert_str_neq(id + 4, again);
    cr_assert_eq(u->random_id("a", 4, again), NB_EINVAL, "one character is no alphabet");
    cr_assert_eq(u->random_id(NULL, 4, again), NB_EINVAL);
    cr_assert_eq(u->random_id(NB_ID_HEX, 0, again), 0);
    cr_assert_str_eq(again, "");
}

/* A three-letter alphabet drawn 20,000 times: each near a third (this far off once in ~1e20). */
Test(util_ids, random_ids_are_uniform) {
    static char buf[20001];
    cr_assert_eq(u->random_id("xyz", 20000, buf), 0);
    int counts[3] = {0};
    for (int i = 0; i < 20000; i++)
        counts[buf[i] - 'x']++;
    for (int k = 0; k < 3; k++)
        cr_assert(counts[k] > 6000 && counts[k] < 7333, "%c: %d", 'x' + k, counts[k]);
    unsigned char raw[32] = {0}, zero[32] = {0};
    cr_assert_eq(u->random_bytes(raw, sizeof raw), 0);
    cr_assert_neq(memcmp(raw, zero, sizeof raw), 0);
}

Test(util_arn, built_with_the_region_partition) {
    char out[128];
    nb_arn_t a = {.service = "sqs", .region = "cn-north-1", .account = "000000000000", .resource = "q1"};
    cr_assert_eq(u->arn_format(&a, out, sizeof out), (ssize_t)strlen("arn:aws-cn:sqs:cn-north-1:000000000000:q1"));
    cr_assert_str_eq(out, "arn:aws-cn:sqs:cn-north-1:000000000000:q1");
    a = (nb_arn_t){.service = "sqs", .region = "us-gov-west-1", .account = "1", .resource = "q"};
    u->arn_format(&a, out, sizeof out);
    cr_assert_str_eq(out, "arn:aws-us-gov:sqs:us-gov-west-1:1:q");
    /* S3 buckets: no region nor account in the ARN, the partition still the bucket region's */
    a = (nb_arn_t){.partition = "aws-cn", .service = "s3", .resource = "bucket"};
    u->arn_format(&a, out, sizeof out);
    cr_assert_str_eq(out, "arn:aws-cn:s3:::bucket");
    a = (nb_arn_t){.service = "iam", .account = "000000000000", .resource = "root"};
    u->arn_format(&a, out, sizeof out);
    cr_assert_str_eq(out, "arn:aws:iam::000000000000:root");
    cr_assert_eq(u->arn_format(&a, out, 10), NB_ELIMIT);
    a.resource = "";
    cr_assert_eq(u->arn_format(&a, out, sizeof out), NB_EINVAL);
}

Test(util_arn, parsed_into_fields) {
    char buf[128];
    nb_arn_t a;
    cr_assert_eq(u->arn_parse("arn:aws:lambda:us-east-1:123456789012:function:f:1", &a, buf, sizeof buf), 0);
    cr_assert_str_eq(a.partition, "aws");
    cr_assert_str_eq(a.service, "lambda");
    cr_assert_str_eq(a.region, "us-east-1");
    cr_assert_str_eq(a.account, "123456789012");
    cr_assert_str_eq(a.resource, "function:f:1", "the resource keeps its colons");
    cr_assert_eq(u->arn_parse("arn:aws-cn:s3:::bucket/key", &a, buf, sizeof buf), 0);
    cr_assert_str_eq(a.partition, "aws-cn");
    cr_assert_str_eq(a.region, "");
    cr_assert_str_eq(a.account, "");
    cr_assert_str_eq(a.resource, "bucket/key");
    static const char *const bad[] = {"arn:aws:sqs:us-east-1:1", "urn:aws:sqs:r:a:q", "arn::sqs:r:a:q",
                                      "arn:aws::r:a:q", "arn:aws:sqs:r:a:", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(u->arn_parse(bad[i], &a, buf, sizeof buf), NB_EINVAL, "%s", bad[i]);
    cr_assert_eq(u->arn_parse("arn:aws:sqs:us-east-1:1:q", &a, buf, 10), NB_ELIMIT);
}
