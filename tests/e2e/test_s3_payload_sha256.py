"""End-to-end: with ENFORCE_IAM=1, S3 checks a body against the hex x-amz-content-sha256 its
signature covers (XAmzContentSHA256Mismatch, as AWS); without it the header is not checked
(test_s3_exact_b.py), as LocalStack."""
import hashlib, http.client, os, sys, unittest, uuid

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
AUTH = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"


def client():
    return boto3.client("s3", endpoint_url=SERVER.url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}))


def raw(method, path, body=b"", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10)
    h = {"Authorization": AUTH}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    out = r.status, r.read().decode(errors="replace")
    c.close()
    return out


class PayloadSha256(unittest.TestCase):
    def setUp(self):
        self.s3 = client()
        self.bucket = f"sha-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)

    def test_mismatch_refused(self):
        b, body = self.bucket, b"payload bytes"
        wrong = hashlib.sha256(b"other bytes").hexdigest()
        status, text = raw("PUT", f"/{b}/k", body, {"x-amz-content-sha256": wrong})
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>XAmzContentSHA256Mismatch</Code>", text)
        self.assertIn("<Message>The provided 'x-amz-content-sha256' header does not match what was computed."
                      "</Message>", text)
        self.assertIn(f"<ClientComputedContentSHA256>{wrong}</ClientComputedContentSHA256>", text)
        self.assertIn(f"<S3ComputedContentSHA256>{hashlib.sha256(body).hexdigest()}</S3ComputedContentSHA256>", text)
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket=b, Key="k")

    def test_right_hash_and_unsigned_payload_accepted(self):
        b, body = self.bucket, b"payload bytes"
        status, text = raw("PUT", f"/{b}/k", body, {"x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
        self.assertEqual(status, 200, text)
        status, text = raw("PUT", f"/{b}/k2", body, {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        self.assertEqual(status, 200, text)
        self.s3.put_object(Bucket=b, Key="k3", Body=body)
        for k in ("k", "k2", "k3"):
            self.assertEqual(self.s3.get_object(Bucket=b, Key=k)["Body"].read(), body)

    def test_small_xml_body_checked(self):
        xml = b'<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>'
        wrong = hashlib.sha256(b"other bytes").hexdigest()
        status, text = raw("PUT", f"/{self.bucket}?tagging", xml, {"x-amz-content-sha256": wrong})
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>XAmzContentSHA256Mismatch</Code>", text)

    def test_large_body_checked(self):
        # spilled to a temp file and hashed on the thread pool while it is ingested
        b, big = self.bucket, os.urandom(3 * 1024 * 1024)
        wrong = hashlib.sha256(b"other bytes").hexdigest()
        status, text = raw("PUT", f"/{b}/big", big, {"x-amz-content-sha256": wrong})
        self.assertEqual(status, 400, text)
        self.assertIn("XAmzContentSHA256Mismatch", text)
        status, text = raw("PUT", f"/{b}/big", big, {"x-amz-content-sha256": hashlib.sha256(big).hexdigest()})
        self.assertEqual(status, 200, text)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="big")["Body"].read(), big)


def setUpModule():
    global SERVER
    SERVER = Nimbus(SERVICES="s3", ENFORCE_IAM="1").start()


def tearDownModule():
    if SERVER:
        SERVER.stop()


if __name__ == "__main__":
    unittest.main()
