"""What the ENFORCE_IAM tests share: policy documents, clients with one attempt per call (a
denied call is answered once, not retried), and the module's enforcing server."""
import json, os

import boto3
import botocore
from botocore.config import Config

from nimbus_server import Nimbus

# names made by the two boto3 generations apart: both run against the same server
TAG = "new" if tuple(int(x) for x in botocore.__version__.split(".")[:2]) >= (1, 36) else "old"


def doc(*statements):
    """A policy document of these statements, as IAM takes it (JSON text)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def client(url, service, key="test", secret="test", token=None, verify=None):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token, verify=verify,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def user(url, name, policy=None, root="test"):
    """A user of root's account with an inline policy (None: no policy): its access key and secret."""
    iam = client(url, "iam", root)
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


class EnforcingServer:
    """A test module's server with ENFORCE_IAM=1 (and env), started on first use; a rerun of the
    module under a newer boto3 (rerun_with_newer_boto3) is handed the parent's URL in the
    environment variable `var` and starts none."""

    def __init__(self, var, **env):
        self.var, self.env, self.server = var, env, None

    def url(self):
        if os.environ.get(self.var):
            return os.environ[self.var]
        if self.server is None:
            self.server = Nimbus(ENFORCE_IAM="1", **self.env).start()
        return self.server.url

    def stop(self):
        """For tearDownModule: a sanitizer build reports what it found in the output and the exit code."""
        if self.server is not None:
            rc = self.server.stop()
            if rc != 0 or "Sanitizer" in self.server.output or "runtime error" in self.server.output:
                raise AssertionError("the server exited %s:\n%s" % (rc, self.server.output[-4000:]))
