#!/usr/bin/env bash
# ENFORCE_IAM's cost on the two requests issue 13 names (item 7): STS AssumeRole signed with an IAM
# user's key, and S3 GetObject of 1 KiB signed with the assumed role's session, each replayed by wrk
# against a server with ENFORCE_IAM=1 and one without, rounds alternated in the same run; prints
# req/s and the server's CPU time per request for each, then instructions per request counted under
# callgrind (COUNT requests per op, 500; 0 skips it), which a shared machine's load leaves alone, and
# the ratios. The user has an inline
# policy allowing sts:AssumeRole on the role and the role one allowing s3:GetObject on the bucket,
# so when policy evaluation is on under ENFORCE_IAM, these requests are evaluated (and allowed)
# without a change here.
#   bench/iam/run.sh [seconds-per-run] [rounds]    Env: BUILD (build), NIMBUS (the binary measured), COUNT,
#   PERF=1 (perf record: the share of the server's CPU in the signature check)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
if [ -z "${NIMBUS:-}" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j2 --target nimbus s3 sts iam >/dev/null
  NIMBUS=$BUILD/nimbus
fi
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
NIMBUS_BIN=$(realpath "$NIMBUS") exec /usr/bin/python3 bench/iam/replay.py "${1:-5}" "${2:-3}"
