/* S3 through the plugin test harness (nimbus/testing.h): objects, and a restore of an
 * archived object that completes once its delay has passed on the harness's clock. */
#include <criterion/criterion.h>
#include <string.h>

#include "nimbus/errno.h"
#include "nimbus/testing.h"

static nb_test_t *h;

static void start(const char *services) {
    h = nb_test_new(services);
    cr_assert_not_null(h);
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, "s3", "CreateBucket", "{\"Bucket\":\"harness-bucket\"}", NULL, &err), 0, "%s: %s", err.code,
                 err.message);
}

static void setup(void) { start("s3"); }
static void setup_with_sqs(void) { start("s3,sqs"); }

static void teardown(void) { nb_test_free(h); }

static json_t *call_in(const char *service, const char *op, const char *in) {
    json_t *out = NULL;
    nb_test_error_t err;
    cr_assert_eq(nb_test_call(h, service, op, in, &out, &err), 0, "%s: %s: %s", op, err.code, err.message);
    return out;
}

static json_t *call_ok(const char *op, const char *in) { return call_in("s3", op, in); }

/* The S3 event of the one message the queue holds now (NULL if none), deleted from it. */
static json_t *next_event(const char *url) {
    char in[256];
    snprintf(in, sizeof in, "{\"QueueUrl\":\"%s\"}", url);
    json_t *got = call_in("sqs", "ReceiveMessage", in);
    json_t *m = json_array_get(json_object_get(got, "Messages"), 0);
    json_t *event = m ? json_loads(json_string_value(json_object_get(m, "Body")), 0, NULL) : NULL;
    if (m) {
        snprintf(in, sizeof in, "{\"QueueUrl\":\"%s\",\"ReceiptHandle\":\"%s\"}", url,
                 json_string_value(json_object_get(m, "ReceiptHandle")));
        json_decref(call_in("sqs", "DeleteMessage", in));
    }
    json_decref(got);
    return event;
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

/* Notifications go from S3 to SQS in-process (nb_call from a timer after the commit): the
 * harness runs both plugins, and nb_test_run delivers what is due now. */
Test(s3_notify_harness, object_created_event_reaches_the_queue, .init = setup_with_sqs, .fini = teardown) {
    json_t *q = call_in("sqs", "CreateQueue", "{\"QueueName\":\"events\"}");
    char url[256];
    snprintf(url, sizeof url, "%s", json_string_value(json_object_get(q, "QueueUrl")));
    json_decref(q);
    json_decref(call_ok("PutBucketNotificationConfiguration",
                        "{\"Bucket\":\"harness-bucket\",\"NotificationConfiguration\":{\"QueueConfigurations\":"
                        "[{\"QueueArn\":\"arn:aws:sqs:us-east-1:000000000000:events\",\"Events\":[\"s3:ObjectCreated:*\"]}]}}"));
    json_t *test_event = next_event(url);
    cr_assert_str_eq(json_string_value(json_object_get(test_event, "Event")), "s3:TestEvent");
    json_decref(test_event);
    json_decref(call_ok("PutObject", "{\"Bucket\":\"harness-bucket\",\"Key\":\"new\",\"Body\":\"x\"}"));
    nb_test_run(h);
    json_t *event = next_event(url);
    cr_assert_not_null(event, "the event was delivered");
    json_t *record = json_array_get(json_object_get(event, "Records"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(record, "eventName")), "ObjectCreated:Put");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(record, "s3"), "object"), "key")),
                     "new");
    json_decref(event);
}
