"""What the IAM e2e tests share: one server per module (or the parent's, NB_IAM_URL, when a
newer boto3 runs the cases again), a client whose own checks are off (the server's are under
test), names apart per client generation, and AWS's error as the client raised it."""
import os, sys, unittest

from nimbus_server import Nimbus

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
# both boto3 generations share one server: each names its entities apart
TAG = "py%d%d" % sys.version_info[:2] + boto3.__version__.replace(".", "")
_server = None


def start():
    global _server
    if not os.environ.get("NB_IAM_URL"):
        _server = Nimbus().start()


def stop():
    if _server:
        _server.stop()


def server_url():
    return os.environ.get("NB_IAM_URL") or _server.url


def name(base):
    return "%s-%s" % (base, TAG)


class IamTestCase(unittest.TestCase):
    def setUp(self):
        self.iam = boto3.client("iam", endpoint_url=server_url(), region_name="us-east-1", aws_access_key_id="test",
                                aws_secret_access_key="test", config=Config(parameter_validation=False))

    def error(self, fn, **kw):
        """(code, message, HTTP status) of the ClientError fn(**kw) raises."""
        with self.assertRaises(ClientError) as e:
            fn(**kw)
        r = e.exception.response
        return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]
