#!/usr/bin/env bash
# Gateway benchmark (issue 2): keep-alive throughput and latency of /_localstack/health and of
# an operation answered 501, next to a minimal libuv+llhttp server measured in the same run;
# time from exec to "Ready."; idle RSS with every plugin loaded.
#   bench/gateway.sh [seconds-per-run]      (needs wrk; builds Release into build/)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
THREADS=2
CONNS=64
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
NIMBUS=build/nimbus
MINIMAL=build/tools/bench-minimal/nimbus-bench-minimal
PORT=45660
MPORT=45661
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

cat >"$tmp/post501.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "Action=GetSessionToken&Version=2011-06-15"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0"
LUA

# wrk prints "Requests/sec:" and, with --latency, the 50% and 99% lines.
run_wrk() { # url [script]
  local out
  if [ -n "${2:-}" ]; then out=$(wrk -t$THREADS -c$CONNS -d${DUR}s --latency -s "$2" "$1"); else
    out=$(wrk -t$THREADS -c$CONNS -d${DUR}s --latency "$1"); fi
  local rps p50 p99 total non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  echo "$rps $p50 $p99 $total ${non2xx:-0}"
}
# A run measures what it claims only if every answer had the status it expects.
expect_status() { # name total non2xx want(2xx|error)
  if { [ "$4" = 2xx ] && [ "$3" -ne 0 ]; } || { [ "$4" = error ] && [ "$3" -ne "$2" ]; }; then
    echo "bench: $1: $3 of $2 answers were not what the run measures ($4)" >&2
    exit 1
  fi
}

echo "== startup: exec to Ready. (20 runs, every plugin loaded eagerly)"
/usr/bin/python3 - "$NIMBUS" "$PORT" <<'PY'
import os, statistics, subprocess, sys, time
times = []
for _ in range(20):
    env = dict(os.environ, GATEWAY_LISTEN=f"127.0.0.1:{sys.argv[2]}", EAGER_SERVICE_LOADING="1")
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.argv[1]], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if line.strip() == "Ready.":
            break
    times.append((time.perf_counter() - t0) * 1000)
    p.terminate(); p.wait()
print(f"startup: median {statistics.median(times):.1f} ms, best {min(times):.1f} ms, worst {max(times):.1f} ms")
PY

GATEWAY_LISTEN=127.0.0.1:$PORT EAGER_SERVICE_LOADING=1 $NIMBUS >/dev/null 2>&1 &
NPID=$!
$MINIMAL $MPORT >/dev/null 2>&1 &
MPID=$!
sleep 0.3
echo "== idle RSS with all plugins loaded"
rss=$(awk '/VmRSS/ {print $2}' /proc/$NPID/status)
echo "idle RSS: $((rss / 1024)).$(( (rss % 1024) * 10 / 1024 )) MB ($rss kB)"

echo "== keep-alive throughput, $CONNS connections, $THREADS wrk threads, ${DUR}s each"
read -r m_rps m_p50 m_p99 m_n m_bad < <(run_wrk "http://127.0.0.1:$MPORT/")
read -r h_rps h_p50 h_p99 h_n h_bad < <(run_wrk "http://127.0.0.1:$PORT/_localstack/health")
read -r e_rps e_p50 e_p99 e_n e_bad < <(run_wrk "http://127.0.0.1:$PORT/" "$tmp/post501.lua")
expect_status "minimal server" "$m_n" "$m_bad" 2xx
expect_status "health" "$h_n" "$h_bad" 2xx
expect_status "501 operation" "$e_n" "$e_bad" error
printf "%-34s %12s %10s %10s %8s\n" "target" "req/s" "p50" "p99" "vs min"
printf "%-34s %12s %10s %10s %8s\n" "minimal libuv+llhttp server" "$m_rps" "$m_p50" "$m_p99" "100%"
printf "%-34s %12s %10s %10s %7.0f%%\n" "nimbus /_localstack/health" "$h_rps" "$h_p50" "$h_p99" "$(echo "100*$h_rps/$m_rps" | bc -l)"
printf "%-34s %12s %10s %10s %7.0f%%\n" "nimbus sts.GetSessionToken (501)" "$e_rps" "$e_p50" "$e_p99" "$(echo "100*$e_rps/$m_rps" | bc -l)"
rss=$(awk '/VmRSS/ {print $2}' /proc/$NPID/status)
echo "RSS after load: $((rss / 1024)) MB"
