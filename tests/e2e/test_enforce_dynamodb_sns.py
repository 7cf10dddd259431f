"""ENFORCE_IAM=1 for DynamoDB and SNS: an IAM user's keys may make the calls its policy allows and are
denied the others in each service's own shape: DynamoDB's AccessDeniedException (400) and SNS's
AuthorizationError (403), both saying "User: ARN is not authorized to perform: ACTION on resource:
ARN because no identity-based policy allows the ACTION action" (SNS spells the action "SNS:Publish").
A DynamoDB table's resource policy (PutResourcePolicy) admits a user of its account without an
identity policy; a batch over two tables is denied when either is; DynamoDB Streams' calls are
dynamodb: actions on the stream's ARN. An SNS topic's Policy attribute
admits another account's user to Publish, and without it the same call is denied."""
import json, os, sys, unittest, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import allow, client, doc, user  # noqa: E402
from nimbus_server import Nimbus  # noqa: E402

ACCOUNT = "000000000000"
OTHER = "111111111111"  # the second account: its 12-digit key is its root
KEY = [{"AttributeName": "k", "KeyType": "HASH"}]
ATTRS = [{"AttributeName": "k", "AttributeType": "S"}]

_server = None


def setUpModule():
    global _server
    _server = Nimbus(ENFORCE_IAM="1").start()


def tearDownModule():
    rc = _server.stop()
    if rc != 0 or "Sanitizer" in _server.output or "runtime error" in _server.output:
        raise AssertionError("the server exited %s:\n%s" % (rc, _server.output[-4000:]))


def denied(test, call, code, status, **kw):
    with test.assertRaises(ClientError) as cm:
        call(**kw)
    err = cm.exception.response
    test.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), (code, status), err)
    return err["Error"]["Message"]


def table_arn(name):
    return f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}"


def put_resource_policy(url, arn, policy):
    """PutResourcePolicy with the root key, made by hand: boto3 1.29 has no put_resource_policy."""
    body = json.dumps({"ResourceArn": arn, "Policy": policy}).encode()
    req = urllib.request.Request(url + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.PutResourcePolicy",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req) as r:
        assert "RevisionId" in json.loads(r.read()), "PutResourcePolicy"


def reason(principal, action, resource):
    return (f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


class DynamoDB(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        url = _server.url
        root = client(url, "dynamodb")
        for t in ("az-a", "az-b", "az-pol"):
            root.create_table(TableName=t, KeySchema=KEY, AttributeDefinitions=ATTRS, BillingMode="PAY_PER_REQUEST")
        key, secret = user(url, "ddb-user", doc(allow(["dynamodb:PutItem", "dynamodb:GetItem",
                                                       "dynamodb:BatchGetItem"], table_arn("az-a"))))
        cls.ddb = client(url, "dynamodb", key, secret)
        cls.bare = client(url, "dynamodb", *user(url, "ddb-bare"))
        put_resource_policy(url, table_arn("az-pol"), doc({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ddb-bare"},
            "Action": "dynamodb:GetItem", "Resource": table_arn("az-pol")}))

    def test_allowed_put_and_get(self):
        self.ddb.put_item(TableName="az-a", Item={"k": {"S": "1"}, "v": {"S": "x"}})
        got = self.ddb.get_item(TableName="az-a", Key={"k": {"S": "1"}})
        self.assertEqual(got["Item"]["v"], {"S": "x"})

    def test_denied_on_another_table(self):
        msg = denied(self, self.ddb.put_item, "AccessDeniedException", 400, TableName="az-b", Item={"k": {"S": "1"}})
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/ddb-user", "dynamodb:PutItem", table_arn("az-b")))

    def test_denied_action_not_allowed(self):
        msg = denied(self, self.ddb.delete_item, "AccessDeniedException", 400, TableName="az-a",
                     Key={"k": {"S": "1"}})
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/ddb-user", "dynamodb:DeleteItem",
                                     table_arn("az-a")))

    def test_list_tables_on_any_resource(self):
        msg = denied(self, self.ddb.list_tables, "AccessDeniedException", 400)
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/ddb-user", "dynamodb:ListTables", "*"))

    def test_batch_denied_when_one_table_is(self):
        self.ddb.batch_get_item(RequestItems={"az-a": {"Keys": [{"k": {"S": "1"}}]}})
        msg = denied(self, self.ddb.batch_get_item, "AccessDeniedException", 400,
                     RequestItems={"az-a": {"Keys": [{"k": {"S": "1"}}]}, "az-b": {"Keys": [{"k": {"S": "1"}}]}})
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/ddb-user", "dynamodb:BatchGetItem",
                                     table_arn("az-b")))

    def test_table_resource_policy_admits_user(self):
        self.assertNotIn("Item", self.bare.get_item(TableName="az-pol", Key={"k": {"S": "1"}}))
        msg = denied(self, self.bare.get_item, "AccessDeniedException", 400, TableName="az-a", Key={"k": {"S": "1"}})
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/ddb-bare", "dynamodb:GetItem", table_arn("az-a")))


class Streams(unittest.TestCase):
    """DynamoDB Streams' calls are dynamodb: actions on the stream's ARN, denied as DynamoDB denies."""

    @classmethod
    def setUpClass(cls):
        url = _server.url
        root = client(url, "dynamodb")
        cls.stream = root.create_table(
            TableName="az-st", KeySchema=KEY, AttributeDefinitions=ATTRS, BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        )["TableDescription"]["LatestStreamArn"]
        root.put_item(TableName="az-st", Item={"k": {"S": "1"}})
        reader = user(url, "st-reader", doc(allow(["dynamodb:DescribeStream", "dynamodb:GetShardIterator"],
                                                  table_arn("az-st") + "/stream/*")))
        cls.reader = client(url, "dynamodbstreams", *reader)

    def test_describe_and_iterator_allowed_records_denied(self):
        shard = self.reader.describe_stream(StreamArn=self.stream)["StreamDescription"]["Shards"][0]["ShardId"]
        it = self.reader.get_shard_iterator(StreamArn=self.stream, ShardId=shard,
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        msg = denied(self, self.reader.get_records, "AccessDeniedException", 400, ShardIterator=it)
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/st-reader", "dynamodb:GetRecords", self.stream))

    def test_denied_list_streams(self):
        msg = denied(self, self.reader.list_streams, "AccessDeniedException", 400)
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/st-reader", "dynamodb:ListStreams", "*"))


class SNS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        url = _server.url
        root = client(url, "sns")
        cls.topic = root.create_topic(Name="az-topic")["TopicArn"]
        cls.other_topic = root.create_topic(Name="az-other")["TopicArn"]
        cls.shared = root.create_topic(Name="az-shared")["TopicArn"]
        key, secret = user(url, "sns-user", doc(allow(["sns:Publish", "sns:GetTopicAttributes"], cls.topic)))
        cls.sns = client(url, "sns", key, secret)
        # another account's user, allowed Publish by its own identity policy on any topic
        cls.outsider = client(url, "sns", *user(url, "sns-out", doc(allow("sns:Publish")), root=OTHER))
        root.set_topic_attributes(TopicArn=cls.shared, AttributeName="Policy", AttributeValue=doc({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:user/sns-out"},
            "Action": "SNS:Publish", "Resource": cls.shared}))

    def test_allowed_publish(self):
        self.assertIn("MessageId", self.sns.publish(TopicArn=self.topic, Message="hi"))
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=self.topic)["Attributes"]["TopicArn"], self.topic)

    def test_denied_publish_on_another_topic(self):
        msg = denied(self, self.sns.publish, "AuthorizationError", 403, TopicArn=self.other_topic, Message="hi")
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/sns-user", "SNS:Publish", self.other_topic))

    def test_denied_subscribe(self):
        msg = denied(self, self.sns.subscribe, "AuthorizationError", 403, TopicArn=self.topic, Protocol="sqs",
                     Endpoint=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q")
        self.assertEqual(msg, reason(f"arn:aws:iam::{ACCOUNT}:user/sns-user", "SNS:Subscribe", self.topic))

    def test_publish_batch_is_publish(self):
        out = self.sns.publish_batch(TopicArn=self.topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "m"}])
        self.assertEqual([s["Id"] for s in out["Successful"]], ["1"])
        msg = denied(self, self.sns.publish_batch, "AuthorizationError", 403, TopicArn=self.other_topic,
                     PublishBatchRequestEntries=[{"Id": "1", "Message": "m"}])
        self.assertIn("SNS:Publish on resource: " + self.other_topic, msg)

    def test_topic_policy_admits_other_account(self):
        self.assertIn("MessageId", self.outsider.publish(TopicArn=self.shared, Message="from afar"))

    def test_other_account_denied_without_topic_policy(self):
        msg = denied(self, self.outsider.publish, "AuthorizationError", 403, TopicArn=self.topic, Message="no")
        self.assertEqual(msg, f"User: arn:aws:iam::{OTHER}:user/sns-out is not authorized to perform: SNS:Publish "
                              f"on resource: {self.topic} because no resource-based policy allows the SNS:Publish action")


if __name__ == "__main__":
    unittest.main()
