"""Secrets Manager (issue 14, item 2): ListSecrets with every filter key, sorting and paging,
BatchGetSecretValue by ids and by filters with per-secret errors, replication to other regions,
resource policies with ValidateResourcePolicy, rotation without a Lambda service, and
GetRandomPassword's options. Debian's boto3 1.29 runs what it can send; pyenv's newer boto3 runs all."""
import os
import string
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, rerun_with_newer_boto3, server_env  # noqa: E402
from sm_e2e import SecretsCase, client  # noqa: E402

import boto3  # noqa: E402

PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
POLICY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},'
          '"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}')
PUBLIC = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
          '"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}')


def newer(test, op):
    if not hasattr(test.sm, op):
        test.skipTest("boto3 %s has no %s (run by test_newer_boto3)" % (boto3.__version__, op))


class Features(SecretsCase):
    # a fresh server for each client generation: the listing cases count every secret
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prefix = "g%d-" % int(boto3.__version__.split(".")[1])

    def names(self, **kw):
        out, token = [], None
        while True:
            page = self.sm.list_secrets(**kw, **({"NextToken": token} if token else {}))
            out += [s["Name"] for s in page["SecretList"]]
            token = page.get("NextToken")
            if not token:
                return out

    def test_list_filters_sort_and_paging(self):
        p = self.prefix + "list/"
        self.sm.create_secret(Name=p + "alpha", SecretString="1", Description="Database Password",
                              Tags=[{"Key": "env", "Value": "prod"}])
        self.sm.create_secret(Name=p + "beta", SecretString="2", Description="api key",
                              Tags=[{"Key": "team", "Value": "payments"}])
        self.sm.create_secret(Name=p + "gamma", SecretString="3")
        f = lambda key, *values: {"Filters": [{"Key": key, "Values": list(values)}]}  # noqa: E731
        self.assertEqual(self.names(**f("name", p + "al")), [p + "alpha"])
        self.assertEqual(self.names(**f("description", "database")), [p + "alpha"])  # not case-sensitive
        self.assertEqual(self.names(**f("tag-key", "tea")), [p + "beta"])
        self.assertEqual(self.names(**f("tag-value", "prod")), [p + "alpha"])
        self.assertEqual(self.names(**f("all", "password")), [p + "alpha"])
        self.assertEqual(sorted(self.names(**f("name", p + "alpha", p + "gamma"))), [p + "alpha", p + "gamma"])
        # a value starting with '!' negates; two filters must both match
        self.assertEqual(sorted(self.names(Filters=[{"Key": "name", "Values": [p]},
                                                    {"Key": "name", "Values": ["!" + p + "beta"]}])),
                         [p + "alpha", p + "gamma"])
        self.assertEqual(self.names(**f("primary-region", "us-")), [])
        self.assertEqual(self.names(**f("owning-service", "rds")), [])
        self.error(self.sm.list_secrets, "ValidationException", Filters=[{"Key": "colour", "Values": ["x"]}])
        self.assertEqual(self.names(SortOrder="desc", **f("name", p)), [p + "gamma", p + "beta", p + "alpha"])
        self.assertEqual(self.names(SortOrder="asc", **f("name", p)), [p + "alpha", p + "beta", p + "gamma"])
        page = self.sm.list_secrets(MaxResults=2, **f("name", p))
        self.assertEqual(len(page["SecretList"]), 2)
        self.assertIn("NextToken", page)
        self.assertEqual(len(self.names(MaxResults=1, **f("name", p))), 3)
        self.error(self.sm.list_secrets, "InvalidNextTokenException", NextToken="forged")
        entry = self.sm.list_secrets(**f("name", p + "alpha"))["SecretList"][0]
        self.assertEqual(list(entry["SecretVersionsToStages"].values()), [["AWSCURRENT"]])

    def test_list_planned_deletion_and_sort_by(self):
        try:
            self.sm.list_secrets(SortBy="name")
        except Exception as e:  # botocore's own validation before 1.3x
            self.skipTest("boto3 %s cannot send SortBy: %s" % (boto3.__version__, type(e).__name__))
        p = self.prefix + "planned/"
        for name in ("b", "a", "c"):
            self.sm.create_secret(Name=p + name, SecretString="v")
        self.sm.delete_secret(SecretId=p + "c")
        self.assertEqual(self.names(SortBy="name", Filters=[{"Key": "name", "Values": [p]}]), [p + "a", p + "b"])
        self.assertEqual(self.names(SortBy="name", IncludePlannedDeletion=True,
                                    Filters=[{"Key": "name", "Values": [p]}]), [p + "a", p + "b", p + "c"])

    def test_batch_get_secret_value(self):
        newer(self, "batch_get_secret_value")
        p = self.prefix + "batch/"
        self.sm.create_secret(Name=p + "one", SecretString="1")
        self.sm.create_secret(Name=p + "two", SecretBinary=b"2")
        self.sm.create_secret(Name=p + "deleted", SecretString="3")
        self.sm.delete_secret(SecretId=p + "deleted")
        r = self.sm.batch_get_secret_value(SecretIdList=[p + "one", p + "two", p + "missing", p + "deleted"])
        self.assertEqual({v["Name"]: v.get("SecretString", v.get("SecretBinary")) for v in r["SecretValues"]},
                         {p + "one": "1", p + "two": b"2"})
        self.assertEqual({e["SecretId"]: e["ErrorCode"] for e in r["Errors"]},
                         {p + "missing": "ResourceNotFoundException", p + "deleted": "InvalidRequestException"})
        r = self.sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [p]}], MaxResults=1)
        self.assertEqual(len(r["SecretValues"]), 1)
        r2 = self.sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [p]}], NextToken=r["NextToken"])
        self.assertEqual(sorted(v["Name"] for v in r["SecretValues"] + r2["SecretValues"]), [p + "one", p + "two"])
        self.error(self.sm.batch_get_secret_value, "InvalidParameterException",
                   SecretIdList=[p + "one"], Filters=[{"Key": "name", "Values": [p]}])

    def test_replication(self):
        name = self.prefix + "replicated"
        created = self.sm.create_secret(Name=name, SecretString="everywhere",
                                        AddReplicaRegions=[{"Region": "eu-west-1"}])
        self.assertEqual([(s["Region"], s["Status"]) for s in created["ReplicationStatus"]], [("eu-west-1", "InSync")])
        eu = client(self.url, "eu-west-1")
        got = eu.get_secret_value(SecretId=name)
        self.assertEqual(got["SecretString"], "everywhere")
        self.assertEqual(got["ARN"], created["ARN"].replace("us-east-1", "eu-west-1"))
        self.assertEqual(eu.describe_secret(SecretId=name)["PrimaryRegion"], "us-east-1")
        listed = eu.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"][0]
        self.assertEqual(listed["SecretVersionsToStages"], {created["VersionId"]: ["AWSCURRENT"]})
        self.sm.put_secret_value(SecretId=name, SecretString="changed")
        self.assertEqual(eu.get_secret_value(SecretId=name)["SecretString"], "changed")
        self.error(eu.put_secret_value, "InvalidRequestException",
                   "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
                   SecretId=name, SecretString="no")
        r = self.sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "ap-south-1"}])
        self.assertEqual(sorted(s["Region"] for s in r["ReplicationStatus"]), ["ap-south-1", "eu-west-1"])
        self.assertEqual([s["Name"] for s in eu.list_secrets(Filters=[{"Key": "primary-region",
                                                                        "Values": ["us-east-1"]}])["SecretList"]],
                         [name])
        self.error(self.sm.delete_secret, "InvalidRequestException", SecretId=name)
        r = self.sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["ap-south-1"])
        self.assertEqual([s["Region"] for s in r["ReplicationStatus"]], ["eu-west-1"])
        self.error(client(self.url, "ap-south-1").describe_secret, "ResourceNotFoundException", SecretId=name)
        # promoted: the replica keeps its value and becomes a secret of its own
        eu.stop_replication_to_replica(SecretId=name)
        self.assertNotIn("PrimaryRegion", eu.describe_secret(SecretId=name))
        self.assertNotIn("ReplicationStatus", self.sm.describe_secret(SecretId=name))
        eu.put_secret_value(SecretId=name, SecretString="eu only")
        self.assertEqual(eu.get_secret_value(SecretId=name)["SecretString"], "eu only")
        self.assertEqual(self.sm.get_secret_value(SecretId=name)["SecretString"], "changed")
        # a name taken in the target region fails that region alone
        taken = self.prefix + "taken"
        eu.create_secret(Name=taken, SecretString="local")
        r = self.sm.create_secret(Name=taken, SecretString="x", AddReplicaRegions=[{"Region": "eu-west-1"}])
        self.assertEqual(r["ReplicationStatus"][0]["Status"], "Failed")
        self.assertEqual(eu.get_secret_value(SecretId=taken)["SecretString"], "local")

    def test_resource_policies(self):
        name = self.prefix + "policy"
        self.sm.create_secret(Name=name, SecretString="p")
        self.assertNotIn("ResourcePolicy", self.sm.get_resource_policy(SecretId=name))
        self.sm.put_resource_policy(SecretId=name, ResourcePolicy=POLICY)
        self.assertEqual(self.sm.get_resource_policy(SecretId=name)["ResourcePolicy"], POLICY)
        self.error(self.sm.put_resource_policy, "MalformedPolicyDocumentException",
                   "This resource policy contains a syntax error.", SecretId=name, ResourcePolicy="{not json")
        self.error(self.sm.put_resource_policy, "PublicPolicyException", SecretId=name, ResourcePolicy=PUBLIC,
                   BlockPublicPolicy=True)
        ok = self.sm.validate_resource_policy(ResourcePolicy=POLICY)
        self.assertEqual((ok["PolicyValidationPassed"], ok["ValidationErrors"]), (True, []))
        bad = self.sm.validate_resource_policy(SecretId=name, ResourcePolicy='{"Statement":[{"Effect":"Maybe"}]}')
        self.assertFalse(bad["PolicyValidationPassed"])
        self.assertGreaterEqual(len(bad["ValidationErrors"]), 3)
        self.assertTrue(all(e["CheckName"] and e["ErrorMessage"] for e in bad["ValidationErrors"]))
        self.sm.delete_resource_policy(SecretId=name)
        self.assertNotIn("ResourcePolicy", self.sm.get_resource_policy(SecretId=name))

    def test_rotation_without_lambda(self):
        name = self.prefix + "rotated"
        self.sm.create_secret(Name=name, SecretString="old")
        self.error(self.sm.rotate_secret, "InvalidRequestException", SecretId=name)
        fn = "arn:aws:lambda:us-east-1:000000000000:function:rotator"
        self.error(self.sm.rotate_secret, "AccessDeniedException",
                   "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
                   "grants access to the principal secretsmanager.amazonaws.com.",
                   SecretId=name, RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 30})
        d = self.sm.describe_secret(SecretId=name)
        self.assertFalse(d["RotationEnabled"])
        self.assertNotIn("RotationLambdaARN", d)
        # a rotation under way (its AWSPENDING version) is named by CancelRotateSecret
        pending = self.sm.put_secret_value(SecretId=name, SecretString="new", VersionStages=["AWSPENDING"])
        r = self.sm.cancel_rotate_secret(SecretId=name)
        self.assertEqual(r["VersionId"], pending["VersionId"])
        self.assertFalse(self.sm.describe_secret(SecretId=name)["RotationEnabled"])

    def test_random_password_options(self):
        pw = self.sm.get_random_password()["RandomPassword"]
        self.assertEqual(len(pw), 32)
        for cls in (string.ascii_lowercase, string.ascii_uppercase, string.digits, PUNCT):
            self.assertTrue(any(c in cls for c in pw), (pw, cls))
        self.assertNotIn(" ", pw)
        pw = self.sm.get_random_password(PasswordLength=4096, ExcludePunctuation=True, ExcludeNumbers=True,
                                         ExcludeCharacters="aeiouAEIOU")["RandomPassword"]
        self.assertEqual(len(pw), 4096)
        self.assertTrue(set(pw) <= set(string.ascii_letters) - set("aeiouAEIOU"))
        self.assertEqual(len(set(pw)), 42)  # every allowed letter shows up in 4096 draws
        pw = self.sm.get_random_password(PasswordLength=3, ExcludeUppercase=True, ExcludeLowercase=True,
                                         ExcludePunctuation=True, IncludeSpace=True)["RandomPassword"]
        self.assertTrue(set(pw) <= set(string.digits + " ") and " " in pw and set(pw) & set(string.digits), pw)
        pw = self.sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)["RandomPassword"]
        self.assertEqual(len(pw), 1)
        self.error(self.sm.get_random_password, "InvalidParameterException", PasswordLength=2)
        self.error(self.sm.get_random_password, "InvalidParameterException", ExcludeUppercase=True,
                   ExcludeLowercase=True, ExcludeNumbers=True, ExcludePunctuation=True)
        self.error(self.sm.get_random_password, "ValidationException", PasswordLength=4097)
        many = {self.sm.get_random_password(PasswordLength=16)["RandomPassword"] for _ in range(20)}
        self.assertEqual(len(many), 20)

    def test_newer_boto3(self):
        if os.environ.get("NB_SM_URL"):
            self.skipTest("already the newer client")
        with Nimbus() as n:
            rerun_with_newer_boto3(self, __file__, "Features", env=server_env(NB_SM_URL=n.url))


if __name__ == "__main__":
    unittest.main(verbosity=2)
