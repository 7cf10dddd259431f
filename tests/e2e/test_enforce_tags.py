"""ENFORCE_IAM=1 reads the principal's IAM tags as aws:PrincipalTag/KEY: a user's own tags, and for
an assumed role's session its role's. A policy allowing S3 reads only for PrincipalTag team=blue
lets the tagged user read, denies it once TagUser sets team=red (the cached identity is dropped),
and allows it again after; an untagged user is denied; a role's session follows its role's tag.
The tags of the IAM user, role or managed policy an IAM operation names are iam:ResourceTag/KEY (and
aws:ResourceTag/KEY): GetRole allowed for env=dev is denied for an env=prod role, and the same for a
managed policy's GetPolicy."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import client, doc  # noqa: E402
from nimbus_server import ServerTestCase  # noqa: E402

ACCOUNT = "000000000000"
BLUE_READS = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                  "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}})


class PrincipalTags(ServerTestCase):
    server_env = {"ENFORCE_IAM": "1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.iam = client(cls.n.url, "iam")
        s3 = client(cls.n.url, "s3")
        s3.create_bucket(Bucket="tagged")
        s3.put_object(Bucket="tagged", Key="k", Body=b"data")

    def user(self, name, tags):
        self.iam.create_user(UserName=name, Tags=tags)
        self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=BLUE_READS)
        k = self.iam.create_access_key(UserName=name)["AccessKey"]
        return client(self.n.url, "s3", k["AccessKeyId"], k["SecretAccessKey"])

    def assert_reads(self, s3):
        self.assertEqual(s3.get_object(Bucket="tagged", Key="k")["Body"].read(), b"data")

    def assert_denied(self, s3):
        with self.assertRaises(ClientError) as cm:
            s3.get_object(Bucket="tagged", Key="k")
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("AccessDenied", 403))

    def test_user_tag_decides_and_its_change_is_seen(self):
        s3 = self.user("tag-blue", [{"Key": "team", "Value": "blue"}])
        self.assert_reads(s3)
        self.iam.tag_user(UserName="tag-blue", Tags=[{"Key": "team", "Value": "red"}])
        self.assert_denied(s3)
        self.iam.tag_user(UserName="tag-blue", Tags=[{"Key": "team", "Value": "blue"}])
        self.assert_reads(s3)
        self.iam.untag_user(UserName="tag-blue", TagKeys=["team"])
        self.assert_denied(s3)

    def test_untagged_user_denied(self):
        self.assert_denied(self.user("tag-none", [{"Key": "other", "Value": "blue"}]))

    def test_role_session_has_its_role_tags(self):
        trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     "Action": "sts:AssumeRole"})
        role = self.iam.create_role(RoleName="tag-role", AssumeRolePolicyDocument=trust,
                                    Tags=[{"Key": "team", "Value": "blue"}])["Role"]["Arn"]
        self.iam.put_role_policy(RoleName="tag-role", PolicyName="p", PolicyDocument=BLUE_READS)
        c = client(self.n.url, "sts").assume_role(RoleArn=role, RoleSessionName="sess")["Credentials"]
        s3 = client(self.n.url, "s3", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        self.assert_reads(s3)
        self.iam.tag_role(RoleName="tag-role", Tags=[{"Key": "team", "Value": "green"}])
        self.assert_denied(s3)


    def test_iam_resource_tags(self):
        for name, env in (("res-dev", "dev"), ("res-prod", "prod")):
            self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc({
                "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}),
                Tags=[{"Key": "env", "Value": env}])
            self.iam.create_policy(PolicyName=name, PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*",
                                                                        "Resource": "*"}),
                                   Tags=[{"Key": "env", "Value": env}])
        self.iam.create_user(UserName="res-reader")
        self.iam.put_user_policy(UserName="res-reader", PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
             "Condition": {"StringEquals": {"iam:ResourceTag/env": "dev"}}},
            {"Effect": "Allow", "Action": "iam:GetPolicy", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/env": "dev"}}}))
        k = self.iam.create_access_key(UserName="res-reader")["AccessKey"]
        iam = client(self.n.url, "iam", k["AccessKeyId"], k["SecretAccessKey"])
        self.assertEqual(iam.get_role(RoleName="res-dev")["Role"]["RoleName"], "res-dev")
        policy = f"arn:aws:iam::{ACCOUNT}:policy/"
        self.assertEqual(iam.get_policy(PolicyArn=policy + "res-dev")["Policy"]["PolicyName"], "res-dev")
        for call, kw in ((iam.get_role, {"RoleName": "res-prod"}), (iam.get_policy, {"PolicyArn": policy + "res-prod"})):
            with self.assertRaises(ClientError) as cm:
                call(**kw)
            self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")


if __name__ == "__main__":
    unittest.main(verbosity=2)
