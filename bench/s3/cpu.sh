#!/usr/bin/env bash
# S3 PutObject / GetObject of 1 KiB (issue 12, item 3): req/s and the server's CPU time per request
# (utime+stime of /proc/PID/stat over the run, divided by the requests wrk counted), for up to two
# Nimbus binaries (before and after a change) with persistence off and on, run in turns so they
# share the machine's state. CPU us/request is the figure to compare when other work shares the
# machine: req/s moves with the load, the server's own CPU per request much less.
#   bench/s3/cpu.sh [seconds-per-run] [rounds]
# Env: NIMBUS (the binary measured; default build-bench/nimbus), BASE (a second binary, optional),
# OPS ("put get"), CONNS (32). The requests are bench/ops/prepare.py's signed botocore captures.
# The bare libuv+llhttp server (tools/bench-minimal) runs beside them, replaying new.off's requests:
# its CPU per request over Nimbus's is the share of its rate Nimbus would reach on a core of its own
# (the last column), a figure the machine's load moves far less than req/s.
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-3}
ROUNDS=${2:-1}
CONNS=${CONNS:-32}
OPS=${OPS:-put get}
PY=${PY:-python3}
BUILD=${BUILD:-build-bench}
NIMBUS=${NIMBUS:-$BUILD/nimbus}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target nimbus s3 nimbus-bench-minimal >/dev/null
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A PORT PID
start() { # name binary persistence
  local p; p=$(free_port)
  mkdir -p "$tmp/$1.data" "$tmp/$1"
  PERSISTENCE=$3 DATA_DIR="$tmp/$1.data" GATEWAY_LISTEN=127.0.0.1:$p SERVICES=s3 "$2" >/dev/null 2>"$tmp/$1.err" &
  PID[$1]=$!; pids+=("$!"); PORT[$1]=$p; TARGETS+=("$1")
  until curl -s -o /dev/null "http://127.0.0.1:$p/_localstack/health"; do
    kill -0 "${PID[$1]}" 2>/dev/null || { echo "$1 did not start:"; cat "$tmp/$1.err"; exit 1; }
    sleep 0.05
  done
  # shellcheck disable=SC2086
  "$PY" bench/ops/prepare.py "http://127.0.0.1:$p" "$tmp/$1" $OPS
}
TARGETS=(bare)
PORT[bare]=$(free_port)
"$BUILD/tools/bench-minimal/nimbus-bench-minimal" "${PORT[bare]}" >/dev/null 2>"$tmp/bare.err" &
PID[bare]=$!; pids+=("$!")
until curl -s -o /dev/null "http://127.0.0.1:${PORT[bare]}/"; do sleep 0.05; done
[ -n "${BASE:-}" ] && { start base.off "$BASE" 0; start base.on "$BASE" 1; }
start new.off "$NIMBUS" 0
start new.on "$NIMBUS" 1
ln -s "$tmp/new.off" "$tmp/bare"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
printf '%-5s %-9s %10s %14s %12s\n' op server req/s cpu-us/req bare/server
for ((r = 0; r < ROUNDS; r++)); do
  for op in $OPS; do
    for t in "${TARGETS[@]}"; do
      c0=$(cpu_ticks "${PID[$t]}")
      out=$(wrk -t1 -c"$CONNS" -d"${DUR}s" -s "$tmp/$t/$op.lua" "http://127.0.0.1:${PORT[$t]}")
      c1=$(cpu_ticks "${PID[$t]}")
      n=$(awk '/requests in/ {print $1}' <<<"$out")
      rps=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
      if grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$out"; then echo "FAIL $t $op:"; echo "$out"; exit 1; fi
      us=$(awk -v c=$((c1 - c0)) -v n="$n" -v hz="$HZ" 'BEGIN { printf "%.1f", c * 1e6 / hz / n }')
      [ "$t" = bare ] && bare_us=$us
      share=$(awk -v b="$bare_us" -v u="$us" 'BEGIN { if (u > 0) printf "%d%%", 100 * b / u; else print "-" }')
      printf '%-5s %-9s %10s %14s %12s\n' "$op" "$t" "$rps" "$us" "$share"
    done
  done
done
