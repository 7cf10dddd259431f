/* A Kinesis test provider with one operation, SubscribeToShard, streamed as an AWS event stream
 * (tests/e2e/test_proc_stream.py reads it with botocore): the initial-response the JSON protocol
 * sends first comes from the core; then one SubscribeToShardEvent per record, the count read from
 * the ShardId's number ("shardId-000000000003": 3); a ConsumerARN ending in "/gone" ends the
 * stream with a ResourceInUseException message instead of closing it quietly. */
#include <nimbus/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static nb_result_t tp_subscribe(nb_req_t *req, const json_t *input) {
    const char *shard = json_string_value(json_object_get(input, "ShardId"));
    const char *consumer = json_string_value(json_object_get(input, "ConsumerARN"));
    const char *dash = shard ? strrchr(shard, '-') : NULL;
    long n = dash ? atol(dash + 1) : 0;
    nb_stream_t *s;
    int rc = nb_reply_stream_begin(req, &s);
    if (rc != 0)
        return NB_FAILED(rc);
    for (long i = 0; i < n; i++) {
        char event[512];
        /* Data is a blob: base64 of "rec<i>" for i < 10 */
        static const char *const b64[] = {"cmVjMA==", "cmVjMQ==", "cmVjMg==", "cmVjMw==", "cmVjNA==",
                                          "cmVjNQ==", "cmVjNg==", "cmVjNw==", "cmVjOA==", "cmVjOQ=="};
        int len = snprintf(event, sizeof event,
                           "{\"Records\":[{\"SequenceNumber\":\"%ld\",\"Data\":\"%s\",\"PartitionKey\":\"pk\","
                           "\"ApproximateArrivalTimestamp\":1700000000.5}],\"ContinuationSequenceNumber\":\"%ld\","
                           "\"MillisBehindLatest\":0}",
                           i, b64[i % 10], i);
        nb_stream_write_event(s, "SubscribeToShardEvent", "application/json", event, (size_t)len, NULL, NULL);
    }
    size_t clen = consumer ? strlen(consumer) : 0;
    if (clen >= 5 && strcmp(consumer + clen - 5, "/gone") == 0) {
        static const char body[] = "{\"message\":\"the consumer went away\"}";
        nb_event_header_t h[] = {
            {.name = ":message-type", .type = NB_EVENT_STRING, .data = "exception", .len = 9},
            {.name = ":exception-type", .type = NB_EVENT_STRING, .data = "ResourceInUseException", .len = 22},
            {.name = ":content-type", .type = NB_EVENT_STRING, .data = "application/json", .len = 16},
        };
        nb_stream_write_message(s, h, 3, body, sizeof body - 1, NULL, NULL);
    }
    nb_stream_end(s, NULL, NULL);
    return NB_ASYNC;
}

static const nb_op_t ops[] = {{"SubscribeToShard", tp_subscribe, 0}, {NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "kinesis-shard-test", .service = "kinesis", .api_version = "2013-12-02", .ops = ops);
