/*
 * nimbus-bench-marshal: parse + serialize operations per second for the
 * marshallers (issue 3 item 7), one realistic request/response pair per case:
 *
 *   sqs-query     SQS SendMessage, awsQuery form body -> XML response
 *   sqs-json      SQS SendMessage, awsJson 1.0 (x-amzn-query-mode) -> JSON response
 *   dynamodb      DynamoDB PutItem, awsJson 1.0, a 10-attribute item -> JSON with ConsumedCapacity
 *   s3-list-1000  S3 ListObjectsV2, rest-xml: query-string request -> 1,000-key XML response
 *
 *   nimbus-bench-marshal [-c CASE] [-t SECONDS] [-n ITERATIONS] [--specs DIR] [-v]
 *
 * -v prints each case's parsed input and the start of its response first.
 * With -t (default 1 s) prints "<case> <ops/s>"; with -n runs exactly that many
 * iterations in bench_loop() (what bench/marshal/run.sh hands to callgrind with
 * --toggle-collect=bench_loop, so instructions per call exclude the set-up).
 * One operation = nb__proto_parse of the request + nb__proto_serialize of the
 * output into a fresh response, everything freed, as the gateway does per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/body.h"
#include "http/message.h"
#include "proto/proto.h"
#include "spec/spec.h"

typedef struct bench_case {
    const char *name;
    const char *service;
    const char *operation;
    nb__protocol_t protocol;
    const nb__spec_t *spec;
    const nb__spec_op_t *op;
    nb__http_request_t req;
    json_t *output;
} bench_case_t;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_request(nb__http_request_t *req, const char *method, const char *target, const char *const *headers,
                        const char *body) {
    memset(req, 0, sizeof *req);
    req->method = strdup(method);
    req->target = strdup(target);
    const char *q = strchr(target, '?');
    req->path = q ? strndup(target, (size_t)(q - target)) : strdup(target);
    req->query = q ? strdup(q + 1) : NULL;
    for (size_t i = 0; headers[i]; i += 2)
        nb__headers_add(&req->headers, headers[i], headers[i + 1]);
    char len[32];
    snprintf(len, sizeof len, "%zu", strlen(body));
    nb__headers_add(&req->headers, "Content-Length", len);
    req->body = nb__body_from_mem(body, strlen(body));
}

#define AUTH                                                                                                    \
    "AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/sqs/aws4_request, "                                    \
    "SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef01234567"

static const char *const sqs_query_headers[] = {
    "Host", "sqs.us-east-1.localhost.localstack.cloud:4566",
    "Content-Type", "application/x-www-form-urlencoded; charset=utf-8",
    "User-Agent", "aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 source/x86_64.debian.12 prompt/off command/sqs.send-message",
    "X-Amz-Date", "20261124T120000Z",
    "Authorization", AUTH,
    NULL};
static const char sqs_query_body[] =
    "Action=SendMessage&Version=2012-11-05"
    "&QueueUrl=http%3A%2F%2Fsqs.us-east-1.localhost.localstack.cloud%3A4566%2F000000000000%2Forders"
    "&MessageBody=%7B%22orderId%22%3A%2012345%2C%20%22items%22%3A%20%5B%22book%22%2C%20%22pen%22%5D%7D"
    "&DelaySeconds=0"
    "&MessageAttribute.1.Name=source&MessageAttribute.1.Value.DataType=String"
    "&MessageAttribute.1.Value.StringValue=checkout"
    "&MessageAttribute.2.Name=priority&MessageAttribute.2.Value.DataType=Number"
    "&MessageAttribute.2.Value.StringValue=3";

static const char *const sqs_json_headers[] = {
    "Host", "sqs.us-east-1.localhost.localstack.cloud:4566",
    "Content-Type", "application/x-amz-json-1.0",
    "X-Amz-Target", "AmazonSQS.SendMessage",
    "x-amzn-query-mode", "true",
    "User-Agent", "aws-sdk-js/3.400.0 ua/2.0 os/linux lang/js md/nodejs#20.0.0 api/sqs#3.400.0",
    "X-Amz-Date", "20261124T120000Z",
    "Authorization", AUTH,
    NULL};
static const char sqs_json_body[] =
    "{\"QueueUrl\":\"http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/orders\","
    "\"MessageBody\":\"{\\\"orderId\\\": 12345, \\\"items\\\": [\\\"book\\\", \\\"pen\\\"]}\",\"DelaySeconds\":0,"
    "\"MessageAttributes\":{\"source\":{\"DataType\":\"String\",\"StringValue\":\"checkout\"},"
    "\"priority\":{\"DataType\":\"Number\",\"StringValue\":\"3\"}}}";
static const char sqs_output[] =
    "{\"MD5OfMessageBody\":\"8a5b2f4c1a1c9d2e3f4a5b6c7d8e9f00\",\"MD5OfMessageAttributes\":"
    "\"0f9e8d7c6b5a49382716059483726150\",\"MessageId\":\"5fea7756-0ea4-451a-a703-a558b933e274\"}";

static const char *const ddb_headers[] = {
    "Host", "localhost.localstack.cloud:4566",
    "Content-Type", "application/x-amz-json-1.0",
    "X-Amz-Target", "DynamoDB_20120810.PutItem",
    "User-Agent", "Boto3/1.26.27 Python/3.11.2 Linux/6.1.0 Botocore/1.29.27",
    "X-Amz-Date", "20261124T120000Z",
    "Authorization", AUTH,
    NULL};
static const char ddb_body[] =
    "{\"TableName\":\"Orders\",\"Item\":{\"pk\":{\"S\":\"customer#4711\"},\"sk\":{\"S\":\"order#2026-11-24#0001\"},"
    "\"total\":{\"N\":\"149.90\"},\"paid\":{\"BOOL\":true},\"note\":{\"NULL\":true},"
    "\"tags\":{\"SS\":[\"gift\",\"express\"]},\"qty\":{\"NS\":[\"1\",\"2\"]},"
    "\"address\":{\"M\":{\"street\":{\"S\":\"Main St 1\"},\"city\":{\"S\":\"Springfield\"},\"zip\":{\"S\":\"12345\"}}},"
    "\"lines\":{\"L\":[{\"M\":{\"sku\":{\"S\":\"B-1\"},\"n\":{\"N\":\"1\"}}},{\"M\":{\"sku\":{\"S\":\"P-7\"},\"n\":{\"N\":\"2\"}}}]},"
    "\"blob\":{\"B\":\"AAECAwQFBgcICQ==\"}},"
    "\"ConditionExpression\":\"attribute_not_exists(#pk)\",\"ExpressionAttributeNames\":{\"#pk\":\"pk\"},"
    "\"ReturnConsumedCapacity\":\"TOTAL\"}";
static const char ddb_output[] = "{\"ConsumedCapacity\":{\"TableName\":\"Orders\",\"CapacityUnits\":1.0}}";

static const char *const s3_headers[] = {
    "Host", "s3.localhost.localstack.cloud:4566",
    "User-Agent", "aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 source/x86_64.debian.12 command/s3api.list-objects-v2",
    "X-Amz-Date", "20261124T120000Z",
    "X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "Authorization", AUTH,
    NULL};

static json_t *s3_list_output(int keys) {
    json_t *contents = json_array();
    for (int i = 0; i < keys; i++) {
        char key[64], etag[48];
        snprintf(key, sizeof key, "2026/11/24/img-%05d.jpg", i);
        snprintf(etag, sizeof etag, "\"%032x\"", (unsigned)i * 2654435761u);
        json_array_append_new(contents,
                              json_pack("{s:s,s:f,s:s,s:I,s:s}", "Key", key, "LastModified", 1795000000.0 + i, "ETag",
                                        etag, "Size", (json_int_t)(100000 + i * 37), "StorageClass", "STANDARD"));
    }
    return json_pack("{s:b,s:o,s:s,s:s,s:i,s:i,s:s}", "IsTruncated", 0, "Contents", contents, "Name", "photos",
                     "Prefix", "2026/", "MaxKeys", 1000, "KeyCount", keys, "EncodingType", "url");
}

static int setup(bench_case_t *c, const nb__spec_set_t *specs) {
    c->spec = nb__spec_set_find(specs, c->service);
    c->op = c->spec ? nb__spec_op(c->spec, c->operation) : NULL;
    if (c->op == NULL) {
        fprintf(stderr, "nimbus-bench-marshal: %s: no %s.%s in the specs\n", c->name, c->service, c->operation);
        return -1;
    }
    json_error_t jerr;
    if (strcmp(c->name, "sqs-query") == 0) {
        set_request(&c->req, "POST", "/", sqs_query_headers, sqs_query_body);
        c->output = json_loads(sqs_output, 0, &jerr);
    } else if (strcmp(c->name, "sqs-json") == 0) {
        set_request(&c->req, "POST", "/", sqs_json_headers, sqs_json_body);
        c->output = json_loads(sqs_output, 0, &jerr);
    } else if (strcmp(c->name, "dynamodb") == 0) {
        set_request(&c->req, "POST", "/", ddb_headers, ddb_body);
        c->output = json_loads(ddb_output, 0, &jerr);
    } else {
        set_request(&c->req, "GET", "/photos?list-type=2&prefix=2026%2F&max-keys=1000&encoding-type=url", s3_headers,
                    "");
        c->output = s3_list_output(1000);
    }
    return c->output ? 0 : -1;
}

/* One parse + one serialize; returns the response body size (so nothing is optimised away). */
static size_t bench_once(const bench_case_t *c) {
    json_t *input = NULL;
    nb__aws_error_t err = {0};
    if (nb__proto_parse(c->spec, c->op, c->protocol, &c->req, &input, &err) != 0) {
        fprintf(stderr, "nimbus-bench-marshal: %s: parse failed: %s %s\n", c->name, err.code ? err.code : "",
                err.message ? err.message : "");
        nb__aws_error_clear(&err);
        exit(1);
    }
    json_decref(input);
    nb__proto_ctx_t ctx = {.request_id = "5fea7756-0ea4-451a-a703-a558b933e274"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    if (nb__proto_serialize(c->spec, c->op, c->protocol, c->output, NULL, &ctx, &resp) != 0) {
        fprintf(stderr, "nimbus-bench-marshal: %s: serialize failed\n", c->name);
        exit(1);
    }
    size_t n = resp.body.len;
    nb__http_response_free(&resp);
    return n;
}

static void show(const bench_case_t *c) {
    json_t *input = NULL;
    nb__aws_error_t err = {0};
    nb__proto_parse(c->spec, c->op, c->protocol, &c->req, &input, &err);
    char *text = json_dumps(input, JSON_COMPACT | JSON_ENCODE_ANY);
    printf("%s input: %.600s\n", c->name, text ? text : "(none)");
    free(text);
    json_decref(input);
    nb__aws_error_clear(&err);
    nb__proto_ctx_t ctx = {.request_id = "5fea7756-0ea4-451a-a703-a558b933e274"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    nb__proto_serialize(c->spec, c->op, c->protocol, c->output, NULL, &ctx, &resp);
    printf("%s response %d:", c->name, resp.status);
    for (size_t i = 0; i < resp.headers.len; i++)
        printf(" %s: %s;", resp.headers.items[i].name, resp.headers.items[i].value);
    printf("\n  %.600s\n", resp.body.data ? resp.body.data : "");
    nb__http_response_free(&resp);
}

/* The measured loop (callgrind --toggle-collect=bench_loop). External, not static: a static one
 * may be cloned under another name (bench_loop.constprop.0) that the toggle would miss. */
size_t bench_loop(const bench_case_t *c, long n);
__attribute__((noinline)) size_t bench_loop(const bench_case_t *c, long n) {
    size_t total = 0;
    for (long i = 0; i < n; i++)
        total += bench_once(c);
    return total;
}

int main(int argc, char **argv) {
    const char *only = NULL, *dir = NB_DEFAULT_SPEC_DIR;
    double seconds = 1.0;
    long iterations = 0;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "-c") == 0)
            only = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-t") == 0)
            seconds = atof(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
            iterations = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--specs") == 0)
            dir = argv[++i];
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else {
            fprintf(stderr, "usage: nimbus-bench-marshal [-c CASE] [-t SECONDS] [-n ITERATIONS] [--specs DIR] [-v]\n");
            return 1;
        }
    }
    nb__spec_set_t specs = {0};
    char *err = NULL;
    if (nb__spec_set_load_dir(&specs, dir, &err) != 0 || nb__spec_set_read_shipped(&specs, &err) != 0) {
        fprintf(stderr, "nimbus-bench-marshal: %s\n", err ? err : "cannot load the specs");
        free(err);
        return 1;
    }
    bench_case_t cases[] = {
        {.name = "sqs-query", .service = "sqs", .operation = "SendMessage", .protocol = NB_PROTO_QUERY},
        {.name = "sqs-json", .service = "sqs", .operation = "SendMessage", .protocol = NB_PROTO_JSON},
        {.name = "dynamodb", .service = "dynamodb", .operation = "PutItem", .protocol = NB_PROTO_JSON},
        {.name = "s3-list-1000", .service = "s3", .operation = "ListObjectsV2", .protocol = NB_PROTO_REST_XML},
    };
    int rc = 0, ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bench_case_t *c = &cases[i];
        if (only && strcmp(only, c->name) != 0)
            continue;
        ran++;
        if (setup(c, &specs) != 0) {
            rc = 1;
            continue;
        }
        if (verbose)
            show(c);
        size_t bytes = bench_once(c); /* warm-up: lazy indexes, allocator */
        if (iterations > 0) {
            bench_loop(c, iterations);
            printf("%-13s %ld iterations, response body %zu bytes\n", c->name, iterations, bytes);
        } else {
            long n = 0, batch = 1;
            double t0 = now(), t;
            while ((t = now() - t0) < seconds) {
                bench_loop(c, batch);
                n += batch;
                if (batch < 1024)
                    batch *= 2;
            }
            printf("%-13s %10.0f ops/s  (%ld ops in %.2f s, response body %zu bytes)\n", c->name, (double)n / t, n,
                   t, bytes);
        }
        fflush(stdout);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nb__http_request_free(&cases[i].req);
        json_decref(cases[i].output);
    }
    nb__spec_set_free(&specs);
    if (ran == 0) {
        fprintf(stderr, "nimbus-bench-marshal: no case %s\n", only);
        rc = 1;
    }
    return rc;
}
