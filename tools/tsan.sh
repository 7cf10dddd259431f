#!/usr/bin/env bash
# ThreadSanitizer pass over the code that runs on libuv's thread pool: the work queue
# (nb_work_queue, core/gateway/api.c), blob writes and commits of the store (core/store), S3's
# off-loop body hashing and file-backed responses (core/http/write.c). Builds build-tsan
# (-DNB_TSAN=ON) and runs the end-to-end tests that drive those paths against the TSan server;
# any report fails the run and is printed.
#
# The Criterion unit tests cannot run under TSan: Criterion's inheritable arena cannot be mapped
# beside TSan's shadow memory ("Could not initialize inheritable arena", Criterion issue #274),
# so the store and the work queue are exercised through the server, which has no Criterion in it.
#
#   tools/tsan.sh            store, commit failures, S3 (bodies of 9-10 MiB go to the pool)
#                            (not test_body_limits: its loop-latency and RSS bounds are the server's
#                            without TSan's 5-15x slowdown and shadow memory; not test_sqs: SQS uses
#                            no thread-pool path, and its long-poll timing bounds (a wait answered
#                            within 1.5 s) failed once under TSan's slowdown)
#   NB_SLOW=1 tools/tsan.sh  also the 2 GiB S3 test (its RSS bound does not hold with TSan's
#                            shadow memory: a failure of that assertion alone is not a race)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== build (ThreadSanitizer)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DNB_TSAN=ON >/dev/null
cmake --build build-tsan -j"$jobs" >/dev/null

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# log_path: reports land in files (one per server process) whatever the test does with the
# server's output; the server inherits TSAN_OPTIONS from the test.
export TSAN_OPTIONS="log_path=$reports/tsan second_deadlock_stack=1 history_size=4 suppressions=$PWD/tools/tsan.supp"
export NB_SLOW=${NB_SLOW:-0}

echo "== end-to-end tests against the TSan server"
rc=0
ctest --test-dir build-tsan --output-on-failure -j"$jobs" \
  -R '^e2e_test_(store|store_crash|commit_failures|s3|s3_big)\.py$' || rc=1

if compgen -G "$reports/tsan*" >/dev/null; then
  echo "== ThreadSanitizer reports"
  cat "$reports"/tsan*
  rc=1
else
  echo "== no ThreadSanitizer reports"
fi
exit $rc
