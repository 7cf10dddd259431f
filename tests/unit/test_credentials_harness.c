/*
 * The credential registry (ABI 1.8) through the test plugin tests/unit/plugins/harness_keys.c
 * and the STS plugin: a registered key selects its account and principal, a rolled-back put
 * registers nothing, a key belongs to one account and one plugin, bad input is refused, an
 * expired session is dropped.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nimbus/errno.h"
#include "nimbus/testing.h"
#include "support/harness_fixture.h"

static nb_test_t *h;

static void setup(void) { h = harness_start("keys,sts"); }

static void teardown(void) { nb_test_free(h); }

TestSuite(credentials, .init = setup, .fini = teardown);

static json_t *call_ok(const char *service, const char *op, const char *input) {
    return harness_call_ok(h, service, op, input);
}

static int rc_of(json_t *out) {
    int rc = (int)json_integer_value(json_object_get(out, "Rc"));
    json_decref(out);
    return rc;
}

#define KEY "AKIAQWERTYUIOPASDFGH"
#define USER_ARN "arn:aws:iam::111122223333:user/alice"

static int put(const char *key, const char *account) {
    char in[512];
    snprintf(in, sizeof in,
             "{\"AccessKeyId\":\"%s\",\"Account\":\"%s\",\"Secret\":\"s3cr3t\",\"PrincipalArn\":\"" USER_ARN
             "\",\"UserId\":\"AIDAALICE\"}",
             key, account);
    return rc_of(call_ok("keys", "Put", in));
}

/* The caller's account, principal and user id, as key. */
static void whoami(const char *key, const char *account, const char *arn, const char *user_id) {
    nb_test_set_identity(h, key, NULL);
    json_t *me = call_ok("keys", "Whoami", NULL);
    cr_expect_str_eq(json_string_value(json_object_get(me, "Account")), account);
    cr_expect_str_eq(json_string_value(json_object_get(me, "PrincipalArn")), arn);
    cr_expect_str_eq(json_string_value(json_object_get(me, "UserId")), user_id);
    json_decref(me);
    nb_test_set_identity(h, "test", NULL);
}

Test(credentials, registered_key_selects_account_and_principal) {
    whoami(KEY, "000000000000", "arn:aws:iam::000000000000:root", "000000000000");
    cr_assert_eq(put(KEY, "111122223333"), 0);
    whoami(KEY, "111122223333", USER_ARN, "AIDAALICE");
    /* a 12-digit key and the default one are not looked up */
    whoami("444455556666", "444455556666", "arn:aws:iam::444455556666:root", "444455556666");
    whoami("test", "000000000000", "arn:aws:iam::000000000000:root", "000000000000");
    json_t *got = call_ok("keys", "Get", "{\"AccessKeyId\":\"" KEY "\"}");
    cr_expect_str_eq(json_string_value(json_object_get(got, "Secret")), "s3cr3t");
    cr_expect_str_eq(json_string_value(json_object_get(got, "Token")), "");
    json_decref(got);
}

Test(credentials, rolled_back_put_registers_nothing) {
    json_t *out = NULL;
    nb_test_error_t err;
    cr_assert_neq(nb_test_call(h, "keys", "Put",
                               "{\"AccessKeyId\":\"" KEY "\",\"Account\":\"111122223333\",\"Secret\":\"s\","
                               "\"PrincipalArn\":\"" USER_ARN "\",\"UserId\":\"AIDAALICE\",\"Fail\":true}",
                               &out, &err),
                  0);
    cr_assert_str_eq(err.code, "AskedToFail");
    cr_expect_str_eq(err.message, "put answered 0");
    whoami(KEY, "000000000000", "arn:aws:iam::000000000000:root", "000000000000");
    cr_expect_eq(rc_of(call_ok("keys", "Get", "{\"AccessKeyId\":\"" KEY "\"}")), NB_ENOENT);
}

Test(credentials, delete_only_from_the_keys_account) {
    cr_assert_eq(put(KEY, "111122223333"), 0);
    cr_expect_eq(rc_of(call_ok("keys", "Delete", "{\"AccessKeyId\":\"" KEY "\",\"Account\":\"999999999999\"}")),
                 NB_ENOENT);
    whoami(KEY, "111122223333", USER_ARN, "AIDAALICE");
    cr_expect_eq(rc_of(call_ok("keys", "Delete", "{\"AccessKeyId\":\"" KEY "\",\"Account\":\"111122223333\"}")), 0);
    whoami(KEY, "000000000000", "arn:aws:iam::000000000000:root", "000000000000");
    cr_expect_eq(rc_of(call_ok("keys", "Delete", "{\"AccessKeyId\":\"" KEY "\",\"Account\":\"111122223333\"}")),
                 NB_ENOENT);
}

Test(credentials, a_key_belongs_to_one_account_and_plugin) {
    cr_assert_eq(put(KEY, "111122223333"), 0);
    cr_expect_eq(put(KEY, "111122223333"), 0, "its owner may replace it");
    cr_expect_eq(put(KEY, "999999999999"), NB_EEXIST);
    json_t *r = call_ok("sts", "AssumeRole",
                        "{\"RoleArn\":\"arn:aws:iam::111111111111:role/R\",\"RoleSessionName\":\"s1\"}");
    const char *issued = json_string_value(json_object_get(json_object_get(r, "Credentials"), "AccessKeyId"));
    cr_expect_eq(put(issued, "111111111111"), NB_EEXIST, "STS's key is not the keys plugin's");
    json_decref(r);
}

Test(credentials, bad_input_refused) {
    cr_expect_eq(put("AKIASHORT", "111122223333"), NB_EINVAL);
    cr_expect_eq(put("AKIA-NOT-A-KEY-ID-XX", "111122223333"), NB_EINVAL);
    cr_expect_eq(put(KEY, "1111"), NB_EINVAL);
    cr_expect_eq(rc_of(call_ok("keys", "Put", "{\"AccessKeyId\":\"" KEY "\",\"Account\":\"111122223333\"}")),
                 NB_EINVAL);
}

Test(credentials, sts_session_expires_on_the_harness_clock) {
    json_t *r = call_ok("sts", "AssumeRole",
                        "{\"RoleArn\":\"arn:aws:iam::111111111111:role/R\",\"RoleSessionName\":\"s1\","
                        "\"DurationSeconds\":900}");
    const json_t *creds = json_object_get(r, "Credentials");
    const char *issued = json_string_value(json_object_get(creds, "AccessKeyId"));
    char in[128];
    snprintf(in, sizeof in, "{\"AccessKeyId\":\"%s\"}", issued);
    json_t *got = call_ok("keys", "Get", in);
    cr_expect_str_eq(json_string_value(json_object_get(got, "Account")), "111111111111");
    cr_expect_str_eq(json_string_value(json_object_get(got, "PrincipalArn")),
                     "arn:aws:sts::111111111111:assumed-role/R/s1");
    cr_expect_str_eq(json_string_value(json_object_get(got, "Token")),
                     json_string_value(json_object_get(creds, "SessionToken")));
    double expiration = json_number_value(json_object_get(got, "Expiration"));
    cr_expect_float_eq(expiration, json_number_value(json_object_get(creds, "Expiration")), 1e-6);
    json_decref(got);
    json_t *info = call_ok("sts", "GetAccessKeyInfo", in);
    cr_expect_str_eq(json_string_value(json_object_get(info, "Account")), "111111111111");
    json_decref(info);
    whoami(issued, "111111111111", "arn:aws:sts::111111111111:assumed-role/R/s1",
           json_string_value(json_object_get(json_object_get(r, "AssumedRoleUser"), "AssumedRoleId")));
    json_decref(r);
}

/* What IAM's CreateAccessKey will do: GetCallerIdentity then names the user. */
Test(credentials, sts_names_a_registered_iam_user) {
    cr_assert_eq(put(KEY, "111122223333"), 0);
    nb_test_set_identity(h, KEY, NULL);
    json_t *me = call_ok("sts", "GetCallerIdentity", NULL);
    cr_expect_str_eq(json_string_value(json_object_get(me, "Account")), "111122223333");
    cr_expect_str_eq(json_string_value(json_object_get(me, "Arn")), USER_ARN);
    cr_expect_str_eq(json_string_value(json_object_get(me, "UserId")), "AIDAALICE");
    json_decref(me);
    /* a long-term key may ask for a session token, which keeps the user's identity */
    json_t *s = call_ok("sts", "GetSessionToken", NULL);
    char in[128];
    snprintf(in, sizeof in, "{\"AccessKeyId\":\"%s\"}",
             json_string_value(json_object_get(json_object_get(s, "Credentials"), "AccessKeyId")));
    json_t *got = call_ok("keys", "Get", in);
    cr_expect_str_eq(json_string_value(json_object_get(got, "PrincipalArn")), USER_ARN);
    cr_expect_str_eq(json_string_value(json_object_get(got, "Account")), "111122223333");
    json_decref(got);
    json_decref(s);
}

/* Past its expiration a session is dropped: its key selects no account, Get finds nothing, and
 * the next registration's sweep leaves the other keys alone. */
Test(credentials, expired_session_is_dropped) {
    json_t *r = call_ok("sts", "AssumeRole",
                        "{\"RoleArn\":\"arn:aws:iam::111111111111:role/R\",\"RoleSessionName\":\"s1\","
                        "\"DurationSeconds\":900}");
    char in[128];
    snprintf(in, sizeof in, "{\"AccessKeyId\":\"%s\"}",
             json_string_value(json_object_get(json_object_get(r, "Credentials"), "AccessKeyId")));
    cr_assert_eq(put(KEY, "111122223333"), 0); /* a long-term key: never expires */
    cr_expect_eq(rc_of(call_ok("keys", "Get", in)), 0);
    nb_test_advance(h, 899 * 1000);
    cr_expect_eq(rc_of(call_ok("keys", "Get", in)), 0, "not yet expired");
    nb_test_advance(h, 2 * 1000);
    cr_expect_eq(rc_of(call_ok("keys", "Get", in)), NB_ENOENT);
    json_t *again = call_ok("sts", "AssumeRole",
                            "{\"RoleArn\":\"arn:aws:iam::111111111111:role/R\",\"RoleSessionName\":\"s2\"}");
    json_decref(again);
    whoami(KEY, "111122223333", USER_ARN, "AIDAALICE");
    json_decref(r);
}
