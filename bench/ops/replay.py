"""Replays a bench/ops wrk script's captured requests N times and waits for each answer; prints
how many answers were not 200. For counting what a request costs (bench/ops/instructions.sh),
where wrk's load is not wanted. With CONNS > 1, that many keep-alive connections each send one
request, then every answer is read before the next round: the server then finds several
requests in one loop turn, as under wrk's load (what group commit shares), still without
timing depending on the machine.
    replay.py PORT SCRIPT.lua N [CONNS]"""
import re
import socket
import sys

port, lua, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conns = int(sys.argv[4]) if len(sys.argv) > 4 else 1
src = open(lua).read().split("local expect")[0]
reqs = [re.sub(r"\\(\d{3})", lambda x: chr(int(x.group(1))), m.group(1)).encode("latin-1")
        for m in re.finditer(r'"((?:[^"\\]|\\\d{3})*)"', src)]
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(conns)]
bufs = [b""] * conns
bad = 0


def answer(k):
    """Reads one answer from connection k; True when its status is 200."""
    s, buf = socks[k], bufs[k]
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, _, buf = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    cl = int(m.group(1)) if m else 0
    while len(buf) < cl:
        buf += s.recv(65536)
    bufs[k] = buf[cl:]
    return head.startswith(b"HTTP/1.1 200")


i = 0
while i < n:
    batch = min(conns, n - i)
    for k in range(batch):
        socks[k].sendall(reqs[(i + k) % len(reqs)])
    for k in range(batch):
        bad += not answer(k)
    i += batch
print("not_200", bad)
sys.exit(1 if bad else 0)
