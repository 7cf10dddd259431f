/* Round trip over every operation of every spec in specs/ (tests/proto/run_roundtrip_tests.py):
 * botocore serializes generated inputs that nimbus-marshal must parse back, nimbus-marshal
 * serializes generated outputs and errors that botocore must read back. The runner prints
 * counts per service and protocol, and each failing case. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

Test(protocol_roundtrip, every_spec) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 %s/tests/proto/run_roundtrip_tests.py --marshal %s/tools/marshal/nimbus-marshal "
             "--specs %s/specs",
             NB_SOURCE_DIR, NB_BINARY_DIR, NB_SOURCE_DIR);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round trip failed (see the runner's output)");
}
