/* An S3 test provider with one operation, SelectObjectContent, answered as an AWS event stream
 * written message by message (tests/e2e/test_proc_stream.py reads it with botocore):
 * Expression "<n>" gives n Records events ("record <i>\n"), a Stats event and End. */
#include <nimbus/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static nb_result_t tp_select(nb_req_t *req, const json_t *input) {
    const char *expr = json_string_value(json_object_get(input, "Expression"));
    long n = expr ? atol(expr) : 0;
    nb_stream_t *s;
    int rc = nb_reply_stream_begin(req, &s);
    if (rc != 0)
        return NB_FAILED(rc);
    long bytes = 0;
    char line[64];
    for (long i = 0; i < n; i++) {
        int len = snprintf(line, sizeof line, "record %ld\n", i);
        bytes += len;
        nb_stream_write_event(s, "Records", "application/octet-stream", line, (size_t)len, NULL, NULL);
    }
    char stats[256];
    int len = snprintf(stats, sizeof stats,
                       "<Stats><BytesScanned>%ld</BytesScanned><BytesProcessed>%ld</BytesProcessed>"
                       "<BytesReturned>%ld</BytesReturned></Stats>",
                       bytes, bytes, bytes);
    nb_stream_write_event(s, "Stats", "text/xml", stats, (size_t)len, NULL, NULL);
    nb_stream_write_event(s, "End", NULL, NULL, 0, NULL, NULL);
    nb_stream_end(s, NULL, NULL);
    return NB_ASYNC;
}

static const nb_op_t ops[] = {{"SelectObjectContent", tp_select, 0}, {NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "s3-select-test", .service = "s3", .api_version = "2006-03-01", .ops = ops);
