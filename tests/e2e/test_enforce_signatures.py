"""ENFORCE_IAM=1 verifies the SigV4 signatures of keys IAM and STS issued: an IAM user's key and an
AssumeRole session work for S3 (bodies signed, UNSIGNED-PAYLOAD, boto3 1.43's aws-chunked upload
with a CRC32 trailer), SQS (query with boto3 1.29, json with 1.43) and STS; the same key with a
wrong secret gets SignatureDoesNotMatch as each client reports it; a wrong session token, a key of
AWS's form nobody issued, a request 20 minutes old and an expired session are refused in each
service's words, and the expired session's entry is gone from the store; the root account's keys
stay unchecked; without ENFORCE_IAM a wrong secret works.
The cases run again under boto3 1.43 (NewerBoto3), the AWS CLI v2 once."""
import datetime, os, signal, sqlite3, subprocess, sys, unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from nimbus_server import Nimbus, aws_env, rerun_with_newer_boto3, temp_dir  # noqa: E402
from policy_docs import EnforcingServer  # noqa: E402

NEWER = tuple(int(x) for x in botocore.__version__.split(".")[:2]) >= (1, 36)
ROLE_TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'
ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")


def client(url, service, key="test", secret="test", token=None, verify=None, **s3):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token, verify=verify,
                        config=Config(s3={"addressing_style": "path", **s3}, retries={"max_attempts": 1}))


def wrong(secret):
    """The secret with its last character changed."""
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


def https_url(url):
    return url.replace("http://", "https://", 1)


def put_sends(s3, **kw):
    """PutObject, answering the x-amz-content-sha256 the client signed (the payload form)."""
    sent = []
    s3.meta.events.register("before-send", lambda request, **_: sent.append(request.headers["x-amz-content-sha256"]))
    s3.put_object(**kw)
    return sent[-1].decode()


_shared = EnforcingServer("NB_SIG_URL", NIMBUS_BODY_SPILL_THRESHOLD="4096")
server_url = _shared.url
tearDownModule = _shared.stop


def server_ca():
    """The CA of the server's HTTPS certificate (the same port serves both)."""
    return os.environ.get("NB_SIG_CA") or _shared.server.ca


class Keys:
    """The credentials each case signs with: an IAM user's key and an AssumeRole session."""

    def __init__(self, url, tag):
        iam = client(url, "iam")
        iam.create_user(UserName=f"u-{tag}")
        k = iam.create_access_key(UserName=f"u-{tag}")["AccessKey"]
        self.user = (k["AccessKeyId"], k["SecretAccessKey"], None)
        arn = iam.create_role(RoleName=f"r-{tag}", AssumeRolePolicyDocument=ROLE_TRUST)["Role"]["Arn"]
        # ENFORCE_IAM=1 evaluates policies too (test_enforce_policies.py): these keys may do anything
        iam.put_user_policy(UserName=f"u-{tag}", PolicyName="all", PolicyDocument=ALLOW_ALL)
        iam.put_role_policy(RoleName=f"r-{tag}", PolicyName="all", PolicyDocument=ALLOW_ALL)
        c = client(url, "sts").assume_role(RoleArn=arn, RoleSessionName="sess", DurationSeconds=900)["Credentials"]
        self.role = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        self.role_arn = arn


class EnforceCases(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = server_url()
        cls.tag = "new" if NEWER else "old"
        cls.keys = Keys(cls.url, cls.tag)

    def assert_error(self, code, status, call, *args, **kw):
        with self.assertRaises(ClientError) as cm:
            call(*args, **kw)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        return err

    def each_key(self):
        for name, (key, secret, token) in (("user", self.keys.user), ("role", self.keys.role)):
            with self.subTest(key=name):
                yield name, key, secret, token

    def test_keys_work_for_s3_sqs_sts(self):
        for name, key, secret, token in self.each_key():
            bucket = f"b-{self.tag}-{name}"
            s3 = client(self.url, "s3", key, secret, token)
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=b"signed body")  # payload hash signed
            self.assertEqual(s3.get_object(Bucket=bucket, Key="dir/a b+c.txt")["Body"].read(), b"signed body")
            unsigned = client(self.url, "s3", key, secret, token, payload_signing_enabled=False)
            self.assertEqual(put_sends(unsigned, Bucket=bucket, Key="u", Body=b"x" * 70000), "UNSIGNED-PAYLOAD")
            self.assertEqual(s3.get_object(Bucket=bucket, Key="u")["ContentLength"], 70000)
            # over HTTPS both generations frame the body aws-chunked with a CRC32 trailer
            tls = client(https_url(self.url), "s3", key, secret, token, verify=server_ca())
            self.assertEqual(put_sends(tls, Bucket=bucket, Key="c", Body=b"chunked" * 1000, ChecksumAlgorithm="CRC32"),
                             "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            self.assertEqual(s3.get_object(Bucket=bucket, Key="c")["Body"].read(), b"chunked" * 1000)
            s3.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")

            sqs = client(self.url, "sqs", key, secret, token)
            q = sqs.create_queue(QueueName=f"q-{self.tag}-{name}")["QueueUrl"]
            sqs.send_message(QueueUrl=q, MessageBody="hello & w\u00f6rld")
            msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=0).get("Messages", [])
            self.assertEqual([m["Body"] for m in msgs], ["hello & w\u00f6rld"])
            sqs.send_message(QueueUrl=q, MessageBody="spilled " * 2000)  # above the spill threshold
            self.assertEqual(sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["ApproximateNumberOfMessages"])
                             ["Attributes"]["ApproximateNumberOfMessages"], "1")

            me = client(self.url, "sts", key, secret, token).get_caller_identity()
            if name == "user":
                self.assertTrue(me["Arn"].endswith(f":user/u-{self.tag}"), me)
            else:
                self.assertIn(f":assumed-role/r-{self.tag}/sess", me["Arn"])

    def test_wrong_secret_is_signature_does_not_match(self):
        for name, key, secret, token in self.each_key():
            bad = wrong(secret)
            err = self.assert_error("SignatureDoesNotMatch", 403, client(self.url, "sts", key, bad, token)
                                    .get_caller_identity)
            self.assertEqual(err["Error"]["Message"], MISMATCH)
            err = self.assert_error("SignatureDoesNotMatch", 403, client(self.url, "sqs", key, bad, token).list_queues)
            self.assertEqual(err["Error"]["Message"], MISMATCH)
            s3 = client(self.url, "s3", key, bad, token)
            err = self.assert_error("SignatureDoesNotMatch", 403, s3.list_buckets)
            self.assertIn("Check your key and signing method", err["Error"]["Message"])
            self.assertEqual(err["Error"].get("AWSAccessKeyId"), key)
            self.assertIn("\n/\n", err["Error"].get("CanonicalRequest", ""))
            self.assert_error("SignatureDoesNotMatch", 403, s3.put_object, Bucket="nope", Key="k", Body=b"z")

    def test_wrong_or_missing_session_token(self):
        key, secret, token = self.keys.role
        for given in ("X" + token[1:], None):
            with self.subTest(token=given and "wrong"):
                err = self.assert_error("InvalidClientTokenId", 403,
                                        client(self.url, "sts", key, secret, given).get_caller_identity)
                self.assertEqual(err["Error"]["Message"], "The security token included in the request is invalid.")
                self.assert_error("InvalidClientTokenId", 403, client(self.url, "sqs", key, secret, given).list_queues)
                self.assert_error("InvalidToken", 400, client(self.url, "s3", key, secret, given).list_buckets)

    def test_key_nobody_issued(self):
        for key in ("AKIAZZZZZZZZZZZZZZZZ", "ASIAZZZZZZZZZZZZZZZZ"):
            err = self.assert_error("InvalidClientTokenId", 403, client(self.url, "sts", key).get_caller_identity)
            self.assertEqual(err["Error"]["Message"], "The security token included in the request is invalid.")
            err = self.assert_error("InvalidAccessKeyId", 403, client(self.url, "s3", key).list_buckets)
            self.assertEqual(err["Error"]["Message"], "The AWS Access Key Id you provided does not exist in our records.")

    def test_signature_left_out_is_refused(self):
        import urllib.error, urllib.request
        key = self.keys.user[0]
        auth = "AWS4-HMAC-SHA256 Credential=%s/20260101/us-east-1/sts/aws4_request, SignedHeaders=host" % key
        req = urllib.request.Request(self.url + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                                     headers={"Authorization": auth, "X-Amz-Date": "20260101T000000Z",
                                              "Content-Type": "application/x-www-form-urlencoded"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req)
        self.assertEqual(cm.exception.code, 400)
        self.assertIn(b"<Code>IncompleteSignature</Code>", cm.exception.read())

    def test_root_keys_unchecked(self):
        for key in ("test", "111122223333", "anything-goes"):
            self.assertIn("Account", client(self.url, "sts", key, "wrong secret").get_caller_identity())
            client(self.url, "s3", key, "wrong secret").list_buckets()

    def test_request_time_skewed(self):
        key, secret, token = self.keys.user
        then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)

        class Past(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return then.replace(tzinfo=None)

            @classmethod
            def now(cls, tz=None):
                return then if tz else then.replace(tzinfo=None)

        with mock.patch("botocore.auth.datetime.datetime", Past):
            err = self.assert_error("SignatureDoesNotMatch", 403, client(self.url, "sts", key, secret)
                                    .get_caller_identity)
            self.assertRegex(err["Error"]["Message"], r"^Signature expired: \d{8}T\d{6}Z is now earlier than "
                                                      r"\d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$")
            err = self.assert_error("RequestTimeTooSkewed", 403, client(self.url, "s3", key, secret).list_buckets)
            self.assertEqual(err["Error"].get("MaxAllowedSkewMilliseconds"), "900000")
        client(self.url, "sts", key, secret).get_caller_identity()  # now again: fine

    def test_presigned_url_with_issued_key(self):
        import urllib.error, urllib.request
        key, secret, token = self.keys.role
        s3 = client(self.url, "s3", key, secret, token)
        bucket = f"p-{self.tag}"
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"presigned")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
        self.assertEqual(urllib.request.urlopen(url).read(), b"presigned")
        bad = client(self.url, "s3", key, wrong(secret), token).generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "k"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(bad)
        self.assertEqual(cm.exception.code, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", cm.exception.read())


class AwsCli(unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_SIG_URL"), "runs once, in the parent")
    def test_cli_v2_signs_with_an_issued_key(self):
        url = server_url()
        iam = client(url, "iam")
        iam.create_user(UserName="cli")
        k = iam.create_access_key(UserName="cli")["AccessKey"]

        def run(secret):
            env = dict(aws_env(k["AccessKeyId"]), AWS_SECRET_ACCESS_KEY=secret)
            return subprocess.run(["/usr/bin/aws", "--endpoint-url", url, "--output", "json", "sts",
                                   "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60)

        ok = run(k["SecretAccessKey"])
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("user/cli", ok.stdout)
        bad = run(wrong(k["SecretAccessKey"]))
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("SignatureDoesNotMatch", bad.stderr)


class NotEnforced(unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_SIG_URL"), "runs once, in the parent")
    def test_wrong_secret_works_without_enforce_iam(self):
        with Nimbus() as n:
            iam = client(n.url, "iam")
            iam.create_user(UserName="free")
            k = iam.create_access_key(UserName="free")["AccessKey"]
            me = client(n.url, "sts", k["AccessKeyId"], "wrong").get_caller_identity()
            self.assertTrue(me["Arn"].endswith(":user/free"), me)
            client(n.url, "s3", k["AccessKeyId"], "wrong").list_buckets()
            client(n.url, "s3", "AKIAZZZZZZZZZZZZZZZZ", "wrong").list_buckets()


class Expired(unittest.TestCase):
    """A session past its expiration: the server has no clock setting to move, so the expiration
    kept in STS's store (PERSISTENCE=1) is moved into the past between two runs."""

    @unittest.skipIf(os.environ.get("NB_SIG_URL"), "runs once, in the parent")
    def test_expired_session_is_expired_token(self):
        data = temp_dir(self)
        n = Nimbus(PERSISTENCE="1", DATA_DIR=data, ENFORCE_IAM="1").start()
        try:
            keys = Keys(n.url, "exp")
            key, secret, token = keys.role
            client(n.url, "sts", key, secret, token).get_caller_identity()
        finally:
            n.stop(signal.SIGKILL)
        dbs = [os.path.join(d, f) for d, _, fs in os.walk(data) for f in fs if f.endswith((".db", ".sqlite"))]
        moved = 0
        for path in dbs:
            db = sqlite3.connect(path)
            try:
                if db.execute("SELECT 1 FROM sqlite_master WHERE name = '_nb_credentials'").fetchone():
                    moved += db.execute("UPDATE _nb_credentials SET expiration = 1000 WHERE access_key_id = ?",
                                        (key,)).rowcount
                    db.commit()
            finally:
                db.close()
        self.assertEqual(moved, 1, dbs)
        n = Nimbus(PERSISTENCE="1", DATA_DIR=data, ENFORCE_IAM="1").start()
        try:
            with self.assertRaises(ClientError) as cm:
                client(n.url, "sts", key, secret, token).get_caller_identity()
            err = cm.exception.response["Error"]
            self.assertEqual((err["Code"], err["Message"]),
                             ("ExpiredToken", "The security token included in the request is expired"))
            with self.assertRaises(ClientError) as cm:
                client(n.url, "s3", key, secret, token).list_buckets()
            self.assertEqual(cm.exception.response["Error"]["Code"], "ExpiredToken")
            user_key, user_secret, _ = keys.user  # a long-term key never expires
            client(n.url, "sts", user_key, user_secret).get_caller_identity()
            # asked again, the key is still ExpiredToken (its id remembered), not a key nobody issued
            with self.assertRaises(ClientError) as cm:
                client(n.url, "sts", key, secret, token).get_caller_identity()
            self.assertEqual(cm.exception.response["Error"]["Code"], "ExpiredToken")
        finally:
            n.stop()
        # the expired session's entry is gone from the store (the load dropped it); the user's stays
        rows = {}
        for path in dbs:
            db = sqlite3.connect(path)
            try:
                if db.execute("SELECT 1 FROM sqlite_master WHERE name = '_nb_credentials'").fetchone():
                    for (akid,) in db.execute("SELECT access_key_id FROM _nb_credentials"):
                        rows[akid] = path
            finally:
                db.close()
        self.assertNotIn(key, rows)
        self.assertIn(user_key, rows)


class NewerBoto3(unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_SIG_URL"), "runs once, in the parent")
    def test_every_case_with_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "EnforceCases", (1, 40), dict(os.environ, NB_SIG_URL=server_url(),
                                                                        NB_SIG_CA=server_ca()))


if __name__ == "__main__":
    unittest.main()
