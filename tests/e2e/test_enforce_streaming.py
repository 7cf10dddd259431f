"""ENFORCE_IAM=1 and the signed forms test_enforce_signatures.py leaves out: S3 uploads signed chunk
by chunk (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, and -TRAILER with a signed
checksum trailer) with an IAM user's key and an assumed role's, each chunk's signature chained from
the seed; a tampered chunk signature, tampered data or a wrong trailer signature is S3's
SignatureDoesNotMatch and stores nothing; without ENFORCE_IAM, or with the root key, the same
tampered upload is taken as before. Presigned GETs with an IAM user's key: the key's secret signs,
a wrong one is refused, a URL missing a parameter is AuthorizationQueryParametersError.

botocore signs no chunks (it sends STREAMING-UNSIGNED-PAYLOAD-TRAILER at most), so the upload is
framed here the way the Java and Go SDKs frame it: the headers signed by botocore's SigV4 with the
STREAMING-* payload line, each chunk signed per AWS's sigv4-streaming description (the chain is
checked against AWS's published example in tests/unit/test_sigv4_canonical.c)."""
import base64, binascii, hashlib, hmac, http.client, os, sys, unittest, urllib.error, urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from nimbus_server import Nimbus  # noqa: E402
from test_enforce_signatures import Keys, client, wrong  # noqa: E402

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
S3_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your key and "
               "signing method.")
SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"


def signing_key(secret, date, region="us-east-1", service="s3"):
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def sign(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def frame(data, chunk, key, amz_date, scope, seed, trailer=None, tamper=None):
    """The aws-chunked body: each chunk signed from the previous signature; trailer: (name, value)
    lines signed after the last chunk. tamper(index, sig, piece) -> (sig, piece) alters a chunk."""
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    prev, out = seed, b""
    for i, piece in enumerate(pieces):
        sig = sign(key, "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA256,
                                   hashlib.sha256(piece).hexdigest()]))
        prev = sig
        if tamper:
            sig, piece = tamper(i, sig, piece)
        out += b"%x;chunk-signature=%s\r\n" % (len(piece), sig.encode()) + piece + (b"\r\n" if piece else b"")
    if trailer is None:
        return out + b"\r\n"
    text = "".join("%s:%s\n" % (n, v) for n, v in trailer["lines"])
    sig = trailer.get("signature") or sign(key, "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev,
                                                           hashlib.sha256(text.encode()).hexdigest()]))
    for n, v in trailer["lines"]:
        out += ("%s:%s\r\n" % (n, v)).encode()
    return out + ("x-amz-trailer-signature:%s\r\n\r\n" % sig).encode()


def streaming_put(url, bucket, name, data, creds, chunk=65536, trailer=None, tamper=None, wrong_secret=False):
    """A PutObject signed chunk by chunk: (status, body)."""
    akid, secret, token = creds
    payload = SIGNED_TRAILER if trailer else SIGNED
    target = "%s/%s/%s" % (url, bucket, name)
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
               "X-Amz-Content-SHA256": payload}
    if trailer:
        headers["x-amz-trailer"] = ",".join(n for n, _ in trailer["lines"])
    # the framed length does not depend on the signatures' values (64 hex digits each): framed once
    # with placeholders to learn it, so Content-Length is signed too
    placeholder = frame(data, chunk, b"k", "d", "s", "0" * 64, trailer and dict(trailer, signature="0" * 64), tamper)
    headers["Content-Length"] = str(len(placeholder))
    req = AWSRequest("PUT", target, headers=headers)
    SigV4Auth(Credentials(akid, wrong(secret) if wrong_secret else secret, token), "s3", "us-east-1").add_auth(req)
    auth = req.headers["Authorization"]
    seed = auth.split("Signature=")[1].strip()
    amz_date = req.headers["X-Amz-Date"]
    scope = "%s/us-east-1/s3/aws4_request" % amz_date[:8]
    body = frame(data, chunk, signing_key(secret, amz_date[:8]), amz_date, scope, seed, trailer, tamper)
    assert len(body) == len(placeholder)
    parts = urllib.parse.urlsplit(target)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("PUT", parts.path, skip_accept_encoding=True)  # Host: as botocore signed it
        for k, v in req.headers.items():
            conn.putheader(k, v.decode() if isinstance(v, bytes) else v)
        conn.endheaders()
        conn.send(body)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def crc32_b64(data):
    return base64.b64encode(binascii.crc32(data).to_bytes(4, "big")).decode()


DATA = bytes(range(256)) * 700  # 179,200 bytes: two full 64 KiB chunks and a partial one


class Streaming(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # a small spill threshold: the larger uploads are checked from their temp file
        cls.server = Nimbus(ENFORCE_IAM="1", NIMBUS_BODY_SPILL_THRESHOLD="65536").start()
        cls.url = cls.server.url
        cls.keys = Keys(cls.url, "stream")
        cls.s3 = client(cls.url, "s3")
        cls.s3.create_bucket(Bucket="stream")

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0 or "Sanitizer" in cls.server.output or "runtime error" in cls.server.output:
            raise AssertionError("the server exited %s:\n%s" % (rc, cls.server.output[-4000:]))

    def stored(self, name):
        try:
            return self.s3.get_object(Bucket="stream", Key=name)["Body"].read()
        except ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], "NoSuchKey")
            return None

    def assert_mismatch(self, status, body):
        self.assertEqual(status, 403, body)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        self.assertIn("<Message>%s</Message>" % S3_MISMATCH, body)

    def test_signed_chunks_upload_with_issued_keys(self):
        for who, creds in (("user", self.keys.user), ("role", self.keys.role)):
            for size in (len(DATA), 10, 0):
                with self.subTest(key=who, size=size):
                    name = "ok-%s-%d" % (who, size)
                    status, body = streaming_put(self.url, "stream", name, DATA[:size], creds)
                    self.assertEqual(status, 200, body)
                    self.assertEqual(self.stored(name), DATA[:size])

    def test_small_chunks(self):
        status, body = streaming_put(self.url, "stream", "small", DATA[:5000], self.keys.user, chunk=1000)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.stored("small"), DATA[:5000])

    def test_tampered_chunk_signature(self):
        for index in (0, 1, 3):  # first, middle, the final empty chunk
            with self.subTest(chunk=index):
                name = "bad-sig-%d" % index

                def flip(i, sig, piece):
                    return (wrong(sig) if i == index else sig), piece
                status, body = streaming_put(self.url, "stream", name, DATA, self.keys.role, tamper=flip)
                self.assert_mismatch(status, body)
                self.assertIsNone(self.stored(name))

    def test_tampered_data(self):
        def alter(i, sig, piece):
            return sig, (piece[:-1] + b"!" if i == 1 else piece)
        status, body = streaming_put(self.url, "stream", "bad-data", DATA, self.keys.user, tamper=alter)
        self.assert_mismatch(status, body)
        self.assertIsNone(self.stored("bad-data"))

    def test_wrong_secret_seed(self):
        status, body = streaming_put(self.url, "stream", "bad-seed", DATA, self.keys.user, wrong_secret=True)
        self.assert_mismatch(status, body)

    def test_signed_trailer(self):
        trailer = {"lines": [("x-amz-checksum-crc32", crc32_b64(DATA))]}
        status, body = streaming_put(self.url, "stream", "trailer", DATA, self.keys.role, trailer=trailer)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.stored("trailer"), DATA)
        bad = dict(trailer, signature="0" * 64)
        status, body = streaming_put(self.url, "stream", "trailer-bad", DATA, self.keys.role, trailer=bad)
        self.assert_mismatch(status, body)
        self.assertIsNone(self.stored("trailer-bad"))

    def test_root_key_is_not_checked(self):
        def flip(i, sig, piece):
            return wrong(sig), piece
        status, body = streaming_put(self.url, "stream", "root", DATA, ("test", "test", None), tamper=flip)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.stored("root"), DATA)

    def test_presigned_get_with_iam_user_key(self):
        key, secret, _ = self.keys.user
        self.s3.put_object(Bucket="stream", Key="pre", Body=b"presigned by a user")
        # boto3 1.29 presigns S3 with SigV2 unless told; both forms are checked with the key's secret
        for version in ("s3", "s3v4"):
            with self.subTest(signature_version=version):
                def presign(secret):
                    c = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=key,
                                     aws_secret_access_key=secret,
                                     config=Config(signature_version=version, s3={"addressing_style": "path"}))
                    return c.generate_presigned_url("get_object", Params={"Bucket": "stream", "Key": "pre"})
                url = presign(secret)
                self.assertIn("X-Amz-Credential=" if version == "s3v4" else "AWSAccessKeyId=", url)
                self.assertEqual(urllib.request.urlopen(url).read(), b"presigned by a user")
                with self.assertRaises(urllib.error.HTTPError) as cm:
                    urllib.request.urlopen(presign(wrong(secret)))
                self.assertEqual(cm.exception.code, 403)
                self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", cm.exception.read())
        cut = presign(secret).replace("X-Amz-Expires=", "X-Amz-Gone=")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(cut)
        self.assertEqual(cm.exception.code, 400)
        self.assertIn(b"<Code>AuthorizationQueryParametersError</Code>", cm.exception.read())


class NotEnforced(unittest.TestCase):
    def test_tampered_chunks_taken_without_enforce_iam(self):
        with Nimbus() as n:
            keys = Keys(n.url, "free")
            client(n.url, "s3").create_bucket(Bucket="free")

            def flip(i, sig, piece):
                return wrong(sig), piece
            status, body = streaming_put(n.url, "free", "k", DATA, keys.user, tamper=flip)
            self.assertEqual(status, 200, body)
            self.assertEqual(client(n.url, "s3").get_object(Bucket="free", Key="k")["Body"].read(), DATA)


if __name__ == "__main__":
    unittest.main()
