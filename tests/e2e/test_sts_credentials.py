"""STS issues credentials that later requests are attributed to (issue 13, items 2 and 3): a role
assumed in account 111111111111 creates S3 buckets and SQS queues there and is its assumed-role
identity; federation tokens, session tokens, GetAccessKeyInfo, DecodeAuthorizationMessage, the
SAML and web-identity flavours, STS's validation errors; 12-digit keys and the configurable
default account. Run with Debian's boto3 1.29, again with the newer boto3, and with both AWS CLIs."""
import base64
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, ServerTestCase, aws_clis, rerun_with_newer_boto3, run_aws  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

ROLE = "arn:aws:iam::111111111111:role/ops/Deployer"
CHILD = os.environ.get("NB_STS_URL")


def client(url, service, key="test", secret="test", token=None):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}))


def as_session(url, service, creds):
    return client(url, service, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def saml_assertion(pairs, session="alice"):
    values = "".join("<saml2:AttributeValue>%s</saml2:AttributeValue>" % p for p in pairs)
    xml = ('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml2:Assertion '
           'xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"><saml2:Issuer>https://idp.example.com</saml2:Issuer>'
           '<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice@example.com'
           '</saml2:NameID></saml2:Subject><saml2:Conditions><saml2:AudienceRestriction><saml2:Audience>'
           'https://signin.aws.amazon.com/saml</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>'
           '<saml2:AttributeStatement><saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">%s'
           '</saml2:Attribute><saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
           '<saml2:AttributeValue>%s</saml2:AttributeValue></saml2:Attribute></saml2:AttributeStatement>'
           '</saml2:Assertion></samlp:Response>') % (values, session)
    return base64.b64encode(xml.encode()).decode()


class StsCases(unittest.TestCase):
    """The cases both boto3 generations run (the newer one in a child, NB_STS_URL its server)."""

    @classmethod
    def setUpClass(cls):
        cls.n = None
        if CHILD:
            cls.url = CHILD
        else:
            cls.n = Nimbus().start()
            cls.url = cls.n.url
        cls.sts = client(cls.url, "sts")

    @classmethod
    def tearDownClass(cls):
        if cls.n:
            cls.n.stop()

    def assume(self, session="build-42", **kw):
        return self.sts.assume_role(RoleArn=ROLE, RoleSessionName=session, **kw)

    def test_assumed_role_acts_in_the_roles_account(self):
        r = self.assume()
        creds = r["Credentials"]
        self.assertTrue(creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"])
        self.assertEqual(len(creds["AccessKeyId"]), 20)
        self.assertGreater(len(creds["SessionToken"]), 100)
        self.assertEqual(r["AssumedRoleUser"]["Arn"], "arn:aws:sts::111111111111:assumed-role/Deployer/build-42")
        self.assertRegex(r["AssumedRoleUser"]["AssumedRoleId"], r"^AROA[A-Z0-9]{17}:build-42$")

        me = as_session(self.url, "sts", creds).get_caller_identity()
        self.assertEqual(me["Account"], "111111111111")
        self.assertEqual(me["Arn"], "arn:aws:sts::111111111111:assumed-role/Deployer/build-42")
        self.assertEqual(me["UserId"], r["AssumedRoleUser"]["AssumedRoleId"])

        bucket = "sts-role-bucket-%s" % creds["AccessKeyId"][-6:].lower()
        s3 = as_session(self.url, "s3", creds)
        s3.create_bucket(Bucket=bucket)
        self.assertIn(bucket, [b["Name"] for b in s3.list_buckets()["Buckets"]])
        self.assertNotIn(bucket, [b["Name"] for b in client(self.url, "s3").list_buckets()["Buckets"]])

        sqs = as_session(self.url, "sqs", creds)
        url = sqs.create_queue(QueueName="sts-role-queue")["QueueUrl"]
        self.assertIn("/111111111111/sts-role-queue", url)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.assertEqual(arn, "arn:aws:sqs:us-east-1:111111111111:sts-role-queue")
        self.assertNotIn(url, client(self.url, "sqs").list_queues().get("QueueUrls", []))

    def test_same_role_keeps_its_role_id_and_each_session_its_key(self):
        a, b = self.assume("one"), self.assume("two")
        self.assertNotEqual(a["Credentials"]["AccessKeyId"], b["Credentials"]["AccessKeyId"])
        self.assertEqual(a["AssumedRoleUser"]["AssumedRoleId"].split(":")[0],
                         b["AssumedRoleUser"]["AssumedRoleId"].split(":")[0])

    def test_expiration_follows_duration(self):
        r = self.assume(DurationSeconds=900)
        import datetime
        left = (r["Credentials"]["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        self.assertTrue(850 < left <= 901, left)

    def test_policy_tags_and_source_identity(self):
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                     "Resource": "*"}]})
        r = self.assume(Policy=policy, Tags=[{"Key": "team", "Value": "infra"}], SourceIdentity="alice")
        self.assertEqual(r["SourceIdentity"], "alice")
        self.assertGreater(r["PackedPolicySize"], 0)
        self.assertLessEqual(r["PackedPolicySize"], 100)

    def assert_error(self, code, message, call, *args, **kw):
        with self.assertRaises(ClientError) as cm:
            call(*args, **kw)
        self.assertEqual(cm.exception.response["Error"]["Code"], code)
        if message is not None:
            self.assertEqual(cm.exception.response["Error"]["Message"], message)
        return cm.exception.response

    def test_validation_errors(self):
        self.assert_error("ValidationError",
                          "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy "
                          "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
                          self.assume, "bad name")
        self.assert_error("ValidationError", "Request ARN is invalid", self.sts.assume_role,
                          RoleArn="not-an-arn-but-long-enough", RoleSessionName="s1")
        self.assert_error("MalformedPolicyDocument", None, self.assume, Policy="{not json")
        self.assert_error("PackedPolicyTooLarge", None, self.assume,
                          Policy=json.dumps({"Statement": [{"Sid": "x" * 3000}]}))
        self.assert_error("ValidationError", None, self.assume,
                          Tags=[{"Key": "Team", "Value": "a"}, {"Key": "team", "Value": "b"}])

    def test_duration_range_checked_by_the_server(self):
        # botocore checks the range too: skip its check to see the server's answer
        sts = boto3.client("sts", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
                           aws_secret_access_key="test", config=Config(parameter_validation=False))
        r = self.assert_error("ValidationError", None, sts.assume_role, RoleArn=ROLE, RoleSessionName="s1",
                              DurationSeconds=43201)
        self.assertEqual(r["Error"]["Message"], "1 validation error detected: Value '43201' at 'durationSeconds' "
                         "failed to satisfy constraint: Member must have value less than or equal to 43200")

    def test_role_chaining(self):
        chained = as_session(self.url, "sts", self.assume()["Credentials"])
        r = chained.assume_role(RoleArn="arn:aws:iam::666666666666:role/Next", RoleSessionName="hop")
        self.assertEqual(as_session(self.url, "sts", r["Credentials"]).get_caller_identity()["Arn"],
                         "arn:aws:sts::666666666666:assumed-role/Next/hop")
        self.assert_error("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for "
                          "roles assumed by role chaining.", chained.assume_role,
                          RoleArn="arn:aws:iam::666666666666:role/Next", RoleSessionName="hop", DurationSeconds=7200)
        self.assertIn("Credentials", self.assume(DurationSeconds=7200))

    def test_federation_token_identity(self):
        r = self.sts.get_federation_token(Name="bob", DurationSeconds=3600)
        self.assertEqual(r["FederatedUser"]["Arn"], "arn:aws:sts::000000000000:federated-user/bob")
        self.assertEqual(r["FederatedUser"]["FederatedUserId"], "000000000000:bob")
        me = as_session(self.url, "sts", r["Credentials"]).get_caller_identity()
        self.assertEqual((me["Account"], me["Arn"], me["UserId"]),
                         ("000000000000", "arn:aws:sts::000000000000:federated-user/bob", "000000000000:bob"))
        self.assert_error("AccessDenied", "Cannot call GetFederationToken with session credentials",
                          as_session(self.url, "sts", r["Credentials"]).get_federation_token, Name="eve")

    def test_session_token_keeps_the_callers_identity(self):
        creds = client(self.url, "sts", key="222222222222").get_session_token()["Credentials"]
        me = as_session(self.url, "sts", creds).get_caller_identity()
        self.assertEqual((me["Account"], me["Arn"]), ("222222222222", "arn:aws:iam::222222222222:root"))
        self.assert_error("AccessDenied", "Cannot call GetSessionToken with session credentials",
                          as_session(self.url, "sts", self.assume()["Credentials"]).get_session_token)

    def test_access_key_info(self):
        creds = self.assume()["Credentials"]
        self.assertEqual(self.sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"], "111111111111")
        # AWS's documented example key id decodes to its account without any state
        self.assertEqual(self.sts.get_access_key_info(AccessKeyId="ASIAY34FZKBOKMUTVV7A")["Account"], "609629065308")

    def test_decode_authorization_message(self):
        doc = {"allowed": False, "explicitDeny": False, "matchedStatements": {"items": []}}
        encoded = "nbauthz1." + base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")
        got = self.sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"]
        self.assertEqual(json.loads(got), doc)
        self.assert_error("InvalidAuthorizationMessageException", None, self.sts.decode_authorization_message,
                          EncodedMessage="rHU-pVHMSckD0OAc5l3r9")

    def test_web_identity(self):
        claims = {"sub": "user-7", "aud": "my-app", "iss": "https://token.example.com"}
        token = "e30.%s.sig" % base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        r = self.sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::333333333333:role/Web",
                                                   RoleSessionName="web", WebIdentityToken=token)
        self.assertEqual((r["SubjectFromWebIdentityToken"], r["Audience"], r["Provider"]),
                         ("user-7", "my-app", "https://token.example.com"))
        self.assertEqual(r["AssumedRoleUser"]["Arn"], "arn:aws:sts::333333333333:assumed-role/Web/web")
        me = as_session(self.url, "sts", r["Credentials"]).get_caller_identity()
        self.assertEqual(me["Account"], "333333333333")

    def test_saml(self):
        role, provider = "arn:aws:iam::444444444444:role/Saml", "arn:aws:iam::444444444444:saml-provider/Okta"
        r = self.sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider,
                                           SAMLAssertion=saml_assertion(["%s,%s" % (role, provider)]))
        self.assertEqual(r["AssumedRoleUser"]["Arn"], "arn:aws:sts::444444444444:assumed-role/Saml/alice")
        self.assertEqual((r["Subject"], r["SubjectType"], r["Issuer"], r["Audience"]),
                         ("alice@example.com", "persistent", "https://idp.example.com",
                          "https://signin.aws.amazon.com/saml"))
        me = as_session(self.url, "sts", r["Credentials"]).get_caller_identity()
        self.assertEqual(me["Arn"], "arn:aws:sts::444444444444:assumed-role/Saml/alice")
        # a role the assertion does not grant
        self.assert_error("AccessDenied", None, self.sts.assume_role_with_saml,
                          RoleArn="arn:aws:iam::444444444444:role/Other", PrincipalArn=provider,
                          SAMLAssertion=saml_assertion(["%s,%s" % (role, provider)]))
        self.assert_error("ValidationError", "Principal ARN is invalid", self.sts.assume_role_with_saml,
                          RoleArn=role, PrincipalArn="arn:aws:iam::444444444444:role/NotAProvider",
                          SAMLAssertion=saml_assertion(["%s,%s" % (role, provider)]))

    def test_twelve_digit_key_selects_its_account(self):
        me = client(self.url, "sts", key="555555555555").get_caller_identity()
        self.assertEqual((me["Account"], me["Arn"]), ("555555555555", "arn:aws:iam::555555555555:root"))
        me = self.sts.get_caller_identity()
        self.assertEqual((me["Account"], me["UserId"]), ("000000000000", "AKIAIOSFODNN7EXAMPLE"))


@unittest.skipIf(CHILD, "runs once, in the parent")
class DefaultAccount(unittest.TestCase):
    def test_moto_account_id_sets_the_default(self):
        with Nimbus(MOTO_ACCOUNT_ID="123456789012") as n:
            sts = client(n.url, "sts")
            self.assertEqual(sts.get_caller_identity()["Account"], "123456789012")
            creds = sts.get_session_token()["Credentials"]
            self.assertEqual(as_session(n.url, "sts", creds).get_caller_identity()["Account"], "123456789012")
            self.assertEqual(client(n.url, "sts", key="111111111111").get_caller_identity()["Account"],
                             "111111111111")


@unittest.skipIf(CHILD, "runs once, in the parent")
class Cli(ServerTestCase):
    def test_clis_assume_a_role_and_use_it(self):
        for cli in aws_clis():
            r = run_aws(cli, self.n.url, "sts", "assume-role", "--role-arn", ROLE, "--role-session-name", "cli")
            self.assertEqual(r.returncode, 0, cli + r.stderr)
            creds = json.loads(r.stdout)["Credentials"]
            env_key = creds["AccessKeyId"]
            import subprocess
            from nimbus_server import aws_env
            env = aws_env(env_key)
            env.update(AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"], AWS_SESSION_TOKEN=creds["SessionToken"])
            me = subprocess.run([cli, "--endpoint-url", self.n.url, "--output", "json", "sts", "get-caller-identity"],
                                env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(me.returncode, 0, cli + me.stderr)
            self.assertEqual(json.loads(me.stdout)["Arn"], "arn:aws:sts::111111111111:assumed-role/Deployer/cli")
            info = run_aws(cli, self.n.url, "sts", "get-access-key-info", "--access-key-id", env_key)
            self.assertEqual(json.loads(info.stdout)["Account"], "111111111111", cli + info.stderr)
            bad = run_aws(cli, self.n.url, "sts", "decode-authorization-message", "--encoded-message", "nope")
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("InvalidAuthorizationMessageException", bad.stderr, cli)


@unittest.skipIf(CHILD, "runs once, in the parent")
class NewerBoto3(ServerTestCase):
    def test_every_case_with_the_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "StsCases", env=dict(os.environ, NB_STS_URL=self.n.url))


if __name__ == "__main__":
    unittest.main(verbosity=2)
