#!/usr/bin/env python3
"""The server's CPU time per outbound HTTP request (ABI 1.10, nb_http_send): N sequential sends through the
test provider tests/unit/plugins/tp_http_out.c to a local HTTP (and an HTTPS) endpoint, minus the same
number of calls to the provider's stats endpoint (the inbound request alone), read from /proc/<pid>/stat.

    BUILD=build python3 bench/http_out/cpu.py [N]

Prints microseconds of server CPU per outbound request (user + system) for http and https; the
endpoint's own CPU is not counted. Under load, CPU per request stays comparable where req/s does not."""
import http.client, http.server, json, os, shutil, ssl, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
os.environ.setdefault("NIMBUS_BIN", os.path.join(BUILD, "nimbus"))
os.environ.setdefault("NB_BINARY_DIR", BUILD)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from nimbus_server import Nimbus  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


class Ok(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def timed(n, conn, count, method, path, body):
    start = cpu_seconds(n.proc.pid)
    for _ in range(count):
        conn.request(method, path, body)
        r = conn.getresponse()
        data = r.read()
        if r.status != 200 or (method == "POST" and json.loads(data)["status"] != 200):
            raise SystemExit("unexpected answer: %s" % data[:200])
    return cpu_seconds(n.proc.pid) - start


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    folder = tempfile.mkdtemp()
    try:
        shutil.copy(os.path.join(BUILD, "test-plugins", "tp_http_out.so"), folder)
        cert, key = os.path.join(folder, "c.pem"), os.path.join(folder, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-subj", "/CN=localhost", "-keyout", key, "-out", cert], check=True, capture_output=True)
        plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
        tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        for s in (plain, tls):
            threading.Thread(target=s.serve_forever, daemon=True).start()
        with Nimbus(NIMBUS_PLUGIN_PATH=folder, SERVICES="lambda") as n:
            conn = http.client.HTTPConnection("127.0.0.1", n.port)
            timed(n, conn, 50, "GET", "/_aws/lambda/http-out/stats", None)  # starts the service, warms up
            base = timed(n, conn, count, "GET", "/_aws/lambda/http-out/stats", None)
            for name, server, extra in (("http", plain, {}), ("https", tls, {"insecure": True})):
                args = dict(url="%s://127.0.0.1:%d/hook" % (name, server.server_address[1]), method="POST",
                            body="x" * 1024, **extra)
                body = json.dumps(args)
                timed(n, conn, 20, "POST", "/_aws/lambda/http-out/send", body)
                spent = timed(n, conn, count, "POST", "/_aws/lambda/http-out/send", body)
                print("%-5s %d sends of 1 KiB: %.1f us server CPU per outbound request (inbound call alone: %.1f us)"
                      % (name, count, (spent - base) / count * 1e6, base / count * 1e6))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
