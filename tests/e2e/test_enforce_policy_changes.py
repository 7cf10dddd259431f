"""ENFORCE_IAM=1 keeps what it decided (allowed requests, trust policies, identity policies) between
requests, and none of it outlives a change of the policies it was made of: the same signed call,
allowed twice, is denied by the next request after its identity policy (inline, or a managed
policy's new default version), its role's policy, the bucket policy or the role's trust policy
turns to deny, and allowed again once the allow is back. A decision a condition took part in is
made again on each request (s3:prefix differs between two ListObjectsV2 of the same bucket)."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import allow, client, doc  # noqa: E402
from nimbus_server import Nimbus  # noqa: E402

ACCOUNT = "000000000000"


def deny(action, resource="*"):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


class PolicyChanges(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus(ENFORCE_IAM="1").start()
        cls.url = cls.server.url
        cls.iam = client(cls.url, "iam")
        cls.s3 = client(cls.url, "s3")

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0 or "Sanitizer" in cls.server.output or "runtime error" in cls.server.output:
            raise AssertionError("the server exited %s:\n%s" % (rc, cls.server.output[-4000:]))

    def user(self, name, policy=None):
        """A user with an access key (and an inline policy "p"): its credentials."""
        self.iam.create_user(UserName=name)
        if policy:
            self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
        k = self.iam.create_access_key(UserName=name)["AccessKey"]
        return k["AccessKeyId"], k["SecretAccessKey"]

    def bucket(self, name):
        self.s3.create_bucket(Bucket=name)
        self.s3.put_object(Bucket=name, Key="k", Body=b"data")
        return name

    def assert_allowed_twice(self, call, **kw):
        for _ in range(2):  # the second one answered from what the first decided
            call(**kw)

    def assert_denied(self, call, **kw):
        with self.assertRaises(ClientError) as cm:
            call(**kw)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("AccessDenied", 403))

    def test_inline_policy_turned_to_deny_and_back(self):
        b = self.bucket("chg-inline")
        s3 = client(self.url, "s3", *self.user("chg-inline", doc(allow("s3:GetObject"))))
        get = dict(Bucket=b, Key="k")
        self.assert_allowed_twice(s3.get_object, **get)
        self.iam.put_user_policy(UserName="chg-inline", PolicyName="p", PolicyDocument=doc(
            allow("s3:GetObject"), deny("s3:GetObject", f"arn:aws:s3:::{b}/*")))
        self.assert_denied(s3.get_object, **get)
        self.iam.put_user_policy(UserName="chg-inline", PolicyName="p", PolicyDocument=doc(allow("s3:GetObject")))
        self.assertEqual(s3.get_object(**get)["Body"].read(), b"data")
        self.iam.delete_user_policy(UserName="chg-inline", PolicyName="p")  # nothing allows: implicit deny
        self.assert_denied(s3.get_object, **get)

    def test_managed_policy_default_version_changed(self):
        b = self.bucket("chg-managed")
        arn = self.iam.create_policy(PolicyName="chg-managed", PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
        creds = self.user("chg-managed")
        self.iam.attach_user_policy(UserName="chg-managed", PolicyArn=arn)
        s3 = client(self.url, "s3", *creds)
        self.assert_allowed_twice(s3.get_object, Bucket=b, Key="k")
        v2 = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("s3:ListBucket")),
                                            SetAsDefault=True)["PolicyVersion"]["VersionId"]
        self.assertEqual(v2, "v2")
        self.assert_denied(s3.get_object, Bucket=b, Key="k")
        self.iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
        self.assert_allowed_twice(s3.get_object, Bucket=b, Key="k")
        self.iam.detach_user_policy(UserName="chg-managed", PolicyArn=arn)
        self.assert_denied(s3.get_object, Bucket=b, Key="k")

    def test_bucket_policy_turned_to_deny_and_back(self):
        b = self.bucket("chg-bucket")
        creds = self.user("chg-bucket", doc(allow("s3:GetObject")))
        s3 = client(self.url, "s3", *creds)
        self.assert_allowed_twice(s3.get_object, Bucket=b, Key="k")
        self.s3.put_bucket_policy(Bucket=b, Policy=doc({
            "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/chg-bucket"},
            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}))
        self.assert_denied(s3.get_object, Bucket=b, Key="k")
        self.s3.delete_bucket_policy(Bucket=b)
        self.assert_allowed_twice(s3.get_object, Bucket=b, Key="k")

    def test_role_session_loses_its_role_policy(self):
        b = self.bucket("chg-role")
        trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     "Action": "sts:AssumeRole"})
        role = self.iam.create_role(RoleName="chg-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        self.iam.put_role_policy(RoleName="chg-role", PolicyName="read", PolicyDocument=doc(allow("s3:GetObject")))
        c = client(self.url, "sts").assume_role(RoleArn=role, RoleSessionName="sess")["Credentials"]
        s3 = client(self.url, "s3", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        self.assert_allowed_twice(s3.get_object, Bucket=b, Key="k")
        self.iam.put_role_policy(RoleName="chg-role", PolicyName="read", PolicyDocument=doc(deny("s3:*")))
        self.assert_denied(s3.get_object, Bucket=b, Key="k")
        self.iam.put_role_policy(RoleName="chg-role", PolicyName="read", PolicyDocument=doc(allow("s3:GetObject")))
        self.assert_allowed_twice(s3.get_object, Bucket=b, Key="k")

    def test_trust_policy_turned_to_deny_and_back(self):
        role_name = "chg-trust"
        admit = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/chg-trust"},
                     "Action": "sts:AssumeRole"})
        role = self.iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=admit)["Role"]["Arn"]
        sts = client(self.url, "sts", *self.user("chg-trust", doc(allow("sts:AssumeRole", role))))
        assume = dict(RoleArn=role, RoleSessionName="sess")
        self.assert_allowed_twice(sts.assume_role, **assume)
        self.iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=doc({
            "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))
        self.assert_denied(sts.assume_role, **assume)
        self.iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=admit)
        self.assert_allowed_twice(sts.assume_role, **assume)

    def test_condition_decided_on_each_request(self):
        b = self.bucket("chg-prefix")
        s3 = client(self.url, "s3", *self.user("chg-prefix", doc({
            "Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{b}",
            "Condition": {"StringLike": {"s3:prefix": "a*"}}})))
        self.assert_allowed_twice(s3.list_objects_v2, Bucket=b, Prefix="a")
        self.assert_denied(s3.list_objects_v2, Bucket=b, Prefix="b")
        self.assertEqual(s3.list_objects_v2(Bucket=b, Prefix="a")["KeyCount"], 0)


if __name__ == "__main__":
    unittest.main()
