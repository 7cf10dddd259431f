/* libFuzzer target: S3's aws-chunked body decoder (plugins/s3/s3_codec.c) with its chunk
 * signatures and trailers, fed in pieces whose sizes the input's first byte chooses, so that
 * lines and chunks split across reads as they do off a socket. */
#include <stdint.h>
#include <string.h>

#include "plugin/plugin.h"
#include "s3_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The codec calls the core through the plugin ABI (its nb_api, which the loader sets in a
 * plugin); this file sees the core's side of the header, hence the declaration here. */
extern const nb_api_t *nb_api;
const nb_api_t *nb_api = &nb__api;

static int count(void *ud, const void *data, size_t len) {
    (void)data;
    *(uint64_t *)ud += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    size_t step = 1 + data[0] % 64;
    data++, size--;
    uint64_t n = 0;
    s3_chunked_t c;
    s3_chunked_init(&c, count, &n);
    for (size_t off = 0; off < size; off += step) {
        size_t len = size - off < step ? size - off : step;
        if (s3_chunked_feed(&c, data + off, len) != 0)
            return 0;
    }
    if (n != c.decoded || n > size)
        __builtin_trap(); /* every data byte emitted once, never more than came in */
    char value[256];
    if (s3_chunked_done(&c)) {
        (void)s3_chunked_trailer(&c, "x-amz-checksum-crc32", value, sizeof value);
        (void)s3_chunked_trailer(&c, "x-amz-trailer-signature", value, sizeof value);
    }
    return 0;
}
