/*
 * Secrets Manager through the plugin test harness (nimbus/testing.h), with the clock moved
 * instead of slept through: a secret scheduled for deletion goes when its recovery window ends
 * (real 24-hour days) and not a second before; a read records LastAccessedDate as the day it
 * happened on; a value under a customer managed KMS key is sealed and opened through the KMS
 * plugin in-process, and a disabled key makes the read fail as AWS answers.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nimbus/testing.h"

#define DAY_MS (86400ull * 1000)

static nb_test_t *h;
/* a sweep an hour instead of each second: 7 days pass in 168 sweeps, not 604,800; a 7-day window
 * ends on a whole hour, so the deletion still happens at its second */
static const char *const settings[] = {"SECRETSMANAGER_SWEEP_INTERVAL=1h", NULL};

static json_t *call(const char *svc, const char *op, const char *in) {
    json_t *out = NULL;
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, svc, op, in, &out, &err), 0, "%s: %s: %s", op, err.code, err.message);
    return out;
}

static nb_test_error_t fails(const char *svc, const char *op, const char *in) {
    nb_test_error_t err;
    cr_assert_neq(nb_test_call(h, svc, op, in, NULL, &err), 0, "%s answered", op);
    return err;
}

static void setup(void) {
    nb_test_options_t o = {.services = "secretsmanager,kms", .settings = settings};
    char *why = NULL;
    h = nb_test_new_with(&o, &why);
    cr_assert_not_null(h, "%s", why ? why : "");
}

static void teardown(void) { nb_test_free(h); }

TestSuite(secretsmanager_harness, .init = setup, .fini = teardown);

Test(secretsmanager_harness, deletion_when_the_window_ends) {
    json_decref(call("secretsmanager", "CreateSecret", "{\"Name\":\"w\",\"SecretString\":\"v\"}"));
    json_decref(call("secretsmanager", "DeleteSecret", "{\"SecretId\":\"w\",\"RecoveryWindowInDays\":7}"));
    nb_test_advance(h, 7 * DAY_MS - 2000);
    json_t *d = call("secretsmanager", "DescribeSecret", "{\"SecretId\":\"w\"}");
    cr_assert_not_null(json_object_get(d, "DeletedDate"));
    json_decref(d);
    nb_test_error_t err = fails("secretsmanager", "GetSecretValue", "{\"SecretId\":\"w\"}");
    cr_assert_str_eq(err.code, "InvalidRequestException");
    nb_test_advance(h, 3000);
    err = fails("secretsmanager", "DescribeSecret", "{\"SecretId\":\"w\"}");
    cr_assert_str_eq(err.code, "ResourceNotFoundException");
    cr_assert_str_eq(err.message, "Secrets Manager can't find the specified secret.");
    /* the name is free again */
    json_decref(call("secretsmanager", "CreateSecret", "{\"Name\":\"w\",\"SecretString\":\"again\"}"));
}

Test(secretsmanager_harness, restored_secret_outlives_its_window) {
    json_decref(call("secretsmanager", "CreateSecret", "{\"Name\":\"r\",\"SecretString\":\"v\"}"));
    json_decref(call("secretsmanager", "DeleteSecret", "{\"SecretId\":\"r\",\"RecoveryWindowInDays\":7}"));
    nb_test_advance(h, DAY_MS);
    json_decref(call("secretsmanager", "RestoreSecret", "{\"SecretId\":\"r\"}"));
    nb_test_advance(h, 30 * DAY_MS);
    json_t *v = call("secretsmanager", "GetSecretValue", "{\"SecretId\":\"r\"}");
    cr_assert_str_eq(json_string_value(json_object_get(v, "SecretString")), "v");
    json_decref(v);
}

Test(secretsmanager_harness, last_accessed_is_the_day_of_the_read) {
    json_decref(call("secretsmanager", "CreateSecret", "{\"Name\":\"a\",\"SecretString\":\"v\"}"));
    json_t *d = call("secretsmanager", "DescribeSecret", "{\"SecretId\":\"a\"}");
    cr_assert_null(json_object_get(d, "LastAccessedDate"));
    json_decref(d);
    json_decref(call("secretsmanager", "GetSecretValue", "{\"SecretId\":\"a\"}"));
    d = call("secretsmanager", "DescribeSecret", "{\"SecretId\":\"a\"}");
    double first = json_number_value(json_object_get(d, "LastAccessedDate"));
    json_decref(d);
    cr_assert_gt(first, 0);
    cr_assert_eq(fmod(first, 86400.0), 0.0, "not a day: %f", first);
    nb_test_advance(h, 2 * DAY_MS);
    json_decref(call("secretsmanager", "GetSecretValue", "{\"SecretId\":\"a\"}"));
    d = call("secretsmanager", "DescribeSecret", "{\"SecretId\":\"a\"}");
    cr_assert_eq(json_number_value(json_object_get(d, "LastAccessedDate")), first + 2 * 86400.0);
    json_decref(d);
}

Test(secretsmanager_harness, customer_key_in_process) {
    json_t *k = call("kms", "CreateKey", "{}");
    char key[64], in[256];
    snprintf(key, sizeof key, "%s", json_string_value(json_object_get(json_object_get(k, "KeyMetadata"), "KeyId")));
    json_decref(k);
    snprintf(in, sizeof in, "{\"Name\":\"c\",\"SecretString\":\"sealed\",\"KmsKeyId\":\"%s\"}", key);
    json_decref(call("secretsmanager", "CreateSecret", in));
    json_t *v = call("secretsmanager", "GetSecretValue", "{\"SecretId\":\"c\"}");
    cr_assert_str_eq(json_string_value(json_object_get(v, "SecretString")), "sealed");
    json_decref(v);
    snprintf(in, sizeof in, "{\"KeyId\":\"%s\"}", key);
    json_decref(call("kms", "DisableKey", in));
    nb_test_error_t err = fails("secretsmanager", "GetSecretValue", "{\"SecretId\":\"c\"}");
    cr_assert_str_eq(err.code, "InvalidRequestException");
    cr_assert(strstr(err.message, key) != NULL && strstr(err.message, "is disabled.") != NULL, "%s", err.message);
}
