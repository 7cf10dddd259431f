"""End-to-end: SNS filter policies through the plugin (SERVICES=sns,sqs), driven with boto3: a bad policy
refused with AWS's text and position, message-attribute policies (prefix, numeric range, anything-but,
exists, String.Array) and message-body policies (nested keys, $or, cidr) deciding which queues get a
message."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402


class FilterPolicies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="sns,sqs").start()
        cls.sns = boto3_client(cls.n.url, "sns")
        cls.sqs = boto3_client(cls.n.url, "sqs")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def subscribed_queue(self, topic, name, policy, scope=None):
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attrs = {"FilterPolicy": json.dumps(policy), "RawMessageDelivery": "true"}
        if scope:
            attrs["FilterPolicyScope"] = scope
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attrs)
        return url

    def bodies(self, url):
        """Every message the queue holds, once the deliveries of the publishes before have landed."""
        got = []
        for _ in range(3):
            r = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for m in r.get("Messages", []):
                got.append(m["Body"])
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return sorted(got)

    def test_bad_policy_refused_with_aws_text_and_position(self):
        topic = self.sns.create_topic(Name="filter-bad")["TopicArn"]
        url = self.sqs.create_queue(QueueName="filter-bad-q")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sub = self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
        with self.assertRaises(ClientError) as e:
            self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                                 AttributeValue=json.dumps({"key": [{"numeric": [">", 20, "<", "30"]}]}))
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidParameter")
        self.assertEqual(e.exception.response["Error"]["Message"],
                         'Invalid parameter: FilterPolicy: Value of < must be numeric\n at [Source: (String)'
                         '"{"key":[{"numeric":[">",20,"<","30"]}]}"; line: 1, column: 33]')
        with self.assertRaises(ClientError) as e:
            too_complex = {"key": list(range(151))}
            self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                                 AttributeValue=json.dumps(too_complex))
        self.assertEqual(e.exception.response["Error"]["Message"],
                         "Invalid parameter: FilterPolicy: Filter policy is too complex")

    def test_attribute_policies_choose_the_queues(self):
        topic = self.sns.create_topic(Name="filter-attrs")["TopicArn"]
        prefix = self.subscribed_queue(topic, "filter-prefix", {"color": [{"prefix": "bl"}]})
        price = self.subscribed_queue(topic, "filter-price", {"price": [{"numeric": [">", 10, "<=", 100]}]})
        notred = self.subscribed_queue(topic, "filter-not-red", {"color": [{"anything-but": ["red"]}],
                                                                 "store": [{"exists": False}]})
        sports = self.subscribed_queue(topic, "filter-sports", {"sports": ["rugby", "tennis"]})

        def publish(body, **attrs):
            mattrs = {}
            for k, (t, v) in attrs.items():
                mattrs[k] = {"DataType": t, "StringValue": v}
            self.sns.publish(TopicArn=topic, Message=body, MessageAttributes=mattrs)

        publish("blue-cheap", color=("String", "blue"), price=("Number", "5"))
        publish("black-mid", color=("String", "black"), price=("Number", "1e2"))
        publish("red-mid", color=("String", "red"), price=("Number", "50.5"))
        publish("green-stored", color=("String", "green"), store=("String", "x"))
        publish("golf-tennis", sports=("String.Array", '["golf", "tennis"]'))
        publish("golf", sports=("String.Array", '["golf"]'))
        self.assertEqual(self.bodies(prefix), ["black-mid", "blue-cheap"])
        self.assertEqual(self.bodies(price), ["black-mid", "red-mid"])
        self.assertEqual(self.bodies(notred), ["black-mid", "blue-cheap"])
        self.assertEqual(self.bodies(sports), ["golf-tennis"])

    def test_body_policies_choose_the_queues(self):
        topic = self.sns.create_topic(Name="filter-body")["TopicArn"]
        nested = self.subscribed_queue(topic, "filter-nested", {"object": {"key": [{"prefix": "auto-"}]}},
                                       scope="MessageBody")
        either = self.subscribed_queue(topic, "filter-or", {"source": ["app"], "$or": [
            {"level": ["error"]}, {"ip": [{"cidr": "10.0.0.0/24"}]}]}, scope="MessageBody")
        messages = [
            {"object": {"key": "auto-1"}},
            {"object": [{"key": "home-1"}, {"key": "auto-2"}]},
            {"object": {"key": "home-2"}},
            {"source": "app", "level": "error"},
            {"source": "app", "level": "info", "ip": "10.0.0.7"},
            {"source": "app", "level": "info", "ip": "10.0.1.7"},
        ]
        for m in messages:
            self.sns.publish(TopicArn=topic, Message=json.dumps(m))
        self.sns.publish(TopicArn=topic, Message="not json at all")
        got = [json.loads(b) for b in self.bodies(nested)]
        self.assertEqual(sorted(json.dumps(g, sort_keys=True) for g in got),
                         sorted(json.dumps(m, sort_keys=True) for m in messages[:2]))
        got = [json.loads(b) for b in self.bodies(either)]
        self.assertEqual(sorted(json.dumps(g, sort_keys=True) for g in got),
                         sorted(json.dumps(m, sort_keys=True) for m in messages[3:5]))


if __name__ == "__main__":
    unittest.main()
