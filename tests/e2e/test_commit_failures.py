"""End-to-end: a commit that fails (injected with the test-only NIMBUS_FAULT_COMMIT setting, as a full
disk would make it fail) on each path that commits: a handler's (S3 PutObject), a work-queue
completion's (an S3 PutObject of 8 MiB, stored off the loop), an async request finished from a timer
(an SQS long poll answered when a delayed message becomes visible). The client gets AWS's 500
InternalError, no state remains, and no event notification is delivered for the failed write."""
import json, os, shutil, sys, tempfile, threading, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


class CommitFailures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nb-fault-commit-")
        cls.fault = os.path.join(cls.tmp, "fail-commits")
        cls.n = Nimbus(SERVICES="s3,sqs", NIMBUS_FAULT_COMMIT=cls.fault).start()
        kw = dict(endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test",
                  config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1},
                                read_timeout=30))
        cls.s3 = boto3.client("s3", **kw)
        cls.sqs = boto3.client("sqs", **kw)

    @classmethod
    def tearDownClass(cls):
        rc = cls.n.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        # Under ASan/UBSan a memory error in these paths shows here, not in a client's answer.
        for bad in ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer"):
            if bad in cls.n.output:
                raise AssertionError("the server reported: " + cls.n.output[cls.n.output.index(bad):][:2000])
        if rc != 0:
            raise AssertionError(f"the server exited {rc} on SIGTERM")

    def arm(self, service):
        with open(self.fault, "w") as f:
            f.write(service + "\n")

    def disarm(self):
        if os.path.exists(self.fault):
            os.remove(self.fault)

    def tearDown(self):
        self.disarm()

    def assert_internal_error(self, e):
        self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 500)
        self.assertEqual(e.response["Error"]["Code"], "InternalError")

    def notified_bucket(self, bucket):
        """A bucket whose object writes notify a fresh queue; the queue's URL, its s3:TestEvent read."""
        url = self.sqs.create_queue(QueueName=bucket)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.s3.create_bucket(Bucket=bucket)
        self.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        test = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
        self.assertEqual(json.loads(test["Body"])["Event"], "s3:TestEvent")
        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=test["ReceiptHandle"])
        return url

    def notified_keys(self, url, wait=2):
        keys = []
        for m in self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait).get("Messages", []):
            keys += [r["s3"]["object"]["key"] for r in json.loads(m["Body"])["Records"]]
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return keys

    def put_fails_and_leaves_nothing(self, bucket, body):
        url = self.notified_bucket(bucket)
        self.arm("s3")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=bucket, Key="lost", Body=body)
        self.assert_internal_error(ctx.exception)
        self.disarm()
        with self.assertRaises(ClientError) as ctx:
            self.s3.head_object(Bucket=bucket, Key="lost")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        self.assertEqual(self.s3.list_objects_v2(Bucket=bucket).get("KeyCount"), 0)
        self.assertEqual(self.notified_keys(url), [], "a notification for a write that was not committed")
        # The same write once commits succeed again: stored and notified.
        self.s3.put_object(Bucket=bucket, Key="kept", Body=body)
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key="kept")["ContentLength"], len(body))
        self.assertEqual(self.notified_keys(url, wait=5), ["kept"])

    def test_handler_commit_fails(self):
        self.put_fails_and_leaves_nothing("fault-sync", b"small body")

    def test_work_queue_commit_fails(self):
        self.put_fails_and_leaves_nothing("fault-async", os.urandom(8 * 1024 * 1024 + 1))

    def test_other_service_unaffected(self):
        """The fault names one store: the other commits."""
        self.s3.create_bucket(Bucket="fault-other")
        self.arm("sqs")
        self.s3.put_object(Bucket="fault-other", Key="k", Body=b"v")
        with self.assertRaises(ClientError) as ctx:
            self.sqs.create_queue(QueueName="fault-ghost")
        self.assert_internal_error(ctx.exception)
        self.disarm()
        self.assertEqual(self.s3.get_object(Bucket="fault-other", Key="k")["Body"].read(), b"v")
        with self.assertRaises(ClientError):
            self.sqs.get_queue_url(QueueName="fault-ghost")

    def test_timer_and_async_finish_commit_fails(self):
        """A long poll answered by the queue's wake-up timer: the timer's transaction holds the
        receive, its commit fails, so the poll answers InternalError and the message was not received."""
        url = self.sqs.create_queue(QueueName="fault-timer")["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=2)
        result = {}

        def poll():
            try:
                result["ok"] = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10,
                                                        AttributeNames=["ApproximateReceiveCount"])
            except ClientError as e:
                result["error"] = e
        t = threading.Thread(target=poll)
        t.start()
        time.sleep(0.8)  # the poll waits (its handler committed); the message is still delayed
        self.arm("sqs")
        t.join(15)
        self.disarm()
        self.assertIn("error", result, result)
        self.assert_internal_error(result["error"])
        self.assertTrue(self.n.wait_for_output("a timer's writes were not committed"), self.n.output)
        msgs = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2,
                                        AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
        self.assertEqual([m["Body"] for m in msgs], ["later"])
        self.assertEqual(msgs[0]["Attributes"]["ApproximateReceiveCount"], "1", "the failed receive was undone")


if __name__ == "__main__":
    unittest.main(verbosity=2)
