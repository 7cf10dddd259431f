"""End-to-end: SNS topics fanning out to SQS queues in-process (SERVICES=sns,sqs), driven with
boto3: the JSON envelope (signed, verifiable with the certificate Nimbus serves), raw delivery with
message attributes mapped to SQS attributes, MessageStructure=json, FIFO topic to FIFO queue with
group and deduplication, and a failed delivery moved to the subscription's dead-letter queue."""
import json, os, sys, time, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from sns_e2e import SnsSqsServer  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402


class Delivery(SnsSqsServer, unittest.TestCase):
    def receive(self, url, want, **kw):
        got = []
        for _ in range(20):
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         MessageAttributeNames=["All"], AttributeNames=["All"], **kw)
            for m in r.get("Messages", []):
                got.append(m)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if len(got) >= want:
                break
        return got

    def test_envelope_to_queue(self):
        topic = self.sns.create_topic(Name="envelope")["TopicArn"]
        url, arn = self.queue("envelope-q")
        sub = self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
        self.assertTrue(sub.startswith(topic + ":"), sub)
        r = self.sns.publish(TopicArn=topic, Message="hello", Subject="greeting",
                             MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"},
                                                "size": {"DataType": "Number", "StringValue": "3"},
                                                "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
        msgs = self.receive(url, 1)
        self.assertEqual(len(msgs), 1)
        env = json.loads(msgs[0]["Body"])
        self.assertEqual(env["Type"], "Notification")
        self.assertEqual(env["MessageId"], r["MessageId"])
        self.assertEqual(env["TopicArn"], topic)
        self.assertEqual(env["Subject"], "greeting")
        self.assertEqual(env["Message"], "hello")
        self.assertEqual(env["SignatureVersion"], "1")
        self.assertTrue(env["Timestamp"].endswith("Z"))
        self.assertIn("SubscriptionArn=" + sub, env["UnsubscribeURL"])
        self.assertEqual(env["MessageAttributes"]["color"], {"Type": "String", "Value": "blue"})
        self.assertEqual(env["MessageAttributes"]["size"], {"Type": "Number", "Value": "3"})
        self.assertEqual(env["MessageAttributes"]["blob"], {"Type": "Binary", "Value": "AAE="})
        # the envelope is not raw: SQS carries no message attributes of its own
        self.assertNotIn("MessageAttributes", msgs[0])
        self.verify_signature(env)

    def test_signature_version_2(self):
        topic = self.sns.create_topic(Name="sig2", Attributes={"SignatureVersion": "2"})["TopicArn"]
        url, arn = self.queue("sig2-q")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        self.sns.publish(TopicArn=topic, Message="signed")
        env = json.loads(self.receive(url, 1)[0]["Body"])
        self.assertEqual(env["SignatureVersion"], "2")
        self.verify_signature(env)

    def test_raw_delivery_maps_attributes(self):
        topic = self.sns.create_topic(Name="raw")["TopicArn"]
        url, arn = self.queue("raw-q")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                           Attributes={"RawMessageDelivery": "true"})
        self.sns.publish(TopicArn=topic, Message='{"k": 1}',
                         MessageAttributes={"color": {"DataType": "String", "StringValue": "red"},
                                            "blob": {"DataType": "Binary", "BinaryValue": b"\xff\x00"}})
        msgs = self.receive(url, 1)
        self.assertEqual(msgs[0]["Body"], '{"k": 1}')
        self.assertEqual(msgs[0]["MessageAttributes"]["color"], {"StringValue": "red", "DataType": "String"})
        self.assertEqual(msgs[0]["MessageAttributes"]["blob"], {"BinaryValue": b"\xff\x00", "DataType": "Binary"})

    def test_fan_out_to_many_queues(self):
        topic = self.sns.create_topic(Name="fan")["TopicArn"]
        urls = []
        for i in range(3):
            url, arn = self.queue(f"fan-{i}")
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
            urls.append(url)
        for i in range(5):
            self.sns.publish(TopicArn=topic, Message=f"m{i}")
        for url in urls:
            got = sorted(json.loads(m["Body"])["Message"] for m in self.receive(url, 5))
            self.assertEqual(got, [f"m{i}" for i in range(5)])

    def test_message_structure_json(self):
        topic = self.sns.create_topic(Name="structured")["TopicArn"]
        url, arn = self.queue("structured-q")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        self.sns.publish(TopicArn=topic, MessageStructure="json",
                         Message=json.dumps({"default": "for all", "sqs": "for queues"}))
        self.assertEqual(json.loads(self.receive(url, 1)[0]["Body"])["Message"], "for queues")
        with self.assertRaises(ClientError) as ctx:
            self.sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"sqs": "x"}))
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidParameter")
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         "Invalid parameter: Message Structure - No default entry in JSON message body")

    def test_fifo_topic_to_fifo_queue(self):
        topic = self.sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        url, arn = self.queue("orders.fifo", FifoQueue="true")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        first = self.sns.publish(TopicArn=topic, Message="one", MessageGroupId="g1", MessageDeduplicationId="d1")
        again = self.sns.publish(TopicArn=topic, Message="one", MessageGroupId="g1", MessageDeduplicationId="d1")
        self.assertEqual(first["MessageId"], again["MessageId"])
        self.assertEqual(first["SequenceNumber"], again["SequenceNumber"])
        second = self.sns.publish(TopicArn=topic, Message="two", MessageGroupId="g1", MessageDeduplicationId="d2")
        self.assertGreater(int(second["SequenceNumber"]), int(first["SequenceNumber"]))
        msgs = self.receive(url, 2)
        self.assertEqual([m["Body"] for m in msgs], ["one", "two"])
        self.assertEqual(msgs[0]["Attributes"]["MessageGroupId"], "g1")
        self.assertEqual(msgs[0]["Attributes"]["MessageDeduplicationId"], "d1")
        # the duplicate was not delivered
        self.assertEqual(self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []), [])

    def test_fifo_content_based_deduplication(self):
        topic = self.sns.create_topic(Name="cbd.fifo", Attributes={"FifoTopic": "true",
                                                                   "ContentBasedDeduplication": "true"})["TopicArn"]
        url, arn = self.queue("cbd.fifo", FifoQueue="true")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        a = self.sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
        b = self.sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
        self.assertEqual(a["MessageId"], b["MessageId"])
        msgs = self.receive(url, 1)
        self.assertEqual(len(msgs), 1)
        env = json.loads(msgs[0]["Body"])
        self.assertEqual(env["SequenceNumber"], a["SequenceNumber"])

    def test_failed_delivery_goes_to_dead_letter_queue(self):
        topic = self.sns.create_topic(Name="redrive")["TopicArn"]
        dlq_url, dlq_arn = self.queue("redrive-dlq")
        gone_url, gone_arn = self.queue("redrive-gone")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone_arn,
                           Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
        self.sqs.delete_queue(QueueUrl=gone_url)
        self.sns.publish(TopicArn=topic, Message="lost")
        msgs = self.receive(dlq_url, 1)
        self.assertEqual(len(msgs), 1)
        self.assertEqual(json.loads(msgs[0]["Body"])["Message"], "lost")

    def test_lambda_and_email_recorded(self):
        topic = self.sns.create_topic(Name="to-lambda")["TopicArn"]
        fn = "arn:aws:lambda:us-east-1:000000000000:function:handler"
        sub = self.sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)["SubscriptionArn"]
        mail = self.sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="ops@example.com",
                                  ReturnSubscriptionArn=True)["SubscriptionArn"]
        token = json.loads(urllib.request.urlopen(
            f"{self.n.url}/_aws/sns/subscription-tokens/{mail}").read())["subscription_token"]
        self.sns.confirm_subscription(TopicArn=topic, Token=token)
        mid = self.sns.publish(TopicArn=topic, Message="invoke", Subject="s",
                               MessageAttributes={"a": {"DataType": "String", "StringValue": "b"}})["MessageId"]
        for _ in range(50):
            got = json.loads(urllib.request.urlopen(f"{self.n.url}/_aws/sns/deliveries?protocol=lambda").read())
            if got["deliveries"]:
                break
            time.sleep(0.1)
        (d,) = got["deliveries"]
        self.assertEqual(d["Endpoint"], fn)
        record = d["Message"]["Records"][0]
        self.assertEqual((record["EventSource"], record["EventVersion"], record["EventSubscriptionArn"]),
                         ("aws:sns", "1.0", sub))
        self.assertEqual((record["Sns"]["MessageId"], record["Sns"]["Message"], record["Sns"]["Subject"]),
                         (mid, "invoke", "s"))
        self.assertEqual(record["Sns"]["MessageAttributes"], {"a": {"Type": "String", "Value": "b"}})
        self.assertIn("SigningCertUrl", record["Sns"])
        mails = json.loads(urllib.request.urlopen(f"{self.n.url}/_aws/sns/deliveries?protocol=email-json").read())
        notes = [m for m in mails["deliveries"] if m["Message"].get("MessageId") == mid]
        self.assertEqual(json.loads(notes[0]["Message"]["Message"])["Message"], "invoke")

    def test_filter_policy_applied(self):
        topic = self.sns.create_topic(Name="filtered")["TopicArn"]
        url, arn = self.queue("filtered-q")
        sub = self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True,
                                 Attributes={"FilterPolicy": json.dumps({"color": ["red"]})})["SubscriptionArn"]
        attrs = self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual(json.loads(attrs["FilterPolicy"]), {"color": ["red"]})
        self.assertEqual(attrs["FilterPolicyScope"], "MessageAttributes")
        with self.assertRaises(ClientError) as ctx:
            self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                                 AttributeValue="{not json")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidParameter")
        self.assertTrue(ctx.exception.response["Error"]["Message"].startswith("Invalid parameter: FilterPolicy: "))
        for color in ("blue", "red"):
            self.sns.publish(TopicArn=topic, Message=color,
                             MessageAttributes={"color": {"DataType": "String", "StringValue": color}})
        self.sns.publish(TopicArn=topic, Message="none")
        got = [json.loads(m["Body"])["Message"] for m in self.receive(url, 1)]
        self.assertEqual(got, ["red"])
        self.assertEqual(self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []), [])

    def test_nested_filter_policy_needs_body_scope(self):
        topic = self.sns.create_topic(Name="nested")["TopicArn"]
        url, arn = self.queue("nested-q")
        nested = json.dumps({"order": {"kind": ["book"]}})
        with self.assertRaises(ClientError) as ctx:
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": nested})
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter "
                         "policy")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                           Attributes={"FilterPolicy": nested, "FilterPolicyScope": "MessageBody"})
        self.sns.publish(TopicArn=topic, Message=json.dumps({"order": {"kind": "pen"}}))
        self.sns.publish(TopicArn=topic, Message=json.dumps({"order": {"kind": "book"}}))
        got = [json.loads(json.loads(m["Body"])["Message"]) for m in self.receive(url, 1)]
        self.assertEqual(got, [{"order": {"kind": "book"}}])


if __name__ == "__main__":
    unittest.main()
