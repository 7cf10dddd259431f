#!/usr/bin/env bash
# DynamoDB benchmark (issue 17, item 7): PutItem, GetItem, Query (one page of 100 items of one
# partition) and UpdateItem with a ConditionExpression, items/s and wrk's p99 latency at wrk -t1 -c1
# and -t1 -c64, against Nimbus (in-memory store), dynalite (npm, in memory) and moto's server, one
# server after the other for each operation and connection count, in the same run; prints
# Nimbus/dynalite and Nimbus/moto ratios. Each server first gets table `bench` loaded with
# BatchWriteItem (bench/dynamodb/prepare.py, 4 connections, as fast as it goes): ITEMS for Nimbus,
# the same for the peers unless loading them takes longer than PEER_LOAD_SECONDS; then what they
# hold is printed and used. The replayed requests are botocore-signed, captured per server.
# Each measured run follows a 1 s warm-up; a 1 s run with `-- check` verifies every answer's status
# and body (exit 1 on a wrong one, a non-2xx or a socket error). Each server's CPU time (user +
# system, /proc/PID/stat) over the measured run divided by the requests answered is printed too:
# figures that another load on the machine disturbs far less than items/s.
#   bench/dynamodb/run.sh [seconds-per-run]
# Env: ITEMS (1000000), PEER_ITEMS (ITEMS), MOTO_ITEMS (20000), PEER_LOAD_SECONDS (120), PEERS ("dynalite moto"),
#      OPS ("put get query update"), BUILD (build-bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-5}
ITEMS=${ITEMS:-1000000}
PEER_ITEMS=${PEER_ITEMS:-$ITEMS}
# moto's answers slow down with the table (a capture GetItem/Query on ~500k items took minutes), so it
# gets a smaller one by default
MOTO_ITEMS=${MOTO_ITEMS:-20000}
PEER_LOAD_SECONDS=${PEER_LOAD_SECONDS:-120}
PEERS=${PEERS-dynalite moto} # empty: Nimbus alone
OPS=${OPS:-put get query update}
BUILD=${BUILD:-build-bench}
PY=${PY:-python3} # boto3 and moto[server] (pyenv's)
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j2 --target nimbus dynamodb >/dev/null
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # name pid url
  until curl -s -o /dev/null "$3"; do
    kill -0 "$2" 2>/dev/null || { echo "$1 did not start:"; cat "$tmp/$1.err"; exit 1; }
    sleep 0.1
  done
}
declare -A PORT LOADED PID
TARGETS=(nimbus)
PORT[nimbus]=$(free_port)
GATEWAY_LISTEN=127.0.0.1:${PORT[nimbus]} SERVICES=dynamodb "$BUILD/nimbus" >/dev/null 2>"$tmp/nimbus.err" &
PID[nimbus]=$!
pids+=("$!"); wait_up nimbus "$!" "http://127.0.0.1:${PORT[nimbus]}/_localstack/health"
for peer in $PEERS; do
  P=$(free_port)
  case $peer in
    dynalite)
      dir=bench/dynamodb/dynalite
      if [ ! -x "$dir/node_modules/.bin/dynalite" ] && ! (cd "$dir" && npm ci --no-audit --no-fund --omit=optional >/dev/null 2>&1); then
        echo "dynalite: npm ci failed in $dir, skipped"; continue
      fi
      node "$dir/node_modules/dynalite/cli.js" --port "$P" --createTableMs 0 >/dev/null 2>"$tmp/$peer.err" & ;;
    moto)
      "$PY" -c "import moto.server" 2>/dev/null || { echo "moto: not importable by $PY, skipped"; continue; }
      "$PY" -m moto.server -p "$P" >/dev/null 2>"$tmp/$peer.err" & ;;
    *) echo "unknown peer $peer"; exit 2 ;;
  esac
  pids+=("$!"); wait_up "$peer" "$!" "http://127.0.0.1:$P/"
  PID[$peer]=$!
  PORT[$peer]=$P
  TARGETS+=("$peer")
done

for t in "${TARGETS[@]}"; do
  mkdir -p "$tmp/$t"
  n=$ITEMS secs=100000
  [ "$t" != nimbus ] && n=$PEER_ITEMS secs=$PEER_LOAD_SECONDS
  [ "$t" = moto ] && n=$MOTO_ITEMS
  out=$("$PY" bench/dynamodb/prepare.py "http://127.0.0.1:${PORT[$t]}" "$tmp/$t" "$n" "$secs")
  read -r _ items took <<<"$(tail -1 <<<"$out")"
  LOADED[$t]=$items
  note=""; [ "$items" -lt "$ITEMS" ] && note=" (FEWER than Nimbus's $ITEMS: PEER_ITEMS, MOTO_ITEMS or PEER_LOAD_SECONDS)"
  echo "$t: table loaded with $items items in ${took}s ($(awk -v n="$items" -v s="$took" 'BEGIN { printf "%d", n / s }') items/s)$note"
done

declare -A IPS P99 CPU
failed=0
tck=$(getconf CLK_TCK)
# utime + stime: fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command name
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
per_request() { case $1 in query) echo 100 ;; *) echo 1 ;; esac; }
measure() { # target op conns
  local url="http://127.0.0.1:${PORT[$1]}" out rps p99 non2xx sockerr t0 t1 n
  wrk -t1 -c"$3" -d1s --timeout 30s -s "$tmp/$1/$2.lua" "$url" >/dev/null
  t0=$(cpu_ticks "${PID[$1]}")
  out=$(wrk -t1 -c"$3" -d"${DUR}s" --timeout 30s --latency -s "$tmp/$1/$2.lua" "$url")
  t1=$(cpu_ticks "${PID[$1]}")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  CPU[$1.$2.$3]=$(awk -v d=$((t1 - t0)) -v n="${n:-0}" -v hz="$tck" \
    'BEGIN { if (n > 0) printf "%.1f", d * 1e6 / hz / n; else print "-" }')
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  IPS[$1.$2.$3]=$(awk -v r="${rps:-0}" -v k="$(per_request "$2")" 'BEGIN { printf "%d", r * k }')
  # wrk prints 99% as e.g. 812.00us, 4.21ms or 1.02s: in ms
  p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        printf "%.2f", v * (u == "us" ? 0.001 : u == "s" ? 1000 : u == "m" ? 60000 : 1) }' <<<"$out")
  P99[$1.$2.$3]=${p99:--}
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  sockerr=$(sed -n 's/.*Socket errors: \(.*\)/\1/p' <<<"$out")
  if [ -n "$non2xx" ] || [ -n "$sockerr" ]; then
    echo "FAIL $1 $2 c$3: non-2xx ${non2xx:-0}, socket errors: ${sockerr:-none}"; failed=1
  fi
  out=$(wrk -t1 -c"$3" -d1s --timeout 30s -s "$tmp/$1/$2.lua" "$url" -- check 2>&1)
  if ! grep -q '^bad_bodies 0$' <<<"$out" || grep -q 'Non-2xx' <<<"$out"; then
    echo "FAIL $1 $2 c$3 answers:"; grep -E 'unexpected|bad_bodies|Non-2xx' <<<"$out"; failed=1
  fi
}
times() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }

echo "== wrk -t1, ${DUR}s a run after a 1 s warm-up; items/s (Query: 100 items a request) and p99 ms;"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %4s %18s %18s %18s %10s %10s\n' op conn nimbus dynalite moto n/dynalite n/moto
for op in $OPS; do
  for c in 1 64; do
    for t in "${TARGETS[@]}"; do measure "$t" "$op" "$c"; done
    cell() { # a slow peer may answer nothing within the run: wrk then prints 0 and no latency
      case ${IPS[$1.$op.$c]:-} in "") echo "-" ;; 0) echo "none in ${DUR}s" ;; *) echo "${IPS[$1.$op.$c]} (${P99[$1.$op.$c]} ms)" ;; esac
    }
    printf '%-7s %4s %18s %18s %18s %10s %10s\n' "$op" "$c" "$(cell nimbus)" "$(cell dynalite)" "$(cell moto)" \
      "$(times "${IPS[nimbus.$op.$c]}" "${IPS[dynalite.$op.$c]:-}")" "$(times "${IPS[nimbus.$op.$c]}" "${IPS[moto.$op.$c]:-}")"
  done
done
echo "== server CPU microseconds a request (user + system over the measured run; Query: a page of 100 items)"
printf '%-7s %4s %10s %10s %10s\n' op conn nimbus dynalite moto
for op in $OPS; do
  for c in 1 64; do
    printf '%-7s %4s %10s %10s %10s\n' "$op" "$c" "${CPU[nimbus.$op.$c]:--}" "${CPU[dynalite.$op.$c]:--}" "${CPU[moto.$op.$c]:--}"
  done
done
echo "tables: $(for t in "${TARGETS[@]}"; do printf '%s %s items; ' "$t" "${LOADED[$t]}"; done)load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
