"""End-to-end S3 exactness (issue 26, items 1-4): bucket cleanup, statuses as AWS sends them,
multipart retries and paging, UploadPartCopy ranges and checksums, CopyObject semantics.

The cases in ExactCases run here with Debian's boto3 (1.29); NewBotocore re-runs them in a child
with pyenv's newer boto3 (NB_S3_URL set), which sends default checksums and knows newer members;
Cli drives the AWS CLIs; Persistence restarts the server between a completion and its retry."""
import base64, hashlib, http.client, json, os, shutil, sys, tempfile, time, unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, aws_clis, aws_env, run_aws, rerun_with_newer_boto3  # noqa: E402

import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

MiB = 1024 * 1024
SERVER = None
_n = [0]


def server_url():
    return os.environ.get("NB_S3_URL") or SERVER.url


def client(url=None):
    return boto3.client("s3", endpoint_url=url or server_url(), region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}))


def bname(prefix="exact"):
    _n[0] += 1
    return f"{prefix}-{os.getpid()}-{_n[0]}"


def fails(fn, *a, **kw):
    """(code, status, error dict, response headers) of a call that must fail."""
    try:
        fn(*a, **kw)
    except ClientError as e:
        md = e.response["ResponseMetadata"]
        return e.response["Error"].get("Code"), md["HTTPStatusCode"], e.response["Error"], md["HTTPHeaders"]
    raise AssertionError(f"{getattr(fn, '__name__', fn)} did not fail")


def status(resp):
    return resp["ResponseMetadata"]["HTTPStatusCode"]


def b64_sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def composite_sha256(parts):
    """S3's COMPOSITE checksum: the hash of the parts' binary checksums, then -N."""
    raw = b"".join(hashlib.sha256(p).digest() for p in parts)
    return base64.b64encode(hashlib.sha256(raw).digest()).decode() + f"-{len(parts)}"


def raw_request(method, path, headers=None, body=None):
    host, port = server_url().split("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def new_client_knows(shape, member):
    model = boto3.session.Session().client("s3", region_name="us-east-1")._service_model
    return member in model.shape_for(shape).members


class ExactCases(unittest.TestCase):
    def setUp(self):
        self.c = client()

    def bucket(self, versioned=False):
        name = bname()
        self.c.create_bucket(Bucket=name)
        if versioned:
            self.c.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    # ---- 1. buckets can be cleaned up
    def test_delete_bucket_discards_unfinished_uploads(self):
        b = self.bucket()
        self.c.create_multipart_upload(Bucket=b, Key="never-finished")
        u = self.c.create_multipart_upload(Bucket=b, Key="dir/one-part")["UploadId"]
        self.c.upload_part(Bucket=b, Key="dir/one-part", UploadId=u, PartNumber=1, Body=b"x" * 1024)
        self.assertEqual(len(self.c.list_multipart_uploads(Bucket=b)["Uploads"]), 2)
        self.assertEqual(status(self.c.delete_bucket(Bucket=b)), 204)
        self.assertEqual(fails(self.c.head_bucket, Bucket=b)[1], 404)
        self.assertNotIn(b, [x["Name"] for x in self.c.list_buckets()["Buckets"]])
        # the name is free again, with no upload left over
        self.c.create_bucket(Bucket=b)
        self.assertNotIn("Uploads", self.c.list_multipart_uploads(Bucket=b))
        self.assertEqual(status(self.c.delete_bucket(Bucket=b)), 204)

    def test_versioned_bucket_deletes_once_versions_and_markers_are_gone(self):
        b = self.bucket(versioned=True)
        self.c.put_object(Bucket=b, Key="k", Body=b"1")
        self.c.put_object(Bucket=b, Key="k", Body=b"2")
        self.c.delete_object(Bucket=b, Key="k")  # a delete marker on top of two versions
        code, st, _, _ = fails(self.c.delete_bucket, Bucket=b)
        self.assertEqual((code, st), ("BucketNotEmpty", 409))
        versions = self.c.list_object_versions(Bucket=b)
        for v in versions.get("Versions", []):
            self.c.delete_object(Bucket=b, Key=v["Key"], VersionId=v["VersionId"])
        # only the delete marker is left: still not empty
        self.assertEqual(fails(self.c.delete_bucket, Bucket=b)[0], "BucketNotEmpty")
        for m in versions.get("DeleteMarkers", []):
            self.assertEqual(status(self.c.delete_object(Bucket=b, Key=m["Key"], VersionId=m["VersionId"])), 204)
        self.assertEqual(status(self.c.delete_bucket(Bucket=b)), 204)

    # ---- 2. statuses as AWS sends them
    def test_success_statuses_on_the_wire(self):
        b = self.bucket()
        self.c.put_object(Bucket=b, Key="o", Body=b"data")
        policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]})
        no_content = [
            ("PutBucketPolicy", lambda: self.c.put_bucket_policy(Bucket=b, Policy=policy)),
            ("PutBucketTagging", lambda: self.c.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [
                {"Key": "k", "Value": "v"}]})),
            ("DeleteBucketTagging", lambda: self.c.delete_bucket_tagging(Bucket=b)),
            ("DeleteBucketPolicy", lambda: self.c.delete_bucket_policy(Bucket=b)),
            ("DeleteBucketCors", lambda: self.c.delete_bucket_cors(Bucket=b)),
            ("DeleteBucketEncryption", lambda: self.c.delete_bucket_encryption(Bucket=b)),
            ("DeleteBucketLifecycle", lambda: self.c.delete_bucket_lifecycle(Bucket=b)),
            ("DeleteBucketWebsite", lambda: self.c.delete_bucket_website(Bucket=b)),
            ("DeletePublicAccessBlock", lambda: self.c.delete_public_access_block(Bucket=b)),
            ("DeleteObjectTagging", lambda: self.c.delete_object_tagging(Bucket=b, Key="o")),
            ("DeleteObject", lambda: self.c.delete_object(Bucket=b, Key="o")),
            ("DeleteObject (absent key)", lambda: self.c.delete_object(Bucket=b, Key="absent")),
        ]
        for name, call in no_content:
            self.assertEqual(status(call()), 204, name)
        ok = [
            ("PutBucketCors", lambda: self.c.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": [
                {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})),
            ("PutBucketVersioning", lambda: self.c.put_bucket_versioning(
                Bucket=b, VersioningConfiguration={"Status": "Suspended"})),
            ("PutObject", lambda: self.c.put_object(Bucket=b, Key="o2", Body=b"x")),
            ("PutObjectTagging", lambda: self.c.put_object_tagging(Bucket=b, Key="o2", Tagging={"TagSet": [
                {"Key": "a", "Value": "b"}]})),
            ("DeleteObjects", lambda: self.c.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "o2"}]})),
        ]
        for name, call in ok:
            self.assertEqual(status(call()), 200, name)

    def test_ranges_and_part_numbers(self):
        b = self.bucket()
        self.c.put_object(Bucket=b, Key="o", Body=b"0123456789")
        r = self.c.get_object(Bucket=b, Key="o", Range="bytes=2-4")
        self.assertEqual((status(r), r["ContentRange"], r["Body"].read()), (206, "bytes 2-4/10", b"234"))
        h = self.c.head_object(Bucket=b, Key="o", Range="bytes=2-4")
        self.assertEqual(status(h), 206)
        self.assertEqual(h["ResponseMetadata"]["HTTPHeaders"]["content-range"], "bytes 2-4/10")
        self.assertEqual(h["ContentLength"], 3)
        code, st, e, _ = fails(self.c.get_object, Bucket=b, Key="o", Range="bytes=20-30")
        self.assertEqual((code, st), ("InvalidRange", 416))
        self.assertEqual(fails(self.c.head_object, Bucket=b, Key="o", Range="bytes=20-30")[1], 416)
        # a malformed Range is ignored: the whole object
        r = self.c.get_object(Bucket=b, Key="o", Range="bytes=x-y")
        self.assertEqual((status(r), r["Body"].read()), (200, b"0123456789"))
        self.assertNotIn("ContentRange", r)
        # partNumber 1 of a simple object is the whole object, as a range
        r = self.c.get_object(Bucket=b, Key="o", PartNumber=1)
        self.assertEqual((status(r), r["ContentRange"], r["Body"].read()), (206, "bytes 0-9/10", b"0123456789"))
        h = self.c.head_object(Bucket=b, Key="o", PartNumber=1)
        self.assertEqual((status(h), h["ResponseMetadata"]["HTTPHeaders"]["content-range"]), (206, "bytes 0-9/10"))
        code, st, e, _ = fails(self.c.get_object, Bucket=b, Key="o", PartNumber=2)
        self.assertEqual((code, st), ("InvalidPartNumber", 416))
        self.assertEqual(fails(self.c.head_object, Bucket=b, Key="o", PartNumber=2)[1], 416)
        # a multipart object: part 2 is its own range, with the part count
        u = self.c.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
        p1 = self.c.upload_part(Bucket=b, Key="mp", UploadId=u, PartNumber=1, Body=b"a" * (5 * MiB))
        p2 = self.c.upload_part(Bucket=b, Key="mp", UploadId=u, PartNumber=2, Body=b"bcd")
        self.c.complete_multipart_upload(Bucket=b, Key="mp", UploadId=u, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
        r = self.c.get_object(Bucket=b, Key="mp", PartNumber=2)
        self.assertEqual(status(r), 206)
        self.assertEqual(r["ContentRange"], f"bytes {5 * MiB}-{5 * MiB + 2}/{5 * MiB + 3}")
        self.assertEqual((r["PartsCount"], r["Body"].read()), (2, b"bcd"))
        self.assertEqual(fails(self.c.get_object, Bucket=b, Key="mp", PartNumber=3)[:2], ("InvalidPartNumber", 416))

    def test_head_of_a_delete_marker_is_405_with_allow(self):
        b = self.bucket(versioned=True)
        self.c.put_object(Bucket=b, Key="k", Body=b"x")
        marker = self.c.delete_object(Bucket=b, Key="k")["VersionId"]
        code, st, _, headers = fails(self.c.head_object, Bucket=b, Key="k", VersionId=marker)
        self.assertEqual(st, 405)
        self.assertEqual(headers.get("allow"), "DELETE")
        self.assertEqual(headers.get("x-amz-delete-marker"), "true")
        code, st, _, headers = fails(self.c.get_object, Bucket=b, Key="k", VersionId=marker)
        self.assertEqual((code, st, headers.get("allow")), ("MethodNotAllowed", 405, "DELETE"))
        # the latest version being a marker: 404, not 405
        self.assertEqual(fails(self.c.head_object, Bucket=b, Key="k")[1], 404)

    def test_head_bucket_content_type(self):
        b = self.bucket()
        r = self.c.head_bucket(Bucket=b)
        self.assertEqual(status(r), 200)
        self.assertEqual(r["ResponseMetadata"]["HTTPHeaders"]["content-type"], "application/xml")
        self.assertEqual(r["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"], "us-east-1")

    def test_unimplemented_operation_is_s3s_not_implemented(self):
        b = self.bucket()
        code, st, e, _ = fails(self.c.get_bucket_analytics_configuration, Bucket=b, Id="a")
        self.assertEqual((code, st), ("NotImplemented", 501))
        self.assertEqual(e["Message"], "A header you provided implies functionality that is not implemented.")
        self.assertEqual(fails(self.c.get_bucket_replication, Bucket=b)[:2], ("NotImplemented", 501))

    def test_unsigned_get_root_is_list_buckets(self):
        b = self.bucket()
        st, headers, body = raw_request("GET", "/")
        self.assertEqual(st, 200, body)
        self.assertIn(b"<ListAllMyBucketsResult", body)
        self.assertIn(f"<Name>{b}</Name>".encode(), body)
        # Nimbus's own endpoints stay where they are
        st, headers, body = raw_request("GET", "/_localstack/health")
        self.assertEqual(st, 200)
        self.assertIn("s3", json.loads(body)["services"])

    # ---- 3. multipart like AWS
    def test_complete_repeated_and_abort_after_completion(self):
        b = self.bucket()
        u = self.c.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
        p = self.c.upload_part(Bucket=b, Key="k", UploadId=u, PartNumber=1, Body=b"hello")
        parts = {"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]}
        first = self.c.complete_multipart_upload(Bucket=b, Key="k", UploadId=u, MultipartUpload=parts)
        again = self.c.complete_multipart_upload(Bucket=b, Key="k", UploadId=u, MultipartUpload=parts)
        self.assertEqual(status(again), 200)
        strip = lambda r: {k: v for k, v in r.items() if k != "ResponseMetadata"}  # noqa: E731
        self.assertEqual(strip(again), strip(first))
        self.assertEqual(first["ETag"], '"%s-1"' % hashlib.md5(hashlib.md5(b"hello").digest()).hexdigest())
        # aborting the completed upload answers 204 and leaves the object
        self.assertEqual(status(self.c.abort_multipart_upload(Bucket=b, Key="k", UploadId=u)), 204)
        self.assertEqual(self.c.get_object(Bucket=b, Key="k")["Body"].read(), b"hello")
        self.assertNotIn("Uploads", self.c.list_multipart_uploads(Bucket=b))
        # an upload id that never existed, or another key: NoSuchUpload
        self.assertEqual(fails(self.c.complete_multipart_upload, Bucket=b, Key="k", UploadId="0" * 32,
                               MultipartUpload=parts)[:2], ("NoSuchUpload", 404))
        self.assertEqual(fails(self.c.complete_multipart_upload, Bucket=b, Key="other", UploadId=u,
                               MultipartUpload=parts)[:2], ("NoSuchUpload", 404))
        self.assertEqual(fails(self.c.abort_multipart_upload, Bucket=b, Key="k", UploadId="0" * 32)[:2],
                         ("NoSuchUpload", 404))
        # an aborted upload is gone at once
        u2 = self.c.create_multipart_upload(Bucket=b, Key="k2")["UploadId"]
        self.assertEqual(status(self.c.abort_multipart_upload(Bucket=b, Key="k2", UploadId=u2)), 204)
        self.assertEqual(fails(self.c.abort_multipart_upload, Bucket=b, Key="k2", UploadId=u2)[:2],
                         ("NoSuchUpload", 404))

    def test_list_parts_paging(self):
        b = self.bucket()
        u = self.c.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
        for n in (1, 2, 5):
            self.c.upload_part(Bucket=b, Key="k", UploadId=u, PartNumber=n, Body=b"p%d" % n)
        page = self.c.list_parts(Bucket=b, Key="k", UploadId=u, MaxParts=2)
        self.assertEqual([p["PartNumber"] for p in page["Parts"]], [1, 2])
        self.assertEqual((page["IsTruncated"], page["PartNumberMarker"], page["NextPartNumberMarker"],
                          page["MaxParts"]), (True, 0, 2, 2))
        page = self.c.list_parts(Bucket=b, Key="k", UploadId=u, MaxParts=2, PartNumberMarker=2)
        self.assertEqual([p["PartNumber"] for p in page["Parts"]], [5])
        self.assertEqual((page["IsTruncated"], page["PartNumberMarker"], page["NextPartNumberMarker"]),
                         (False, 2, 5))
        # the paginator walks them all
        seen = [p["PartNumber"] for pg in self.c.get_paginator("list_parts").paginate(
            Bucket=b, Key="k", UploadId=u, PaginationConfig={"PageSize": 1}) for p in pg.get("Parts", [])]
        self.assertEqual(seen, [1, 2, 5])

    def test_create_multipart_echoes_checksum_algorithm_and_type(self):
        b = self.bucket()
        r = self.c.create_multipart_upload(Bucket=b, Key="k", ChecksumAlgorithm="SHA256")
        headers = r["ResponseMetadata"]["HTTPHeaders"]
        self.assertEqual(r["ChecksumAlgorithm"], "SHA256")
        self.assertEqual(headers.get("x-amz-checksum-algorithm"), "SHA256")
        self.assertEqual(headers.get("x-amz-checksum-type"), "COMPOSITE")
        if new_client_knows("CreateMultipartUploadOutput", "ChecksumType"):
            self.assertEqual(r["ChecksumType"], "COMPOSITE")
        r = self.c.create_multipart_upload(Bucket=b, Key="k2", ChecksumAlgorithm="CRC32",
                                           **({"ChecksumType": "FULL_OBJECT"} if new_client_knows(
                                               "CreateMultipartUploadRequest", "ChecksumType") else {}))
        self.assertEqual(r["ChecksumAlgorithm"], "CRC32")
        if new_client_knows("CreateMultipartUploadRequest", "ChecksumType"):
            self.assertEqual(r["ChecksumType"], "FULL_OBJECT")
        # without an algorithm there is none to echo
        r = self.c.create_multipart_upload(Bucket=b, Key="k3")
        self.assertNotIn("x-amz-checksum-type", r["ResponseMetadata"]["HTTPHeaders"])

    def test_upload_part_copy_ranges_checksums_and_object_parts(self):
        b = self.bucket()
        src = bytes(range(256)) * (24 * 1024)  # 6 MiB
        self.c.put_object(Bucket=b, Key="src", Body=src)
        u = self.c.create_multipart_upload(Bucket=b, Key="dst", ChecksumAlgorithm="SHA256")["UploadId"]
        copy = lambda rng, n=2: self.c.upload_part_copy(  # noqa: E731
            Bucket=b, Key="dst", UploadId=u, PartNumber=n, CopySource=f"{b}/src", CopySourceRange=rng)
        size = len(src)
        code, st, e, _ = fails(copy, f"bytes=0-{size}")
        self.assertEqual((code, st), ("InvalidArgument", 400))
        self.assertEqual(e["Message"], f"Range specified is not valid for source object of size: {size}")
        self.assertEqual(fails(copy, f"bytes={size}-{size + 10}")[:2], ("InvalidRange", 416))
        for bad in ("bytes=abc", "bytes=5-1", "0-10", "bytes=-10", "bytes=1-"):
            code, st, e, _ = fails(copy, bad)
            self.assertEqual((code, st), ("InvalidArgument", 400), bad)
            self.assertIn("must be of the form bytes=first-last", e["Message"])
        # part 1 uploaded (5 MiB), part 2 copied from a range of the source
        first = b"z" * (5 * MiB)
        p1 = self.c.upload_part(Bucket=b, Key="dst", UploadId=u, PartNumber=1, Body=first, ChecksumAlgorithm="SHA256")
        self.assertEqual(p1["ChecksumSHA256"], b64_sha256(first))
        c2 = copy("bytes=100-1099")["CopyPartResult"]
        copied = src[100:1100]
        self.assertEqual(c2["ETag"], '"%s"' % hashlib.md5(copied).hexdigest())
        self.assertEqual(c2["ChecksumSHA256"], b64_sha256(copied))
        listed = self.c.list_parts(Bucket=b, Key="dst", UploadId=u)["Parts"]
        self.assertEqual([p.get("ChecksumSHA256") for p in listed], [b64_sha256(first), b64_sha256(copied)])
        done = self.c.complete_multipart_upload(Bucket=b, Key="dst", UploadId=u, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": p1["ETag"], "ChecksumSHA256": p1["ChecksumSHA256"]},
            {"PartNumber": 2, "ETag": c2["ETag"], "ChecksumSHA256": c2["ChecksumSHA256"]}]})
        self.assertEqual(done["ChecksumSHA256"], composite_sha256([first, copied]))
        self.assertEqual(self.c.get_object(Bucket=b, Key="dst")["Body"].read(), first + copied)
        # GetObjectAttributes pages through the parts, with their checksums
        attrs = self.c.get_object_attributes(Bucket=b, Key="dst", ObjectAttributes=["ObjectParts", "Checksum"],
                                             MaxParts=1)
        self.assertEqual(attrs["Checksum"]["ChecksumSHA256"], composite_sha256([first, copied]))
        op = attrs["ObjectParts"]
        self.assertEqual((op["TotalPartsCount"], op["IsTruncated"], op["NextPartNumberMarker"], op["MaxParts"]),
                         (2, True, 1, 1))
        self.assertEqual(op["Parts"], [{"PartNumber": 1, "Size": 5 * MiB, "ChecksumSHA256": b64_sha256(first)}])
        op = self.c.get_object_attributes(Bucket=b, Key="dst", ObjectAttributes=["ObjectParts"],
                                          PartNumberMarker=1)["ObjectParts"]
        self.assertEqual(op["Parts"], [{"PartNumber": 2, "Size": 1000, "ChecksumSHA256": b64_sha256(copied)}])
        self.assertEqual((op["IsTruncated"], op["PartNumberMarker"], op["NextPartNumberMarker"]), (False, 1, 2))

    # ---- 4. CopyObject semantics
    def test_copy_resets_storage_class_and_website_redirect(self):
        b = self.bucket()
        self.c.put_object(Bucket=b, Key="src", Body=b"x", StorageClass="STANDARD_IA", WebsiteRedirectLocation="/r",
                          Metadata={"m": "1"}, ContentType="text/plain")
        h = self.c.head_object(Bucket=b, Key="src")
        self.assertEqual((h["StorageClass"], h["WebsiteRedirectLocation"]), ("STANDARD_IA", "/r"))
        self.c.copy_object(Bucket=b, Key="plain", CopySource=f"{b}/src")
        h = self.c.head_object(Bucket=b, Key="plain")
        self.assertNotIn("StorageClass", h)  # STANDARD: S3 sends no header
        self.assertNotIn("WebsiteRedirectLocation", h)
        self.assertEqual((h["Metadata"], h["ContentType"]), ({"m": "1"}, "text/plain"))
        attrs = self.c.get_object_attributes(Bucket=b, Key="plain", ObjectAttributes=["StorageClass"])
        self.assertEqual(attrs["StorageClass"], "STANDARD")
        self.c.copy_object(Bucket=b, Key="given", CopySource=f"{b}/src", StorageClass="GLACIER_IR",
                           WebsiteRedirectLocation="/new")
        h = self.c.head_object(Bucket=b, Key="given")
        self.assertEqual((h["StorageClass"], h["WebsiteRedirectLocation"], h["Metadata"]), ("GLACIER_IR", "/new",
                                                                                            {"m": "1"}))
        # REPLACE: the request's metadata and content headers only
        self.c.copy_object(Bucket=b, Key="replaced", CopySource=f"{b}/src", MetadataDirective="REPLACE",
                           Metadata={"n": "2"})
        h = self.c.head_object(Bucket=b, Key="replaced")
        self.assertEqual(h["Metadata"], {"n": "2"})
        self.assertEqual(h["ContentType"], "binary/octet-stream")
        self.assertNotIn("StorageClass", h)
        code, st, e, _ = fails(self.c.copy_object, Bucket=b, Key="bad", CopySource=f"{b}/src",
                               MetadataDirective="MOVE")
        self.assertEqual((code, st, e["Message"]), ("InvalidArgument", 400, "Unknown metadata directive."))

    def test_copy_in_place(self):
        b = self.bucket()
        self.c.put_object(Bucket=b, Key="k", Body=b"x", Metadata={"a": "1"})
        code, st, e, _ = fails(self.c.copy_object, Bucket=b, Key="k", CopySource=f"{b}/k")
        self.assertEqual((code, st), ("InvalidRequest", 400))
        self.assertIn("without changing the object's metadata", e["Message"])
        self.c.copy_object(Bucket=b, Key="k", CopySource=f"{b}/k", MetadataDirective="REPLACE", Metadata={"a": "2"})
        self.assertEqual(self.c.head_object(Bucket=b, Key="k")["Metadata"], {"a": "2"})
        self.c.copy_object(Bucket=b, Key="k", CopySource=f"{b}/k", StorageClass="STANDARD_IA")
        self.assertEqual(self.c.head_object(Bucket=b, Key="k")["StorageClass"], "STANDARD_IA")
        # versioned: copying a named version over its key restores it as the latest
        vb = self.bucket(versioned=True)
        v1 = self.c.put_object(Bucket=vb, Key="k", Body=b"one")["VersionId"]
        self.c.put_object(Bucket=vb, Key="k", Body=b"two")
        r = self.c.copy_object(Bucket=vb, Key="k", CopySource={"Bucket": vb, "Key": "k", "VersionId": v1})
        self.assertEqual(r["CopySourceVersionId"], v1)
        self.assertNotEqual(r["VersionId"], v1)
        got = self.c.get_object(Bucket=vb, Key="k")
        self.assertEqual((got["Body"].read(), got["VersionId"]), (b"one", r["VersionId"]))
        self.assertEqual(len(self.c.list_object_versions(Bucket=vb)["Versions"]), 3)
        # the latest, unnamed, without a change: still refused
        self.assertEqual(fails(self.c.copy_object, Bucket=vb, Key="k", CopySource=f"{vb}/k")[:2],
                         ("InvalidRequest", 400))
        # a delete marker named by version is no copy source (400); the key under a marker is absent (404)
        marker = self.c.delete_object(Bucket=vb, Key="k")["VersionId"]
        code, st, e, _ = fails(self.c.copy_object, Bucket=vb, Key="k2",
                               CopySource={"Bucket": vb, "Key": "k", "VersionId": marker})
        self.assertEqual((code, st), ("InvalidRequest", 400))
        self.assertIn("delete marker", e["Message"])
        self.assertEqual(fails(self.c.copy_object, Bucket=vb, Key="k2", CopySource=f"{vb}/k")[:2],
                         ("NoSuchKey", 404))

    def test_copy_source_preconditions(self):
        b = self.bucket()
        etag = self.c.put_object(Bucket=b, Key="src", Body=b"x")["ETag"]
        past, future = datetime.now(timezone.utc) - timedelta(days=1), datetime.now(timezone.utc) + timedelta(days=1)
        cp = lambda **kw: self.c.copy_object(Bucket=b, Key="dst", CopySource=f"{b}/src", **kw)  # noqa: E731
        refused = [dict(CopySourceIfMatch='"0123"'), dict(CopySourceIfNoneMatch=etag),
                   dict(CopySourceIfUnmodifiedSince=past), dict(CopySourceIfModifiedSince=future),
                   # both of a pair: If-None-Match false, If-Modified-Since true -> 412
                   dict(CopySourceIfNoneMatch=etag, CopySourceIfModifiedSince=past)]
        for kw in refused:
            code, st, _, _ = fails(cp, **kw)
            self.assertEqual((code, st), ("PreconditionFailed", 412), kw)
        self.assertEqual(fails(self.c.head_object, Bucket=b, Key="dst")[1], 404)
        accepted = [dict(CopySourceIfMatch=etag), dict(CopySourceIfNoneMatch='"0123"'),
                    dict(CopySourceIfUnmodifiedSince=future), dict(CopySourceIfModifiedSince=past),
                    # both of a pair: If-Match true, If-Unmodified-Since false -> copied
                    dict(CopySourceIfMatch=etag, CopySourceIfUnmodifiedSince=past)]
        for kw in accepted:
            self.assertEqual(status(cp(**kw)), 200, kw)
        # UploadPartCopy evaluates them too
        u = self.c.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
        code, st, _, _ = fails(self.c.upload_part_copy, Bucket=b, Key="mp", UploadId=u, PartNumber=1,
                               CopySource=f"{b}/src", CopySourceIfMatch='"0123"')
        self.assertEqual((code, st), ("PreconditionFailed", 412))


@unittest.skipIf(os.environ.get("NB_S3_URL"), "runs once, in the parent")
class NewBotocore(unittest.TestCase):
    def test_every_case_with_the_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "ExactCases", (1, 33), dict(aws_env(), NB_S3_URL=server_url()))


@unittest.skipIf(os.environ.get("NB_S3_URL"), "runs once, in the parent")
class Cli(unittest.TestCase):
    def test_cli_cleanup_statuses_and_retries(self):
        clis = aws_clis()
        self.assertTrue(clis, "no AWS CLI")
        url = server_url()
        for cli in clis:
            b = bname("cli")
            run = lambda *a: run_aws(cli, url, "s3api", *a)  # noqa: E731
            self.assertEqual(run("create-bucket", "--bucket", b).returncode, 0)
            r = run("create-multipart-upload", "--bucket", b, "--key", "k")
            self.assertEqual(r.returncode, 0, r.stderr)
            upload = json.loads(r.stdout)["UploadId"]
            # `aws s3 rb` of a bucket holding only an unfinished upload
            r = run_aws(cli, url, "s3", "rb", f"s3://{b}")
            self.assertEqual(r.returncode, 0, cli + r.stderr)
            self.assertNotEqual(run("head-bucket", "--bucket", b).returncode, 0)
            self.assertEqual(run("create-bucket", "--bucket", b).returncode, 0)
            r = run("put-bucket-tagging", "--bucket", b, "--tagging", "TagSet=[{Key=a,Value=b}]")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("get-bucket-analytics-configuration", "--bucket", b, "--id", "x")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("NotImplemented", r.stderr)
            # complete twice: the same answer
            with tempfile.NamedTemporaryFile() as f:
                f.write(b"part")
                f.flush()
                upload = json.loads(run("create-multipart-upload", "--bucket", b, "--key", "k").stdout)["UploadId"]
                r = run("upload-part", "--bucket", b, "--key", "k", "--upload-id", upload, "--part-number", "1",
                        "--body", f.name)
                self.assertEqual(r.returncode, 0, r.stderr)
                etag = json.loads(r.stdout)["ETag"]
            parts = json.dumps({"Parts": [{"PartNumber": 1, "ETag": etag}]})
            done = [run("complete-multipart-upload", "--bucket", b, "--key", "k", "--upload-id", upload,
                        "--multipart-upload", parts) for _ in range(2)]
            for r in done:
                self.assertEqual(r.returncode, 0, cli + r.stderr)
            self.assertEqual(json.loads(done[0].stdout), json.loads(done[1].stdout))
            with tempfile.TemporaryDirectory() as d:
                r = run("get-object", "--bucket", b, "--key", "k", "--range", "bytes=1-2", os.path.join(d, "o"))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout)["ContentRange"], "bytes 1-2/4")
                with open(os.path.join(d, "o"), "rb") as f:
                    self.assertEqual(f.read(), b"ar")
            # `aws s3 rb --force` empties and removes it
            r = run_aws(cli, url, "s3", "rb", f"s3://{b}", "--force")
            self.assertEqual(r.returncode, 0, cli + r.stderr)


@unittest.skipIf(os.environ.get("NB_S3_URL"), "runs once, in the parent")
class Persistence(unittest.TestCase):
    def test_completed_upload_is_remembered_across_a_restart(self):
        data = tempfile.mkdtemp()
        try:
            with Nimbus(SERVICES="s3", PERSISTENCE="1", DATA_DIR=data) as n:
                c = client(n.url)
                c.create_bucket(Bucket="persist-mp")
                u = c.create_multipart_upload(Bucket="persist-mp", Key="k")["UploadId"]
                p = c.upload_part(Bucket="persist-mp", Key="k", UploadId=u, PartNumber=1, Body=b"abc")
                parts = {"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]}
                first = c.complete_multipart_upload(Bucket="persist-mp", Key="k", UploadId=u, MultipartUpload=parts)
            with Nimbus(SERVICES="s3", PERSISTENCE="1", DATA_DIR=data) as n:
                c = client(n.url)
                again = c.complete_multipart_upload(Bucket="persist-mp", Key="k", UploadId=u, MultipartUpload=parts)
                self.assertEqual((again["ETag"], again["Key"]), (first["ETag"], first["Key"]))
                self.assertEqual(status(c.abort_multipart_upload(Bucket="persist-mp", Key="k", UploadId=u)), 204)
                self.assertEqual(c.get_object(Bucket="persist-mp", Key="k")["Body"].read(), b"abc")
                # deleting the bucket forgets it
                c.delete_object(Bucket="persist-mp", Key="k")
                c.delete_bucket(Bucket="persist-mp")
                c.create_bucket(Bucket="persist-mp")
                self.assertEqual(fails(c.complete_multipart_upload, Bucket="persist-mp", Key="k", UploadId=u,
                                       MultipartUpload=parts)[:2], ("NoSuchUpload", 404))
        finally:
            shutil.rmtree(data, ignore_errors=True)


def setUpModule():
    global SERVER
    if not os.environ.get("NB_S3_URL"):
        SERVER = Nimbus(SERVICES="s3").start()


def tearDownModule():
    if SERVER:
        SERVER.stop()


if __name__ == "__main__":
    unittest.main()
