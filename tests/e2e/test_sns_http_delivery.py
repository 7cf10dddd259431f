"""SNS's HTTP/HTTPS deliveries (plugins/sns/sns_http.c over the ABI 1.10 outbound client), run in a test
provider that stands in for SNS's outbox (tests/unit/plugins/tp_sns_http.c), against a small HTTP server
of this test: AWS's headers and the exact body, raw delivery, the retries a DeliveryPolicy asks for (a
subscription's or a topic's), 4xx not retried, giving up after numRetries, and a retry still waiting when
the server stops leaving the outbox row alone."""
import http.client, http.server, json, os, shutil, sys, tempfile, threading, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, Nimbus, free_port

PLUGIN = os.path.join(BINARY_DIR, "test-plugins", "tp_sns_http.so")
TOPIC = "arn:aws:sns:us-east-1:000000000000:orders"
SUB = TOPIC + ":3f1c0a52-5c1e-4f0e-9d7a-0a2b1c3d4e5f"


class Subscriber(http.server.BaseHTTPRequestHandler):
    """An HTTP subscriber: /ok answers 200, /down 500, /gone 404, /flaky-N 500 on its first N calls."""
    protocol_version = "HTTP/1.1"
    seen = []
    calls = {}

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        Subscriber.seen.append({"at": time.monotonic(), "path": self.path, "headers": dict(self.headers.items()),
                                "body": body})
        n = Subscriber.calls[self.path] = Subscriber.calls.get(self.path, 0) + 1
        if self.path.startswith("/flaky-"):
            status = 500 if n <= int(self.path.split("-")[1]) else 200
        else:
            status = {"/ok": 200, "/gone": 404}.get(self.path.split("?")[0], 500)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


def call(n, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", n.port, timeout=10)
    try:
        conn.request(method, path, body)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


class SnsHttpDelivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        shutil.copy(PLUGIN, cls.dir)
        cls.web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Subscriber)
        cls.web.daemon_threads = True
        threading.Thread(target=cls.web.serve_forever, daemon=True).start()
        cls.base = "http://127.0.0.1:%d" % cls.web.server_address[1]
        cls.n = Nimbus(NIMBUS_PLUGIN_PATH=cls.dir, SERVICES="lambda")
        cls.n.start()
        cls.next_id = 0

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.n.stop()
            assert rc == 0, cls.n.output[-3000:]
            for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                assert mark not in cls.n.output, cls.n.output[-3000:]
        finally:
            cls.web.shutdown()
            shutil.rmtree(cls.dir, ignore_errors=True)

    def deliver(self, n=None, **members):
        SnsHttpDelivery.next_id += 1
        d = {"outbox_id": self.next_id, "topic_arn": TOPIC, "subscription_arn": SUB,
             "message_type": "Notification", "message_id": "msg-%d" % self.next_id, "body": '{"Type":"Notification"}'}
        d.update(members)
        status, _ = call(n or self.n, "POST", "/_aws/lambda/sns-http/deliver", json.dumps(d))
        self.assertEqual(status, 202)
        return d["outbox_id"]

    def done(self, outbox_id, timeout=10, n=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = [c for c in json.loads(call(n or self.n, "GET", "/_aws/lambda/sns-http/done")[1])
                     if c["outbox_id"] == outbox_id]
            if calls:
                time.sleep(0.2)  # a second call would show now
                calls = [c for c in json.loads(call(n or self.n, "GET", "/_aws/lambda/sns-http/done")[1])
                         if c["outbox_id"] == outbox_id]
                self.assertEqual(len(calls), 1, "sns_delivery_done ran more than once")
                return calls[0]["delivered"]
            time.sleep(0.05)
        self.fail("the delivery of row %d never ended" % outbox_id)

    def arrivals(self, path):
        return [s for s in Subscriber.seen if s["path"] == path]

    def test_notification_with_aws_headers_and_exact_body(self):
        body = json.dumps({"Type": "Notification", "MessageId": "m-1", "Message": "héllo"})
        oid = self.deliver(endpoint=self.base + "/ok?n=1", body=body, message_id="m-1")
        self.assertTrue(self.done(oid))
        got = [s for s in Subscriber.seen if s["path"] == "/ok?n=1"]
        self.assertEqual(len(got), 1)
        h = got[0]["headers"]
        self.assertEqual(got[0]["body"], body)
        self.assertEqual(h["x-amz-sns-message-type"], "Notification")
        self.assertEqual(h["x-amz-sns-message-id"], "m-1")
        self.assertEqual(h["x-amz-sns-topic-arn"], TOPIC)
        self.assertEqual(h["x-amz-sns-subscription-arn"], SUB)
        self.assertEqual(h["Content-Type"], "text/plain; charset=UTF-8")
        self.assertEqual(h["User-Agent"], "Amazon Simple Notification Service Agent")
        self.assertNotIn("x-amz-sns-rawdelivery", h)

    def test_confirmation_has_no_subscription_arn_header(self):
        oid = self.deliver(endpoint=self.base + "/ok?n=2", message_type="SubscriptionConfirmation")
        self.assertTrue(self.done(oid))
        h = self.arrivals("/ok?n=2")[0]["headers"]
        self.assertEqual(h["x-amz-sns-message-type"], "SubscriptionConfirmation")
        self.assertNotIn("x-amz-sns-subscription-arn", h)

    def test_raw_delivery_header(self):
        oid = self.deliver(endpoint=self.base + "/ok?n=3", body="just the message", raw=True)
        self.assertTrue(self.done(oid))
        got = self.arrivals("/ok?n=3")[0]
        self.assertEqual((got["body"], got["headers"]["x-amz-sns-rawdelivery"]), ("just the message", "true"))

    def test_retries_by_the_subscription_policy_until_delivered(self):
        policy = {"healthyRetryPolicy": {"numRetries": 3, "numNoDelayRetries": 1, "minDelayTarget": 1,
                                         "maxDelayTarget": 1}}
        oid = self.deliver(endpoint=self.base + "/flaky-2", delivery_policy=json.dumps(policy))
        self.assertTrue(self.done(oid))
        times = [s["at"] for s in self.arrivals("/flaky-2")]
        self.assertEqual(len(times), 3, "two 500s, then the 200")
        self.assertLess(times[1] - times[0], 0.7, "the first retry is immediate (numNoDelayRetries 1)")
        self.assertGreater(times[2] - times[1], 0.8, "the second waits minDelayTarget (1 s)")

    def test_gives_up_after_num_retries(self):
        policy = {"healthyRetryPolicy": {"numRetries": 2, "numNoDelayRetries": 2}}
        oid = self.deliver(endpoint=self.base + "/down?n=1", delivery_policy=json.dumps(policy))
        self.assertFalse(self.done(oid))
        self.assertEqual(len(self.arrivals("/down?n=1")), 3, "the first try and 2 retries")

    def test_topic_policy_shape_and_content_type(self):
        policy = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 1, "numNoDelayRetries": 1},
                           "defaultRequestPolicy": {"headerContentType": "application/json"}}}
        oid = self.deliver(endpoint=self.base + "/down?n=2", delivery_policy=json.dumps(policy))
        self.assertFalse(self.done(oid))
        got = self.arrivals("/down?n=2")
        self.assertEqual(len(got), 2)
        self.assertEqual(got[0]["headers"]["Content-Type"], "application/json")

    def test_4xx_is_not_retried(self):
        oid = self.deliver(endpoint=self.base + "/gone")
        self.assertTrue(self.done(oid))
        self.assertEqual(len(self.arrivals("/gone")), 1)

    def test_connection_refused_is_retried_then_given_up(self):
        policy = {"healthyRetryPolicy": {"numRetries": 1, "numNoDelayRetries": 1}}
        oid = self.deliver(endpoint="http://127.0.0.1:%d/" % free_port(), delivery_policy=json.dumps(policy))
        self.assertFalse(self.done(oid))
        self.assertIn("retry 1 of 1", self.n.output)

    def test_not_an_http_endpoint_ends_undelivered(self):
        self.assertFalse(self.done(self.deliver(endpoint="mailto:someone@example.com")))


class SnsHttpDeliveryAtStop(unittest.TestCase):
    def test_a_waiting_retry_leaves_the_row_at_stop(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder, True)
        shutil.copy(PLUGIN, folder)
        web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Subscriber)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        self.addCleanup(web.shutdown)
        n = Nimbus(NIMBUS_PLUGIN_PATH=folder, SERVICES="lambda")
        n.start()
        try:
            policy = {"healthyRetryPolicy": {"numRetries": 3, "minDelayTarget": 60, "maxDelayTarget": 60}}
            d = {"outbox_id": 77, "topic_arn": TOPIC, "subscription_arn": SUB, "message_type": "Notification",
                 "message_id": "m-77", "body": "x", "endpoint": "http://127.0.0.1:%d/down?n=77" % web.server_address[1],
                 "delivery_policy": json.dumps(policy)}
            self.assertEqual(call(n, "POST", "/_aws/lambda/sns-http/deliver", json.dumps(d))[0], 202)
            self.assertTrue(n.wait_for_output("retry 1 of 3 in 60 s"), n.output[-2000:])
            self.assertEqual(json.loads(call(n, "GET", "/_aws/lambda/sns-http/done")[1]), [])
            started = time.monotonic()
            self.assertEqual(n.stop(), 0, n.output[-3000:])
            self.assertLess(time.monotonic() - started, 5)
            for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                self.assertNotIn(mark, n.output)
        finally:
            n.stop()


if __name__ == "__main__":
    unittest.main()
