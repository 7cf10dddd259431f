#!/usr/bin/env bash
# SNS benchmark (issue 16, item 7): Publish to a topic with 1 and with 10 SQS subscriptions, publishes/s
# (wrk replaying signed botocore requests) and publish-to-receive latency p50/p99, Nimbus beside moto's
# server in the same run, with the ratios; bench/sns/run.py says how each figure is taken.
#   bench/sns/run.sh [seconds-per-run]
# Env: CONNS (32), LAT_N (300 messages timed per topic), TARGETS ("nimbus moto"), BUILD (build-bench),
#      PY (python3: botocore >= 1.31 for SQS's json protocol, and moto[server]).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-bench}
PY=${PY:-python3}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target nimbus sqs sns >/dev/null
exec "$PY" bench/sns/run.py "$BUILD/nimbus" "${1:-3}"
