"""ENFORCE_IAM=1 keeps the allowed decisions of requests no condition took part in, so the same
request signed by the same key is allowed again without evaluating its policies. What a kept allow
must not do: answer a request its decision did not cover. An allow that depended on the request's
context (aws:SecureTransport, aws:SourceArn) is evaluated again on the next request, which is denied
when its context differs; an allow of one object, one action or one key does not allow another
object, another action or another user's key."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import TAG, EnforcingServer, allow, client, doc  # noqa: E402

_shared = EnforcingServer("NB_CACHE_URL")
tearDownModule = _shared.stop
SOURCE = "arn:aws:sns:us-east-1:000000000000:origin"


class DecisionCacheCases(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = _shared.url()
        cls.bucket = f"cache-{TAG}"
        s3 = client(cls.url, "s3")
        s3.create_bucket(Bucket=cls.bucket)
        for key in ("open/a", "closed/b"):
            s3.put_object(Bucket=cls.bucket, Key=key, Body=key.encode())

    def user(self, name, *statements):
        iam = client(self.url, "iam")
        iam.create_user(UserName=f"{name}-{TAG}")
        iam.put_user_policy(UserName=f"{name}-{TAG}", PolicyName="p", PolicyDocument=doc(*statements))
        k = iam.create_access_key(UserName=f"{name}-{TAG}")["AccessKey"]
        return k["AccessKeyId"], k["SecretAccessKey"]

    def s3(self, creds, tls=False, source_arn=None):
        url = self.url.replace("http://", "https://", 1) if tls else self.url
        c = client(url, "s3", *creds, verify=_shared.server.ca if tls else None)
        if source_arn:  # a header a service sends when it acts for a resource: aws:SourceArn
            c.meta.events.register("before-sign.s3.*", lambda request, **_: request.headers.__setitem__(
                "x-amz-source-arn", source_arn))
        return c

    def get(self, s3, key):
        return s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode()

    def assert_denied(self, call, *args, **kw):
        with self.assertRaises(ClientError) as cm:
            call(*args, **kw)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("AccessDenied", 403))

    def test_allow_on_secure_transport_is_not_kept_for_plain_http(self):
        creds = self.user("tls", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                  "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
        tls = self.s3(creds, tls=True)
        for _ in range(3):  # allowed again and again over TLS
            self.assertEqual(self.get(tls, "open/a"), "open/a")
        self.assert_denied(self.get, self.s3(creds), "open/a")
        self.assertEqual(self.get(tls, "open/a"), "open/a")

    def test_allow_on_source_arn_is_not_kept_for_another_or_none(self):
        creds = self.user("src", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                  "Condition": {"ArnEquals": {"aws:SourceArn": SOURCE}}})
        named = self.s3(creds, source_arn=SOURCE)
        self.assertEqual(self.get(named, "open/a"), "open/a")
        self.assertEqual(self.get(named, "open/a"), "open/a")
        self.assert_denied(self.get, self.s3(creds), "open/a")
        self.assert_denied(self.get, self.s3(creds, source_arn=SOURCE + "-other"), "open/a")

    def test_kept_allow_covers_only_its_object_action_and_key(self):
        creds = self.user("prefix", allow("s3:GetObject", f"arn:aws:s3:::{self.bucket}/open/*"))
        s3 = self.s3(creds)
        for _ in range(3):
            self.assertEqual(self.get(s3, "open/a"), "open/a")
        self.assert_denied(self.get, s3, "closed/b")
        self.assert_denied(s3.put_object, Bucket=self.bucket, Key="open/a", Body=b"x")
        other = self.s3(self.user("nothing", allow("s3:ListBucket", f"arn:aws:s3:::{self.bucket}")))
        self.assert_denied(self.get, other, "open/a")
        self.assertEqual(self.get(s3, "open/a"), "open/a")


if __name__ == "__main__":
    unittest.main()
