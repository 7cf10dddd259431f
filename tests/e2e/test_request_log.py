"""NIMBUS_REQUEST_LOG (issue 21, item 5): one JSON object per answered AWS request, readable by a
tool while the server runs; no file at all when the setting is unset."""
import json, os, shutil, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client  # noqa: E402

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def read_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


class RequestLogTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nb-reqlog-")
        self.path = os.path.join(self.tmp, "requests.jsonl")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_one_line_per_request_with_its_context(self):
        with Nimbus(NIMBUS_REQUEST_LOG=self.path) as n:
            sqs = boto3.client("sqs", endpoint_url=n.url, region_name="eu-west-1", aws_access_key_id="123456789012",
                               aws_secret_access_key="test")
            url = sqs.create_queue(QueueName="logged")["QueueUrl"]
            with self.assertRaises(ClientError):
                boto3_client(n.url, "sqs").get_queue_url(QueueName="missing")
            s3 = boto3_client(n.url, "s3")
            s3.create_bucket(Bucket="logged-bucket")
            # read while the server runs: each line is written when its request is answered
            lines = read_lines(self.path)
        self.assertEqual([(x["service"], x["operation"], x["status"]) for x in lines],
                         [("sqs", "CreateQueue", 200), ("sqs", "GetQueueUrl", 400), ("s3", "CreateBucket", 200)])
        created, missing, bucket = lines
        self.assertEqual((created["account"], created["region"], created["error"]), ("123456789012", "eu-west-1", None))
        self.assertIn("logged", url)
        self.assertEqual((missing["account"], missing["region"]), ("000000000000", "us-east-1"))
        self.assertEqual(missing["error"], "QueueDoesNotExist")
        self.assertEqual(bucket["account"], "000000000000")
        for x in lines:
            self.assertRegex(x["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertRegex(x["request_id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
            self.assertGreater(x["duration_ms"], 0)
            self.assertLess(x["duration_ms"], 10000)
            self.assertEqual(sorted(x), sorted(["time", "service", "operation", "status", "duration_ms", "account",
                                                "region", "request_id", "error"]))

    def test_appended_across_restarts(self):
        for name in ("first", "second"):
            with Nimbus(NIMBUS_REQUEST_LOG=self.path) as n:
                boto3_client(n.url, "sqs").create_queue(QueueName=name)
        self.assertEqual([x["operation"] for x in read_lines(self.path)], ["CreateQueue", "CreateQueue"])

    def test_off_by_default_and_a_bad_path_stops_startup(self):
        with Nimbus(DATA_DIR=self.tmp) as n:
            boto3_client(n.url, "sqs").create_queue(QueueName="unlogged")
        # DATA_DIR holds the HTTPS certificate (tls/), and no request log
        self.assertEqual([x for x in os.listdir(self.tmp) if x != "tls"], [])
        n = Nimbus(NIMBUS_REQUEST_LOG=os.path.join(self.tmp, "missing", "x.jsonl"))
        with self.assertRaises(RuntimeError) as cm:
            n.start()
        self.assertIn("NIMBUS_REQUEST_LOG: cannot open", str(cm.exception))


if __name__ == "__main__":
    unittest.main(verbosity=2)
