"""End-to-end gzip request bodies: a body sent with Content-Encoding: gzip (as SDKs send when request
compression is on) is decoded before it is parsed, for the json and query protocols, also inside
aws-chunked framing in either order the header lists them; the decoded body is held to the same limit
as an uncompressed one (a gzip bomb gets the too-large error while the server's memory stays small);
a body that is not gzip gets a 400; an S3 object stored with Content-Encoding: gzip stays as sent."""
import gzip, http.client, json, os, subprocess, sys, tempfile, unittest, urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, newer_python  # noqa: E402

# Run by a botocore >= 1.32 (request compression): its own compressor gzips SQS SendMessage (json)
# and STS GetCallerIdentity (query), given the requestcompression trait CloudWatch PutMetricData has in
# AWS's model (no service Nimbus ships has it), through AWS_DATA_PATH copies of the two models.
BOTOCORE_CLIENT = r"""
import json, os, sys, tempfile
import boto3, botocore.session
from botocore.config import Config
url, queue_url = sys.argv[1], sys.argv[2]
data = tempfile.mkdtemp()
loader = botocore.session.get_session().get_component("data_loader")
for svc, op in (("sqs", "SendMessage"), ("sts", "GetCallerIdentity")):
    version = loader.list_api_versions(svc, "service-2")[-1]
    model = loader.load_service_model(svc, "service-2", version)
    model["operations"][op]["requestcompression"] = {"encodings": ["gzip"]}
    os.makedirs(os.path.join(data, svc, version))
    with open(os.path.join(data, svc, version, "service-2.json"), "w") as f:
        json.dump(model, f)
os.environ["AWS_DATA_PATH"] = data
sent = []
cfg = Config(request_min_compression_size_bytes=1, disable_request_compression=False)
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
session = boto3.session.Session()
session.events.register("before-send", lambda request, **_: sent.append(request.headers.get("Content-Encoding")))
sqs, sts = session.client("sqs", **kw), session.client("sts", **kw)
body = "compressed by botocore " * 200
sqs.send_message(QueueUrl=queue_url, MessageBody=body)
got = sqs.receive_message(QueueUrl=queue_url)["Messages"][0]["Body"]
who = sts.get_caller_identity()
print(json.dumps({"sent": [e.decode() if isinstance(e, bytes) else e for e in sent], "same": got == body,
                  "account": who["Account"]}))
"""

AUTH = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=0"
STRUCTURED_LIMIT = 64 * 1024


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def aws_chunked(data, piece=100):
    out = b""
    for i in range(0, len(data), piece):
        chunk = data[i:i + piece]
        out += b"%x;chunk-signature=%s\r\n" % (len(chunk), b"0" * 64) + chunk + b"\r\n"
    return out + b"0;chunk-signature=" + b"0" * 64 + b"\r\n\r\n"


class GzipBodies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="sqs,s3,sts", NIMBUS_MAX_STRUCTURED_BODY_SIZE=str(STRUCTURED_LIMIT)).start()
        cls.queue_url = json.loads(cls.sqs_json("CreateQueue", {"QueueName": "gz"}, gz=False)[2])["QueueUrl"]

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    @classmethod
    def post(cls, path, body, headers):
        c = http.client.HTTPConnection("127.0.0.1", cls.n.port, timeout=30)
        c.request("POST", path, body=body, headers=headers)
        r = c.getresponse()
        out = (r.status, dict(r.getheaders()), r.read().decode())
        c.close()
        return out

    @classmethod
    def sqs_json(cls, action, params, gz=True, encoding="gzip", raw=None):
        body = raw if raw is not None else json.dumps(params).encode()
        if gz and raw is None:
            body = gzip.compress(body)
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS." + action,
                   "Authorization": AUTH % "sqs"}
        if gz:
            headers["Content-Encoding"] = encoding
        return cls.post("/", body, headers)

    def test_json_send_message(self):
        text = "hello gzip " * 500
        status, _, body = self.sqs_json("SendMessage", {"QueueUrl": self.queue_url, "MessageBody": text})
        self.assertEqual(status, 200, body)
        status, _, body = self.sqs_json("ReceiveMessage", {"QueueUrl": self.queue_url}, gz=False)
        self.assertEqual(json.loads(body)["Messages"][0]["Body"], text)
        self.sqs_json("PurgeQueue", {"QueueUrl": self.queue_url}, gz=False)

    def test_botocore_compressed_requests(self):
        py = newer_python((1, 32))
        if py is None:
            self.skipTest("no botocore >= 1.32 here to compress requests")
        r = subprocess.run([py, "-c", BOTOCORE_CLIENT, self.n.url, self.queue_url], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        out = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(out["sent"][0], "gzip")  # botocore did compress SendMessage
        self.assertEqual(out["sent"][-1], "gzip")  # and GetCallerIdentity
        self.assertTrue(out["same"])
        self.assertRegex(out["account"], r"^\d{12}$")
        self.sqs_json("PurgeQueue", {"QueueUrl": self.queue_url}, gz=False)

    def test_query_send_message(self):
        form = urllib.parse.urlencode({"Action": "SendMessage", "Version": "2012-11-05",
                                       "QueueUrl": self.queue_url, "MessageBody": "via query"}).encode()
        status, _, body = self.post("/", gzip.compress(form), {
            "Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip",
            "Authorization": AUTH % "sqs"})
        self.assertEqual(status, 200, body)
        self.assertIn("<MD5OfMessageBody>", body)
        status, _, body = self.sqs_json("ReceiveMessage", {"QueueUrl": self.queue_url}, gz=False)
        self.assertEqual(json.loads(body)["Messages"][0]["Body"], "via query")
        self.sqs_json("PurgeQueue", {"QueueUrl": self.queue_url}, gz=False)

    def test_inside_aws_chunked_either_order(self):
        for encoding in ("aws-chunked,gzip", "gzip,aws-chunked"):
            with self.subTest(encoding=encoding):
                raw = aws_chunked(gzip.compress(json.dumps({"QueueName": "gz-chunked"}).encode()))
                status, _, body = self.sqs_json("GetQueueUrl", None, encoding=encoding, raw=raw)
                self.assertEqual(status, 400, body)  # parsed: the queue does not exist
                self.assertIn("QueueDoesNotExist", body)
                status, _, body = self.sqs_json("GetQueueUrl", None, encoding=encoding,
                                                raw=aws_chunked(gzip.compress(json.dumps({"QueueName": "gz"}).encode())))
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body)["QueueUrl"], self.queue_url)

    def test_corrupt_body(self):
        status, _, body = self.sqs_json("GetQueueUrl", None, raw=b"\x1f\x8b\x08\x00garbage, not deflate")
        self.assertEqual(status, 400, body)
        self.assertIn("SerializationException", body)
        cut = gzip.compress(json.dumps({"QueueName": "gz"}).encode())[:-6]
        status, _, body = self.sqs_json("GetQueueUrl", None, raw=cut)
        self.assertEqual(status, 400, body)

    def test_decoded_size_limit_and_bomb(self):
        # just over the limit decoded: the same status as the same body sent as it is (which the
        # server refuses from its head, with no body; the decoded one names RequestEntityTooLarge)
        big = json.dumps({"QueueUrl": self.queue_url, "MessageBody": "x" * STRUCTURED_LIMIT}).encode()
        plain = self.sqs_json("SendMessage", None, gz=False, raw=big)
        packed = self.sqs_json("SendMessage", None, raw=gzip.compress(big))
        self.assertEqual(plain[0], 413)
        self.assertEqual(packed[0], 413, packed[2])
        self.assertIn("RequestEntityTooLarge", packed[2])
        # 10 MiB of zeros in ~10 KiB: refused, and the server does not hold 10 MiB for it
        bomb = gzip.compress(b"\0" * (10 * 1024 * 1024), 9)
        self.assertLess(len(bomb), 32 * 1024)
        before = rss_mib(self.n.proc.pid)
        for _ in range(5):
            status, _, body = self.sqs_json("SendMessage", None, raw=bomb)
            self.assertEqual(status, 413, body)
        grown = rss_mib(self.n.proc.pid) - before
        print("RSS before the bombs %.1f MiB, grown by %.1f MiB" % (before, grown))
        self.assertLess(grown, 4)

    def test_query_corrupt_body(self):
        status, _, body = self.post("/?Action=GetCallerIdentity&Version=2011-06-15", b"\x1f\x8b\x08\x00garbage", {
            "Content-Type": "application/x-www-form-urlencoded", "Content-Encoding": "gzip", "Authorization": AUTH % "sts"})
        self.assertEqual(status, 400, body)
        self.assertIn("<Code>MalformedQueryString</Code>", body)

    def test_rest_xml_body(self):
        s3 = {"Authorization": AUTH % "s3"}
        c = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=30)
        c.request("PUT", "/gztags", headers=s3)
        c.getresponse().read()
        tagging = (b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>k</Key>'
                   b'<Value>gzip</Value></Tag></TagSet></Tagging>')
        c.request("PUT", "/gztags?tagging", body=gzip.compress(tagging), headers=dict(s3, **{"Content-Encoding": "gzip"}))
        r = c.getresponse()
        self.assertEqual(r.status, 204, r.read())
        r.read()
        c.request("GET", "/gztags?tagging", headers=s3)
        self.assertIn(b"<Value>gzip</Value>", c.getresponse().read())
        c.request("PUT", "/gztags?tagging", body=b"\x1f\x8b\x08\x00garbage", headers=dict(s3, **{"Content-Encoding": "gzip"}))
        r = c.getresponse()
        self.assertEqual(r.status, 400)
        self.assertIn(b"<Code>InvalidRequest</Code>", r.read())
        c.close()

    def test_s3_object_stays_gzip(self):
        s3 = {"Authorization": AUTH % "s3"}
        c = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=30)
        c.request("PUT", "/gzbucket", headers=s3)
        self.assertEqual(c.getresponse().read() is not None, True)
        packed = gzip.compress(b"object text " * 100)
        c.request("PUT", "/gzbucket/obj.txt", body=packed, headers=dict(s3, **{"Content-Encoding": "gzip"}))
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        c.request("GET", "/gzbucket/obj.txt", headers=s3)
        r = c.getresponse()
        self.assertEqual(r.read(), packed)
        self.assertEqual(r.getheader("Content-Encoding"), "gzip")
        c.close()


if __name__ == "__main__":
    unittest.main()
