"""Raw-socket HTTP/1.1 for the abuse tests: send exact bytes, read the answers back as they are on
the wire (status, headers, body, the protocol's error code), and see whether the server closed."""
import json, re, socket, time

S3_AUTH = ("Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, "
           "SignedHeaders=host, Signature=0")
SQS_AUTH = ("Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host, Signature=0")


class Answer:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def code(self):
        """The error code as each protocol carries it: XML <Code>, JSON __type (after any '#')."""
        m = re.search(rb"<Code>([^<]*)</Code>", self.body)
        if m:
            return m.group(1).decode(errors="replace")
        if self.body.startswith(b"{"):
            try:
                t = json.loads(self.body).get("__type")
            except (ValueError, AttributeError):
                t = None
            if t:
                return t.rsplit("#", 1)[-1]
        return None

    def __repr__(self):
        return f"{self.status} {self.code or ''} {self.body[:200]!r}".replace("  ", " ")


class Closed(Exception):
    """The server closed (or reset) the connection before a whole answer came."""


class Wire:
    """One client connection that sends raw bytes and parses answers in order."""

    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False

    def send(self, data, pace=0.0):
        """All at once, or one byte per send with pace seconds between (stops if the server answers)."""
        try:
            if pace <= 0:
                self.sock.sendall(data)
                return True
            for i in range(len(data)):
                self.sock.sendall(data[i:i + 1])
                if pace > 0.0005 and self._answer_started():
                    return False
                time.sleep(pace)
        except (BrokenPipeError, ConnectionResetError):
            return False
        return True

    def _answer_started(self):
        self.sock.setblocking(False)
        try:
            more = self.sock.recv(65536)
            if more:
                self.buf += more
            else:
                self.eof = True
        except BlockingIOError:
            pass
        except ConnectionResetError:
            self.eof = True
        finally:
            self.sock.setblocking(True)
        return bool(self.buf) or self.eof

    def _fill(self, deadline):
        if self.eof:
            raise Closed()
        self.sock.settimeout(max(0.01, deadline - time.time()))
        try:
            more = self.sock.recv(1 << 20)
        except ConnectionResetError:
            more = b""
        except socket.timeout:
            raise TimeoutError("no answer in time") from None
        if not more:
            self.eof = True
            raise Closed()
        self.buf += more

    def read_answer(self, timeout=15, no_body=False):
        """Next answer; no_body for answers to HEAD (their Content-Length is the object's)."""
        deadline = time.time() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        body = b""
        if not no_body and status >= 200 and status not in (204, 304):
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body = self._read_chunked(deadline)
            else:
                n = int(headers.get("content-length", "0"))
                while len(self.buf) < n:
                    self._fill(deadline)
                body, self.buf = self.buf[:n], self.buf[n:]
        return Answer(status, parts[2] if len(parts) > 2 else "", headers, body)

    def _read_chunked(self, deadline):
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill(deadline)
            line, self.buf = self.buf.split(b"\r\n", 1)
            n = int(line.split(b";")[0], 16)
            while len(self.buf) < n + 2:
                self._fill(deadline)
            body += self.buf[:n]
            self.buf = self.buf[n + 2:]
            if n == 0:
                return body

    def closed_by_server(self, timeout=5):
        """True when the server ends the connection (EOF or reset) within timeout with nothing more to say."""
        if self.buf:
            return False
        try:
            self._fill(time.time() + timeout)
        except Closed:
            return True
        except TimeoutError:
            return False
        return False

    def shutdown_write(self):
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def request(port, method, path, body=b"", headers=(), timeout=15):
    """One well-formed request on its own connection: for fixtures and health checks."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(h + "\r\n" for h in headers) + "Connection: close\r\n\r\n"
    with Wire(port, timeout) as w:
        w.send(head.encode() + body)
        return w.read_answer(timeout, no_body=method == "HEAD")
