/* The router: which service, protocol and operation a request is for, case by case. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nimbus/errno.h"
#include "router/raw_request.h"
#include "router/router.h"
#include "spec/spec.h"

#include "support/router_fixture.h"

TestSuite(router, .init = router_fx_setup, .fini = router_fx_teardown);

typedef struct result {
    int rc;
    char service[64];
    char op[128];
    nb__protocol_t protocol;
} result_t;

static result_t route_raw(const nb__router_t *r, const char *raw) {
    nb__http_request_t req;
    cr_assert_eq(nb_test_request(raw, &req), 0, "bad test request: %s", raw);
    nb__route_t route;
    result_t res = {0};
    res.rc = nb__router_route(r, &req, &route);
    snprintf(res.service, sizeof res.service, "%s", route.spec ? route.spec->service : "");
    snprintf(res.op, sizeof res.op, "%s", route.op ? route.op->name : "");
    res.protocol = route.protocol;
    nb__http_request_free(&req);
    return res;
}

static result_t route(const char *raw) { return route_raw(router, raw); }

#define AUTH(svc)                                                                                                  \
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/" svc                                      \
    "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n"

#define assert_routed(res, svc, opname, proto)                                                                     \
    do {                                                                                                           \
        result_t r_ = (res);                                                                                       \
        cr_assert_str_eq(r_.service, svc);                                                                         \
        cr_assert_str_eq(r_.op, opname);                                                                           \
        cr_assert_eq(r_.rc, 0);                                                                                    \
        cr_assert_str_eq(nb__protocol_name(r_.protocol), proto);                                                   \
    } while (0)

/* ---- service detection ---- */

Test(router, signing_name_picks_the_service) {
    assert_routed(route("POST / HTTP/1.1\r\nHost: localhost:4566\r\n" AUTH("sts")
                        "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n\r\n"
                        "Action=GetCallerIdentity&Version=2011-06-15"),
                  "sts", "GetCallerIdentity", "query");
    /* the same Action under another signing name goes to that service */
    assert_routed(route("POST / HTTP/1.1\r\nHost: localhost:4566\r\n" AUTH("sns")
                        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                        "Action=ListTopics&Version=2010-03-31"),
                  "sns", "ListTopics", "query");
}

Test(router, signing_name_in_presigned_query) {
    assert_routed(route("GET /b1/k1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261124%2Feu-west-1%2Fs3%"
                        "2Faws4_request&X-Amz-Date=20261124T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-"
                        "Signature=00 HTTP/1.1\r\nHost: localhost:4566\r\n\r\n"),
                  "s3", "GetObject", "rest-xml");
}

Test(router, target_prefix_without_auth) {
    assert_routed(route("POST / HTTP/1.1\r\nHost: localhost:4566\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
                        "Content-Type: application/x-amz-json-1.0\r\n\r\n{}"),
                  "dynamodb", "ListTables", "json");
    assert_routed(route("POST / HTTP/1.1\r\nHost: localhost:4566\r\nx-amz-target: Kinesis_20131202.ListStreams\r\n"
                        "content-type: application/x-amz-json-1.1\r\n\r\n{}"),
                  "kinesis", "ListStreams", "json");
}

Test(router, sqs_speaks_query_and_json) {
    assert_routed(route("POST / HTTP/1.1\r\nHost: localhost:4566\r\n" AUTH("sqs")
                        "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n\r\n"
                        "Action=ListQueues&Version=2012-11-05"),
                  "sqs", "ListQueues", "query");
    assert_routed(route("POST / HTTP/1.1\r\nHost: localhost:4566\r\n" AUTH("sqs")
                        "X-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\n"
                        "x-amzn-query-mode: true\r\n\r\n{}"),
                  "sqs", "ListQueues", "json");
    /* json without a signature: the target prefix alone */
    assert_routed(route("POST / HTTP/1.1\r\nHost: localhost:4566\r\nX-Amz-Target: AmazonSQS.SendMessage\r\n"
                        "Content-Type: application/x-amz-json-1.0\r\n\r\n{}"),
                  "sqs", "SendMessage", "json");
}

Test(router, sqs_queue_url_path) {
    /* no signature: the path /<account>/<queue> says SQS, the form or target the protocol */
    assert_routed(route("POST /000000000000/q1 HTTP/1.1\r\nHost: localhost:4566\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                        "Action=SendMessage&MessageBody=hi"),
                  "sqs", "SendMessage", "query");
    assert_routed(route("POST /000000000000/q1 HTTP/1.1\r\nHost: localhost:4566\r\n"
                        "X-Amz-Target: AmazonSQS.ReceiveMessage\r\nContent-Type: application/x-amz-json-1.0\r\n\r\n"
                        "{}"),
                  "sqs", "ReceiveMessage", "json");
    assert_routed(route("POST /queue/us-east-1/123456789012/q1 HTTP/1.1\r\nHost: localhost:4566\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=DeleteQueue"),
                  "sqs", "DeleteQueue", "query");
}

Test(router, account_like_bucket_is_not_a_queue) {
    assert_routed(route("GET /000000000000/k1 HTTP/1.1\r\nHost: localhost:4566\r\n\r\n"), "s3", "GetObject",
                  "rest-xml");
}

Test(router, action_in_query_string_for_get) {
    assert_routed(route("GET /000000000000/q1?Action=ReceiveMessage&MaxNumberOfMessages=1 HTTP/1.1\r\n"
                        "Host: localhost:4566\r\n\r\n"),
                  "sqs", "ReceiveMessage", "query");
    assert_routed(route("GET /?Action=ListTopics&Version=2010-03-31 HTTP/1.1\r\nHost: localhost:4566\r\n\r\n"), "sns",
                  "ListTopics", "query");
}

Test(router, action_and_version_without_auth) {
    assert_routed(route("POST / HTTP/1.1\r\nHost: localhost:4566\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                        "Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=b"),
                  "sts", "AssumeRole", "query");
}

Test(router, cbor_path) {
    /* no shipped spec speaks rpc-v2-cbor: build one */
    json_t *doc = json_pack("{s:{s:s,s:s,s:s,s:s,s:s},s:{s:{s:{s:s,s:s},s:{s:s}}},s:{s:{s:s}}}", "metadata",
                            "apiVersion", "2010-08-01", "endpointPrefix", "monitoring", "protocol",
                            "smithy-rpc-v2-cbor", "targetPrefix", "GraniteServiceVersion20100801", "serviceId",
                            "CloudWatch", "operations", "ListMetrics", "http", "method", "POST", "requestUri", "/",
                            "input", "shape", "ListMetricsInput", "shapes", "ListMetricsInput", "type", "structure");
    nb__spec_t *spec = nb__spec_from_json(doc, "cloudwatch", NULL);
    cr_assert_not_null(spec);
    nb__spec_t *items[] = {spec};
    nb__spec_set_t one = {items, 1};
    nb__router_t *r = nb__router_new(&one);
    assert_routed(route_raw(r, "POST /service/GraniteServiceVersion20100801/operation/ListMetrics HTTP/1.1\r\n"
                               "Host: localhost:4566\r\nSmithy-Protocol: rpc-v2-cbor\r\n"
                               "Content-Type: application/cbor\r\n\r\n"),
                  "cloudwatch", "ListMetrics", "smithy-rpc-v2-cbor");
    result_t unknown = route_raw(r, "POST /service/GraniteServiceVersion20100801/operation/Nope HTTP/1.1\r\n"
                                    "Host: localhost:4566\r\nSmithy-Protocol: rpc-v2-cbor\r\n\r\n");
    cr_assert_eq(unknown.rc, NB_ENOENT);
    cr_assert_str_eq(unknown.service, "cloudwatch");
    cr_assert_str_eq(unknown.op, "");
    nb__router_free(r);
    nb__spec_free(spec);
}

Test(router, lambda_path_with_and_without_trailing_slash) {
    assert_routed(route("GET /2015-03-31/functions/ HTTP/1.1\r\nHost: localhost:4566\r\n" AUTH("lambda") "\r\n"),
                  "lambda", "ListFunctions", "rest-json");
    assert_routed(route("GET /2015-03-31/functions HTTP/1.1\r\nHost: localhost:4566\r\n" AUTH("lambda") "\r\n"),
                  "lambda", "ListFunctions", "rest-json");
    /* unsigned: the path alone */
    assert_routed(route("GET /2015-03-31/functions/ HTTP/1.1\r\nHost: localhost:4566\r\n\r\n"), "lambda",
                  "ListFunctions", "rest-json");
    assert_routed(route("POST /2015-03-31/functions HTTP/1.1\r\nHost: localhost:4566\r\n\r\n{}"), "lambda",
                  "CreateFunction", "rest-json");
    assert_routed(route("POST /2015-03-31/functions/my-fn/invocations HTTP/1.1\r\nHost: localhost:4566\r\n\r\n{}"),
                  "lambda", "Invoke", "rest-json");
    /* an ARN label, percent-encoded */
    assert_routed(route("GET /2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af "
                        "HTTP/1.1\r\nHost: localhost:4566\r\n" AUTH("lambda") "\r\n"),
                  "lambda", "GetFunction", "rest-json");
}

Test(router, lambda_query_literals_and_required_members) {
    assert_routed(route("GET /2018-10-31/layers?find=LayerVersion&Arn=x HTTP/1.1\r\nHost: h\r\n" AUTH("lambda") "\r\n"),
                  "lambda", "GetLayerVersionByArn", "rest-json");
    assert_routed(route("GET /2018-10-31/layers HTTP/1.1\r\nHost: h\r\n" AUTH("lambda") "\r\n"), "lambda",
                  "ListLayers", "rest-json");
    assert_routed(route("GET /2019-09-30/functions/f/provisioned-concurrency?List=ALL HTTP/1.1\r\nHost: h\r\n" AUTH(
                      "lambda") "\r\n"),
                  "lambda", "ListProvisionedConcurrencyConfigs", "rest-json");
    assert_routed(route("GET /2019-09-30/functions/f/provisioned-concurrency?Qualifier=1 HTTP/1.1\r\nHost: h\r\n" AUTH(
                      "lambda") "\r\n"),
                  "lambda", "GetProvisionedConcurrencyConfig", "rest-json");
}

Test(router, host_names) {
    assert_routed(route("POST / HTTP/1.1\r\nHost: sqs.us-east-1.localhost.localstack.cloud:4566\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=ListQueues"),
                  "sqs", "ListQueues", "query");
    assert_routed(route("POST / HTTP/1.1\r\nHost: sns.localhost.localstack.cloud\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=ListTopics"),
                  "sns", "ListTopics", "query");
}

Test(router, s3_virtual_host) {
    assert_routed(route("GET /dir/key.txt HTTP/1.1\r\nHost: b1.s3.localhost.localstack.cloud:4566\r\n" AUTH("s3")
                        "\r\n"),
                  "s3", "GetObject", "rest-xml");
    assert_routed(route("GET / HTTP/1.1\r\nHost: b1.s3.localhost.localstack.cloud:4566\r\n" AUTH("s3") "\r\n"), "s3",
                  "ListObjects", "rest-xml");
    assert_routed(route("GET /?list-type=2 HTTP/1.1\r\nHost: my.dotted.bucket.s3.eu-west-1.localhost.localstack.cloud\r\n"
                        "\r\n"),
                  "s3", "ListObjectsV2", "rest-xml");
    assert_routed(route("PUT / HTTP/1.1\r\nHost: b1.s3.us-east-1.localhost.localstack.cloud\r\n\r\n"), "s3",
                  "CreateBucket", "rest-xml");
    /* s3.<domain> without a bucket is path style */
    assert_routed(route("GET / HTTP/1.1\r\nHost: s3.localhost.localstack.cloud:4566\r\n" AUTH("s3") "\r\n"), "s3",
                  "ListBuckets", "rest-xml");
    assert_routed(route("HEAD /b1 HTTP/1.1\r\nHost: s3.us-east-1.localhost.localstack.cloud:4566\r\n\r\n"), "s3",
                  "HeadBucket", "rest-xml");
}

Test(router, s3_fallback_without_auth) {
    assert_routed(route("GET /b1/some/key HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n"), "s3", "GetObject", "rest-xml");
    assert_routed(route("PUT /b1 HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n"), "s3", "CreateBucket", "rest-xml");
    assert_routed(route("PUT /b1/k HTTP/1.1\r\nHost: 127.0.0.1:4566\r\nContent-Length: 1\r\n\r\nx"), "s3", "PutObject",
                  "rest-xml");
    /* SigV2 presigned URL */
    assert_routed(route("GET /b1/k?AWSAccessKeyId=test&Expires=1&Signature=x HTTP/1.1\r\nHost: h\r\n\r\n"), "s3",
                  "GetObject", "rest-xml");
    /* an unsigned GET / is ListBuckets (LocalStack's quirk), with or without its paging query */
    assert_routed(route("GET / HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n"), "s3", "ListBuckets", "rest-xml");
    assert_routed(route("GET /?max-buckets=2 HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n"), "s3", "ListBuckets",
                  "rest-xml");
    /* but not a GET / naming a query Action no service knows */
    result_t r = route("GET /?Action=NoSuchThing HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "");
}

Test(router, s3_unsigned_deletes_and_multipart) {
    assert_routed(route("DELETE /b1 HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n"), "s3", "DeleteBucket", "rest-xml");
    assert_routed(route("DELETE /b1/k?uploadId=u HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n"), "s3",
                  "AbortMultipartUpload", "rest-xml");
    assert_routed(route("POST /b1/k?uploads HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n"), "s3",
                  "CreateMultipartUpload", "rest-xml");
    /* a bare POST / is nobody's */
    result_t r = route("POST / HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "");
}

static void assert_match_path(const char *raw, const char *want) {
    nb__http_request_t req;
    cr_assert_eq(nb_test_request(raw, &req), 0);
    nb__route_t rt;
    cr_assert_eq(nb__router_route(router, &req, &rt), 0, "%s", raw);
    char buf[256], tiny[4];
    cr_assert_str_eq(nb__router_match_path(router, &req, &rt, buf, sizeof buf), want);
    cr_assert_null(nb__router_match_path(router, &req, &rt, tiny, sizeof tiny));
    nb__http_request_free(&req);
}

Test(router, match_path_puts_the_virtual_host_bucket_first) {
    assert_match_path("GET /dir/k%20ey HTTP/1.1\r\nHost: b1.s3.localhost.localstack.cloud\r\n" AUTH("s3") "\r\n",
                      "/b1/dir/k%20ey");
    assert_match_path("GET /?list-type=2 HTTP/1.1\r\nHost: b1.s3.localhost.localstack.cloud\r\n" AUTH("s3") "\r\n",
                      "/b1");
    assert_match_path("GET /b2/dir/key HTTP/1.1\r\nHost: localhost:4566\r\n" AUTH("s3") "\r\n", "/b2/dir/key");
    assert_match_path("POST /WriteGetObjectResponse HTTP/1.1\r\nHost: route.s3.localhost.localstack.cloud\r\n"
                      "x-amz-request-route: route\r\nx-amz-request-token: t\r\n" AUTH("s3-object-lambda") "\r\n",
                      "/WriteGetObjectResponse");
    assert_match_path("GET /2015-03-31/functions/f1 HTTP/1.1\r\nHost: lambda.localhost.localstack.cloud\r\n" AUTH(
                          "lambda") "\r\n",
                      "/2015-03-31/functions/f1");
}

Test(router, extra_hostname_for_virtual_hosts) {
    const char *raw = "GET /k1 HTTP/1.1\r\nHost: b1.s3.nimbus.example.test:4566\r\n" AUTH("s3") "\r\n";
    /* unknown domain: path style, bucket "k1" */
    assert_routed(route(raw), "s3", "ListObjects", "rest-xml");
    nb__router_t *r = nb__router_new(&router_specs);
    cr_assert_eq(nb__router_add_hostname(r, "nimbus.example.test:4566"), 0);
    cr_assert_eq(nb__router_add_hostname(r, ""), NB_EINVAL);
    assert_routed(route_raw(r, raw), "s3", "GetObject", "rest-xml");
    nb__router_free(r);
}

Test(router, head_is_never_get) {
    assert_routed(route("HEAD /b1/k1 HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "HeadObject", "rest-xml");
    assert_routed(route("GET /b1/k1 HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "GetObject", "rest-xml");
    assert_routed(route("HEAD /b1 HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "HeadBucket", "rest-xml");
    /* Lambda has no HEAD route: service known, operation not */
    result_t r = route("HEAD /2015-03-31/functions/f HTTP/1.1\r\nHost: h\r\n" AUTH("lambda") "\r\n");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "lambda");
    cr_assert_str_eq(r.op, "");
}

Test(router, options_is_matched_as_get) {
    /* unless the spec has OPTIONS operations: S3's overlay adds the CORS preflights */
    assert_routed(route("OPTIONS /b1/k1 HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "PreflightObject", "rest-xml");
    assert_routed(route("OPTIONS /b1 HTTP/1.1\r\nHost: h\r\n\r\n"), "s3", "PreflightBucket", "rest-xml");
    assert_routed(route("OPTIONS /2015-03-31/functions/f HTTP/1.1\r\nHost: h\r\n" AUTH("lambda") "\r\n"), "lambda",
                  "GetFunction", "rest-json");
}

Test(router, greedy_key_keeps_slashes_and_encoding) {
    assert_routed(route("PUT /b1/a/b%20c/d%2Be/ HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "PutObject",
                  "rest-xml");
    /* an empty key is no key: PUT /b1/ is CreateBucket */
    assert_routed(route("PUT /b1/ HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "CreateBucket", "rest-xml");
}

Test(router, s3_query_literals) {
    assert_routed(route("POST /b1/k1?uploads HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3",
                  "CreateMultipartUpload", "rest-xml");
    assert_routed(route("POST /b1/k1?uploadId=u1 HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3",
                  "CompleteMultipartUpload", "rest-xml");
    assert_routed(route("PUT /b1/k1?partNumber=1&uploadId=u1 HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3",
                  "UploadPart", "rest-xml");
    assert_routed(route("PUT /b1/k1?partNumber=1&uploadId=u1 HTTP/1.1\r\nHost: h\r\nx-amz-copy-source: b/k\r\n" AUTH(
                      "s3") "\r\n"),
                  "s3", "UploadPartCopy", "rest-xml");
    assert_routed(route("PUT /b1/k1 HTTP/1.1\r\nHost: h\r\nX-Amz-Copy-Source: b/k\r\n" AUTH("s3") "\r\n"), "s3",
                  "CopyObject", "rest-xml");
    assert_routed(route("GET /b1?list-type=2&prefix=a HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3",
                  "ListObjectsV2", "rest-xml");
    assert_routed(route("GET /b1?prefix=a HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "ListObjects",
                  "rest-xml");
    assert_routed(route("GET /b1?list-type=1 HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "ListObjects",
                  "rest-xml");
    assert_routed(route("POST /b1?delete HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n<Delete/>"), "s3", "DeleteObjects",
                  "rest-xml");
    assert_routed(route("POST /b1?delete= HTTP/1.1\r\nHost: h\r\n\r\n<Delete/>"), "s3", "DeleteObjects", "rest-xml");
    assert_routed(route("GET /b1?versioning HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "GetBucketVersioning",
                  "rest-xml");
    assert_routed(route("GET /b1?analytics&id=a1 HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3",
                  "GetBucketAnalyticsConfiguration", "rest-xml");
    assert_routed(route("GET /b1?analytics HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3",
                  "ListBucketAnalyticsConfigurations", "rest-xml");
    /* the deprecated twin loses */
    assert_routed(route("GET /b1?lifecycle HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3",
                  "GetBucketLifecycleConfiguration", "rest-xml");
}

Test(router, x_id_is_only_a_hint) {
    assert_routed(route("PUT /b1/k1?x-id=PutObject HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "PutObject",
                  "rest-xml");
    assert_routed(route("GET /b1/k1?x-id=GetObject HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "GetObject",
                  "rest-xml");
}

/* As captured from the AWS SDK for JavaScript v3 (tests/e2e/js): it writes header names in lower case. */
Test(router, js_sdk_requests) {
    assert_routed(route("PUT /b1/k1?x-id=PutObject HTTP/1.1\r\ncontent-type: application/octet-stream\r\n"
                        "content-length: 17\r\nx-amz-sdk-checksum-algorithm: CRC32\r\nhost: 127.0.0.1:18093\r\n"
                        "authorization: AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/s3/aws4_request, "
                        "SignedHeaders=content-length;host, Signature=09\r\nConnection: keep-alive\r\n\r\n"
                        "hello from js sdk"),
                  "s3", "PutObject", "rest-xml");
    assert_routed(route("POST / HTTP/1.1\r\ncontent-type: application/x-amz-json-1.0\r\n"
                        "x-amz-target: AmazonSQS.SendMessage\r\nx-amzn-query-mode: true\r\nhost: 127.0.0.1:18093\r\n"
                        "authorization: AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/sqs/aws4_request, "
                        "SignedHeaders=host, Signature=80\r\n\r\n"
                        "{\"QueueUrl\":\"http://127.0.0.1:18093/000000000000/q1\",\"MessageBody\":\"hello\"}"),
                  "sqs", "SendMessage", "json");
}

Test(router, x_id_in_request_uri_is_not_required) {
    json_t *doc = json_pack("{s:{s:s,s:s,s:s},s:{s:{s:{s:s,s:s}}},s:{}}", "metadata", "apiVersion", "1",
                            "endpointPrefix", "s3", "protocol", "rest-xml", "operations", "PutObject", "http",
                            "method", "PUT", "requestUri", "/{Bucket}/{Key+}?x-id=PutObject", "shapes");
    nb__spec_t *spec = nb__spec_from_json(doc, "s3", NULL);
    nb__spec_t *items[] = {spec};
    nb__spec_set_t one = {items, 1};
    nb__router_t *r = nb__router_new(&one);
    assert_routed(route_raw(r, "PUT /b/k HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3", "PutObject", "rest-xml");
    assert_routed(route_raw(r, "PUT /b/k?x-id=PutObject HTTP/1.1\r\nHost: h\r\n" AUTH("s3") "\r\n"), "s3",
                  "PutObject", "rest-xml");
    nb__router_free(r);
    nb__spec_free(spec);
}

Test(router, unknown_operation_of_known_service) {
    result_t r = route("POST / HTTP/1.1\r\nHost: h\r\n" AUTH("dynamodb") "X-Amz-Target: DynamoDB_20120810.Nope\r\n"
                       "Content-Type: application/x-amz-json-1.0\r\n\r\n{}");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "dynamodb");
    cr_assert_str_eq(r.op, "");
    cr_assert_eq(r.protocol, NB_PROTO_JSON);
    r = route("POST / HTTP/1.1\r\nHost: h\r\n" AUTH("sqs") "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
              "Action=Nope&Version=2012-11-05");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "sqs");
    cr_assert_eq(r.protocol, NB_PROTO_QUERY);
    r = route("DELETE /2015-03-31/nothing-here HTTP/1.1\r\nHost: h\r\n" AUTH("lambda") "\r\n");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "lambda");
}

Test(router, unknown_service) {
    result_t r = route("POST / HTTP/1.1\r\nHost: h\r\n" AUTH("nosuchservice")
                       "Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=ListStacks&Version=2010-05-15");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "");
    /* an unknown signer is not taken for S3 either */
    r = route("GET /foo/bar HTTP/1.1\r\nHost: h\r\n" AUTH("nosuchservice") "\r\n");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "");
    r = route("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\n\r\nhello");
    cr_assert_eq(r.rc, NB_ENOENT);
    cr_assert_str_eq(r.service, "");
}

/* A service Nimbus ships no plugin for is found in the catalogue (specs/botocore) by what the
 * request names, with its operation and protocol; its spec is read then, not at start-up. */
Test(router, catalogue_service_by_signing_name_target_and_cbor) {
    const nb__spec_t *cfn = nb__spec_set_find(&router_specs, "cloudformation");
    cr_assert_not_null(cfn);
    cr_assert(cfn->catalog);
    result_t r = route("POST / HTTP/1.1\r\nHost: h\r\n" AUTH("cloudformation")
                       "Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=ListStacks&Version=2010-05-15");
    assert_routed(r, "cloudformation", "ListStacks", "query");
    r = route("POST / HTTP/1.1\r\nHost: h\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\n"
              "Content-Type: application/x-amz-json-1.1\r\n\r\n{}");
    assert_routed(r, "ecs", "ListClusters", "json");
    r = route("POST /service/GraniteServiceVersion20100801/operation/ListMetrics HTTP/1.1\r\nHost: h\r\n" AUTH("monitoring")
              "Smithy-Protocol: rpc-v2-cbor\r\nContent-Type: application/cbor\r\n\r\n");
    assert_routed(r, "cloudwatch", "ListMetrics", "smithy-rpc-v2-cbor");
    r = route("GET /2013-04-01/hostedzone HTTP/1.1\r\nHost: h\r\n" AUTH("route53") "\r\n");
    assert_routed(r, "route53", "ListHostedZones", "rest-xml");
    /* a shipped service keeps its requests: the catalogue is asked only when none is named */
    r = route("POST / HTTP/1.1\r\nHost: h\r\n" AUTH("sts")
              "Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15");
    assert_routed(r, "sts", "GetCallerIdentity", "query");
}

Test(router, shared_signing_name_is_disambiguated) {
    /* two rest-json services signed as "shared": told apart by their paths */
    json_t *a = json_pack("{s:{s:s,s:s,s:s,s:s},s:{s:{s:{s:s,s:s}}},s:{}}", "metadata", "apiVersion", "1",
                          "endpointPrefix", "svc-a", "signingName", "shared", "protocol", "rest-json", "operations",
                          "ListAs", "http", "method", "GET", "requestUri", "/v1/as", "shapes");
    json_t *b = json_pack("{s:{s:s,s:s,s:s,s:s},s:{s:{s:{s:s,s:s}}},s:{}}", "metadata", "apiVersion", "1",
                          "endpointPrefix", "svc-b", "signingName", "shared", "protocol", "rest-json", "operations",
                          "ListBs", "http", "method", "GET", "requestUri", "/v1/bs", "shapes");
    /* and a json one with the same signing name, told apart by its target */
    json_t *c = json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:s},s:{s:{s:{s:s,s:s}}},s:{}}", "metadata", "apiVersion", "1",
                          "endpointPrefix", "svc-c", "signingName", "shared", "protocol", "json", "targetPrefix",
                          "SvcC_1", "jsonVersion", "1.1", "operations", "ListCs", "http", "method", "POST",
                          "requestUri", "/", "shapes");
    nb__spec_t *sa = nb__spec_from_json(a, "svc-a", NULL), *sb = nb__spec_from_json(b, "svc-b", NULL),
               *sc = nb__spec_from_json(c, "svc-c", NULL);
    nb__spec_t *items[] = {sa, sb, sc};
    nb__spec_set_t three = {items, 3};
    nb__router_t *r = nb__router_new(&three);
    assert_routed(route_raw(r, "GET /v1/bs HTTP/1.1\r\nHost: h\r\n" AUTH("shared") "\r\n"), "svc-b", "ListBs",
                  "rest-json");
    assert_routed(route_raw(r, "GET /v1/as HTTP/1.1\r\nHost: h\r\n" AUTH("shared") "\r\n"), "svc-a", "ListAs",
                  "rest-json");
    assert_routed(route_raw(r, "POST / HTTP/1.1\r\nHost: h\r\n" AUTH("shared") "X-Amz-Target: SvcC_1.ListCs\r\n"
                               "Content-Type: application/x-amz-json-1.1\r\n\r\n{}"),
                  "svc-c", "ListCs", "json");
    nb__router_free(r);
    nb__spec_free(sa);
    nb__spec_free(sb);
    nb__spec_free(sc);
}

Test(router, ec2_protocol_by_action_and_version) {
    json_t *doc = json_pack("{s:{s:s,s:s,s:s},s:{s:{s:{s:s,s:s}}},s:{}}", "metadata", "apiVersion", "2016-11-15",
                            "endpointPrefix", "ec2", "protocol", "ec2", "operations", "DescribeRegions", "http",
                            "method", "POST", "requestUri", "/", "shapes");
    nb__spec_t *ec2 = nb__spec_from_json(doc, "ec2", NULL);
    /* a query service with an operation of the same name, another version */
    json_t *doc2 = json_pack("{s:{s:s,s:s,s:s},s:{s:{s:{s:s,s:s}}},s:{}}", "metadata", "apiVersion", "2010-01-01",
                             "endpointPrefix", "other", "protocol", "query", "operations", "DescribeRegions", "http",
                             "method", "POST", "requestUri", "/", "shapes");
    nb__spec_t *other = nb__spec_from_json(doc2, "other", NULL);
    nb__spec_t *items[] = {other, ec2};
    nb__spec_set_t two = {items, 2};
    nb__router_t *r = nb__router_new(&two);
    assert_routed(route_raw(r, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
                               "Action=DescribeRegions&Version=2016-11-15"),
                  "ec2", "DescribeRegions", "ec2");
    assert_routed(route_raw(r, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
                               "Action=DescribeRegions&Version=2010-01-01"),
                  "other", "DescribeRegions", "query");
    assert_routed(route_raw(r, "POST / HTTP/1.1\r\nHost: h\r\n" AUTH("ec2")
                               "Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=DescribeRegions"),
                  "ec2", "DescribeRegions", "ec2");
    nb__router_free(r);
    nb__spec_free(ec2);
    nb__spec_free(other);
}

Test(router, service_hint) {
    char buf[64];
    nb__http_request_t req;
    struct {
        const char *raw, *want;
    } cases[] = {
        {"POST / HTTP/1.1\r\n" AUTH("sqs") "\r\n", "sqs"},
        {"POST / HTTP/1.1\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\r\n", "dynamodb"},
        {"POST / HTTP/1.1\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n\r\n", "sqs"},
        {"GET /k HTTP/1.1\r\nHost: b1.s3.localhost.localstack.cloud:4566\r\n\r\n", "s3"},
        {"POST / HTTP/1.1\r\nHost: sns.us-east-1.localhost.localstack.cloud\r\n\r\n", "sns"},
        {"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_assert_eq(nb_test_request(cases[i].raw, &req), 0);
        const char *got = nb__router_service_hint(&req, buf, sizeof buf);
        if (cases[i].want)
            cr_assert_str_eq(got ? got : "(null)", cases[i].want, "case %zu", i);
        else
            cr_assert_null(got, "case %zu", i);
        nb__http_request_free(&req);
    }
}

/* Malformed requests route to what the gateway answers: an unknown operation of the service
 * they name (its own error), no service (the generic one), or the S3 operation an unsigned
 * plain GET is. */
Test(router, garbage_routes_to_what_the_client_is_answered) {
    static const struct {
        const char *raw;
        int rc;
        const char *service, *op;
    } cases[] = {
        /* an empty path is S3's, and no S3 operation has it */
        {"GET  HTTP/1.1\r\n\r\n", NB_ENOENT, "s3", ""},
        /* a credential without a service names none */
        {"POST / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=\r\n\r\n", NB_ENOENT, "", ""},
        {"POST / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f/g\r\n\r\n", NB_ENOENT, "", ""},
        {"POST / HTTP/1.1\r\nX-Amz-Target: .\r\n\r\n", NB_ENOENT, "", ""},
        /* a known target prefix with no operation: DynamoDB's unknown operation */
        {"POST / HTTP/1.1\r\nX-Amz-Target: DynamoDB_20120810.\r\n\r\n", NB_ENOENT, "dynamodb", ""},
        {"POST /service//operation/ HTTP/1.1\r\nSmithy-Protocol: rpc-v2-cbor\r\n\r\n", NB_ENOENT, "", ""},
        /* undecodable query escapes: still a virtual-host listing; list-type is not "2", so V1 */
        {"GET /b?%zz=%&=&&list-type=% HTTP/1.1\r\nHost: .s3.localhost.localstack.cloud\r\n\r\n", 0, "s3",
         "ListObjects"},
        /* a truncated escape in a form body: no Action read, no service */
        {"POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nAction=%4", NB_ENOENT, "", ""},
        /* an IPv6 host literal is no bucket: GET / unsigned is S3's ListBuckets */
        {"GET / HTTP/1.1\r\nHost: [::1]:4566\r\n\r\n", 0, "s3", "ListBuckets"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        result_t r = route(cases[i].raw);
        cr_assert_eq(r.rc, cases[i].rc, "case %zu: rc %d", i, r.rc);
        cr_assert_str_eq(r.service, cases[i].service, "case %zu", i);
        cr_assert_str_eq(r.op, cases[i].op, "case %zu", i);
    }
}

/* Two query services behind one signing name (elb and elbv2: elasticloadbalancing)
 * are told apart by the API version the request names. */
Test(router_shared, query_version_picks_the_api) {
    json_t *v1 = json_pack("{s:{s:s,s:s,s:s,s:s},s:{s:{s:s,s:{s:s,s:s}}},s:{}}", "metadata", "protocol", "query",
                           "apiVersion", "2012-06-01", "endpointPrefix", "elasticloadbalancing", "signingName",
                           "elasticloadbalancing", "operations", "AddTags", "name", "AddTags", "http", "method",
                           "POST", "requestUri", "/", "shapes");
    json_t *v2 = json_deep_copy(v1);
    json_object_set_new(json_object_get(v2, "metadata"), "apiVersion", json_string("2015-12-01"));
    nb__spec_set_t set = {0};
    nb__spec_t *a = nb__spec_from_json(v1, "elb", NULL), *b = nb__spec_from_json(v2, "elbv2", NULL);
    set.items = calloc(2, sizeof *set.items);
    set.items[0] = a;
    set.items[1] = b;
    set.len = 2;
    nb__router_t *r = nb__router_new(&set);
    const char *versions[] = {"2012-06-01", "2015-12-01"};
    const char *want[] = {"elb", "elbv2"};
    for (int i = 0; i < 2; i++) {
        char body[128];
        snprintf(body, sizeof body, "Action=AddTags&Version=%s", versions[i]);
        nb__http_request_t req = {0};
        req.method = strdup("POST");
        req.target = strdup("/");
        req.path = strdup("/");
        nb__headers_add(&req.headers, "Content-Type", "application/x-www-form-urlencoded");
        nb__headers_add(&req.headers, "Authorization",
                        "AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/elasticloadbalancing/aws4_request, "
                        "SignedHeaders=host, Signature=0");
        req.body = nb__body_from_mem(body, strlen(body));
        nb__route_t route;
        cr_assert_eq(nb__router_route(r, &req, &route), 0);
        cr_assert_str_eq(route.spec->service, want[i]);
        nb__http_request_free(&req);
    }
    nb__router_free(r);
    nb__spec_set_free(&set);
}
