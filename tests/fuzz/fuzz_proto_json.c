/* libFuzzer target: awsJson 1.0/1.1 requests (also query-compatible) parsed and validated (see fuzz_proto.h). */
#define NB_FUZZ_PROTOCOL NB_PROTO_JSON
#define NB_FUZZ_SUITES "json", "json_1_0", "json_1_0-query-compatible", NULL
#include "fuzz_proto.h"
