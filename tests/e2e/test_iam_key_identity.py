"""An access key IAM creates signs requests as its user, in its account: GetCallerIdentity names
the user, the services keep its state in the key's account (here 111111111111, reached by a
12-digit key as the field does, so it is not the default account), and a deleted key falls back
to the default account. Also across a kill -9 with PERSISTENCE=1."""
import os, signal, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from nimbus_server import Nimbus, ServerTestCase, temp_dir  # noqa: E402

ACCOUNT = "111111111111"


def client(url, service, key="test", secret="test"):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}))


def make_user_key(url, user):
    iam = client(url, "iam", key=ACCOUNT)  # a 12-digit key: this account's root
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return iam, arn, key


class UserKeys(ServerTestCase):
    def test_key_acts_as_its_user_in_its_account(self):
        iam, arn, key = make_user_key(self.n.url, "alice")
        self.assertEqual(arn, f"arn:aws:iam::{ACCOUNT}:user/alice")
        sts = client(self.n.url, "sts", key["AccessKeyId"], key["SecretAccessKey"])
        me = sts.get_caller_identity()
        self.assertEqual((me["Account"], me["Arn"]), (ACCOUNT, arn))
        self.assertTrue(me["UserId"].startswith("AIDA"), me["UserId"])
        self.assertEqual(me["UserId"], iam.get_user(UserName="alice")["User"]["UserId"])
        self.assertEqual(sts.get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"], ACCOUNT)

        s3 = client(self.n.url, "s3", key["AccessKeyId"], key["SecretAccessKey"])
        s3.create_bucket(Bucket="alice-bucket")
        sqs = client(self.n.url, "sqs", key["AccessKeyId"], key["SecretAccessKey"])
        url = sqs.create_queue(QueueName="alice-queue")["QueueUrl"]
        self.assertIn(ACCOUNT, url)
        # the account's own 12-digit key sees them; the default account does not
        names = [b["Name"] for b in client(self.n.url, "s3", ACCOUNT).list_buckets()["Buckets"]]
        self.assertIn("alice-bucket", names)
        names = [b["Name"] for b in client(self.n.url, "s3").list_buckets()["Buckets"]]
        self.assertNotIn("alice-bucket", names)

        iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
        me = sts.get_caller_identity()
        self.assertEqual(me["Account"], "000000000000")
        self.assertEqual(me["Arn"], "arn:aws:iam::000000000000:root")

    def test_root_key_of_an_account(self):
        iam = client(self.n.url, "iam", key=ACCOUNT)
        key = iam.create_access_key()["AccessKey"]
        me = client(self.n.url, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
        self.assertEqual((me["Account"], me["Arn"]), (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"))


class Persisted(unittest.TestCase):
    def test_key_survives_kill_9(self):
        data = temp_dir(self)
        n = Nimbus(PERSISTENCE="1", DATA_DIR=data).start()
        try:
            _, arn, key = make_user_key(n.url, "bob")
        finally:
            n.stop(signal.SIGKILL)
        n = Nimbus(PERSISTENCE="1", DATA_DIR=data).start()
        try:
            me = client(n.url, "sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
            self.assertEqual((me["Account"], me["Arn"]), (ACCOUNT, arn))
        finally:
            n.stop()


if __name__ == "__main__":
    unittest.main()
