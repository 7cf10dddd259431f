"""End-to-end S3: the built server driven by the AWS CLIs, boto3, raw HTTP (aws-chunked) and the JS SDK."""
import base64, hashlib, http.client, json, os, shutil, signal, subprocess, sys, tempfile, unittest, zlib

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, aws_clis, aws_env, run_aws, newer_python  # noqa: E402
from npm_ci import npm_ci  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

MiB = 1024 * 1024


def client(url):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))


def err(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]
    raise AssertionError("no error")


def chunked(data, trailer=None, chunk=64 * 1024):
    """An aws-chunked body (unsigned, optional trailer) as the JS SDK sends for streams."""
    out = b""
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    out += b"0\r\n"
    if trailer:
        out += trailer.encode() + b"\r\n"
    return out + b"\r\n"


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _crc_table(poly):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C, _CRC64NVME = _crc_table(0x82F63B78), _crc_table(0x9A6C9329AC4BC9B5)


def crc_b64(data, alg):
    """CRC32C or CRC64NVME (reflected, init and xorout all ones) of data, base64 as S3 sends it."""
    table, width = (_CRC32C, 4) if alg == "CRC32C" else (_CRC64NVME, 8)
    mask = (1 << (8 * width)) - 1
    c = mask
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return base64.b64encode((c ^ mask).to_bytes(width, "big")).decode()


class S3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nimbus-s3-e2e-")
        cls.n = Nimbus(SERVICES="s3").start()
        cls.s3 = client(cls.n.url)

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def bucket(self, name):
        self.s3.create_bucket(Bucket=name)
        return name

    def raw(self, method, path, body=b"", headers=None, conn=None):
        c = conn or http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=30)
        h = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, "
                              "SignedHeaders=host, Signature=0"}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, dict(r.getheaders()), data

    # ------------------------------------------------------------ buckets

    def test_bucket_lifecycle_and_errors(self):
        b = self.bucket("life-cycle-bkt")
        names = [x["Name"] for x in self.s3.list_buckets()["Buckets"]]
        self.assertIn(b, names)
        self.s3.head_bucket(Bucket=b)
        self.assertIsNone(self.s3.get_bucket_location(Bucket=b).get("LocationConstraint"))
        code, status, e = err(self.s3.create_bucket, Bucket="Bad_Name")
        self.assertEqual((code, status), ("InvalidBucketName", 400))
        code, status, e = err(self.s3.list_objects_v2, Bucket="no-such-bkt-x")
        self.assertEqual((code, status, e.get("BucketName")), ("NoSuchBucket", 404, "no-such-bkt-x"))
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        code, status, _ = err(self.s3.delete_bucket, Bucket=b)
        self.assertEqual((code, status), ("BucketNotEmpty", 409))
        self.s3.delete_object(Bucket=b, Key="k")
        self.s3.delete_bucket(Bucket=b)
        code, status, _ = err(self.s3.head_bucket, Bucket=b)
        self.assertEqual(status, 404)

    def test_bucket_in_other_region_and_subresources(self):
        s3w = boto3.client("s3", endpoint_url=self.n.url, region_name="eu-west-1", aws_access_key_id="test",
                           aws_secret_access_key="test")
        s3w.create_bucket(Bucket="eu-bkt-1", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.assertEqual(s3w.get_bucket_location(Bucket="eu-bkt-1")["LocationConstraint"], "eu-west-1")
        code, status, _ = err(s3w.create_bucket, Bucket="eu-bkt-1",
                              CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.assertEqual((code, status), ("BucketAlreadyOwnedByYou", 409))
        code, status, _ = err(s3w.get_bucket_tagging, Bucket="eu-bkt-1")
        self.assertEqual((code, status), ("NoSuchTagSet", 404))
        s3w.put_bucket_tagging(Bucket="eu-bkt-1", Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})
        self.assertEqual(s3w.get_bucket_tagging(Bucket="eu-bkt-1")["TagSet"], [{"Key": "a", "Value": "1"}])
        s3w.put_bucket_policy(Bucket="eu-bkt-1", Policy='{"Version":"2012-10-17","Statement":[]}')
        self.assertIn("2012-10-17", s3w.get_bucket_policy(Bucket="eu-bkt-1")["Policy"])
        rules = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]
        s3w.put_bucket_cors(Bucket="eu-bkt-1", CORSConfiguration={"CORSRules": rules})
        self.assertEqual(s3w.get_bucket_cors(Bucket="eu-bkt-1")["CORSRules"][0]["AllowedMethods"], ["GET"])
        s3w.delete_bucket_cors(Bucket="eu-bkt-1")
        self.assertEqual(err(s3w.get_bucket_cors, Bucket="eu-bkt-1")[0], "NoSuchCORSConfiguration")
        self.assertEqual(s3w.get_bucket_acl(Bucket="eu-bkt-1")["Grants"][0]["Permission"], "FULL_CONTROL")

    def test_acls_are_stored_and_returned(self):
        all_users = "http://acs.amazonaws.com/groups/global/AllUsers"

        def grants(acl):
            return sorted((g["Grantee"]["Type"], g["Grantee"].get("URI") or g["Grantee"].get("ID"), g["Permission"])
                          for g in acl["Grants"])
        owner = self.s3.get_bucket_acl(Bucket=self.bucket("acl-bkt"))["Owner"]["ID"]
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket="acl-bkt")), [("CanonicalUser", owner, "FULL_CONTROL")])
        self.s3.put_bucket_acl(Bucket="acl-bkt", ACL="public-read")
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket="acl-bkt")),
                         [("CanonicalUser", owner, "FULL_CONTROL"), ("Group", all_users, "READ")])
        self.s3.put_bucket_acl(Bucket="acl-bkt", GrantWrite='uri="http://acs.amazonaws.com/groups/s3/LogDelivery"',
                               GrantFullControl='id="%s"' % owner)
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket="acl-bkt")),
                         [("CanonicalUser", owner, "FULL_CONTROL"),
                          ("Group", "http://acs.amazonaws.com/groups/s3/LogDelivery", "WRITE")])
        self.s3.put_bucket_acl(Bucket="acl-bkt", AccessControlPolicy={"Owner": {"ID": owner}, "Grants": [
            {"Grantee": {"Type": "Group", "URI": all_users}, "Permission": "READ_ACP"}]})
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket="acl-bkt")), [("Group", all_users, "READ_ACP")])
        self.assertEqual(err(self.s3.put_bucket_acl, Bucket="acl-bkt", ACL="public-read",
                             GrantRead='uri="%s"' % all_users)[:2], ("InvalidRequest", 400))
        self.s3.create_bucket(Bucket="acl-bkt-2", ACL="public-read-write")
        self.assertEqual(grants(self.s3.get_bucket_acl(Bucket="acl-bkt-2"))[1:],
                         [("Group", all_users, "READ"), ("Group", all_users, "WRITE")])
        # objects: PutObject, PutObjectAcl, CopyObject, CreateMultipartUpload
        self.s3.put_object(Bucket="acl-bkt", Key="pub", Body=b"x", ACL="public-read")
        self.assertEqual(grants(self.s3.get_object_acl(Bucket="acl-bkt", Key="pub")),
                         [("CanonicalUser", owner, "FULL_CONTROL"), ("Group", all_users, "READ")])
        self.assertNotIn("Grants", self.s3.head_object(Bucket="acl-bkt", Key="pub"))
        self.s3.put_object(Bucket="acl-bkt", Key="priv", Body=b"x")
        self.assertEqual(len(self.s3.get_object_acl(Bucket="acl-bkt", Key="priv")["Grants"]), 1)
        self.s3.put_object_acl(Bucket="acl-bkt", Key="priv", GrantRead='uri="%s"' % all_users)
        self.assertEqual(grants(self.s3.get_object_acl(Bucket="acl-bkt", Key="priv")), [("Group", all_users, "READ")])
        self.s3.put_object_acl(Bucket="acl-bkt", Key="priv", ACL="private")
        self.assertEqual(len(self.s3.get_object_acl(Bucket="acl-bkt", Key="priv")["Grants"]), 1)
        self.s3.copy_object(Bucket="acl-bkt", Key="copy", CopySource="acl-bkt/pub")  # a copy starts private
        self.assertEqual(len(self.s3.get_object_acl(Bucket="acl-bkt", Key="copy")["Grants"]), 1)
        self.s3.copy_object(Bucket="acl-bkt", Key="copy2", CopySource="acl-bkt/priv", ACL="authenticated-read")
        self.assertIn(("Group", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "READ"),
                      grants(self.s3.get_object_acl(Bucket="acl-bkt", Key="copy2")))
        up = self.s3.create_multipart_upload(Bucket="acl-bkt", Key="mp", ACL="public-read")["UploadId"]
        e = self.s3.upload_part(Bucket="acl-bkt", Key="mp", UploadId=up, PartNumber=1, Body=b"p")["ETag"]
        self.s3.complete_multipart_upload(Bucket="acl-bkt", Key="mp", UploadId=up,
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
        self.assertIn(("Group", all_users, "READ"), grants(self.s3.get_object_acl(Bucket="acl-bkt", Key="mp")))
        self.assertEqual(err(self.s3.put_object, Bucket="acl-bkt", Key="bad", Body=b"x", ACL="no-such-acl")[:2],
                         ("InvalidArgument", 400))
        self.assertEqual(err(self.s3.get_object_acl, Bucket="acl-bkt", Key="missing")[0], "NoSuchKey")

    def test_bucket_cors_answers_preflights(self):
        b = self.bucket("cors-rules-bkt")
        pre = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT",
               "Access-Control-Request-Headers": "X-Amz-Date, Content-Type"}
        status, _, body = self.raw("OPTIONS", "/%s/k" % b, headers=pre)  # no CORS configuration
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>AccessForbidden</Code>", body)
        self.s3.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["http://localhost:*"], "AllowedMethods": ["PUT", "GET"],
             "AllowedHeaders": ["x-amz-*", "content-type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300}]})
        for path, host in (("/%s/k" % b, None), ("/k", "%s.s3.localhost.localstack.cloud:%d" % (b, self.n.port))):
            h = dict(pre, **({"Host": host} if host else {}))
            status, headers, body = self.raw("OPTIONS", path, headers=h)
            self.assertEqual(status, 200, body)
            self.assertEqual(headers.get("Access-Control-Allow-Origin"), "http://localhost:3000")
            self.assertEqual(headers.get("Access-Control-Allow-Methods"), "PUT, GET")
            self.assertEqual(headers.get("Access-Control-Allow-Headers"), "x-amz-date, content-type")
            self.assertEqual(headers.get("Access-Control-Expose-Headers"), "ETag")
            self.assertEqual(headers.get("Access-Control-Max-Age"), "300")
        # (origins the gateway does not allow are refused before S3 sees them: tests/e2e/test_origin.py)
        for bad in ({"Origin": "http://127.0.0.1:3000"}, {"Access-Control-Request-Method": "DELETE"},
                    {"Access-Control-Request-Headers": "x-custom"}):
            status, _, body = self.raw("OPTIONS", "/%s/k" % b, headers=dict(pre, **bad))
            self.assertEqual(status, 403, bad)
            self.assertIn(b"CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
                          b"Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
                          b"are not whitelisted by the resource's CORS spec.", body)
        status, _, body = self.raw("OPTIONS", "/%s/k" % b, headers={"Access-Control-Request-Method": "PUT"})
        self.assertEqual(status, 400)
        self.assertIn(b"Origin request header needed", body)
        # An actual request with a matching Origin carries the rule's headers.
        status, headers, _ = self.raw("PUT", "/%s/k" % b, b"x", {"Origin": "http://localhost:3000"})
        self.assertEqual((status, headers.get("Access-Control-Allow-Methods")), (200, "PUT, GET"))
        self.assertEqual(headers.get("Access-Control-Expose-Headers"), "ETag")
        # Other services (and paths that are no bucket) keep the gateway's default answer.
        status, headers, _ = self.raw("OPTIONS", "/", headers=pre)
        self.assertEqual((status, headers.get("Access-Control-Allow-Origin")), (204, "http://localhost:3000"))
        status, headers, _ = self.raw("OPTIONS", "/no-such-cors-bkt/k", headers=pre)
        self.assertEqual((status, headers.get("Access-Control-Allow-Origin")), (200, "http://localhost:3000"))

    def test_logging_request_payment_accelerate_object_lock_defaults(self):
        b = self.bucket("subres-bkt")
        self.assertNotIn("LoggingEnabled", self.s3.get_bucket_logging(Bucket=b))
        self.s3.put_bucket_logging(Bucket=b, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": b, "TargetPrefix": "logs/"}})
        self.assertEqual(self.s3.get_bucket_logging(Bucket=b)["LoggingEnabled"]["TargetPrefix"], "logs/")
        self.assertEqual(self.s3.get_bucket_request_payment(Bucket=b)["Payer"], "BucketOwner")
        self.s3.put_bucket_request_payment(Bucket=b, RequestPaymentConfiguration={"Payer": "Requester"})
        self.assertEqual(self.s3.get_bucket_request_payment(Bucket=b)["Payer"], "Requester")
        self.assertNotIn("Status", self.s3.get_bucket_accelerate_configuration(Bucket=b))
        self.s3.put_bucket_accelerate_configuration(Bucket=b, AccelerateConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_accelerate_configuration(Bucket=b)["Status"], "Enabled")
        code, status, _ = err(self.s3.get_object_lock_configuration, Bucket=b)
        self.assertEqual((code, status), ("ObjectLockConfigurationNotFoundError", 404))
        self.assertEqual(err(self.s3.get_bucket_logging, Bucket="no-such-subres-bkt")[0], "NoSuchBucket")

    # ------------------------------------------------------------ objects

    def test_put_get_head_metadata_round_trip(self):
        b = self.bucket("meta-bkt")
        body = b"hello nimbus\n"
        r = self.s3.put_object(Bucket=b, Key="dir/a b+c.txt", Body=body, ContentType="text/plain",
                               CacheControl="max-age=60", ContentDisposition="inline", ContentLanguage="en",
                               Metadata={"color": "blue"})
        self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        g = self.s3.get_object(Bucket=b, Key="dir/a b+c.txt")
        self.assertEqual(g["Body"].read(), body)
        self.assertEqual(g["ContentType"], "text/plain")
        self.assertEqual(g["CacheControl"], "max-age=60")
        self.assertEqual(g["ContentDisposition"], "inline")
        self.assertEqual(g["ContentLanguage"], "en")
        self.assertEqual(g["Metadata"], {"color": "blue"})
        h = self.s3.head_object(Bucket=b, Key="dir/a b+c.txt")
        self.assertEqual(h["ContentLength"], len(body))
        self.assertEqual(h["ETag"], r["ETag"])
        g = self.s3.get_object(Bucket=b, Key="dir/a b+c.txt", ResponseContentType="application/x-test")
        self.assertEqual(g["ContentType"], "application/x-test")
        code, status, e = err(self.s3.get_object, Bucket=b, Key="missing")
        self.assertEqual((code, status, e.get("Key")), ("NoSuchKey", 404, "missing"))
        code, status, _ = err(self.s3.head_object, Bucket=b, Key="missing")
        self.assertEqual(status, 404)

    def test_ranges(self):
        b = self.bucket("range-bkt")
        data = bytes(range(256)) * 4
        self.s3.put_object(Bucket=b, Key="r", Body=data)
        g = self.s3.get_object(Bucket=b, Key="r", Range="bytes=10-19")
        self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(g["ContentRange"], "bytes 10-19/1024")
        self.assertEqual(g["Body"].read(), data[10:20])
        self.assertEqual(self.s3.get_object(Bucket=b, Key="r", Range="bytes=1000-")["Body"].read(), data[1000:])
        self.assertEqual(self.s3.get_object(Bucket=b, Key="r", Range="bytes=-5")["Body"].read(), data[-5:])
        code, status, _ = err(self.s3.get_object, Bucket=b, Key="r", Range="bytes=2000-")
        self.assertEqual((code, status), ("InvalidRange", 416))

    def test_conditionals(self):
        b = self.bucket("cond-bkt")
        etag = self.s3.put_object(Bucket=b, Key="c", Body=b"abc")["ETag"]
        self.assertEqual(self.s3.get_object(Bucket=b, Key="c", IfMatch=etag)["Body"].read(), b"abc")
        code, status, _ = err(self.s3.get_object, Bucket=b, Key="c", IfMatch='"nope"')
        self.assertEqual((code, status), ("PreconditionFailed", 412))
        code, status, _ = err(self.s3.get_object, Bucket=b, Key="c", IfNoneMatch=etag)
        self.assertEqual(status, 304)
        status, headers, body = self.raw("GET", "/%s/c" % b, headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(headers.get("ETag"), etag)

    def test_unparsable_dates_are_ignored_or_kept(self):
        import datetime
        b = self.bucket("dates-bkt")
        status, _, body = self.raw("PUT", "/%s/k" % b, b"abc", {"Expires": "not a date"})
        self.assertEqual(status, 200, body)
        for method in ("GET", "HEAD"):
            for h in ("If-Modified-Since", "If-Unmodified-Since"):
                status, headers, body = self.raw(method, "/%s/k" % b, headers={h: "garbage"})
                self.assertEqual(status, 200, (method, h, body))
                self.assertEqual(headers.get("Expires"), "not a date")
        status, _, _ = self.raw("GET", "/%s/k" % b, headers={"If-Modified-Since": "Wed, 01 Jan 2100 00:00:00 GMT"})
        self.assertEqual(status, 304)
        status, _, _ = self.raw("GET", "/%s/k" % b, headers={"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})
        self.assertEqual(status, 412)
        when = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
        self.s3.put_object(Bucket=b, Key="dated", Body=b"x", Expires=when)
        self.assertEqual(self.s3.head_object(Bucket=b, Key="dated")["Expires"], when)
        status, headers, _ = self.raw("GET", "/%s/dated?response-expires=%s" % (b, "Thu,%2002%20Jan%202031%2000:00:00%20GMT"))
        self.assertEqual(headers.get("Expires"), "Thu, 02 Jan 2031 00:00:00 GMT")

    def test_conditional_writes_and_key_length(self):
        b = self.bucket("cond-write-bkt")
        status, h, _ = self.raw("PUT", "/%s/once" % b, b"first", {"If-None-Match": "*"})
        self.assertEqual(status, 200)
        etag = h["ETag"]
        status, _, body = self.raw("PUT", "/%s/once" % b, b"second", {"If-None-Match": "*"})
        self.assertEqual(status, 412)
        self.assertIn(b"<Condition>If-None-Match</Condition>", body)
        status, _, _ = self.raw("PUT", "/%s/once" % b, b"third", {"If-Match": '"0000"'})
        self.assertEqual(status, 412)
        status, _, _ = self.raw("PUT", "/%s/once" % b, b"fourth", {"If-Match": etag})
        self.assertEqual(status, 200)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="once")["Body"].read(), b"fourth")
        code, status, _ = err(self.s3.put_object, Bucket=b, Key="k" * 1025, Body=b"x")
        self.assertEqual((code, status), ("KeyTooLongError", 400))

    def test_integrity_checks(self):
        b = self.bucket("digest-bkt")
        data = b"integrity"
        good = base64.b64encode(hashlib.md5(data).digest()).decode()
        status, _, _ = self.raw("PUT", "/%s/ok" % b, data, {"Content-MD5": good})
        self.assertEqual(status, 200)
        status, _, body = self.raw("PUT", "/%s/bad" % b, data,
                                   {"Content-MD5": base64.b64encode(hashlib.md5(b"x").digest()).decode()})
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>BadDigest</Code>", body)
        status, _, body = self.raw("PUT", "/%s/bad" % b, data, {"Content-MD5": "notbase64!"})
        self.assertIn(b"<Code>InvalidDigest</Code>", body)
        status, _, body = self.raw("PUT", "/%s/crc" % b, data, {"x-amz-checksum-crc32": crc32_b64(b"other")})
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>BadDigest</Code>", body)
        status, headers, _ = self.raw("PUT", "/%s/crc" % b, data, {"x-amz-checksum-crc32": crc32_b64(data)})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("x-amz-checksum-crc32"), crc32_b64(data))
        h = self.s3.head_object(Bucket=b, Key="crc", ChecksumMode="ENABLED")
        self.assertEqual(h.get("ChecksumCRC32"), crc32_b64(data))
        self.assertEqual(err(self.s3.head_object, Bucket=b, Key="bad")[1], 404)

    def test_aws_chunked_with_trailer(self):
        b = self.bucket("chunked-bkt")
        data = os.urandom(300 * 1024 + 7)
        headers = {"Content-Encoding": "aws-chunked", "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                   "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": str(len(data)),
                   "x-amz-sdk-checksum-algorithm": "CRC32"}
        status, h, body = self.raw("PUT", "/%s/streamed" % b,
                                   chunked(data, "x-amz-checksum-crc32:" + crc32_b64(data)), headers)
        self.assertEqual(status, 200, body)
        g = self.s3.get_object(Bucket=b, Key="streamed")
        self.assertEqual(g["Body"].read(), data)
        self.assertNotIn("ContentEncoding", g)
        self.assertEqual(g["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
        # A wrong trailer leaves no object.
        status, _, body = self.raw("PUT", "/%s/wrong" % b, chunked(data, "x-amz-checksum-crc32:AAAAAA=="), headers)
        self.assertEqual(status, 400)
        self.assertIn(b"BadDigest", body)
        self.assertEqual(err(self.s3.head_object, Bucket=b, Key="wrong")[1], 404)
        # Signed chunks (chunk-signature extensions) decode the same.
        signed = b"".join(b"%x;chunk-signature=%s\r\n" % (len(p), b"0" * 64) + p + b"\r\n"
                          for p in (data[:70000], data[70000:])) + b"0;chunk-signature=" + b"0" * 64 + b"\r\n\r\n"
        status, _, body = self.raw("PUT", "/%s/signed" % b, signed, {
            "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "x-amz-decoded-content-length": str(len(data))})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="signed")["Body"].read(), data)

    def test_failed_upload_keeps_connection_usable(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=30)
        status, _, body = self.raw("PUT", "/no-such-bucket-conn/k", os.urandom(2 * MiB), conn=conn)
        self.assertEqual(status, 404)
        self.assertIn(b"NoSuchBucket", body)
        status, _, _ = self.raw("GET", "/", conn=conn)
        self.assertEqual(status, 200)
        conn.close()

    def test_client_leaving_during_async_ingest(self):
        """A large body is hashed on the thread pool; the client closing meanwhile must not hurt the server."""
        import socket, time
        b = self.bucket("leave-bkt")
        body = os.urandom(10 * MiB)
        for i in range(2):
            s = socket.create_connection(("127.0.0.1", self.n.port))
            s.sendall(("PUT /%s/k%d HTTP/1.1\r\nHost: localhost\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20240101/"
                       "us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: %d\r\n\r\n"
                       % (b, i, len(body))).encode())
            s.sendall(body)
            s.close()
        # both bodies arrived whole before the close: both are stored, once hashed (polled, not slept)
        deadline = time.monotonic() + 10
        while self.s3.list_objects_v2(Bucket=b).get("KeyCount") != 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual([o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]], ["k0", "k1"])
        for k in ("k0", "k1"):
            self.assertEqual(self.s3.get_object(Bucket=b, Key=k)["Body"].read(), body)

    def test_copy_delete_objects_and_tags(self):
        b = self.bucket("copy-bkt")
        self.s3.put_object(Bucket=b, Key="src", Body=b"copy me", Metadata={"m": "1"}, Tagging="t=v")
        r = self.s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src"})
        self.assertEqual(r["CopyObjectResult"]["ETag"], '"%s"' % hashlib.md5(b"copy me").hexdigest())
        g = self.s3.get_object(Bucket=b, Key="dst")
        self.assertEqual((g["Body"].read(), g["Metadata"]), (b"copy me", {"m": "1"}))
        self.s3.copy_object(Bucket=b, Key="dst2", CopySource="%s/src" % b, MetadataDirective="REPLACE",
                            Metadata={"m": "2"})
        self.assertEqual(self.s3.head_object(Bucket=b, Key="dst2")["Metadata"], {"m": "2"})
        self.assertEqual(err(self.s3.copy_object, Bucket=b, Key="src", CopySource="%s/src" % b)[0], "InvalidRequest")
        self.assertEqual(err(self.s3.copy_object, Bucket=b, Key="x", CopySource="%s/none" % b)[0], "NoSuchKey")
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="src")["TagSet"], [{"Key": "t", "Value": "v"}])
        self.s3.put_object_tagging(Bucket=b, Key="src", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
        self.assertEqual(self.s3.get_object_tagging(Bucket=b, Key="src")["TagSet"], [{"Key": "x", "Value": "y"}])
        big = os.urandom(9 * MiB)
        self.s3.put_object(Bucket=b, Key="big", Body=big)
        r = self.s3.copy_object(Bucket=b, Key="big-copy", CopySource="%s/big" % b)
        self.assertEqual(r["CopyObjectResult"]["ETag"], '"%s"' % hashlib.md5(big).hexdigest())
        self.assertEqual(self.s3.get_object(Bucket=b, Key="big-copy")["Body"].read(), big)
        self.s3.copy({"Bucket": b, "Key": "big"}, b, "big-managed")  # UploadPartCopy of 8 MiB parts
        self.assertEqual(self.s3.get_object(Bucket=b, Key="big-managed")["Body"].read(), big)
        self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": k} for k in ("big", "big-copy", "big-managed")]})
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "src"}, {"Key": "dst"}, {"Key": "nope"}]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), ["dst", "nope", "src"])
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "dst2"}], "Quiet": True})
        self.assertNotIn("Deleted", r)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=b))

    def test_presigned_urls_and_virtual_hosts(self):
        import re, urllib.request, urllib.error
        b = self.bucket("presign-bkt")
        self.s3.put_object(Bucket=b, Key="k", Body=b"presigned")
        for version in ("s3", "s3v4"):
            s3 = boto3.client("s3", endpoint_url=self.n.url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test", config=Config(signature_version=version))
            url = s3.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=300)
            with urllib.request.urlopen(url) as r:
                self.assertEqual(r.read(), b"presigned")
            put = s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "p-" + version}, ExpiresIn=300)
            with urllib.request.urlopen(urllib.request.Request(put, data=b"via url", method="PUT")) as r:
                self.assertEqual(r.status, 200)
            self.assertEqual(self.s3.get_object(Bucket=b, Key="p-" + version)["Body"].read(), b"via url")
            if version == "s3v4":
                expired = re.sub(r"X-Amz-Date=\d{8}T\d{6}Z", "X-Amz-Date=20200101T000000Z", url)
            else:
                expired = re.sub(r"Expires=\d+", "Expires=1577836800", url)
            with self.assertRaises(urllib.error.HTTPError) as cm:
                urllib.request.urlopen(expired)
            self.assertEqual(cm.exception.code, 403)
            body = cm.exception.read()
            self.assertIn(b"<Code>AccessDenied</Code>", body)
            self.assertIn(b"Request has expired", body)
        for host in ("%s.s3.localhost.localstack.cloud", "%s.s3.eu-west-1.localhost.localstack.cloud"):
            status, _, body = self.raw("GET", "/k", headers={"Host": host % b + ":%d" % self.n.port})
            self.assertEqual((status, body), (200, b"presigned"))

    def test_browser_post_form_upload(self):
        import urllib.request, uuid
        b = self.bucket("post-form-bkt")

        def post(fields, data, filename="hello.txt"):
            sep = uuid.uuid4().hex
            body = b"".join(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (sep, k, v)).encode()
                            for k, v in fields.items())
            body += ('--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\n'
                     'Content-Type: text/plain\r\n\r\n' % (sep, filename)).encode() + data + b"\r\n--%s--\r\n" % sep.encode()
            return self.raw("POST", "/" + b, body, {"Content-Type": "multipart/form-data; boundary=" + sep})

        form = self.s3.generate_presigned_post(b, "up/${filename}", Fields={"x-amz-meta-who": "me"},
                                               Conditions=[{"x-amz-meta-who": "me"}])
        status, headers, _ = post(form["fields"], b"hello form")
        self.assertEqual(status, 204)
        self.assertEqual(headers["ETag"], '"%s"' % hashlib.md5(b"hello form").hexdigest())
        g = self.s3.get_object(Bucket=b, Key="up/hello.txt")
        self.assertEqual((g["Body"].read(), g["ContentType"], g["Metadata"]), (b"hello form", "text/plain", {"who": "me"}))
        big = os.urandom(3 * MiB)
        status, _, body = post(dict(form["fields"], success_action_status="201"), big, "big.bin")
        self.assertEqual(status, 201)
        self.assertIn(b"<Key>up/big.bin</Key>", body)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="up/big.bin")["Body"].read(), big)
        status, _, body = post({}, b"x")
        self.assertEqual(status, 400)
        self.assertIn(b"InvalidArgument", body)

    def test_locations_path_and_virtual_host(self):
        import re, urllib.parse, uuid
        b = self.bucket("loc-bkt")
        vhost = "%s.s3.localhost.localstack.cloud:%d" % (b, self.n.port)
        key = "form/a b+c.txt"
        enc = urllib.parse.quote(key, safe="/~")
        sep = uuid.uuid4().hex
        body = "".join('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (sep, k, v) for k, v in
                       (("key", key), ("success_action_status", "201")))
        body = (body + '--%s\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\n\r\nhi\r\n--%s--\r\n'
                % (sep, sep)).encode()
        for path, host, want in (("/", vhost, "http://%s/%s" % (vhost, enc)),
                                 ("/" + b, "127.0.0.1:%d" % self.n.port, "http://127.0.0.1:%d/%s/%s" % (self.n.port, b, enc))):
            status, headers, resp = self.raw("POST", path, body, {"Host": host,
                                                                  "Content-Type": "multipart/form-data; boundary=" + sep})
            self.assertEqual(status, 201, resp)
            self.assertEqual(headers.get("Location"), want)
            self.assertIn(("<Location>%s</Location>" % want).encode(), resp)
            obj = ("/" if path == "/" else path + "/") + urllib.parse.quote(key, safe="/")
            status, _, resp = self.raw("POST", obj + "?uploads", headers={"Host": host})
            up = re.search(rb"<UploadId>([^<]+)</UploadId>", resp).group(1).decode()
            status, h, _ = self.raw("PUT", obj + "?partNumber=1&uploadId=" + up, b"part", {"Host": host})
            xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>" \
                  "</CompleteMultipartUpload>" % h["ETag"]
            status, _, resp = self.raw("POST", obj + "?uploadId=" + up, xml.encode(), {"Host": host})
            self.assertEqual(status, 200, resp)
            self.assertIn(("<Location>%s</Location>" % want).encode(), resp)

    # ------------------------------------------------------------ listing

    def test_listing_order_delimiter_pagination(self):
        b = self.bucket("list-bkt")
        keys = ["a/1", "a/2", "b", "c/x/y", "c/z", "d", "\u00e9", "Z", "a-"]
        for k in keys:
            self.s3.put_object(Bucket=b, Key=k, Body=b"1")
        r = self.s3.list_objects_v2(Bucket=b)
        self.assertEqual([c["Key"] for c in r["Contents"]], sorted(keys, key=lambda k: k.encode()))
        r = self.s3.list_objects_v2(Bucket=b, Delimiter="/")
        self.assertEqual([c["Key"] for c in r["Contents"]], ["Z", "a-", "b", "d", "\u00e9"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["a/", "c/"])
        self.assertEqual(r["KeyCount"], 7)
        r = self.s3.list_objects_v2(Bucket=b, Prefix="c/", Delimiter="/")
        self.assertEqual(([c["Key"] for c in r["Contents"]], [p["Prefix"] for p in r["CommonPrefixes"]]),
                         (["c/z"], ["c/x/"]))
        seen, token = [], None
        while True:
            kw = {"ContinuationToken": token} if token else {}
            r = self.s3.list_objects_v2(Bucket=b, MaxKeys=2, **kw)
            seen += [c["Key"] for c in r.get("Contents", [])]
            if not r["IsTruncated"]:
                break
            token = r["NextContinuationToken"]
        self.assertEqual(seen, sorted(keys, key=lambda k: k.encode()))
        seen = []
        for page in self.s3.get_paginator("list_objects").paginate(Bucket=b, Delimiter="/", PaginationConfig={"PageSize": 2}):
            seen += [c["Key"] for c in page.get("Contents", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        self.assertEqual(sorted(seen), sorted(["Z", "a-", "b", "d", "\u00e9", "a/", "c/"]))
        r = self.s3.list_objects_v2(Bucket=b, StartAfter="c/z")
        self.assertEqual([c["Key"] for c in r["Contents"]], ["d", "\u00e9"])
        r = self.s3.list_objects(Bucket=b, Prefix="a", EncodingType="url")
        self.assertEqual([c["Key"] for c in r["Contents"]], ["a-", "a/1", "a/2"])

    # ------------------------------------------------------------ versioning

    def test_versioning(self):
        b = self.bucket("ver-bkt")
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=b)["Status"], "Enabled")
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
        v2 = self.s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
        self.assertNotEqual(v1, v2)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"two")
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read(), b"one")
        d = self.s3.delete_object(Bucket=b, Key="k")
        self.assertTrue(d["DeleteMarker"])
        self.assertEqual(err(self.s3.get_object, Bucket=b, Key="k")[0], "NoSuchKey")
        r = self.s3.list_object_versions(Bucket=b)
        self.assertEqual([v["VersionId"] for v in r["Versions"]], [v2, v1])
        self.assertEqual(len(r["DeleteMarkers"]), 1)
        self.s3.delete_object(Bucket=b, Key="k", VersionId=d["VersionId"])
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"two")
        self.assertEqual(err(self.s3.get_object, Bucket=b, Key="k", VersionId="A" * 32)[0], "NoSuchVersion")
        # Paged with a delimiter: every version of a key counts, a common prefix once, and a page
        # that ends at a common prefix carries no version id marker of another key.
        self.s3.put_object(Bucket=b, Key="p/x", Body=b"1")
        self.s3.put_object(Bucket=b, Key="p/y", Body=b"2")
        self.s3.put_object(Bucket=b, Key="q", Body=b"3")
        r = self.s3.list_object_versions(Bucket=b, Delimiter="/", MaxKeys=3)  # k twice, then p/
        self.assertTrue(r["IsTruncated"])
        self.assertEqual(r["NextKeyMarker"], "p/")
        self.assertNotIn("NextVersionIdMarker", r)
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["p/"])
        seen = []
        for page in self.s3.get_paginator("list_object_versions").paginate(
                Bucket=b, Delimiter="/", PaginationConfig={"PageSize": 1}):
            seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
            seen += [(c["Prefix"], None) for c in page.get("CommonPrefixes", [])]
        self.assertEqual([k for k, _ in seen], ["k", "k", "p/", "q"])

    # ------------------------------------------------------------ multipart

    def test_multipart_api(self):
        b = self.bucket("mpu-bkt")
        up = self.s3.create_multipart_upload(Bucket=b, Key="m")["UploadId"]
        p1, p2 = os.urandom(5 * MiB), os.urandom(5 * MiB)
        e1 = self.s3.upload_part(Bucket=b, Key="m", UploadId=up, PartNumber=1, Body=p1)["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key="m", UploadId=up, PartNumber=2, Body=p2)["ETag"]
        parts = self.s3.list_parts(Bucket=b, Key="m", UploadId=up)["Parts"]
        self.assertEqual([(p["PartNumber"], p["Size"]) for p in parts], [(1, len(p1)), (2, len(p2))])
        self.assertEqual(len(self.s3.list_multipart_uploads(Bucket=b)["Uploads"]), 1)
        code = err(self.s3.complete_multipart_upload, Bucket=b, Key="m", UploadId=up,
                   MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})[0]
        self.assertEqual(code, "InvalidPartOrder")
        code = err(self.s3.complete_multipart_upload, Bucket=b, Key="m", UploadId=up,
                   MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]})[0]
        self.assertEqual(code, "InvalidPart")
        self.s3.put_object(Bucket=b, Key="small-src", Body=b"0123456789")
        r = self.s3.upload_part_copy(Bucket=b, Key="m", UploadId=up, PartNumber=3,
                                     CopySource={"Bucket": b, "Key": "small-src"}, CopySourceRange="bytes=2-5")
        e3 = r["CopyPartResult"]["ETag"]
        self.assertEqual(e3, '"%s"' % hashlib.md5(b"2345").hexdigest())
        r = self.s3.complete_multipart_upload(Bucket=b, Key="m", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}, {"PartNumber": 3, "ETag": e3}]})
        md5s = hashlib.md5(p1).digest() + hashlib.md5(p2).digest() + hashlib.md5(b"2345").digest()
        self.assertEqual(r["ETag"], '"%s-3"' % hashlib.md5(md5s).hexdigest())
        self.assertEqual(self.s3.get_object(Bucket=b, Key="m")["Body"].read(), p1 + p2 + b"2345")
        g = self.s3.get_object(Bucket=b, Key="m", PartNumber=2)
        self.assertEqual((g["PartsCount"], g["ContentRange"]), (3, "bytes %d-%d/%d" % (len(p1), len(p1) + len(p2) - 1,
                                                                                      len(p1) + len(p2) + 4)))
        self.assertEqual(g["Body"].read(), p2)
        self.assertEqual(self.s3.head_object(Bucket=b, Key="m", PartNumber=3)["ContentLength"], 4)
        code, status, _ = err(self.s3.get_object, Bucket=b, Key="m", PartNumber=4)
        self.assertEqual((code, status), ("InvalidPartNumber", 416))
        g = self.s3.get_object(Bucket=b, Key="small-src", PartNumber=1)
        # a simple object is its own part 1, served as a range; S3 counts parts of multipart objects only
        self.assertEqual((g["ContentRange"], g["Body"].read()), ("bytes 0-9/10", b"0123456789"))
        self.assertNotIn("PartsCount", g)
        self.assertEqual(err(self.s3.list_parts, Bucket=b, Key="m", UploadId=up)[0], "NoSuchUpload")
        up = self.s3.create_multipart_upload(Bucket=b, Key="small")["UploadId"]
        e1 = self.s3.upload_part(Bucket=b, Key="small", UploadId=up, PartNumber=1, Body=b"a")["ETag"]
        e2 = self.s3.upload_part(Bucket=b, Key="small", UploadId=up, PartNumber=2, Body=b"b")["ETag"]
        code, status, _ = err(self.s3.complete_multipart_upload, Bucket=b, Key="small", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        self.assertEqual((code, status), ("EntityTooSmall", 400))
        self.s3.abort_multipart_upload(Bucket=b, Key="small", UploadId=up)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=b))

    def test_list_multipart_uploads_paging_and_prefixes(self):
        b = self.bucket("mpu-list-bkt")
        ids = [self.s3.create_multipart_upload(Bucket=b, Key=k)["UploadId"] for k in ("a", "b", "b", "c")]
        pages = list(self.s3.get_paginator("list_multipart_uploads").paginate(
            Bucket=b, PaginationConfig={"PageSize": 1}))
        self.assertEqual(len(pages), 4)
        self.assertEqual([(u["Key"], u["UploadId"]) for p in pages for u in p.get("Uploads", [])],
                         list(zip(("a", "b", "b", "c"), ids)))
        r = self.s3.list_multipart_uploads(Bucket=b, MaxUploads=2)
        self.assertEqual((r["IsTruncated"], r["NextKeyMarker"], r["NextUploadIdMarker"]), (True, "b", ids[1]))
        r = self.s3.list_multipart_uploads(Bucket=b, KeyMarker="b", UploadIdMarker=ids[1])
        self.assertEqual([u["UploadId"] for u in r["Uploads"]], ids[2:])
        self.assertFalse(r["IsTruncated"])
        r = self.s3.list_multipart_uploads(Bucket=b, KeyMarker="b")
        self.assertEqual([u["Key"] for u in r["Uploads"]], ["c"])
        for k in ("dir/x", "dir/y", "dir/sub/z", "other/q"):
            self.s3.create_multipart_upload(Bucket=b, Key=k)
        r = self.s3.list_multipart_uploads(Bucket=b, Delimiter="/")
        self.assertEqual([u["Key"] for u in r["Uploads"]], ["a", "b", "b", "c"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["dir/", "other/"])
        r = self.s3.list_multipart_uploads(Bucket=b, Prefix="dir/", Delimiter="/")
        self.assertEqual(([u["Key"] for u in r["Uploads"]], [p["Prefix"] for p in r["CommonPrefixes"]]),
                         (["dir/x", "dir/y"], ["dir/sub/"]))
        self.assertEqual((r["Prefix"], r["Delimiter"]), ("dir/", "/"))

    def test_multipart_checksum_types(self):
        import re
        b = self.bucket("mpu-ck-bkt")

        def create(key, alg, typ=None):
            h = {"x-amz-checksum-algorithm": alg}
            if typ:
                h["x-amz-checksum-type"] = typ
            status, headers, body = self.raw("POST", "/%s/%s?uploads" % (b, key), headers=h)
            m = re.search(rb"<UploadId>([^<]+)</UploadId>", body)
            return status, headers, body, m and m.group(1).decode()

        def part(key, up, n, data, alg, value=None):
            h = {"x-amz-checksum-" + alg.lower(): value or (crc32_b64(data) if alg == "CRC32" else crc_b64(data, alg))}
            status, headers, body = self.raw("PUT", "/%s/%s?partNumber=%d&uploadId=%s" % (b, key, n, up), data, h)
            self.assertEqual(status, 200, body)
            return headers["ETag"], h["x-amz-checksum-" + alg.lower()]

        def complete(key, up, parts, alg, headers=None):
            xml = "<CompleteMultipartUpload>" + "".join(
                "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag>%s</Part>"
                % (n, e, "<Checksum%s>%s</Checksum%s>" % (alg, c, alg) if c else "") for n, e, c in parts)
            return self.raw("POST", "/%s/%s?uploadId=%s" % (b, key, up), (xml + "</CompleteMultipartUpload>").encode(),
                            headers or {})

        # FULL_OBJECT CRC32 over two parts: the object's checksum is the CRC32 of all its bytes.
        p1, p2 = os.urandom(5 * MiB), b"tail bytes"
        status, headers, _, up = create("full", "CRC32", "FULL_OBJECT")
        self.assertEqual((status, headers.get("x-amz-checksum-type")), (200, "FULL_OBJECT"))
        (e1, c1), (e2, c2) = part("full", up, 1, p1, "CRC32"), part("full", up, 2, p2, "CRC32")
        status, _, body = complete("full", up, [(1, e1, c1), (2, e2, crc32_b64(b"other"))], "CRC32")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>InvalidPart</Code>", body)
        status, _, body = complete("full", up, [(1, e1, c1), (2, e2, c2)], "CRC32",
                                   {"x-amz-checksum-type": "FULL_OBJECT", "x-amz-checksum-crc32": crc32_b64(b"x")})
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>BadDigest</Code>", body)
        status, _, body = complete("full", up, [(1, e1, c1), (2, e2, c2)], "CRC32",
                                   {"x-amz-checksum-type": "FULL_OBJECT", "x-amz-checksum-crc32": crc32_b64(p1 + p2)})
        self.assertEqual(status, 200, body)
        self.assertIn(("<ChecksumCRC32>%s</ChecksumCRC32>" % crc32_b64(p1 + p2)).encode(), body)
        self.assertIn(b"<ChecksumType>FULL_OBJECT</ChecksumType>", body)
        status, headers, _ = self.raw("HEAD", "/%s/full" % b, headers={"x-amz-checksum-mode": "ENABLED"})
        self.assertEqual((headers.get("x-amz-checksum-crc32"), headers.get("x-amz-checksum-type")),
                         (crc32_b64(p1 + p2), "FULL_OBJECT"))
        a = self.s3.get_object_attributes(Bucket=b, Key="full", ObjectAttributes=["Checksum"])
        self.assertEqual(a["Checksum"]["ChecksumCRC32"], crc32_b64(p1 + p2))
        # The default for CRC32 stays COMPOSITE (checksum of the part checksums, "-N").
        status, headers, _, up = create("comp", "CRC32")
        self.assertEqual(headers.get("x-amz-checksum-type"), "COMPOSITE")
        e1, c1 = part("comp", up, 1, p2, "CRC32")
        status, _, body = complete("comp", up, [(1, e1, c1)], "CRC32")
        self.assertIn(b"<ChecksumType>COMPOSITE</ChecksumType>", body)
        self.assertIn(b"-1</ChecksumCRC32>", body)
        # CRC32C and CRC64NVME (FULL_OBJECT by default) over one part.
        for alg, typ in (("CRC32C", "FULL_OBJECT"), ("CRC64NVME", None)):
            status, headers, body, up = create("k-" + alg, alg, typ)
            self.assertEqual((status, headers.get("x-amz-checksum-type")), (200, "FULL_OBJECT"), body)
            e1, c1 = part("k-" + alg, up, 1, p2, alg)
            status, _, body = complete("k-" + alg, up, [(1, e1, c1)], alg)
            self.assertEqual(status, 200, body)
            self.assertIn(("<Checksum%s>%s</Checksum%s>" % (alg, crc_b64(p2, alg), alg)).encode(), body)
        # Combinations AWS refuses.
        for alg, typ in (("SHA256", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE"), ("CRC32", "BOTH")):
            status, _, body, _ = create("bad", alg, typ)
            self.assertEqual(status, 400)
            self.assertIn(b"<Code>InvalidRequest</Code>", body)

    def test_boto3_upload_and_download_file(self):
        b = self.bucket("transfer-bkt")
        src = os.path.join(self.tmp, "up.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(9 * MiB + 123))
        self.s3.upload_file(src, b, "big.bin")
        self.assertTrue(self.s3.head_object(Bucket=b, Key="big.bin")["ETag"].endswith('-2"'))
        dst = os.path.join(self.tmp, "down.bin")
        self.s3.download_file(b, "big.bin", dst)
        with open(src, "rb") as f1, open(dst, "rb") as f2:
            self.assertEqual(hashlib.md5(f1.read()).digest(), hashlib.md5(f2.read()).digest())

    # ------------------------------------------------------------ CLIs

    def test_aws_clis(self):
        src_dir = os.path.join(self.tmp, "sync")
        os.makedirs(os.path.join(src_dir, "sub"), exist_ok=True)
        for name, size in (("a.txt", 10), ("sub/b.bin", 9 * MiB)):
            with open(os.path.join(src_dir, name), "wb") as f:
                f.write(os.urandom(size))
        for i, cli in enumerate(aws_clis()):
            b = "s3://cli-bkt-%d" % i
            ok = lambda *a: self.assertEqual(run_aws(cli, self.n.url, *a).returncode, 0, (cli, a))  # noqa: E731
            ok("s3", "mb", b)
            ok("s3", "cp", os.path.join(src_dir, "sub/b.bin"), b + "/big.bin")
            ok("s3", "sync", src_dir, b + "/synced")
            out = run_aws(cli, self.n.url, "s3", "ls", "--recursive", b).stdout
            self.assertIn("synced/sub/b.bin", out)
            self.assertIn("synced/a.txt", out)
            dst = os.path.join(self.tmp, "cli-%d.bin" % i)
            ok("s3", "cp", b + "/big.bin", dst)
            with open(dst, "rb") as f1, open(os.path.join(src_dir, "sub/b.bin"), "rb") as f2:
                self.assertEqual(f1.read(), f2.read())
            r = run_aws(cli, self.n.url, "s3api", "head-object", "--bucket", b[5:], "--key", "synced/a.txt")
            self.assertEqual(json.loads(r.stdout)["ContentLength"], 10)
            r = run_aws(cli, self.n.url, "s3", "rb", b)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("BucketNotEmpty", r.stderr)
            ok("s3", "rm", "--recursive", b)
            ok("s3", "rb", b)

    def test_newer_botocore_crc_checksums(self):
        """pyenv's python3 (botocore 1.4x) sends CRC32 headers by default; SHA1 and SHA256 on request."""
        py = newer_python((1, 36))
        if py is None:
            reason = ("needs a newer botocore (>= 1.36, which sends CRC32 checksums by default) under a python3 other than "
                      "/usr/bin/python3: none on PATH or in pyenv's shims")
            self.skipTest(reason)
        script = r"""
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
s3.create_bucket(Bucket="crc-bkt")
for alg in ("CRC32", "SHA256", "SHA1"):  # CRC32C needs botocore[crt]
    s3.put_object(Bucket="crc-bkt", Key=alg, Body=b"checksum me" * 1000, ChecksumAlgorithm=alg)
    h = s3.head_object(Bucket="crc-bkt", Key=alg, ChecksumMode="ENABLED")
    assert h.get("Checksum" + alg), (alg, h)
    g = s3.get_object(Bucket="crc-bkt", Key=alg, ChecksumMode="ENABLED")
    assert g["Body"].read() == b"checksum me" * 1000
import io
s3.upload_fileobj(io.BytesIO(b"x" * (9 * 1024 * 1024)), "crc-bkt", "mp")
assert s3.head_object(Bucket="crc-bkt", Key="mp")["ContentLength"] == 9 * 1024 * 1024
for n in ("crc-bkt-2", "crc-bkt-3"):
    s3.create_bucket(Bucket=n)
pages = list(s3.get_paginator("list_buckets").paginate(Prefix="crc-bkt", PaginationConfig={"PageSize": 1}))
assert [b["Name"] for p in pages for b in p["Buckets"]] == ["crc-bkt", "crc-bkt-2", "crc-bkt-3"], pages
assert len(pages) == 3 and pages[0]["Buckets"][0]["BucketRegion"] == "us-east-1"
import base64, zlib
up = s3.create_multipart_upload(Bucket="crc-bkt", Key="full", ChecksumAlgorithm="CRC32",
                                ChecksumType="FULL_OBJECT")["UploadId"]
p = s3.upload_part(Bucket="crc-bkt", Key="full", UploadId=up, PartNumber=1, Body=b"full object",
                   ChecksumAlgorithm="CRC32")
full = base64.b64encode(zlib.crc32(b"full object").to_bytes(4, "big")).decode()
r = s3.complete_multipart_upload(Bucket="crc-bkt", Key="full", UploadId=up, ChecksumType="FULL_OBJECT",
                                 ChecksumCRC32=full, MultipartUpload={"Parts": [
                                     {"PartNumber": 1, "ETag": p["ETag"], "ChecksumCRC32": p["ChecksumCRC32"]}]})
assert (r.get("ChecksumType"), r.get("ChecksumCRC32")) == ("FULL_OBJECT", full), r
h = s3.head_object(Bucket="crc-bkt", Key="full", ChecksumMode="ENABLED")
assert (h.get("ChecksumType"), h.get("ChecksumCRC32")) == ("FULL_OBJECT", full), h
print("ok")
"""
        env = dict(os.environ, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        r = subprocess.run([py, "-c", script, self.n.url], capture_output=True, text=True, timeout=120, env=env)
        if "No module named 'boto3'" in r.stderr:
            reason = "needs a newer botocore (>= 1.36): no boto3 for " + py
            self.skipTest(reason)
        self.assertEqual(r.stdout.strip(), "ok", r.stderr[-3000:])

    def test_js_sdk_stream_upload(self):
        js_dir = os.path.join(os.path.dirname(__file__), "js-s3")
        npm_ci(js_dir)
        # node is installed by tools/deps.sh: its absence is a failure, not a skip
        self.assertTrue(shutil.which("node"), "node is missing (tools/deps.sh installs it)")
        r = subprocess.run(["node", os.path.join(js_dir, "s3_stream.mjs"), self.n.url], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.stdout.strip().splitlines()[-1:], ["ok"], r.stdout + r.stderr[-3000:])


class Persistence(unittest.TestCase):
    def test_objects_survive_kill_9(self):
        data_dir = tempfile.mkdtemp(prefix="nimbus-s3-persist-")
        try:
            n = Nimbus(SERVICES="s3", PERSISTENCE="1", DATA_DIR=data_dir).start()
            s3 = client(n.url)
            s3.create_bucket(Bucket="persist-bkt")
            body = os.urandom(3 * MiB)
            s3.put_object(Bucket="persist-bkt", Key="k", Body=body)
            s3.put_object(Bucket="persist-bkt", Key="small", Body=b"inline bytes")
            n.stop(sig=signal.SIGKILL)
            n = Nimbus(SERVICES="s3", PERSISTENCE="1", DATA_DIR=data_dir).start()
            s3 = client(n.url)
            self.assertEqual(s3.get_object(Bucket="persist-bkt", Key="k")["Body"].read(), body)
            self.assertEqual(s3.get_object(Bucket="persist-bkt", Key="small")["Body"].read(), b"inline bytes")
            s3.delete_object(Bucket="persist-bkt", Key="k")
            n.stop()
            blobs = [f for _, _, fs in os.walk(os.path.join(data_dir, "s3")) for f in fs]
            self.assertEqual(blobs, [])
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
