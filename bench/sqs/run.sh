#!/usr/bin/env bash
# SQS benchmark (issue 6): SendMessage and ReceiveMessage+DeleteMessage messages/s and p99 latency
# with 1 and 64 keep-alive connections, and the server's RSS with 10,000 long-polling receivers
# waiting; moto's server (python3 -m moto.server, when installed) goes through the same load in
# the same run and the ratios are printed.
#   bench/sqs/run.sh [seconds-per-run]
# Env: WAITERS (10000), MOTO_WAITERS (2000: moto spends a thread per waiting request), BUILD (build-bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-5}
WAITERS=${WAITERS:-10000}
MOTO_WAITERS=${MOTO_WAITERS:-2000}
BUILD=${BUILD:-build-bench}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j1 --target nimbus sqs nimbus-bench-sqs >/dev/null
LOAD=$BUILD/tools/bench-sqs/nimbus-bench-sqs
PORT=${PORT:-45670}
MPORT=${MPORT:-45671}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

create_queue() { # endpoint name -> url
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, boto3
c = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test")
print(c.create_queue(QueueName=sys.argv[2])["QueueUrl"])
PY
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

declare -A R
# run_load name port url mode conns
run_load() {
  local out
  out=$("$LOAD" "$2" "$3" "$4" "$5" "$DUR")
  R[$1.rate]=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$out")
  R[$1.p99]=$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$out")
  R[$1.p50]=$(sed -n 's/.*p50_us=\([0-9]*\).*/\1/p' <<<"$out")
  printf '  %-28s %s\n' "$1" "$out"
}

# long polls: N waiting receivers on an empty queue; RSS before and while they wait
run_waiters() { # name port url pid n
  local before after held=0 out
  before=$(rss_kb "$4")
  "$LOAD" "$2" "$3" longpoll "$5" 60 >"$tmp/lp.out" 2>"$tmp/lp.err" &
  local lp=$!
  pids+=("$lp")
  # wait until the server holds them (its open descriptors), at most 45 s
  for _ in $(seq 1 450); do
    held=$(ls "/proc/$4/fd" 2>/dev/null | wc -l)
    [ "$held" -ge "$5" ] && break
    sleep 0.1
  done
  sleep 1
  after=$(rss_kb "$4")
  kill "$lp" 2>/dev/null || true
  wait "$lp" 2>/dev/null || true
  R[$1.waiters]=$5
  R[$1.rss_before]=$before
  R[$1.rss_after]=$after
  R[$1.per_waiter]=$(( (after - before) * 1024 / $5 ))
  printf '  %-28s %d waiting: RSS %d KB -> %d KB (%d bytes a waiter; server fds %d)\n' "$1" "$5" "$before" "$after" \
    "${R[$1.per_waiter]}" "$held"
}

bench_server() { # prefix port pid endpoint waiters
  local url
  url=$(create_queue "$4" "bench-send")
  run_load "$1.send.1" "$2" "$url" send 1
  run_load "$1.send.64" "$2" "$url" send 64
  run_load "$1.recvdel.1" "$2" "$url" recvdel 1
  run_load "$1.recvdel.64" "$2" "$url" recvdel 64
  url=$(create_queue "$4" "bench-wait")
  run_waiters "$1.longpoll" "$2" "$url" "$3" "$5"
}

echo "== nimbus (Release, in-memory store), ${DUR}s a run"
GATEWAY_LISTEN=127.0.0.1:$PORT SERVICES=sqs "$BUILD/nimbus" >/dev/null 2>"$tmp/nimbus.err" &
npid=$!
pids+=("$npid")
until curl -sf "http://127.0.0.1:$PORT/_localstack/health" >/dev/null; do
  kill -0 "$npid" 2>/dev/null || { echo "nimbus did not start:"; cat "$tmp/nimbus.err"; exit 1; }
  sleep 0.05
done
bench_server nimbus "$PORT" "$npid" "http://127.0.0.1:$PORT" "$WAITERS"

if python3 -c "import moto.server" 2>/dev/null; then
  echo "== moto $(python3 -c 'import moto; print(moto.__version__)') (python3 -m moto.server), same load"
  python3 -m moto.server -p "$MPORT" >/dev/null 2>&1 &
  mpid=$!
  pids+=("$mpid")
  until curl -s "http://127.0.0.1:$MPORT/" >/dev/null 2>&1; do
    kill -0 "$mpid" 2>/dev/null || { echo "moto did not start"; exit 1; }
    sleep 0.1
  done
  bench_server moto "$MPORT" "$mpid" "http://127.0.0.1:$MPORT" "$MOTO_WAITERS"
  echo "== nimbus / moto"
  for k in send.1 send.64 recvdel.1 recvdel.64; do
    n=${R[nimbus.$k.rate]:-0}; m=${R[moto.$k.rate]:-0}; np=${R[nimbus.$k.p99]:-0}; mp=${R[moto.$k.p99]:-0}
    if [ "$m" -gt 0 ]; then ratio=$(awk -v a="$n" -v b="$m" 'BEGIN {printf "%.1fx", a / b}'); else ratio="moto finished none"; fi
    if [ "$np" -gt 0 ]; then lat=$(awk -v a="$mp" -v b="$np" 'BEGIN {printf "%.1fx lower", a / b}'); else lat="-"; fi
    printf '  %-12s msgs/s %8s vs %8s  (%s)   p99 %8s us vs %8s us (%s)\n' "$k" "$n" "$m" "$ratio" "$np" "$mp" "$lat"
  done
  pw_n=${R[nimbus.longpoll.per_waiter]}; pw_m=${R[moto.longpoll.per_waiter]}
  printf '  %-12s %d bytes vs %d bytes a waiting receiver (%s less)\n' "longpoll" "$pw_n" "$pw_m" \
    "$(awk -v a="$pw_m" -v b="$pw_n" 'BEGIN {if (b > 0) printf "%.1fx", a / b; else print "-"}')"
else
  echo "== moto: not installed (python3 -m moto.server), no comparison"
fi
