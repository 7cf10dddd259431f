#include "gateway/limits.h"

#include <string.h>

#define MIB (1024ull * 1024)

/* The only place services are named: AWS's limits on the requests it parses, and the
 * error each answers above them. A body is allowed room for its encoding (form
 * percent-escapes, base64 blobs in JSON) on top of the documented payload limit.
 * docs/limits.md lists the same table. */
static const struct service_limit {
    const char *service;
    nb__body_limit_t structured; /* a parsed body */
    nb__body_limit_t streaming;  /* a streaming payload (max unused: the server's limit) */
} quirks[] = {
    /* XML bodies: CompleteMultipartUpload (10,000 parts), DeleteObjects (1,000 keys) are the largest. */
    {"s3",
     {10 * MIB, "MaxMessageLengthExceeded", 400, "Your request was too big."},
     {0, "EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size"}},
    /* BatchWriteItem: "the total request size exceeds 16 MB". */
    {"dynamodb", {16 * MIB, "RequestEntityTooLarge", 413, "Request size exceeds %llu bytes"}, {0}},
    /* CreateFunction takes a 50 MB zip inline, base64-encoded in the JSON. */
    {"lambda",
     {70 * MIB, "RequestTooLargeException", 413, "Request must be smaller than %llu bytes for the operation"},
     {0}},
    /* PutRecords: 10 MiB of records, base64-encoded. */
    {"kinesis", {14 * MIB, "RequestEntityTooLarge", 413, "Request size exceeds %llu bytes"}, {0}},
    /* A 1 MiB message (or batch), percent-encoded in a form at worst three times its size. */
    {"sqs", {4 * MIB, "RequestEntityTooLarge", 413, "Request size exceeds %llu bytes"}, {0}},
};

/* Any other service: no AWS API parses more than this in one request. */
static const nb__body_limit_t default_structured = {10 * MIB, "RequestEntityTooLarge", 413,
                                                    "Request size exceeds %llu bytes"};
static const nb__body_limit_t default_streaming = {0, "RequestEntityTooLarge", 413, "Request size exceeds %llu bytes"};

void nb__body_limit(const nb__config_t *cfg, const nb__spec_t *spec, const nb__spec_op_t *op, uint64_t server_max,
                    nb__body_limit_t *out) {
    const struct service_limit *q = NULL;
    for (size_t i = 0; spec && i < sizeof quirks / sizeof quirks[0] && q == NULL; i++)
        if (strcmp(quirks[i].service, spec->service) == 0)
            q = &quirks[i];
    bool streaming = op && op->streaming_input;
    if (streaming) {
        *out = q && q->streaming.code ? q->streaming : default_streaming;
        out->max = server_max;
        return;
    }
    *out = q ? q->structured : default_structured;
    if (cfg && cfg->max_structured_bytes)
        out->max = cfg->max_structured_bytes;
    if (out->max > server_max)
        out->max = server_max;
}
