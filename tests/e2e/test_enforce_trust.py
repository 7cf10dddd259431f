"""ENFORCE_IAM=1: sts:AssumeRole signed by an IAM user's key is allowed only when the role's trust
policy admits the caller (its user ARN, its account's root, "*" under conditions such as sts:ExternalId
and aws:PrincipalArn); a trust policy that names the caller suffices in its own account, one that names
the account delegates to the caller's identity policies, and across accounts both must allow. A denial
answers STS's "User: ARN is not authorized to perform: sts:AssumeRole on resource: ROLE". AssumeRole's
PolicyArns narrow the session to what the role allows and any session policy allows. The root key
`test` assumes any role. The cases run again under boto3 1.43 (NewerBoto3)."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import EnforcingServer, TAG, allow, client, doc  # noqa: E402
from nimbus_server import rerun_with_newer_boto3  # noqa: E402

OTHER = "111111111111"  # a second account: its 12-digit key is its root


def trust(principal, condition=None):
    st = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return doc(st)


_shared = EnforcingServer("NB_TRUST_URL")
server_url = _shared.url
tearDownModule = _shared.stop


class TrustCases(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = server_url()
        cls.iam = client(cls.url, "iam")
        cls.account = client(cls.url, "sts").get_caller_identity()["Account"]

    def user(self, name, key="test", policy=None):
        """A user of the key's account with an access key, and its ARN."""
        iam = client(self.url, "iam", key)
        arn = iam.create_user(UserName=f"{name}-{TAG}")["User"]["Arn"]
        if policy:
            iam.put_user_policy(UserName=f"{name}-{TAG}", PolicyName="p", PolicyDocument=policy)
        k = iam.create_access_key(UserName=f"{name}-{TAG}")["AccessKey"]
        return (k["AccessKeyId"], k["SecretAccessKey"]), arn

    def role(self, name, trust_policy):
        return self.iam.create_role(RoleName=f"{name}-{TAG}", AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"]

    def assume(self, creds, role_arn, **kw):
        c = client(self.url, "sts", *creds).assume_role(RoleArn=role_arn, RoleSessionName="sess", **kw)
        return c["Credentials"], c["AssumedRoleUser"]["Arn"]

    def assert_denied(self, creds, role_arn, caller_arn, reason="", **kw):
        with self.assertRaises(ClientError) as cm:
            self.assume(creds, role_arn, **kw)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("AccessDenied", 403))
        self.assertEqual(err["Error"]["Message"], f"User: {caller_arn} is not authorized to perform: "
                                                  f"sts:AssumeRole on resource: {role_arn}{reason}")

    def test_trust_naming_the_user_admits_it_without_identity_policy(self):
        creds, arn = self.user("named")
        role = self.role("trusts-named", trust({"AWS": arn}))
        c, session_arn = self.assume(creds, role)
        self.assertEqual(session_arn, f"arn:aws:sts::{self.account}:assumed-role/trusts-named-{TAG}/sess")
        who = client(self.url, "sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).get_caller_identity()
        self.assertEqual(who["Arn"], session_arn)

    def test_trust_naming_another_principal_denies(self):
        creds, arn = self.user("outsider", policy=doc(allow("sts:AssumeRole")))
        _, other = self.user("insider")
        role = self.role("trusts-insider", trust({"AWS": other}))
        self.assert_denied(creds, role, arn)

    def test_trust_naming_the_account_needs_identity_policy(self):
        role = self.role("trusts-account", trust({"AWS": f"arn:aws:iam::{self.account}:root"}))
        creds, arn = self.user("no-policy")
        self.assert_denied(creds, role, arn,
                           " because no identity-based policy allows the sts:AssumeRole action")
        creds, _ = self.user("with-policy", policy=doc(allow("sts:AssumeRole", role)))
        self.assume(creds, role)

    def test_external_id_condition(self):
        creds, arn = self.user("vendor")
        role = self.role("needs-external-id", trust({"AWS": arn}, {"StringEquals": {"sts:ExternalId": "xyz-42"}}))
        self.assert_denied(creds, role, arn)
        self.assert_denied(creds, role, arn, ExternalId="wrong-1")
        self.assume(creds, role, ExternalId="xyz-42")

    def test_principal_arn_condition(self):
        role = self.role("ops-only", trust({"AWS": "*"}, {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/ops-*"}}))
        # "*" names no one in particular: the caller's identity policy must allow too
        creds, arn = self.user("ops-1")
        self.assert_denied(creds, role, arn, " because no identity-based policy allows the sts:AssumeRole action")
        creds, _ = self.user("ops-2", policy=doc(allow("sts:AssumeRole")))
        self.assume(creds, role)
        creds, arn = self.user("dev-1", policy=doc(allow("sts:AssumeRole")))
        self.assert_denied(creds, role, arn)

    def test_cross_account_needs_trust_and_identity_policy(self):
        role = self.role("cross", trust({"AWS": OTHER}))
        creds, arn = self.user("far-no-policy", key=OTHER)
        self.assert_denied(creds, role, arn, " because no identity-based policy allows the sts:AssumeRole action")
        creds, _ = self.user("far", key=OTHER, policy=doc(allow("sts:AssumeRole", role)))
        c, session_arn = self.assume(creds, role)
        who = client(self.url, "sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).get_caller_identity()
        self.assertEqual(who["Account"], self.account)
        # the identity policy alone is not enough: the role must trust the other account
        untrusting = self.role("untrusting", trust({"AWS": f"arn:aws:iam::{self.account}:root"}))
        self.assert_denied(creds, untrusting, f"arn:aws:iam::{OTHER}:user/far-{TAG}")

    def test_root_key_assumes_any_role(self):
        _, other = self.user("only-one")
        role = self.role("trusts-only-one", trust({"AWS": other}))
        self.assume(("test", "test"), role)

    def test_policy_arns_narrow_the_session(self):
        name = f"broad-{TAG}"
        role = self.role("broad", trust({"AWS": f"arn:aws:iam::{self.account}:root"}))
        self.iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(allow(["s3:*", "sqs:*"])))
        list_only = self.iam.create_policy(PolicyName=f"list-buckets-{TAG}",
                                           PolicyDocument=doc(allow("s3:ListAllMyBuckets")))["Policy"]["Arn"]
        arns = [{"arn": list_only}]
        c, _ = self.assume(("test", "test"), role, PolicyArns=arns)
        creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        client(self.url, "s3", *creds).list_buckets()
        for call in (lambda: client(self.url, "s3", *creds).create_bucket(Bucket=f"nope-{TAG}"),
                     lambda: client(self.url, "sqs", *creds).list_queues()):
            with self.assertRaises(ClientError) as cm:
                call()
            self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        # with an inline Policy too, the session may do what either allows, within the role's
        c, _ = self.assume(("test", "test"), role, PolicyArns=arns, Policy=doc(allow(["sqs:ListQueues", "iam:*"])))
        creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        client(self.url, "s3", *creds).list_buckets()
        client(self.url, "sqs", *creds).list_queues()
        with self.assertRaises(ClientError) as cm:  # the session policy allows it, the role does not
            client(self.url, "iam", *creds).list_users()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")


class NewerBoto3(unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_TRUST_URL"), "runs once, in the parent")
    def test_every_case_with_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "TrustCases", (1, 40), dict(os.environ, NB_TRUST_URL=server_url()))


if __name__ == "__main__":
    unittest.main()
