"""DEBUG=1 logs every request and response, but never a credential or a value the spec
marks sensitive: a developer pastes this log into issues."""
import base64, http.client, json, os, sys, time, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus

import boto3
from botocore.config import Config

SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLESESSIONTOKENzzzz9876"
SSEC_KEY = base64.b64encode(b"K" * 31 + b"!").decode()
ENV_SECRET = "hunter2-database-password"
VISIBLE = "an-ordinary-message-body-4711"


class DebugLogSecrets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(DEBUG=1).start()
        kw = dict(endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE",
                  aws_secret_access_key="secret", aws_session_token=SESSION_TOKEN)
        cls.sqs = boto3.client("sqs", **kw)
        cls.s3 = boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}), **kw)

        url = cls.sqs.create_queue(QueueName="redact")["QueueUrl"]
        cls.sqs.send_message(QueueUrl=url, MessageBody=VISIBLE)
        cls.s3.create_bucket(Bucket="redact")
        cls.s3.put_object(Bucket="redact", Key="k", Body=b"data")
        presigned = cls.s3.generate_presigned_url("get_object", Params={"Bucket": "redact", "Key": "k"})
        cls.presigned_sig = presigned.split("X-Amz-Signature=")[1].split("&")[0]
        with urllib.request.urlopen(presigned) as r:
            cls.presigned_status = r.status

        # SSE-C: the customer's key travels in a header the spec marks sensitive.
        conn = http.client.HTTPConnection("127.0.0.1", cls.n.port, timeout=10)
        conn.request("PUT", "/redact/ssec", body=b"x", headers={
            "x-amz-server-side-encryption-customer-algorithm": "AES256",
            "x-amz-server-side-encryption-customer-key": SSEC_KEY,
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, "
                             "SignedHeaders=host, Signature=deadbeefcafe0123456789abcdef0123456789abcdef0123456789abcdef0123"})
        conn.getresponse().read()
        conn.close()

        # Lambda has no plugin yet (501), but its request is logged: the environment's values
        # are sensitive in its spec.
        body = json.dumps({"FunctionName": "f", "Role": "arn:aws:iam::000000000000:role/r", "Runtime": "python3.9",
                           "Handler": "h.h", "Code": {"ZipFile": base64.b64encode(b"PK").decode()},
                           "Environment": {"Variables": {"DB_PASSWORD": ENV_SECRET}}})
        conn = http.client.HTTPConnection("127.0.0.1", cls.n.port, timeout=10)
        conn.request("POST", "/2015-03-31/functions", body=body, headers={
            "Content-Type": "application/json",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/lambda/aws4_request, "
                             "SignedHeaders=host, Signature=0123abcd"})
        cls.lambda_status = conn.getresponse().status
        conn.close()
        time.sleep(0.2)
        cls.n.stop()
        cls.log = cls.n.output

    def test_the_log_shows_requests(self):
        # the check below is not vacuous: the debug log is there, with what is not secret
        self.assertIn("> POST /", self.log)
        self.assertIn(VISIBLE, self.log)
        self.assertIn("Credential=AKIDEXAMPLE/", self.log)
        self.assertIn("x-amz-server-side-encryption-customer-algorithm: AES256", self.log)

    def test_signatures_are_redacted(self):
        self.assertIn("Signature=<redacted>", self.log)
        self.assertNotIn("deadbeefcafe0123456789abcdef", self.log)
        for line in self.log.splitlines():
            if "Authorization" in line or "authorization" in line:
                self.assertRegex(line, r"Signature=<redacted>$", line)

    def test_session_token_is_redacted(self):
        self.assertNotIn(SESSION_TOKEN, self.log)
        self.assertIn("X-Amz-Security-Token: <redacted>", self.log)

    def test_presigned_url_signature_is_redacted(self):
        self.assertEqual(self.presigned_status, 200)
        self.assertNotIn(self.presigned_sig, self.log)
        self.assertIn("X-Amz-Signature=<redacted>", self.log)

    def test_sse_customer_key_is_redacted(self):
        self.assertNotIn(SSEC_KEY, self.log)
        self.assertIn("x-amz-server-side-encryption-customer-key: <redacted>", self.log)

    def test_sensitive_body_is_redacted(self):
        self.assertEqual(self.lambda_status, 501)
        self.assertNotIn(ENV_SECRET, self.log)
        self.assertIn("CreateFunction carries sensitive values", self.log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
