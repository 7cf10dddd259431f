"""What the DynamoDB e2e tests share: one server per module (or the parent's, NB_DDB_URL, when a
newer boto3 runs the cases again), a client whose own checks are off (the server's are under test),
table names apart per client generation, and AWS's error as the client raised it."""
import os, sys, unittest

from nimbus_server import Nimbus

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# both boto3 generations share one server: each names its tables apart
TAG = "py%d%d" % sys.version_info[:2] + boto3.__version__.replace(".", "")
_server = None


def start(**env):
    global _server
    if not os.environ.get("NB_DDB_URL"):
        _server = Nimbus(**env).start()


def stop():
    if _server:
        _server.stop()


def server_url():
    return os.environ.get("NB_DDB_URL") or _server.url


def name(base):
    return "%s-%s" % (base, TAG)


def client(region="us-east-1", access_key="test"):
    return boto3.client("dynamodb", endpoint_url=server_url(), region_name=region, aws_access_key_id=access_key,
                        aws_secret_access_key="test",
                        config=Config(parameter_validation=False, retries={"max_attempts": 0}))


class DdbTestCase(unittest.TestCase):
    def setUp(self):
        self.ddb = client()

    def error(self, fn, **kw):
        """The AWS error fn raised: (HTTP status, code, message, the whole error response)."""
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        r = cm.exception.response
        return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"].get("Message"), r

    def assertError(self, code, message, fn, **kw):
        status, got_code, got_message, _ = self.error(fn, **kw)
        self.assertEqual((status, got_code, got_message), (400, code, message))

    def table(self, base, hash_type="S", range_type=None, **extra):
        """A new on-demand table with key pk (and sk), removed after the test."""
        tname = name(base)
        attrs = [{"AttributeName": "pk", "AttributeType": hash_type}]
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        if range_type:
            attrs.append({"AttributeName": "sk", "AttributeType": range_type})
            keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs += extra.pop("extra_attrs", [])
        self.ddb.create_table(TableName=tname, AttributeDefinitions=attrs, KeySchema=keys,
                              BillingMode="PAY_PER_REQUEST", **extra)
        self.addCleanup(self._drop, tname)
        return tname

    def _drop(self, tname):
        try:
            self.ddb.delete_table(TableName=tname)
        except ClientError:
            pass
