#!/usr/bin/env bash
# Marshalling benchmark (issue 3 item 7): parse + serialize operations per second, and instructions
# per call under callgrind, for SQS SendMessage (query and json), DynamoDB PutItem (json 1.0) and an
# S3 ListObjectsV2 response with 1,000 keys (rest-xml). One call = parse the request + serialize
# the response (tools/bench-marshal/bench_marshal.c).
#   bench/marshal/run.sh [seconds-per-case]     (Release build in $BUILD_DIR, default build-bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-2}
BUILD_DIR=${BUILD_DIR:-build-bench}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"${JOBS:-1}" --target nimbus-bench-marshal >/dev/null
BENCH=$BUILD_DIR/tools/bench-marshal/nimbus-bench-marshal
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== operations per second (parse + serialize, one core, ${DUR} s per case)"
"$BENCH" -t "$DUR"

if ! command -v valgrind >/dev/null; then
  echo "(valgrind not installed: no instruction counts)"
  exit 0
fi
echo "== instructions per call (callgrind, measured loop only)"
for spec in sqs-query:2000 sqs-json:2000 dynamodb:1000 s3-list-1000:20; do
  name=${spec%%:*}
  n=${spec##*:}
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$name" --toggle-collect=bench_loop \
    "$BENCH" -c "$name" -n "$n" >/dev/null 2>"$tmp/vg.$name" || { cat "$tmp/vg.$name"; exit 1; }
  ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$tmp/cg.$name")
  awk -v name="$name" -v ir="$ir" -v n="$n" 'BEGIN { printf "%-13s %12.0f instructions per call\n", name, ir / n }'
done
