"""End-to-end: S3 keeps the bucket rows its object requests read in memory between requests
(issue 12, item 3); what a client sees after each kind of bucket change is the change, never the
row read before it. Each test first makes an object request (so the bucket is read and kept),
then changes the bucket (versioning, deletion, a notification configuration, a failed commit, a
state reset), then checks the next object request's answer as boto3 sees it."""
import json, os, shutil, sys, tempfile, unittest, urllib.request, uuid

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


class BucketCache(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nb-s3-bucket-cache-")
        cls.fault = os.path.join(cls.tmp, "fail-commits")
        cls.n = Nimbus(SERVICES="s3,sqs", NIMBUS_FAULT_COMMIT=cls.fault).start()
        kw = dict(endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test",
                  config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}))
        cls.s3 = boto3.client("s3", **kw)
        cls.sqs = boto3.client("sqs", **kw)

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        if os.path.exists(self.fault):
            os.remove(self.fault)

    def bucket(self):
        name = f"bc-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=name)
        # an object write and read: the bucket's row is now the one kept
        self.s3.put_object(Bucket=name, Key="first", Body=b"1")
        self.assertEqual(self.s3.get_object(Bucket=name, Key="first")["Body"].read(), b"1")
        return name

    def assert_error(self, call, code, status):
        with self.assertRaises(ClientError) as ctx:
            call()
        self.assertEqual(ctx.exception.response["Error"]["Code"], code)
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)

    def test_versioning_enabled_after_a_put_gives_the_next_put_a_version(self):
        b = self.bucket()
        self.assertNotIn("VersionId", self.s3.put_object(Bucket=b, Key="k", Body=b"unversioned"))
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"v1").get("VersionId")
        v2 = self.s3.put_object(Bucket=b, Key="k", Body=b"v2").get("VersionId")
        self.assertTrue(v1 and v1 != "null", v1)
        self.assertTrue(v2 and v2 not in ("null", v1), v2)
        got = self.s3.get_object(Bucket=b, Key="k", VersionId=v1)
        self.assertEqual(got["Body"].read(), b"v1")

    def test_deleted_bucket_is_gone_for_object_requests(self):
        b = self.bucket()
        self.s3.delete_object(Bucket=b, Key="first")
        self.s3.delete_bucket(Bucket=b)
        self.assert_error(lambda: self.s3.put_object(Bucket=b, Key="k", Body=b"x"), "NoSuchBucket", 404)
        self.assert_error(lambda: self.s3.get_object(Bucket=b, Key="first"), "NoSuchBucket", 404)
        # created again: the new bucket, empty
        self.s3.create_bucket(Bucket=b)
        self.assert_error(lambda: self.s3.get_object(Bucket=b, Key="first"), "NoSuchKey", 404)

    def test_notification_configured_after_a_put_notifies_the_next_put(self):
        b = self.bucket()
        url = self.sqs.create_queue(QueueName=b)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        self.s3.put_object(Bucket=b, Key="after", Body=b"x")
        events = []
        for _ in range(10):
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                body = json.loads(m["Body"])
                events += [rec["s3"]["object"]["key"] for rec in body.get("Records", [])]
            if events:
                break
        self.assertEqual(events, ["after"])

    def test_versioning_change_whose_commit_failed_leaves_the_bucket_unversioned(self):
        b = self.bucket()
        with open(self.fault, "w") as f:
            f.write("s3\n")
        self.assert_error(lambda: self.s3.put_bucket_versioning(
            Bucket=b, VersioningConfiguration={"Status": "Enabled"}), "InternalError", 500)
        os.remove(self.fault)
        self.assertNotIn("VersionId", self.s3.put_object(Bucket=b, Key="k", Body=b"x"))
        self.assertNotIn("Status", self.s3.get_bucket_versioning(Bucket=b))

    def test_state_reset_removes_the_bucket_for_object_requests(self):
        b = self.bucket()
        req = urllib.request.Request(self.n.url + "/_localstack/state/reset", method="POST")
        with urllib.request.urlopen(req) as r:
            self.assertEqual(r.status, 200)
        self.assert_error(lambda: self.s3.put_object(Bucket=b, Key="k", Body=b"x"), "NoSuchBucket", 404)
        self.assert_error(lambda: self.s3.head_object(Bucket=b, Key="first"), "404", 404)


if __name__ == "__main__":
    unittest.main()
