/* libFuzzer target: rest-json requests (path labels, headers, query, JSON body) parsed and validated
 * (see fuzz_proto.h). */
#define NB_FUZZ_PROTOCOL NB_PROTO_REST_JSON
#define NB_FUZZ_SUITES "rest-json", NULL
#include "fuzz_proto.h"
