"""End-to-end: S3 where conformance suites compare with AWS (issue 26, items 5-8): tag and
metadata rules, storage classes and RestoreObject, integrity checks (x-amz-content-sha256,
DeleteObjects' Content-MD5, POST policies), event notification rules, server access logs.

The cases in S3ExactCases run here with Debian's boto3 (1.29); NewerBoto3 re-runs them in a child
with pyenv's boto3 (NB_S3B_URL set); the AWS CLI drives the cases that have a CLI form."""
import base64, datetime, hashlib, hmac, http.client, json, os, re, shutil, sys, tempfile, time
import unittest, uuid

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, aws_clis, aws_env, run_aws, rerun_with_newer_boto3  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
AUTH = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"


def server_url():
    return os.environ.get("NB_S3B_URL") or SERVER.url


def client(service="s3", secret="test", url=None):
    return boto3.client(service, endpoint_url=url or server_url(), region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key=secret,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}))


def err(ctx):
    r = ctx.exception.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def bucket(prefix="b"):
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client().create_bucket(Bucket=name)
    return name


def raw(method, path, body=b"", headers=None):
    host, port = server_url().split("//")[1].split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    h = {"Authorization": AUTH}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    out = r.status, r.read().decode(errors="replace"), dict(r.getheaders())
    c.close()
    return out


class S3ExactCases(unittest.TestCase):
    """Run by both boto3 versions."""

    @classmethod
    def setUpClass(cls):
        cls.s3 = client()

    # ------------------------------------------------------------ 5: tags and metadata

    def test_object_tag_rules(self):
        b = bucket("tags")
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        cases = [
            ([{"Key": f"k{i}", "Value": "v"} for i in range(11)], "Object tags cannot be greater than 10"),
            ([{"Key": "a" * 129, "Value": "v"}], "The TagKey you have provided is too long, max 128"),
            ([{"Key": "k", "Value": "v" * 257}], "The TagValue you have provided is too long, max 256"),
            ([{"Key": "aws:cloudformation", "Value": "v"}], "Your TagKey cannot be prefixed with aws:"),
            ([{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
             "Cannot provide multiple Tags with the same key"),
        ]
        for tags, message in cases:
            with self.assertRaises(ClientError) as ctx:
                self.s3.put_object_tagging(Bucket=b, Key="k", Tagging={"TagSet": tags})
            self.assertEqual(err(ctx), ("InvalidTag", 400, message))
        # the limits themselves are fine: 10 tags, 128-character keys, 256-character values (not bytes)
        ok = [{"Key": f"k{i}", "Value": "v"} for i in range(9)] + [{"Key": "é" * 128, "Value": "ü" * 256}]
        self.s3.put_object_tagging(Bucket=b, Key="k", Tagging={"TagSet": ok})
        self.assertEqual(len(self.s3.get_object_tagging(Bucket=b, Key="k")["TagSet"]), 10)
        # x-amz-tagging on PutObject follows the same rules; nothing is stored when it fails
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=b, Key="k2", Body=b"x", Tagging="&".join(f"t{i}=v" for i in range(11)))
        self.assertEqual(err(ctx)[0], "InvalidTag")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=b, Key="k2", Body=b"x", Tagging="aws%3Ax=1")
        self.assertEqual(err(ctx), ("InvalidTag", 400, "Your TagKey cannot be prefixed with aws:"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.head_object(Bucket=b, Key="k2")
        self.assertEqual(err(ctx)[1], 404)

    def test_tagging_count_on_get_and_head(self):
        b = bucket("tagcount")
        self.s3.put_object(Bucket=b, Key="k", Body=b"x", Tagging="a=1&b=2&c=3")
        got = self.s3.get_object(Bucket=b, Key="k")
        self.assertEqual(got["TagCount"], 3)
        self.assertEqual(got["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"], "3")
        head = self.s3.head_object(Bucket=b, Key="k")
        self.assertEqual(head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"], "3")
        self.s3.put_object(Bucket=b, Key="plain", Body=b"x")
        self.assertNotIn("x-amz-tagging-count",
                         self.s3.head_object(Bucket=b, Key="plain")["ResponseMetadata"]["HTTPHeaders"])

    def test_bucket_tag_rules(self):
        b = bucket("btags")
        with self.assertRaises(ClientError) as ctx:
            self.s3.get_bucket_tagging(Bucket=b)
        self.assertEqual(err(ctx), ("NoSuchTagSet", 404, "The TagSet does not exist"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"}
                                                                      for i in range(51)]})
        self.assertEqual(err(ctx), ("InvalidTag", 400, "Bucket tag count cannot be greater than 50"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "aws:x", "Value": "v"}]})
        self.assertEqual(err(ctx), ("InvalidTag", 400, "System tags cannot be added/updated by requester"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.get_bucket_tagging(Bucket=b)
        self.assertEqual(err(ctx)[0], "NoSuchTagSet", "a refused tag set is not stored")
        fifty = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        self.s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": fifty})
        self.assertEqual(len(self.s3.get_bucket_tagging(Bucket=b)["TagSet"]), 50)

    def test_metadata_too_large(self):
        b = bucket("meta")
        # 2 KB of keys and values (without the x-amz-meta- prefix) is the limit
        self.s3.put_object(Bucket=b, Key="ok", Body=b"x", Metadata={"k": "v" * 2047})
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=b, Key="big", Body=b"x", Metadata={"k": "v" * 2048})
        self.assertEqual(err(ctx), ("MetadataTooLarge", 400,
                                    "Your metadata headers exceed the maximum allowed metadata size."))
        with self.assertRaises(ClientError) as ctx:
            self.s3.create_multipart_upload(Bucket=b, Key="big", Metadata={"a": "x" * 1500, "b": "y" * 1500})
        self.assertEqual(err(ctx)[0], "MetadataTooLarge")
        with self.assertRaises(ClientError) as ctx:
            self.s3.copy_object(Bucket=b, Key="big", CopySource=f"{b}/ok", MetadataDirective="REPLACE",
                                Metadata={"k": "v" * 3000})
        self.assertEqual(err(ctx)[0], "MetadataTooLarge")

    def test_storage_class_is_validated(self):
        b = bucket("sc")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=b, Key="k", Body=b"x", StorageClass="FROZEN")
        self.assertEqual(err(ctx), ("InvalidStorageClass", 400, "The storage class you specified is not valid"))
        self.s3.put_object(Bucket=b, Key="k", Body=b"x", StorageClass="STANDARD_IA")
        self.assertEqual(self.s3.head_object(Bucket=b, Key="k")["StorageClass"], "STANDARD_IA")

    def test_glacier_needs_a_restore(self):
        b = bucket("glacier")
        self.s3.put_object(Bucket=b, Key="cold", Body=b"frozen bytes", StorageClass="GLACIER")
        self.s3.put_object(Bucket=b, Key="warm", Body=b"x")
        head = self.s3.head_object(Bucket=b, Key="cold")
        self.assertEqual(head["StorageClass"], "GLACIER")
        self.assertNotIn("Restore", head)
        with self.assertRaises(ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="cold")
        self.assertEqual(err(ctx), ("InvalidObjectState", 403,
                                    "The operation is not valid for the object's storage class"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.copy_object(Bucket=b, Key="copy", CopySource=f"{b}/cold")
        self.assertEqual(err(ctx), ("InvalidObjectState", 403,
                                    "Operation is not valid for the source object's storage class"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.restore_object(Bucket=b, Key="warm", RestoreRequest={"Days": 1})
        self.assertEqual(err(ctx)[:2], ("InvalidObjectState", 403))
        r = self.s3.restore_object(Bucket=b, Key="cold", RestoreRequest={"Days": 2,
                                                                         "GlacierJobParameters": {"Tier": "Expedited"}})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 202)
        self.assertEqual(self.s3.head_object(Bucket=b, Key="cold")["Restore"], 'ongoing-request="true"')
        with self.assertRaises(ClientError) as ctx:
            self.s3.restore_object(Bucket=b, Key="cold", RestoreRequest={"Days": 2})
        self.assertEqual(err(ctx), ("RestoreAlreadyInProgress", 409, "Object restore is already in progress"))
        with self.assertRaises(ClientError) as ctx:
            self.s3.get_object(Bucket=b, Key="cold")
        self.assertEqual(err(ctx)[0], "InvalidObjectState", "still ongoing")
        deadline = time.time() + 10  # the server runs with S3_RESTORE_DELAY=1
        while 'ongoing-request="true"' in self.s3.head_object(Bucket=b, Key="cold")["Restore"]:
            self.assertLess(time.time(), deadline, "the restore never completed")
            time.sleep(0.3)
        restore = self.s3.head_object(Bucket=b, Key="cold")["Restore"]
        m = re.fullmatch(r'ongoing-request="false", expiry-date="(.+ GMT)"', restore)
        self.assertIsNotNone(m, restore)
        expiry = datetime.datetime.strptime(m.group(1), "%a, %d %b %Y %H:%M:%S GMT")
        days = (expiry - datetime.datetime.utcnow()).total_seconds() / 86400
        self.assertTrue(2 <= days <= 3, restore)  # Days, rounded up to the next midnight (UTC)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="cold")["Body"].read(), b"frozen bytes")
        self.s3.copy_object(Bucket=b, Key="copy", CopySource=f"{b}/cold")
        copy = self.s3.head_object(Bucket=b, Key="copy")
        self.assertNotIn("StorageClass", copy)  # a copy is STANDARD unless asked otherwise
        self.assertNotIn("Restore", copy)
        # asking again for a restored copy only moves its expiry: 200
        again = self.s3.restore_object(Bucket=b, Key="cold", RestoreRequest={"Days": 5})
        self.assertEqual(again["ResponseMetadata"]["HTTPStatusCode"], 200)

    # ------------------------------------------------------------ 6: integrity

    def test_content_sha256_unchecked_without_enforce_iam(self):
        # As LocalStack: x-amz-content-sha256 is what a signature covers, and without ENFORCE_IAM
        # no signature is verified, so the body is not hashed against it (test_s3_payload_sha256.py
        # has the check with ENFORCE_IAM=1)
        b = bucket("sha")
        body = b"payload bytes"
        wrong = hashlib.sha256(b"other bytes").hexdigest()
        status, text, headers = raw("PUT", f"/{b}/k", body, {"x-amz-content-sha256": wrong})
        self.assertEqual(status, 200, text)
        self.assertEqual(headers.get("ETag"), '"%s"' % hashlib.md5(body).hexdigest())
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), body)
        # the other checksums still hold: a wrong Content-MD5 is refused whatever the hash says
        md5 = base64.b64encode(hashlib.md5(b"other bytes").digest()).decode()
        status, text, _ = raw("PUT", f"/{b}/k2", body, {"x-amz-content-sha256": wrong, "Content-MD5": md5})
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>BadDigest</Code>", text)
        xml = b'<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>'
        md5 = base64.b64encode(hashlib.md5(xml).digest()).decode()
        status, text, _ = raw("PUT", f"/{b}?tagging", xml, {"x-amz-content-sha256": wrong, "Content-MD5": md5})
        self.assertEqual(status, 204, text)
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=b)["TagSet"], [{"Key": "a", "Value": "b"}])

    def test_delete_objects_needs_a_digest(self):
        b = bucket("del")
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        body = b'<Delete><Object><Key>k</Key></Object></Delete>'
        status, text, _ = raw("POST", f"/{b}?delete", body)
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>InvalidRequest</Code>", text)
        self.assertIn("<Message>Missing required header for this request: Content-MD5</Message>", text)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="k")["Body"].read(), b"x", "nothing was deleted")
        # a flexible checksum instead of Content-MD5 is fine, and is checked
        crc = base64.b64encode(hashlib.sha256(body).digest()).decode()
        status, text, _ = raw("POST", f"/{b}?delete", body, {"x-amz-checksum-sha256": crc})
        self.assertEqual(status, 200, text)
        self.assertIn("<Deleted><Key>k</Key></Deleted>", text)
        bad = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
        status, text, _ = raw("POST", f"/{b}?delete", body, {"x-amz-checksum-sha256": bad})
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>BadDigest</Code>", text)
        # boto3 sends one of them on its own
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        r = self.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k"}]})
        self.assertEqual([d["Key"] for d in r["Deleted"]], ["k"])

    def post_form(self, b, fields, data):
        sep = uuid.uuid4().hex
        body = b"".join(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (sep, k, v)).encode()
                        for k, v in fields.items())
        body += ('--%s\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\n'
                 'Content-Type: text/plain\r\n\r\n' % sep).encode() + data + b"\r\n--%s--\r\n" % sep.encode()
        return raw("POST", "/" + b, body, {"Content-Type": "multipart/form-data; boundary=" + sep})

    def test_post_policy_conditions(self):
        b = bucket("post")
        form = self.s3.generate_presigned_post(b, "up/${filename}", Fields={"x-amz-meta-who": "me"},
                                               Conditions=[{"x-amz-meta-who": "me"}, ["starts-with", "$key", "up/"],
                                                           ["content-length-range", 2, 10]])
        status, text, _ = self.post_form(b, form["fields"], b"12345")
        self.assertEqual(status, 204, text)
        self.assertEqual(self.s3.get_object(Bucket=b, Key="up/f.txt")["Body"].read(), b"12345")
        status, text, _ = self.post_form(b, form["fields"], b"12345678901")
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>EntityTooLarge</Code>", text)
        self.assertIn("<Message>Your proposed upload exceeds the maximum allowed size</Message>", text)
        self.assertIn("<MaxSizeAllowed>10</MaxSizeAllowed>", text)
        status, text, _ = self.post_form(b, form["fields"], b"1")
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>EntityTooSmall</Code>", text)
        status, text, _ = self.post_form(b, dict(form["fields"], key="elsewhere/${filename}"), b"12345")
        self.assertEqual(status, 403, text)
        self.assertIn("<Code>AccessDenied</Code>", text)
        self.assertIn('<Message>Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "up/"]'
                      '</Message>', text)
        status, text, _ = self.post_form(b, dict(form["fields"], **{"x-amz-meta-who": "you"}), b"12345")
        self.assertEqual(status, 403, text)
        self.assertIn('Policy Condition failed: ["eq", "$x-amz-meta-who", "me"]', text)
        # without a policy the form's storage class and metadata still follow S3's rules
        status, text, _ = self.post_form(b, {"key": "free", "x-amz-storage-class": "FROZEN"}, b"12345")
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>InvalidStorageClass</Code>", text)
        status, text, _ = self.post_form(b, {"key": "free", "x-amz-meta-big": "x" * 2100}, b"12345")
        self.assertEqual(status, 400, text)
        self.assertIn("<Code>MetadataTooLarge</Code>", text)
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket=b, Key="elsewhere/f.txt")

    def test_post_policy_expiry_and_signature(self):
        b = bucket("post-sig")
        expired = self.s3.generate_presigned_post(b, "k", ExpiresIn=-10)
        status, text, _ = self.post_form(b, expired["fields"], b"x")
        self.assertEqual(status, 403, text)
        self.assertIn("<Code>AccessDenied</Code>", text)
        self.assertIn("<Message>Invalid according to Policy: Policy expired.</Message>", text)
        # signed with a secret that is not the test key's: the signature does not match
        forged = client(secret="not-the-secret").generate_presigned_post(b, "k")
        status, text, _ = self.post_form(b, forged["fields"], b"x")
        self.assertEqual(status, 403, text)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", text)
        # a policy altered after signing
        good = self.s3.generate_presigned_post(b, "k")
        policy = json.loads(base64.b64decode(good["fields"]["policy"]))
        policy["conditions"].append(["content-length-range", 0, 10 ** 9])
        altered = dict(good["fields"], policy=base64.b64encode(json.dumps(policy).encode()).decode())
        status, text, _ = self.post_form(b, altered, b"x")
        self.assertEqual(status, 403, text)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", text)
        status, text, _ = self.post_form(b, good["fields"], b"x")
        self.assertEqual(status, 204, text)

    # ------------------------------------------------------------ 7: notifications

    def queue(self):
        sqs = client("sqs")
        url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:10]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return sqs, url, arn

    def receive(self, sqs, url, want, wait=4):
        got, deadline = [], time.time() + wait
        while time.time() < deadline and len(got) < want:
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
                got.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return [r for m in got for r in m.get("Records", [])]

    def test_notification_filters_per_destination_and_ids(self):
        b = bucket("notify")
        sqs, url1, arn1 = self.queue()
        _, url2, arn2 = self.queue()
        self.s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration={"QueueConfigurations": [
            {"Id": "logs-in", "QueueArn": arn1, "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "logs/"},
                                                {"Name": "suffix", "Value": ".gz"}]}}},
            {"QueueArn": arn2, "Events": ["s3:ObjectCreated:Put"],
             "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": ".jpg"}]}}}]})
        cfg = self.s3.get_bucket_notification_configuration(Bucket=b)["QueueConfigurations"]
        self.assertEqual(cfg[0]["Id"], "logs-in")
        generated = cfg[1]["Id"]
        self.assertTrue(generated, "S3 gives a configuration without Id one")
        self.assertEqual(cfg[0]["Filter"]["Key"]["FilterRules"],
                         [{"Name": "Prefix", "Value": "logs/"}, {"Name": "Suffix", "Value": ".gz"}])
        self.receive(sqs, url1, 1, wait=2)  # the s3:TestEvents
        self.receive(sqs, url2, 1, wait=2)
        for key in ["logs/a.gz", "logs/a.txt", "other/a.gz", "logs/b.jpg", "c.jpg"]:
            self.s3.put_object(Bucket=b, Key=key, Body=b"x")
        first = self.receive(sqs, url1, 1)
        second = self.receive(sqs, url2, 2)
        self.assertEqual([r["s3"]["object"]["key"] for r in first], ["logs/a.gz"])  # both rules apply
        self.assertEqual({r["s3"]["configurationId"] for r in first}, {"logs-in"})
        self.assertEqual(sorted(r["s3"]["object"]["key"] for r in second), ["c.jpg", "logs/b.jpg"])
        self.assertEqual({r["s3"]["configurationId"] for r in second}, {generated})

    def test_notification_rules_are_checked(self):
        b = bucket("notify-bad")
        _, _, arn = self.queue()
        bad = [
            ({"Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [
                {"Name": "prefix", "Value": "a"}, {"Name": "prefix", "Value": "b"}]}}},
             "Cannot specify more than one prefix rule in a filter."),
            ({"Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "a"}]}}},
             "filter rule name must be either prefix or suffix"),
            ({"Events": ["s3:ObjectExploded:*"]}, "The event is not supported for notifications"),
        ]
        for extra, message in bad:
            with self.assertRaises(ClientError) as ctx:
                self.s3.put_bucket_notification_configuration(
                    Bucket=b, NotificationConfiguration={"QueueConfigurations": [dict(QueueArn=arn, **extra)]})
            self.assertEqual(err(ctx), ("InvalidArgument", 400, message))
        self.assertNotIn("QueueConfigurations", self.s3.get_bucket_notification_configuration(Bucket=b))

    # ------------------------------------------------------------ 8: server access logs

    LOG_LINE = re.compile(
        r'(?P<owner>\S+) (?P<bucket>\S+) \[(?P<time>\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] (?P<ip>\S+) '
        r'(?P<requester>\S+) (?P<request_id>\S+) (?P<operation>\S+) (?P<key>\S+) "(?P<uri>[^"]*)" (?P<status>\d{3}) '
        r'(?P<error>\S+) (?P<bytes>\S+) (?P<size>\S+) (?P<total>\d+) (?P<turnaround>\S+) "(?P<referrer>[^"]*)" '
        r'"(?P<agent>[^"]*)" (?P<version>\S+) (?P<host_id>\S+) (?P<sig>\S+) (?P<cipher>\S+) (?P<auth>\S+) '
        r'(?P<host>\S+) (?P<tls>\S+) (?P<ap>\S+) (?P<acl>\S+)$')

    def test_access_logs_are_delivered(self):
        src, logs = bucket("logged"), bucket("log-target")
        self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": logs, "TargetPrefix": "access/"}})
        self.assertEqual(self.s3.get_bucket_logging(Bucket=src)["LoggingEnabled"],
                         {"TargetBucket": logs, "TargetPrefix": "access/"})
        self.s3.put_object(Bucket=src, Key="dir/a b.txt", Body=b"hello")
        self.assertEqual(self.s3.get_object(Bucket=src, Key="dir/a b.txt")["Body"].read(), b"hello")
        with self.assertRaises(ClientError):
            self.s3.get_object(Bucket=src, Key="missing")
        self.s3.list_objects_v2(Bucket=src)
        deadline, lines, keys = time.time() + 10, [], []  # delivered every S3_LOG_DELIVERY_INTERVAL=1 s
        while time.time() < deadline and len(lines) < 4:
            time.sleep(0.5)
            keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=logs).get("Contents", [])]
            lines = [ln for k in keys for ln in
                     self.s3.get_object(Bucket=logs, Key=k)["Body"].read().decode().splitlines()]
        self.assertTrue(keys, "no log object was delivered")
        for k in keys:
            self.assertRegex(k, r"^access/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$")
        records = []
        for ln in lines:
            m = self.LOG_LINE.match(ln)
            self.assertIsNotNone(m, ln)
            records.append(m.groupdict())
        by_op = {}
        for r in records:
            self.assertEqual(r["bucket"], src)
            by_op.setdefault(r["operation"], []).append(r)
        put = by_op["REST.PUT.OBJECT"][0]
        self.assertEqual((put["key"], put["status"], put["error"], put["size"]), ("dir/a%20b.txt", "200", "-", "5"))
        self.assertTrue(put["uri"].startswith(f"PUT /{src}/dir/a%20b.txt"), put["uri"])
        self.assertTrue(put["uri"].endswith(" HTTP/1.1"), put["uri"])
        self.assertEqual((put["ip"], put["sig"], put["auth"]), ("127.0.0.1", "SigV4", "AuthHeader"))
        self.assertIn("Boto3", put["agent"])
        gets = {r["key"]: r for r in by_op["REST.GET.OBJECT"]}
        self.assertEqual((gets["dir/a%20b.txt"]["status"], gets["dir/a%20b.txt"]["bytes"]), ("200", "5"))
        self.assertEqual((gets["missing"]["status"], gets["missing"]["error"]), ("404", "NoSuchKey"))
        self.assertEqual(by_op["REST.GET.BUCKET"][0]["key"], "-")
        datetime.datetime.strptime(put["time"], "%d/%b/%Y:%H:%M:%S +0000")
        # logging off: nothing more is delivered
        self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={})
        self.assertNotIn("LoggingEnabled", self.s3.get_bucket_logging(Bucket=src))

    def test_logging_target_is_checked(self):
        src = bucket("logsrc")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": "no-such-target-" + uuid.uuid4().hex[:8], "TargetPrefix": "x/"}})
        self.assertEqual(err(ctx), ("InvalidTargetBucketForLogging", 400,
                                    "The target bucket for logging does not exist"))
        far = f"far-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=far, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": far, "TargetPrefix": "x/"}})
        self.assertEqual(err(ctx), ("CrossLocationLoggingProhibitted", 403, "Cross S3 location logging not allowed. "))
        # a target with ACLs in effect needs the log-delivery group's grants (or a policy for the service)
        acl_target = bucket("acl-target")
        self.s3.put_bucket_ownership_controls(Bucket=acl_target, OwnershipControls={
            "Rules": [{"ObjectOwnership": "ObjectWriter"}]})
        enable = {"LoggingEnabled": {"TargetBucket": acl_target, "TargetPrefix": "x/"}}
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus=enable)
        self.assertEqual(err(ctx)[:2], ("InvalidTargetBucketForLogging", 400))
        self.assertIn("give the log-delivery group WRITE and READ_ACP permissions to the target bucket", err(ctx)[2])
        self.assertNotIn("LoggingEnabled", self.s3.get_bucket_logging(Bucket=src))
        group = "uri=http://acs.amazonaws.com/groups/s3/LogDelivery"
        self.s3.put_bucket_acl(Bucket=acl_target, GrantWrite=group, GrantReadACP=group)
        self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus=enable)
        self.assertEqual(self.s3.get_bucket_logging(Bucket=src)["LoggingEnabled"]["TargetBucket"], acl_target)
        # ... or a bucket policy that lets the logging service write
        policy_target = bucket("policy-target")
        self.s3.put_bucket_ownership_controls(Bucket=policy_target, OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
        self.s3.put_bucket_policy(Bucket=policy_target, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{policy_target}/*"}]}))
        self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": policy_target, "TargetPrefix": ""}})
        # a bucket-owner-enforced target takes no target grants
        enforced = bucket("enforced-target")
        self.s3.put_bucket_ownership_controls(Bucket=enforced, OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_bucket_logging(Bucket=src, BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": enforced, "TargetPrefix": "x/", "TargetGrants": [{
                    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                    "Permission": "READ"}]}})
        self.assertEqual(err(ctx), ("AccessControlListNotSupported", 400,
                                    "Target grants not allowed for bucket owner enforced buckets"))


@unittest.skipIf(os.environ.get("NB_S3B_URL"), "runs once, in the parent")
class NewerBoto3(unittest.TestCase):
    def test_every_case_with_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "S3ExactCases", (1, 31), dict(aws_env(), NB_S3B_URL=server_url()))


@unittest.skipIf(os.environ.get("NB_S3B_URL"), "runs once, in the parent")
class Cli(unittest.TestCase):
    def test_tags_and_restore_with_the_cli(self):
        for cli in aws_clis():
            b = bucket("cli")
            run = lambda *a: run_aws(cli, server_url(), "s3api", *a)  # noqa: E731
            r = run("put-object-tagging", "--bucket", b, "--key", "missing", "--tagging", "TagSet=[{Key=a,Value=b}]")
            self.assertNotEqual(r.returncode, 0)
            r = run("put-object", "--bucket", b, "--key", "k", "--storage-class", "DEEP_ARCHIVE", "--tagging",
                    "aws:x=1")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("InvalidTag", r.stderr, cli)
            r = run("put-object", "--bucket", b, "--key", "k", "--storage-class", "DEEP_ARCHIVE", "--tagging", "a=1")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("get-object", "--bucket", b, "--key", "k", os.devnull)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("InvalidObjectState", r.stderr, cli)
            r = run("restore-object", "--bucket", b, "--key", "k", "--restore-request", "Days=1")
            self.assertEqual(r.returncode, 0, r.stderr)
            deadline = time.time() + 15  # S3_RESTORE_DELAY=1; the CLI itself takes about that long to start
            while True:
                r = run("head-object", "--bucket", b, "--key", "k")
                restore = json.loads(r.stdout)["Restore"]
                if restore.startswith('ongoing-request="false", expiry-date='):
                    break
                self.assertEqual(restore, 'ongoing-request="true"', cli)
                self.assertLess(time.time(), deadline, cli)
            with tempfile.NamedTemporaryFile() as f:
                r = run("get-object", "--bucket", b, "--key", "k", f.name)
                self.assertEqual(r.returncode, 0, r.stderr)
            r = run("get-bucket-tagging", "--bucket", b)
            self.assertIn("NoSuchTagSet", r.stderr, cli)
            r = run("put-bucket-logging", "--bucket", b, "--bucket-logging-status",
                    json.dumps({"LoggingEnabled": {"TargetBucket": "no-such-" + b, "TargetPrefix": "l/"}}))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("InvalidTargetBucketForLogging", r.stderr, cli)


class Persistence(unittest.TestCase):
    """A restore's completion time is stored: it completes after a restart too; access-log
    records still waiting are written when the server stops."""

    @unittest.skipIf(os.environ.get("NB_S3B_URL"), "runs once, in the parent")
    def test_restore_survives_restart(self):
        data = tempfile.mkdtemp(prefix="nb-s3b-")
        try:
            env = dict(SERVICES="s3", PERSISTENCE=1, DATA_DIR=data, S3_RESTORE_DELAY=2)
            with Nimbus(**env) as n:
                s3 = client(url=n.url)
                s3.create_bucket(Bucket="persist-restore")
                s3.put_object(Bucket="persist-restore", Key="k", Body=b"bytes", StorageClass="DEEP_ARCHIVE")
                s3.restore_object(Bucket="persist-restore", Key="k", RestoreRequest={"Days": 1})
            with Nimbus(**env) as n:
                s3 = client(url=n.url)
                # polled rather than slept: the restarted server completes the restore 2 s after its request
                head = s3.head_object(Bucket="persist-restore", Key="k")
                deadline = time.monotonic() + 10
                while 'ongoing-request="true"' in head["Restore"] and time.monotonic() < deadline:
                    time.sleep(0.1)
                    head = s3.head_object(Bucket="persist-restore", Key="k")
                self.assertTrue(head["Restore"].startswith('ongoing-request="false", expiry-date="'), head)
                self.assertEqual(s3.get_object(Bucket="persist-restore", Key="k")["Body"].read(), b"bytes")
        finally:
            shutil.rmtree(data, ignore_errors=True)

    @unittest.skipIf(os.environ.get("NB_S3B_URL"), "runs once, in the parent")
    def test_waiting_log_records_are_written_at_shutdown(self):
        data = tempfile.mkdtemp(prefix="nb-s3b-")
        try:
            env = dict(SERVICES="s3", PERSISTENCE=1, DATA_DIR=data, S3_LOG_DELIVERY_INTERVAL=3600)
            with Nimbus(**env) as n:
                s3 = client(url=n.url)
                s3.create_bucket(Bucket="logged-src")
                s3.create_bucket(Bucket="logged-dst")
                s3.put_bucket_logging(Bucket="logged-src", BucketLoggingStatus={"LoggingEnabled": {
                    "TargetBucket": "logged-dst", "TargetPrefix": "l/"}})
                s3.put_object(Bucket="logged-src", Key="k", Body=b"x")
                self.assertNotIn("Contents", s3.list_objects_v2(Bucket="logged-dst"))  # not before an hour
            with Nimbus(**env) as n:
                s3 = client(url=n.url)
                keys = [o["Key"] for o in s3.list_objects_v2(Bucket="logged-dst").get("Contents", [])]
                self.assertEqual(len(keys), 1, keys)
                text = s3.get_object(Bucket="logged-dst", Key=keys[0])["Body"].read().decode()
                self.assertIn(" REST.PUT.OBJECT k \"PUT /logged-src/k", text)
        finally:
            shutil.rmtree(data, ignore_errors=True)


def setUpModule():
    global SERVER
    if not os.environ.get("NB_S3B_URL"):
        SERVER = Nimbus(SERVICES="s3,sqs", S3_RESTORE_DELAY=1, S3_LOG_DELIVERY_INTERVAL=1).start()


def tearDownModule():
    if SERVER:
        SERVER.stop()


if __name__ == "__main__":
    unittest.main()
