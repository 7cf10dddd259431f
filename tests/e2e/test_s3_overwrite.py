"""End-to-end: what a client sees when S3 objects are written over (issue 12, item 3: PutObject
replaces a key's "null" version in place when it is the latest, GetObject reads an inline body
with its row). Every answer is checked as boto3 sees it: bodies, ETags, metadata, the version list
and its order, delete markers, and that the body file of a large object written over is gone
from DATA_DIR once the overwrite committed (persistence on, so blobs are files)."""
import hashlib, os, shutil, sys, tempfile, time, unittest, uuid

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

BIG = 96 * 1024  # above the inline limit (64 KiB): kept in a blob file of its own


def etag(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


class Overwrite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="nimbus-s3-overwrite-")
        cls.n = Nimbus(SERVICES="s3", PERSISTENCE="1", DATA_DIR=cls.data).start()
        cls.s3 = boto3.client("s3", endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test",
                              config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}))

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()
        shutil.rmtree(cls.data, True)

    def bucket(self, versioning=None):
        name = f"ow-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=name)
        if versioning:
            self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        return name

    def get(self, b, key, **kw):
        r = self.s3.get_object(Bucket=b, Key=key, **kw)
        return r, r["Body"].read()

    def versions(self, b, key):
        """The key's versions as listed (S3 lists them newest first), then its delete markers."""
        r = self.s3.list_object_versions(Bucket=b, Prefix=key)
        return [(v["VersionId"], v["IsLatest"], "object") for v in r.get("Versions", [])] + \
               [(m["VersionId"], m["IsLatest"], "marker") for m in r.get("DeleteMarkers", [])]

    def blob_files(self):
        root = os.path.join(self.data, "s3", "blobs")
        return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)

    def test_overwrite_replaces_body_etag_and_metadata(self):
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="k", Body=b"first", ContentType="text/plain", Metadata={"a": "1"})
        put = self.s3.put_object(Bucket=b, Key="k", Body=b"second body", Metadata={"b": "2"})
        self.assertEqual(put["ETag"], etag(b"second body"))
        self.assertNotIn("VersionId", put)
        r, body = self.get(b, "k")
        self.assertEqual(body, b"second body")
        self.assertEqual(r["ETag"], etag(b"second body"))
        self.assertEqual(r["ContentLength"], len(b"second body"))
        self.assertEqual(r["Metadata"], {"b": "2"}, "nothing of the first write's metadata is left")
        self.assertEqual(r["ContentType"], "binary/octet-stream")
        self.assertEqual(self.versions(b, "k"), [("null", True, "object")])
        listed = self.s3.list_objects_v2(Bucket=b)["Contents"]
        self.assertEqual([(o["Key"], o["Size"], o["ETag"]) for o in listed], [("k", 11, etag(b"second body"))])

    def test_large_and_small_bodies_replace_each_other_and_the_old_file_goes(self):
        b = self.bucket()
        before = self.blob_files()
        big = bytes(range(256)) * (BIG // 256)
        self.s3.put_object(Bucket=b, Key="k", Body=big)
        with_big = self.blob_files()
        self.assertEqual(len(with_big), len(before) + 1, "a large body is a file")
        self.s3.put_object(Bucket=b, Key="k", Body=b"small now")
        self.assertEqual(self.get(b, "k")[1], b"small now")
        deadline = time.time() + 5
        while self.blob_files() != before and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.blob_files(), before, "the large body's file is removed once it was written over")
        big2 = bytes(reversed(big))
        self.s3.put_object(Bucket=b, Key="k", Body=big2)
        r, body = self.get(b, "k")
        self.assertEqual((body, r["ETag"]), (big2, etag(big2)))
        r, body = self.get(b, "k", Range="bytes=10-19")
        self.assertEqual(body, big2[10:20])

    def test_inline_body_ranges_and_conditions(self):
        b = self.bucket()
        self.s3.put_object(Bucket=b, Key="k", Body=b"0123456789")
        self.s3.put_object(Bucket=b, Key="k", Body=b"abcdefghij")
        r, body = self.get(b, "k", Range="bytes=3-5")
        self.assertEqual((r["ResponseMetadata"]["HTTPStatusCode"], body), (206, b"def"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="k", IfNoneMatch=etag(b"abcdefghij"))
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 304)
        self.assertEqual(self.get(b, "k", IfMatch=etag(b"abcdefghij"))[1], b"abcdefghij")
        h = self.s3.head_object(Bucket=b, Key="k")
        self.assertEqual((h["ContentLength"], h["ETag"]), (10, etag(b"abcdefghij")))

    def test_suspended_bucket_replaces_the_null_version_and_keeps_the_others(self):
        b = self.bucket("Enabled")
        v1 = self.s3.put_object(Bucket=b, Key="k", Body=b"v1")["VersionId"]
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.s3.put_object(Bucket=b, Key="k", Body=b"null one")
        self.s3.put_object(Bucket=b, Key="k", Body=b"null two")  # the latest null version, written over
        self.assertEqual(self.get(b, "k")[1], b"null two")
        self.assertEqual(self.versions(b, "k"), [("null", True, "object"), (v1, False, "object")])
        self.assertEqual(self.get(b, "k", VersionId=v1)[1], b"v1")
        # a null version that is no longer the latest is removed and the new one is the newest
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        v2 = self.s3.put_object(Bucket=b, Key="k", Body=b"v2")["VersionId"]
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.s3.put_object(Bucket=b, Key="k", Body=b"null three")
        self.assertEqual(self.get(b, "k")[1], b"null three")
        self.assertEqual(self.versions(b, "k"),
                         [("null", True, "object"), (v2, False, "object"), (v1, False, "object")])
        # removing the null version makes the newest remaining one current
        self.s3.delete_object(Bucket=b, Key="k", VersionId="null")
        self.assertEqual(self.get(b, "k")[1], b"v2")
        self.assertEqual(self.versions(b, "k"), [(v2, True, "object"), (v1, False, "object")])

    def test_a_null_delete_marker_written_over_is_an_object_again(self):
        b = self.bucket("Enabled")
        self.s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
        self.s3.put_object(Bucket=b, Key="k", Body=b"before")
        d = self.s3.delete_object(Bucket=b, Key="k")  # suspended: the null version becomes a marker
        self.assertTrue(d.get("DeleteMarker"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="k")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "NoSuchKey")
        self.assertEqual(self.versions(b, "k"), [("null", True, "marker")])
        self.s3.put_object(Bucket=b, Key="k", Body=b"after")
        self.assertEqual(self.get(b, "k")[1], b"after")
        self.assertEqual(self.versions(b, "k"), [("null", True, "object")])
        self.assertEqual([o["Key"] for o in self.s3.list_objects_v2(Bucket=b)["Contents"]], ["k"])
        # and back: a marker over the object, listed as such, the key gone from the listing
        self.s3.delete_object(Bucket=b, Key="k")
        self.assertEqual(self.versions(b, "k"), [("null", True, "marker")])
        self.assertEqual(self.s3.list_objects_v2(Bucket=b).get("KeyCount"), 0)


if __name__ == "__main__":
    unittest.main()
