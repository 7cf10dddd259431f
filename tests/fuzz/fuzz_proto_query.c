/* libFuzzer target: awsQuery and ec2 (form-encoded) requests parsed and validated (see fuzz_proto.h). */
#include "proto/proto.h"
/* The query suites first, then ec2's: a seed's first byte picks the suite, and the protocol with it. */
static nb__protocol_t fuzz_protocol(const uint8_t *data, size_t size);
#define NB_FUZZ_PROTOCOL fuzz_protocol(data, size)
#define NB_FUZZ_SUITES "query", "ec2", NULL
#include "fuzz_proto.h"

static nb__protocol_t fuzz_protocol(const uint8_t *data, size_t size) {
    (void)size;
    const nb__spec_t *spec = fuzz_suites[data[0] % fuzz_nsuites];
    return spec->protocol == NB_PROTO_EC2 ? NB_PROTO_EC2 : NB_PROTO_QUERY;
}
