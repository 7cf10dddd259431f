"""End-to-end: operations whose spec requires a checksum (S3 DeleteObjects, PutBucketTagging, ...)
have their Content-MD5 checked against the body, as AWS does: boto3 (which sends it) works, a wrong
digest is 400 BadDigest, a malformed one 400 InvalidDigest, and nothing is deleted or stored then."""
import base64, hashlib, http.client, os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

AUTH = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
DELETE = b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>k</Key></Object></Delete>'


class ChecksumRequired(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="s3").start()
        cls.s3 = boto3.client("s3", endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))
        cls.s3.create_bucket(Bucket="md5-bkt")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def post(self, path, body, md5):
        c = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=10)
        c.request("POST", path, body=body, headers={"Authorization": AUTH, "Content-MD5": md5})
        r = c.getresponse()
        out = r.status, r.read().decode()
        c.close()
        return out

    def test_delete_objects_checks_the_digest(self):
        self.s3.put_object(Bucket="md5-bkt", Key="k", Body=b"x")
        wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
        status, body = self.post("/md5-bkt?delete", DELETE, wrong)
        self.assertEqual(status, 400, body)
        self.assertIn("<Code>BadDigest</Code>", body)
        status, body = self.post("/md5-bkt?delete", DELETE, "not-base64!")
        self.assertEqual(status, 400, body)
        self.assertIn("<Code>InvalidDigest</Code>", body)
        self.assertEqual(self.s3.get_object(Bucket="md5-bkt", Key="k")["Body"].read(), b"x", "nothing was deleted")
        good = base64.b64encode(hashlib.md5(DELETE).digest()).decode()
        status, body = self.post("/md5-bkt?delete", DELETE, good)
        self.assertEqual(status, 200, body)
        self.assertIn("<Deleted><Key>k</Key></Deleted>", body)

    def test_boto3_sends_the_digest_and_succeeds(self):
        self.s3.put_object(Bucket="md5-bkt", Key="a", Body=b"1")
        r = self.s3.delete_objects(Bucket="md5-bkt", Delete={"Objects": [{"Key": "a"}]})
        self.assertEqual([d["Key"] for d in r["Deleted"]], ["a"])
        self.s3.put_bucket_tagging(Bucket="md5-bkt", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
        self.assertEqual(self.s3.get_bucket_tagging(Bucket="md5-bkt")["TagSet"], [{"Key": "t", "Value": "v"}])


if __name__ == "__main__":
    unittest.main(verbosity=2)
