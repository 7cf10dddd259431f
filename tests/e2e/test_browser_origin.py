"""End-to-end with a real browser: a page served from another origin, opened in headless
Chromium, tries to reset Nimbus's state, read an S3 object (whose bucket's CORS rules allow any
origin) and purge an SQS queue, with the requests a page may send without a preflight. All fail
and nothing changes. The same page from an allowed origin (localhost) succeeds, so the check is
what stops the attack. Skipped, saying so, where /usr/bin/chromium is absent."""
import http.server, json, os, shutil, signal, subprocess, sys, tempfile, threading, unittest, urllib.parse

import boto3

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

CHROMIUM = "/usr/bin/chromium"

# Every request is a "simple" one: no preflight, so without the server's check it would reach handlers.
PAGE = """<!doctype html><meta charset="utf-8"><title>attacker</title><script>
const N = %(nimbus)s, ATTACKS = %(attacks)s;
async function attempt(name, url, init) {
  try {
    const r = await fetch(url, init);
    return {name, status: r.status, type: r.type, body: r.type === "opaque" ? null : await r.text()};
  } catch (e) {
    return {name, error: String(e)};
  }
}
(async () => {
  const results = [];
  for (const a of ATTACKS)
    results.push(await attempt(a.name, N + a.path, a.init));
  await fetch("/report", {method: "POST", body: JSON.stringify(results)});
})();
</script>"""


class PageServer:
    """Serves the attacker page from host:port and collects what the page reports."""

    def __init__(self, host, page):
        self.report = None
        self.got = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = page.encode()
                self.send_response(200 if self.path == "/" else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/report":
                    outer.report = json.loads(data)
                    outer.got.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def open_in_chromium(url, done, timeout=60):
    profile = tempfile.mkdtemp(prefix="nimbus-chromium-")
    proc = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             "--no-proxy-server", "--user-data-dir=" + profile, url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        if not done.wait(timeout):
            proc.terminate()
            raise AssertionError("the page did not report within %ds; chromium said:\n%s"
                                 % (timeout, proc.communicate(timeout=10)[1][-3000:]))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # chromium's own children are in its session
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


@unittest.skipUnless(os.path.exists(CHROMIUM), CHROMIUM + " is absent")
class BrowserAttack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="s3,sqs").start()
        kw = dict(endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test")
        cls.s3, cls.sqs = boto3.client("s3", **kw), boto3.client("sqs", **kw)

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def setup_state(self, name):
        self.s3.create_bucket(Bucket=name)
        self.s3.put_object(Bucket=name, Key="secret.txt", Body=b"top secret")
        # S3's own rules would let any page read it: only the gateway's origin check stands in the way
        self.s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
        queue = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.sqs.send_message(QueueUrl=queue, MessageBody="keep me")
        return queue

    def messages(self, queue):
        attrs = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    def run_page(self, host, page_host, name, queue, extra=()):
        purge = urllib.parse.urlencode({"Action": "PurgeQueue", "QueueUrl": queue})
        attacks = list(extra) + [  # the reset last: it would undo the others
            {"name": "read", "path": "/%s/secret.txt" % name, "init": {}},
            {"name": "purge", "path": "/",
             "init": {"method": "POST", "headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": purge}},
            {"name": "reset", "path": "/_localstack/state/reset",
             "init": {"method": "POST", "headers": {"Content-Type": "text/plain"}, "body": "{}"}},
        ]
        page = PAGE % {"nimbus": json.dumps(self.n.url), "attacks": json.dumps(attacks)}
        server = PageServer(host, page)
        try:
            open_in_chromium("http://%s:%d/" % (page_host, server.port), server.got)
        finally:
            server.close()
        return {r["name"]: r for r in server.report}, "http://%s:%d" % (page_host, server.port)

    def test_a_page_from_another_origin_cannot_reset_read_or_purge(self):
        queue = self.setup_state("browser-victim")
        purge_get = "/?" + urllib.parse.urlencode({"Action": "PurgeQueue", "QueueUrl": queue})
        # an <img>-like GET: no Origin, and no Referer either
        sneaky = {"name": "purge-get", "path": purge_get, "init": {"mode": "no-cors", "referrerPolicy": "no-referrer"}}
        results, origin = self.run_page("127.0.0.2", "127.0.0.2", "browser-victim", queue, [sneaky])
        for name in ("reset", "read", "purge"):  # the browser sees no CORS grant: fetch fails
            self.assertIn("TypeError", results[name].get("error", ""), results[name])
        self.assertNotIn("top secret", json.dumps(results))
        # what the user sees: nothing changed
        self.assertEqual(self.s3.get_object(Bucket="browser-victim", Key="secret.txt")["Body"].read(), b"top secret")
        self.assertEqual(self.messages(queue), 1)
        self.assertIn("browser-victim", [b["Name"] for b in self.s3.list_buckets()["Buckets"]])
        # and the server refused each request before any handler ran
        refused = "requests from the web page origin '%s' are not allowed" % origin
        for line in ("nimbus: refused POST /_localstack/state/reset: " + refused,
                     "nimbus: refused GET /browser-victim/secret.txt: " + refused,
                     "nimbus: refused POST /: " + refused,
                     "nimbus: refused GET /: requests from the web page origin 'null' are not allowed"):
            self.assertIn(line, self.n.output)

    def test_the_same_page_from_an_allowed_origin_succeeds(self):
        queue = self.setup_state("browser-friend")
        # served on 127.0.0.1, opened as http://localhost:<port> (localhost is allowed on any port)
        results, _ = self.run_page("127.0.0.1", "localhost", "browser-friend", queue)
        self.assertEqual((results["read"].get("status"), results["read"].get("body")), (200, "top secret"), results)
        self.assertEqual(results["purge"].get("status"), 200, results)
        self.assertEqual(results["reset"].get("status"), 200, results)
        self.assertEqual(json.loads(results["reset"]["body"]), {"reset": ["s3", "sqs"]})
        self.assertEqual(self.s3.list_buckets()["Buckets"], [])  # the reset ran last


if __name__ == "__main__":
    if not os.path.exists(CHROMIUM):
        print("test_browser_origin: skipped: %s is absent (apt-get install chromium; tools/deps.sh --test installs it)"
              % CHROMIUM)
    unittest.main(verbosity=2)
