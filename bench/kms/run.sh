#!/usr/bin/env bash
# KMS benchmark (issue 14, item 7): Encrypt, Decrypt, Sign (RSA-2048, ECC P-256) requests/s and server CPU
# microseconds a request, Nimbus beside moto's server in the same run, with the ratios; bench/kms/run.py says
# how each figure is taken, bench/kms/prepare.py lists the operations (Secrets Manager's GetSecretValue and
# SSM's GetParameter go there, and their services in NIMBUS_SERVICES).
#   bench/kms/run.sh [seconds-per-run]
# Env: CONNS (32), TARGETS ("nimbus moto"), BUILD (build-bench), PY (python3 with moto[server]),
#      NIMBUS_SERVICES (kms,secretsmanager,ssm).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-bench}
PY=${PY:-python3}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target nimbus kms secretsmanager ssm >/dev/null
exec "$PY" bench/kms/run.py "$BUILD/nimbus" "${1:-3}"
