/* libFuzzer target: the CBOR decoder (libcbor's streaming heads, nb__cbor_*) on any item, as a
 * document is read, then the JSON it gives written back as CBOR. */
#include <jansson.h>
#include <stdint.h>

#include "proto/cbor_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nb__cbor_dec_t d = {.start = data, .p = data, .end = data + size};
    nb__cbor_tok_t t;
    while (d.p < d.end && nb__cbor_next(&d, &t)) {
        json_t *v = nb__cbor_decode_any(&d, &t, 0);
        if (v == NULL)
            break;
        nb__buf_t out = {0};
        nb__cbor_enc_t e = {.out = &out};
        nb__cbor_put_any(&e, v, 0);
        nb__buf_free(&out);
        json_decref(v);
    }
    return 0;
}
