"""Plugin ABI 1.10: outbound HTTP requests (nb_http_send), end to end through a test provider
(tests/unit/plugins/tp_http_out.c as lambda) against small HTTP and HTTPS servers run by this test:
a 200 with its body and headers, a chunked answer, a 500, a refused connection, an unknown host, a
timeout, an oversized answer, HTTPS with a self-signed certificate accepted when asked and refused
otherwise, a cancel, and the requests under way ending with NB_ECANCELED when the server stops."""
import http.client, http.server, json, os, shutil, socket, ssl, subprocess, sys, tempfile, threading, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, Nimbus, free_port

PLUGIN = os.path.join(BINARY_DIR, "test-plugins", "tp_http_out.so")
SEND = "/_aws/lambda/http-out/send"
# nimbus/errno.h
NB_ELIMIT, NB_ECANCELED, NB_ETIMEDOUT, NB_ECONNREFUSED, NB_EDNS, NB_ETLS = -8, -20, -21, -22, -23, -24
BIG = 2 * 1024 * 1024


class Target(http.server.BaseHTTPRequestHandler):
    """What the server under test calls: each path one kind of answer; every request is recorded."""
    protocol_version = "HTTP/1.1"
    seen = []

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Target.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                            "body": body.decode()})
        if self.path.startswith("/ok"):
            self.answer(200, b"hello there", [("X-Answer", "yes"), ("Content-Type", "text/plain")])
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first,", b"second,", b"third"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/fail":
            self.answer(500, b"boom")
        elif self.path == "/slow":
            time.sleep(3)
            self.answer(200, b"late")
        elif self.path == "/big":
            self.answer(200, b"x" * BIG)
        else:
            self.answer(404, b"")

    do_GET = do_POST = do_PUT = handle_any

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")  # what a GET would have: no body follows
        self.end_headers()


def serve(server):
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def self_signed(folder):
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def start_nimbus(folder):
    shutil.copy(PLUGIN, folder)
    n = Nimbus(NIMBUS_PLUGIN_PATH=folder, SERVICES="lambda")
    n.start()
    return n


def post(n, args, timeout=30):
    scheme, rest = n.url.split("://")
    host, port = rest.split(":")
    conn = (http.client.HTTPSConnection(host, int(port), timeout=timeout,
                                        context=ssl.create_default_context(cafile=n.ca)) if scheme == "https"
            else http.client.HTTPConnection(host, int(port), timeout=timeout))
    conn.request("POST", SEND, json.dumps(args))
    r = conn.getresponse()
    body = r.read()
    conn.close()
    if r.status != 200:
        raise AssertionError("%d %s" % (r.status, body[:200]))
    return json.loads(body)


def stats(n):
    conn = http.client.HTTPConnection("127.0.0.1", n.port, timeout=10)
    conn.request("GET", "/_aws/lambda/http-out/stats")
    try:
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


class HttpOut(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.web = serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target))
        cls.base = "http://127.0.0.1:%d" % cls.web.server_address[1]
        cert, key = self_signed(cls.dir)
        cls.tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        cls.tls.socket = ctx.wrap_socket(cls.tls.socket, server_side=True)
        serve(cls.tls)
        cls.tls_base = "https://127.0.0.1:%d" % cls.tls.server_address[1]
        plugins = os.path.join(cls.dir, "plugins")
        os.makedirs(plugins)
        cls.n = start_nimbus(plugins)

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.n.stop()
            assert rc == 0, "the server did not exit cleanly:\n" + cls.n.output[-3000:]
            for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                assert mark not in cls.n.output, cls.n.output[-3000:]
        finally:
            cls.web.shutdown()
            cls.tls.shutdown()
            shutil.rmtree(cls.dir, ignore_errors=True)

    def test_200_with_body_headers_and_request_as_sent(self):
        Target.seen.clear()
        r = post(self.n, {"url": self.base + "/ok?x=1", "method": "POST", "body": '{"a": 1}',
                          "headers": {"Content-Type": "application/json", "x-amz-sns-message-type": "Notification"}})
        self.assertEqual(r["status"], 200)
        self.assertEqual(r["body"], "hello there")
        self.assertIn(["X-Answer", "yes"], r["headers"])
        seen = Target.seen[-1]
        self.assertEqual((seen["method"], seen["path"], seen["body"]), ("POST", "/ok?x=1", '{"a": 1}'))
        self.assertEqual(seen["headers"]["x-amz-sns-message-type"], "Notification")
        self.assertEqual(seen["headers"]["Content-Type"], "application/json")
        self.assertEqual(seen["headers"]["Host"], "127.0.0.1:%d" % self.web.server_address[1])

    def test_host_name_resolved_each_address_tried(self):
        # localhost may resolve to ::1 first, where nothing listens: 127.0.0.1 is tried next
        Target.seen.clear()
        r = post(self.n, {"url": "http://localhost:%d/ok" % self.web.server_address[1]})
        self.assertEqual((r["status"], r["body"]), (200, "hello there"))
        self.assertEqual(Target.seen[-1]["headers"]["Host"], "localhost:%d" % self.web.server_address[1])

    def test_head_answer_has_no_body(self):
        r = post(self.n, {"url": self.base + "/ok", "method": "HEAD", "timeout_ms": 3000})
        self.assertEqual((r["status"], r["body"]), (200, ""))
        self.assertIn(["Content-Length", "1000"], r["headers"])

    def test_basic_authentication_from_the_url(self):
        Target.seen.clear()
        url = self.base.replace("http://", "http://user:secret@") + "/ok"
        self.assertEqual(post(self.n, {"url": url, "method": "GET"})["status"], 200)
        self.assertEqual(Target.seen[-1]["headers"]["Authorization"], "Basic dXNlcjpzZWNyZXQ=")

    def test_chunked_answer(self):
        r = post(self.n, {"url": self.base + "/chunked"})
        self.assertEqual((r["status"], r["body"]), (200, "first,second,third"))

    def test_500_is_an_answer(self):
        r = post(self.n, {"url": self.base + "/fail", "method": "POST", "body": "x"})
        self.assertEqual((r["status"], r["body"]), (500, "boom"))

    def test_connection_refused(self):
        r = post(self.n, {"url": "http://127.0.0.1:%d/" % free_port()})
        self.assertEqual(r["status"], NB_ECONNREFUSED, r)
        self.assertEqual(r["headers"], [])

    def test_unknown_host(self):
        r = post(self.n, {"url": "http://no-such-host.invalid/x"})
        self.assertEqual(r["status"], NB_EDNS, r)

    def test_timeout(self):
        started = time.monotonic()
        r = post(self.n, {"url": self.base + "/slow", "timeout_ms": 500})
        self.assertEqual(r["status"], NB_ETIMEDOUT, r)
        self.assertLess(time.monotonic() - started, 2.5, "the total timeout did not end the request")

    def test_loop_serves_others_while_a_request_waits(self):
        results = []
        t = threading.Thread(target=lambda: results.append(post(self.n, {"url": self.base + "/slow"})))
        t.start()
        time.sleep(0.3)  # the outbound request is now waiting on /slow's 3 s
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=10)
        conn.request("GET", "/_localstack/health")
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
        self.assertLess(time.monotonic() - started, 1.0, "the server did not answer while a request was out")
        t.join(10)
        self.assertEqual((results[0]["status"], results[0]["body"]), (200, "late"))

    def test_oversized_answer(self):
        r = post(self.n, {"url": self.base + "/big", "max_response": 1024 * 1024})
        self.assertEqual(r["status"], NB_ELIMIT, r)
        r = post(self.n, {"url": self.base + "/big", "max_response": BIG})
        self.assertEqual((r["status"], len(r["body"])), (200, BIG))

    def test_https_self_signed_accepted_when_asked(self):
        r = post(self.n, {"url": self.tls_base + "/ok", "method": "POST", "body": "secret", "insecure": True})
        self.assertEqual((r["status"], r["body"]), (200, "hello there"))

    def test_https_self_signed_refused_by_default(self):
        r = post(self.n, {"url": self.tls_base + "/ok"})
        self.assertEqual(r["status"], NB_ETLS, r)

    def test_https_to_a_plain_http_server_fails_tls(self):
        r = post(self.n, {"url": self.base.replace("http://", "https://") + "/ok", "insecure": True,
                          "timeout_ms": 3000})
        self.assertEqual(r["status"], NB_ETLS, r)

    def test_bad_urls_refused_at_send(self):
        for url in ("ftp://127.0.0.1/", "http://", "http://[::1/", "http://h:port/", "no scheme"):
            r = post(self.n, {"url": url})
            self.assertEqual(r.get("send_failed"), -2, (url, r))  # NB_EINVAL, no callback
        r = post(self.n, {"url": self.base + "/ok", "headers": {"X-Bad": "a\r\nInjected: 1"}})
        self.assertEqual(r.get("send_failed"), -2, r)

    def test_cancel_runs_no_callback(self):
        before = stats(self.n)["callbacks"]
        r = post(self.n, {"url": self.base + "/slow", "cancel_after_ms": 200})
        self.assertEqual(r, {"cancelled": True})
        time.sleep(0.3)
        self.assertEqual(stats(self.n)["callbacks"], before)


class HttpOutAtStop(unittest.TestCase):
    def test_requests_under_way_end_cancelled_when_the_server_stops(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder, True)
        hang = socket.socket()
        hang.bind(("127.0.0.1", 0))
        hang.listen(4)  # accepts connections, never answers
        self.addCleanup(hang.close)
        n = start_nimbus(folder)
        try:
            results = []
            t = threading.Thread(target=lambda: results.append(post(n, {
                "url": "http://127.0.0.1:%d/" % hang.getsockname()[1], "timeout_ms": 60000})))
            t.start()
            conn, _ = hang.accept()  # the request reached its endpoint: it is under way
            self.addCleanup(conn.close)
            time.sleep(0.2)
            started = time.monotonic()
            rc = n.stop()
            self.assertEqual(rc, 0, n.output[-3000:])
            self.assertLess(time.monotonic() - started, 5, "the stop waited for the outbound request")
            t.join(10)
            self.assertIn("tp-http-out: callback status %d" % NB_ECANCELED, n.output)
            self.assertEqual(results and results[0]["status"], NB_ECANCELED, results)
        finally:
            n.stop()


if __name__ == "__main__":
    unittest.main()
