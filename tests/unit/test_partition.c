/* Which partition a region belongs to: the second field of every ARN Nimbus builds. */
#include <criterion/criterion.h>

#include "util/partition.h"

Test(partition, each_partition_by_its_regions) {
    static const char *const cases[][2] = {
        {"us-east-1", "aws"},           {"eu-west-3", "aws"},          {"ap-southeast-5", "aws"},
        {"il-central-1", "aws"},        {"mx-central-1", "aws"},       {"cn-north-1", "aws-cn"},
        {"cn-northwest-1", "aws-cn"},   {"us-gov-west-1", "aws-us-gov"}, {"us-gov-east-1", "aws-us-gov"},
        {"us-iso-east-1", "aws-iso"},   {"us-isob-east-1", "aws-iso-b"}, {"us-isof-south-1", "aws-iso-f"},
        {"eu-isoe-west-1", "aws-iso-e"}, {"eusc-de-east-1", "aws-eusc"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_assert_str_eq(nb__partition_of(cases[i][0]), cases[i][1], "%s", cases[i][0]);
}

Test(partition, unknown_or_missing_region_is_aws) {
    cr_assert_str_eq(nb__partition_of(NULL), "aws");
    cr_assert_str_eq(nb__partition_of(""), "aws");
    cr_assert_str_eq(nb__partition_of("local"), "aws");
    /* a prefix alone is not a region of another partition's shape, but "cn" as a name is not "cn-" */
    cr_assert_str_eq(nb__partition_of("cnorth-1"), "aws");
}
