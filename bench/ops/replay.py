"""Replays a bench/ops wrk script's captured requests N times on one keep-alive connection and
waits for each answer; prints how many answers were not 200. For counting what a request costs
(bench/ops/instructions.sh), where wrk's load is not wanted.
    replay.py PORT SCRIPT.lua N"""
import re
import socket
import sys

port, lua, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
src = open(lua).read().split("local expect")[0]
reqs = [re.sub(r"\\(\d{3})", lambda x: chr(int(x.group(1))), m.group(1)).encode("latin-1")
        for m in re.finditer(r'"((?:[^"\\]|\\\d{3})*)"', src)]
s = socket.create_connection(("127.0.0.1", port))
buf, bad = b"", 0
for i in range(n):
    s.sendall(reqs[i % len(reqs)])
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, _, buf = buf.partition(b"\r\n\r\n")
    bad += not head.startswith(b"HTTP/1.1 200")
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    cl = int(m.group(1)) if m else 0
    while len(buf) < cl:
        buf += s.recv(65536)
    buf = buf[cl:]
print("not_200", bad)
sys.exit(1 if bad else 0)
