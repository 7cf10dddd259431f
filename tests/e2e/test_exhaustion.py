"""Recovery from exhaustion (issue 24, item 4): a service whose start fails for a reason that
passes is started again by a later request (503 meanwhile, in the protocol's shape); at the
descriptor limit every answer is AWS-shaped; a server started on a full disk serves reads and
deletes, and a delete frees space for a later write; blobs no saved row points to (a kill -9
between a blob's write and its commit) are removed at start, referenced ones stay."""
import http.client, json, os, resource, shutil, socket, subprocess, sys, tempfile, threading, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

BIG = 200_000  # past S3's inline threshold: the body is a blob file


def clients(url, **config):
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
              config=Config(retries={"max_attempts": 0}, **config))
    return boto3.client("s3", **kw), boto3.client("sqs", **kw)


def health(url):
    conn = http.client.HTTPConnection(url.split("//")[1], timeout=5)
    conn.request("GET", "/_localstack/health")
    body = json.loads(conn.getresponse().read())
    conn.close()
    return body["services"]


def error_code(call):
    with unittest.TestCase().assertRaises(ClientError) as cm:
        call()
    e = cm.exception.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]


class SmallDisk:
    """A tmpfs of `size` under a temp dir (root only); fill() takes its last byte."""

    def __init__(self, size="2m"):
        self.dir = tempfile.mkdtemp(prefix="nb-exhaust-")
        self.mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", self.dir],
                                      capture_output=True).returncode == 0
        self.data = os.path.join(self.dir, "data")
        self.filler = os.path.join(self.dir, "filler")

    def fill(self):
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        assert os.statvfs(self.dir).f_bavail == 0, "the disk is full"

    def free(self):
        os.unlink(self.filler)

    def remount(self, mode):
        subprocess.run(["mount", "-o", f"remount,{mode}", self.dir], check=True)

    def close(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.dir])
        shutil.rmtree(self.dir, ignore_errors=True)


class NeedsSmallDisk(unittest.TestCase):
    def setUp(self):
        self.disk = SmallDisk()
        if not self.disk.mounted:
            self.disk.close()
            self.skipTest("mounting a tmpfs needs root")
        self.servers = []

    def tearDown(self):
        for n in self.servers:
            n.stop()
        self.disk.close()

    def server(self, **env):
        n = Nimbus(SERVICES="s3,sqs", PERSISTENCE="1", DATA_DIR=self.disk.data, **env)
        self.servers.append(n)
        return n.start()


class LazyStartRetry(NeedsSmallDisk):
    def test_a_service_that_could_not_start_on_a_read_only_volume_starts_once_it_is_writable(self):
        n = self.server()
        self.disk.remount("ro")  # what a volume does after I/O errors, until someone fixes it
        s3, sqs = clients(n.url)
        # neither store can be created: the request is answered 503 in its protocol's shape
        self.assertEqual(error_code(lambda: s3.create_bucket(Bucket="bucket")), ("SlowDown", 503))
        self.assertEqual(error_code(lambda: sqs.create_queue(QueueName="jobs")), ("ServiceUnavailable", 503))
        self.assertEqual(health(n.url)["s3"], "error")
        self.assertEqual(health(n.url)["sqs"], "error")
        self.disk.remount("rw")
        time.sleep(0.2)  # past the back-off between two starts
        s3.create_bucket(Bucket="bucket")
        self.assertEqual(s3.put_object(Bucket="bucket", Key="k", Body=b"v")["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertIn("QueueUrl", sqs.create_queue(QueueName="jobs"))
        self.assertEqual(health(n.url)["s3"], "running")
        self.assertEqual(health(n.url)["sqs"], "running")
        self.assertNotIn("nimbus: stopped", n.output)


class FullDisk(NeedsSmallDisk):
    def test_a_server_started_on_a_full_disk_serves_reads_and_deletes(self):
        n = self.server()
        s3, sqs = clients(n.url)
        s3.create_bucket(Bucket="bucket")
        bodies = {f"k{i}": os.urandom(BIG) for i in range(4)}
        for key, body in bodies.items():
            s3.put_object(Bucket="bucket", Key=key, Body=body)
        queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        for i in range(3):
            sqs.send_message(QueueUrl=queue, MessageBody=f"m{i}")
        n.stop()

        self.disk.fill()
        n = self.server()  # starts although nothing can be written
        s3, sqs = clients(n.url)
        self.assertEqual(s3.get_object(Bucket="bucket", Key="k1")["Body"].read(), bodies["k1"])
        self.assertEqual(s3.head_object(Bucket="bucket", Key="k2")["ContentLength"], BIG)
        self.assertEqual([o["Key"] for o in s3.list_objects_v2(Bucket="bucket")["Contents"]], sorted(bodies))
        # past the space kept free for deletes (256 KiB): no room
        code, status = error_code(lambda: s3.put_object(Bucket="bucket", Key="new", Body=os.urandom(2 * BIG)))
        self.assertEqual(status // 100, 5, code)
        # a delete commits on the full disk and frees the object's space
        s3.delete_object(Bucket="bucket", Key="k1")
        self.assertEqual(error_code(lambda: s3.head_object(Bucket="bucket", Key="k1")), ("404", 404))
        s3.put_object(Bucket="bucket", Key="new", Body=b"n" * (BIG // 2))
        self.assertEqual(s3.get_object(Bucket="bucket", Key="new")["Body"].read(), b"n" * (BIG // 2))
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in got), ["m0", "m1", "m2"])
        for m in got:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        n.stop()
        # what was deleted stays deleted
        n = self.server()
        s3, sqs = clients(n.url)
        self.assertEqual(sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bucket")["Contents"]),
                         ["k0", "k2", "k3", "new"])
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=queue))


class OrphanBlobs(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nb-orphans-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_blobs_no_row_points_to_are_removed_at_start(self):
        n = Nimbus(SERVICES="s3", PERSISTENCE="1", DATA_DIR=self.dir).start()
        try:
            s3, _ = clients(n.url)
            s3.create_bucket(Bucket="bucket")
            body = os.urandom(BIG)
            s3.put_object(Bucket="bucket", Key="kept", Body=body)
            upload = s3.create_multipart_upload(Bucket="bucket", Key="big")["UploadId"]
            s3.upload_part(Bucket="bucket", Key="big", UploadId=upload, PartNumber=1, Body=os.urandom(BIG))
        finally:
            n.stop()
        blobs = os.path.join(self.dir, "s3", "blobs")
        kept = sorted(os.path.relpath(os.path.join(d, f), blobs) for d, _, fs in os.walk(blobs) for f in fs)
        self.assertEqual(len(kept), 2, "the object's body and the part")
        # what a kill -9 between a body's write and its row's commit leaves
        stray = os.path.join(blobs, "o", "0123456789abcdef0123456789abcdef")
        with open(stray, "wb") as f:
            f.write(b"x" * BIG)
        nested = os.path.join(blobs, "p", "gone", "1")
        os.makedirs(os.path.dirname(nested))
        with open(nested, "wb") as f:
            f.write(b"y")

        n = Nimbus(SERVICES="s3", PERSISTENCE="1", DATA_DIR=self.dir).start()
        try:
            left = sorted(os.path.relpath(os.path.join(d, f), blobs) for d, _, fs in os.walk(blobs) for f in fs)
            self.assertEqual(left, kept)
            s3, _ = clients(n.url)
            self.assertEqual(s3.get_object(Bucket="bucket", Key="kept")["Body"].read(), body)
            parts = s3.list_parts(Bucket="bucket", Key="big", UploadId=upload)["Parts"]
            self.assertEqual([p["PartNumber"] for p in parts], [1])
            s3.complete_multipart_upload(Bucket="bucket", Key="big", UploadId=upload,
                                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": parts[0]["ETag"]}]})
            self.assertEqual(s3.head_object(Bucket="bucket", Key="big")["ContentLength"], BIG)
        finally:
            n.stop()
        self.assertIn("removed 2 blob(s)", n.output)


def low_descriptor_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


class DescriptorLimit(unittest.TestCase):
    """64 descriptors: the server serves (64 - 32) / 2 = 16 connections at once."""

    def setUp(self):
        self.n = Nimbus(SERVICES="s3,sqs")
        self.n.preexec = low_descriptor_limit
        self.n.start()
        self.sockets = []

    def tearDown(self):
        for s in self.sockets:
            s.close()
        self.n.stop()

    def test_idle_connections_past_the_limit_do_not_stop_the_service(self):
        for _ in range(150):
            self.sockets.append(socket.create_connection(("127.0.0.1", self.n.port)))
        s3, sqs = clients(self.n.url)
        s3.create_bucket(Bucket="bucket")
        body = os.urandom(BIG)
        for i in range(5):
            s3.put_object(Bucket="bucket", Key=f"k{i}", Body=body)
            self.assertEqual(s3.get_object(Bucket="bucket", Key=f"k{i}")["Body"].read(), body)
        queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        for i in range(5):
            sqs.send_message(QueueUrl=queue, MessageBody=str(i))
        self.assertEqual(len(sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]), 5)
        # the server made room by closing the connections idle the longest
        closed = 0
        for s in self.sockets:
            s.settimeout(0.5)
            try:
                closed += s.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except socket.timeout:
                pass
        self.assertGreater(closed, 150 - 16)
        self.assertIsNone(self.n.proc.poll())

    def test_requests_past_the_limit_get_a_503_in_their_protocol(self):
        _, sqs = clients(self.n.url)
        queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        results = []

        def poll():
            _, c = clients(self.n.url, read_timeout=10)
            try:
                c.receive_message(QueueUrl=queue, WaitTimeSeconds=5)
                results.append("ok")
            except ClientError as e:
                results.append((e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]))

        pollers = [threading.Thread(target=poll) for _ in range(20)]
        for t in pollers:
            t.start()
            time.sleep(0.1)  # its receive is read before the next connection asks for room
        time.sleep(0.3)
        # every connection busy: a new one gets S3's SlowDown, with its XML body, and is closed
        conn = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=5)
        conn.request("GET", "/bucket/key")
        resp = conn.getresponse()
        body = resp.read().decode()
        self.assertEqual(resp.status, 503, body)
        self.assertIn("<Code>SlowDown</Code>", body)
        self.assertEqual(resp.getheader("Connection"), "close")
        conn.close()
        for t in pollers:
            t.join(15)
        self.assertEqual(len(results), 20)
        self.assertTrue(set(results) <= {"ok", ("ServiceUnavailable", 503)}, results)
        self.assertGreaterEqual(results.count(("ServiceUnavailable", 503)), 4, results)
        # and once the polls are answered, the server serves everyone again
        self.assertIn("QueueUrls", sqs.list_queues())


if __name__ == "__main__":
    unittest.main()
