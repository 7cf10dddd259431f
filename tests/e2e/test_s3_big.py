"""End-to-end S3 check (about a minute; needs 8 GiB free in $TMPDIR, NB_SLOW=0 skips it): a 2 GiB object uploaded with a single PUT and
with a multipart upload, and downloaded, with the server's peak RSS (VmHWM) staying under 64 MB;
a client that disconnects mid-upload leaves no object and no temp file."""
import hashlib, http.client, os, shutil, socket, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

GiB = 1024 ** 3
MiB = 1024 ** 2
AUTH = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"


def vm_hwm_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1


def why_not():
    if os.environ.get("NB_SLOW") == "0":
        return "NB_SLOW=0"
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < 8 * GiB:
        return "only %.1f GiB free in %s, 8 GiB needed" % (free / GiB, tempfile.gettempdir())
    return None


WHY_NOT = why_not()
if WHY_NOT:
    print("test_s3_big: skipped:", WHY_NOT, file=sys.stderr)


@unittest.skipIf(WHY_NOT, WHY_NOT or "")
class BigObjects(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nimbus-s3-big-")
        self.n = Nimbus(SERVICES="s3", TMPDIR=self.tmp).start()
        self.s3 = boto3.client("s3", endpoint_url=self.n.url, region_name="us-east-1", aws_access_key_id="test",
                               aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))
        self.s3.create_bucket(Bucket="big-bkt")
        self.src = os.path.join(self.tmp, "src.bin")
        chunk = os.urandom(MiB)
        self.md5 = hashlib.md5()
        with open(self.src, "wb") as f:
            for i in range(2 * 1024):
                block = bytes([i & 255]) + chunk[1:]
                f.write(block)
                self.md5.update(block)

    def tearDown(self):
        self.n.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def download_md5(self, key):
        c = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=300)
        c.request("GET", "/big-bkt/" + key, headers={"Authorization": AUTH})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        h = hashlib.md5()
        while True:
            b = r.read(4 * MiB)
            if not b:
                break
            h.update(b)
        c.close()
        return h.hexdigest()

    def test_2gib_single_put_multipart_and_download_with_flat_memory(self):
        c = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=300)
        with open(self.src, "rb") as f:
            c.request("PUT", "/big-bkt/single", body=f,
                      headers={"Authorization": AUTH, "Content-Length": str(2 * GiB)})
            r = c.getresponse()
            r.read()
        self.assertEqual(r.status, 200)
        self.assertEqual(self.download_md5("single"), self.md5.hexdigest())
        self.s3.upload_file(self.src, "big-bkt", "multi",
                            Config=TransferConfig(multipart_chunksize=64 * MiB, max_concurrency=4))
        self.assertEqual(self.download_md5("multi"), self.md5.hexdigest())
        hwm = vm_hwm_mib(self.n.proc.pid)
        print("peak RSS after 2 x 2 GiB up and down: %.1f MiB" % hwm)
        self.assertLess(hwm, 64)

    def test_disconnect_mid_upload_leaves_nothing(self):
        s = socket.create_connection(("127.0.0.1", self.n.port))
        s.sendall(("PUT /big-bkt/partial HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n"
                   % (AUTH, 100 * MiB)).encode())
        s.sendall(os.urandom(10 * MiB))

        def spilled():
            return [f for f in os.listdir(self.tmp) if f.startswith("nimbus-body-")]

        def wait_until(done):  # polled, not a guessed sleep: as fast as the server, fails only if it never happens
            deadline = time.monotonic() + 10
            while not done() and time.monotonic() < deadline:
                time.sleep(0.05)

        wait_until(spilled)  # the body being received spilled to a temp file
        self.assertEqual(len(spilled()), 1)
        s.close()
        # an upload cut short is never an object, whenever the server notices the close
        self.assertEqual(self.s3.list_objects_v2(Bucket="big-bkt").get("KeyCount"), 0)
        wait_until(lambda: not spilled())
        self.assertEqual(spilled(), [])
        with self.assertRaises(ClientError) as ctx:
            self.s3.head_object(Bucket="big-bkt", Key="partial")
        self.assertEqual(ctx.exception.response["Error"]["Code"], "404")


if __name__ == "__main__":
    unittest.main(verbosity=2)
