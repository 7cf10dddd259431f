/* AWS's protocol test vectors through nimbus-marshal, one test per protocol
 * (the runner, tests/proto/run_protocol_tests.py, prints each failing case). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static int run_vectors(const char *protocol) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 %s/tests/proto/run_protocol_tests.py --marshal %s/tools/marshal/nimbus-marshal "
             "--vectors %s/tests/proto/vectors --protocol %s -v",
             NB_SOURCE_DIR, NB_BINARY_DIR, NB_SOURCE_DIR, protocol);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(protocol_vectors, json) { cr_assert_eq(run_vectors("json"), 0); }
Test(protocol_vectors, json_1_0) { cr_assert_eq(run_vectors("json_1_0"), 0); }
Test(protocol_vectors, rest_json) { cr_assert_eq(run_vectors("rest-json"), 0); }
Test(protocol_vectors, rest_xml) { cr_assert_eq(run_vectors("rest-xml"), 0); }
Test(protocol_vectors, query) { cr_assert_eq(run_vectors("query"), 0); }
Test(protocol_vectors, ec2) { cr_assert_eq(run_vectors("ec2"), 0); }
Test(protocol_vectors, smithy_rpc_v2_cbor) { cr_assert_eq(run_vectors("smithy-rpc-v2-cbor"), 0); }
