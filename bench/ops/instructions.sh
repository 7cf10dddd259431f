#!/usr/bin/env bash
# Instructions a request costs in the server, steady whatever else runs on the machine:
# valgrind --tool=callgrind on BUILD's nimbus, counting off until 300 warm-up requests are
# answered, then over N requests of OP (bench/ops/prepare.py's captured botocore requests,
# replayed on one keep-alive connection by bench/ops/replay.py).
#   bench/ops/instructions.sh BUILD off|on OP [N]   (OP: send_json send_query receive put get)
# CONNS (default 1): requests sent at once on that many connections (replay.py), so one loop turn
# serves several, as under load.
# Prints instructions per request; the callgrind file stays for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=$1 MODE=$2 OP=$3 N=${4:-2000}
PY=${PY:-python3} QUERY_PY=${QUERY_PY:-/usr/bin/python3}
P=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
d=$(mktemp -d)
out=${OUT:-/tmp/nimbus-callgrind.$MODE.$OP}
[ "$MODE" = on ] && { mkdir -p "$d/data"; export PERSISTENCE=1 DATA_DIR=$d/data; }
rm -f "$out" "$out".*
GATEWAY_LISTEN=127.0.0.1:$P SERVICES=sqs,s3 valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$out" "$B/nimbus" >/dev/null 2>"$d/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$d"' EXIT
until curl -s -o /dev/null "http://127.0.0.1:$P/_localstack/health"; do sleep 0.2; done
if [ "$OP" = send_query ]; then "$QUERY_PY" bench/ops/prepare.py --query "http://127.0.0.1:$P" "$d" >/dev/null
else "$PY" bench/ops/prepare.py "http://127.0.0.1:$P" "$d" "$OP" >/dev/null; fi
"$PY" bench/ops/replay.py "$P" "$d/$OP.lua" 300 >/dev/null
callgrind_control -i on $pid >/dev/null 2>&1
"$PY" bench/ops/replay.py "$P" "$d/$OP.lua" "$N" "${CONNS:-1}" >/dev/null
callgrind_control -d $pid >/dev/null 2>&1
tot=$(callgrind_annotate "$out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "$MODE $OP${CONNS:+ (CONNS=$CONNS)}: $((tot / N)) instructions a request ($out.1)"
