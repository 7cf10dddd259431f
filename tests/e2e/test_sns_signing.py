"""End-to-end: the signature of a Publish's envelope is made once per publish, on the thread pool,
before its fan-out (plugins/sns/sns_publish.c, presign): every subscriber's envelope still verifies
with the certificate Nimbus serves, for each SignatureVersion the topic has at the time, under
concurrent publishes, with text that needs JSON escapes, and FIFO deduplication still answers the
first MessageId. Driven with boto3 and SERVICES=sns,sqs."""
import json, os, sys, threading, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import boto3_client  # noqa: E402
from sns_e2e import SnsSqsServer  # noqa: E402


class Signing(SnsSqsServer, unittest.TestCase):
    def receive(self, url, want, rounds=30):
        got = []
        for _ in range(rounds):
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                got.append(m["Body"])
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if len(got) >= want:
                break
        return got

    def test_every_subscriber_gets_a_verifiable_envelope_raw_ones_the_message(self):
        topic = self.sns.create_topic(Name="sign-fan")["TopicArn"]
        urls = []
        for i in range(3):
            url, arn = self.queue(f"sign-fan-{i}")
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
            urls.append(url)
        raw_url, raw_arn = self.queue("sign-fan-raw")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
        r = self.sns.publish(TopicArn=topic, Message="to all", Subject="s")
        unsubscribes = set()
        for url in urls:
            bodies = self.receive(url, 1)
            self.assertEqual(len(bodies), 1, url)
            env = json.loads(bodies[0])
            self.assertEqual((env["MessageId"], env["Message"], env["Subject"]), (r["MessageId"], "to all", "s"))
            self.verify_signature(env)
            unsubscribes.add(env["UnsubscribeURL"])
        self.assertEqual(len(unsubscribes), 3)  # one signature, yet each names its own subscription
        self.assertEqual(self.receive(raw_url, 1), ["to all"])

    def test_signature_version_followed_when_the_topic_changes(self):
        topic = self.sns.create_topic(Name="sign-version")["TopicArn"]
        url, arn = self.queue("sign-version-q")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        self.sns.publish(TopicArn=topic, Message="one")
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
        self.sns.publish(TopicArn=topic, Message="two")
        envs = sorted((json.loads(b) for b in self.receive(url, 2)), key=lambda e: e["Message"])
        self.assertEqual([(e["Message"], e["SignatureVersion"]) for e in envs], [("one", "1"), ("two", "2")])
        for env in envs:
            self.verify_signature(env)

    def test_text_needing_escapes_arrives_exact_and_verifies(self):
        topic = self.sns.create_topic(Name="sign-escape")["TopicArn"]
        url, arn = self.queue("sign-escape-q")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        message = 'quote " backslash \\ tab \t newline \n unicode \u00e9\u20ac\U0001F600 {"json": [1]}'
        self.sns.publish(TopicArn=topic, Message=message, Subject="caf\u00e9 \"q\"")
        bodies = self.receive(url, 1)
        self.assertEqual(len(bodies), 1)
        self.assertTrue(bodies[0].startswith('{\n  "Type": "Notification",\n  "MessageId": '), bodies[0][:60])
        env = json.loads(bodies[0])
        self.assertEqual(env["Message"], message)
        self.assertEqual(env["Subject"], "caf\u00e9 \"q\"")
        self.verify_signature(env)

    def test_concurrent_publishes_each_answered_with_the_id_delivered(self):
        topic = self.sns.create_topic(Name="sign-concurrent")["TopicArn"]
        url, arn = self.queue("sign-concurrent-q")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        ids, lock = {}, threading.Lock()

        def publisher(k):
            client = boto3_client(self.n.url, "sns")
            for i in range(10):
                text = f"m-{k}-{i}"
                mid = client.publish(TopicArn=topic, Message=text)["MessageId"]
                with lock:
                    ids[text] = mid
        threads = [threading.Thread(target=publisher, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        envs = [json.loads(b) for b in self.receive(url, 40)]
        self.assertEqual(len(envs), 40)
        self.assertEqual({e["Message"]: e["MessageId"] for e in envs}, ids)
        for env in envs:
            self.verify_signature(env)

    def test_fifo_duplicate_answers_the_first_message_id_and_is_not_delivered(self):
        topic = self.sns.create_topic(Name="sign-dedup.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        url, arn = self.queue("sign-dedup.fifo", FifoQueue="true")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        first = self.sns.publish(TopicArn=topic, Message="once", MessageGroupId="g", MessageDeduplicationId="d1")
        again = self.sns.publish(TopicArn=topic, Message="once", MessageGroupId="g", MessageDeduplicationId="d1")
        self.assertEqual(again["MessageId"], first["MessageId"])
        self.assertEqual(again["SequenceNumber"], first["SequenceNumber"])
        bodies = self.receive(url, 1)
        self.assertEqual(len(bodies), 1)
        self.assertEqual(self.receive(url, 1, rounds=2), [])  # the duplicate went nowhere
        env = json.loads(bodies[0])
        self.assertEqual(env["MessageId"], first["MessageId"])
        self.verify_signature(env)

    def test_publish_to_a_missing_topic_is_not_found(self):
        missing = "arn:aws:sns:us-east-1:000000000000:sign-missing"
        with self.assertRaises(Exception) as cm:
            self.sns.publish(TopicArn=missing, Message="x")
        self.assertEqual(cm.exception.response["Error"]["Code"], "NotFound")


if __name__ == "__main__":
    unittest.main()
