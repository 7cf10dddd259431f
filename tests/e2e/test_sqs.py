"""End-to-end SQS: boto3 over query (Debian's) and json (pyenv's botocore, when present), the AWS CLI,
the AWS SDK for JavaScript v3, long polls, persistence across kill -9.

The cases in SqsCases run in this process with Debian's boto3 (query protocol); JsonProtocol re-runs
them in a child with a json-speaking botocore (NB_SQS_URL set), so both protocols see every case."""
import hashlib, json, os, shutil, signal, struct, subprocess, sys, tempfile, threading, time, unittest
import urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, SOURCE_DIR, aws_clis, aws_env, rerun_with_newer_boto3  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = None


def server_url():
    return os.environ.get("NB_SQS_URL") or SERVER.url


def server_port():
    """Queue URLs carry the port the server listens on (LOCALSTACK_HOST's default, as in LocalStack)."""
    return server_url().rsplit(":", 1)[1].rstrip("/")


def client(access_key="test", region="us-east-1"):
    return boto3.client("sqs", endpoint_url=server_url(), region_name=region, aws_access_key_id=access_key,
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}))


def attrs_md5(attrs):
    """AWS's message attribute MD5, written from the documented algorithm."""
    def lp(b):
        return struct.pack(">I", len(b)) + b
    h = hashlib.md5()
    for name in sorted(attrs, key=lambda n: n.encode()):
        a = attrs[name]
        h.update(lp(name.encode()) + lp(a["DataType"].encode()))
        if "StringValue" in a:
            h.update(b"\x01" + lp(a["StringValue"].encode()))
        else:
            h.update(b"\x02" + lp(a["BinaryValue"]))
    return h.hexdigest()


def code(ctx):
    return ctx.exception.response["Error"]["Code"]


_n = [0]


def qname(prefix="q"):
    _n[0] += 1
    return f"{prefix}-{os.getpid()}-{_n[0]}"


class SqsCases(unittest.TestCase):
    def setUp(self):
        self.c = client()

    def new_queue(self, attrs=None, name=None, fifo=False):
        name = name or qname()
        if fifo:
            name += ".fifo"
            attrs = dict(attrs or {}, FifoQueue="true")
        return self.c.create_queue(QueueName=name, Attributes=attrs or {})["QueueUrl"]

    # --- queues
    def test_create_get_list_delete(self):
        name = qname("life")
        url = self.c.create_queue(QueueName=name)["QueueUrl"]
        self.assertEqual(url, f"http://sqs.us-east-1.localhost.localstack.cloud:{server_port()}/000000000000/{name}")
        self.assertEqual(self.c.get_queue_url(QueueName=name)["QueueUrl"], url)
        self.assertEqual(self.c.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="000000000000")["QueueUrl"], url)
        self.assertIn(url, self.c.list_queues(QueueNamePrefix="life-")["QueueUrls"])
        # the same attributes again: the same queue; different ones: an error
        self.assertEqual(self.c.create_queue(QueueName=name)["QueueUrl"], url)
        self.c.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "40"})
        self.assertEqual(self.c.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"})["QueueUrl"], url)
        with self.assertRaises(ClientError) as e:
            self.c.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "41"})
        self.assertEqual(code(e), "QueueAlreadyExists")
        self.c.delete_queue(QueueUrl=url)
        with self.assertRaises(ClientError) as e:
            self.c.get_queue_url(QueueName=name)
        self.assertEqual(code(e), "AWS.SimpleQueueService.NonExistentQueue")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="x")
        self.assertEqual(code(e), "AWS.SimpleQueueService.NonExistentQueue")

    def test_queue_names(self):
        for bad in ["has space", "x" * 81, "dot.name", ""]:
            with self.assertRaises(ClientError, msg=bad) as e:
                self.c.create_queue(QueueName=bad)
            self.assertIn(code(e), ("InvalidParameterValue", "MissingParameter"), bad)
        with self.assertRaises(ClientError) as e:
            self.c.create_queue(QueueName=qname() + ".fifo")
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.create_queue(QueueName=qname(), Attributes={"FifoQueue": "true"})
        self.assertEqual(code(e), "InvalidParameterValue")
        self.assertIn("must end with .fifo", e.exception.response["Error"]["Message"])
        self.c.create_queue(QueueName="A-b_9" + qname())

    def test_list_queues_pages(self):
        prefix = qname("page")
        urls = [self.c.create_queue(QueueName=f"{prefix}-{i}")["QueueUrl"] for i in range(5)]
        seen, token = [], None
        while True:
            kw = {"QueueNamePrefix": prefix, "MaxResults": 2}
            if token:
                kw["NextToken"] = token
            r = self.c.list_queues(**kw)
            seen += r.get("QueueUrls", [])
            token = r.get("NextToken")
            if not token:
                break
        self.assertEqual(sorted(seen), sorted(urls))
        self.assertEqual(len(self.c.list_queues(QueueNamePrefix=prefix)["QueueUrls"]), 5)
        self.assertNotIn("QueueUrls", self.c.list_queues(QueueNamePrefix="nothing-like-this"))
        with self.assertRaises(ClientError) as e:
            self.c.list_queues(MaxResults=1001)
        self.assertEqual(code(e), "InvalidParameterValue")

    def test_attributes(self):
        url = self.new_queue({"DelaySeconds": "2", "MaximumMessageSize": "2048", "MessageRetentionPeriod": "120",
                              "ReceiveMessageWaitTimeSeconds": "3", "VisibilityTimeout": "60"})
        a = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(a["DelaySeconds"], "2")
        self.assertEqual(a["MaximumMessageSize"], "2048")
        self.assertEqual(a["MessageRetentionPeriod"], "120")
        self.assertEqual(a["ReceiveMessageWaitTimeSeconds"], "3")
        self.assertEqual(a["VisibilityTimeout"], "60")
        self.assertEqual(a["SqsManagedSseEnabled"], "true")
        self.assertTrue(a["QueueArn"].startswith("arn:aws:sqs:us-east-1:000000000000:"))
        for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                  "ApproximateNumberOfMessagesDelayed"):
            self.assertEqual(a[k], "0")
        self.assertAlmostEqual(int(a["CreatedTimestamp"]), time.time(), delta=30)
        self.c.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5", "KmsMasterKeyId": "alias/x"})
        names = ["VisibilityTimeout", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"]
        a = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=names)
        # as CreateQueue with a key: SQS-managed encryption off, the reuse period 300 by default
        self.assertEqual(a["Attributes"], {"VisibilityTimeout": "5", "KmsMasterKeyId": "alias/x",
                                           "KmsDataKeyReusePeriodSeconds": "300", "SqsManagedSseEnabled": "false"})
        kms = self.new_queue({"KmsMasterKeyId": "alias/x"})
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=kms, AttributeNames=names[1:])["Attributes"],
                         {"KmsMasterKeyId": "alias/x", "KmsDataKeyReusePeriodSeconds": "300",
                          "SqsManagedSseEnabled": "false"})
        self.c.set_queue_attributes(QueueUrl=url, Attributes={"KmsDataKeyReusePeriodSeconds": "600"})
        self.c.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "alias/y"})
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=url, AttributeNames=names[1:3])["Attributes"],
                         {"KmsMasterKeyId": "alias/y", "KmsDataKeyReusePeriodSeconds": "600"})
        for bad in ({"VisibilityTimeout": "43201"}, {"DelaySeconds": "-1"}, {"MaximumMessageSize": "1023"},
                    {"MessageRetentionPeriod": "59"}, {"ReceiveMessageWaitTimeSeconds": "21"},
                    {"VisibilityTimeout": "abc"}):
            with self.assertRaises(ClientError, msg=str(bad)) as e:
                self.c.set_queue_attributes(QueueUrl=url, Attributes=bad)
            self.assertEqual(code(e), "InvalidAttributeValue", bad)
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=url, Attributes={"ApproximateNumberOfMessages": "3"})
        self.assertEqual(code(e), "InvalidAttributeName")
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                                      "Action": "sqs:SendMessage", "Resource": "*"}]})
        self.c.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        got = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
        self.assertEqual(json.loads(got), json.loads(policy))
        self.c.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
        self.assertNotIn("Policy", self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"])

    def test_tags_and_permissions(self):
        name = qname()
        url = self.c.create_queue(QueueName=name, tags={"team": "a", "env": "dev"})["QueueUrl"]
        self.assertEqual(self.c.list_queue_tags(QueueUrl=url)["Tags"], {"team": "a", "env": "dev"})
        self.c.tag_queue(QueueUrl=url, Tags={"env": "prod", "x": "1"})
        # no tags: the same error over query (no Tags member sent) and json (an empty map)
        with self.assertRaises(ClientError) as e:
            self.c.tag_queue(QueueUrl=url, Tags={})
        self.assertEqual((code(e), e.exception.response["Error"]["Message"]),
                         ("MissingParameter", "The request must contain the parameter Tags."))
        self.c.untag_queue(QueueUrl=url, TagKeys=["team"])
        self.assertEqual(self.c.list_queue_tags(QueueUrl=url)["Tags"], {"env": "prod", "x": "1"})
        self.c.add_permission(QueueUrl=url, Label="l1", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
        pol = json.loads(self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
        self.assertEqual(pol["Statement"][0]["Sid"], "l1")
        self.assertEqual(pol["Statement"][0]["Action"], "SQS:SendMessage")
        self.assertEqual(pol["Statement"][0]["Principal"], {"AWS": "arn:aws:iam::111111111111:root"})
        with self.assertRaises(ClientError) as e:
            self.c.add_permission(QueueUrl=url, Label="l1", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
        self.assertEqual(code(e), "InvalidParameterValue")
        self.c.remove_permission(QueueUrl=url, Label="l1")
        with self.assertRaises(ClientError) as e:
            self.c.remove_permission(QueueUrl=url, Label="l1")
        self.assertEqual(code(e), "InvalidParameterValue")
        # AddPermission checks what it grants, as AWS does
        for accounts, actions, want in (
                (["111111111111"], [], ("MissingParameter", "The request must contain the parameter Actions.")),
                (["111111111111"], ["SendMessage"] * 8,
                 ("OverLimit", "8 Actions were found, maximum allowed is 7.")),
                ([], ["SendMessage"],
                 ("InvalidParameterValue", "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.")),
                (["111111111111"], ["SetQueueAttributes"],
                 ("InvalidParameterValue", "Value SQS:SetQueueAttributes for parameter ActionName is invalid. "
                  "Reason: Only the queue owner is allowed to invoke this action.")),
                (["111111111111"], ["Bogus"],
                 ("InvalidParameterValue", "Value SQS:Bogus for parameter ActionName is invalid. "
                  "Reason: Please refer to the appropriate WSDL for a list of valid actions."))):
            with self.assertRaises(ClientError) as e:
                self.c.add_permission(QueueUrl=url, Label="l2", AWSAccountIds=accounts, Actions=actions)
            self.assertEqual((code(e), e.exception.response["Error"]["Message"]), want)
        self.c.add_permission(QueueUrl=url, Label="l2", AWSAccountIds=["111111111111"],
                              Actions=["*", "ReceiveMessage", "GetQueueUrl"])

    # --- messages
    def test_send_receive_delete_with_attributes_and_checksums(self):
        url = self.new_queue()
        attrs = {"s": {"DataType": "String", "StringValue": "héllo"},
                 "n": {"DataType": "Number", "StringValue": "12.5"},
                 "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff\x10"},
                 "s.custom": {"DataType": "String.custom", "StringValue": "c"}}
        sysattrs = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}}
        body = "body ✓ \u00e9"
        r = self.c.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attrs,
                                MessageSystemAttributes=sysattrs)
        self.assertEqual(r["MD5OfMessageBody"], hashlib.md5(body.encode()).hexdigest())
        self.assertEqual(r["MD5OfMessageAttributes"], attrs_md5(attrs))
        self.assertEqual(r["MD5OfMessageSystemAttributes"], attrs_md5(sysattrs))
        m = self.c.receive_message(QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"]
        self.assertEqual(len(m), 1)
        m = m[0]
        self.assertEqual(m["Body"], body)
        self.assertEqual(m["MessageId"], r["MessageId"])
        self.assertEqual(m["MD5OfBody"], r["MD5OfMessageBody"])
        self.assertEqual(m["MessageAttributes"], attrs)
        self.assertEqual(m["MD5OfMessageAttributes"], attrs_md5(attrs))
        self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "1")
        self.assertEqual(m["Attributes"]["SenderId"], "000000000000")
        self.assertEqual(m["Attributes"]["AWSTraceHeader"], sysattrs["AWSTraceHeader"]["StringValue"])
        self.assertAlmostEqual(int(m["Attributes"]["SentTimestamp"]) / 1000, time.time(), delta=30)
        self.assertIn("ApproximateFirstReceiveTimestamp", m["Attributes"])
        self.c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=url))
        # attribute selection: a prefix, a name, none
        self.c.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
        m = self.c.receive_message(QueueUrl=url, MessageAttributeNames=["s.*"], VisibilityTimeout=0)["Messages"][0]
        self.assertEqual(set(m["MessageAttributes"]), {"s.custom"})
        self.assertEqual(m["MD5OfMessageAttributes"], attrs_md5({"s.custom": attrs["s.custom"]}))
        m = self.c.receive_message(QueueUrl=url, MessageAttributeNames=["n"], VisibilityTimeout=0)["Messages"][0]
        self.assertEqual(set(m["MessageAttributes"]), {"n"})
        m = self.c.receive_message(QueueUrl=url)["Messages"][0]
        self.assertNotIn("MessageAttributes", m)
        self.assertNotIn("Attributes", m)

    def test_message_errors(self):
        url = self.new_queue({"MaximumMessageSize": "1024"})
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="x" * 1025)
        self.assertEqual(code(e), "InvalidParameterValue")
        self.assertIn("Message must be shorter than 1024 bytes", e.exception.response["Error"]["Message"])
        self.c.send_message(QueueUrl=url, MessageBody="x" * 1024)
        # 1 MiB, the default and the most a queue allows (AWS since 2025)
        url = self.new_queue()
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])[
            "Attributes"]["MaximumMessageSize"], "1048576")
        self.c.send_message(QueueUrl=url, MessageBody="x" * 1048576)
        self.assertEqual(len(self.c.receive_message(QueueUrl=url)["Messages"][0]["Body"]), 1048576)
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="x" * (1048576 + 1))
        self.assertEqual(code(e), "InvalidParameterValue")
        self.assertIn("Message must be shorter than 1048576 bytes", e.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as e:
            self.new_queue({"MaximumMessageSize": "1048577"})
        self.assertEqual(code(e), "InvalidAttributeValue")
        half = "y" * (1048576 // 2)
        ok = self.c.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": half},
                                                              {"Id": "b", "MessageBody": half}])
        self.assertEqual(len(ok["Successful"]), 2)
        with self.assertRaises(ClientError) as e:
            self.c.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": half},
                                                             {"Id": "b", "MessageBody": half + "z"}])
        self.assertEqual(code(e), "AWS.SimpleQueueService.BatchRequestTooLong")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="bad \x01 char")
        self.assertEqual(code(e), "InvalidMessageContents")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="x",
                                MessageAttributes={"a": {"DataType": "Integer", "StringValue": "1"}})
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="x",
                                MessageAttributes={f"a{i}": {"DataType": "String", "StringValue": "1"}
                                                   for i in range(11)})
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.receive_message(QueueUrl=url, WaitTimeSeconds=21)
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.delete_message(QueueUrl=url, ReceiptHandle="garbage")
        self.assertEqual(code(e), "ReceiptHandleIsInvalid")
        with self.assertRaises(ClientError) as e:
            self.c.change_message_visibility(QueueUrl=url, ReceiptHandle="garbage", VisibilityTimeout=1)
        self.assertEqual(code(e), "ReceiptHandleIsInvalid")

    def test_batches(self):
        url = self.new_queue()
        r = self.c.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "a", "MessageBody": "one"},
            {"Id": "b", "MessageBody": "two", "DelaySeconds": 0,
             "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
            {"Id": "c", "MessageBody": "three", "DelaySeconds": 1000}])
        self.assertEqual(sorted(e["Id"] for e in r["Successful"]), ["a", "b"])
        self.assertEqual([(f["Id"], f["Code"], f["SenderFault"]) for f in r["Failed"]],
                         [("c", "InvalidParameterValue", True)])
        ok_b = [e for e in r["Successful"] if e["Id"] == "b"][0]
        self.assertEqual(ok_b["MD5OfMessageAttributes"], attrs_md5({"k": {"DataType": "String", "StringValue": "v"}}))
        msgs = self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in msgs), ["one", "two"])
        r = self.c.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": "x", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 100},
            {"Id": "y", "ReceiptHandle": "nope", "VisibilityTimeout": 100}])
        self.assertEqual([e["Id"] for e in r["Successful"]], ["x"])
        self.assertEqual([(f["Id"], f["Code"]) for f in r["Failed"]], [("y", "ReceiptHandleIsInvalid")])
        r = self.c.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": "m0", "ReceiptHandle": msgs[0]["ReceiptHandle"]},
            {"Id": "m1", "ReceiptHandle": msgs[1]["ReceiptHandle"]},
            {"Id": "bad", "ReceiptHandle": "nope"}])
        self.assertEqual(sorted(e["Id"] for e in r["Successful"]), ["m0", "m1"])
        self.assertEqual([(f["Id"], f["Code"]) for f in r["Failed"]], [("bad", "ReceiptHandleIsInvalid")])
        cases = [
            ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
            ([{"Id": str(i), "MessageBody": "x"} for i in range(11)],
             "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
            ([{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
             "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
            ([{"Id": "bad id!", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
            ([{"Id": str(i), "MessageBody": "x" * 110000} for i in range(10)],
             "AWS.SimpleQueueService.BatchRequestTooLong"),
        ]
        for entries, want in cases:
            with self.assertRaises(ClientError, msg=want) as e:
                self.c.send_message_batch(QueueUrl=url, Entries=entries)
            self.assertEqual(code(e), want)

    def test_visibility_timeout_and_receive_count(self):
        url = self.new_queue({"VisibilityTimeout": "1"})
        self.c.send_message(QueueUrl=url, MessageBody="v")
        m1 = self.c.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=url))
        a = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]), ("0", "1"))
        time.sleep(1.1)
        m2 = self.c.receive_message(QueueUrl=url, AttributeNames=["All"], VisibilityTimeout=30)["Messages"][0]
        self.assertEqual(m2["MessageId"], m1["MessageId"])
        self.assertEqual(m2["Attributes"]["ApproximateReceiveCount"], "2")
        self.assertNotEqual(m2["ReceiptHandle"], m1["ReceiptHandle"])
        self.c.change_message_visibility(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"], VisibilityTimeout=0)
        m3 = self.c.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
        self.assertEqual(m3["Attributes"]["ApproximateReceiveCount"], "3")
        self.c.delete_message(QueueUrl=url, ReceiptHandle=m3["ReceiptHandle"])
        self.c.delete_message(QueueUrl=url, ReceiptHandle=m3["ReceiptHandle"])  # twice: still fine
        with self.assertRaises(ClientError) as e:
            self.c.change_message_visibility(QueueUrl=url, ReceiptHandle=m3["ReceiptHandle"], VisibilityTimeout=5)
        self.assertEqual(code(e), "InvalidParameterValue")
        self.c.send_message(QueueUrl=url, MessageBody="w")
        m = self.c.receive_message(QueueUrl=url)["Messages"][0]
        self.c.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        with self.assertRaises(ClientError) as e:
            self.c.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=5)
        self.assertEqual(code(e), "AWS.SimpleQueueService.MessageNotInflight")
        # at most 12 hours from the receive: a second later 43200 is too long, 43000 is not
        m = self.c.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]
        time.sleep(1.1)
        with self.assertRaises(ClientError) as e:
            self.c.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=43200)
        self.assertEqual((code(e), e.exception.response["Error"]["Message"]), (
            "InvalidParameterValue", "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total "
            "VisibilityTimeout for the message is beyond the limit [43200 seconds]"))
        self.c.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=43000)

    def test_delay(self):
        url = self.new_queue({"DelaySeconds": "1"})
        self.c.send_message(QueueUrl=url, MessageBody="queue delay")
        self.c.send_message(QueueUrl=url, MessageBody="no delay", DelaySeconds=0)
        m = self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([x["Body"] for x in m], ["no delay"])
        a = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
        self.assertEqual(a["Attributes"]["ApproximateNumberOfMessagesDelayed"], "1")
        time.sleep(1.1)
        m = self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([x["Body"] for x in m], ["queue delay"])

    def test_retention(self):
        # the attribute and a message within it; expiry takes the period's 60 s minimum, too slow here:
        # tests/plugins/sqs/test_sqs_queue.c checks it with a fake clock
        # (retention_period_expires_visible_and_in_flight_messages, delay_and_retention)
        url = self.new_queue({"MessageRetentionPeriod": "60"})
        sent = self.c.send_message(QueueUrl=url, MessageBody="kept")
        a = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod",
                                                                      "ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(a, {"MessageRetentionPeriod": "60", "ApproximateNumberOfMessages": "1"})
        m = self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([(x["MessageId"], x["Body"]) for x in m], [(sent["MessageId"], "kept")])
        # a later change applies to the queue: the attribute reads back exactly
        self.c.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "1209600"})
        a = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod"])["Attributes"]
        self.assertEqual(a, {"MessageRetentionPeriod": "1209600"})

    def test_dead_letter_queue_and_move_task(self):
        dlq = self.new_queue()
        dlq_arn = self.c.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        src = self.new_queue({"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
                              "VisibilityTimeout": "0"})
        src_arn = self.c.get_queue_attributes(QueueUrl=src, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        rp = json.loads(self.c.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])
                        ["Attributes"]["RedrivePolicy"])
        self.assertEqual(rp, {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
        self.assertEqual(self.c.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"], [src])
        self.c.send_message(QueueUrl=src, MessageBody="poison")
        for _ in range(2):
            self.assertEqual(len(self.c.receive_message(QueueUrl=src)["Messages"]), 1)
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=src))
        m = self.c.receive_message(QueueUrl=dlq, VisibilityTimeout=0)["Messages"]
        self.assertEqual(m[0]["Body"], "poison")
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn + "-missing", "maxReceiveCount": 1})})
        self.assertEqual(code(e), "InvalidParameterValue")
        bad = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 0})
        with self.assertRaises(ClientError) as e:
            self.c.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": bad})
        self.assertEqual((code(e), e.exception.response["Error"]["Message"]), (
            "InvalidParameterValue", f"Value {bad} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
            "maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive."))
        if not hasattr(self.c, "start_message_move_task"):
            return
        # redrive back to the source
        task = self.c.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
        self.assertTrue(task)
        deadline = time.time() + 5
        while time.time() < deadline:
            r = self.c.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
            if r[0]["Status"] != "RUNNING":
                break
            time.sleep(0.1)
        self.assertEqual(r[0]["Status"], "COMPLETED")
        self.assertEqual(r[0]["ApproximateNumberOfMessagesMoved"], 1)
        m = self.c.receive_message(QueueUrl=src)["Messages"]
        self.assertEqual(m[0]["Body"], "poison")
        with self.assertRaises(ClientError) as e:
            self.c.start_message_move_task(SourceArn=src_arn)
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.start_message_move_task(SourceArn=dlq_arn + "-missing")
        self.assertEqual(code(e), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as e:
            self.c.cancel_message_move_task(TaskHandle="nope")
        self.assertEqual(code(e), "ResourceNotFoundException")
        # a slow task can be cancelled while it runs
        for _ in range(2):
            self.c.receive_message(QueueUrl=src)
        self.c.send_message_batch(QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": "p"} for i in range(5)])
        for _ in range(3):
            self.c.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
        self.assertEqual(self.c.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
                         ["Attributes"]["ApproximateNumberOfMessages"], "6")
        task = self.c.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
        with self.assertRaises(ClientError) as e:
            self.c.start_message_move_task(SourceArn=dlq_arn)
        self.assertEqual(code(e), "InvalidParameterValue")  # one running task per source
        r = self.c.cancel_message_move_task(TaskHandle=task)
        self.assertLess(r["ApproximateNumberOfMessagesMoved"], 6)
        self.assertEqual(self.c.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"], "CANCELLED")

    def test_redrive_allow_policy(self):
        def arn(url):
            return self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        deny = arn(self.new_queue({"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})}))
        src_name = qname("src")
        src_arn = deny.rsplit(":", 1)[0] + ":" + src_name
        only = arn(self.new_queue({"RedriveAllowPolicy": json.dumps({"redrivePermission": "byQueue",
                                                                     "sourceQueueArns": [src_arn]})}))
        other = self.new_queue()
        for dlq in (deny, only):
            rp = json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": 3})
            with self.assertRaises(ClientError, msg=dlq) as e:
                self.c.create_queue(QueueName=qname(), Attributes={"RedrivePolicy": rp})
            self.assertEqual(code(e), "InvalidParameterValue")
            self.assertIn("for parameter RedrivePolicy is invalid", e.exception.response["Error"]["Message"])
            with self.assertRaises(ClientError, msg=dlq) as e:
                self.c.set_queue_attributes(QueueUrl=other, Attributes={"RedrivePolicy": rp})
            self.assertEqual(code(e), "InvalidParameterValue")
        # the queue the policy names may (it is named before it exists)
        self.c.create_queue(QueueName=src_name, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": only, "maxReceiveCount": 3})})
        with self.assertRaises(ClientError) as e:
            self.c.create_queue(QueueName=qname(), Attributes={"RedriveAllowPolicy": json.dumps(
                {"redrivePermission": "byQueue"})})
        self.assertEqual(code(e), "InvalidParameterValue")

    def test_fifo(self):
        url = self.new_queue(fifo=True)
        a = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((a["FifoQueue"], a["ContentBasedDeduplication"], a["DeduplicationScope"]),
                         ("true", "false", "queue"))
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
        self.assertEqual(code(e), "MissingParameter")
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
        self.assertEqual(code(e), "InvalidParameterValue")
        # in a batch, one entry without its group or deduplication id fails the whole request
        good = {"Id": "ok", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "ok"}
        for entry, want in (({"Id": "b", "MessageBody": "x", "MessageDeduplicationId": "d"},
                             ("MissingParameter", "The request must contain the parameter MessageGroupId.")),
                            ({"Id": "b", "MessageBody": "x", "MessageGroupId": "g"},
                             ("InvalidParameterValue", "The queue should either have ContentBasedDeduplication "
                              "enabled or MessageDeduplicationId provided explicitly"))):
            with self.assertRaises(ClientError) as e:
                self.c.send_message_batch(QueueUrl=url, Entries=[good, entry])
            self.assertEqual((code(e), e.exception.response["Error"]["Message"]), want)
            self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=url))
        seqs = []
        for i in range(3):
            for g in ("g1", "g2"):
                r = self.c.send_message(QueueUrl=url, MessageBody=f"{g}-{i}", MessageGroupId=g,
                                        MessageDeduplicationId=f"{g}-{i}")
                seqs.append(int(r["SequenceNumber"]))
        self.assertEqual(seqs, sorted(seqs))
        dup = self.c.send_message(QueueUrl=url, MessageBody="again", MessageGroupId="g1", MessageDeduplicationId="g1-0")
        # g1's first message in flight locks g1; g2 still flows in order
        m = self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"])["Messages"][0]
        self.assertEqual(m["Body"], "g1-0")
        self.assertEqual(m["MessageId"], dup["MessageId"])
        self.assertEqual(m["Attributes"]["MessageGroupId"], "g1")
        self.assertEqual(m["Attributes"]["MessageDeduplicationId"], "g1-0")
        self.assertTrue(m["Attributes"]["SequenceNumber"])
        rest = self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([x["Body"] for x in rest], ["g2-0", "g2-1", "g2-2"])
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=10))
        self.c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        nxt = self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual([x["Body"] for x in nxt], ["g1-1", "g1-2"])
        # content-based deduplication
        url2 = self.new_queue({"ContentBasedDeduplication": "true"}, fifo=True)
        a = self.c.send_message(QueueUrl=url2, MessageBody="same", MessageGroupId="g")
        b = self.c.send_message(QueueUrl=url2, MessageBody="same", MessageGroupId="g")
        self.assertEqual(a["MessageId"], b["MessageId"])
        self.assertEqual(len(self.c.receive_message(QueueUrl=url2, MaxNumberOfMessages=10)["Messages"]), 1)
        with self.assertRaises(ClientError) as e:
            self.c.send_message(QueueUrl=url2, MessageBody="x", MessageGroupId="g", DelaySeconds=5)
        self.assertEqual(code(e), "InvalidParameterValue")
        with self.assertRaises(ClientError) as e:
            self.c.create_queue(QueueName=qname(), Attributes={"ContentBasedDeduplication": "true"})
        self.assertEqual(code(e), "InvalidAttributeName")
        # ids: letters, digits and punctuation, 1 to 128
        for kw, name in (({"MessageGroupId": "a b"}, "MessageGroupId"),
                         ({"MessageGroupId": "g", "MessageDeduplicationId": "d\u00e9"}, "MessageDeduplicationId"),
                         ({"MessageGroupId": "g" * 129}, "MessageGroupId")):
            with self.assertRaises(ClientError, msg=str(kw)) as e:
                self.c.send_message(QueueUrl=url2, MessageBody="x", **kw)
            self.assertEqual(code(e), "InvalidParameterValue")
            self.assertEqual(e.exception.response["Error"]["Message"],
                             f"Value {kw[name]} for parameter {name} is invalid. Reason: {name} can only include "
                             "alphanumeric and punctuation characters. 1 to 128 in length.")
        self.c.send_message(QueueUrl=url2, MessageBody="punct", MessageGroupId="g" * 128,
                            MessageDeduplicationId="!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    def test_fifo_receipt_handle_expires(self):
        url = self.new_queue({"ContentBasedDeduplication": "true"}, fifo=True)
        self.c.send_message(QueueUrl=url, MessageBody="once", MessageGroupId="g")
        first = self.c.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"][0]["ReceiptHandle"]
        time.sleep(1.3)
        # its visibility ran out: AWS refuses the handle, and the message stays
        with self.assertRaises(ClientError) as e:
            self.c.delete_message(QueueUrl=url, ReceiptHandle=first)
        self.assertEqual((code(e), e.exception.response["Error"]["Message"]),
                         ("InvalidParameterValue", f"Value {first} for parameter ReceiptHandle is invalid. "
                          "Reason: The receipt handle has expired."))
        second = self.c.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]["ReceiptHandle"]
        with self.assertRaises(ClientError):  # an earlier receive's handle, though the message is in flight
            self.c.delete_message(QueueUrl=url, ReceiptHandle=first)
        self.c.delete_message(QueueUrl=url, ReceiptHandle=second)
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=url, VisibilityTimeout=0))

    def test_purge(self):
        url = self.new_queue()
        self.c.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(5)])
        self.c.purge_queue(QueueUrl=url)
        a = self.c.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(a["ApproximateNumberOfMessages"], "0")
        with self.assertRaises(ClientError) as e:
            self.c.purge_queue(QueueUrl=url)
        self.assertEqual(code(e), "AWS.SimpleQueueService.PurgeQueueInProgress")

    def waiting_receive(self, url, **kw):
        """Starts a ReceiveMessage (WaitTimeSeconds=10) on its own client and thread, and
        returns once the server holds it; join() gives (response, time it answered)."""
        got = {}
        c = client()  # made here: making a client can take longer than the sleep below

        def run():
            got["r"] = c.receive_message(QueueUrl=url, WaitTimeSeconds=10, **kw)
            got["t"] = time.time()
        th = threading.Thread(target=run)
        th.start()
        time.sleep(0.5)  # the request is parked on the server by now

        def join():
            th.join(15)
            return got["r"], got["t"]
        return join

    def test_long_poll_wakes_on_send(self):
        url = self.new_queue()
        join = self.waiting_receive(url)
        sent = time.time()
        self.c.send_message(QueueUrl=url, MessageBody="wake")
        r, answered = join()
        self.assertEqual(r["Messages"][0]["Body"], "wake")
        self.assertLess(answered - sent, 0.5)
        # an empty wait lasts its time and answers no messages
        t0 = time.time()
        r = self.c.receive_message(QueueUrl=url, WaitTimeSeconds=1)
        self.assertNotIn("Messages", r)
        self.assertGreaterEqual(time.time() - t0, 0.9)
        # a delayed message ends a wait when it becomes visible
        self.c.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
        t0 = time.time()
        r = self.c.receive_message(QueueUrl=url, WaitTimeSeconds=5)
        self.assertEqual(r["Messages"][0]["Body"], "later")
        self.assertLess(time.time() - t0, 3)

    def test_long_poll_sees_messages_that_become_visible_during_the_wait(self):
        # a message sent with DelaySeconds while a receiver already waits
        url = self.new_queue()
        join = self.waiting_receive(url)
        sent = time.time()
        self.c.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=1)
        r, answered = join()
        self.assertEqual(r["Messages"][0]["Body"], "delayed")
        self.assertGreaterEqual(answered - sent, 0.9)
        self.assertLess(answered - sent, 1.5)
        # a message in flight whose visibility is changed to 1 s while a receiver waits
        self.c.send_message(QueueUrl=url, MessageBody="changed")
        m = self.c.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"][0]
        join = self.waiting_receive(url)
        changed = time.time()
        self.c.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=1)
        r, answered = join()
        self.assertEqual(r["Messages"][0]["Body"], "changed")
        self.assertLess(answered - changed, 1.5)
        # the first of two waiters takes the message for 1 s; the second gets it when that runs out
        url = self.new_queue()
        first = self.waiting_receive(url, VisibilityTimeout=1)
        second = self.waiting_receive(url)
        sent = time.time()
        self.c.send_message(QueueUrl=url, MessageBody="shared")
        r1, t1 = first()
        r2, t2 = second()
        self.assertEqual([r1["Messages"][0]["Body"], r2["Messages"][0]["Body"]], ["shared", "shared"])
        self.assertLess(t1 - sent, 0.5)
        self.assertLess(t2 - sent, 1.5)

    def test_accounts_regions_and_url_forms(self):
        name = qname("iso")
        url = self.c.create_queue(QueueName=name)["QueueUrl"]
        other = client(access_key="111111111111")
        self.assertNotIn(url, other.list_queues().get("QueueUrls", []))
        with self.assertRaises(ClientError) as e:
            other.get_queue_url(QueueName=name)
        self.assertEqual(code(e), "AWS.SimpleQueueService.NonExistentQueue")
        self.assertEqual(other.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="000000000000")["QueueUrl"], url)
        eu = client(region="eu-west-1")
        with self.assertRaises(ClientError):
            eu.get_queue_url(QueueName=name)
        eu_url = eu.create_queue(QueueName=name)["QueueUrl"]
        self.assertEqual(eu_url, f"http://sqs.eu-west-1.localhost.localstack.cloud:{server_port()}/000000000000/{name}")
        eu.send_message(QueueUrl=eu_url, MessageBody="eu")
        self.assertNotIn("Messages", self.c.receive_message(QueueUrl=url))
        # any host form of the URL names the same queue
        port = server_url().rsplit(":", 1)[1]
        for form in (f"http://127.0.0.1:{port}/000000000000/{name}", f"http://localhost:{port}/000000000000/{name}",
                     f"https://sqs.us-east-1.amazonaws.com/000000000000/{name}",
                     f"http://localhost:{port}/queue/us-east-1/000000000000/{name}"):
            self.c.send_message(QueueUrl=form, MessageBody=form)
        # a bare queue name, as AWS takes one: the caller's account and region
        self.c.send_message(QueueUrl=name, MessageBody="by name")
        with self.assertRaises(ClientError) as e:
            other.send_message(QueueUrl=name, MessageBody="x")
        self.assertEqual(code(e), "AWS.SimpleQueueService.NonExistentQueue")
        self.assertEqual(len(self.c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]), 5)
        # a URL naming eu-west-1 reaches the eu queue whatever region signed the request
        self.assertEqual(self.c.receive_message(QueueUrl=eu_url)["Messages"][0]["Body"], "eu")


def http(url, method="GET", headers=None, data=None):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


SIG = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x"


@unittest.skipIf(os.environ.get("NB_SQS_URL"), "runs once, in the parent")
class Wire(unittest.TestCase):
    """Both protocols' error shapes, checked on the raw wire."""

    def test_query_and_json_errors(self):
        status, _, body = http(server_url() + "/", "POST", {"Authorization": SIG,
                               "Content-Type": "application/x-www-form-urlencoded"},
                               b"Action=GetQueueUrl&Version=2012-11-05&QueueName=missing-queue")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>", body)
        self.assertIn(b"<Type>Sender</Type>", body)
        status, headers, body = http(server_url() + "/", "POST", {
            "Authorization": SIG, "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.GetQueueUrl", "x-amzn-query-mode": "true"}, b'{"QueueName":"missing-queue"}')
        self.assertEqual(status, 400)
        doc = json.loads(body)
        # AWS names the type with SQS's Smithy namespace, in the body and the header
        self.assertEqual(doc["__type"], "com.amazonaws.sqs#QueueDoesNotExist")
        self.assertEqual({k.lower(): v for k, v in headers.items()}["x-amzn-errortype"],
                         "com.amazonaws.sqs#QueueDoesNotExist")
        self.assertEqual(doc["message"], "The specified queue does not exist.")
        lower = {k.lower(): v for k, v in headers.items()}
        self.assertEqual(lower["x-amzn-query-error"], "AWS.SimpleQueueService.NonExistentQueue;Sender")
        # errors the spec does not declare, or declares without a query code, tell theirs too
        json_headers = {"Authorization": SIG, "Content-Type": "application/x-amz-json-1.0",
                        "x-amzn-query-mode": "true"}
        status, headers, body = http(server_url() + "/", "POST", dict(json_headers, **{
            "X-Amz-Target": "AmazonSQS.CreateQueue"}), b'{"QueueName":"bad name"}')
        self.assertEqual((status, json.loads(body)["__type"]), (400, "com.amazonaws.sqs#InvalidParameterValue"))
        self.assertEqual({k.lower(): v for k, v in headers.items()}["x-amzn-query-error"], "InvalidParameterValue;Sender")
        url = client().create_queue(QueueName=qname("wire"))["QueueUrl"]
        status, headers, body = http(server_url() + "/", "POST", dict(json_headers, **{
            "X-Amz-Target": "AmazonSQS.DeleteMessage"}), json.dumps({"QueueUrl": url, "ReceiptHandle": "x"}).encode())
        self.assertEqual((status, json.loads(body)["__type"]), (404, "com.amazonaws.sqs#ReceiptHandleIsInvalid"))
        self.assertEqual({k.lower(): v for k, v in headers.items()}["x-amzn-query-error"], "ReceiptHandleIsInvalid;Sender")

    def test_request_to_the_queue_url_path(self):
        c = client()
        name = qname("path")
        c.create_queue(QueueName=name)
        status, _, body = http(f"{server_url()}/000000000000/{name}", "POST", {
            "Authorization": SIG, "Content-Type": "application/x-www-form-urlencoded"},
            b"Action=SendMessage&Version=2012-11-05&MessageBody=via+path")
        self.assertEqual(status, 200, body)
        status, _, body = http(f"{server_url()}/000000000000/{name}?Action=ReceiveMessage", "GET",
                               {"Authorization": SIG})
        self.assertEqual(status, 200, body)
        self.assertIn(b"<Body>via path</Body>", body)
        status, _, body = http(f"{server_url()}/000000000000/{name}-missing?Action=ReceiveMessage", "GET",
                               {"Authorization": SIG})
        self.assertEqual(status, 400)
        self.assertIn(b"AWS.SimpleQueueService.NonExistentQueue", body)
        # LocalStack's path form /queue/<region>/<account>/<name>, over query and json; its region names the
        # queue whatever region signed the request
        eu = client(region="eu-west-1")
        eu.create_queue(QueueName=name)
        json_headers = {"Authorization": SIG, "Content-Type": "application/x-amz-json-1.0", "x-amzn-query-mode": "true"}
        for region, proto in (("us-east-1", "query"), ("us-east-1", "json"), ("eu-west-1", "query"),
                              ("eu-west-1", "json")):
            path = f"{server_url()}/queue/{region}/000000000000/{name}"
            if proto == "query":
                status, _, body = http(path, "POST", {"Authorization": SIG,
                                       "Content-Type": "application/x-www-form-urlencoded"},
                                       f"Action=SendMessage&Version=2012-11-05&MessageBody={region}-{proto}".encode())
            else:
                status, _, body = http(path, "POST", dict(json_headers, **{"X-Amz-Target": "AmazonSQS.SendMessage"}),
                                       json.dumps({"MessageBody": f"{region}-{proto}"}).encode())
            self.assertEqual(status, 200, (region, proto, body))
        status, _, body = http(f"{server_url()}/000000000000/{name}", "POST",
                               dict(json_headers, **{"X-Amz-Target": "AmazonSQS.GetQueueAttributes"}),
                               json.dumps({"AttributeNames": ["ApproximateNumberOfMessages"]}).encode())
        self.assertEqual((status, json.loads(body)["Attributes"]["ApproximateNumberOfMessages"]), (200, "2"))
        r = eu.get_queue_attributes(QueueUrl=eu.get_queue_url(QueueName=name)["QueueUrl"],
                                    AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(r["Attributes"]["ApproximateNumberOfMessages"], "2")

    def test_unknown_attribute_name(self):
        c = client()
        url = c.create_queue(QueueName=qname())["QueueUrl"]
        with self.assertRaises(ClientError) as e:
            c.get_queue_attributes(QueueUrl=url, AttributeNames=["NoSuchThing"])
        self.assertEqual(code(e), "InvalidAttributeName")
        with self.assertRaises(ClientError) as e:
            c.create_queue(QueueName=qname(), Attributes={"NoSuchThing": "1"})
        self.assertEqual(code(e), "InvalidAttributeName")

    def test_aborted_long_poll_takes_no_message(self):
        import socket
        c = client()
        url = c.create_queue(QueueName=qname("abort"))["QueueUrl"]
        host, port = server_url().rsplit("/", 1)[-1].split(":")
        socks = []
        for _ in range(20):
            s = socket.create_connection((host, int(port)))
            body = ("Action=ReceiveMessage&Version=2012-11-05&WaitTimeSeconds=20&QueueUrl=" +
                    urllib.parse.quote(url, safe="")).encode()
            s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + SIG.encode() +
                      b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                      str(len(body)).encode() + b"\r\n\r\n" + body)
            socks.append(s)
        time.sleep(0.3)
        for s in socks:
            s.close()
        time.sleep(0.3)
        c.send_message(QueueUrl=url, MessageBody="for a live receiver")
        time.sleep(0.2)
        m = c.receive_message(QueueUrl=url, WaitTimeSeconds=2)
        self.assertEqual(m["Messages"][0]["Body"], "for a live receiver")
        status, _, _ = http(server_url() + "/_localstack/health")
        self.assertEqual(status, 200)

    def test_queue_url_host_from_localstack_host(self):
        with Nimbus(LOCALSTACK_HOST="example.test:9999") as n:
            c = boto3.client("sqs", endpoint_url=n.url, region_name="eu-west-2", aws_access_key_id="test",
                             aws_secret_access_key="test")
            url = c.create_queue(QueueName="hosted")["QueueUrl"]
            self.assertEqual(url, "http://sqs.eu-west-2.example.test:9999/000000000000/hosted")
            c.send_message(QueueUrl=url, MessageBody="x")
            self.assertEqual(c.receive_message(QueueUrl=url)["Messages"][0]["Body"], "x")

    def test_state_reset_forgets_queues(self):
        # its own server: a reset must not disturb the other tests' queues
        with Nimbus() as n:
            c = boto3.client("sqs", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                             aws_secret_access_key="test")
            url = c.create_queue(QueueName="before-reset")["QueueUrl"]
            c.send_message(QueueUrl=url, MessageBody="old")
            status, _, _ = http(n.url + "/_localstack/state/reset", "POST", data=b"")
            self.assertEqual(status, 200)
            with self.assertRaises(ClientError) as e:
                c.get_queue_url(QueueName="before-reset")
            self.assertEqual(code(e), "AWS.SimpleQueueService.NonExistentQueue")
            self.assertNotIn("QueueUrls", c.list_queues())
            url = c.create_queue(QueueName="before-reset")["QueueUrl"]
            self.assertNotIn("Messages", c.receive_message(QueueUrl=url))

    def test_cli(self):
        for cli in aws_clis():  # Debian's v2 (query); pyenv's, when present (json)
            run = lambda *a: subprocess.run([cli, "--endpoint-url", server_url(), "--output", "json", "sqs", *a],
                                            env=aws_env(), capture_output=True, text=True, timeout=60)
            name = qname("cli")
            r = run("create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=7")
            self.assertEqual(r.returncode, 0, f"{cli}: {r.stderr}")
            url = json.loads(r.stdout)["QueueUrl"]
            r = run("send-message", "--queue-url", url, "--message-body", "from cli")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("receive-message", "--queue-url", url, "--attribute-names", "All")
            m = json.loads(r.stdout)["Messages"][0]
            self.assertEqual(m["Body"], "from cli")
            self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "1")
            r = run("get-queue-attributes", "--queue-url", url, "--attribute-names", "VisibilityTimeout")
            self.assertEqual(json.loads(r.stdout)["Attributes"], {"VisibilityTimeout": "7"})
            r = run("get-queue-url", "--queue-name", "missing-" + name)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("AWS.SimpleQueueService.NonExistentQueue", r.stderr, cli)


@unittest.skipIf(os.environ.get("NB_SQS_URL"), "runs once, in the parent")
class JsonProtocol(unittest.TestCase):
    def test_every_case_over_json(self):
        # botocore >= 1.31 speaks json to SQS (Debian's 1.29 speaks query only)
        rerun_with_newer_boto3(self, __file__, "SqsCases", (1, 31), dict(aws_env(), NB_SQS_URL=server_url()))

    def test_javascript_sdk(self):
        r = run_node_script(os.path.join(HERE, "js"), "test_sqs.mjs", server_url())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)


@unittest.skipIf(os.environ.get("NB_SQS_URL"), "runs once, in the parent")
class Persistence(unittest.TestCase):
    def test_kill_9_keeps_queues_and_messages(self):
        data = tempfile.mkdtemp(prefix="nimbus-sqs-")
        try:
            n = Nimbus(PERSISTENCE="1", DATA_DIR=data).start()
            c = boto3.client("sqs", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                             aws_secret_access_key="test")
            url = c.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "1"},
                                 tags={"k": "v"})["QueueUrl"]
            fifo = c.create_queue(QueueName="durable.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            c.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="g", MessageDeduplicationId="d1")
            for i in range(3):
                c.send_message(QueueUrl=url, MessageBody=f"m{i}",
                               MessageAttributes={"i": {"DataType": "Number", "StringValue": str(i)}})
            inflight = c.receive_message(QueueUrl=url, AttributeNames=["All"], VisibilityTimeout=4)["Messages"][0]
            visible_again = time.time() + 4
            n.stop(sig=signal.SIGKILL)
            n = Nimbus(PERSISTENCE="1", DATA_DIR=data).start()
            c = boto3.client("sqs", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                             aws_secret_access_key="test")
            # the restarted server listens on another port: its queue URLs say so
            self.assertEqual(c.get_queue_url(QueueName="durable")["QueueUrl"],
                             url.replace(url.split("/")[2].split(":")[1], n.url.rsplit(":", 1)[1]))
            self.assertEqual(c.list_queue_tags(QueueUrl=url)["Tags"], {"k": "v"})
            a = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            self.assertEqual(a["VisibilityTimeout"], "1")
            self.assertEqual((a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"]), ("2", "1"))
            # the message in flight stays hidden across the restart, until its visibility timeout ends
            self.assertLess(time.time(), visible_again - 1, "the restart took too long for this test")
            msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)["Messages"]
            self.assertEqual(len(msgs), 2)
            self.assertNotIn(inflight["MessageId"], [m["MessageId"] for m in msgs])
            time.sleep(max(0.0, visible_again - time.time()) + 0.2)
            msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                     MessageAttributeNames=["All"])["Messages"]
            self.assertEqual([m["MessageId"] for m in msgs], [inflight["MessageId"]])
            again = msgs[0]
            self.assertEqual(again["Body"], inflight["Body"])
            self.assertEqual(again["Attributes"]["ApproximateReceiveCount"], "2")
            self.assertEqual(again["MessageAttributes"]["i"]["StringValue"], inflight["Body"][1:])
            # FIFO sequence and deduplication survive too
            dup = c.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="g", MessageDeduplicationId="d1")
            nxt = c.send_message(QueueUrl=fifo, MessageBody="f2", MessageGroupId="g", MessageDeduplicationId="d2")
            self.assertGreater(int(nxt["SequenceNumber"]), int(dup["SequenceNumber"]))
            self.assertEqual([m["Body"] for m in c.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]],
                             ["f1", "f2"])
            n.stop()
        finally:
            shutil.rmtree(data, ignore_errors=True)


def setUpModule():
    global SERVER
    if not os.environ.get("NB_SQS_URL"):
        SERVER = Nimbus().start()


def tearDownModule():
    if SERVER:
        SERVER.stop()


if __name__ == "__main__":
    unittest.main()
