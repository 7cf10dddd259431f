"""End-to-end IAM with the other clients: the AWS CLIs (Debian's v2, pyenv's v1) and the AWS SDK
for JavaScript v3 (@aws-sdk/client-iam), and IAM's state across a kill -9 with PERSISTENCE=1."""
import json, os, shutil, signal, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nimbus_server import Nimbus, ServerTestCase, aws_clis, boto3_client, run_aws  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


class Clients(ServerTestCase):
    def test_aws_cli(self):
        clis = aws_clis()
        self.assertTrue(clis)
        for i, cli in enumerate(clis):
            run = lambda *a: run_aws(cli, self.n.url, "iam", *a)  # noqa: E731
            role = "cli-role-%d" % i
            r = run("create-role", "--role-name", role, "--assume-role-policy-document", TRUST)
            self.assertEqual(r.returncode, 0, f"{cli}: {r.stderr}")
            created = json.loads(r.stdout)["Role"]
            self.assertEqual(created["AssumeRolePolicyDocument"], json.loads(TRUST), cli)
            r = run("create-policy", "--policy-name", "cli-policy-%d" % i, "--policy-document", POLICY)
            self.assertEqual(r.returncode, 0, r.stderr)
            arn = json.loads(r.stdout)["Policy"]["Arn"]
            self.assertEqual(run("attach-role-policy", "--role-name", role, "--policy-arn", arn).returncode, 0)
            r = run("list-attached-role-policies", "--role-name", role)
            self.assertEqual(json.loads(r.stdout)["AttachedPolicies"], [{"PolicyName": "cli-policy-%d" % i,
                                                                          "PolicyArn": arn}])
            r = run("get-policy-version", "--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess",
                    "--version-id", "v1")
            self.assertEqual(json.loads(r.stdout)["PolicyVersion"]["Document"]["Statement"][0]["Action"], "*")
            r = run("delete-role", "--role-name", role)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("DeleteConflict", r.stderr, cli)
            self.assertIn("Cannot delete entity, must detach all policies first.", r.stderr, cli)
            r = run("get-role", "--role-name", "missing-%d" % i)
            self.assertIn("NoSuchEntity", r.stderr, cli)
            self.assertIn("The role with name missing-%d cannot be found." % i, r.stderr, cli)
            r = run("create-policy", "--policy-name", "bad-%d" % i, "--policy-document", "{")
            self.assertIn("MalformedPolicyDocument", r.stderr, cli)
            # the CLI pages through list-policies by itself (Marker / IsTruncated)
            r = run("list-policies", "--scope", "AWS", "--page-size", "400", "--query", "length(Policies)")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertGreater(json.loads(r.stdout), 1000)
            run("detach-role-policy", "--role-name", role, "--policy-arn", arn)
            self.assertEqual(run("delete-role", "--role-name", role).returncode, 0)
            self.assertEqual(run("delete-policy", "--policy-arn", arn).returncode, 0)

    def test_javascript_sdk(self):
        r = run_node_script(os.path.join(HERE, "js-iam"), "test_iam.mjs", self.n.url, "sdk")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)


class Persistence(unittest.TestCase):
    def test_kill_9_keeps_iam_state(self):
        data = tempfile.mkdtemp(prefix="nimbus-iam-")
        self.addCleanup(shutil.rmtree, data, True)
        n = Nimbus(PERSISTENCE="1", DATA_DIR=data).start()
        self.addCleanup(lambda: n.stop())
        iam = boto3_client(n.url, "iam")
        role = iam.create_role(RoleName="durable", AssumeRolePolicyDocument=TRUST)["Role"]
        arn = iam.create_policy(PolicyName="durable", PolicyDocument=POLICY)["Policy"]["Arn"]
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY, SetAsDefault=True)
        iam.attach_role_policy(RoleName="durable", PolicyArn=arn)
        iam.put_role_policy(RoleName="durable", PolicyName="inline", PolicyDocument=POLICY)
        iam.create_user(UserName="durable")
        key = iam.create_access_key(UserName="durable")["AccessKey"]["AccessKeyId"]
        iam.create_account_alias(AccountAlias="durable-alias")
        n.stop(sig=signal.SIGKILL)
        n = Nimbus(PERSISTENCE="1", DATA_DIR=data).start()
        iam = boto3_client(n.url, "iam")
        got = iam.get_role(RoleName="durable")["Role"]
        self.assertEqual((got["RoleId"], got["CreateDate"]), (role["RoleId"], role["CreateDate"]))
        self.assertEqual(iam.list_attached_role_policies(RoleName="durable")["AttachedPolicies"][0]["PolicyArn"], arn)
        self.assertEqual(iam.list_role_policies(RoleName="durable")["PolicyNames"], ["inline"])
        self.assertEqual(iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v2")
        self.assertEqual([k["AccessKeyId"] for k in iam.list_access_keys(UserName="durable")["AccessKeyMetadata"]],
                         [key])
        self.assertEqual(iam.list_account_aliases()["AccountAliases"], ["durable-alias"])


if __name__ == "__main__":
    unittest.main()
