#!/usr/bin/env bash
# State store benchmark (issue 4): acknowledged writes per second with persistence off and on,
#  1. library level: nimbus-bench-store (begin, one scoped INSERT, commit), memory / disk FULL / disk NORMAL;
#  2. through the HTTP API: wrk sending DynamoDB PutItem (unique keys, ~200 B items) to the server
#     with the dynamodb-kv test plugin; a write counts once its 200 came back, so each one was
#     committed (and with PERSISTENCE=1, fsynced) before it was counted.
#   bench/store/run.sh [seconds-per-run] [connections]
# Builds Release into $BUILD_DIR (default build-release). Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-5}
CONNS=${2:-16}
THREADS=2
BUILD_DIR=${BUILD_DIR:-build-release}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"${JOBS:-1}" --target nimbus nimbus-bench-store tp_kv >/dev/null
tmp=$(mktemp -d)
NPID=
cleanup() { [ -n "$NPID" ] && kill "$NPID" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

echo "== library: nimbus-bench-store, ${DUR}s per mode (data dir on $(df -P "$tmp" | awk 'NR==2 {print $1}'))"
"$BUILD_DIR"/tools/bench-store/nimbus-bench-store -t "$DUR" -d "$tmp/lib"

mkdir -p "$tmp/plugins"
cp "$BUILD_DIR"/test-plugins/tp_kv.so "$tmp/plugins/"
cat >"$tmp/put.lua" <<'LUA'
local counter = 0
local id = 0
function setup(thread)
  id = id + 1
  thread:set("tid", id)
end
function request()
  counter = counter + 1
  local key = tid .. "-" .. counter
  local body = '{"TableName":"bench","Item":{"id":{"S":"' .. key .. '"},"v":{"S":"' .. string.rep("v", 160) .. '"}}}'
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "DynamoDB_20120810.PutItem",
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=000000000000/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
  }, body)
end
LUA

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http_run() { # label, then env assignments
  local label=$1; shift
  env "$@" GATEWAY_LISTEN=127.0.0.1:$PORT NIMBUS_PLUGIN_PATH="$tmp/plugins" PROVIDER_OVERRIDE_DYNAMODB=dynamodb-kv \
    SERVICES=dynamodb "$BUILD_DIR"/nimbus >"$tmp/server.log" 2>&1 &
  NPID=$!
  for _ in $(seq 100); do grep -q '^Ready\.' "$tmp/server.log" && break; sleep 0.05; done
  curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/" -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.CreateTable' \
    -d '{"TableName":"bench","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}'
  local out rps p50 p99 bad items
  out=$(wrk -t$THREADS -c"$CONNS" -d"${DUR}s" --latency -s "$tmp/put.lua" "http://127.0.0.1:$PORT/")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  items=$(curl -s "http://127.0.0.1:$PORT/_nimbus/state" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["dynamodb"]["items"]["total"])')
  printf "%-34s %10s writes/s   p50 %8s   p99 %8s   non-2xx %s   items stored %s\n" "$label" "$rps" "$p50" "$p99" "${bad:-0}" "$items"
  kill "$NPID"; wait "$NPID" 2>/dev/null || true; NPID=
}
echo "== HTTP: DynamoDB PutItem via wrk, $CONNS connections, $THREADS threads, ${DUR}s each"
http_run "memory (PERSISTENCE=0)" PERSISTENCE=0
http_run "disk (PERSISTENCE=1, sync FULL)" PERSISTENCE=1 DATA_DIR="$tmp/http"
