#!/usr/bin/env bash
# Memory under load (issue 12, item 7), on a fresh Release server each:
#  1. IDLE keep-alive connections and WAITERS SQS long polls (WaitTimeSeconds=20; json, every 8th
#     query) open together: RSS before, with the idle ones, with both, after they close; bytes a
#     connection and a waiter cost; a message sent meanwhile must reach one waiter at once.
#  2. TOTAL requests of mixed operations over CONNS connections: RSS after the warm-up (100,000),
#     at every 100,000, and the growth (bound: 1 MB).
#   bench/memory/run.sh             (Env: IDLE, WAITERS (10000 each), TOTAL (1000000), CONNS (32), BUILD)
# The load generator is nimbus-bench-memory (mem_load.c, epoll, one thread). Both processes need
# IDLE + WAITERS descriptors: the script raises the limit as far as it may; where the hard limit
# is lower (a container without CAP_SYS_RESOURCE), IDLE and WAITERS are scaled down to fit and
# the 10k + 10k figure is extrapolated from the measured bytes a connection and a waiter cost.
set -euo pipefail
cd "$(dirname "$0")/../.."
IDLE=${IDLE:-10000}
WAITERS=${WAITERS:-10000}
TOTAL=${TOTAL:-1000000}
CONNS=${CONNS:-32}
BUILD=${BUILD:-build-bench}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target nimbus sqs s3 sts nimbus-bench-memory >/dev/null
NIMBUS=$BUILD/nimbus
LOAD=$BUILD/tools/bench-memory/nimbus-bench-memory
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

ulimit -Hn 65536 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)"
hard=$(ulimit -Hn)
# the server's connection capacity (core/http/server.c): the limit less 32, less room for body files
usable=$((hard - 32))
files=$((usable / 2 < 1024 ? usable / 2 : 1024))
fit=$((usable - files - 16)) # set-up, probe and sender connections
if [ $((IDLE + WAITERS)) -gt "$fit" ]; then
  echo "note: descriptor hard limit $hard (not raisable here): the server holds $((usable - files)) connections;"
  IDLE=$((fit / 2))
  WAITERS=$((fit / 2))
  echo "      running $IDLE idle + $WAITERS waiters, and extrapolating 10,000 + 10,000 from their costs"
fi

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_server() {
  port=$(free_port)
  GATEWAY_LISTEN=127.0.0.1:$port "$NIMBUS" >"$tmp/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do grep -q '^Ready\.' "$tmp/server.log" && return 0; sleep 0.05; done
  echo "bench: the server did not start" >&2
  exit 1
}
stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

echo "== $IDLE idle keep-alive connections + $WAITERS long polls (descriptor limit $hard)"
start_server
"$LOAD" hold "$port" "$pid" "$IDLE" "$WAITERS" | tee "$tmp/hold.out"
stop_server
before=$(awk '/RSS before/ {print $3}' "$tmp/hold.out")
per_conn=$(awk '/per idle connection/ {print $4}' "$tmp/hold.out")
per_wait=$(awk '/per long-poll waiter/ {print $4}' "$tmp/hold.out")
awk -v b="$before" -v c="$per_conn" -v w="$per_wait" 'BEGIN {
  kb = b + (10000 * c + 10000 * w) / 1024
  printf "  10,000 idle + 10,000 long polls at these costs: %.1f MB (%s the 64 MB bound)\n", kb / 1024, kb < 65536 ? "under" : "OVER" }'

echo "== $TOTAL mixed requests over $CONNS connections"
start_server
"$LOAD" mixed "$port" "$pid" "$TOTAL" "$CONNS"
stop_server
