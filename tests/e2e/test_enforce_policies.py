"""ENFORCE_IAM=1 evaluates IAM policies for requests signed by keys IAM and STS issued: a user with a
customer managed and an inline policy, a role with an AWS managed policy and an STS session policy;
for S3, SQS, STS and IAM one allowed and one denied call each, with the AccessDenied each service
answers (S3's "Access Denied", SQS's "Access to the resource ... is denied.", IAM's and STS's "User:
ARN is not authorized to perform: ..."); an explicit Deny beats an Allow; a permissions boundary
narrows AdministratorAccess; a bucket policy and a queue policy admit another account's role, and
without them the same calls are denied; the root account's keys are never evaluated. Without
ENFORCE_IAM the denied call succeeds; with PERSISTENCE=1 the policies are enforced after a restart.
The cases run again under boto3 1.43 (NewerBoto3), one allowed and one denied call with the AWS CLI."""
import json, os, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import botocore  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import EnforcingServer, allow, client, doc  # noqa: E402
from nimbus_server import Nimbus, aws_env, rerun_with_newer_boto3, temp_dir  # noqa: E402

NEWER = tuple(int(x) for x in botocore.__version__.split(".")[:2]) >= (1, 36)
OTHER = "111111111111"  # the second account: its 12-digit key is its root
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
SQS_DENIED = "Access to the resource https://sqs.us-east-1.amazonaws.com/ is denied."


_shared = EnforcingServer("NB_POL_URL")
server_url = _shared.url
tearDownModule = _shared.stop


def server_ca():
    """The CA of the server's HTTPS certificate (the same port serves both)."""
    return os.environ.get("NB_POL_CA") or _shared.server.ca


def user_with_key(iam, name):
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"], None


def assume(url, role_arn, key="test", policy=None):
    kw = {"Policy": policy} if policy else {}
    c = client(url, "sts", key).assume_role(RoleArn=role_arn, RoleSessionName="sess", **kw)["Credentials"]
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]


class Denied:
    def assert_denied(self, call, *args, message=None, **kw):
        with self.assertRaises(ClientError) as cm:
            call(*args, **kw)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("AccessDenied", 403), err)
        if message is not None:
            self.assertEqual(err["Error"]["Message"], message)
        return err["Error"]["Message"]


class PolicyCases(Denied, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = url = server_url()
        cls.tag = tag = "new" if NEWER else "old"
        root = client(url, "iam")
        cls.bucket = f"bk-{tag}"
        s3 = client(url, "s3")
        s3.create_bucket(Bucket=cls.bucket)
        s3.put_object(Bucket=cls.bucket, Key="k", Body=b"data")
        cls.queue = client(url, "sqs").create_queue(QueueName=f"q-{tag}")["QueueUrl"]

        # a user: S3 reads of one bucket from a customer managed policy; SQS sends, IAM reads and
        # GetSessionToken from an inline one
        cls.user_name = f"u-{tag}"
        cls.user = user_with_key(root, cls.user_name)
        managed = root.create_policy(PolicyName=f"read-{tag}", PolicyDocument=doc(
            allow(["s3:GetObject", "s3:ListBucket"], [f"arn:aws:s3:::{cls.bucket}", f"arn:aws:s3:::{cls.bucket}/*"])))
        root.attach_user_policy(UserName=cls.user_name, PolicyArn=managed["Policy"]["Arn"])
        root.put_user_policy(UserName=cls.user_name, PolicyName="inline", PolicyDocument=doc(
            allow(["sqs:SendMessage", "iam:Get*", "sts:GetSessionToken"]),
            {"Effect": "Deny", "Action": "iam:GetRole", "Resource": "*"}))

        # a role with an AWS managed policy
        cls.role_arn = root.create_role(RoleName=f"r-{tag}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        root.attach_role_policy(RoleName=f"r-{tag}", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        cls.role = assume(url, cls.role_arn)

    def c(self, service, creds):
        return client(self.url, service, *creds)

    def test_s3_allowed_and_denied(self):
        s3 = self.c("s3", self.user)
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"data")
        s3.list_objects_v2(Bucket=self.bucket)
        self.assert_denied(s3.put_object, Bucket=self.bucket, Key="k2", Body=b"x", message="Access Denied")
        self.assert_denied(s3.list_buckets, message="Access Denied")

    def test_sqs_allowed_and_denied(self):
        sqs = self.c("sqs", self.user)
        sqs.send_message(QueueUrl=self.queue, MessageBody="hi")
        self.assert_denied(sqs.receive_message, QueueUrl=self.queue, message=SQS_DENIED)

    def test_iam_allowed_and_denied_and_explicit_deny(self):
        iam = self.c("iam", self.user)
        self.assertEqual(iam.get_user(UserName=self.user_name)["User"]["UserName"], self.user_name)
        arn = f"arn:aws:iam::000000000000:user/{self.user_name}"
        self.assert_denied(iam.create_user, UserName=f"x-{self.tag}", message=(
            f"User: {arn} is not authorized to perform: iam:CreateUser on resource: "
            f"arn:aws:iam::000000000000:user/x-{self.tag} because no identity-based policy allows the "
            "iam:CreateUser action"))
        # iam:Get* allows GetRole, the Deny beside it wins
        self.assert_denied(iam.get_role, RoleName=f"r-{self.tag}", message=(
            f"User: {arn} is not authorized to perform: iam:GetRole on resource: "
            f"arn:aws:iam::000000000000:role/r-{self.tag} with an explicit deny in an identity-based policy"))

    def test_sts_allowed_and_denied(self):
        sts = self.c("sts", self.user)
        self.assertIn("SessionToken", sts.get_session_token()["Credentials"])
        role = self.c("sts", self.role)
        self.assertIn(f":assumed-role/r-{self.tag}/sess", role.get_caller_identity()["Arn"])  # never denied
        msg = self.assert_denied(role.assume_role, RoleArn=self.role_arn, RoleSessionName="again")
        self.assertEqual(msg, f"User: arn:aws:sts::000000000000:assumed-role/r-{self.tag}/sess is not authorized to "
                              f"perform: sts:AssumeRole on resource: {self.role_arn} because no identity-based policy "
                              "allows the sts:AssumeRole action")

    def test_role_session_uses_the_roles_managed_policy(self):
        s3 = self.c("s3", self.role)
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"data")
        self.assert_denied(s3.delete_object, Bucket=self.bucket, Key="k")
        self.assert_denied(self.c("sqs", self.role).send_message, QueueUrl=self.queue, MessageBody="x")

    def test_session_policy_narrows_the_role(self):
        narrowed = assume(self.url, self.role_arn, policy=doc(allow("s3:GetObject")))
        s3 = self.c("s3", narrowed)
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"data")
        self.assert_denied(s3.list_objects_v2, Bucket=self.bucket)  # the role may, the session may not

    def test_permissions_boundary_narrows_administrator_access(self):
        root = client(self.url, "iam")
        name = f"admin-{self.tag}"
        admin = user_with_key(root, name)
        root.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        self.c("sqs", admin).list_queues()
        boundary = root.create_policy(PolicyName=f"only-s3-{self.tag}", PolicyDocument=doc(allow("s3:*")))
        root.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary["Policy"]["Arn"])
        self.c("s3", admin).list_buckets()
        self.assert_denied(self.c("sqs", admin).list_queues, message=SQS_DENIED)
        self.assert_denied(self.c("iam", admin).list_users, message=(
            f"User: arn:aws:iam::000000000000:user/{name} is not authorized to perform: iam:ListUsers on resource: * "
            "because no permissions boundary allows the iam:ListUsers action"))

    def other_account_role(self, name, policy):
        """A role of the other account whose policy allows `policy`, and a session of it."""
        iam = client(self.url, "iam", OTHER)
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=doc(policy))
        return arn, assume(self.url, arn, key=OTHER)

    def test_bucket_policy_grants_another_accounts_role(self):
        bucket = f"shared-{self.tag}"
        s3 = client(self.url, "s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"shared")
        arn, creds = self.other_account_role(f"reader-{self.tag}", allow("s3:GetObject"))
        theirs = self.c("s3", creds)
        self.assert_denied(theirs.get_object, Bucket=bucket, Key="k", message="Access Denied")
        s3.put_bucket_policy(Bucket=bucket, Policy=doc({"Effect": "Allow", "Principal": {"AWS": arn},
                                                        "Action": "s3:GetObject",
                                                        "Resource": f"arn:aws:s3:::{bucket}/*"}))
        self.assertEqual(theirs.get_object(Bucket=bucket, Key="k")["Body"].read(), b"shared")
        self.assert_denied(theirs.put_object, Bucket=bucket, Key="k", Body=b"no")

    def test_queue_policy_grants_another_account(self):
        sqs = client(self.url, "sqs")
        q = sqs.create_queue(QueueName=f"shared-{self.tag}")["QueueUrl"]
        _, creds = self.other_account_role(f"sender-{self.tag}", allow("sqs:SendMessage"))
        theirs = self.c("sqs", creds)
        self.assert_denied(theirs.send_message, QueueUrl=q, MessageBody="x", message=SQS_DENIED)
        qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": doc(
            {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "sqs:SendMessage", "Resource": qarn})})
        theirs.send_message(QueueUrl=q, MessageBody="from the other account")
        got = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=0).get("Messages", [])
        self.assertEqual([m["Body"] for m in got], ["from the other account"])

    def test_conditions_on_transport_and_source_ip(self):
        root = client(self.url, "iam")
        name = f"tls-{self.tag}"
        creds = user_with_key(root, name)
        root.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}))
        self.assert_denied(self.c("s3", creds).get_object, Bucket=self.bucket, Key="k")  # plain HTTP
        tls = client(self.url.replace("http://", "https://", 1), "s3", *creds, verify=server_ca())
        self.assertEqual(tls.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"data")
        self.assert_denied(tls.list_objects_v2, Bucket=self.bucket)  # the client is at 127.0.0.1

    def test_root_keys_are_always_allowed(self):
        for key in ("test", "000000000000", OTHER):
            with self.subTest(key=key):
                client(self.url, "iam", key).list_users()
                client(self.url, "s3", key).list_buckets()
                client(self.url, "sqs", key).list_queues()


class AwsCli(Denied, unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_POL_URL"), "runs once, in the parent")
    def test_cli_allowed_and_denied(self):
        url = server_url()
        iam = client(url, "iam")
        key, secret, _ = user_with_key(iam, "cli")
        iam.put_user_policy(UserName="cli", PolicyName="p", PolicyDocument=doc(allow("sqs:ListQueues")))

        def run(*args):
            env = dict(aws_env(key), AWS_SECRET_ACCESS_KEY=secret)
            return subprocess.run(["/usr/bin/aws", "--endpoint-url", url, "--output", "json", *args], env=env,
                                  capture_output=True, text=True, timeout=60)

        ok = run("sqs", "list-queues")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        denied = run("s3api", "list-buckets")
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn("An error occurred (AccessDenied) when calling the ListBuckets operation: Access Denied",
                      denied.stderr)


class NotEnforced(unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_POL_URL"), "runs once, in the parent")
    def test_denied_call_succeeds_without_enforce_iam(self):
        with Nimbus() as n:
            key, secret, _ = user_with_key(client(n.url, "iam"), "nobody")
            s3 = client(n.url, "s3", key, secret)
            s3.create_bucket(Bucket="free")
            s3.put_object(Bucket="free", Key="k", Body=b"x")


class Persisted(Denied, unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_POL_URL"), "runs once, in the parent")
    def test_policies_enforced_after_restart(self):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, ENFORCE_IAM="1") as n:
            iam = client(n.url, "iam")
            creds = user_with_key(iam, "kept")
            iam.put_user_policy(UserName="kept", PolicyName="p", PolicyDocument=doc(allow("sqs:CreateQueue")))
            role = iam.create_role(RoleName="kept", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
            iam.put_role_policy(RoleName="kept", PolicyName="p", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
            session = assume(n.url, role, policy=doc(allow("s3:*")))
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, ENFORCE_IAM="1") as n:
            client(n.url, "sqs", *creds).create_queue(QueueName="after")
            self.assert_denied(client(n.url, "sqs", *creds).list_queues, message=SQS_DENIED)
            client(n.url, "s3", *session).list_buckets()
            self.assert_denied(client(n.url, "s3", *session).create_bucket, Bucket="nope")


class NewerBoto3(unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_POL_URL"), "runs once, in the parent")
    def test_every_case_with_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "PolicyCases", (1, 40), dict(os.environ, NB_POL_URL=server_url(),
                                                                            NB_POL_CA=server_ca()))


if __name__ == "__main__":
    unittest.main()
