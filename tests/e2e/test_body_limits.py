"""End-to-end request body limits: each request's body is held to its operation's limit from the head on
(a body too large is refused with AWS's error before it is read, also behind "Expect: 100-continue");
the largest bodies allowed are parsed off the loop in bounded memory, which goes back to the system
afterwards; a health probe every 10 ms measures how long the loop is blocked meanwhile.

The loop's budget is 50 ms per request, plus the slowest answer of the same probe run at the same time
against a second, idle server (the scheduling noise of a loaded machine, printed: near 1 ms on an idle one),
plus NB_PROBE_SLACK_MS if set. A server built with AddressSanitizer (tools/test.sh's second pass) keeps freed
memory in quarantine and runs several times slower: there, only what a client sees is checked."""
import json, os, re, socket, subprocess, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, newer_python  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

MiB = 1024 * 1024
LOOP_BUDGET_MS = 50 + float(os.environ.get("NB_PROBE_SLACK_MS", "0"))  # + the noise measured meanwhile
DDB_TARGET = "DynamoDB_20120810.PutItem"
S3_AUTH = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
DDB_AUTH = S3_AUTH.replace("/s3/", "/dynamodb/")


def proc_status_mib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


PROBE = r"""
import re, socket, sys, threading, time
port = int(sys.argv[1])
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
s = socket.create_connection(("127.0.0.1", port))
buf, worst, count, errors = b"", 0.0, 0, 0
while not done.is_set():
    t0 = time.monotonic()
    s.sendall(b"GET /_localstack/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            m = re.search(rb"(?i)content-length: *(\d+)", buf[:end])
            total = end + 4 + (int(m.group(1)) if m else 0)
            if len(buf) >= total:
                errors += not buf.startswith(b"HTTP/1.1 200")
                buf = buf[total:]
                break
        chunk = s.recv(65536)
        if not chunk:
            errors += 1
            done.set()
            break
        buf += chunk
    worst = max(worst, (time.monotonic() - t0) * 1000)
    count += 1
    if count == 1:
        print("ready", flush=True)
    time.sleep(0.01)
print(worst, count, errors)
"""


class Probe:
    """GET /_localstack/health every 10 ms on its own connection, from another process (this one's GIL
    must not count); max_ms is the slowest answer. With control_port, the same probe runs meanwhile against
    an idle server: its slowest answer (noise_ms) is what the machine's load alone costs."""

    def __init__(self, port, control_port=None):
        self.ports = [port] + ([control_port] if control_port else [])

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", PROBE, str(port)], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True) for port in self.ports]
        for proc in self.procs:
            proc.stdout.readline()  # "ready": probing
        return self

    def __exit__(self, *exc):
        time.sleep(0.1)
        results = [proc.communicate("", timeout=10)[0].split() for proc in self.procs]
        self.max_ms, self.count, self.errors = float(results[0][0]), int(results[0][1]), int(results[0][2])
        self.noise_ms = float(results[1][0]) if len(results) > 1 else 0.0


def answer_complete(data):
    """True once data holds a whole final answer (any 100 Continue before it skipped)."""
    pos = 0
    while True:
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            return False
        if data.startswith(b"HTTP/1.1 100", pos):
            pos = end + 4
            continue
        m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", data[pos:end])
        return m is not None and len(data) >= end + 4 + int(m.group(1))


def raw_request(port, head, body=b"", read_timeout=10):
    """Sends head (and body) on a new connection; returns (what was read until a whole answer or close, seconds)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(read_timeout)
    t0 = time.monotonic()
    data = b""
    try:
        s.sendall(head.encode() + body)
        while not answer_complete(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    return data.decode(errors="replace"), time.monotonic() - t0


def final_answer(data):
    """(status, body) of the last answer in data (after any 100 Continue)."""
    answers = [m.start() for m in re.finditer(r"HTTP/1\.1 \d{3}", data)]
    last = data[answers[-1]:]
    return int(last[9:12]), last.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in last else ""


def ddb_put_item(nattrs, pad=0):
    """A DynamoDB PutItem whose item has nattrs string attributes (pad: extra bytes in the first)."""
    attrs = ",".join('"a%d":{"S":"v%d"}' % (i, i) for i in range(nattrs))
    first = '"pad":{"S":"%s"},' % ("x" * pad) if pad else ""
    return ('{"TableName":"tbl","Item":{%s%s}}' % (first, attrs)).encode()


class BodyLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="s3,sqs,dynamodb").start()
        cls.pid = cls.n.proc.pid
        cls.s3 = boto3.client("s3", endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))
        cls.s3.create_bucket(Bucket="limits-bkt")
        # the services' specs and plugins are loaded: what is measured below is the request's own cost
        cls.ddb(ddb_put_item(10))
        cls.s3.put_object(Bucket="limits-bkt", Key="warm", Body=b"x")
        cls.control = Nimbus(SERVICES="s3").start()  # idle: probed for the machine's noise
        with open("/proc/%d/maps" % cls.pid) as f:
            cls.sanitized = "libasan" in f.read()

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()
        cls.control.stop()

    @classmethod
    def ddb(cls, body, extra=""):
        head = ("POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"
                "Authorization: %s\r\nContent-Length: %d\r\n%s\r\n" % (DDB_TARGET, DDB_AUTH, len(body), extra))
        return raw_request(cls.n.port, head, body, read_timeout=60)

    def settle_rss(self, baseline, slack_mib):
        """VmRSS back within slack_mib of baseline (memory is given back off the loop, just after the answer)."""
        deadline = time.time() + 15
        while time.time() < deadline:
            rss = proc_status_mib(self.pid, "VmRSS")
            if rss <= baseline + slack_mib:
                return rss
            time.sleep(0.1)
        return rss

    def test_oversize_json_refused_unread_with_a_bare_413(self):
        # The head alone says 60 MB: answered at once, before a byte of the body is sent, with the
        # bare 413 of AWS's front end (no service error).
        head = ("POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"
                "Authorization: %s\r\nContent-Length: %d\r\n\r\n" % (DDB_TARGET, DDB_AUTH, 60 * MiB))
        data, elapsed = raw_request(self.n.port, head)
        status, body = final_answer(data)
        self.assertEqual(status, 413, data)
        self.assertEqual(body, "")
        self.assertIn("Connection: close", data)
        self.assertLess(elapsed, 2)

    def test_oversize_json_sent_whole_costs_no_memory(self):
        with open("/proc/%d/clear_refs" % self.pid, "w") as f:
            f.write("5")
        hwm0 = proc_status_mib(self.pid, "VmHWM")
        rss0 = proc_status_mib(self.pid, "VmRSS")
        body = ddb_put_item(10, pad=60 * MiB)
        with Probe(self.n.port, self.control.port) as probe:
            try:
                data, elapsed = self.ddb(body)
            except (BrokenPipeError, ConnectionResetError):
                data, elapsed = "", 0  # refused mid-send: the answer may be lost with the reset
        hwm = proc_status_mib(self.pid, "VmHWM")
        print("oversize 60 MB JSON: answer in %.2f s, VmHWM %.0f -> %.0f MiB (RSS before %.0f), probe max %.1f ms "
              "(idle server meanwhile: %.1f ms)" % (elapsed, hwm0, hwm, rss0, probe.max_ms, probe.noise_ms),
              file=sys.stderr)
        if data:
            self.assertEqual(final_answer(data)[0], 413, data[:300])
        self.assertEqual(probe.errors, 0)
        if not self.sanitized:
            self.assertLess(hwm - max(hwm0, rss0), 32, "a refused body must not be held in memory")
            self.assertLess(probe.max_ms, LOOP_BUDGET_MS + probe.noise_ms)

    def test_oversize_chunked_json_refused_as_it_arrives(self):
        s = socket.create_connection(("127.0.0.1", self.n.port))
        s.settimeout(10)
        s.sendall(("POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"
                   "Authorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n" % (DDB_TARGET, DDB_AUTH)).encode())
        chunk = b"%x\r\n%s\r\n" % (MiB, b" " * MiB)
        sent, data = 0, b""
        try:
            while sent < 64 and b"\r\n\r\n" not in data:
                s.sendall(chunk)
                sent += 1
                s.setblocking(False)
                try:
                    data += s.recv(65536)
                except BlockingIOError:
                    pass
                s.settimeout(10)
            while b"\r\n\r\n" not in data:
                more = s.recv(65536)
                if not more:
                    break
                data += more
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            s.close()
        text = data.decode(errors="replace")
        self.assertTrue(text.startswith("HTTP/1.1 413"), text[:200])
        self.assertLess(sent, 40, "answered only after %d MiB of a 16 MiB limit" % sent)

    def measure(self, head, body):
        """Sends one request with the probe running: (status, answer, peak MiB over the RSS before, RSS MiB
        left over once settled); checks the probe (the loop's budget). Under a sanitizer: the answer only."""
        with open("/proc/%d/clear_refs" % self.pid, "w") as f:
            f.write("5")  # VmHWM starts again from VmRSS: the peak measured is this request's
        rss0 = proc_status_mib(self.pid, "VmRSS")
        hwm0 = proc_status_mib(self.pid, "VmHWM")
        self.assertLess(hwm0 - rss0, 2, "VmHWM was not reset")
        with Probe(self.n.port, self.control.port) as probe:
            data, elapsed = raw_request(self.n.port, head, body, read_timeout=120)
        hwm = proc_status_mib(self.pid, "VmHWM")
        rss = self.settle_rss(rss0, 6) if not self.sanitized else proc_status_mib(self.pid, "VmRSS")
        status, answer = final_answer(data)
        print("%s: %.1f MiB body -> %d in %.2f s; VmHWM %.0f -> %.0f MiB, VmRSS %.0f -> %.0f MiB; slowest of %d probes "
              "%.1f ms (idle server meanwhile: %.1f ms)" % (self.id().split(".")[-1], len(body) / MiB, status, elapsed,
                                                           hwm0, hwm, rss0, rss, probe.count, probe.max_ms,
                                                           probe.noise_ms), file=sys.stderr)
        self.assertEqual(probe.errors, 0)
        if self.sanitized:
            return status, answer, 0, 0
        self.assertLess(probe.max_ms, LOOP_BUDGET_MS + probe.noise_ms, "the loop was blocked")
        return status, answer, hwm - max(hwm0, rss0), rss - rss0

    def ddb_head(self, body):
        return ("POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"
                "Authorization: %s\r\nContent-Length: %d\r\n\r\n" % (DDB_TARGET, DDB_AUTH, len(body)))

    def test_largest_allowed_json_parsed_off_the_loop_in_bounded_memory(self):
        # 16 MB of items as DynamoDB stores them: 1,600 attributes of 10 kB
        attrs = ",".join('"attr%d":{"S":"%s"}' % (i, "%05d" % i * 2000) for i in range(1600))
        body = ('{"TableName":"tbl","Item":{%s}}' % attrs).encode()
        self.assertLess(len(body), 16 * MiB)
        status, answer, peak, left = self.measure(self.ddb_head(body), body)
        # parsed, validated and handed to DynamoDB's handler: its table does not exist
        self.assertEqual((status, json.loads(answer)["__type"]), (400, "ResourceNotFoundException"), answer[:300])
        self.assertLess(peak, 4 * len(body) / MiB, "parse memory: a small multiple of the body")
        self.assertLess(left, 6, "memory goes back after the request")

    def test_largest_allowed_json_of_tiny_values(self):
        """The worst case: 640,000 attributes of a few bytes, each a jansson value of its own for the plugin."""
        body = ddb_put_item((16 * MiB - 64 * 1024) // len('"a1234567":{"S":"v1234567"},'))
        self.assertLess(len(body), 16 * MiB)
        status, answer, peak, left = self.measure(self.ddb_head(body), body)
        self.assertEqual((status, json.loads(answer)["__type"]), (400, "ResourceNotFoundException"), answer[:300])
        self.assertLess(peak, 24 * len(body) / MiB)  # 35 times before the in-place conversion
        self.assertLess(left, 6, "memory goes back after the request")

    def test_largest_allowed_xml_parsed_off_the_loop(self):
        upload = self.s3.create_multipart_upload(Bucket="limits-bkt", Key="mpu")["UploadId"]
        etag = '"%s"' % ("e" * 900)  # 10,000 parts of a long ETag: just under the 10 MiB of an S3 XML body
        xml = ("<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
            "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (i, etag) for i in range(1, 10001))).encode()
        self.assertLess(len(xml), 10 * MiB)
        head = ("POST /limits-bkt/mpu?uploadId=%s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\n"
                "Content-Length: %d\r\n\r\n" % (upload, S3_AUTH, len(xml)))
        status, answer, peak, left = self.measure(head, xml)
        self.assertEqual(status, 400, answer[:300])
        self.assertIn("<Code>InvalidPart</Code>", answer)  # parsed: the parts were never uploaded
        self.assertLess(peak, 6 * len(xml) / MiB)
        self.assertLess(left, 6)

    def test_client_leaving_during_the_off_loop_parse(self):
        body = ddb_put_item(100000)  # 2.3 MB: a fraction of a second of parsing on the thread pool
        rss0 = proc_status_mib(self.pid, "VmRSS")
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", self.n.port))
            s.sendall(self.ddb_head(body).encode() + body)
            s.close()
        time.sleep(0.5)
        data, _ = self.ddb(ddb_put_item(10))  # the server still answers, and frees what the gone ones cost
        self.assertEqual(final_answer(data)[0], 400, data[:300])  # answered: the table does not exist
        self.assertIsNone(self.n.proc.poll())
        if not self.sanitized:
            self.assertLess(self.settle_rss(rss0, 6) - rss0, 6)

    def test_oversize_xml_gets_s3s_error(self):
        head = ("POST /limits-bkt?delete HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n"
                % (S3_AUTH, 38 * MiB))
        data, elapsed = raw_request(self.n.port, head)
        status, body = final_answer(data)
        self.assertEqual(status, 400, data)
        self.assertIn("<Code>MaxMessageLengthExceeded</Code>", body)
        self.assertLess(elapsed, 2)

    def test_expect_continue_oversize_gets_the_final_status_and_no_100(self):
        # an upload past NIMBUS_MAX_BODY_SIZE: the bare 413; an XML body past S3's limit: S3's error
        for method, target, length, status, code in (("PUT", "/limits-bkt/huge", 6 * 1024 * MiB, 413, None),
                                                     ("POST", "/limits-bkt?delete", 20 * MiB, 400,
                                                      "MaxMessageLengthExceeded")):
            head = ("%s %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Length: %d\r\n"
                    "Expect: 100-continue\r\n\r\n" % (method, target, S3_AUTH, length))
            data, elapsed = raw_request(self.n.port, head)
            self.assertTrue(data.startswith("HTTP/1.1 %d " % status), data[:200])
            if code:
                self.assertIn("<Code>%s</Code>" % code, data)
            self.assertLess(elapsed, 2)

    def test_expect_continue_allowed_body_gets_100_first(self):
        self.continue_then_ok("/limits-bkt/small")

    def continue_then_ok(self, target):
        """An upload of 5 bytes waiting on 100-continue: the 100 comes first, then the body is taken."""
        head = ("PUT %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Length: 5\r\n"
                "Expect: 100-continue\r\n\r\n" % (target, S3_AUTH))
        s = socket.create_connection(("127.0.0.1", self.n.port))
        s.settimeout(5)
        s.sendall(head.encode())
        self.assertEqual(s.recv(25), b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"hello")
        self.assertTrue(s.recv(65536).startswith(b"HTTP/1.1 200 "))
        s.close()

    def test_expect_continue_empty_body_answered_at_once(self):
        head = ("PUT /limits-bkt/empty HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Length: 0\r\n"
                "Expect: 100-continue\r\n\r\n" % S3_AUTH)
        data, elapsed = raw_request(self.n.port, head, read_timeout=5)
        self.assertEqual(final_answer(data)[0], 200, data)
        self.assertTrue(data.startswith("HTTP/1.1 100 Continue\r\n\r\n"), data[:100])
        self.assertLess(elapsed, 1)

    def answered_from_the_head(self, target, extra="", length=5 * MiB):
        """Sends only the head of an upload waiting on 100-continue: (status, body, seconds) of the answer,
        which must come without a 100 Continue, and the connection closed after it."""
        head = ("PUT %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Length: %d\r\n%s"
                "Expect: 100-continue\r\n\r\n" % (target, S3_AUTH, length, extra))
        s = socket.create_connection(("127.0.0.1", self.n.port))
        s.settimeout(5)
        t0 = time.monotonic()
        s.sendall(head.encode())
        data = b""
        while not answer_complete(data):
            chunk = s.recv(65536)
            self.assertTrue(chunk, "closed before an answer: %r" % data[:300])
            data += chunk
        elapsed = time.monotonic() - t0
        self.assertFalse(data.startswith(b"HTTP/1.1 100"), data[:300])
        self.assertEqual(s.recv(65536), b"", "the connection closes after the answer")
        s.close()
        status, body = final_answer(data.decode(errors="replace"))
        return status, body, elapsed

    def test_expect_continue_missing_bucket_answered_from_the_head(self):
        status, body, elapsed = self.answered_from_the_head("/no-such-limits-bkt/k")
        self.assertEqual(status, 404, body)
        self.assertIn("<Code>NoSuchBucket</Code>", body)
        self.assertIn("<BucketName>no-such-limits-bkt</BucketName>", body)
        self.assertLess(elapsed, 2)

    def test_expect_continue_expired_presigned_url_answered_from_the_head(self):
        query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20200101%2Fus-east-1%2Fs3%2Faws4_request"
                 "&X-Amz-Date=20200101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=0")
        status, body, elapsed = self.answered_from_the_head("/limits-bkt/presigned?" + query)
        self.assertEqual(status, 403, body)
        self.assertIn("<Code>AccessDenied</Code>", body)
        self.assertLess(elapsed, 2)

    def test_expect_continue_unknown_upload_answered_from_the_head(self):
        status, body, elapsed = self.answered_from_the_head("/limits-bkt/mp?partNumber=1&uploadId=nosuchupload")
        self.assertEqual(status, 404, body)
        self.assertIn("<Code>NoSuchUpload</Code>", body)
        self.assertLess(elapsed, 2)
        # a known upload: 100 Continue, then the part is taken
        upload = self.s3.create_multipart_upload(Bucket="limits-bkt", Key="mp")["UploadId"]
        self.continue_then_ok("/limits-bkt/mp?partNumber=1&uploadId=%s" % upload)
        self.assertEqual(len(self.s3.list_parts(Bucket="limits-bkt", Key="mp", UploadId=upload)["Parts"]), 1)
        self.s3.abort_multipart_upload(Bucket="limits-bkt", Key="mp", UploadId=upload)

    def test_expect_continue_invalid_head_answered_from_the_head(self):
        # a header the spec types as a timestamp (the parse); a canned ACL, a storage class S3 does not know
        # (the plugin's precheck)
        for extra, code, message in (
                ("x-amz-object-lock-retain-until-date: notadate\r\n", "InvalidArgument",
                 "x-amz-object-lock-retain-until-date"),
                ("x-amz-acl: no-such-acl\r\n", "InvalidArgument", "<ArgumentName>x-amz-acl</ArgumentName>"),
                ("x-amz-storage-class: NO_SUCH_CLASS\r\n", "InvalidStorageClass", "NO_SUCH_CLASS")):
            status, body, elapsed = self.answered_from_the_head("/limits-bkt/bad", extra)
            self.assertEqual(status, 400, body)
            self.assertIn("<Code>%s</Code>" % code, body)
            self.assertIn(message, body)
            self.assertLess(elapsed, 2)
        with self.assertRaises(self.s3.exceptions.ClientError):
            self.s3.head_object(Bucket="limits-bkt", Key="bad")

    def run_boto3(self, lines, check, pythons=None):
        """Runs a boto3 script (s3: a path-style client of this server) with each of pythons (default: the
        newer botocore's, boto3 1.43 that waits for 100 Continue even before an empty body); check(python,
        stdout) asserts on what it printed."""
        pythons = [p for p in (pythons or [newer_python()]) if p]
        if not pythons:
            self.skipTest("no python with a newer boto3")
        script = ("import boto3, sys, time\nfrom botocore.config import Config\n"
                  "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='t',"
                  " aws_secret_access_key='t', config=Config(s3={'addressing_style': 'path'}, read_timeout=10,"
                  " retries={'max_attempts': 1}))\n" + lines)
        for python in pythons:
            out = subprocess.run([python, "-c", script, self.n.url], capture_output=True, text=True, timeout=120)
            self.assertEqual(out.returncode, 0, out.stderr[-2000:])
            check(python, out.stdout)

    def server_read_bytes(self):
        with open("/proc/%d/io" % self.pid) as f:
            return int(re.search(r"rchar: (\d+)", f.read()).group(1))

    def test_boto3_missing_bucket_put_fails_without_the_body(self):
        """A 20 MiB body to a missing bucket (both boto3s send Expect: 100-continue): NoSuchBucket, the body unsent."""
        read0 = [self.server_read_bytes()]

        def check(python, stdout):
            print("\n%s: %s" % (python, stdout.strip()), file=sys.stderr)
            self.assertIn("NoSuchBucket", stdout)
            read = self.server_read_bytes() - read0[0]
            self.assertLess(read, 1 * MiB, "the server read %d bytes: the body was sent" % read)
            read0[0] += read

        self.run_boto3("body = b'x' * (20 * 1024 * 1024)\n"
                       "t = time.time()\n"
                       "try:\n"
                       "    s3.put_object(Bucket='no-such-limits-bkt', Key='k', Body=body)\n"
                       "    print('stored')\n"
                       "except s3.exceptions.NoSuchBucket:\n"
                       "    print(boto3.__version__, 'NoSuchBucket', round(time.time() - t, 3))\n", check,
                       [sys.executable, newer_python()])

    def test_newest_boto3_empty_then_non_empty_put_on_one_connection(self):
        """boto3 1.43 waits for a 100 Continue even before an empty body; without one, the next PUT hung 60 s."""
        def check(python, stdout):
            times = [float(line.split()[1]) for line in stdout.split("\n") if line]
            self.assertEqual(len(times), 4, stdout)
            self.assertLess(max(times), 2, "%s: %s" % (python, stdout))

        self.run_boto3("for i, body in enumerate([b'', b'hello', b'', b'world']):\n"
                       "    t = time.time(); s3.put_object(Bucket='limits-bkt', Key='k%d' % i, Body=body)\n"
                       "    print(boto3.__version__, round(time.time() - t, 2))\n", check)

    def test_sqs_message_of_1_mib_is_within_the_limit(self):
        sqs = boto3.client("sqs", endpoint_url=self.n.url, region_name="us-east-1", aws_access_key_id="test",
                           aws_secret_access_key="test")
        url = sqs.create_queue(QueueName="limits-q")["QueueUrl"]
        try:
            sqs.send_message(QueueUrl=url, MessageBody="\u00e9" * (MiB // 2))  # 1 MiB of UTF-8, percent-encoded: 3 MiB
        except sqs.exceptions.ClientError as e:  # the queue's own MaximumMessageSize may refuse it, not the gateway
            self.assertNotEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 413)


class StructuredLimitSetting(unittest.TestCase):
    def test_setting_lowers_every_parsed_body_limit_not_uploads(self):
        with Nimbus(SERVICES="s3,sqs", NIMBUS_MAX_STRUCTURED_BODY_SIZE="1m") as n:
            s3 = boto3.client("s3", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))
            s3.create_bucket(Bucket="set-bkt")
            s3.put_object(Bucket="set-bkt", Key="big", Body=b"x" * (3 * MiB))  # a streaming payload: not limited
            self.assertEqual(s3.head_object(Bucket="set-bkt", Key="big")["ContentLength"], 3 * MiB)
            sqs = boto3.client("sqs", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                               aws_secret_access_key="test")
            url = sqs.create_queue(QueueName="set-q")["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="x" * (MiB - 1024))  # under the setting
            body = ('{"QueueUrl": "%s", "MessageBody": "%s"}' % (url, "x" * MiB)).encode()
            head = ("POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AmazonSQS.SendMessage\r\n"
                    "Content-Type: application/x-amz-json-1.0\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n"
                    % (S3_AUTH.replace("/s3/", "/sqs/"), len(body)))
            data, _ = raw_request(n.port, head, body)
            self.assertEqual(final_answer(data)[0], 413, data[:300])


if __name__ == "__main__":
    unittest.main()
