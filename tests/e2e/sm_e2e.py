"""What the Secrets Manager e2e tests share: a client whose retries are off, AWS's error as the
client raised it, and a test case with one server per class (or the parent's, NB_SM_URL, when a
newer boto3 runs the cases again)."""
import os
import unittest

from nimbus_server import Nimbus

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(url, region="us-east-1"):
    return boto3.client("secretsmanager", endpoint_url=url, region_name=region, aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}))


def error_of(call, **kw):
    """(code, message) of the error call(**kw) raised; (None, None) when it answered."""
    try:
        call(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    return None, None


class SecretsCase(unittest.TestCase):
    """cls.sm: a client of this class's server (its own, or NB_SM_URL's)."""
    url = os.environ.get("NB_SM_URL")

    @classmethod
    def setUpClass(cls):
        cls.server = None
        if cls.url is None:
            cls.server = Nimbus().start()
            cls.url = cls.server.url
        cls.sm = client(cls.url)

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()

    def error(self, call, code, message=None, **kw):
        """Asserts call(**kw) fails with code (and message, when given); the error."""
        with self.assertRaises(ClientError) as cm:
            call(**kw)
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], code, err)
        if message is not None:
            self.assertEqual(err["Message"], message)
        return err
