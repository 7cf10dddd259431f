#!/usr/bin/env bash
# SSM Parameter Store benchmark (issue 14 item 7): GetParameter requests/s and CPU per request, Nimbus
# beside moto's server in the same run; bench/ssm/run.py says how each figure is taken.
#   bench/ssm/run.sh [seconds-per-run]
# Env: BUILD (build-bench), PY (python3 with boto3 and moto[server]).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-bench}
PY=${PY:-python3}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target nimbus ssm >/dev/null
NIMBUS_BIN="$BUILD/nimbus" exec "$PY" bench/ssm/run.py "${1:-5}"
