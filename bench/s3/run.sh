#!/usr/bin/env bash
# S3 benchmark (issue 7, item 12): small-object PUT and GET per second with 1 and 64 connections
# (wrk, keep-alive), a 1 GiB upload and download (curl, MB/s) with the server's peak RSS
# (/proc/<pid>/status VmHWM), for Nimbus and for moto's server under the same load in the same
# run; prints the ratio Nimbus/moto per line.
#   bench/s3/run.sh [seconds-per-run] [big-object-MiB]
# Needs wrk, curl and a python3 with moto[server] (pyenv's); builds Release into build-release/.
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-5}
BIG_MIB=${2:-1024}
BUILD=${BUILD_DIR:-build-release}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j1 --target nimbus s3 >/dev/null
PY=${MOTO_PYTHON:-$(command -v python3)}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AUTH="AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"

head -c 1024 /dev/urandom >"$tmp/small.bin"
cat >"$tmp/put.lua" <<LUA
local f = io.open("$tmp/small.bin", "rb"); local body = f:read("*all"); f:close()
local n = 0
request = function()
  n = n + 1
  return wrk.format("PUT", "/bench-bkt/put-" .. (n % 1000), {["Authorization"] = "$AUTH"}, body)
end
LUA
cat >"$tmp/get.lua" <<LUA
wrk.headers["Authorization"] = "$AUTH"
LUA

rps() { # conns script url
  local threads=$(( $1 < 2 ? 1 : 2 ))
  wrk -t$threads -c"$1" -d"${DUR}s" -s "$2" "$3" | awk '/Requests\/sec/ {print int($2)}'
}
hwm() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status"; }

start_nimbus() {
  local port=$1
  GATEWAY_LISTEN=127.0.0.1:$port SERVICES=s3 NIMBUS_BODY_SPILL_THRESHOLD=1048576 TMPDIR=$tmp \
    "$BUILD/nimbus" >"$tmp/nimbus.log" 2>&1 &
  pids+=($!); echo $! >"$tmp/nimbus.pid"
}
start_moto() {
  local port=$1
  "$PY" -m moto.server -p "$port" >"$tmp/moto.log" 2>&1 &
  pids+=($!); echo $! >"$tmp/moto.pid"
}
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; return 1; }

head -c $((BIG_MIB * 1024 * 1024)) /dev/urandom >"$tmp/big.bin"

measure() { # name port pid-file
  local name=$1 url="http://127.0.0.1:$2" pid
  pid=$(cat "$3")
  curl -s -o /dev/null -X PUT -H "Authorization: $AUTH" "$url/bench-bkt"
  curl -s -o /dev/null -X PUT -H "Authorization: $AUTH" --data-binary @"$tmp/small.bin" "$url/bench-bkt/small"
  local p1 p64 g1 g64 up down
  p1=$(rps 1 "$tmp/put.lua" "$url")
  p64=$(rps 64 "$tmp/put.lua" "$url")
  g1=$(rps 1 "$tmp/get.lua" "$url/bench-bkt/small")
  g64=$(rps 64 "$tmp/get.lua" "$url/bench-bkt/small")
  local base
  base=$(hwm "$pid")
  up=$(curl -s -o /dev/null -X PUT -H "Authorization: $AUTH" -H "Expect:" -T "$tmp/big.bin" -w '%{speed_upload}' "$url/bench-bkt/big")
  down=$(curl -s -o "$tmp/down.bin" -H "Authorization: $AUTH" -w '%{speed_download}' "$url/bench-bkt/big")
  if ! cmp -s "$tmp/big.bin" "$tmp/down.bin"; then echo "$name: the downloaded object differs" >&2; fi
  rm -f "$tmp/down.bin"
  echo "$name $p1 $p64 $g1 $g64 $(awk -v b="$up" 'BEGIN{printf "%.0f", b/1048576}') $(awk -v b="$down" 'BEGIN{printf "%.0f", b/1048576}') $base $(hwm "$pid")"
}

NPORT=$(free_port); start_nimbus "$NPORT"; wait_up "$NPORT"
read -r _ np1 np64 ng1 ng64 nup ndown nbase nhwm < <(measure nimbus "$NPORT" "$tmp/nimbus.pid")
kill "$(cat "$tmp/nimbus.pid")"
MPORT=$(free_port); start_moto "$MPORT"; wait_up "$MPORT"
read -r _ mp1 mp64 mg1 mg64 mup mdown mbase mhwm < <(measure moto "$MPORT" "$tmp/moto.pid")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1fx", a/b; else print "n/a" }'; }
printf "%-34s %12s %12s %8s\n" "S3 (${DUR}s per run, ${BIG_MIB} MiB object)" nimbus moto ratio
printf "%-34s %12s %12s %8s\n" "PUT 1 KiB req/s, 1 connection" "$np1" "$mp1" "$(ratio "$np1" "$mp1")"
printf "%-34s %12s %12s %8s\n" "PUT 1 KiB req/s, 64 connections" "$np64" "$mp64" "$(ratio "$np64" "$mp64")"
printf "%-34s %12s %12s %8s\n" "GET 1 KiB req/s, 1 connection" "$ng1" "$mg1" "$(ratio "$ng1" "$mg1")"
printf "%-34s %12s %12s %8s\n" "GET 1 KiB req/s, 64 connections" "$ng64" "$mg64" "$(ratio "$ng64" "$mg64")"
printf "%-34s %12s %12s %8s\n" "upload MB/s (single PUT)" "$nup" "$mup" "$(ratio "$nup" "$mup")"
printf "%-34s %12s %12s %8s\n" "download MB/s" "$ndown" "$mdown" "$(ratio "$ndown" "$mdown")"
printf "%-34s %12s %12s %8s\n" "peak RSS MiB before big object" "$nbase" "$mbase" "$(ratio "$mbase" "$nbase")"
printf "%-34s %12s %12s %8s\n" "peak RSS MiB after big object" "$nhwm" "$mhwm" "$(ratio "$mhwm" "$nhwm")"
echo "(RSS ratios are moto/nimbus: how many times more memory moto used)"
