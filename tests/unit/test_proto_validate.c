/* Input validation: the exact error each protocol family answers with. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "proto/proto.h"

static const char *SPEC_JSON =
    "{\"metadata\":{\"protocol\":\"json\",\"jsonVersion\":\"1.0\",\"apiVersion\":\"2020-01-01\","
    "  \"targetPrefix\":\"Sample\",\"endpointPrefix\":\"sample\"},"
    " \"operations\":{\"Make\":{\"name\":\"Make\",\"http\":{\"method\":\"POST\",\"requestUri\":\"/\"},"
    "   \"input\":{\"shape\":\"MakeInput\"}}},"
    " \"shapes\":{"
    "  \"MakeInput\":{\"type\":\"structure\",\"required\":[\"TableName\",\"Mode\"],\"members\":{"
    "    \"TableName\":{\"shape\":\"Name\"},\"Mode\":{\"shape\":\"Mode\"},\"Limit\":{\"shape\":\"Limit\"},"
    "    \"Items\":{\"shape\":\"Items\"},\"Tags\":{\"shape\":\"Tags\"},\"Data\":{\"shape\":\"Data\"},"
    "    \"SSESpec\":{\"shape\":\"Spec\"},\"Flag\":{\"shape\":\"Flag\"},"
    "    \"Ratio\":{\"shape\":\"Ratio\"},\"Secret\":{\"shape\":\"Secret\"}}},"
    "  \"Secret\":{\"type\":\"string\",\"min\":4,\"sensitive\":true},"
    "  \"Ratio\":{\"type\":\"double\",\"min\":0.5},"
    "  \"Name\":{\"type\":\"string\",\"min\":3,\"max\":5},"
    "  \"Mode\":{\"type\":\"string\",\"enum\":[\"A\",\"B\"]},"
    "  \"Limit\":{\"type\":\"integer\",\"min\":1,\"max\":10},"
    "  \"Items\":{\"type\":\"list\",\"member\":{\"shape\":\"Item\"},\"min\":1},"
    "  \"Item\":{\"type\":\"structure\",\"required\":[\"Key\"],\"members\":{\"Key\":{\"shape\":\"Name\"},"
    "    \"Kind\":{\"shape\":\"Mode\"}}},"
    "  \"Tags\":{\"type\":\"map\",\"key\":{\"shape\":\"Name\"},\"value\":{\"shape\":\"Limit\"},\"max\":1},"
    "  \"Data\":{\"type\":\"blob\",\"max\":2},"
    "  \"Spec\":{\"type\":\"structure\",\"members\":{\"SSEType\":{\"shape\":\"Mode\"}}},"
    "  \"Flag\":{\"type\":\"boolean\"}}}";

static nb__spec_t *spec;

static nb__spec_t *spec_with_protocol(const char *protocol) {
    json_t *root = json_loads(SPEC_JSON, 0, NULL);
    cr_assert_not_null(root);
    json_object_set_new(json_object_get(root, "metadata"), "protocol", json_string(protocol));
    char *err = NULL;
    nb__spec_t *s = nb__spec_from_json(root, "sample", &err);
    cr_assert_not_null(s, "%s", err ? err : "");
    return s;
}

static void setup(void) { spec = spec_with_protocol("json"); }
static void teardown(void) { nb__spec_free(spec); }

TestSuite(validate, .init = setup, .fini = teardown);

/* Validates input (JSON text) and checks code and message (or its start); want_code NULL = valid. */
static void expect_msg(const nb__spec_t *s, nb__protocol_t proto, const char *op, const char *input,
                       const char *want_code, const char *want_message, bool prefix_only) {
    json_t *in = json_loads(input, JSON_ALLOW_NUL, NULL);
    cr_assert_not_null(in, "bad test input %s", input);
    nb__aws_error_t err = {0};
    int rc = nb__proto_validate(s, nb__spec_op(s, op), proto, in, &err);
    json_decref(in);
    if (want_code == NULL) {
        cr_assert_eq(rc, 0, "unexpected %s: %s", err.code, err.message);
        cr_assert_null(err.code);
        return;
    }
    cr_assert_eq(rc, NB_EINVAL, "input %s passed", input);
    cr_assert_str_eq(err.code, want_code);
    cr_assert_eq(err.status, 400);
    cr_assert(err.sender);
    if (prefix_only)
        cr_assert(strncmp(err.message, want_message, strlen(want_message)) == 0, "message %s", err.message);
    else
        cr_assert_str_eq(err.message, want_message);
    nb__aws_error_clear(&err);
}

static void expect(const nb__spec_t *s, nb__protocol_t proto, const char *op, const char *input,
                   const char *want_code, const char *want_message) {
    expect_msg(s, proto, op, input, want_code, want_message, false);
}

#define NULL_AT(p) "Value null at '" p "' failed to satisfy constraint: Member must not be null"

Test(validate, valid_input_passes) {
    expect(spec, NB_PROTO_JSON, "Make",
           "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Limit\":10,\"Items\":[{\"Key\":\"abcde\",\"Kind\":\"B\"}],"
           "\"Tags\":{\"tag\":1},\"Data\":\"xy\",\"Flag\":false}",
           NULL, NULL);
}

Test(validate, missing_required_member) {
    expect(spec, NB_PROTO_JSON, "Make", "{\"Mode\":\"A\"}", "ValidationException",
           "1 validation error detected: " NULL_AT("tableName"));
    /* an explicit null is missing too */
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":null,\"Mode\":\"A\"}", "ValidationException",
           "1 validation error detected: " NULL_AT("tableName"));
}

Test(validate, several_errors_are_counted_and_joined) {
    expect(spec, NB_PROTO_JSON, "Make", "{}", "ValidationException",
           "2 validation errors detected: " NULL_AT("tableName") "; " NULL_AT("mode"));
}

Test(validate, enum_values) {
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"C\",\"SSESpec\":{\"SSEType\":\"x\"}}",
           "ValidationException",
           "2 validation errors detected: "
           "Value 'C' at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [A, B]; "
           "Value 'x' at 'sSESpec.sSEType' failed to satisfy constraint: Member must satisfy enum value set: [A, B]");
}

Test(validate, lengths_of_strings_lists_maps_and_blobs) {
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"ab\",\"Mode\":\"A\"}", "ValidationException",
           "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: "
           "Member must have length greater than or equal to 3");
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abcdef\",\"Mode\":\"A\"}", "ValidationException",
           "1 validation error detected: Value 'abcdef' at 'tableName' failed to satisfy constraint: "
           "Member must have length less than or equal to 5");
    /* lengths count UTF-16 units like AWS's Java: 5 characters, one outside the BMP */
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"Mode\":\"A\"}", NULL,
           NULL);
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abcd\xf0\x9f\x98\x80\",\"Mode\":\"A\"}",
           "ValidationException",
           "1 validation error detected: Value 'abcd\xf0\x9f\x98\x80' at 'tableName' failed to satisfy constraint: "
           "Member must have length less than or equal to 5");
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Items\":[]}", "ValidationException",
           "1 validation error detected: Value '[]' at 'items' failed to satisfy constraint: "
           "Member must have length greater than or equal to 1");
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Tags\":{\"abc\":1,\"def\":2}}",
           "ValidationException",
           "1 validation error detected: Value '{abc=1, def=2}' at 'tags' failed to satisfy constraint: "
           "Member must have length less than or equal to 1");
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Data\":\"xyz\"}",
           "ValidationException",
           "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]' at 'data' failed to "
           "satisfy constraint: Member must have length less than or equal to 2");
}

Test(validate, numeric_ranges) {
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Limit\":0}", "ValidationException",
           "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
           "Member must have value greater than or equal to 1");
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Limit\":11}", "ValidationException",
           "1 validation error detected: Value '11' at 'limit' failed to satisfy constraint: "
           "Member must have value less than or equal to 10");
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Ratio\":0.25}", "ValidationException",
           "1 validation error detected: Value '0.25' at 'ratio' failed to satisfy constraint: "
           "Member must have value greater than or equal to 0.5");
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Ratio\":\"Infinity\"}", NULL, NULL);
}

Test(validate, nested_paths_in_lists_and_maps) {
    expect(spec, NB_PROTO_JSON, "Make",
           "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Items\":[{\"Key\":\"abc\"},{\"Kind\":\"Z\"}],\"Tags\":{\"t\":0}}",
           "ValidationException",
           "4 validation errors detected: " NULL_AT("items.2.member.key")
           "; Value 'Z' at 'items.2.member.kind' failed to satisfy constraint: Member must satisfy enum value set: "
           "[A, B]"
           "; Value 't' at 'tags.t.member' failed to satisfy constraint: Member must have length greater than or "
           "equal to 3"
           "; Value '0' at 'tags.t.member' failed to satisfy constraint: Member must have value greater than or "
           "equal to 1");
}

Test(validate, wrong_types) {
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":7,\"Mode\":\"A\",\"Flag\":\"yes\"}", "ValidationException",
           "2 validation errors detected: Value '7' at 'tableName' failed to satisfy constraint: Member must be of "
           "type string; Value 'yes' at 'flag' failed to satisfy constraint: Member must be of type boolean");
}

Test(validate, rest_json_and_cbor_answer_like_json) {
    nb__spec_t *s = spec_with_protocol("rest-json");
    expect(s, NB_PROTO_REST_JSON, "Make", "{\"Mode\":\"A\"}", "ValidationException",
           "1 validation error detected: " NULL_AT("tableName"));
    nb__spec_free(s);
    s = spec_with_protocol("smithy-rpc-v2-cbor");
    expect(s, NB_PROTO_CBOR, "Make", "{\"Mode\":\"A\"}", "ValidationException",
           "1 validation error detected: " NULL_AT("tableName"));
    nb__spec_free(s);
}

Test(validate, ec2_reports_the_first_problem) {
    nb__spec_t *s = spec_with_protocol("ec2");
    expect(s, NB_PROTO_EC2, "Make", "{\"Mode\":\"A\"}", "MissingParameter",
           "The request must contain the parameter TableName");
    /* a missing parameter wins over a bad value found before it */
    expect(s, NB_PROTO_EC2, "Make", "{\"Limit\":0}", "MissingParameter",
           "The request must contain the parameter TableName");
    expect(s, NB_PROTO_EC2, "Make", "{\"TableName\":\"abc\",\"Mode\":\"X\"}", "InvalidParameterValue",
           "Value (X) for parameter Mode is invalid. Reason: Must be one of: A, B.");
    nb__spec_free(s);
}

/* ---- shipped specs ---- */

static nb__spec_t *load_spec(const char *svc, const char *version) {
    char path[512];
    snprintf(path, sizeof path, NB_SOURCE_DIR "/specs/%s/%s/service-2.json", svc, version);
    char *err = NULL;
    nb__spec_t *s = nb__spec_load(path, svc, &err);
    cr_assert_not_null(s, "%s", err ? err : "");
    return s;
}

Test(validate, dynamodb_create_table) {
    nb__spec_t *s = load_spec("dynamodb", "2012-08-10");
    /* botocore 1.43's CreateTable requires TableName only (AttributeDefinitions and KeySchema
     * became optional there); PutItem keeps two required members for the count */
    expect(s, NB_PROTO_JSON, "CreateTable", "{}", "ValidationException",
           "1 validation error detected: " NULL_AT("tableName"));
    expect(s, NB_PROTO_JSON, "PutItem", "{}", "ValidationException",
           "2 validation errors detected: " NULL_AT("tableName") "; " NULL_AT("item"));
    expect(s, NB_PROTO_JSON, "CreateTable",
           "{\"TableName\":\"\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
           "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH1\"}]}",
           "ValidationException",
           /* 1.43: TableName is a TableArn (a name or an ARN), of 1 to 1024 characters */
           "2 validation errors detected: Value '' at 'tableName' failed to satisfy constraint: Member must have "
           "length greater than or equal to 1; Value 'HASH1' at 'keySchema.1.member.keyType' failed to satisfy "
           "constraint: Member must satisfy enum value set: [HASH, RANGE]");
    expect(s, NB_PROTO_JSON, "CreateTable",
           "{\"TableName\":\"t10\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
           "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}",
           NULL, NULL);
    expect(s, NB_PROTO_JSON, "Scan", "{\"TableName\":\"t10\",\"Limit\":0}", "ValidationException",
           "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value "
           "greater than or equal to 1");
    nb__spec_free(s);
}

Test(validate, sqs_in_query_and_json) {
    nb__spec_t *s = load_spec("sqs", "2012-11-05");
    expect(s, NB_PROTO_QUERY, "CreateQueue", "{}", "MissingParameter",
           "The request must contain the parameter QueueName.");
    /* SQS is awsQueryCompatible: its json protocol answers with the query codes */
    expect(s, NB_PROTO_JSON, "CreateQueue", "{\"Attributes\":{\"DelaySeconds\":\"0\"}}", "MissingParameter",
           "The request must contain the parameter QueueName.");
    expect(s, NB_PROTO_QUERY, "ReceiveMessage", "{\"QueueUrl\":\"http://x/000000000000/q\",\"MaxNumberOfMessages\":10}",
           NULL, NULL);
    expect(s, NB_PROTO_JSON, "SendMessageBatch",
           "{\"QueueUrl\":\"http://x/000000000000/q\",\"Entries\":[{\"Id\":\"1\",\"MessageBody\":\"b\"},{\"Id\":\"2\"}]}",
           "MissingParameter", "The request must contain the parameter SendMessageBatchRequestEntry.2.MessageBody.");
    /* attribute names are the SQS plugin's to check (AWS answers InvalidAttributeName): the
     * overlay makes the map's key a plain string, so the core lets unknown names through */
    expect(s, NB_PROTO_QUERY, "CreateQueue",
           "{\"QueueName\":\"q\",\"Attributes\":{\"DelaySeconds\":\"0\",\"Bogus\":\"1\"}}", NULL, NULL);
    nb__spec_free(s);
}

Test(validate, s3_checks_presence_only) {
    nb__spec_t *s = load_spec("s3", "2006-03-01");
    expect(s, NB_PROTO_REST_XML, "DeleteObjects", "{\"Bucket\":\"b\"}", "MalformedXML",
           "The XML you provided was not well-formed or did not validate against our published schema");
    expect(s, NB_PROTO_REST_XML, "DeleteObjects", "{\"Bucket\":\"b\",\"Delete\":{}}", "MalformedXML",
           "The XML you provided was not well-formed or did not validate against our published schema");
    expect(s, NB_PROTO_REST_XML, "CompleteMultipartUpload", "{\"Bucket\":\"b\",\"Key\":\"k\"}", "InvalidArgument",
           "uploadId must be specified");
    expect(s, NB_PROTO_REST_XML, "PutObject", "{\"Bucket\":\"b\",\"Key\":\"k\",\"StorageClass\":\"NOPE\"}", NULL,
           NULL);
    nb__spec_free(s);
}

/* A plugin reads names as C strings: one holding a NUL would name something shorter. */
Test(validate, a_nul_in_a_string_or_map_key_is_refused_in_every_style) {
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"ab\\u0000c\",\"Mode\":\"A\"}", "ValidationException",
           "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must not "
           "contain a NUL character");
    nb__spec_t *s3 = load_spec("s3", "2006-03-01");
    expect(s3, NB_PROTO_REST_XML, "GetObject", "{\"Bucket\":\"bkt\\u0000x\",\"Key\":\"k\"}", "InvalidBucketName",
           "The specified bucket is not valid.");
    expect(s3, NB_PROTO_REST_XML, "DeleteObject", "{\"Bucket\":\"bkt\",\"Key\":\"important\\u0000.tmp\"}",
           "InvalidArgument", "Key must not contain a NUL character");
    expect(s3, NB_PROTO_REST_XML, "ListObjectsV2", "{\"Bucket\":\"bkt\",\"Prefix\":\"a\\u0000\"}", "InvalidArgument",
           "prefix must not contain a NUL character");
    nb__spec_free(s3);
    nb__spec_t *sqs = load_spec("sqs", "2012-11-05");
    expect(sqs, NB_PROTO_QUERY, "GetQueueUrl", "{\"QueueName\":\"q\\u0000x\"}", "InvalidParameterValue",
           "Value q for parameter QueueName is invalid. Reason: Must not contain a NUL character.");
    /* a map key too (message attribute names, as the query protocol's decoder builds them: jansson's
     * own parser refuses a NUL in a key) */
    json_t *in = json_pack("{s:s,s:s,s:{}}", "QueueUrl", "http://x/000000000000/q", "MessageBody", "m",
                           "MessageAttributes");
    json_object_setn_new(json_object_get(in, "MessageAttributes"), "a\0b", 3,
                         json_pack("{s:s,s:s}", "DataType", "String", "StringValue", "v"));
    nb__aws_error_t err = {0};
    cr_assert_eq(nb__proto_validate(sqs, nb__spec_op(sqs, "SendMessage"), NB_PROTO_QUERY, in, &err), NB_EINVAL);
    cr_assert_str_eq(err.code, "InvalidParameterValue");
    cr_assert(strstr(err.message, "Must not contain a NUL character"), "%s", err.message);
    nb__aws_error_clear(&err);
    json_decref(in);
    /* the overlay lets a message body keep its NUL: SQS answers InvalidMessageContents itself */
    expect(sqs, NB_PROTO_JSON, "SendMessage", "{\"QueueUrl\":\"http://x/000000000000/q\",\"MessageBody\":\"a\\u0000b\"}",
           NULL, NULL);
    nb__spec_free(sqs);
}

Test(validate, sns_answers_invalid_parameter) {
    nb__spec_t *s = load_spec("sns", "2010-03-31");
    expect(s, NB_PROTO_QUERY, "Publish", "{\"TopicArn\":\"arn:aws:sns:us-east-1:000000000000:t\"}", "InvalidParameter",
           "Invalid parameter: Message Reason: no value for required parameter");
    expect(s, NB_PROTO_QUERY, "CreateTopic", "{\"Name\":\"t\"}", NULL, NULL);
    nb__spec_free(s);
}

Test(validate, sts_answers_like_coral_with_validation_error) {
    nb__spec_t *s = load_spec("sts", "2011-06-15");
    expect(s, NB_PROTO_QUERY, "AssumeRole", "{}", "ValidationError",
           "2 validation errors detected: " NULL_AT("roleArn") "; " NULL_AT("roleSessionName"));
    expect(s, NB_PROTO_QUERY, "AssumeRole",
           "{\"RoleArn\":\"arn:aws:iam::000000000000:role/r\",\"RoleSessionName\":"
           "\"sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\"}",
           "ValidationError",
           "1 validation error detected: Value 'sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss' at "
           "'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64");
    nb__spec_free(s);
}

/* AWS does not echo a value its spec marks sensitive (Cognito: "Value at 'username' failed
 * to satisfy constraint: ..."): the answer and the logs that keep it never hold the secret. */
Test(validate, sensitive_value_is_not_echoed) {
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"abc\",\"Mode\":\"A\",\"Secret\":\"hun\"}",
           "ValidationException",
           "1 validation error detected: Value at 'secret' failed to satisfy constraint: Member must have length "
           "greater than or equal to 4");
    /* the same rule on a member that is not sensitive shows its value */
    expect(spec, NB_PROTO_JSON, "Make", "{\"TableName\":\"ab\",\"Mode\":\"A\"}", "ValidationException",
           "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have "
           "length greater than or equal to 3");
}
