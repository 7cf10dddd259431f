#!/usr/bin/env bash
# Secrets Manager benchmark (issue 14, item 7): GetSecretValue requests/s and the server's CPU per
# request, Nimbus beside moto's server in the same run, with the ratio (target >= 100x moto);
# bench/secretsmanager/run.py says how each figure is taken.
#   bench/secretsmanager/run.sh [seconds-per-run]
# Env: CONNS (32), TARGETS ("nimbus moto"), BUILD (build-bench), PY (python3 with moto[server]).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-bench}
PY=${PY:-python3}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target nimbus secretsmanager kms >/dev/null
exec "$PY" bench/secretsmanager/run.py "$BUILD/nimbus" "${1:-3}"
