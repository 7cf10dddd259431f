#!/usr/bin/env bash
# What attributing a request to its access key costs (issue 13, item 1): SQS ListQueues (query
# protocol, the same handler work whatever the key) signed with the default key `test`, a
# 12-digit key, an unknown AKIA key and an ASIA key STS issued (a registry hit), at wrk -t1 -c32,
# on this build and, when BASE names one, another build's nimbus (before the registry: every key
# there but the 12-digit one is the default account). Rounds alternate between the binaries so
# they share the machine's state; prints the median req/s per key and binary.
#   bench/sts/run.sh [seconds-per-run] [rounds]      BASE=/path/to/old/nimbus
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-3}
ROUNDS=${2:-3}
BUILD=${BUILD:-build}
NEW=$BUILD/nimbus
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # binary -> port
  local port; port=$(free_port)
  GATEWAY_LISTEN=127.0.0.1:$port LS_LOG=warn SERVICES=sqs,sts "$1" >"$tmp/$port.log" 2>&1 &
  pids+=($!)
  until curl -s -o /dev/null "http://127.0.0.1:$port/_localstack/health"; do sleep 0.05; done
  echo "$port"
}

# An ASIA key the server issued (the old build answers AssumeRole 501: a made-up key then).
issue_key() { # port
  curl -s "http://127.0.0.1:$1/" -H 'Content-Type: application/x-www-form-urlencoded' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0' \
    --data 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::111111111111:role/Bench&RoleSessionName=bench' |
    sed -n 's:.*<AccessKeyId>\(ASIA[A-Z0-9]*\)</AccessKeyId>.*:\1:p' | grep . || echo ASIAQAAAAAAABENCHKEY
}

script() { # key -> lua file
  cat >"$tmp/$1.lua" <<LUA
wrk.method = "POST"
wrk.body = "Action=ListQueues&Version=2012-11-05"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=$1/20261207/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"
LUA
  echo "$tmp/$1.lua"
}

declare -A PORTS KEYS
PORTS[new]=$(start "$NEW")
KEYS[new]=$(issue_key "${PORTS[new]}")
bins=(new)
if [ -n "${BASE:-}" ]; then
  PORTS[base]=$(start "$BASE")
  KEYS[base]=${KEYS[new]} # unknown there: the cost of a miss, which is all the old build does
  bins+=(base)
fi
declare -A RESULTS
for round in $(seq "$ROUNDS"); do
  for kind in test digits unknown issued; do
    for b in "${bins[@]}"; do
      case $kind in
        test) key=test ;; digits) key=111111111111 ;; unknown) key=AKIAIOSFODNN7EXAMPLE ;; issued) key=${KEYS[$b]} ;;
      esac
      rps=$(wrk -t1 -c32 -d"${DUR}s" -s "$(script "$key")" "http://127.0.0.1:${PORTS[$b]}/" | awk '/Requests\/sec/ {print $2}')
      RESULTS[$b.$kind]="${RESULTS[$b.$kind]:-} $rps"
    done
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-8s' key; for b in "${bins[@]}"; do printf '%14s' "$b req/s"; done; echo
for kind in test digits unknown issued; do
  printf '%-8s' "$kind"
  for b in "${bins[@]}"; do printf '%14s' "$(echo "${RESULTS[$b.$kind]}" | median)"; done
  echo
done
