/*
 * libFuzzer target: event-stream framing (proto/eventstream.c) as the json protocol writes it,
 * for Kinesis SubscribeToShard's output (its shipped spec): the input is that output as JSON
 * ({"EventStream": [{"SubscribeToShardEvent": {...}}, ...]}), as a plugin hands it over. Nimbus
 * reads no event stream from clients; what it writes must frame: every message's prelude and
 * message CRC32 right and the messages ending exactly where the body ends.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "proto/proto.h"
#include "spec/spec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nb__spec_t *kinesis;
static const nb__spec_op_t *subscribe;

static void fuzz_spec_free(void) { nb__spec_free(kinesis); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char *err = NULL;
    kinesis = nb__spec_load(NB_FUZZ_SPEC_DIR "/kinesis/2013-12-02/service-2.json", "kinesis", &err);
    if (kinesis == NULL || (subscribe = nb__spec_op(kinesis, "SubscribeToShard")) == NULL) {
        fprintf(stderr, "fuzz: kinesis spec: %s\n", err ? err : "no SubscribeToShard");
        abort();
    }
    atexit(fuzz_spec_free); /* loaded once for the whole run: not a leak */
    return 0;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* True when body is a whole number of well-formed messages. */
static bool frames(const unsigned char *p, size_t len) {
    while (len > 0) {
        if (len < 16)
            return false;
        uint32_t total = be32(p), headers = be32(p + 4);
        if (total < 16 || total > len || headers > total - 16)
            return false;
        if (crc32(0, p, 8) != be32(p + 8) || crc32(0, p, total - 4) != be32(p + total - 4))
            return false;
        p += total, len -= total;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_error_t e;
    json_t *output = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (output == NULL)
        return 0;
    nb__proto_ctx_t ctx = {.request_id = "00000000-0000-4000-8000-000000000000"};
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    if (nb__proto_serialize(kinesis, subscribe, NB_PROTO_JSON, output, NULL, &ctx, &resp) == 0 &&
        !frames((const unsigned char *)resp.body.data, resp.body.len))
        __builtin_trap();
    nb__http_response_free(&resp);
    json_decref(output);
    return 0;
}
