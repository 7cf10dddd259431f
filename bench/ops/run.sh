#!/usr/bin/env bash
# Real operations next to the bare server (issue 12, item 3): SQS SendMessage (json and query),
# ReceiveMessage, S3 PutObject and GetObject of 1 KiB, each at wrk -t1 -c32 against the bare
# libuv+llhttp server (tools/bench-minimal), Nimbus with persistence off, Nimbus with PERSISTENCE=1
# and moto's server, one after the other for each operation so they share the machine's state.
# Each server gets a 1 s warm-up run of the operation first (the first run after start is slow:
# page faults, allocator growth, SQLite's cache), then the measured run.
# Instructions per request, steadier still: bench/ops/instructions.sh (callgrind).
# Prints req/s per operation and target, the ratio to the bare server and to moto, and the server's
# CPU time per request (utime+stime from /proc/PID/stat over the measured run, divided by the
# requests wrk counted): unlike req/s, that figure holds when other work shares the machine. Exits 1 if any
# answer's status was not 200, a socket error happened, or an answer's body lacked what the
# operation returns (a short check run per operation and server, `-- check` in the wrk script).
#   bench/ops/run.sh [seconds-per-op]
# Then, with strace installed (STRACE=0 skips it), the system calls a request costs per operation
# and Nimbus mode: strace -c -f on the server over a 1 s run, divided by the requests wrk counted.
# Env: CONNS (32), OPS (all five), MOTO=0 to skip moto, BUILD (build-bench), NIMBUS (the server
# binary measured; default $BUILD/nimbus: another build's, to compare before and after a change).
# The replayed requests are signed botocore requests captured by bench/ops/prepare.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-3}
CONNS=${CONNS:-32}
OPS=${OPS:-send_json send_query receive put get}
BUILD=${BUILD:-build-bench}
PY=${PY:-python3}            # botocore >= 1.31: SQS json protocol, moto
QUERY_PY=${QUERY_PY:-/usr/bin/python3}  # botocore < 1.31: SQS query protocol
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target nimbus sqs s3 nimbus-bench-minimal >/dev/null
NIMBUS=${NIMBUS:-$BUILD/nimbus}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A PORT
wait_up() { # name pid url
  until curl -s -o /dev/null "$3"; do
    kill -0 "$2" 2>/dev/null || { echo "$1 did not start:"; cat "$tmp/$1.err"; exit 1; }
    sleep 0.05
  done
}
TARGETS=(bare off on)
PORT[bare]=$(free_port)
"$BUILD/tools/bench-minimal/nimbus-bench-minimal" "${PORT[bare]}" >/dev/null 2>"$tmp/bare.err" &
pids+=("$!")
wait_up bare "$!" "http://127.0.0.1:${PORT[bare]}/"
declare -A PID
PID[bare]=$!
P=$(free_port)
PORT[off]=$P
GATEWAY_LISTEN=127.0.0.1:$P SERVICES=sqs,s3 "$NIMBUS" >/dev/null 2>"$tmp/off.err" &
pids+=("$!"); wait_up off "$!" "http://127.0.0.1:$P/_localstack/health"
PID[off]=$!
P=$(free_port)
PORT[on]=$P
mkdir -p "$tmp/data"
PERSISTENCE=1 DATA_DIR="$tmp/data" GATEWAY_LISTEN=127.0.0.1:$P SERVICES=sqs,s3 "$NIMBUS" >/dev/null \
  2>"$tmp/on.err" &
pids+=("$!"); wait_up on "$!" "http://127.0.0.1:$P/_localstack/health"
PID[on]=$!
if [ "${MOTO:-1}" != 0 ] && "$PY" -c "import moto.server" 2>/dev/null; then
  P=$(free_port)
  PORT[moto]=$P
  "$PY" -m moto.server -p "$P" >/dev/null 2>"$tmp/moto.err" &
  pids+=("$!"); wait_up moto "$!" "http://127.0.0.1:$P/"
  PID[moto]=$!
  TARGETS+=(moto)
fi

# every server but the bare one gets its queues, bucket and captured requests; the bare server
# replays the persistence-off server's requests (it answers every request alike)
for t in "${TARGETS[@]}"; do
  [ "$t" = bare ] && continue
  mkdir -p "$tmp/$t"
  # shellcheck disable=SC2086
  "$PY" bench/ops/prepare.py "http://127.0.0.1:${PORT[$t]}" "$tmp/$t" $OPS
  case " $OPS " in *" send_query "*) "$QUERY_PY" bench/ops/prepare.py --query "http://127.0.0.1:${PORT[$t]}" "$tmp/$t" ;; esac
done
ln -s "$tmp/off" "$tmp/bare"

declare -A RPS CPU
failed=0
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime, after the ")" of comm
measure() { # target op
  local url="http://127.0.0.1:${PORT[$1]}" out rps non2xx sockerr t0 t1 n
  wrk -t1 -c"$CONNS" -d1s -s "$tmp/$1/$2.lua" "$url" >/dev/null
  t0=$(cpu_ticks "${PID[$1]}")
  out=$(wrk -t1 -c"$CONNS" -d"${DUR}s" -s "$tmp/$1/$2.lua" "$url")
  t1=$(cpu_ticks "${PID[$1]}")
  rps=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  CPU[$1.$2]=$(awk -v d=$((t1 - t0)) -v n="${n:-0}" -v hz="$tck" \
    'BEGIN { if (n > 0) printf "%.1f", d * 1e6 / hz / n; else print "-" }')
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  sockerr=$(sed -n 's/.*Socket errors: \(.*\)/\1/p' <<<"$out")
  RPS[$1.$2]=${rps:-0}
  if [ -n "$non2xx" ] || [ -n "$sockerr" ]; then
    echo "FAIL $1 $2: non-2xx ${non2xx:-0}, socket errors: ${sockerr:-none}"
    failed=1
  fi
  [ "$1" = bare ] && return
  # what the answers hold, on a short run with the body check on (it makes the client slower)
  out=$(wrk -t1 -c4 -d1s -s "$tmp/$1/$2.lua" "$url" -- check 2>&1)
  if ! grep -q '^bad_bodies 0$' <<<"$out" || grep -q 'Non-2xx' <<<"$out"; then
    echo "FAIL $1 $2 answers:"; grep -E 'unexpected|bad_bodies|Non-2xx' <<<"$out"
    failed=1
  fi
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%d%%", 100 * a / b; else print "-" }'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "-" }'; }

echo "== wrk -t1 -c$CONNS, ${DUR}s an operation and server after a 1 s warm-up; req/s (share of the"
echo "   bare server; times moto), then the server's CPU microseconds per request (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-11s %8s %20s %20s %8s | %6s %6s %6s\n' op bare nimbus nimbus-persist moto cpu:bare off on
for op in $OPS; do
  for t in "${TARGETS[@]}"; do measure "$t" "$op"; done
  b=${RPS[bare.$op]}; m=${RPS[moto.$op]:-0}
  printf '%-11s %8s %20s %20s %8s | %6s %6s %6s\n' "$op" "$b" \
    "${RPS[off.$op]} ($(pct "${RPS[off.$op]}" "$b"); $(times "${RPS[off.$op]}" "$m"))" \
    "${RPS[on.$op]} ($(pct "${RPS[on.$op]}" "$b"); $(times "${RPS[on.$op]}" "$m"))" "$m" \
    "${CPU[bare.$op]}" "${CPU[off.$op]}" "${CPU[on.$op]}"
done

# System calls per request: what the server asks of the kernel for each answer (strace slows it
# down, so these runs measure counts, not speed).
if [ "${STRACE:-1}" != 0 ] && command -v strace >/dev/null; then
  echo "== system calls per request (strace -c -f, wrk -t1 -c$CONNS -d1s): total, then the calls made"
  echo "   at least once per 10 requests, per request"
  for t in off on; do
    for op in $OPS; do
      strace -c -f -o "$tmp/strace.$t.$op" -p "${PID[$t]}" 2>/dev/null &
      spid=$!
      sleep 0.5
      n=$(wrk -t1 -c"$CONNS" -d1s -s "$tmp/$t/$op.lua" "http://127.0.0.1:${PORT[$t]}" | awk '/requests in/ {print $1}')
      kill -INT "$spid"; wait "$spid" 2>/dev/null || true
      awk -v n="${n:-0}" -v label="$t.$op" '
        $1 ~ /^[0-9.]+$/ && $NF != "total" { calls[$NF] = $4 } # % time, seconds, usecs/call, calls, [errors,] name
        END {
          if (n == 0) { printf "  %-16s no requests\n", label; exit }
          total = 0; line = ""
          for (c in calls) { total += calls[c]; if (calls[c] * 10 >= n) line = line sprintf(" %s %.2f", c, calls[c] / n) }
          printf "  %-16s %6d requests, %.2f calls/request:%s\n", label, n, total / n, line
        }' "$tmp/strace.$t.$op"
    done
  done
fi
exit $failed
