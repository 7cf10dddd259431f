"""ENFORCE_IAM=1 for KMS, Secrets Manager and SSM: an IAM user's keys may make the calls its policy
allows and are denied the others with AccessDeniedException (400), "User: ARN is not authorized to
perform: ACTION on resource: ARN because no identity-based policy allows the ACTION action".

KMS authorizes on the key's ARN whatever names it (an alias, a ciphertext); the key policy is
required: the default one (the account's root) leaves the choice to identity policies, a policy
naming neither the account nor the user denies, and a key policy naming another account's user
admits its kms:Encrypt. Secrets Manager authorizes on the secret's full ARN (by name or ARN); a
secret's resource policy admits another account's GetSecretValue; BatchGetSecretValue lists the
secrets it may not read in its Errors. SSM authorizes on the parameter's ARN, a path's for
GetParametersByPath, and each of GetParameters' names."""
import json, os, sys, unittest, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import EnforcingServer, allow, client, doc, user  # noqa: E402

ACCOUNT = "000000000000"
OTHER = "111111111111"  # the second account: its 12-digit key is its root
REGION = "us-east-1"

_shared = EnforcingServer("NB_KMS_SM_SSM_URL")


def tearDownModule():
    _shared.stop()


def denied(test, call, **kw):
    """The message of the AccessDeniedException (400) the call answers."""
    with test.assertRaises(ClientError) as cm:
        call(**kw)
    err = cm.exception.response
    test.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]),
                     ("AccessDeniedException", 400), err)
    return err["Error"]["Message"]


def reason(principal, action, resource, policy="identity-based policy"):
    return (f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
            f"because no {policy} allows the {action} action")


def me(name, account=ACCOUNT):
    return f"arn:aws:iam::{account}:user/{name}"


class KMS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        url = _shared.url()
        root = client(url, "kms")
        cls.key = root.create_key()["KeyMetadata"]["Arn"]
        cls.other_key = root.create_key()["KeyMetadata"]["Arn"]
        root.create_alias(AliasName="alias/az-key", TargetKeyId=cls.key)
        # a key policy naming neither the account nor a user of it: identity policies grant nothing
        cls.closed_key = root.create_key(BypassPolicyLockoutSafetyCheck=True, Policy=doc(
            {"Effect": "Allow", "Principal": {"AWS": me("nobody")}, "Action": "kms:*", "Resource": "*"}),
        )["KeyMetadata"]["Arn"]
        cls.shared_key = root.create_key(Policy=doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": me("kms-out", OTHER)}, "Action": "kms:Encrypt",
             "Resource": "*"}))["KeyMetadata"]["Arn"]
        cls.kms = client(url, "kms", *user(url, "kms-user", doc(
            allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], cls.key), allow("kms:ListKeys"))))
        cls.wide = client(url, "kms", *user(url, "kms-wide", doc(allow("kms:Encrypt"))))
        cls.outsider = client(url, "kms", *user(url, "kms-out", doc(allow("kms:Encrypt")), root=OTHER))

    def test_allowed_by_alias_and_ciphertext(self):
        blob = self.kms.encrypt(KeyId="alias/az-key", Plaintext=b"hi")["CiphertextBlob"]
        out = self.kms.decrypt(CiphertextBlob=blob)  # no KeyId: the ciphertext's key is authorized
        self.assertEqual((out["Plaintext"], out["KeyId"]), (b"hi", self.key))
        self.assertEqual(self.kms.describe_key(KeyId=self.key)["KeyMetadata"]["Arn"], self.key)

    def test_list_keys_on_any_resource(self):
        self.assertIn(self.key, [k["KeyArn"] for k in self.kms.list_keys()["Keys"]])

    def test_denied_on_another_key(self):
        msg = denied(self, self.kms.encrypt, KeyId=self.other_key, Plaintext=b"hi")
        self.assertEqual(msg, reason(me("kms-user"), "kms:Encrypt", self.other_key))

    def test_denied_action_names_key_of_alias(self):
        msg = denied(self, self.kms.generate_data_key, KeyId="alias/az-key", KeySpec="AES_256")
        self.assertEqual(msg, reason(me("kms-user"), "kms:GenerateDataKey", self.key))

    def test_denied_create_key(self):
        denied(self, self.kms.create_key)

    def test_key_policy_is_required(self):
        self.assertIn("CiphertextBlob", self.wide.encrypt(KeyId=self.key, Plaintext=b"hi"))
        msg = denied(self, self.wide.encrypt, KeyId=self.closed_key, Plaintext=b"hi")
        self.assertTrue(msg.startswith(f"User: {me('kms-wide')} is not authorized to perform: kms:Encrypt on "
                                       f"resource: {self.closed_key}"), msg)

    def test_key_policy_admits_other_account(self):
        self.assertIn("CiphertextBlob", self.outsider.encrypt(KeyId=self.shared_key, Plaintext=b"hi"))
        msg = denied(self, self.outsider.encrypt, KeyId=self.key, Plaintext=b"hi")
        self.assertTrue(msg.startswith(f"User: {me('kms-out', OTHER)} is not authorized to perform: kms:Encrypt "
                                       f"on resource: {self.key}"), msg)


def signed_post(url, target, body, key, secret, service):
    """An awsJson call signed with key: (status, answer) - for an operation boto3 1.29 lacks."""
    data = json.dumps(body).encode()
    req = AWSRequest(method="POST", url=url + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(req)
    r = urllib.request.Request(url + "/", data=data, method="POST", headers=dict(req.headers.items()))
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class SecretsManager(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = url = _shared.url()
        root = client(url, "secretsmanager")
        cls.secret = root.create_secret(Name="az-sec", SecretString="s1")["ARN"]
        cls.other = root.create_secret(Name="az-other", SecretString="s2")["ARN"]
        cls.shared = root.create_secret(Name="az-shared", SecretString="s3")["ARN"]
        root.put_resource_policy(SecretId="az-shared", ResourcePolicy=doc(
            {"Effect": "Allow", "Principal": {"AWS": me("sm-out", OTHER)}, "Action": "secretsmanager:GetSecretValue",
             "Resource": "*"}))
        cls.keys = user(url, "sm-user", doc(allow("secretsmanager:GetSecretValue",
                                                  f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:az-sec-*"),
                                            allow("secretsmanager:BatchGetSecretValue")))
        cls.sm = client(url, "secretsmanager", *cls.keys)
        cls.outsider = client(url, "secretsmanager", *user(url, "sm-out", doc(allow("secretsmanager:GetSecretValue")),
                                                           root=OTHER))

    def test_allowed_by_name_and_arn(self):
        self.assertEqual(self.sm.get_secret_value(SecretId="az-sec")["SecretString"], "s1")
        self.assertEqual(self.sm.get_secret_value(SecretId=self.secret)["SecretString"], "s1")

    def test_denied_on_another_secret_names_its_arn(self):
        msg = denied(self, self.sm.get_secret_value, SecretId="az-other")
        self.assertEqual(msg, reason(me("sm-user"), "secretsmanager:GetSecretValue", self.other))

    def test_denied_action(self):
        msg = denied(self, self.sm.describe_secret, SecretId="az-sec")
        self.assertEqual(msg, reason(me("sm-user"), "secretsmanager:DescribeSecret", self.secret))

    def test_batch_lists_denied_secrets_in_errors(self):
        status, out = signed_post(self.url, "secretsmanager.BatchGetSecretValue",
                                  {"SecretIdList": ["az-sec", "az-other"]}, *self.keys, "secretsmanager")
        self.assertEqual(status, 200, out)
        self.assertEqual([v["Name"] for v in out["SecretValues"]], ["az-sec"])
        self.assertEqual([(e["SecretId"], e["ErrorCode"]) for e in out["Errors"]],
                         [("az-other", "AccessDeniedException")])

    def test_resource_policy_admits_other_account(self):
        self.assertEqual(self.outsider.get_secret_value(SecretId=self.shared)["SecretString"], "s3")
        msg = denied(self, self.outsider.get_secret_value, SecretId=self.secret)
        self.assertEqual(msg, reason(me("sm-out", OTHER), "secretsmanager:GetSecretValue", self.secret,
                                     "resource-based policy"))


def param(name):
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"


class SSM(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        url = _shared.url()
        root = client(url, "ssm")
        for name in ("/az/app/db", "/az/app/key", "/az/other"):
            root.put_parameter(Name=name, Value="v" + name, Type="String")
        cls.ssm = client(url, "ssm", *user(url, "ssm-user", doc(
            allow(["ssm:GetParameter", "ssm:GetParameters"], param("/az/app/*")),
            allow("ssm:GetParametersByPath", param("/az/app")), allow("ssm:DescribeParameters"))))

    def test_allowed_get_with_and_without_selector(self):
        self.assertEqual(self.ssm.get_parameter(Name="/az/app/db")["Parameter"]["Value"], "v/az/app/db")
        self.assertEqual(self.ssm.get_parameter(Name="/az/app/db:1")["Parameter"]["Value"], "v/az/app/db")
        self.assertIn("/az/other", [p["Name"] for p in self.ssm.describe_parameters()["Parameters"]])

    def test_denied_on_another_parameter(self):
        msg = denied(self, self.ssm.get_parameter, Name="/az/other")
        self.assertEqual(msg, reason(me("ssm-user"), "ssm:GetParameter", param("/az/other")))

    def test_denied_put(self):
        msg = denied(self, self.ssm.put_parameter, Name="/az/app/new", Value="x", Type="String")
        self.assertEqual(msg, reason(me("ssm-user"), "ssm:PutParameter", param("/az/app/new")))

    def test_path_is_the_resource(self):
        names = [p["Name"] for p in self.ssm.get_parameters_by_path(Path="/az/app")["Parameters"]]
        self.assertEqual(sorted(names), ["/az/app/db", "/az/app/key"])
        msg = denied(self, self.ssm.get_parameters_by_path, Path="/az")
        self.assertEqual(msg, reason(me("ssm-user"), "ssm:GetParametersByPath", param("/az")))

    def test_get_parameters_denied_when_one_name_is(self):
        out = self.ssm.get_parameters(Names=["/az/app/db", "/az/app/key"])
        self.assertEqual(len(out["Parameters"]), 2)
        msg = denied(self, self.ssm.get_parameters, Names=["/az/app/db", "/az/other"])
        self.assertEqual(msg, reason(me("ssm-user"), "ssm:GetParameters", param("/az/other")))


if __name__ == "__main__":
    unittest.main()
