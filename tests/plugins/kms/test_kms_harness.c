/*
 * KMS through the plugin test harness (nimbus/testing.h): the in-process calls other plugins make
 * (Encrypt, Decrypt, GenerateDataKey, DescribeKey answer at once, by every KeyId form), and what
 * time does, with the clock moved instead of slept through: a key pending deletion is deleted when
 * its window ends and not before; an automatic rotation happens when its period ends, and new
 * ciphertexts name the new material version.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nimbus/errno.h"
#include "nimbus/testing.h"

#define HOUR_MS (3600ull * 1000)

static nb_test_t *h;
static char key_id[64];

static const char *const settings[] = {"KMS_DAY_SECONDS=1h", NULL}; /* a KMS day of an hour */

static json_t *call(const char *op, const char *in) {
    json_t *out = NULL;
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "kms", op, in, &out, &err), 0, "%s: %s: %s", op, err.code, err.message);
    return out;
}

static void error_is(const char *op, const char *in, const char *code) {
    nb_test_error_t err;
    cr_assert_neq(nb_test_call(h, "kms", op, in, NULL, &err), 0, "%s answered", op);
    cr_assert_str_eq(err.code, code, "%s: %s", op, err.message);
}

static void setup(void) {
    nb_test_options_t o = {.services = "kms", .settings = settings};
    char *why = NULL;
    h = nb_test_new_with(&o, &why);
    cr_assert_not_null(h, "%s", why ? why : "");
    json_t *out = call("CreateKey", "{}");
    snprintf(key_id, sizeof key_id, "%s", json_string_value(json_object_get(json_object_get(out, "KeyMetadata"), "KeyId")));
    json_decref(out);
    char in[256];
    snprintf(in, sizeof in, "{\"AliasName\":\"alias/app\",\"TargetKeyId\":\"%s\"}", key_id);
    json_decref(call("CreateAlias", in));
}

static void teardown(void) { nb_test_free(h); }

/* The ciphertext of plaintext under KeyId key, as a JSON string (binary). */
static json_t *encrypt(const char *key, const char *plaintext) {
    char in[256];
    snprintf(in, sizeof in, "{\"KeyId\":\"%s\",\"Plaintext\":\"%s\"}", key, plaintext);
    json_t *out = call("Encrypt", in);
    json_t *blob = json_incref(json_object_get(out, "CiphertextBlob"));
    json_decref(out);
    return blob;
}

TestSuite(kms_harness, .init = setup, .fini = teardown);

Test(kms_harness, in_process_calls_take_every_key_id_form) {
    const char *forms[] = {key_id, "alias/app", "arn:aws:kms:us-east-1:000000000000:alias/app", NULL};
    char arn[128];
    snprintf(arn, sizeof arn, "arn:aws:kms:us-east-1:000000000000:key/%s", key_id);
    forms[3] = arn;
    for (int i = 0; i < 4; i++) {
        json_t *blob = encrypt(forms[i], "secret value");
        /* the blob names the key (a binary blob cannot travel in the harness's JSON text input:
         * Decrypt's round trip is e2e_test_kms_crypto_ops's) */
        cr_assert_eq(memcmp(json_string_value(blob) + 1, key_id, 36), 0);
        json_decref(blob);
        char in[256];
        snprintf(in, sizeof in, "{\"KeyId\":\"%s\"}", forms[i]);
        json_t *d = call("DescribeKey", in);
        cr_assert_str_eq(json_string_value(json_object_get(json_object_get(d, "KeyMetadata"), "KeyId")), key_id);
        json_decref(d);
        snprintf(in, sizeof in, "{\"KeyId\":\"%s\",\"KeySpec\":\"AES_256\"}", forms[i]);
        json_t *dk = call("GenerateDataKey", in);
        cr_assert_eq(json_string_length(json_object_get(dk, "Plaintext")), 32);
        json_decref(dk);
    }
}

Test(kms_harness, deletion_happens_when_the_window_ends) {
    char in[128];
    snprintf(in, sizeof in, "{\"KeyId\":\"%s\",\"PendingWindowInDays\":7}", key_id);
    json_decref(call("ScheduleKeyDeletion", in));
    snprintf(in, sizeof in, "{\"KeyId\":\"%s\"}", key_id);
    nb_test_advance(h, 7 * HOUR_MS - 120000); /* two minutes before the end */
    json_t *d = call("DescribeKey", in);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(d, "KeyMetadata"), "KeyState")), "PendingDeletion");
    json_decref(d);
    nb_test_advance(h, 240000);
    json_t *keys = call("ListKeys", "{}");
    cr_assert_eq(json_array_size(json_object_get(keys, "Keys")), 0, "the sweep deleted it");
    json_decref(keys);
    error_is("DescribeKey", in, "NotFoundException");
    error_is("Encrypt", "{\"KeyId\":\"alias/app\",\"Plaintext\":\"x\"}", "NotFoundException"); /* its alias went too */
}

Test(kms_harness, automatic_rotation_at_its_period_keeps_old_ciphertexts) {
    json_t *before = encrypt(key_id, "before");
    char in[128];
    snprintf(in, sizeof in, "{\"KeyId\":\"%s\",\"RotationPeriodInDays\":90}", key_id);
    json_decref(call("EnableKeyRotation", in));
    snprintf(in, sizeof in, "{\"KeyId\":\"%s\"}", key_id);
    nb_test_advance(h, 90 * HOUR_MS - 120000);
    json_t *r = call("ListKeyRotations", in);
    cr_assert_eq(json_array_size(json_object_get(r, "Rotations")), 0, "not yet");
    json_decref(r);
    nb_test_advance(h, 240000);
    r = call("ListKeyRotations", in);
    cr_assert_eq(json_array_size(json_object_get(r, "Rotations")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r, "Rotations"), 0), "RotationType")),
                     "AUTOMATIC");
    json_decref(r);
    json_t *after = encrypt(key_id, "after");
    /* the blobs name material versions 1 and 2 (bytes 37..40, big-endian): the old one is kept,
     * and e2e_test_kms_keys decrypts across a rotation */
    cr_assert_eq((unsigned char)json_string_value(before)[40], 1);
    cr_assert_eq((unsigned char)json_string_value(after)[40], 2);
    json_decref(before);
    json_decref(after);
}
