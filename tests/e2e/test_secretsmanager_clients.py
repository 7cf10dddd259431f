"""Secrets Manager with the other clients (issue 14, item 6): the AWS CLIs (Debian's v2, pyenv's
v1) and the AWS SDK for JavaScript v3 (@aws-sdk/client-secrets-manager,
tests/e2e/js-secretsmanager/test_secretsmanager.mjs), and values under a customer managed KMS key
(envelope encryption through the KMS plugin): a disabled or pending-deletion key makes reads and
writes fail as AWS answers, and the values come back once the key is usable again."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nimbus_server import Nimbus, aws_clis, boto3_client, run_aws, temp_dir  # noqa: E402
from npm_ci import run_node_script  # noqa: E402
from sm_e2e import error_of  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Clients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="secretsmanager,kms").start()

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def test_aws_cli(self):
        clis = aws_clis()
        self.assertTrue(clis)
        for i, cli in enumerate(clis):
            run = lambda *a: run_aws(cli, self.n.url, "secretsmanager", *a)  # noqa: E731
            r = run("create-secret", "--name", f"cli-{i}", "--secret-string", "from the cli")
            self.assertEqual(r.returncode, 0, f"{cli}: {r.stderr}")
            arn = json.loads(r.stdout)["ARN"]
            self.assertRegex(arn, r":secret:cli-%d-[A-Za-z0-9]{6}$" % i)
            r = run("get-secret-value", "--secret-id", arn)
            self.assertEqual(json.loads(r.stdout)["SecretString"], "from the cli", r.stderr)
            r = run("put-secret-value", "--secret-id", f"cli-{i}", "--secret-string", "second")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("list-secret-version-ids", "--secret-id", f"cli-{i}")
            stages = sorted(v["VersionStages"][0] for v in json.loads(r.stdout)["Versions"])
            self.assertEqual(stages, ["AWSCURRENT", "AWSPREVIOUS"])
            r = run("get-random-password", "--password-length", "12", "--exclude-punctuation")
            self.assertRegex(json.loads(r.stdout)["RandomPassword"], r"^[A-Za-z0-9]{12}$")
            r = run("describe-secret", "--secret-id", f"cli-{i}-missing")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("ResourceNotFoundException", r.stderr, cli)
            self.assertIn("Secrets Manager can't find the specified secret.", r.stderr, cli)
            r = run("delete-secret", "--secret-id", f"cli-{i}", "--recovery-window-in-days", "3")
            self.assertIn("InvalidParameterException", r.stderr, cli)

    def test_javascript_sdk(self):
        r = run_node_script(os.path.join(HERE, "js-secretsmanager"), "test_secretsmanager.mjs", self.n.url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)

    def test_customer_managed_key(self):
        sm, kms = boto3_client(self.n.url, "secretsmanager"), boto3_client(self.n.url, "kms")
        key = kms.create_key()["KeyMetadata"]
        kms.create_alias(AliasName="alias/secrets", TargetKeyId=key["KeyId"])
        sm.create_secret(Name="under-cmk", SecretString="sealed", KmsKeyId="alias/secrets")
        self.assertEqual(sm.describe_secret(SecretId="under-cmk")["KmsKeyId"], "alias/secrets")
        self.assertEqual(sm.get_secret_value(SecretId="under-cmk")["SecretString"], "sealed")
        versions = sm.list_secret_version_ids(SecretId="under-cmk")["Versions"]
        self.assertEqual(versions[0]["KmsKeyIds"], [key["Arn"]])
        kms.disable_key(KeyId=key["KeyId"])
        self.assertEqual(error_of(sm.get_secret_value, SecretId="under-cmk"),
                         ("InvalidRequestException", "%s is disabled." % key["Arn"]))
        self.assertEqual(error_of(sm.put_secret_value, SecretId="under-cmk", SecretString="more"),
                         ("InvalidRequestException", "alias/secrets is disabled."))
        kms.enable_key(KeyId=key["KeyId"])
        sm.put_secret_value(SecretId="under-cmk", SecretBinary=b"\x00sealed")
        self.assertEqual(sm.get_secret_value(SecretId="under-cmk")["SecretBinary"], b"\x00sealed")
        self.assertEqual(sm.get_secret_value(SecretId="under-cmk", VersionStage="AWSPREVIOUS")["SecretString"],
                         "sealed")
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
        self.assertEqual(error_of(sm.get_secret_value, SecretId="under-cmk"),
                         ("InvalidRequestException", "%s is pending deletion." % key["Arn"]))
        kms.cancel_key_deletion(KeyId=key["KeyId"])
        kms.enable_key(KeyId=key["KeyId"])
        self.assertEqual(sm.get_secret_value(SecretId="under-cmk")["SecretBinary"], b"\x00sealed")
        # a key that does not exist
        self.assertEqual(error_of(sm.create_secret, Name="no-key", SecretString="x",
                                  KmsKeyId="alias/does-not-exist")[0], "ResourceNotFoundException")
        # the AWS managed key needs no KMS call and is not answered
        sm.create_secret(Name="default-key", SecretString="plain")
        self.assertNotIn("KmsKeyId", sm.describe_secret(SecretId="default-key"))

    def test_customer_key_survives_restart(self):
        data = temp_dir(self)
        with Nimbus(SERVICES="secretsmanager,kms", PERSISTENCE="1", DATA_DIR=data) as n:
            kms = boto3_client(n.url, "kms")
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            boto3_client(n.url, "secretsmanager").create_secret(Name="kept", SecretString="v", KmsKeyId=key)
        with Nimbus(SERVICES="secretsmanager,kms", PERSISTENCE="1", DATA_DIR=data) as n:
            self.assertEqual(boto3_client(n.url, "secretsmanager").get_secret_value(SecretId="kept")["SecretString"],
                             "v")


if __name__ == "__main__":
    unittest.main(verbosity=2)
