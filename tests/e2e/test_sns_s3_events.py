"""End-to-end: S3 event notifications to an SNS topic (TopicConfigurations), delivered in-process
through SNS to a subscribed SQS queue (SERVICES=s3,sns,sqs): the topic is checked at configuration
time and gets an s3:TestEvent; object writes publish their event records with S3's subject."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402


class S3ToSns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="s3,sns,sqs").start()
        cls.s3, cls.sns, cls.sqs = (boto3_client(cls.n.url, s) for s in ("s3", "sns", "sqs"))

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def receive(self, url, want):
        got = []
        for _ in range(10):
            for m in self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
                got.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if len(got) >= want:
                break
        return got

    def test_missing_topic_is_refused(self):
        self.s3.create_bucket(Bucket="sns-bad")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_bucket_notification_configuration(Bucket="sns-bad", NotificationConfiguration={
                "TopicConfigurations": [{"TopicArn": "arn:aws:sns:us-east-1:000000000000:nope",
                                         "Events": ["s3:ObjectCreated:*"]}]})
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidArgument")
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         "Unable to validate the following destination configurations")

    def test_object_created_through_topic(self):
        topic = self.sns.create_topic(Name="s3-events")["TopicArn"]
        url = self.sqs.create_queue(QueueName="s3-events-q")["QueueUrl"]
        qarn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
        self.s3.create_bucket(Bucket="sns-bkt")
        self.s3.put_bucket_notification_configuration(Bucket="sns-bkt", NotificationConfiguration={
            "TopicConfigurations": [{"Id": "to-topic", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"],
                                     "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".txt"}]}}}]})
        test_event = self.receive(url, 1)
        self.assertEqual(test_event[0]["Subject"], "Amazon S3 Notification")
        self.assertEqual(json.loads(test_event[0]["Message"])["Event"], "s3:TestEvent")
        self.s3.put_object(Bucket="sns-bkt", Key="skip.bin", Body=b"x")
        self.s3.put_object(Bucket="sns-bkt", Key="a.txt", Body=b"hello")
        got = self.receive(url, 1)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["TopicArn"], topic)
        record = json.loads(got[0]["Message"])["Records"][0]
        self.assertEqual((record["eventName"], record["s3"]["object"]["key"], record["s3"]["object"]["size"]),
                         ("ObjectCreated:Put", "a.txt", 5))
        self.assertEqual(record["s3"]["configurationId"], "to-topic")


if __name__ == "__main__":
    unittest.main()
