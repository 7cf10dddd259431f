"""What the SNS-to-SQS end-to-end tests share: a server with SERVICES=sns,sqs (LOCALSTACK_HOST fixed,
so envelope URLs are known), boto3 clients for both, a queue with its ARN, and the check of an
envelope's signature against the certificate at its SigningCertURL."""
import base64
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client  # noqa: E402


class SnsSqsServer:
    """Mixin for a unittest.TestCase: cls.n, cls.sns, cls.sqs for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="sns,sqs", LOCALSTACK_HOST="127.0.0.1:4566").start()
        cls.sns = boto3_client(cls.n.url, "sns")
        cls.sqs = boto3_client(cls.n.url, "sqs")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def queue(self, name, **attrs):
        """A new queue: its URL and ARN."""
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def verify_signature(self, env):
        """Raises unless env's Signature signs AWS's string to sign, and only that text."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        path = env["SigningCertURL"].split("127.0.0.1:4566", 1)[1]
        pem = urllib.request.urlopen(self.n.url + path).read()
        cert = x509.load_pem_x509_certificate(pem)
        fields = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        text = "".join(f"{k}\n{env[k]}\n" for k in fields if k in env).encode()
        algo = hashes.SHA1() if env["SignatureVersion"] == "1" else hashes.SHA256()
        cert.public_key().verify(base64.b64decode(env["Signature"]), text, padding.PKCS1v15(), algo)
        with self.assertRaises(Exception):
            cert.public_key().verify(base64.b64decode(env["Signature"]), text + b"x", padding.PKCS1v15(), algo)
