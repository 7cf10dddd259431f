/*
 * DynamoDB Streams read in-process, as Lambda's event source mappings will: the test plugin
 * tests/unit/plugins/harness_caller.c relays nb_call / nb_call_async to dynamodbstreams, which the
 * dynamodb plugin serves (ABI 1.10 also_serves) from the store its item writes commit to.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nimbus/testing.h"
#include "support/harness_fixture.h"

static nb_test_t *h;

static void setup(void) { h = harness_start("dynamodb,dynamodbstreams,caller"); }
static void teardown(void) { nb_test_free(h); }

TestSuite(ddb_stream_call, .init = setup, .fini = teardown);

static json_t *call_ok(const char *service, const char *op, const char *input) {
    return harness_call_ok(h, service, op, input);
}

/* service.op(input) relayed through the caller plugin (op_kind RelaySync or RelayAsync): its output. */
static json_t *relayed(const char *kind, const char *service, const char *op, json_t *input) {
    char *in_text = json_dumps(input, JSON_COMPACT);
    json_t *in = json_pack("{s:s,s:s,s:s}", "Service", service, "Operation", op, "Input", in_text);
    char *text = json_dumps(in, JSON_COMPACT);
    json_t *r = call_ok("caller", kind, text);
    cr_assert_eq(json_integer_value(json_object_get(r, "Rc")), 0, "%s.%s: %s %s", service, op,
                 json_string_value(json_object_get(r, "ErrorCode")),
                 json_string_value(json_object_get(r, "ErrorMessage")));
    json_t *out = json_loads(json_string_value(json_object_get(r, "Output")), 0, NULL);
    cr_assert_not_null(out);
    json_decref(r);
    json_decref(in);
    json_decref(input);
    free(text);
    free(in_text);
    return out;
}

static const char *stream_of_new_table(void) {
    json_t *d = call_ok("dynamodb", "CreateTable",
                        "{\"TableName\":\"t\",\"BillingMode\":\"PAY_PER_REQUEST\","
                        "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                        "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
                        "\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"NEW_IMAGE\"}}");
    static char arn[512];
    snprintf(arn, sizeof arn, "%s",
             json_string_value(json_object_get(json_object_get(d, "TableDescription"), "LatestStreamArn")));
    json_decref(d);
    return arn;
}

static void put(const char *pk) {
    char in[256];
    snprintf(in, sizeof in, "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"%s\"}}}", pk);
    json_decref(call_ok("dynamodb", "PutItem", in));
}

static void read_records(const char *kind) {
    const char *arn = stream_of_new_table();
    put("a");
    put("b");
    json_t *d = relayed(kind, "dynamodbstreams", "DescribeStream", json_pack("{s:s}", "StreamArn", arn));
    json_t *shard = json_array_get(json_object_get(json_object_get(d, "StreamDescription"), "Shards"), 0);
    json_t *it = relayed(kind, "dynamodbstreams", "GetShardIterator",
                         json_pack("{s:s,s:O,s:s}", "StreamArn", arn, "ShardId", json_object_get(shard, "ShardId"),
                                   "ShardIteratorType", "TRIM_HORIZON"));
    json_t *got = relayed(kind, "dynamodbstreams", "GetRecords",
                          json_pack("{s:O}", "ShardIterator", json_object_get(it, "ShardIterator")));
    json_t *records = json_object_get(got, "Records");
    cr_assert_eq(json_array_size(records), 2);
    const char *want[] = {"a", "b"};
    for (size_t i = 0; i < 2; i++) {
        json_t *r = json_array_get(records, i);
        cr_assert_str_eq(json_string_value(json_object_get(r, "eventName")), "INSERT");
        json_t *keys = json_object_get(json_object_get(r, "dynamodb"), "Keys");
        cr_assert_str_eq(json_string_value(json_object_get(json_object_get(keys, "pk"), "S")), want[i]);
    }
    cr_assert_not_null(json_object_get(got, "NextShardIterator"));
    json_decref(got);
    json_decref(it);
    json_decref(d);
}

Test(ddb_stream_call, nb_call_reads_the_records) { read_records("RelaySync"); }

Test(ddb_stream_call, nb_call_async_reads_the_records) { read_records("RelayAsync"); }

/* The streams service's errors reach an in-process caller as its error code. */
Test(ddb_stream_call, unknown_stream_is_not_found) {
    json_t *in = json_pack("{s:s,s:s,s:s}", "Service", "dynamodbstreams", "Operation", "DescribeStream", "Input",
                           "{\"StreamArn\":\"arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/"
                           "2026-01-01T00:00:00.000\"}");
    char *text = json_dumps(in, JSON_COMPACT);
    json_t *r = call_ok("caller", "RelaySync", text);
    cr_assert_str_eq(json_string_value(json_object_get(r, "ErrorCode")), "ResourceNotFoundException");
    json_decref(r);
    json_decref(in);
    free(text);
}
