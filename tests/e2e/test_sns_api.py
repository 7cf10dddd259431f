"""End-to-end: the SNS API answered from state, driven with boto3 (Debian's 1.29, then the cases again
with pyenv's newer boto3): topics standard and FIFO with their attributes and default policy,
subscriptions and their attributes, ListTopics/ListSubscriptions paging, PublishBatch and its error
shapes, tags, permissions, data protection policies, SMS settings and sandbox, platform applications
and endpoints, and the errors SNS answers for bad topics, ARNs and attributes."""
import json, os, sys, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, rerun_with_newer_boto3  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402


class SnsApiCases(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="sns,sqs").start()
        cls.sns = boto3_client(cls.n.url, "sns")
        cls.sqs = boto3_client(cls.n.url, "sqs")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def error(self, call, **kw):
        with self.assertRaises(ClientError) as ctx:
            call(**kw)
        e = ctx.exception.response
        return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]

    def test_topic_attributes_and_default_policy(self):
        arn = self.sns.create_topic(Name="attrs")["TopicArn"]
        self.assertEqual(arn, "arn:aws:sns:us-east-1:000000000000:attrs")
        a = self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual(a["TopicArn"], arn)
        self.assertEqual(a["Owner"], "000000000000")
        self.assertEqual(a["DisplayName"], "")
        self.assertEqual(a["SubscriptionsConfirmed"], "0")
        policy = json.loads(a["Policy"])
        self.assertEqual(policy["Id"], "__default_policy_ID")
        self.assertEqual(policy["Statement"][0]["Resource"], arn)
        self.assertEqual(policy["Statement"][0]["Condition"], {"StringEquals": {"AWS:SourceOwner": "000000000000"}})
        self.assertEqual(json.loads(a["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"], 3)
        self.assertNotIn("FifoTopic", a)
        for name, value in (("DisplayName", "My Topic"), ("KmsMasterKeyId", "alias/aws/sns"),
                            ("TracingConfig", "Active"), ("SignatureVersion", "2"),
                            ("DeliveryPolicy", json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 5}}}))):
            self.sns.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)
            self.assertEqual(self.sns.get_topic_attributes(TopicArn=arn)["Attributes"][name], value)
        code, msg, status = self.error(self.sns.set_topic_attributes, TopicArn=arn, AttributeName="Bogus",
                                       AttributeValue="x")
        self.assertEqual((code, msg, status), ("InvalidParameter", "Invalid parameter: AttributeName", 400))
        code, msg, _ = self.error(self.sns.set_topic_attributes, TopicArn=arn,
                                  AttributeName="ContentBasedDeduplication", AttributeValue="true")
        self.assertEqual(code, "InvalidParameter")
        # CreateTopic again with the same attributes: the same topic
        self.assertEqual(self.sns.create_topic(Name="attrs")["TopicArn"], arn)

    def test_fifo_topics(self):
        arn = self.sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true",
                                                               "ContentBasedDeduplication": "true"})["TopicArn"]
        a = self.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual((a["FifoTopic"], a["ContentBasedDeduplication"]), ("true", "true"))
        self.sns.set_topic_attributes(TopicArn=arn, AttributeName="ArchivePolicy",
                                      AttributeValue=json.dumps({"MessageRetentionPeriod": 30}))
        code, msg, _ = self.error(self.sns.create_topic, Name="nofifo", Attributes={"FifoTopic": "true"})
        self.assertEqual(code, "InvalidParameter")
        self.assertTrue(msg.startswith("Invalid parameter: Fifo Topic names must end with .fifo"), msg)
        self.assertEqual(self.error(self.sns.create_topic, Name="bad name")[:2],
                         ("InvalidParameter", "Invalid parameter: Topic Name"))
        code, msg, _ = self.error(self.sns.publish, TopicArn=arn, Message="x")
        self.assertEqual(msg, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
        plain = self.sns.create_topic(Name="t-plain.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        code, msg, _ = self.error(self.sns.publish, TopicArn=plain, Message="x", MessageGroupId="g")
        self.assertEqual(msg, "Invalid parameter: The topic should either have ContentBasedDeduplication enabled "
                              "or MessageDeduplicationId provided explicitly")
        code, msg, _ = self.error(self.sns.subscribe, TopicArn=arn, Protocol="http", Endpoint="http://x")
        self.assertEqual(msg, "Invalid parameter: Invalid protocol type: http")

    def test_not_found_and_bad_arns(self):
        missing = "arn:aws:sns:us-east-1:000000000000:missing"
        self.assertEqual(self.error(self.sns.get_topic_attributes, TopicArn=missing),
                         ("NotFound", "Topic does not exist", 404))
        self.assertEqual(self.error(self.sns.publish, TopicArn=missing, Message="x")[:2],
                         ("NotFound", "Topic does not exist"))
        self.assertEqual(self.error(self.sns.subscribe, TopicArn=missing, Protocol="sqs",
                                    Endpoint="arn:aws:sqs:us-east-1:000000000000:q")[0], "NotFound")
        self.assertEqual(self.error(self.sns.publish, TopicArn="fake_topic", Message="x")[:2],
                         ("InvalidParameter", "Invalid parameter: TopicArn Reason: fake_topic does not start with arn"))
        self.assertEqual(self.error(self.sns.get_subscription_attributes,
                                    SubscriptionArn=missing + ":0f7c5e43-5bd4-4e4a-9d8e-5b5bb2c8d5c1")[:2],
                         ("NotFound", "Subscription does not exist"))
        self.assertEqual(self.error(self.sns.list_tags_for_resource, ResourceArn=missing)[:2],
                         ("ResourceNotFound", "Resource does not exist"))
        # deleting what is gone succeeds
        self.sns.delete_topic(TopicArn=missing)

    def test_subscriptions(self):
        topic = self.sns.create_topic(Name="subs")["TopicArn"]
        url = self.sqs.create_queue(QueueName="subs-q")["QueueUrl"]
        qarn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sub = self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
        # the same subscription again: the same ARN
        self.assertEqual(self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"], sub)
        a = self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual((a["Protocol"], a["Endpoint"], a["TopicArn"], a["PendingConfirmation"],
                          a["RawMessageDelivery"]), ("sqs", qarn, topic, "false", "false"))
        self.sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                             AttributeValue="true")
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"],
                         "true")
        self.assertEqual(self.error(self.sns.set_subscription_attributes, SubscriptionArn=sub,
                                    AttributeName="Nope", AttributeValue="1")[:2],
                         ("InvalidParameter", "Invalid parameter: AttributeName"))
        code, msg, _ = self.error(self.sns.subscribe, TopicArn=topic, Protocol="carrier-pigeon", Endpoint="x")
        self.assertEqual(msg, "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon")
        self.assertEqual(self.error(self.sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint="not-an-arn")[1],
                         "Invalid parameter: SQS endpoint ARN")
        lam = self.sns.subscribe(TopicArn=topic, Protocol="lambda",
                                 Endpoint="arn:aws:lambda:us-east-1:000000000000:function:f")["SubscriptionArn"]
        self.assertEqual(self.error(self.sns.set_subscription_attributes, SubscriptionArn=lam,
                                    AttributeName="RawMessageDelivery", AttributeValue="true")[1],
                         "Invalid parameter: Delivery protocol [lambda] does not support raw message delivery.")
        subs = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual(sorted(s["Protocol"] for s in subs), ["lambda", "sqs"])
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"], "2")
        self.sns.unsubscribe(SubscriptionArn=sub)
        self.sns.unsubscribe(SubscriptionArn=sub)  # again: no error
        self.assertEqual(len(self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]), 1)

    def test_email_confirmation_flow(self):
        topic = self.sns.create_topic(Name="mail")["TopicArn"]
        r = self.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="user@example.com")
        self.assertEqual(r["SubscriptionArn"], "pending confirmation")
        sub = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]
        self.assertEqual(sub["SubscriptionArn"], "PendingConfirmation")
        arn = self.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="user@example.com",
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.assertTrue(arn.startswith(topic + ":"))
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"],
                         "true")
        token = json.loads(urllib.request.urlopen(
            f"{self.n.url}/_aws/sns/subscription-tokens/{arn}").read())["subscription_token"]
        self.assertEqual(self.error(self.sns.confirm_subscription, TopicArn=topic, Token="nope")[:2],
                         ("InvalidParameter", "Invalid parameter: Token"))
        self.assertEqual(self.sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"], arn)
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"],
                         "false")

    def test_paging(self):
        arns = {self.sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105)}
        first = self.sns.list_topics()
        self.assertEqual(len(first["Topics"]), 100)
        self.assertIn("NextToken", first)
        second = self.sns.list_topics(NextToken=first["NextToken"])
        self.assertNotIn("NextToken", second)
        seen = {t["TopicArn"] for t in first["Topics"] + second["Topics"]}
        self.assertTrue(arns <= seen)
        self.assertEqual(len(seen), len(first["Topics"]) + len(second["Topics"]))
        paged = [t for p in self.sns.get_paginator("list_topics").paginate() for t in p["Topics"]]
        self.assertEqual(len(paged), len(seen))
        for a in arns:
            self.sns.delete_topic(TopicArn=a)

    def test_publish_checks(self):
        topic = self.sns.create_topic(Name="checks")["TopicArn"]
        self.assertEqual(self.error(self.sns.publish, TopicArn=topic, Message="")[1], "Invalid parameter: Empty message")
        self.assertEqual(self.error(self.sns.publish, TopicArn=topic, Message="x" * (256 * 1024 + 1))[1],
                         "Invalid parameter: Message too long")
        code, msg, _ = self.error(self.sns.publish, TopicArn=topic, Message="x",
                                  MessageAttributes={"a": {"DataType": "Number", "StringValue": "abc"}})
        self.assertEqual((code, msg), ("ParameterValueInvalid", "Could not cast message attribute 'a' value to number."))
        code, msg, _ = self.error(self.sns.publish, TopicArn=topic, Message="x",
                                  MessageAttributes={"a": {"DataType": "Float", "StringValue": "1"}})
        self.assertEqual(msg, "The message attribute 'a' has an invalid message attribute type, the set of supported "
                              "type prefixes is Binary, Number, and String.")
        code, msg, _ = self.error(self.sns.publish, TopicArn=topic, Message="x",
                                  MessageAttributes={"a": {"DataType": "String", "StringValue": ""}})
        self.assertEqual(msg, "The message attribute 'a' must contain non-empty message attribute value for message "
                              "attribute type 'String'.")
        code, msg, _ = self.error(self.sns.publish, TopicArn=topic, Message="x", MessageDeduplicationId="d")
        self.assertEqual(code, "InvalidParameter")
        self.assertTrue(self.sns.publish(TopicArn=topic, Message="fine")["MessageId"])

    def test_publish_batch(self):
        topic = self.sns.create_topic(Name="batch")["TopicArn"]
        r = self.sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "a", "Message": "one"}, {"Id": "b", "Message": ""},
            {"Id": "c", "Message": "three", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}}}])
        self.assertEqual([s["Id"] for s in r["Successful"]], ["a"])
        failed = {f["Id"]: f for f in r["Failed"]}
        self.assertEqual(failed["b"]["Code"], "InvalidParameter")
        self.assertEqual(failed["b"]["Message"], "Invalid parameter: Empty message")
        self.assertTrue(failed["b"]["SenderFault"])
        self.assertEqual(failed["c"]["Code"], "ParameterValueInvalid")
        self.assertEqual(self.error(self.sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}])[:2],
            ("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."))
        self.assertEqual(self.error(self.sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": str(i), "Message": "m"} for i in range(11)])[0], "TooManyEntriesInBatchRequest")
        self.assertEqual(self.error(self.sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "bad id!", "Message": "m"}])[0], "InvalidBatchEntryId")

    def test_empty_batch(self):
        topic = self.sns.create_topic(Name="batch-empty")["TopicArn"]
        # botocore refuses an empty list itself: send what the query protocol makes of one
        body = f"Action=PublishBatch&Version=2010-03-31&TopicArn={topic}&PublishBatchRequestEntries=".encode()
        req = urllib.request.Request(self.n.url + "/", data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
        try:
            urllib.request.urlopen(req)
            self.fail("an empty batch was accepted")
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            self.assertEqual(e.code, 400)
            self.assertIn("<Code>EmptyBatchRequest</Code>", text)

    def test_tags_permissions_and_data_protection(self):
        topic = self.sns.create_topic(Name="tagged", Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
        self.sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "env", "Value": "dev"}])
        tags = {t["Key"]: t["Value"] for t in self.sns.list_tags_for_resource(ResourceArn=topic)["Tags"]}
        self.assertEqual(tags, {"team": "a", "env": "dev"})
        self.sns.untag_resource(ResourceArn=topic, TagKeys=["team"])
        self.assertEqual(self.sns.list_tags_for_resource(ResourceArn=topic)["Tags"], [{"Key": "env", "Value": "dev"}])
        self.sns.add_permission(TopicArn=topic, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"])
        stmts = json.loads(self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
        pub = [s for s in stmts if s["Sid"] == "pub"][0]
        self.assertEqual(pub["Principal"], {"AWS": "arn:aws:iam::111122223333:root"})
        self.assertEqual(pub["Action"], "SNS:Publish")
        self.assertEqual(self.error(self.sns.add_permission, TopicArn=topic, Label="pub",
                                    AWSAccountId=["111122223333"], ActionName=["Publish"])[1],
                         "Invalid parameter: Statement already exists")
        self.sns.remove_permission(TopicArn=topic, Label="pub")
        stmts = json.loads(self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
        self.assertEqual([s["Sid"] for s in stmts], ["__default_statement_ID"])
        self.assertEqual(self.sns.get_data_protection_policy(ResourceArn=topic).get("DataProtectionPolicy", ""), "")
        dpp = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
        self.sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=dpp)
        self.assertEqual(self.sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"], dpp)

    def test_sms(self):
        self.sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Nimbus"})
        self.assertEqual(self.sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"],
                         {"DefaultSMSType": "Transactional"})
        self.assertEqual(self.error(self.sns.set_sms_attributes, attributes={"DefaultSMSType": "Loud"})[0],
                         "InvalidParameter")
        self.assertFalse(self.sns.check_if_phone_number_is_opted_out(phoneNumber="+15555550100")["isOptedOut"])
        self.assertEqual(self.sns.list_phone_numbers_opted_out()["phoneNumbers"], [])
        self.assertFalse(self.sns.get_sms_sandbox_account_status()["IsInSandbox"])
        self.sns.create_sms_sandbox_phone_number(PhoneNumber="+15555550101")
        self.assertEqual(self.sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"],
                         [{"PhoneNumber": "+15555550101", "Status": "Pending"}])
        self.sns.verify_sms_sandbox_phone_number(PhoneNumber="+15555550101", OneTimePassword="123456")
        self.assertEqual(self.sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"][0]["Status"], "Verified")
        self.sns.delete_sms_sandbox_phone_number(PhoneNumber="+15555550101")
        self.assertEqual(self.error(self.sns.delete_sms_sandbox_phone_number, PhoneNumber="+15555550101")[0],
                         "ResourceNotFound")
        self.assertEqual(self.sns.list_origination_numbers()["PhoneNumbers"], [])
        mid = self.sns.publish(PhoneNumber="+15555550102", Message="your code is 1234")["MessageId"]
        self.assertEqual(self.error(self.sns.publish, PhoneNumber="12ab", Message="x")[1],
                         "Invalid parameter: PhoneNumber Reason: 12ab is not valid to publish to")
        got = json.loads(urllib.request.urlopen(f"{self.n.url}/_aws/sns/sms-messages").read())
        self.assertEqual(got["region"], "us-east-1")
        self.assertEqual([(m["MessageId"], m["Message"]) for m in got["sms_messages"]["+15555550102"]],
                         [(mid, "your code is 1234")])
        urllib.request.urlopen(urllib.request.Request(f"{self.n.url}/_aws/sns/sms-messages", method="DELETE"))
        got = json.loads(urllib.request.urlopen(f"{self.n.url}/_aws/sns/sms-messages").read())
        self.assertEqual(got["sms_messages"], {})

    def test_platform_applications(self):
        app = self.sns.create_platform_application(Name="app", Platform="GCM",
                                                   Attributes={"PlatformCredential": "key"})["PlatformApplicationArn"]
        self.assertEqual(app, "arn:aws:sns:us-east-1:000000000000:app/GCM/app")
        self.assertNotIn("PlatformCredential",
                         self.sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"])
        ep = self.sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                               CustomUserData="u")["EndpointArn"]
        self.assertTrue(ep.startswith("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/"), ep)
        self.assertEqual(self.sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                                           CustomUserData="u")["EndpointArn"], ep)
        a = self.sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"]
        self.assertEqual((a["Token"], a["Enabled"], a["CustomUserData"]), ("device-1", "true", "u"))
        eps = self.sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
        self.assertEqual([e["EndpointArn"] for e in eps], [ep])
        mid = self.sns.publish(TargetArn=ep, Message="push!")["MessageId"]
        got = json.loads(urllib.request.urlopen(f"{self.n.url}/_aws/sns/platform-endpoint-messages").read())
        self.assertEqual([(m["MessageId"], m["Message"]) for m in got["platform_endpoint_messages"][ep]],
                         [(mid, "push!")])
        self.sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
        self.assertEqual(self.error(self.sns.publish, TargetArn=ep, Message="x")[:2],
                         ("EndpointDisabled", "Endpoint is disabled"))
        self.assertIn(app, [p["PlatformApplicationArn"] for p in self.sns.list_platform_applications()["PlatformApplications"]])
        self.sns.delete_endpoint(EndpointArn=ep)
        self.assertEqual(self.error(self.sns.get_endpoint_attributes, EndpointArn=ep)[:2],
                         ("NotFound", "Endpoint does not exist"))
        self.sns.delete_platform_application(PlatformApplicationArn=app)
        self.assertEqual(self.error(self.sns.get_platform_application_attributes, PlatformApplicationArn=app)[0],
                         "NotFound")


class NewerBoto3(unittest.TestCase):
    def test_cases_with_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "SnsApiCases", (1, 40))


if __name__ == "__main__":
    unittest.main()
