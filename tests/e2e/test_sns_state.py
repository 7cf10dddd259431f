"""SNS state with PERSISTENCE=1: topics, their attributes and tags, subscriptions (confirmed or
pending) and the signing certificate survive a restart and kill -9; deliveries still in the outbox
(SQS not enabled when they were published) go out once the server runs again with SQS."""
import json, os, signal, sys, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, temp_dir  # noqa: E402


class Persistence(unittest.TestCase):
    def cert(self, n):
        return urllib.request.urlopen(n.url + "/_aws/sns/SimpleNotificationService-nimbus.pem").read()

    def write_then_restart(self, sig):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="sns,sqs") as n:
            sns, sqs = boto3_client(n.url, "sns"), boto3_client(n.url, "sqs")
            topic = sns.create_topic(Name="kept", Attributes={"DisplayName": "Kept"},
                                     Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
            url = sqs.create_queue(QueueName="kept-q")["QueueUrl"]
            qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                                Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
            pending = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com",
                                    ReturnSubscriptionArn=True)["SubscriptionArn"]
            cert = self.cert(n)
            n.stop(sig=sig)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="sns,sqs") as n:
            sns, sqs = boto3_client(n.url, "sns"), boto3_client(n.url, "sqs")
            self.assertEqual(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"], "Kept")
            self.assertEqual(sns.list_tags_for_resource(ResourceArn=topic)["Tags"], [{"Key": "k", "Value": "v"}])
            a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
            self.assertEqual((a["RawMessageDelivery"], a["PendingConfirmation"]), ("true", "false"))
            self.assertEqual(sns.get_subscription_attributes(SubscriptionArn=pending)["Attributes"]
                             ["PendingConfirmation"], "true")
            self.assertEqual(self.cert(n), cert)
            sns.publish(TopicArn=topic, Message="after restart")
            r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
            self.assertEqual([m["Body"] for m in r["Messages"]], ["after restart"])

    def test_survives_restart(self):
        self.write_then_restart(signal.SIGTERM)

    def test_survives_kill_9(self):
        self.write_then_restart(signal.SIGKILL)

    def test_pending_deliveries_survive_kill_9(self):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="sns,sqs") as n:
            sns, sqs = boto3_client(n.url, "sns"), boto3_client(n.url, "sqs")
            topic = sns.create_topic(Name="outbox")["TopicArn"]
            url = sqs.create_queue(QueueName="outbox-q")["QueueUrl"]
            qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
        # SQS off: the deliveries wait in the outbox, through a kill -9
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="sns") as n:
            sns = boto3_client(n.url, "sns")
            ids = [sns.publish(TopicArn=topic, Message=f"m{i}")["MessageId"] for i in range(3)]
            n.stop(sig=signal.SIGKILL)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="sns,sqs") as n:
            sns, sqs = boto3_client(n.url, "sns"), boto3_client(n.url, "sqs")
            sns.list_topics()  # starts SNS, whose start drains the outbox
            got = []
            for _ in range(10):
                r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                for m in r.get("Messages", []):
                    got.append(json.loads(m["Body"]))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                if len(got) >= 3:
                    break
            self.assertEqual(sorted(e["MessageId"] for e in got), sorted(ids))
            self.assertEqual(sorted(e["Message"] for e in got), ["m0", "m1", "m2"])


if __name__ == "__main__":
    unittest.main()
