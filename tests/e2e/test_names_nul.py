"""A NUL inside a name never makes it name something shorter: every place an S3, SQS or STS
name travels (path, query string, header, XML, form and JSON bodies) either keeps it or
refuses the request with AWS's error, and the object, bucket or queue the shortened name
would have meant is left untouched."""
import base64, hashlib, http.client, json, os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SIG = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=0"


class NulInNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="s3,sqs,sts").start()
        kw = dict(endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test")
        cls.s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **kw)
        cls.sqs = boto3.client("sqs", **kw)
        cls.s3.create_bucket(Bucket="nul-bkt")
        cls.s3.put_object(Bucket="nul-bkt", Key="a", Body=b"original")
        cls.s3.put_object(Bucket="nul-bkt", Key="important", Body=b"keep me")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def raw(self, method, path, body=b"", headers=None, service="s3"):
        c = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=30)
        h = {"Authorization": SIG % service}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def assert_s3_error(self, answer, code, status=400):
        got_status, body = answer
        self.assertEqual(got_status, status, body)
        self.assertIn(b"<Code>%s</Code>" % code.encode(), body)

    def assert_untouched(self):
        self.assertEqual(self.s3.get_object(Bucket="nul-bkt", Key="a")["Body"].read(), b"original")
        self.assertEqual(self.s3.get_object(Bucket="nul-bkt", Key="important")["Body"].read(), b"keep me")

    def keys(self):
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket="nul-bkt").get("Contents", []))

    # ------------------------------------------------------------------ S3

    def test_put_of_a_key_with_nul_does_not_overwrite_its_prefix(self):
        self.assert_s3_error(self.raw("PUT", "/nul-bkt/a%00b", b"evil"), "InvalidArgument")
        self.assert_untouched()
        self.assertNotIn("a\x00b", self.keys())

    def test_delete_of_a_key_with_nul_does_not_delete_its_prefix(self):
        self.assert_s3_error(self.raw("DELETE", "/nul-bkt/important%00.tmp"), "InvalidArgument")
        self.assert_untouched()

    def test_get_and_head_of_a_key_with_nul_do_not_answer_its_prefix(self):
        self.assert_s3_error(self.raw("GET", "/nul-bkt/a%00zz"), "InvalidArgument")
        self.assertEqual(self.raw("HEAD", "/nul-bkt/a%00zz")[0], 400)

    def test_bucket_name_with_nul_is_invalid(self):
        self.assert_s3_error(self.raw("PUT", "/nul-bkt%00x"), "InvalidBucketName")
        self.assert_s3_error(self.raw("GET", "/nul-bkt%00x/a"), "InvalidBucketName")
        self.assert_s3_error(self.raw("DELETE", "/nul-bkt%00x/important"), "InvalidBucketName")
        self.assertNotIn("nul-bkt\x00x", [b["Name"] for b in self.s3.list_buckets()["Buckets"]])
        self.assert_untouched()

    def test_copy_source_with_nul_is_refused(self):
        for src in ("/nul-bkt/a%00zz", "nul-bkt%00/a", "/nul-bkt/a?versionId=null%00x"):
            with self.subTest(src=src):
                self.assert_s3_error(self.raw("PUT", "/nul-bkt/copy", b"", {"x-amz-copy-source": src}),
                                     "InvalidArgument")
        self.assertNotIn("copy", self.keys())

    def test_upload_part_copy_source_with_nul_is_refused(self):
        up = self.s3.create_multipart_upload(Bucket="nul-bkt", Key="mp")["UploadId"]
        try:
            self.assert_s3_error(self.raw("PUT", f"/nul-bkt/mp?partNumber=1&uploadId={up}", b"",
                                          {"x-amz-copy-source": "/nul-bkt/a%00zz"}), "InvalidArgument")
            self.assertEqual(self.s3.list_parts(Bucket="nul-bkt", Key="mp", UploadId=up).get("Parts", []), [])
        finally:
            self.s3.abort_multipart_upload(Bucket="nul-bkt", Key="mp", UploadId=up)

    def test_listing_parameters_with_nul_are_refused(self):
        for query in ("list-type=2&prefix=a%00zz", "list-type=2&start-after=a%00", "list-type=2&delimiter=%00",
                      "list-type=2&continuation-token=a%00", "marker=a%00", "prefix=imp%00x", "versions&key-marker=a%00",
                      "versions&version-id-marker=x%00&key-marker=a", "uploads&key-marker=a%00",
                      "uploads&upload-id-marker=x%00&key-marker=a", "uploads&prefix=a%00"):
            with self.subTest(query=query):
                self.assert_s3_error(self.raw("GET", "/nul-bkt?" + query), "InvalidArgument")

    def test_query_parameter_name_with_nul_is_refused(self):
        # "prefix%00x" must not be read as "prefix"
        self.assert_s3_error(self.raw("GET", "/nul-bkt?list-type=2&prefix%00x=zzz"), "InvalidArgument")

    def test_upload_id_with_nul_is_refused(self):
        up = self.s3.create_multipart_upload(Bucket="nul-bkt", Key="mp2")["UploadId"]
        try:
            self.assert_s3_error(self.raw("DELETE", f"/nul-bkt/mp2?uploadId={up}%00x"), "InvalidArgument")
            ups = [u["UploadId"] for u in self.s3.list_multipart_uploads(Bucket="nul-bkt").get("Uploads", [])]
            self.assertIn(up, ups)
        finally:
            self.s3.abort_multipart_upload(Bucket="nul-bkt", Key="mp2", UploadId=up)

    def test_delete_objects_with_nul_in_a_key_deletes_nothing(self):
        body = b"<Delete><Object><Key>important&#0;.tmp</Key></Object></Delete>"
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        status, data = self.raw("POST", "/nul-bkt?delete", body, {"Content-MD5": md5})
        self.assertEqual(status, 400, data)
        self.assertIn(b"<Code>MalformedXML</Code>", data)
        self.assert_untouched()

    def test_post_form_key_with_nul_is_refused(self):
        boundary = "nulboundary"
        parts = [("key", b"important\x00.tmp"), ("file", b"evil")]
        body = b""
        for name, value in parts:
            extra = b'; filename="f"' if name == "file" else b""
            body += b"--%s\r\nContent-Disposition: form-data; name=\"%s\"%s\r\n\r\n%s\r\n" % (
                boundary.encode(), name.encode(), extra, value)
        body += b"--%s--\r\n" % boundary.encode()
        self.assert_s3_error(self.raw("POST", "/nul-bkt", body,
                                      {"Content-Type": "multipart/form-data; boundary=" + boundary}),
                             "InvalidArgument")
        self.assert_untouched()

    def test_boto3_key_with_nul_is_refused(self):
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="nul-bkt", Key="important\x00", Body=b"evil")
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidArgument")
        self.assert_untouched()

    # ------------------------------------------------------------------ SQS

    def sqs_query(self, params):
        return self.raw("POST", "/", params.encode(), {"Content-Type": "application/x-www-form-urlencoded"}, "sqs")

    def sqs_json(self, target, doc):
        status, body = self.raw("POST", "/", json.dumps(doc).encode(), {
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS." + target}, "sqs")
        return status, json.loads(body or b"{}")

    def queue_names(self):
        return [u.rsplit("/", 1)[1] for u in self.sqs.list_queues().get("QueueUrls", [])]

    def test_sqs_queue_name_with_nul_over_query_and_json(self):
        status, body = self.sqs_query("Action=CreateQueue&Version=2012-11-05&QueueName=nulq%00x")
        self.assertEqual(status, 400, body)
        self.assertIn(b"<Code>InvalidParameterValue</Code>", body)
        status, doc = self.sqs_json("CreateQueue", {"QueueName": "nulq\x00x"})
        self.assertEqual(status, 400, doc)
        self.assertNotIn("nulq", self.queue_names())

    def test_sqs_get_queue_url_with_nul_does_not_find_the_prefix(self):
        self.sqs.create_queue(QueueName="nulget")
        status, body = self.sqs_query("Action=GetQueueUrl&Version=2012-11-05&QueueName=nulget%00x")
        self.assertEqual(status, 400, body)
        self.assertNotIn(b"<QueueUrl>", body)
        status, doc = self.sqs_json("GetQueueUrl", {"QueueName": "nulget\x00x"})
        self.assertEqual(status, 400, doc)
        self.assertNotIn("QueueUrl", doc)

    def test_sqs_queue_url_with_nul_does_not_reach_the_prefix(self):
        url = self.sqs.create_queue(QueueName="nulsend")["QueueUrl"]
        status, doc = self.sqs_json("SendMessage", {"QueueUrl": url + "\x00x", "MessageBody": "m"})
        self.assertEqual(status, 400, doc)
        status, body = self.sqs_query("Action=DeleteQueue&Version=2012-11-05&QueueUrl=%s%%00x" % url)
        self.assertEqual(status, 400, body)
        self.assertIn("nulsend", self.queue_names())
        self.assertEqual(self.sqs.receive_message(QueueUrl=url).get("Messages", []), [])

    def test_sqs_attribute_and_message_attribute_names_with_nul(self):
        url = self.sqs.create_queue(QueueName="nulattr")["QueueUrl"]
        status, body = self.sqs_query("Action=SendMessage&Version=2012-11-05&QueueUrl=%s&MessageBody=m"
                                      "&MessageAttribute.1.Name=a%%00b&MessageAttribute.1.Value.DataType=String"
                                      "&MessageAttribute.1.Value.StringValue=v" % url)
        self.assertEqual(status, 400, body)
        status, body = self.sqs_query("Action=SetQueueAttributes&Version=2012-11-05&QueueUrl=%s"
                                      "&Attribute.1.Name=DelaySeconds%%00x&Attribute.1.Value=5" % url)
        self.assertEqual(status, 400, body)
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]
        self.assertEqual(attrs["DelaySeconds"], "0")
        self.assertEqual(self.sqs.receive_message(QueueUrl=url).get("Messages", []), [])

    def test_sqs_receipt_handle_with_nul_is_refused(self):
        url = self.sqs.create_queue(QueueName="nulrh")["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody="m")
        rh = self.sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
        status, doc = self.sqs_json("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": rh + "\x00x"})
        self.assertEqual(status, 400, doc)
        self.assertEqual(len(self.sqs.receive_message(QueueUrl=url).get("Messages", [])), 1)

    def test_sqs_message_body_with_nul_keeps_its_own_error(self):
        url = self.sqs.create_queue(QueueName="nulbody")["QueueUrl"]
        status, doc = self.sqs_json("SendMessage", {"QueueUrl": url, "MessageBody": "a\x00b"})
        self.assertEqual(status, 400, doc)
        self.assertIn("InvalidMessageContents", doc.get("__type", ""))

    # ------------------------------------------------------------------ STS

    def test_sts_role_session_name_with_nul_is_refused(self):
        status, body = self.raw("POST", "/", b"Action=AssumeRole&Version=2011-06-15"
                                b"&RoleArn=arn:aws:iam::000000000000:role/r&RoleSessionName=s%00x",
                                {"Content-Type": "application/x-www-form-urlencoded"}, "sts")
        self.assertEqual(status, 400, body)


if __name__ == "__main__":
    unittest.main()
