"""Secrets Manager (issue 14, item 2): secrets with string and binary values, versions and their
staging labels, ClientRequestToken idempotency, UpdateSecretVersionStage, DescribeSecret, tags,
ListSecretVersionIds, and the errors AWS words for each. Debian's boto3 1.29, then the same cases
with pyenv's newer boto3."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import rerun_with_newer_boto3, server_env  # noqa: E402
from sm_e2e import SecretsCase  # noqa: E402

import boto3  # noqa: E402

TOKEN_A = "a" * 32
TOKEN_B = "b" * 32


class Values(SecretsCase):
    def name(self, base):
        return "%s-%s" % (base, re.sub(r"[^a-z0-9]", "", sys.version.split()[0] + boto3.__version__))

    def test_string_and_binary_values_with_arn_suffix(self):
        n = self.name("str")
        created = self.sm.create_secret(Name=n, SecretString='{"user":"app"}', Description="the app's login")
        self.assertRegex(created["ARN"], r"^arn:aws:secretsmanager:us-east-1:000000000000:secret:%s-[A-Za-z0-9]{6}$"
                         % re.escape(n))
        got = self.sm.get_secret_value(SecretId=n)
        self.assertEqual((got["SecretString"], got["VersionStages"], got["VersionId"]),
                         ('{"user":"app"}', ["AWSCURRENT"], created["VersionId"]))
        self.assertNotIn("SecretBinary", got)
        # a read is recorded as AWS keeps it: the day, at midnight UTC
        accessed = self.sm.describe_secret(SecretId=n)["LastAccessedDate"]
        self.assertEqual((accessed.utcoffset().total_seconds() + accessed.hour * 3600 + accessed.minute * 60) % 86400,
                         0, accessed)
        listed = self.sm.list_secrets(Filters=[{"Key": "name", "Values": [n]}])["SecretList"]
        self.assertIn("LastAccessedDate", [s for s in listed if s["Name"] == n][0])
        # by full ARN and by the ARN without its random suffix
        self.assertEqual(self.sm.get_secret_value(SecretId=created["ARN"])["Name"], n)
        self.assertEqual(self.sm.get_secret_value(SecretId=created["ARN"][:-7])["ARN"], created["ARN"])
        b = self.name("bin")
        self.sm.create_secret(Name=b, SecretBinary=b"\x00\xffraw")
        got = self.sm.get_secret_value(SecretId=b)
        self.assertEqual(got["SecretBinary"], b"\x00\xffraw")
        self.assertNotIn("SecretString", got)
        # two secrets never share a suffix by accident of a fixed one
        other = self.sm.create_secret(Name=self.name("str2"), SecretString="x")["ARN"]
        self.assertNotEqual(other[-6:], created["ARN"][-6:])

    def test_versions_labels_and_idempotent_tokens(self):
        n = self.name("ver")
        v1 = self.sm.create_secret(Name=n, SecretString="one", ClientRequestToken=TOKEN_A)["VersionId"]
        self.assertEqual(v1, TOKEN_A)
        put = self.sm.put_secret_value(SecretId=n, SecretString="two", ClientRequestToken=TOKEN_B)
        self.assertEqual((put["VersionId"], put["VersionStages"]), (TOKEN_B, ["AWSCURRENT"]))
        # the same token and value again: the same version, nothing moves
        again = self.sm.put_secret_value(SecretId=n, SecretString="two", ClientRequestToken=TOKEN_B)
        self.assertEqual(again["VersionId"], TOKEN_B)
        # the same token with another value
        self.error(self.sm.put_secret_value, "ResourceExistsException",
                   "You can't modify an existing version, you can only create a new version.",
                   SecretId=n, SecretString="three", ClientRequestToken=TOKEN_B)
        stages = self.sm.describe_secret(SecretId=n)["VersionIdsToStages"]
        self.assertEqual(stages, {TOKEN_A: ["AWSPREVIOUS"], TOKEN_B: ["AWSCURRENT"]})
        self.assertEqual(self.sm.get_secret_value(SecretId=n, VersionStage="AWSPREVIOUS")["SecretString"], "one")
        self.assertEqual(self.sm.get_secret_value(SecretId=n, VersionId=TOKEN_A)["SecretString"], "one")
        # a pending version does not move AWSCURRENT
        pending = self.sm.put_secret_value(SecretId=n, SecretString="next", VersionStages=["AWSPENDING"])
        self.assertEqual(pending["VersionStages"], ["AWSPENDING"])
        self.assertEqual(self.sm.get_secret_value(SecretId=n)["SecretString"], "two")
        self.error(self.sm.get_secret_value, "ResourceNotFoundException",
                   "You provided a VersionStage that is not associated to the provided VersionId.",
                   SecretId=n, VersionId=TOKEN_A, VersionStage="AWSCURRENT")
        self.error(self.sm.get_secret_value, "ResourceNotFoundException",
                   "Secrets Manager can't find the specified secret value for staging label: NOPE",
                   SecretId=n, VersionStage="NOPE")
        # promote the pending version: AWSCURRENT's old version becomes AWSPREVIOUS
        err = self.error(self.sm.update_secret_version_stage, "InvalidParameterException", SecretId=n,
                         VersionStage="AWSCURRENT", MoveToVersionId=pending["VersionId"])
        self.assertIn("RemoveFromVersionId", err["Message"])
        self.sm.update_secret_version_stage(SecretId=n, VersionStage="AWSCURRENT", MoveToVersionId=pending["VersionId"],
                                            RemoveFromVersionId=TOKEN_B)
        self.sm.update_secret_version_stage(SecretId=n, VersionStage="AWSPENDING",
                                            RemoveFromVersionId=pending["VersionId"])
        stages = self.sm.describe_secret(SecretId=n)["VersionIdsToStages"]
        self.assertEqual(stages, {pending["VersionId"]: ["AWSCURRENT"], TOKEN_B: ["AWSPREVIOUS"]})
        self.assertEqual(self.sm.get_secret_value(SecretId=n)["SecretString"], "next")
        # TOKEN_A lost its labels: deprecated, listed only with IncludeDeprecated
        ids = [v["VersionId"] for v in self.sm.list_secret_version_ids(SecretId=n)["Versions"]]
        self.assertEqual(sorted(ids), sorted([pending["VersionId"], TOKEN_B]))
        ids = [v["VersionId"] for v in self.sm.list_secret_version_ids(SecretId=n, IncludeDeprecated=True)["Versions"]]
        self.assertEqual(sorted(ids), sorted([pending["VersionId"], TOKEN_A, TOKEN_B]))
        page = self.sm.list_secret_version_ids(SecretId=n, IncludeDeprecated=True, MaxResults=2)
        self.assertEqual(len(page["Versions"]), 2)
        rest = self.sm.list_secret_version_ids(SecretId=n, IncludeDeprecated=True, NextToken=page["NextToken"])
        self.assertEqual(len(rest["Versions"]), 1)
        self.assertNotIn("NextToken", rest)

    def test_update_secret_description_and_value(self):
        n = self.name("upd")
        self.sm.create_secret(Name=n, SecretString="a")
        up = self.sm.update_secret(SecretId=n, Description="changed")
        self.assertNotIn("VersionId", up)
        up = self.sm.update_secret(SecretId=n, SecretString="b")
        self.assertEqual(self.sm.get_secret_value(SecretId=n)["VersionId"], up["VersionId"])
        d = self.sm.describe_secret(SecretId=n)
        self.assertEqual(d["Description"], "changed")
        self.assertNotIn("KmsKeyId", d)  # the AWS managed key is not answered

    def test_tags(self):
        n = self.name("tags")
        self.sm.create_secret(Name=n, SecretString="a", Tags=[{"Key": "env", "Value": "dev"}])
        self.sm.tag_resource(SecretId=n, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "x"}])
        tags = {t["Key"]: t["Value"] for t in self.sm.describe_secret(SecretId=n)["Tags"]}
        self.assertEqual(tags, {"env": "prod", "team": "x"})
        self.sm.untag_resource(SecretId=n, TagKeys=["env"])
        self.assertEqual(self.sm.describe_secret(SecretId=n)["Tags"], [{"Key": "team", "Value": "x"}])

    def test_errors(self):
        n = self.name("err")
        self.sm.create_secret(Name=n, SecretString="a")
        self.error(self.sm.create_secret, "ResourceExistsException",
                   "The operation failed because the secret %s already exists." % n, Name=n, SecretString="b")
        self.error(self.sm.get_secret_value, "ResourceNotFoundException",
                   "Secrets Manager can't find the specified secret.", SecretId=n + "-missing")
        self.error(self.sm.create_secret, "InvalidParameterException",
                   "You can't specify both a binary secret value and a string secret value in the same secret.",
                   Name=n + "-both", SecretString="a", SecretBinary=b"b")
        self.error(self.sm.create_secret, "InvalidParameterException",
                   "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: "
                   "-/_+=.@!", Name="bad name")
        self.error(self.sm.put_secret_value, "InvalidRequestException",
                   "You must provide either SecretString or SecretBinary.", SecretId=n)
        empty = self.name("empty")
        self.sm.create_secret(Name=empty)
        self.error(self.sm.get_secret_value, "ResourceNotFoundException",
                   "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
                   SecretId=empty)

    def test_newer_boto3(self):
        if os.environ.get("NB_SM_URL"):
            self.skipTest("already the newer client")
        rerun_with_newer_boto3(self, __file__, "Values", env=server_env(NB_SM_URL=self.url))


if __name__ == "__main__":
    unittest.main(verbosity=2)
