"""Publish-to-receive latency: one message in flight at a time, timed from the moment its Publish request is
sent until a ReceiveMessage long poll on each subscribed queue has returned it.

The requests are the signed bytes bench/sns/prepare.py captured, written to plain sockets, so the client adds
microseconds, not an SDK's milliseconds, to what is timed. One thread per queue keeps a long poll waiting
(it re-polls as soon as one returns); the publisher sends message k, waits until every queue has returned
it, pauses 2 ms so the pollers are waiting again, and sends k+1. A message a queue has not returned within
`timeout` seconds counts as lost.
"""
import re
import socket
import threading
import time

TOKEN = re.compile(rb"lat-\d+-\d{5}")


class Conn:
    """A keep-alive HTTP/1.1 connection that reconnects when the server closes it (moto's werkzeug does)."""

    def __init__(self, host, port):
        self.addr = (host, port)
        self.sock = None
        self.buf = b""

    def _connect(self):
        self.sock = socket.create_connection(self.addr)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _close(self):
        if self.sock:
            self.sock.close()
        self.sock = None

    def _read(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.buf += data

    def _take(self, n):
        while len(self.buf) < n:
            self._read()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self):
        while b"\r\n" not in self.buf:
            self._read()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _response(self):
        while b"\r\n\r\n" not in self.buf:
            self._read()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for h in lines[1:]:
            k, _, v = h.partition(b":")
            headers[k.strip().lower()] = v.strip().lower()
        if headers.get(b"transfer-encoding") == b"chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                chunk = self._take(size + 2)[:size]
                if size == 0:
                    break
                body += chunk
        else:
            body = self._take(int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection") == b"close":
            self._close()
        return status, body

    def roundtrip(self, raw):
        """Sends raw; returns (status, body, time the answer was complete)."""
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(raw)
                status, body = self._response()
                return status, body, time.perf_counter()
            except (ConnectionError, OSError):
                self._close()
                if attempt:
                    raise
        raise AssertionError("unreachable")


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def measure(host, port, publishes, receives, warmup=10, timeout=5.0, budget=120.0):
    """Returns {"delivery": [seconds per message and queue], "fanout": [seconds until every queue had it],
    "lost": n, "errors": n} over the publishes after the first `warmup`, stopping after `budget` seconds."""
    arrivals = {}
    cond = threading.Condition()
    stop = threading.Event()
    errors = [0]

    def poll(qi, raw):
        conn = Conn(host, port)
        while not stop.is_set():
            try:
                status, body, t = conn.roundtrip(raw)
            except OSError:
                status, body, t = 0, b"", time.perf_counter()
            if status != 200:
                with cond:
                    errors[0] += 1
                time.sleep(0.05)
                continue
            found = TOKEN.findall(body)
            if found:
                with cond:
                    for tok in found:
                        arrivals.setdefault(tok, {}).setdefault(qi, t)
                    cond.notify_all()

    threads = [threading.Thread(target=poll, args=(qi, raw), daemon=True) for qi, raw in enumerate(receives)]
    for th in threads:
        th.start()
    time.sleep(0.2)  # the pollers' first long polls are waiting
    pub = Conn(host, port)
    delivery, fanout, lost = [], [], 0
    started = time.perf_counter()
    for k, raw in enumerate(publishes):
        if time.perf_counter() - started > budget:
            break
        tok = TOKEN.search(raw).group(0)
        t0 = time.perf_counter()
        status, _, _ = pub.roundtrip(raw)
        if status != 200:
            errors[0] += 1
            continue
        with cond:
            cond.wait_for(lambda: len(arrivals.get(tok, {})) == len(receives), timeout)
            got = dict(arrivals.get(tok, {}))
        if k >= warmup:
            if len(got) < len(receives):
                lost += 1
            else:
                times = [t - t0 for t in got.values()]
                delivery.extend(times)
                fanout.append(max(times))
        time.sleep(0.002)
    stop.set()
    for th in threads:
        th.join(timeout=5)
    return {"delivery": delivery, "fanout": fanout, "lost": lost, "errors": errors[0]}
