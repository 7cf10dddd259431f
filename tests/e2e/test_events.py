"""End-to-end: the in-process event bus. A subscriber plugin (tests/unit/plugins/tp_events.c, serving
STS as sts-events) logs every event it gets; S3 publishes its object events on the bus once a request
committed; an event published by a request that then failed never arrives."""
import json, os, re, shutil, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, Nimbus, boto3_client  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

EVENT = re.compile(r"event (\S+) from (\S+) (\S+) (\S+) (\{.*\})$")


class Events(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        shutil.copy(os.path.join(BINARY_DIR, "test-plugins", "tp_events.so"), cls.dir)
        cls.n = Nimbus(SERVICES="s3,sts", NIMBUS_PLUGIN_PATH=cls.dir, PROVIDER_OVERRIDE_STS="sts-events",
                       EAGER_SERVICE_LOADING=1, TP_EVENTS_PATTERN="*").start()
        cls.s3, cls.sts = boto3_client(cls.n.url, "s3"), boto3_client(cls.n.url, "sts")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()
        shutil.rmtree(cls.dir)

    def events(self, want, name_prefix, timeout=10):
        deadline = time.time() + timeout
        while True:
            got = [m.groups() for m in (EVENT.search(l) for l in self.n.output.splitlines()) if m]
            got = [(n, src, acct, reg, json.loads(d)) for n, src, acct, reg, d in got if n.startswith(name_prefix)]
            if len(got) >= want or time.time() > deadline:
                return got
            time.sleep(0.05)

    def test_subscribed_at_start(self):
        self.assertIn("sts-events: subscribed to *", self.n.output)

    def test_s3_object_events_reach_the_subscriber_after_the_write(self):
        self.s3.create_bucket(Bucket="evbucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        put = self.s3.put_object(Bucket="evbucket", Key="a b.txt", Body=b"hello")
        self.s3.delete_object(Bucket="evbucket", Key="a b.txt")
        with self.assertRaises(ClientError):  # no bucket: nothing written, no event
            self.s3.put_object(Bucket="no-such-evbucket", Key="x", Body=b"x")
        got = self.events(2, "s3:")
        self.assertEqual([g[0] for g in got], ["s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete"], self.n.output)
        name, source, account, region, detail = got[0]
        self.assertEqual((source, account, region), ("s3", "000000000000", "eu-west-1"))
        self.assertEqual(detail["bucket"], {"name": "evbucket"})
        self.assertEqual(detail["object"]["key"], "a b.txt")
        self.assertEqual(detail["object"]["size"], 5)
        self.assertEqual(detail["object"]["etag"], put["ETag"].strip('"'))
        self.assertEqual(detail["reason"], "PutObject")
        self.assertEqual(got[1][4]["deletion-type"], "Permanently Deleted")
        self.assertEqual(got[1][4]["object"]["key"], "a b.txt")

    def test_an_event_of_a_failed_request_never_arrives(self):
        self.sts.get_session_token(DurationSeconds=900)
        with self.assertRaises(ClientError) as e:
            self.sts.get_session_token(DurationSeconds=901)  # publishes, then fails
        self.assertEqual(e.exception.response["Error"]["Code"], "ExpiredToken")
        self.sts.get_session_token(DurationSeconds=902)
        got = self.events(2, "tp:Token")
        time.sleep(0.3)  # a late 901 would show up by now
        got = self.events(2, "tp:Token", timeout=0)
        self.assertEqual([g[4]["DurationSeconds"] for g in got], [900, 902], self.n.output)
        self.assertEqual(got[0][1], "sts")


if __name__ == "__main__":
    unittest.main()
