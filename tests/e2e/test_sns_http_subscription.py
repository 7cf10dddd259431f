"""SNS to an HTTP endpoint end to end with boto3 (issue 16 items 2 and 6): Subscribe with protocol http
sends the SubscriptionConfirmation POST with AWS's headers and envelope to a small HTTP server of this
test; ConfirmSubscription with its token, or a GET of its SubscribeURL served by Nimbus, confirms; a
Publish then arrives as a Notification POST with AWS's headers and body, and raw with RawMessageDelivery.
With PERSISTENCE=1, a notification whose retry waits when the server is killed (kill -9) goes out after
the restart. Needs the sns plugin (plugins/sns): skipped, saying so, in a tree without it."""
import http.server, json, os, shutil, signal, sys, tempfile, threading, time, unittest, urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, Nimbus, boto3_client

SNS_PLUGIN = os.path.join(BINARY_DIR, "lib", "nimbus", "plugins", "sns.so")
ENVELOPE_SIGNATURE = ("SignatureVersion", "Signature", "SigningCertURL")


class Endpoint(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def log_message(self, *args):
        pass

    down = set()  # paths answering 500

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        status = 500 if self.path in Endpoint.down else 200
        Endpoint.seen.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                              "body": body, "status": status})
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@unittest.skipUnless(os.path.exists(SNS_PLUGIN), "the sns plugin is not built in this tree")
class SnsHttpSubscription(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        cls.web.daemon_threads = True
        threading.Thread(target=cls.web.serve_forever, daemon=True).start()
        cls.base = "http://127.0.0.1:%d" % cls.web.server_address[1]
        cls.n = Nimbus(SERVICES="sns")
        cls.n.start()
        cls.sns = boto3_client(cls.n.url, "sns")

    @classmethod
    def tearDownClass(cls):
        try:
            assert cls.n.stop() == 0, cls.n.output[-3000:]
        finally:
            cls.web.shutdown()

    def wait_post(self, path, message_type, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for s in Endpoint.seen:
                if s["path"] == path and s["headers"].get("x-amz-sns-message-type") == message_type:
                    return s
            time.sleep(0.05)
        self.fail("no %s POST to %s; server output:\n%s" % (message_type, path, self.n.output[-2000:]))

    def subscribe(self, name, path):
        topic = self.sns.create_topic(Name=name)["TopicArn"]
        sub = self.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=self.base + path,
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        post = self.wait_post(path, "SubscriptionConfirmation")
        return topic, sub, post

    def assert_pending(self, topic, pending):
        subs = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual(len(subs), 1)
        self.assertEqual(subs[0]["SubscriptionArn"] == "PendingConfirmation", pending, subs)

    def test_confirmation_then_notification(self):
        topic, sub, post = self.subscribe("http-a", "/hook-a")
        env = json.loads(post["body"])
        self.assertEqual(env["Type"], "SubscriptionConfirmation")
        self.assertEqual(env["TopicArn"], topic)
        for member in ("MessageId", "Token", "Message", "SubscribeURL", "Timestamp") + ENVELOPE_SIGNATURE:
            self.assertTrue(env.get(member), member)
        self.assertEqual(post["headers"]["x-amz-sns-message-id"], env["MessageId"])
        self.assertEqual(post["headers"]["x-amz-sns-topic-arn"], topic)
        self.assertNotIn("x-amz-sns-subscription-arn", post["headers"])
        self.assert_pending(topic, True)

        confirmed = self.sns.confirm_subscription(TopicArn=topic, Token=env["Token"])["SubscriptionArn"]
        self.assertEqual(confirmed, sub)
        self.assert_pending(topic, False)

        mid = self.sns.publish(TopicArn=topic, Message="hello over http", Subject="greeting")["MessageId"]
        note = self.wait_post("/hook-a", "Notification")
        body = json.loads(note["body"])
        self.assertEqual((body["Type"], body["MessageId"], body["TopicArn"], body["Message"], body["Subject"]),
                         ("Notification", mid, topic, "hello over http", "greeting"))
        for member in ("Timestamp", "UnsubscribeURL") + ENVELOPE_SIGNATURE:
            self.assertTrue(body.get(member), member)
        self.assertEqual(note["headers"]["x-amz-sns-message-id"], mid)
        self.assertEqual(note["headers"]["x-amz-sns-topic-arn"], topic)
        self.assertEqual(note["headers"]["x-amz-sns-subscription-arn"], sub)
        self.assertTrue(note["headers"]["content-type"].startswith("text/plain"))

    def test_subscribe_url_confirms_and_raw_delivery(self):
        topic, sub, post = self.subscribe("http-b", "/hook-b")
        url = urllib.parse.urlsplit(json.loads(post["body"])["SubscribeURL"])
        # the path and query Nimbus serves, asked of this test's server whatever host name the URL carries
        local = urllib.parse.urlunsplit(urllib.parse.urlsplit(self.n.url)[:2] + url[2:])
        with urllib.request.urlopen(local, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn(sub, r.read().decode())
        self.assert_pending(topic, False)

        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                             AttributeValue="true")
        self.sns.publish(TopicArn=topic, Message="just this")
        note = self.wait_post("/hook-b", "Notification")
        self.assertEqual(note["body"], "just this")
        self.assertEqual(note["headers"]["x-amz-sns-rawdelivery"], "true")
        self.assertEqual(note["headers"]["x-amz-sns-subscription-arn"], sub)


@unittest.skipUnless(os.path.exists(SNS_PLUGIN), "the sns plugin is not built in this tree")
class SnsHttpRestart(unittest.TestCase):
    def test_retry_waiting_at_kill_is_delivered_after_restart(self):
        data = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, data, True)
        web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        web.daemon_threads = True
        threading.Thread(target=web.serve_forever, daemon=True).start()
        self.addCleanup(web.shutdown)
        url = "http://127.0.0.1:%d/hook-r" % web.server_address[1]

        def posts(kind):
            return [p for p in Endpoint.seen if p["path"] == "/hook-r" and
                    p["headers"].get("x-amz-sns-message-type") == kind]

        def wait(kind, count):
            deadline = time.monotonic() + 10
            while len(posts(kind)) < count and time.monotonic() < deadline:
                time.sleep(0.05)
            return posts(kind)

        n = Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="sns")
        n.start()
        try:
            sns = boto3_client(n.url, "sns")
            topic = sns.create_topic(Name="restart")["TopicArn"]
            sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url,
                                ReturnSubscriptionArn=True)["SubscriptionArn"]
            token = json.loads(wait("SubscriptionConfirmation", 1)[0]["body"])["Token"]
            sns.confirm_subscription(TopicArn=topic, Token=token)
            policy = {"healthyRetryPolicy": {"numRetries": 3, "minDelayTarget": 60, "maxDelayTarget": 60}}
            sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy",
                                            AttributeValue=json.dumps(policy))
            Endpoint.down.add("/hook-r")
            mid = sns.publish(TopicArn=topic, Message="survives")["MessageId"]
            first = wait("Notification", 1)
            self.assertEqual([p["status"] for p in first], [500])
            self.assertTrue(n.wait_for_output("retry 1 of 3 in 60 s"), n.output[-2000:])
        finally:
            n.stop(sig=signal.SIGKILL)
        Endpoint.down.discard("/hook-r")

        n = Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="sns")
        n.start()
        try:
            boto3_client(n.url, "sns").list_topics()  # the service starts: its outbox drains
            got = wait("Notification", 2)
            self.assertEqual([p["status"] for p in got], [500, 200], n.output[-2000:])
            body = json.loads(got[1]["body"])
            self.assertEqual((body["MessageId"], body["Message"]), (mid, "survives"))
            self.assertEqual(got[1]["headers"]["x-amz-sns-subscription-arn"], sub)
        finally:
            self.assertEqual(n.stop(), 0, n.output[-2000:])


if __name__ == "__main__":
    unittest.main()
