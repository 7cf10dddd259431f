/* S3 through the plugin test harness (nimbus/testing.h): objects, and a restore of an
 * archived object that completes once its delay has passed on the harness's clock. */
#include <criterion/criterion.h>
#include <string.h>

#include "nimbus/errno.h"
#include "nimbus/testing.h"

static nb_test_t *h;

static void setup(void) {
    h = nb_test_new("s3");
    cr_assert_not_null(h);
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "s3", "CreateBucket", "{\"Bucket\":\"harness-bucket\"}", NULL, &err), 0, "%s: %s", err.code,
                 err.message);
}

static void teardown(void) { nb_test_free(h); }

static json_t *call_ok(const char *op, const char *in) {
    json_t *out = NULL;
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "s3", op, in, &out, &err), 0, "%s: %s: %s", op, err.code, err.message);
    return out;
}

TestSuite(s3_harness, .init = setup, .fini = teardown);

Test(s3_harness, put_get_delete) {
    json_t *put = call_ok("PutObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"k\",\"Body\":\"hello\"}");
    cr_assert_str_eq(json_string_value(json_object_get(put, "ETag")), "\"5d41402abc4b2a76b9719d911017c592\"",
                     "the ETag is the body's MD5");
    json_decref(put);
    json_t *got = call_ok("GetObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"k\"}");
    cr_assert_str_eq(json_string_value(json_object_get(got, "Body")), "hello");
    cr_assert_eq(json_integer_value(json_object_get(got, "ContentLength")), 5);
    json_decref(got);
    json_decref(call_ok("DeleteObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"k\"}"));
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "s3", "GetObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"k\"}", NULL, &err), NB_EINVAL);
    cr_assert_str_eq(err.code, "NoSuchKey");
    cr_assert_eq(err.status, 404);
}

Test(s3_harness, restore_completes_after_its_delay) {
    json_decref(call_ok("PutObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"cold\",\"Body\":\"ice\",\"StorageClass\":\"GLACIER\"}"));
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "s3", "GetObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"cold\"}", NULL, &err), NB_EINVAL);
    cr_assert_str_eq(err.code, "InvalidObjectState");
    cr_assert_eq(err.status, 403);
    json_t *out = NULL;
    cr_assert_eq(nb_test_call(h, "s3", "RestoreObject",
                              "{\"Bucket\":\"harness-bucket\",\"Key\":\"cold\",\"RestoreRequest\":{\"Days\":1}}", &out, &err),
                 0, "%s: %s", err.code, err.message);
    cr_assert_eq(err.status, 202, "a restore started");
    json_decref(out);
    json_t *head = call_ok("HeadObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"cold\"}");
    cr_assert_str_eq(json_string_value(json_object_get(head, "Restore")), "ongoing-request=\"true\"");
    json_decref(head);
    cr_assert_eq(nb_test_call(h, "s3", "GetObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"cold\"}", NULL, &err), NB_EINVAL,
                 "still archived while the restore runs");
    nb_test_advance(h, 3100); /* S3_RESTORE_DELAY: 3 s by default */
    head = call_ok("HeadObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"cold\"}");
    cr_assert(strncmp(json_string_value(json_object_get(head, "Restore")), "ongoing-request=\"false\"", 23) == 0,
              "%s", json_string_value(json_object_get(head, "Restore")));
    json_decref(head);
    json_t *got = call_ok("GetObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"cold\"}");
    cr_assert_str_eq(json_string_value(json_object_get(got, "Body")), "ice");
    json_decref(got);
}
