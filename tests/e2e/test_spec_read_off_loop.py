"""End-to-end: a service's first request reads its spec off the loop. The spec of SQS is served
from a named pipe (a folder earlier on NIMBUS_SPEC_PATH), so its read waits until the test
writes the spec: meanwhile the first requests are parked and other clients are answered; two
first requests share one read (a second read of the pipe would wait for ever); a spec that
cannot be read answers the protocol's unknown-operation error, and the next request reads it again. A first
request's body limit is its operation's although its head came before the spec was read."""
import http.client, json, os, re, shutil, sys, tempfile, threading, time, unittest, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import HTTPS, SOURCE_DIR, Nimbus  # noqa: E402

SPECS = os.path.join(SOURCE_DIR, "specs")
SQS = "sqs/2012-11-05"


def sqs_call(url, op, body="{}", timeout=30):
    """(status, parsed JSON body) of an awsJson SQS call."""
    req = urllib.request.Request(url + "/", data=body.encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS." + op,
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/sqs/aws4_request, "
                         "SignedHeaders=host, Signature=00"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def health(url):
    """Seconds the health endpoint takes to answer."""
    t0 = time.monotonic()
    with urllib.request.urlopen(url + "/_localstack/health", timeout=5) as r:
        r.read()
        assert r.status == 200
    return time.monotonic() - t0


class PipedSpec:
    """A spec folder whose SQS service-2.json is a named pipe, first on NIMBUS_SPEC_PATH."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nb-spec-pipe-")
        os.makedirs(os.path.join(self.dir, SQS))
        shutil.copy(os.path.join(SPECS, SQS, "overlay.json"), os.path.join(self.dir, SQS))
        self.pipe = os.path.join(self.dir, SQS, "service-2.json")
        os.mkfifo(self.pipe)
        with open(os.path.join(SPECS, "index.tsv")) as f:
            line = next(l for l in f if l.startswith("sqs\t"))
        with open(os.path.join(self.dir, "index.tsv"), "w") as f:
            f.write(line)  # its path is relative to the folder: the pipe
        with open(os.path.join(SPECS, SQS, "service-2.json"), "rb") as f:
            self.spec = f.read()

    def feed(self, data, timeout=10):
        """Writes data to the pipe once the server opens it; False when nobody opened it."""
        done = threading.Event()

        def write():
            with open(self.pipe, "wb") as f:  # blocks until the server opens the pipe to read
                f.write(data)
            done.set()

        threading.Thread(target=write, daemon=True).start()
        if not done.wait(timeout):
            with open(self.pipe, "rb"):  # unblocks the writer
                pass
            return False
        return True

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class SpecReadOffLoop(unittest.TestCase):
    def setUp(self):
        self.specs = PipedSpec()
        self.addCleanup(self.specs.close)
        self.n = Nimbus(NIMBUS_SPEC_PATH=self.specs.dir + ":" + SPECS, SERVICES="sqs").start()
        self.addCleanup(self.n.stop)

    def first_requests(self, count):
        """count ListQueues calls on threads of their own: (threads, their answers)."""
        answers = [None] * count

        def call(i):
            answers[i] = sqs_call(self.n.url, "ListQueues")

        threads = [threading.Thread(target=call, args=(i,), daemon=True) for i in range(count)]
        for t in threads:
            t.start()
        return threads, answers

    def test_first_requests_park_while_others_are_served_and_share_one_read(self):
        threads, answers = self.first_requests(2)
        time.sleep(0.5)  # both parked on the read, which waits for the pipe's writer
        slowest = max(health(self.n.url) for _ in range(20))
        self.assertLess(slowest, 2.0, "a health request waited for the spec's read")
        self.assertTrue(all(t.is_alive() for t in threads), "a first request was answered before its spec was read")
        self.assertTrue(self.specs.feed(self.specs.spec), "the server never opened the spec")
        for t in threads:
            t.join(15)
        self.assertEqual([a[0] if a else None for a in answers], [200, 200], answers)
        # a second read would have opened the pipe again: nobody writes it, so it would hang
        self.assertEqual(sqs_call(self.n.url, "CreateQueue", json.dumps({"QueueName": "q1"}))[0], 200)

    def test_a_spec_that_cannot_be_read_answers_the_services_error_then_is_read_again(self):
        threads, answers = self.first_requests(1)
        # the read starts from the request's head; failing it only once the whole request is
        # parked (a read failed before would be the parked request's to try again)
        time.sleep(0.5)
        self.assertTrue(self.specs.feed(b"{ not a spec"), "the server never opened the spec")
        threads[0].join(15)
        status, body = answers[0]
        # as a spec the router cannot read always answered: the protocol's unknown operation
        self.assertEqual(status, 400, answers)
        self.assertTrue(body.get("__type", "").endswith("UnknownOperationException"), body)
        threads, answers = self.first_requests(1)
        self.assertTrue(self.specs.feed(self.specs.spec), "the next request did not read the spec again")
        threads[0].join(15)
        self.assertEqual(answers[0][0], 200, answers)


@unittest.skipIf(HTTPS, "plain HTTP requests")
class FirstRequestBodyLimit(unittest.TestCase):
    """Each test's request is its server's first to S3: its head is routed before S3's spec is read."""

    def first_s3_request(self, method, target, size):
        """(status, error code) of a request with a body of size bytes, on a new server."""
        with Nimbus(SERVICES="s3") as n:
            conn = http.client.HTTPConnection("127.0.0.1", n.port, timeout=60)
            conn.request(method, target, body=b"x" * size, headers={
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/s3/aws4_request, "
                                 "SignedHeaders=host, Signature=00",
                "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
            r = conn.getresponse()
            body = r.read().decode(errors="replace")
            conn.close()
            code = re.search(r"<Code>([^<]*)</Code>", body)
            return r.status, code.group(1) if code else body

    def test_a_first_upload_larger_than_a_parsed_body_may_be_is_taken(self):
        # 12 MiB is over S3's 10 MiB for a parsed body, not an upload's: the bucket is what is missing
        self.assertEqual(self.first_s3_request("PUT", "/no-such-bucket/key", 12 << 20), (404, "NoSuchBucket"))

    def test_a_first_parsed_body_over_its_limit_gets_the_services_error(self):
        self.assertEqual(self.first_s3_request("POST", "/no-such-bucket?delete", 12 << 20),
                         (400, "MaxMessageLengthExceeded"))


if __name__ == "__main__":
    unittest.main()
