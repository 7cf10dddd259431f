/* awsJson 1.0/1.1 (core/proto/json.c) and rest-json errors (restjson.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/proto.h"

static nb__spec_t *load(const char *service, const char *version, bool query_compatible) {
    char doc[4096];
    snprintf(doc, sizeof doc,
             "{\"metadata\":{\"protocol\":\"json\",\"jsonVersion\":\"%s\",\"targetPrefix\":\"T\","
             "\"endpointPrefix\":\"%s\",\"apiVersion\":\"2020-01-01\"%s},\"shapes\":{"
             "\"In\":{\"type\":\"structure\",\"members\":{\"Name\":{\"shape\":\"Str\"},\"Count\":{\"shape\":\"Int\"},"
             "  \"Data\":{\"shape\":\"Blob\"},\"At\":{\"shape\":\"Ts\"},\"Iso\":{\"shape\":\"IsoTs\"},"
             "  \"Ratio\":{\"shape\":\"Dbl\"},\"Tags\":{\"shape\":\"Tags\"},\"Renamed\":{\"shape\":\"Str\","
             "  \"locationName\":\"wire_name\"},\"Chain\":{\"shape\":\"Node\"}}},"
             "\"Node\":{\"type\":\"structure\",\"members\":{\"Next\":{\"shape\":\"Node\"}}},"
             "\"Str\":{\"type\":\"string\"},\"Int\":{\"type\":\"integer\"},\"Blob\":{\"type\":\"blob\"},"
             "\"Ts\":{\"type\":\"timestamp\"},\"IsoTs\":{\"type\":\"timestamp\",\"timestampFormat\":\"iso8601\"},"
             "\"Dbl\":{\"type\":\"double\"},\"Tags\":{\"type\":\"map\",\"key\":{\"shape\":\"Str\"},\"value\":{\"shape\":"
             "\"Str\"}},"
             "\"NotFound\":{\"type\":\"structure\",\"members\":{\"message\":{\"shape\":\"Str\"},\"Resource\":{\"shape\":"
             "\"Str\"}},\"exception\":true,\"error\":{\"code\":\"AWS.SimpleQueueService.NonExistentQueue\","
             "\"httpStatusCode\":400,\"senderFault\":true}},"
             "\"Throttled\":{\"type\":\"structure\",\"members\":{\"Message\":{\"shape\":\"Str\"}},\"exception\":true}}}",
             version, service, query_compatible ? ",\"awsQueryCompatible\":{}" : "");
    json_error_t e;
    char *err = NULL;
    nb__spec_t *s = nb__spec_from_json(json_loads(doc, 0, &e), service, &err);
    cr_assert_not_null(s, "%s", err ? err : e.text);
    json_t *op = json_pack("{s:s,s:{s:s,s:s},s:{s:s},s:{s:s},s:[{s:s}]}", "name", "Op", "http", "method", "POST",
                           "requestUri", "/", "input", "shape", "In", "output", "shape", "In", "errors", "shape",
                           "NotFound");
    cr_assert_not_null(nb__spec_add_op(s, op));
    json_decref(op);
    return s;
}

static int parse_body(const nb__spec_t *s, const char *body, json_t **in, nb__aws_error_t *err) {
    nb__http_request_t r = {0};
    r.method = strdup("POST");
    r.path = strdup("/");
    r.target = strdup("/");
    r.body = nb__body_from_mem(body, strlen(body));
    nb__headers_add(&r.headers, "X-Amz-Target", "T.Op");
    int rc = nb__proto_parse(s, nb__spec_op(s, "Op"), NB_PROTO_JSON, &r, in, err);
    nb__http_request_free(&r);
    return rc;
}

Test(proto_json, parses_every_scalar_kind) {
    nb__spec_t *s = load("svc", "1.1", false);
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    int rc = parse_body(s,
                        "{\"Name\":\"n\",\"Count\":3,\"Data\":\"AGJpbg==\",\"At\":1398796238.5,"
                        "\"Iso\":\"2014-04-29T18:30:38Z\",\"Ratio\":\"-Infinity\",\"Tags\":{\"k\":\"v\"},"
                        "\"wire_name\":\"w\",\"Unknown\":1,\"Count2\":null}",
                        &in, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
    cr_assert_eq(json_integer_value(json_object_get(in, "Count")), 3);
    cr_assert_eq(json_string_length(json_object_get(in, "Data")), 4);
    cr_assert_float_eq(json_real_value(json_object_get(in, "At")), 1398796238.5, 1e-6);
    cr_assert_float_eq(json_real_value(json_object_get(in, "Iso")), 1398796238.0, 1e-6);
    cr_assert_str_eq(json_string_value(json_object_get(in, "Ratio")), "-Infinity");
    cr_assert_str_eq(json_string_value(json_object_get(in, "Renamed")), "w");
    cr_assert_null(json_object_get(in, "Unknown"));
    json_decref(in);
    /* an empty body is an empty input */
    cr_assert_eq(parse_body(s, "", &in, &err), 0);
    cr_assert_eq(json_object_size(in), 0);
    json_decref(in);
    nb__spec_free(s);
}

Test(proto_json, malformed_input_is_a_serialization_exception) {
    nb__spec_t *s = load("svc", "1.0", false);
    const char *bad[] = {
        "{\"Name\":",                 /* broken JSON */
        "[1,2]",                      /* not an object */
        "{\"Count\":\"3\"}",          /* wrong type */
        "{\"Count\":4294967296}",     /* integer out of range */
        "{\"Data\":\"!!notbase64\"}", /* bad base64 */
        "{\"At\":\"yesterday\"}",     /* bad timestamp */
        "{\"Tags\":{\"k\":1}}",       /* wrong type inside a map */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *in = NULL;
        nb__aws_error_t err = {0};
        int rc = parse_body(s, bad[i], &in, &err);
        cr_assert_eq(rc, NB_EPROTO, "%s", bad[i]);
        cr_assert_null(in);
        cr_assert_str_eq(err.code, "SerializationException", "%s", bad[i]);
        cr_assert_eq(err.status, 400);
        cr_assert(err.sender);
        nb__aws_error_clear(&err);
    }
    nb__spec_free(s);
}

static const nb__proto_ctx_t ctx = {.request_id = "rid-1"};

Test(proto_json, serializes_output_with_content_type_and_request_id) {
    nb__spec_t *s = load("svc", "1.1", false);
    json_t *out = json_pack("{s:s,s:f,s:f,s:o,s:s}", "Name", "n", "At", 1398796238.0, "Iso", 1398796238.0, "Data",
                            json_stringn_nocheck("\0bin", 4), "Renamed", "w");
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(s, nb__spec_op(s, "Op"), NB_PROTO_JSON, out, NULL, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/x-amz-json-1.1");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amzn-RequestId"), "rid-1");
    cr_assert_null(nb__headers_get(&resp.headers, "x-amz-crc32"));
    json_error_t e;
    json_t *body = json_loadb(resp.body.data, resp.body.len, 0, &e);
    cr_assert_not_null(body);
    cr_assert(json_is_integer(json_object_get(body, "At")), "%s", resp.body.data);
    cr_assert_eq(json_integer_value(json_object_get(body, "At")), 1398796238);
    cr_assert_str_eq(json_string_value(json_object_get(body, "Iso")), "2014-04-29T18:30:38Z");
    cr_assert_str_eq(json_string_value(json_object_get(body, "Data")), "AGJpbg==");
    cr_assert_str_eq(json_string_value(json_object_get(body, "wire_name")), "w");
    json_decref(body);
    json_decref(out);
    nb__http_response_free(&resp);
    /* no output at all is {} */
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(s, nb__spec_op(s, "Op"), NB_PROTO_JSON, NULL, NULL, &ctx, &resp), 0);
    cr_assert_str_eq(resp.body.data, "{}");
    nb__http_response_free(&resp);
    nb__spec_free(s);
}

Test(proto_json, errors_carry_type_message_and_members) {
    nb__spec_t *s = load("svc", "1.0", false);
    nb__aws_error_t err = {0};
    nb__aws_error_set(&err, s, nb__spec_op(s, "Op"), "Throttled", 0, "slow down %d", 5);
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(s, nb__spec_op(s, "Op"), NB_PROTO_JSON, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 400);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "X-Amzn-ErrorType"), "Throttled");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/x-amz-json-1.0");
    cr_assert_null(nb__headers_get(&resp.headers, "x-amzn-query-error"));
    json_error_t e;
    json_t *body = json_loadb(resp.body.data, resp.body.len, 0, &e);
    cr_assert_str_eq(json_string_value(json_object_get(body, "__type")), "Throttled");
    /* the shape spells it Message */
    cr_assert_str_eq(json_string_value(json_object_get(body, "Message")), "slow down 5");
    json_decref(body);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
    nb__spec_free(s);
}

Test(proto_json, query_compatible_errors_name_the_query_code) {
    nb__spec_t *s = load("sqs", "1.0", true);
    nb__aws_error_t err = {0};
    nb__aws_error_set(&err, s, nb__spec_op(s, "Op"), "NotFound", 0, "no queue");
    err.fields = json_pack("{s:s}", "Resource", "q1");
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(s, nb__spec_op(s, "Op"), NB_PROTO_JSON, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 400);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
    json_error_t e;
    json_t *body = json_loadb(resp.body.data, resp.body.len, 0, &e);
    /* SQS names its error types with its Smithy namespace, as AWS does */
    cr_assert_str_eq(json_string_value(json_object_get(body, "__type")), "com.amazonaws.sqs#NotFound");
    cr_assert_str_eq(nb__headers_get(&resp.headers, "X-Amzn-ErrorType"), "com.amazonaws.sqs#NotFound");
    cr_assert_str_eq(json_string_value(json_object_get(body, "message")), "no queue");
    cr_assert_str_eq(json_string_value(json_object_get(body, "Resource")), "q1");
    json_decref(body);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
    /* the awsQuery code finds the same shape */
    nb__aws_error_set(&err, s, NULL, "AWS.SimpleQueueService.NonExistentQueue", 0, NULL);
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(s, NULL, NB_PROTO_JSON, &err, &ctx, &resp), 0);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
    nb__spec_free(s);
}

Test(proto_json, dynamodb_responses_carry_crc32) {
    nb__spec_t *s = load("dynamodb", "1.0", false);
    json_t *out = json_pack("{s:s}", "Name", "table");
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize(s, nb__spec_op(s, "Op"), NB_PROTO_JSON, out, NULL, &ctx, &resp), 0);
    char want[16];
    snprintf(want, sizeof want, "%lu", crc32(0, (const Bytef *)resp.body.data, (uInt)resp.body.len));
    cr_assert_str_eq(nb__headers_get(&resp.headers, "x-amz-crc32"), want);
    nb__http_response_free(&resp);
    json_decref(out);
    nb__spec_free(s);
}

Test(proto_json, rest_json_errors_use_the_error_type_header) {
    nb__spec_t *s = load("svc", "1.1", false);
    nb__aws_error_t err = {0};
    nb__aws_error_set(&err, s, NULL, "NotFound", 404, "gone");
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    cr_assert_eq(nb__proto_serialize_error(s, NULL, NB_PROTO_REST_JSON, &err, &ctx, &resp), 0);
    cr_assert_eq(resp.status, 404);
    cr_assert_str_eq(nb__headers_get(&resp.headers, "Content-Type"), "application/json");
    json_error_t e;
    json_t *body = json_loadb(resp.body.data, resp.body.len, 0, &e);
    cr_assert_str_eq(json_string_value(json_object_get(body, "message")), "gone");
    json_decref(body);
    nb__http_response_free(&resp);
    nb__aws_error_clear(&err);
    nb__spec_free(s);
}

Test(proto_json, deep_nesting_is_refused_not_a_crash) {
    nb__spec_t *s = load("svc", "1.0", false);
    size_t depth = 1000;
    char *body = malloc(depth * 9 + 32);
    char *p = body;
    p += sprintf(p, "{\"Chain\":");
    for (size_t i = 0; i < depth; i++)
        p += sprintf(p, "{\"Next\":");
    p += sprintf(p, "{}");
    for (size_t i = 0; i < depth + 1; i++)
        *p++ = '}';
    *p = '\0';
    json_t *in = NULL;
    nb__aws_error_t err = {0};
    cr_assert_eq(parse_body(s, body, &in, &err), NB_EPROTO);
    cr_assert_str_eq(err.code, "SerializationException");
    nb__aws_error_clear(&err);
    free(body);
    nb__spec_free(s);
}
