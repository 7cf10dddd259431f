/* Every S3 operation's success status as AWS's API reference documents it, against what the
 * spec (botocore's service-2.json with Nimbus's overlay) gives the REST serializer. An operation
 * added to the spec must be added here, with the status its documentation gives. */
#include <criterion/criterion.h>
#include <string.h>

#include "spec/spec.h"

static const struct {
    const char *op;
    int status;
} documented[] = {
    {"AbortMultipartUpload", 204},
    {"CompleteMultipartUpload", 200},
    {"CopyObject", 200},
    {"CreateBucket", 200},
    {"CreateMultipartUpload", 200},
    {"DeleteBucket", 204},
    {"DeleteBucketAnalyticsConfiguration", 204},
    {"DeleteBucketCors", 204},
    {"DeleteBucketEncryption", 204},
    {"DeleteBucketIntelligentTieringConfiguration", 204},
    {"DeleteBucketInventoryConfiguration", 204},
    {"DeleteBucketLifecycle", 204},
    {"DeleteBucketMetricsConfiguration", 204},
    {"DeleteBucketOwnershipControls", 204},
    {"DeleteBucketPolicy", 204},
    {"DeleteBucketReplication", 204},
    {"DeleteBucketTagging", 204},
    {"DeleteBucketWebsite", 204},
    {"DeleteObject", 204},
    {"DeleteObjectTagging", 204},
    {"DeleteObjects", 200},
    {"DeletePublicAccessBlock", 204},
    {"GetBucketAccelerateConfiguration", 200},
    {"GetBucketAcl", 200},
    {"GetBucketAnalyticsConfiguration", 200},
    {"GetBucketCors", 200},
    {"GetBucketEncryption", 200},
    {"GetBucketIntelligentTieringConfiguration", 200},
    {"GetBucketInventoryConfiguration", 200},
    {"GetBucketLifecycle", 200},
    {"GetBucketLifecycleConfiguration", 200},
    {"GetBucketLocation", 200},
    {"GetBucketLogging", 200},
    {"GetBucketMetricsConfiguration", 200},
    {"GetBucketNotification", 200},
    {"GetBucketNotificationConfiguration", 200},
    {"GetBucketOwnershipControls", 200},
    {"GetBucketPolicy", 200},
    {"GetBucketPolicyStatus", 200},
    {"GetBucketReplication", 200},
    {"GetBucketRequestPayment", 200},
    {"GetBucketTagging", 200},
    {"GetBucketVersioning", 200},
    {"GetBucketWebsite", 200},
    {"GetObject", 200},              /* 206 with Range or partNumber: the handler */
    {"GetObjectAcl", 200},
    {"GetObjectAttributes", 200},
    {"GetObjectLegalHold", 200},
    {"GetObjectLockConfiguration", 200},
    {"GetObjectRetention", 200},
    {"GetObjectTagging", 200},
    {"GetObjectTorrent", 200},
    {"GetPublicAccessBlock", 200},
    {"HeadBucket", 200},
    {"HeadObject", 200},             /* 206 with Range or partNumber: the handler */
    {"ListBucketAnalyticsConfigurations", 200},
    {"ListBucketIntelligentTieringConfigurations", 200},
    {"ListBucketInventoryConfigurations", 200},
    {"ListBucketMetricsConfigurations", 200},
    {"ListBuckets", 200},
    {"ListMultipartUploads", 200},
    {"ListObjectVersions", 200},
    {"ListObjects", 200},
    {"ListObjectsV2", 200},
    {"ListParts", 200},
    {"PostObject", 204},             /* success_action_status may ask 200 or 201 */
    {"PreflightBucket", 200},
    {"PreflightObject", 200},
    {"PutBucketAccelerateConfiguration", 200},
    {"PutBucketAcl", 200},
    {"PutBucketAnalyticsConfiguration", 200},
    {"PutBucketCors", 200},
    {"PutBucketEncryption", 200},
    {"PutBucketIntelligentTieringConfiguration", 200},
    {"PutBucketInventoryConfiguration", 200},
    {"PutBucketLifecycle", 200},
    {"PutBucketLifecycleConfiguration", 200},
    {"PutBucketLogging", 200},
    {"PutBucketMetricsConfiguration", 204}, /* overlay: botocore says 200 */
    {"PutBucketNotification", 200},
    {"PutBucketNotificationConfiguration", 200},
    {"PutBucketOwnershipControls", 200},
    {"PutBucketPolicy", 204},        /* overlay: botocore says 200 */
    {"PutBucketReplication", 200},
    {"PutBucketRequestPayment", 200},
    {"PutBucketTagging", 204},       /* overlay: botocore says 200 */
    {"PutBucketVersioning", 200},
    {"PutBucketWebsite", 200},
    {"PutObject", 200},
    {"PutObjectAcl", 200},
    {"PutObjectLegalHold", 200},
    {"PutObjectLockConfiguration", 200},
    {"PutObjectRetention", 200},
    {"PutObjectTagging", 200},
    {"PutPublicAccessBlock", 200},
    {"RestoreObject", 200},          /* 202 when a restore starts: the handler */
    {"SelectObjectContent", 200},
    {"UploadPart", 200},
    {"UploadPartCopy", 200},
    {"WriteGetObjectResponse", 200},
    /* added by botocore 1.43's spec */
    {"CreateBucketMetadataConfiguration", 200},
    {"CreateBucketMetadataTableConfiguration", 200},
    {"CreateSession", 200},
    {"DeleteBucketMetadataConfiguration", 204},          /* AWS: 204 No Content */
    {"DeleteBucketMetadataTableConfiguration", 204},          /* AWS: 204 No Content */
    {"GetBucketAbac", 200},
    {"GetBucketMetadataConfiguration", 200},
    {"GetBucketMetadataTableConfiguration", 200},
    {"ListDirectoryBuckets", 200},
    {"PutBucketAbac", 200},
    {"RenameObject", 200},
    {"UpdateBucketMetadataInventoryTableConfiguration", 200},
    {"UpdateBucketMetadataJournalTableConfiguration", 200},
    {"UpdateObjectEncryption", 200},
};

static nb__spec_set_t set;

static void load(void) {
    char *err = NULL;
    cr_assert_eq(nb__spec_set_load_dir(&set, NB_SOURCE_DIR "/specs", &err), 0, "%s", err ? err : "");
    cr_assert_eq(nb__spec_set_read_shipped(&set, &err), 0, "%s", err ? err : "");
}
static void unload(void) { nb__spec_set_free(&set); }

TestSuite(s3_statuses, .init = load, .fini = unload);

Test(s3_statuses, every_operation_answers_its_documented_success_status) {
    const nb__spec_t *s3 = nb__spec_set_find(&set, "s3");
    cr_assert_not_null(s3);
    int wrong = 0;
    for (size_t i = 0; i < sizeof documented / sizeof *documented; i++) {
        const nb__spec_op_t *op = nb__spec_op(s3, documented[i].op);
        cr_expect_not_null(op, "%s: not in the spec", documented[i].op);
        if (op && op->response_code != documented[i].status) {
            cr_log_error("%s: the spec gives %d, AWS documents %d", documented[i].op, op->response_code,
                         documented[i].status);
            wrong++;
        }
    }
    cr_assert_eq(wrong, 0);
}

Test(s3_statuses, the_table_names_every_operation_of_the_spec) {
    const nb__spec_t *s3 = nb__spec_set_find(&set, "s3");
    cr_assert_not_null(s3);
    cr_assert_eq(s3->nops, sizeof documented / sizeof *documented);
    for (size_t i = 0; i < s3->nops; i++) {
        bool listed = false;
        for (size_t j = 0; j < sizeof documented / sizeof *documented && !listed; j++)
            listed = strcmp(documented[j].op, s3->ops[i].name) == 0;
        cr_expect(listed, "%s: no documented status in the table", s3->ops[i].name);
    }
}
