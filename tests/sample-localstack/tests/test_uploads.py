"""The sample project's integration tests, written against LocalStack: S3 uploads and an SQS job
queue, both created by init/ready.d. The endpoint is LocalStack's HTTPS one unless
AWS_ENDPOINT_URL names another (as LocalStack's docs suggest for CI)."""
import os
import unittest
import uuid

import boto3

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "https://localhost.localstack.cloud:4566")
BUCKET = "sample-uploads"
QUEUE = "sample-jobs"


def aws(service):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


class UploadTests(unittest.TestCase):
    def setUp(self):
        self.s3 = aws("s3")
        self.sqs = aws("sqs")

    def test_init_script_created_the_bucket_and_the_queue(self):
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertIn(BUCKET, names)
        self.assertTrue(self.sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"].endswith("/" + QUEUE))

    def test_upload_and_download(self):
        key = "reports/%s.csv" % uuid.uuid4()
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=b"id,total\n1,42\n", ContentType="text/csv")
        obj = self.s3.get_object(Bucket=BUCKET, Key=key)
        self.assertEqual(obj["Body"].read(), b"id,total\n1,42\n")
        self.assertEqual(obj["ContentType"], "text/csv")
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/")
        self.assertIn(key, [o["Key"] for o in listed["Contents"]])

    def test_job_round_trip(self):
        url = self.sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
        body = "process %s" % uuid.uuid4()
        self.sqs.send_message(QueueUrl=url, MessageBody=body)
        received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
        bodies = [m["Body"] for m in received.get("Messages", [])]
        self.assertIn(body, bodies)
        for m in received["Messages"]:
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


if __name__ == "__main__":
    unittest.main()
