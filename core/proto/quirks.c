/*
 * Quirk table: protocol quirks per service (see quirks.h for what each field does).
 * The only place in core/proto/ that names a service; tests/e2e/test_core_names_no_service.py
 * keeps it so. A new service with a quirk adds a row here, not a branch in a protocol.
 */
#include "proto/quirks.h"

#include <stddef.h>
#include <string.h>

/* S3 names the root element of these responses after the wire format it predates
 * the model with; botocore's output shapes do not carry the names. */
static const nb__xml_root_name_t s3_roots[] = {
    {"CompleteMultipartUpload", "CompleteMultipartUploadResult"},
    {"CreateMultipartUpload", "InitiateMultipartUploadResult"},
    {"DeleteObjects", "DeleteResult"},
    {"GetBucketAccelerateConfiguration", "AccelerateConfiguration"},
    {"GetBucketAcl", "AccessControlPolicy"},
    {"GetBucketCors", "CORSConfiguration"},
    {"GetBucketLifecycle", "LifecycleConfiguration"},
    {"GetBucketLifecycleConfiguration", "LifecycleConfiguration"},
    {"GetBucketLocation", "LocationConstraint"},
    {"GetBucketLogging", "BucketLoggingStatus"},
    {"GetBucketNotification", "NotificationConfiguration"},
    {"GetBucketNotificationConfiguration", "NotificationConfiguration"},
    {"GetBucketRequestPayment", "RequestPaymentConfiguration"},
    {"GetBucketTagging", "Tagging"},
    {"GetBucketVersioning", "VersioningConfiguration"},
    {"GetBucketWebsite", "WebsiteConfiguration"},
    {"GetObjectAcl", "AccessControlPolicy"},
    {"GetObjectAttributes", "GetObjectAttributesResponse"},
    {"GetObjectTagging", "Tagging"},
    {"ListBucketAnalyticsConfigurations", "ListBucketAnalyticsConfigurationResult"},
    {"ListBucketIntelligentTieringConfigurations", "ListBucketIntelligentTieringConfigurationsOutput"},
    {"ListBucketInventoryConfigurations", "ListInventoryConfigurationsResult"},
    {"ListBucketMetricsConfigurations", "ListMetricsConfigurationsResult"},
    {"ListBuckets", "ListAllMyBucketsResult"},
    {"ListMultipartUploads", "ListMultipartUploadsResult"},
    {"ListObjectVersions", "ListVersionsResult"},
    {"ListObjects", "ListBucketResult"},
    {"ListObjectsV2", "ListBucketResult"},
    {"ListParts", "ListPartsResult"},
    {NULL, NULL},
};

static const nb__proto_quirks_t rows[] = {
    {
        .service = "s3",
        .validation = NB_VALIDATE_PRESENCE_ONLY,
        .request_id_header = "x-amz-request-id",
        .host_id_header = "x-amz-id-2",
        .xml_bare_error = true,
        .xml_timestamp_ms = true,
        .xml_payload_root_member_name = true,
        .xml_namespace = "http://s3.amazonaws.com/doc/2006-03-01/",
        .xml_roots = s3_roots,
        .xml_text_root_op = "GetBucketLocation",
        .xml_text_root_member = "LocationConstraint",
    },
    {.service = "s3-control", .request_id_header = "x-amz-request-id"},
    /* AWS answers SQS's errors with their Smithy namespace ("com.amazonaws.sqs#QueueDoesNotExist");
     * clients keep what follows the '#'. */
    {.service = "sqs", .json_error_namespace = "com.amazonaws.sqs#"},
    /* DynamoDB clients check the body's CRC32 against x-amz-crc32. */
    {.service = "dynamodb", .json_crc32 = true},
    /* SNS predates Coral validation: "Invalid parameter: TopicArn Reason: no value for required parameter". */
    {.service = "sns", .validation = NB_VALIDATE_INVALID_PARAMETER},
    /* the Coral-based query services answer like json ones, with the code ValidationError */
    {.service = "sts", .validation = NB_VALIDATE_CORAL},
    {.service = "iam", .validation = NB_VALIDATE_CORAL},
    {.service = "cloudformation", .validation = NB_VALIDATE_CORAL},
};

static const nb__proto_quirks_t none = {0};

const nb__proto_quirks_t *nb__proto_quirks(const nb__spec_t *spec) {
    const char *name = spec ? (spec->endpoint_prefix ? spec->endpoint_prefix : spec->service) : NULL;
    for (size_t i = 0; name && i < sizeof rows / sizeof *rows; i++)
        if (strcmp(rows[i].service, name) == 0)
            return &rows[i];
    return &none;
}

const char *nb__request_id_header(const nb__spec_t *spec) {
    const char *h = nb__proto_quirks(spec)->request_id_header;
    return h ? h : "x-amzn-RequestId";
}

const char *nb__proto_xml_root_name(const nb__proto_quirks_t *q, const char *op) {
    for (const nb__xml_root_name_t *r = q->xml_roots; r && r->op; r++)
        if (strcmp(r->op, op) == 0)
            return r->root;
    return NULL;
}
