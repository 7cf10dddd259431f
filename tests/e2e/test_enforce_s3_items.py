"""ENFORCE_IAM=1 authorizes what an S3 request does to each object it names, not only the request:
DeleteObjects checks s3:DeleteObject on every key, a denied key answers its own AccessDenied
("Access Denied") in the Errors list while the others are deleted; CopyObject (and UploadPartCopy)
needs s3:GetObject on the source as well as s3:PutObject on the target, from the identity policy
or the source bucket's policy; the root key is never evaluated."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import allow, client, doc  # noqa: E402
from nimbus_server import ServerTestCase  # noqa: E402

ACCOUNT = "000000000000"


class S3Items(ServerTestCase):
    server_env = {"ENFORCE_IAM": "1"}

    def setUp(self):
        self.root = client(self.n.url, "s3")
        self.iam = client(self.n.url, "iam")

    def user(self, name, *statements):
        self.iam.create_user(UserName=name)
        self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
        k = self.iam.create_access_key(UserName=name)["AccessKey"]
        return client(self.n.url, "s3", k["AccessKeyId"], k["SecretAccessKey"])

    def bucket(self, name, *keys):
        self.root.create_bucket(Bucket=name)
        for k in keys:
            self.root.put_object(Bucket=name, Key=k, Body=b"data of " + k.encode())
        return name

    def keys(self, bucket):
        return sorted(o["Key"] for o in self.root.list_objects_v2(Bucket=bucket).get("Contents", []))

    def assert_denied(self, call, **kw):
        with self.assertRaises(ClientError) as cm:
            call(**kw)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]),
                         ("AccessDenied", "Access Denied", 403))

    def test_delete_objects_denied_key_in_errors_others_deleted(self):
        b = self.bucket("items-del", "a", "keep/1", "public/b")
        s3 = self.user("items-del", allow("s3:DeleteObject", f"arn:aws:s3:::{b}/*"),
                       {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{b}/keep/*"})
        r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}, {"Key": "keep/1"}, {"Key": "public/b"}]})
        self.assertEqual(sorted(d["Key"] for d in r.get("Deleted", [])), ["a", "public/b"])
        self.assertEqual(r.get("Errors"), [{"Key": "keep/1", "Code": "AccessDenied", "Message": "Access Denied"}])
        self.assertEqual(self.keys(b), ["keep/1"])

    def test_delete_objects_allowed_by_prefix_only(self):
        b = self.bucket("items-prefix", "public/x", "private/y")
        s3 = self.user("items-prefix", allow("s3:DeleteObject", f"arn:aws:s3:::{b}/public/*"))
        r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "public/x"}, {"Key": "private/y"}], "Quiet": True})
        self.assertNotIn("Deleted", r)
        self.assertEqual([(e["Key"], e["Code"]) for e in r.get("Errors", [])], [("private/y", "AccessDenied")])
        self.assertEqual(self.keys(b), ["private/y"])

    def test_delete_objects_bucket_policy_denies_a_key(self):
        b = self.bucket("items-bp", "a", "locked")
        s3 = self.user("items-bp", allow("s3:DeleteObject"))
        self.root.put_bucket_policy(Bucket=b, Policy=doc({
            "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{b}/locked"}))
        r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}, {"Key": "locked"}]})
        self.assertEqual([d["Key"] for d in r.get("Deleted", [])], ["a"])
        self.assertEqual([e["Key"] for e in r.get("Errors", [])], ["locked"])
        # the root key is never evaluated: it deletes what the policy protects from the user
        self.assertEqual([d["Key"] for d in self.root.delete_objects(
            Bucket=b, Delete={"Objects": [{"Key": "locked"}]})["Deleted"]], ["locked"])

    def test_copy_object_needs_get_on_the_source(self):
        src = self.bucket("items-src", "open", "secret")
        dst = self.bucket("items-dst")
        s3 = self.user("items-copy", allow("s3:PutObject", f"arn:aws:s3:::{dst}/*"),
                       allow("s3:GetObject", f"arn:aws:s3:::{src}/open"))
        s3.copy_object(Bucket=dst, Key="copied", CopySource={"Bucket": src, "Key": "open"})
        self.assertEqual(self.root.get_object(Bucket=dst, Key="copied")["Body"].read(), b"data of open")
        self.assert_denied(s3.copy_object, Bucket=dst, Key="stolen", CopySource={"Bucket": src, "Key": "secret"})
        self.assertEqual(self.keys(dst), ["copied"])
        # nothing allows the put: denied before the source is looked at
        self.assert_denied(s3.copy_object, Bucket=src, Key="again", CopySource={"Bucket": src, "Key": "open"})

    def test_copy_source_bucket_policy_denies(self):
        src = self.bucket("items-src2", "k")
        dst = self.bucket("items-dst2")
        s3 = self.user("items-copy2", allow(["s3:PutObject", "s3:GetObject"]))
        s3.copy_object(Bucket=dst, Key="one", CopySource={"Bucket": src, "Key": "k"})
        self.root.put_bucket_policy(Bucket=src, Policy=doc({
            "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/items-copy2"},
            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{src}/*"}))
        self.assert_denied(s3.copy_object, Bucket=dst, Key="two", CopySource={"Bucket": src, "Key": "k"})

    def test_upload_part_copy_needs_get_on_the_source(self):
        src = self.bucket("items-src3", "big")
        dst = self.bucket("items-dst3")
        s3 = self.user("items-part", allow("s3:PutObject", f"arn:aws:s3:::{dst}/*"))
        up = s3.create_multipart_upload(Bucket=dst, Key="m")["UploadId"]
        self.assert_denied(s3.upload_part_copy, Bucket=dst, Key="m", UploadId=up, PartNumber=1,
                           CopySource={"Bucket": src, "Key": "big"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
