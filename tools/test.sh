#!/usr/bin/env bash
# Builds and runs every test: unit (Criterion), protocol vectors, end-to-end with real
# clients (AWS CLI, boto3, AWS SDK for JavaScript v3), then all of them again (but the 2 GiB
# S3 test) under AddressSanitizer + UndefinedBehaviorSanitizer, the server included, the
# thread-pool paths under ThreadSanitizer (tools/tsan.sh), and last a one-minute libFuzzer smoke
# of every fuzz target, two at a time (tools/fuzz.sh, docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh --test
jobs=$(nproc)

echo "== build (Release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" >/dev/null

echo "== tests (unit, protocol, end-to-end)"
rc=0
ctest --test-dir build --output-on-failure -j"$jobs" || rc=1
bash tools/test-summary.sh build/Testing/Temporary/LastTest.log

echo "== unit and end-to-end tests under ASan+UBSan (the 2 GiB S3 test only runs above)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNB_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan --output-on-failure -j"$jobs" -L unit || rc=1
NB_SLOW=0 ctest --test-dir build-asan --output-on-failure -j"$jobs" -L e2e || rc=1
echo "== ASan+UBSan end-to-end pass"
bash tools/test-summary.sh build-asan/Testing/Temporary/LastTest.log

echo "== ThreadSanitizer (tools/tsan.sh)"
bash tools/tsan.sh || rc=1

echo "== fuzz smoke: every target 60 s, from its seeds and regression inputs"
FUZZ_PARALLEL=2 bash tools/fuzz.sh 60 || rc=1

exit $rc
