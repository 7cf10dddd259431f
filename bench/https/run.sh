#!/usr/bin/env bash
# HTTPS benchmark (issue 21, item 1): keep-alive requests/s over TLS next to plain HTTP on the same
# port and server, and their ratio (the goal: TLS at >= 70% of plain); new TLS connections per
# second; server CPU per request; memory per idle connection, TLS and plain; start-up time with and without a certificate
# to make.
#   bench/https/run.sh [seconds-per-run] [rounds]     (needs wrk; builds Release into build/)
# Rounds alternate plain and TLS runs, so that a neighbour's load on a shared machine hits both;
# the medians are compared.
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-5}
ROUNDS=${2:-3}
THREADS=2
CONNS=64
nice cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
nice cmake --build build -j2 >/dev/null
NIMBUS=$PWD/build/nimbus
PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

echo "== start-up: exec to Ready. and the idle RSS there (20 runs each)"
/usr/bin/python3 - "$NIMBUS" "$PORT" "$tmp" <<'PY'
import os, shutil, statistics, subprocess, sys, time
nimbus, port, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
def start(data, **extra):
    env = dict(os.environ, GATEWAY_LISTEN=f"127.0.0.1:{port}", DATA_DIR=data, **extra)
    t0 = time.perf_counter()
    p = subprocess.Popen([nimbus], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = ""
    for line in p.stdout:
        out += line
        if line.strip() == "Ready.":
            break
    took = (time.perf_counter() - t0) * 1000
    time.sleep(0.05)
    with open(f"/proc/{p.pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
    p.terminate(); p.wait()
    return took, out, rss
made, reused, off = [], [], []
for i in range(20):
    fresh = os.path.join(tmp, "fresh%d" % i)
    t, out, rss = start(fresh)
    assert "made now" in out, out
    made.append((t, rss))
    t, out, rss = start(fresh)
    assert "reused" in out, out
    reused.append((t, rss))
    off.append(start(fresh, NIMBUS_HTTPS="0")[::2])
    shutil.rmtree(fresh)
for name, runs in (("CA and certificate made", made), ("certificate reused", reused), ("HTTPS off", off)):
    ts = [t for t, _ in runs]
    rss = statistics.median(r for _, r in runs) / 1024
    print(f"{name:26s} median {statistics.median(ts):6.1f} ms, best {min(ts):6.1f} ms, idle RSS {rss:.2f} MiB")
PY

DATA="$tmp/data"
GATEWAY_LISTEN=127.0.0.1:$PORT DATA_DIR=$DATA SERVICES=s3 $NIMBUS >"$tmp/log" 2>&1 &
NPID=$!
for _ in $(seq 50); do grep -q '^Ready\.$' "$tmp/log" && break; sleep 0.1; done
CA=$DATA/tls/ca.crt
curl -sf --cacert "$CA" -X PUT "https://127.0.0.1:$PORT/bench" >/dev/null
head -c 4096 /dev/urandom >"$tmp/obj"
curl -sf --cacert "$CA" -T "$tmp/obj" "https://127.0.0.1:$PORT/bench/obj4k" >/dev/null
head -c 262144 /dev/urandom >"$tmp/obj"
curl -sf --cacert "$CA" -T "$tmp/obj" "https://127.0.0.1:$PORT/bench/obj256k" >/dev/null

# "<requests/s> <server CPU microseconds per request>" of a run; fails when an answer was not a
# 2xx (the run would measure an error path). The server's CPU per request (from /proc) is the
# steadier figure on a shared machine, and leaves out wrk's own TLS work on the same cores.
cpu_ticks() { awk '{print $14 + $15}' /proc/$NPID/stat; }
TICK=$(getconf CLK_TCK)
run_wrk() { # url [extra wrk args...]
  local url=$1
  shift
  local out c0 c1
  c0=$(cpu_ticks)
  out=$(wrk -t$THREADS -c$CONNS -d${DUR}s "$@" "$url")
  c1=$(cpu_ticks)
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
    echo "bench: $url: $(grep 'Non-2xx\|Socket errors' <<<"$out")" >&2
    exit 1
  fi
  local n rps
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  echo "$rps $(echo "($c1 - $c0) * 1000000 / $TICK / $n" | bc -l)"
}
median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== keep-alive requests/s and server CPU per request, $CONNS connections, $THREADS wrk threads, ${DUR}s per run, $ROUNDS rounds (medians)"
printf "%-24s %10s %10s %7s   %12s %12s %7s\n" "target" "HTTP r/s" "HTTPS r/s" "ratio" "HTTP us/req" "HTTPS us/req" "ratio"
for target in /_localstack/health /bench/obj4k /bench/obj256k; do
  prps="" pcpu="" trps="" tcpu=""
  for _ in $(seq "$ROUNDS"); do
    read -r r c < <(run_wrk "http://127.0.0.1:$PORT$target")
    prps="$prps $r" pcpu="$pcpu $c"
    read -r r c < <(run_wrk "https://127.0.0.1:$PORT$target")
    trps="$trps $r" tcpu="$tcpu $c"
  done
  p=$(echo $prps | median) t=$(echo $trps | median) pc=$(echo $pcpu | median) tc=$(echo $tcpu | median)
  printf "%-24s %10.0f %10.0f %6.0f%%   %12.1f %12.1f %6.0f%%\n" "GET $target" "$p" "$t" \
    "$(echo "100 * $t / $p" | bc -l)" "$pc" "$tc" "$(echo "100 * $pc / $tc" | bc -l)"
  echo "    runs: HTTP r/s$prps; HTTPS r/s$trps"
done

echo "== a new connection per request (Connection: close): handshakes/s"
read -r p pc < <(run_wrk "http://127.0.0.1:$PORT/_localstack/health" -H "Connection: close")
read -r t tc < <(run_wrk "https://127.0.0.1:$PORT/_localstack/health" -H "Connection: close")
printf "%-24s %10.0f %10.0f %6.0f%%   %12.1f %12.1f\n" "GET health, closed" "$p" "$t" "$(echo "100 * $t / $p" | bc -l)" "$pc" "$tc"

echo "== memory per idle keep-alive connection (RSS growth over 1000 connections, each after one request)"
/usr/bin/python3 - "$NPID" "$PORT" "$CA" <<'PY'
import socket, ssl, sys, time
pid, port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
ctx = ssl.create_default_context(cafile=ca)
req = b"GET /_localstack/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
def open_many(n, tls):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        if tls:
            s = ctx.wrap_socket(s, server_hostname="localhost.localstack.cloud")
        s.sendall(req)
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        socks.append(s)
    time.sleep(0.5)
    return socks
# The TLS run is repeated once its connections are closed: the memory they freed takes the
# next ones (no growth), which shows nothing stays behind per connection.
for tls, label in ((False, "plain"), (True, "TLS"), (True, "TLS again")):
    before = rss_kb()
    socks = open_many(1000, tls)
    after = rss_kb()
    print(f"{label:9s}: {(after - before) / 1000:.1f} kB per connection (RSS {before} -> {after} kB)")
    for s in socks:
        s.close()
    time.sleep(1.0)
PY
