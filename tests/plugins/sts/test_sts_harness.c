/* STS through the plugin test harness (nimbus/testing.h): who the caller is. */
#include <criterion/criterion.h>

#include "nimbus/testing.h"

static json_t *identity(nb_test_t *h) {
    json_t *out = NULL;
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "sts", "GetCallerIdentity", NULL, &out, &err), 0, "%s: %s", err.code, err.message);
    return out;
}

Test(sts_harness, account_comes_from_a_12_digit_access_key) {
    nb_test_t *h = nb_test_new("sts");
    cr_assert_not_null(h);
    nb_test_set_identity(h, "123456789012", NULL);
    cr_assert_str_eq(nb_test_account(h), "123456789012");
    json_t *out = identity(h);
    cr_assert_str_eq(json_string_value(json_object_get(out, "Account")), "123456789012");
    cr_assert_str_eq(json_string_value(json_object_get(out, "Arn")), "arn:aws:iam::123456789012:root");
    json_decref(out);
    nb_test_free(h);
}

Test(sts_harness, other_access_keys_and_none_are_the_default_account) {
    nb_test_t *h = nb_test_new("sts");
    json_t *out = identity(h);
    cr_assert_str_eq(json_string_value(json_object_get(out, "Account")), "000000000000");
    json_decref(out);
    nb_test_set_identity(h, "AKIAIOSFODNN7EXAMPLE", NULL);
    out = identity(h);
    cr_assert_str_eq(json_string_value(json_object_get(out, "Account")), "000000000000");
    json_decref(out);
    nb_test_free(h);
}

Test(sts_harness, arn_partition_follows_the_region) {
    nb_test_t *h = nb_test_new("sts");
    nb_test_set_identity(h, "210987654321", "cn-north-1");
    json_t *out = identity(h);
    cr_assert_str_eq(json_string_value(json_object_get(out, "Arn")), "arn:aws-cn:iam::210987654321:root");
    json_decref(out);
    nb_test_free(h);
}
