"""Instructions a request costs in the server, which other load on a shared machine leaves alone
(req/s and CPU time do not): a Nimbus under valgrind's callgrind, counting only while the requests
measured are answered. Used by bench/sigcheck/instructions.py and bench/iam/run.sh.

    with CallgrindNimbus(ENFORCE_IAM="1") as n:       # n.url, n.port, as tests/e2e's Nimbus
        ...set up with boto3...
        per_request = n.count(raw_request_bytes, 2000) # after as many uncounted warm-up requests
"""
import os, re, socket, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import nimbus_server  # noqa: E402


def send(port, raw, count):
    """count requests on one keep-alive connection, each answer read whole: how many were not 200."""
    bad, buf = 0, b""
    with socket.create_connection(("127.0.0.1", port)) as s:
        for _ in range(count):
            s.sendall(raw)
            while b"\r\n\r\n" not in buf:
                buf += s.recv(65536)
            head, _, buf = buf.partition(b"\r\n\r\n")
            bad += not head.startswith(b"HTTP/1.1 200")
            m = re.search(rb"(?i)content-length: *(\d+)", head)
            length = int(m.group(1)) if m else 0
            while len(buf) < length:
                buf += s.recv(65536)
            buf = buf[length:]
    return bad


def raw_request(port, method, path, headers, body=b""):
    """The bytes of a request signed by botocore (its headers; Host as it signed it)."""
    body = body.encode() if isinstance(body, str) else (body or b"")
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1:%d" % port]
    for name, value in headers.items():
        value = value.decode() if isinstance(value, bytes) else value
        if name.lower() not in ("host", "content-length"):
            lines.append("%s: %s" % (name, value))
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class CallgrindNimbus(nimbus_server.Nimbus):
    def __init__(self, **env):
        self.out = tempfile.mktemp(prefix="nimbus-bench-count.")
        self.binary = os.path.abspath(nimbus_server.NIMBUS_BIN)
        super().__init__(["--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=" + self.out,
                          self.binary], **env)
        self.dumps = 0

    def start(self, timeout=180):
        nimbus_server.NIMBUS_BIN = "valgrind"
        try:
            return super().start(timeout)
        finally:
            nimbus_server.NIMBUS_BIN = self.binary

    def count(self, raw, n):
        """Instructions per request over n requests, after n uncounted ones."""
        if send(self.port, raw, n):
            raise SystemExit("warm-up requests failed")
        # on from the first count on (turned off again, callgrind's next dump can wrap below zero);
        # zeroed after the warm-up, and a dump zeroes it again
        self.control("-i", "on")
        self.control("-z")
        bad = send(self.port, raw, n)
        self.control("-d")
        if bad:
            raise SystemExit("%d of %d requests failed" % (bad, n))
        self.dumps += 1
        dump = "%s.%d" % (self.out, self.dumps)
        text = subprocess.run(["callgrind_annotate", dump], capture_output=True, text=True).stdout
        total = int(re.search(r"([\d,]+)\s+(?:\([\d.]+%\)\s+)?PROGRAM TOTALS", text).group(1).replace(",", ""))
        if not os.environ.get("KEEP"):
            os.unlink(dump)
        return total / n

    def control(self, *args):
        subprocess.run(["callgrind_control", *args, str(self.proc.pid)], capture_output=True, check=True)

    def __exit__(self, *exc):
        super().__exit__(*exc)
        if os.path.exists(self.out):
            os.unlink(self.out)
