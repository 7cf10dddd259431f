/* libFuzzer target: rest-xml requests (path labels, headers, query, XML body) parsed and validated
 * (see fuzz_proto.h). */
#define NB_FUZZ_PROTOCOL NB_PROTO_REST_XML
#define NB_FUZZ_SUITES "rest-xml", NULL
#include "fuzz_proto.h"
