"""End-to-end: S3 event notifications delivered to SQS in-process (SERVICES=s3,sqs), driven with
boto3: the destination queue is checked at configuration time and gets an s3:TestEvent; object
writes and deletes send records that match the configured events and key filters."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


class Notifications(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="s3,sqs").start()
        kw = dict(endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))
        cls.s3 = boto3.client("s3", **kw)
        cls.sqs = boto3.client("sqs", **kw)

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def receive_all(self, url, want):
        got = []
        for _ in range(10):
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                got.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if len(got) >= want:
                break
        return got

    def queue(self, name):
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def test_missing_queue_is_refused(self):
        self.s3.create_bucket(Bucket="notify-bad")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_bucket_notification_configuration(Bucket="notify-bad", NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:000000000000:no-such-queue",
                                         "Events": ["s3:ObjectCreated:*"]}]})
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidArgument")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        cfg = self.s3.get_bucket_notification_configuration(Bucket="notify-bad")
        self.assertNotIn("QueueConfigurations", cfg)

    def test_events_and_filters(self):
        url, arn = self.queue("s3-events")
        self.s3.create_bucket(Bucket="notify-bkt")
        self.s3.put_bucket_notification_configuration(Bucket="notify-bkt", NotificationConfiguration={
            "QueueConfigurations": [{"Id": "incoming", "QueueArn": arn,
                                     "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
                                     "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                                                        {"Name": "suffix", "Value": ".txt"}]}}}]})
        test = self.receive_all(url, 1)
        self.assertEqual(len(test), 1, test)
        self.assertEqual(test[0]["Event"], "s3:TestEvent")
        self.assertEqual(test[0]["Bucket"], "notify-bkt")

        put = self.s3.put_object(Bucket="notify-bkt", Key="in/a b.txt", Body=b"hello")
        self.s3.put_object(Bucket="notify-bkt", Key="out/skip.txt", Body=b"x")   # prefix does not match
        self.s3.put_object(Bucket="notify-bkt", Key="in/skip.bin", Body=b"x")    # suffix does not match
        self.s3.copy_object(Bucket="notify-bkt", Key="in/copy.txt", CopySource="notify-bkt/in/a b.txt")
        self.s3.delete_object(Bucket="notify-bkt", Key="in/a b.txt")
        records = [r for m in self.receive_all(url, 3) for r in m["Records"]]
        names = [(r["eventName"], r["s3"]["object"]["key"]) for r in records]
        self.assertEqual(sorted(names), sorted([("ObjectCreated:Put", "in/a+b.txt"),
                                                ("ObjectCreated:Copy", "in/copy.txt"),
                                                ("ObjectRemoved:Delete", "in/a+b.txt")]), names)
        created = next(r for r in records if r["eventName"] == "ObjectCreated:Put")
        self.assertEqual(created["eventSource"], "aws:s3")
        self.assertEqual(created["awsRegion"], "us-east-1")
        self.assertEqual(created["s3"]["bucket"]["name"], "notify-bkt")
        self.assertEqual(created["s3"]["bucket"]["arn"], "arn:aws:s3:::notify-bkt")
        self.assertEqual(created["s3"]["configurationId"], "incoming")
        self.assertEqual(created["s3"]["object"]["size"], 5)
        self.assertEqual(created["s3"]["object"]["eTag"], put["ETag"].strip('"'))
        self.assertNotIn("size", next(r for r in records if r["eventName"] == "ObjectRemoved:Delete")["s3"]["object"])

    def test_multipart_completion_and_delete_marker(self):
        url, arn = self.queue("s3-mpu-events")
        self.s3.create_bucket(Bucket="notify-mpu")
        self.s3.put_bucket_versioning(Bucket="notify-mpu", VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_bucket_notification_configuration(Bucket="notify-mpu", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:CompleteMultipartUpload",
                                                                 "s3:ObjectRemoved:*"]}]})
        self.receive_all(url, 1)  # the test event
        up = self.s3.create_multipart_upload(Bucket="notify-mpu", Key="big")
        part = self.s3.upload_part(Bucket="notify-mpu", Key="big", UploadId=up["UploadId"], PartNumber=1, Body=b"p")
        done = self.s3.complete_multipart_upload(Bucket="notify-mpu", Key="big", UploadId=up["UploadId"],
                                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        self.s3.put_object(Bucket="notify-mpu", Key="plain", Body=b"x")  # ObjectCreated:Put is not configured
        marker = self.s3.delete_object(Bucket="notify-mpu", Key="big")
        records = [r for m in self.receive_all(url, 2) for r in m["Records"]]
        by_name = {r["eventName"]: r for r in records}
        self.assertEqual(sorted(by_name), ["ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:DeleteMarkerCreated"])
        self.assertEqual(by_name["ObjectCreated:CompleteMultipartUpload"]["s3"]["object"]["versionId"], done["VersionId"])
        self.assertEqual(by_name["ObjectRemoved:DeleteMarkerCreated"]["s3"]["object"]["versionId"], marker["VersionId"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
