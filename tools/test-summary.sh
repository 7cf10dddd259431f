#!/usr/bin/env bash
# What a ctest log (build/Testing/Temporary/LastTest.log) says the tests measured and skipped:
# the protocol tests' per-protocol counts, the S3 2 GiB test's memory, and every skipped test
# with its reason (e2e tests print "SKIPPED <test>: <reason>", Criterion "[SKIP] <test>: <reason>").
#   tools/test-summary.sh LOG
set -u
log=$1
echo "== measured by the tests: protocol vectors and round trip per protocol, S3 2 GiB memory"
awk '/^[0-9]+\/[0-9]+ Testing: / { test = $3 }
     /^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed/ || /peak RSS/ { print "  " test ": " $0 }' "$log"
echo "== skipped tests, each with its reason"
awk '/^[0-9]+\/[0-9]+ Testing: / { test = $3 }
     /^SKIPPED / { sub(/^SKIPPED /, ""); print "  " test ": " $0; n++ }
     /^\[SKIP\]/ { print "  " test ": " $0; n++ }
     END { if (!n) print "  none" }' "$log"
echo "  (protocol cases skipped on purpose are counted above; their reasons:"
echo "   python3 tests/proto/run_protocol_tests.py --marshal build/tools/marshal/nimbus-marshal -vv)"
