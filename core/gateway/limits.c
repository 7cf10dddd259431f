#include "gateway/limits.h"

#include <stdio.h>
#include <string.h>

#define MIB (1024ull * 1024)

/* The only place services are named: AWS's limits on the requests it parses, and the
 * error each answers above them (none: AWS's front end refuses with a bare 413). A body
 * is allowed room for its encoding (form percent-escapes, base64 blobs in JSON) on top of
 * the documented payload limit. docs/limits.md lists the same table. */
static const struct service_limit {
    const char *service;
    nb__body_limit_t structured; /* a parsed body */
} quirks[] = {
    /* XML bodies: CompleteMultipartUpload (10,000 parts), DeleteObjects (1,000 keys) are the largest. */
    {"s3", {10 * MIB, "MaxMessageLengthExceeded", 400, "Your request was too big."}},
    /* BatchWriteItem: "the total request size exceeds 16 MB". */
    {"dynamodb", {16 * MIB, NULL, 413, NULL}},
    /* CreateFunction takes a 50 MB zip inline, base64-encoded in the JSON. */
    {"lambda", {70 * MIB, "RequestTooLargeException", 413, "Request must be smaller than %llu bytes for the operation"}},
    /* PutRecords: 10 MiB of records, base64-encoded. */
    {"kinesis", {14 * MIB, NULL, 413, NULL}},
    /* A 1 MiB message (or batch), percent-encoded in a form at worst three times its size. */
    {"sqs", {4 * MIB, NULL, 413, NULL}},
};

/* Any other service: no AWS API parses more than this in one request. */
static const nb__body_limit_t default_structured = {10 * MIB, NULL, 413, NULL};

void nb__body_limit(const nb__config_t *cfg, const nb__spec_t *spec, const nb__spec_op_t *op, uint64_t server_max,
                    nb__body_limit_t *out) {
    if (op && op->streaming_input) { /* an upload: only NIMBUS_MAX_BODY_SIZE, the server's bare 413 */
        *out = (nb__body_limit_t){server_max, NULL, 413, NULL};
        return;
    }
    const struct service_limit *q = NULL;
    for (size_t i = 0; spec && i < sizeof quirks / sizeof quirks[0] && q == NULL; i++)
        if (strcmp(quirks[i].service, spec->service) == 0)
            q = &quirks[i];
    *out = q ? q->structured : default_structured;
    if (cfg && cfg->max_structured_bytes)
        out->max = cfg->max_structured_bytes;
    if (out->max > server_max)
        out->max = server_max;
}

void nb__body_limit_error(const nb__body_limit_t *limit, uint64_t max, const char **code, int *status, char *message,
                          size_t cap) {
    if (limit->code == NULL) { /* routed elsewhere than from the head alone: still the service's format */
        *code = "RequestEntityTooLarge";
        *status = 413;
        snprintf(message, cap, "Request body is too large");
        return;
    }
    *code = limit->code;
    *status = limit->status;
    snprintf(message, cap, limit->message, (unsigned long long)max);
}
