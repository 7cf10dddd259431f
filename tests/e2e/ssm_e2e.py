"""What the SSM e2e tests share: one server per module (or the parent's, NB_SSM_URL, when a newer
boto3 runs the cases again), a client whose own checks are off (the server's are under test),
parameter names apart per client generation, and AWS's error as the client raised it."""
import os, sys, unittest

from nimbus_server import Nimbus

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# both boto3 generations share one server: each names its parameters apart
TAG = "py%d%d-" % sys.version_info[:2] + boto3.__version__.replace(".", "")
_server = None


def start(**env):
    global _server
    if not os.environ.get("NB_SSM_URL"):
        env.setdefault("SERVICES", "ssm")
        _server = Nimbus(**env).start()


def stop():
    if _server:
        _server.stop()


def server_url():
    return os.environ.get("NB_SSM_URL") or _server.url


def name(base):
    """A parameter name of this client generation: /TAG/base."""
    return "/%s/%s" % (TAG, base.lstrip("/"))


def client(service="ssm", region="us-east-1"):
    return boto3.client(service, endpoint_url=server_url(), region_name=region, aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(parameter_validation=False, retries={"max_attempts": 0}))


class Case(unittest.TestCase):
    def setUp(self):
        self.ssm = client()

    def error(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        e = cm.exception.response
        return e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Code"], e["Error"].get("Message", "")

    def assertError(self, code, message, fn, status=400, **kw):
        got = self.error(fn, **kw)
        self.assertEqual(got, (status, code, message))
