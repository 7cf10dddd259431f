#!/usr/bin/env python3
"""ENFORCE_IAM's cost in instructions, which other load on a shared machine leaves alone: the server
under valgrind's callgrind, counting off while N warm-up requests are answered, then on over N
requests, for ENFORCE_IAM=0 and 1. The request is bench/sigcheck/run.py's: SQS ListQueues (json)
signed with an IAM user's key, sent on one keep-alive connection, each answer awaited.
    bench/sigcheck/instructions.py [N]    (NIMBUS_BIN: build/nimbus; valgrind on PATH)"""
import os, re, socket, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (bench/sigcheck/run.py: the signed request)
import nimbus_server  # noqa: E402  (on the path run.py set)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def send(port, raw, count):
    """count requests on one connection, each answer read whole; the number not answered 200."""
    bad, buf = 0, b""
    with socket.create_connection(("127.0.0.1", port)) as s:
        for _ in range(count):
            s.sendall(raw)
            while b"\r\n\r\n" not in buf:
                buf += s.recv(65536)
            head, _, buf = buf.partition(b"\r\n\r\n")
            bad += not head.startswith(b"HTTP/1.1 200")
            m = re.search(rb"(?i)content-length: *(\d+)", head)
            while len(buf) < (int(m.group(1)) if m else 0):
                buf += s.recv(65536)
            buf = buf[int(m.group(1)) if m else 0:]
    return bad


def per_request(enforce):
    binary = os.path.abspath(nimbus_server.NIMBUS_BIN)
    out = tempfile.mktemp(prefix="nimbus-sigcheck-callgrind.")
    nimbus_server.NIMBUS_BIN = "valgrind"
    try:
        n = nimbus_server.Nimbus(["--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=" + out, binary],
                                 ENFORCE_IAM=enforce, SERVICES="sqs,iam,sts", LS_LOG="warn").start(timeout=180)
    finally:
        nimbus_server.NIMBUS_BIN = binary
    try:
        headers, body = run.signed_request(n)
        raw = ("POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % n.port + "".join(
            "%s: %s\r\n" % kv for kv in headers.items() if kv[0].lower() != "host") +
            "Content-Length: %d\r\n\r\n%s" % (len(body), body)).encode()
        if send(n.port, raw, N):  # warm-up, not counted
            raise SystemExit("requests failed")
        subprocess.run(["callgrind_control", "-i", "on", str(n.proc.pid)], capture_output=True, check=True)
        bad = send(n.port, raw, N)
        subprocess.run(["callgrind_control", "-d", str(n.proc.pid)], capture_output=True, check=True)
        if bad:
            raise SystemExit("%d requests failed" % bad)
    finally:
        n.stop()
    text = subprocess.run(["callgrind_annotate", out + ".1"], capture_output=True, text=True).stdout
    total = int(re.search(r"([\d,]+) +\(100\.0%\) +PROGRAM TOTALS|([\d,]+) +PROGRAM TOTALS", text).group(0)
                .split()[0].replace(",", ""))
    if os.environ.get("KEEP"):
        print("callgrind file: " + out + ".1")
        return total / N
    for f in (out, out + ".1"):
        if os.path.exists(f):
            os.unlink(f)
    return total / N


counts = {enforce: per_request(enforce) for enforce in ("0", "1")}
for enforce, c in counts.items():
    print("ENFORCE_IAM=%s: %.0f instructions per request (%d requests, callgrind)" % (enforce, c, N))
print("cost: %.1f%% instructions per request" % (100 * (counts["1"] / counts["0"] - 1)))
