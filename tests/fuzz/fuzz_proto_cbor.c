/* libFuzzer target: smithy-rpc-v2-cbor requests parsed and validated (see fuzz_proto.h). */
#define NB_FUZZ_PROTOCOL NB_PROTO_CBOR
#define NB_FUZZ_SUITES "smithy-rpc-v2-cbor", "smithy-rpc-v2-cbor-query-compatible", \
                       "smithy-rpc-v2-cbor-non-query-compatible", NULL
#include "fuzz_proto.h"
