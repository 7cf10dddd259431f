"""End-to-end: no web page can drive Nimbus. Requests from web page origins not on the
allow-list, and (while Nimbus listens on loopback only) requests for Host names it does not
serve (DNS rebinding), get 403 before any handler runs; allowed origins get CORS headers; S3
answers CORS from its bucket rules only. Plain HTTP, headers as browsers send them."""
import http.client, os, sys, unittest, urllib.parse

import boto3

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

EVIL = "http://evil.example"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def raw(n, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", n.port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def cors_headers(headers):
    return {k: v for k, v in headers.items() if k.startswith("access-control-")}


def clients(n):
    kw = dict(endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    return boto3.client("s3", **kw), boto3.client("sqs", **kw)


class State:
    """A bucket with an object and a queue with a message, and what a user sees of them."""

    def __init__(self, n, name):
        self.n = n
        self.s3, self.sqs = clients(n)
        self.bucket = name + "-bkt"
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.put_object(Bucket=self.bucket, Key="secret.txt", Body=b"top secret")
        self.queue = self.sqs.create_queue(QueueName=name + "-q")["QueueUrl"]
        self.sqs.send_message(QueueUrl=self.queue, MessageBody="keep me")
        self.queue_path = urllib.parse.urlparse(self.queue).path

    def messages(self):
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    def object(self):
        return self.s3.get_object(Bucket=self.bucket, Key="secret.txt")["Body"].read()

    # The three attacks, as a page's fetch/form would send them (no preflight needed).
    def reset(self, headers):
        return raw(self.n, "POST", "/_localstack/state/reset", b"", dict({"Content-Type": "text/plain"}, **headers))

    def read(self, headers):
        return raw(self.n, "GET", "/%s/secret.txt" % self.bucket, None, headers)

    def purge(self, headers):
        body = urllib.parse.urlencode({"Action": "PurgeQueue", "QueueUrl": self.queue})
        return raw(self.n, "POST", "/", body, dict(FORM, **headers))


class DisallowedOrigins(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="s3,sqs").start()
        cls.state = State(cls.n, "origin")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def assert_unchanged(self):
        self.assertEqual(self.state.object(), b"top secret")
        self.assertEqual(self.state.messages(), 1)

    def test_reset_read_and_purge_from_another_origin_get_403_and_change_nothing(self):
        for origin in (EVIL, "null", "http://127.0.0.2:8000", "http://localhost.evil.example",
                       "https://app.localstack.cloud.evil.example", "http://evillocalhost.localstack.cloud",
                       "https://app.localstack.cloud:8443", "http://localhost:3000/path"):
            with self.subTest(origin=origin):
                h = {"Origin": origin}
                status, headers, body = self.state.reset(h)
                self.assertEqual(status, 403)
                self.assertEqual(body, ("Forbidden: requests from the web page origin '%s' are not allowed; "
                                        "EXTRA_CORS_ALLOWED_ORIGINS adds origins\n" % origin).encode())
                self.assertEqual(cors_headers(headers), {})
                status, headers, body = self.state.read(h)
                self.assertEqual(status, 403)
                self.assertIn(b"<Code>AccessDenied</Code>", body)  # S3's error format
                self.assertNotIn(b"top secret", body)
                self.assertEqual(cors_headers(headers), {})
                status, headers, body = self.state.purge(h)
                self.assertEqual(status, 403)
                self.assertIn(b"<ErrorResponse", body)  # SQS's query-protocol error format
                self.assertIn(b"<Code>AccessDenied</Code>", body)
                self.assert_unchanged()
        self.assertIn("nimbus: refused POST /_localstack/state/reset: requests from the web page origin "
                      "'http://evil.example' are not allowed", self.n.output)

    def test_a_page_without_origin_is_judged_by_referer_or_sec_fetch_site(self):
        # no-cors GETs (an <img>, a link) carry no Origin; Referer or Sec-Fetch-Site says who sent them
        purge_get = "/?" + urllib.parse.urlencode({"Action": "PurgeQueue", "QueueUrl": self.state.queue})
        for h in ({"Referer": EVIL + "/page.html?x=1"}, {"Sec-Fetch-Site": "cross-site"},
                  {"Sec-Fetch-Site": "same-site"}):
            with self.subTest(headers=h):
                self.assertEqual(raw(self.n, "GET", purge_get, None, h)[0], 403)
                self.assertEqual(self.state.read(h)[0], 403)
                self.assert_unchanged()
        # the address bar (Sec-Fetch-Site: none) and same-origin pages pass
        for h in ({"Sec-Fetch-Site": "none"}, {"Referer": "http://localhost:%d/bkt/index.html" % self.n.port}):
            self.assertEqual(self.state.read(h)[:3:2], (200, b"top secret"), h)

    def test_preflight_from_a_disallowed_origin_is_not_granted(self):
        for path in ("/", "/_localstack/state/reset", "/%s/secret.txt" % self.state.bucket, self.state.queue_path):
            status, headers, _ = raw(self.n, "OPTIONS", path, None, {
                "Origin": EVIL, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-amz-target"})
            self.assertEqual(status, 403, path)
            self.assertEqual(cors_headers(headers), {}, path)

    def test_requests_without_origin_pass_as_before(self):
        self.assertEqual(self.state.read({})[:3:2], (200, b"top secret"))
        self.assertEqual(raw(self.n, "GET", "/_localstack/health")[0], 200)

    def test_allowed_origins_pass_and_get_cors_headers(self):
        for origin in ("http://localhost", "http://localhost:3000", "https://localhost:8443", "http://127.0.0.1:8080",
                       "http://[::1]:5173", "http://localhost.localstack.cloud:4566",
                       "https://my-bucket.s3.localhost.localstack.cloud", "https://app.localstack.cloud",
                       "http://app.localstack.cloud"):
            with self.subTest(origin=origin):
                status, headers, _ = raw(self.n, "GET", "/_localstack/health", None, {"Origin": origin})
                self.assertEqual(status, 200)
                self.assertEqual(headers.get("access-control-allow-origin"), origin)
                self.assertEqual(headers.get("vary"), "Origin")
                # another service than S3: the gateway's headers
                body = urllib.parse.urlencode({"Action": "GetQueueUrl", "QueueName": "origin-q"})
                status, headers, resp = raw(self.n, "POST", "/", body, dict(FORM, Origin=origin))
                self.assertEqual(status, 200, resp)
                self.assertEqual(headers.get("access-control-allow-origin"), origin)
                status, headers, _ = raw(self.n, "OPTIONS", "/", None, {
                    "Origin": origin, "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type,x-amz-target",
                    "Access-Control-Request-Private-Network": "true"})
                self.assertEqual(status, 204)
                self.assertEqual(headers.get("access-control-allow-origin"), origin)
                self.assertEqual(headers.get("access-control-allow-headers"), "content-type,x-amz-target")
                self.assertEqual(headers.get("access-control-allow-private-network"), "true")

    def test_s3_answers_cors_from_the_bucket_rules_only(self):
        s3 = self.state.s3
        s3.create_bucket(Bucket="cors-only-rules")
        s3.put_object(Bucket="cors-only-rules", Key="k", Body=b"v")
        origin = {"Origin": "http://localhost:3000"}
        status, headers, body = raw(self.n, "GET", "/cors-only-rules/k", None, origin)
        self.assertEqual((status, body), (200, b"v"))
        self.assertEqual(cors_headers(headers), {})  # no CORS configuration: no CORS headers
        s3.put_bucket_cors(Bucket="cors-only-rules", CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["http://localhost:3000"], "AllowedMethods": ["GET"], "ExposeHeaders": ["ETag"]}]})
        status, headers, _ = raw(self.n, "GET", "/cors-only-rules/k", None, origin)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("access-control-allow-origin"), "http://localhost:3000")
        self.assertEqual(headers.get("access-control-allow-methods"), "GET")
        self.assertEqual(headers.get("access-control-expose-headers"), "ETag")
        # an allowed origin the rules do not list: no headers, not the gateway's
        status, headers, _ = raw(self.n, "GET", "/cors-only-rules/k", None, {"Origin": "http://127.0.0.1:3000"})
        self.assertEqual(status, 200)
        self.assertEqual(cors_headers(headers), {})

    def test_dns_rebinding_host_gets_403_while_on_loopback(self):
        for host in ("evil.example:%d" % self.n.port, "evil.example", "localhost.evil.example:%d" % self.n.port):
            with self.subTest(host=host):
                status, _, body = raw(self.n, "GET", "/_localstack/health", None, {"Host": host})
                self.assertEqual(status, 403)
                self.assertIn(b"Nimbus does not serve the host name", body)
                status, _, body = self.state.read({"Host": host})
                self.assertEqual(status, 403)
                self.assertNotIn(b"top secret", body)
                self.assertEqual(self.state.purge({"Host": host})[0], 403)
                self.assertEqual(self.state.reset({"Host": host})[0], 403)
                self.assert_unchanged()
        for host in ("localhost", "localhost:%d" % self.n.port, "127.0.0.1:%d" % self.n.port, "[::1]:%d" % self.n.port,
                     "localhost.localstack.cloud:%d" % self.n.port, "sqs.us-east-1.localhost.localstack.cloud",
                     "s3.localhost.localstack.cloud", "LOCALHOST.", "sqs.us-east-1.amazonaws.com", "10.1.2.3"):
            with self.subTest(host=host):
                self.assertEqual(raw(self.n, "GET", "/_localstack/health", None, {"Host": host})[0], 200)
        status, _, body = raw(self.n, "GET", "/secret.txt", None,
                              {"Host": "%s.s3.localhost.localstack.cloud:%d" % (self.state.bucket, self.n.port)})
        self.assertEqual((status, body), (200, b"top secret"))


class Settings(unittest.TestCase):
    def test_extra_cors_allowed_origins_widen_the_list(self):
        with Nimbus(SERVICES="s3,sqs", EXTRA_CORS_ALLOWED_ORIGINS=" http://myapp.test:8080/, https://other.test") as n:
            state = State(n, "extra")
            for origin in ("http://myapp.test:8080", "https://other.test", "http://localhost:3000"):
                status, headers, body = state.read({"Origin": origin})
                self.assertEqual((status, body), (200, b"top secret"), origin)
            for origin in ("http://myapp.test", "http://myapp.test:8081", EVIL):
                self.assertEqual(state.read({"Origin": origin})[0], 403, origin)
            status, headers, _ = raw(n, "GET", "/_localstack/health", None, {"Origin": "https://other.test"})
            self.assertEqual(headers.get("access-control-allow-origin"), "https://other.test")
            self.assertEqual(state.purge({"Origin": "https://other.test"})[0], 200)
            self.assertEqual(state.messages(), 0)
        with Nimbus(SERVICES="s3", EXTRA_CORS_ALLOWED_ORIGINS="*") as n:
            self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Origin": EVIL})[0], 200)

    def test_disable_cors_checks_lets_every_origin_through(self):
        with Nimbus(SERVICES="s3,sqs", DISABLE_CORS_CHECKS="1") as n:
            state = State(n, "nocheck")
            status, headers, body = state.read({"Origin": EVIL})
            self.assertEqual((status, body), (200, b"top secret"))
            self.assertEqual(state.purge({"Origin": "null"})[0], 200)
            self.assertEqual(state.messages(), 0)
            status, _, body = state.reset({"Origin": EVIL})
            self.assertEqual(status, 200, body)
            self.assertEqual(state.s3.list_buckets()["Buckets"], [])
            # DNS rebinding is the Host check's business, not CORS's
            self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Host": "evil.example"})[0], 403)

    def test_disable_cors_headers_sends_none(self):
        with Nimbus(SERVICES="sqs", DISABLE_CORS_HEADERS="1") as n:
            status, headers, _ = raw(n, "GET", "/_localstack/health", None, {"Origin": "http://localhost:3000"})
            self.assertEqual(status, 200)
            self.assertEqual(cors_headers(headers), {})
            status, headers, _ = raw(n, "OPTIONS", "/", None, {"Origin": "http://localhost:3000",
                                                              "Access-Control-Request-Method": "POST"})
            self.assertEqual((status, cors_headers(headers)), (204, {}))
            self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Origin": EVIL})[0], 403)

    def test_disable_custom_cors_s3_gives_s3_the_default_headers(self):
        with Nimbus(SERVICES="s3", DISABLE_CUSTOM_CORS_S3="true") as n:
            s3, _ = clients(n)
            s3.create_bucket(Bucket="default-cors")
            s3.put_object(Bucket="default-cors", Key="k", Body=b"v")
            s3.put_bucket_cors(Bucket="default-cors", CORSConfiguration={"CORSRules": [
                {"AllowedOrigins": ["http://elsewhere.test"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 5}]})
            origin = "http://localhost:3000"
            status, headers, _ = raw(n, "GET", "/default-cors/k", None, {"Origin": origin})
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("access-control-allow-origin"), origin)
            self.assertNotIn("access-control-max-age", headers)  # the bucket's rule is not used
            status, headers, _ = raw(n, "OPTIONS", "/default-cors/k", None, {
                "Origin": origin, "Access-Control-Request-Method": "DELETE"})
            self.assertEqual((status, headers.get("access-control-allow-origin")), (204, origin))

    def test_any_host_is_served_when_bound_beyond_loopback_unless_the_setting_restricts_it(self):
        n = Nimbus(SERVICES="sqs")
        n.env["GATEWAY_LISTEN"] = "0.0.0.0:%d" % n.port
        with n:
            for host in ("nimbus:%d" % n.port, "evil.example"):
                self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Host": host})[0], 200, host)
            # the origin check still applies
            self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Host": "nimbus", "Origin": EVIL})[0], 403)
        n = Nimbus(SERVICES="sqs", NIMBUS_ALLOWED_HOSTS="nimbus,*.corp.test")
        n.env["GATEWAY_LISTEN"] = "0.0.0.0:%d" % n.port
        with n:
            for host in ("nimbus:%d" % n.port, "NIMBUS", "api.corp.test", "localhost:%d" % n.port, "127.0.0.1"):
                self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Host": host})[0], 200, host)
            for host in ("evil.example", "corp.test", "nimbus.evil.example"):
                self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Host": host})[0], 403, host)

    def test_allowed_hosts_widen_the_loopback_names(self):
        with Nimbus(SERVICES="sqs", NIMBUS_ALLOWED_HOSTS="dev.test,*.dev.test", LOCALSTACK_HOST="nimbus.lan:4566") as n:
            for host in ("dev.test", "api.dev.test:%d" % n.port, "nimbus.lan", "sqs.nimbus.lan:4566"):
                self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Host": host})[0], 200, host)
            self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Host": "evil.example"})[0], 403)
        with Nimbus(SERVICES="sqs", NIMBUS_ALLOWED_HOSTS="*") as n:
            self.assertEqual(raw(n, "GET", "/_localstack/health", None, {"Host": "evil.example"})[0], 200)

    def test_bad_settings_stop_startup_naming_them(self):
        for env, message in ((("EXTRA_CORS_ALLOWED_ORIGINS", "myapp.test"), "EXTRA_CORS_ALLOWED_ORIGINS: invalid origin 'myapp.test'"),
                             (("EXTRA_CORS_ALLOWED_ORIGINS", "http://a.test/path"), "invalid origin 'http://a.test/path'"),
                             (("NIMBUS_ALLOWED_HOSTS", "nimbus:4566"), "NIMBUS_ALLOWED_HOSTS: invalid host 'nimbus:4566'"),
                             (("DISABLE_CORS_CHECKS", "maybe"), "DISABLE_CORS_CHECKS: invalid value 'maybe'")):
            n = Nimbus(**dict([env]))
            with self.assertRaises(RuntimeError):
                n.start(timeout=5)
            self.assertIn(message, n.output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
