"""Plugin ABI 1.6 end to end, through two test providers (tests/unit/plugins/tp_proc.c as lambda,
tp_select.c as s3, tp_shard.c as kinesis): child processes (lines, exit status, kill with a grace period, none left at
shutdown), an extra loopback listener, a private prefix of the main port with a Runtime-API long
poll, a 64 MiB streamed body read slowly with the server's memory staying bounded, a client going
away cancelling its stream, and an AWS event stream decoded by botocore."""
import http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, unittest

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, Nimbus

PLUGINS = [os.path.join(BINARY_DIR, "test-plugins", so) for so in ("tp_proc.so", "tp_select.so", "tp_shard.so")]
MIB = 1024 * 1024
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
HIGH_WATER = 256 * 1024  # NB_STREAM_HIGH_WATER


def client(n, service):
    return boto3.client(service, endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, read_timeout=120))


def proc_status(pid):
    """'R', 'S', 'Z', ... for a process, None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def alive(pid):
    return proc_status(pid) not in (None, "Z", "X")


def sanitized(pid):
    """A server built with AddressSanitizer keeps freed memory in quarantine: its RSS says nothing."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def check_clean_exit(test, n):
    rc = n.stop()
    test.assertEqual(rc, 0, "the server did not exit cleanly on SIGTERM:\n" + n.output[-4000:])
    for mark in SANITIZER_MARKS:
        test.assertNotIn(mark, n.output)


def vm_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class ProcStream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        for so in PLUGINS:
            shutil.copy(so, cls.dir)
        cls.request_log = os.path.join(cls.dir, "requests.jsonl")
        cls.n = Nimbus(NIMBUS_PLUGIN_PATH=cls.dir, PROVIDER_OVERRIDE_S3="s3-select-test", SERVICES="lambda,s3,kinesis",
                       NIMBUS_REQUEST_LOG=cls.request_log)
        cls.n.start()
        cls.lam = client(cls.n, "lambda")
        cls.port = cls.invoke("endpoints", {})["port"]

    @classmethod
    def tearDownClass(cls):
        try:
            check_clean_exit(unittest.TestCase(), cls.n)
        finally:
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def invoke(cls, fn, payload):
        r = cls.lam.invoke(FunctionName=fn, Payload=json.dumps(payload).encode())
        return json.loads(r["Payload"].read())

    def get(self, port, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r, body

    def stats(self):
        return json.loads(self.get(self.port, "/stats")[1])

    # ---- child processes ----

    def test_spawn_delivers_lines_and_exit_status(self):
        out = self.invoke("spawn", {"argv": ["sh", "-c", "echo a; echo b >&2; exit 3"]})
        self.assertEqual(sorted((l["fd"], l["line"]) for l in out["lines"]), [(1, "a"), (2, "b")])
        self.assertEqual((out["status"], out["signal"]), (3, 0))

    def test_lines_are_capped_and_last_line_without_newline_kept(self):
        out = self.invoke("spawn", {"argv": ["sh", "-c", "printf '%0100d\\nshort\\ntail' 7"], "line_max": 10})
        self.assertEqual([(l["line"], l["truncated"]) for l in out["lines"]],
                         [("0" * 10, True), ("short", False), ("tail", False)])

    def test_stdin_is_fed(self):
        out = self.invoke("spawn", {"argv": ["cat"], "stdin": "one\ntwo\n"})
        self.assertEqual([l["line"] for l in out["lines"]], ["one", "two"])
        self.assertEqual(out["status"], 0)

    def test_environment_and_working_directory(self):
        with tempfile.TemporaryDirectory() as d:
            out = self.invoke("spawn", {"argv": ["sh", "-c", "pwd"], "cwd": d})
            self.assertEqual(out["lines"][0]["line"], os.path.realpath(d))

    def test_missing_program_is_an_error(self):
        with self.assertRaises(self.lam.exceptions.InvalidParameterValueException) as e:
            self.invoke("spawn", {"argv": ["/nonexistent/program"]})
        self.assertIn("not found", str(e.exception))

    def test_kill_lets_a_child_that_handles_sigterm_finish(self):
        t0 = time.monotonic()
        out = self.invoke("spawn", {"argv": ["sh", "-c", "trap 'echo term; exit 7' TERM; echo ready; "
                                                         "while :; do sleep 0.05; done"],
                                    "kill_after_ms": 300, "grace_ms": 10000})
        self.assertEqual((out["status"], out["signal"]), (7, 0))
        self.assertEqual([l["line"] for l in out["lines"] if l["fd"] == 1], ["ready", "term"])
        self.assertLess(time.monotonic() - t0, 5)  # ended by its trap, not by the 10 s grace period

    def test_kill_ends_a_child_that_ignores_sigterm_after_the_grace_period(self):
        t0 = time.monotonic()
        out = self.invoke("spawn", {"argv": ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
                                    "kill_after_ms": 200, "grace_ms": 700})
        took = time.monotonic() - t0
        self.assertEqual(out["signal"], 9)
        self.assertGreaterEqual(took, 0.85)  # 200 ms + the 700 ms grace
        self.assertLess(took, 5)

    def test_what_a_child_leaves_running_is_killed_when_it_exits(self):
        out = self.invoke("spawn", {"argv": ["sh", "-c", "sleep 300 & echo $!"]})
        grandchild = int(out["lines"][0]["line"])
        deadline = time.time() + 5
        while alive(grandchild) and time.time() < deadline:
            time.sleep(0.05)
        self.assertFalse(alive(grandchild), "the child's background sleep still runs")

    # ---- raw HTTP endpoints ----

    def test_extra_listener_answers(self):
        r, body = self.get(self.port, "/hello")
        self.assertEqual((r.status, body), (200, b"hello from tp-proc GET"))
        self.assertEqual(r.getheader("X-Tp-Base"), "/")
        self.assertNotEqual(self.port, self.n.port)
        r, body = self.get(self.port, "/nope")
        self.assertEqual((r.status, body), (404, b"no such endpoint"))

    def test_private_prefix_on_the_main_port(self):
        r, body = self.get(self.n.port, "/_nimbus/tp-proc/hello")
        self.assertEqual((r.status, body), (200, b"hello from tp-proc GET"))
        self.assertEqual(r.getheader("X-Tp-Base"), "/_nimbus/tp-proc/")
        r, _ = self.get(self.n.port, "/_nimbus/not-a-plugin/hello")  # not the plugin's: the core's 404
        self.assertEqual(r.status, 404)

    def test_origin_and_host_checks_apply_to_plugin_endpoints(self):
        for port, path in ((self.port, "/hello"), (self.n.port, "/_nimbus/tp-proc/hello")):
            r, _ = self.get(port, path, {"Origin": "http://evil.example"})
            self.assertEqual(r.status, 403, (port, path))
            r, _ = self.get(port, path, {"Host": "rebound.evil.example"})
            self.assertEqual(r.status, 403, (port, path))
            r, _ = self.get(port, path, {"Origin": "http://localhost:3000"})
            self.assertEqual(r.status, 200, (port, path))

    def test_runtime_api_next_waits_for_an_invocation(self):
        base = "/_nimbus/tp-proc/runtime/2018-06-01/runtime/invocation/"
        got = {}

        def runtime_next():
            r, body = self.get(self.n.port, base + "next")
            got["status"], got["id"], got["body"] = r.status, r.getheader("Lambda-Runtime-Aws-Request-Id"), body

        t = threading.Thread(target=runtime_next)
        t.start()
        time.sleep(0.5)
        self.assertTrue(t.is_alive(), "GET next answered before any invocation")
        result = {}
        inv = threading.Thread(target=lambda: result.update(self.invoke("runtime", {"question": 6 * 7})))
        inv.start()
        t.join(10)
        self.assertFalse(t.is_alive())
        self.assertEqual(got["status"], 200)
        self.assertEqual(json.loads(got["body"]), {"question": 42})
        time.sleep(0.2)
        self.assertTrue(inv.is_alive(), "Invoke answered before the runtime posted its response")
        c = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=10)
        c.request("POST", base + got["id"] + "/response", body=b'{"answer": 42}')
        r = c.getresponse()
        self.assertEqual(r.status, 202)
        r.read()
        inv.join(10)
        self.assertEqual(result, {"answer": 42})
        r, _ = self.get(self.n.port, base + "no-such-id/response")  # GET: not the response route
        self.assertEqual(r.status, 404)

    # ---- streamed bodies ----

    def test_64_mib_stream_to_a_slow_client_keeps_memory_bounded(self):
        pid = self.n.proc.pid
        rss_before, hwm_before = vm_kib(pid, "VmRSS"), vm_kib(pid, "VmHWM")
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request("GET", "/stream?mb=64")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        self.assertIsNone(r.getheader("Content-Length"))
        total, chunk_index, peak_rss, t0 = 0, 0, rss_before, time.monotonic()
        pending = b""
        while True:
            data = r.read(256 * 1024)
            if not data:
                break
            total += len(data)
            pending += data
            while len(pending) >= 65536:  # every 64 KiB chunk i is filled with i % 251
                piece, pending = pending[:65536], pending[65536:]
                self.assertEqual(piece, bytes([chunk_index % 251]) * 65536, "chunk %d" % chunk_index)
                chunk_index += 1
            if chunk_index % 16 == 0:
                peak_rss = max(peak_rss, vm_kib(pid, "VmRSS"))
            time.sleep(0.01)  # a slow reader: ~25 MB/s at most
        c.close()
        took = time.monotonic() - t0
        hwm_after = vm_kib(pid, "VmHWM")
        growth = max(peak_rss, hwm_after) - max(rss_before, hwm_before)
        print("\n64 MiB stream: %.1f s, server RSS %d KiB before, peak %d KiB while streaming, VmHWM %d -> %d KiB"
              " (peak growth %d KiB), max queued %d bytes"
              % (took, rss_before, peak_rss, hwm_before, hwm_after, growth, self.stats()["max_queued"]),
              file=sys.stderr)
        self.assertEqual(total, 64 * MIB)
        self.assertEqual(pending, b"")
        self.assertLessEqual(self.stats()["max_queued"], HIGH_WATER + 65536 + 64)
        if sanitized(pid):
            return
        self.assertLess(peak_rss - rss_before, 16 * 1024, "server RSS grew with the slow client")
        self.assertLess(hwm_after - hwm_before, 16 * 1024, "server peak RSS grew with the slow client")

    def test_client_going_away_cancels_the_stream(self):
        before = self.stats()
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(b"GET /stream?mb=4096 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        got = 0
        while got < 2 * MIB:
            got += len(s.recv(65536))
        s.close()
        deadline = time.time() + 10
        while self.stats()["cancels"] == before["cancels"] and time.time() < deadline:
            time.sleep(0.05)
        after = self.stats()
        self.assertEqual(after["cancels"], before["cancels"] + 1)
        self.assertEqual(after["completed"], before["completed"])
        r, body = self.get(self.port, "/hello")  # the server goes on
        self.assertEqual(r.status, 200)

    def test_http10_client_gets_the_stream_until_the_close(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        s.sendall(b"GET /stream?mb=1 HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertNotIn(b"transfer-encoding", head.lower())
        self.assertEqual(len(body), MIB)

    def test_pipelined_answers_keep_their_order_around_a_stream(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                  b"GET /stream?mb=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                  b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        f = s.makefile("rb")

        class Unclosed:  # http.client closes the file after each body: the next answer follows in it
            def __getattr__(self, name):
                return getattr(f, name)

            def close(self):
                pass

        class OneFile:
            def makefile(self, *a, **k):
                return Unclosed()

        statuses, lengths = [], []
        for _ in range(3):
            r = http.client.HTTPResponse(OneFile())
            r.begin()
            statuses.append(r.status)
            lengths.append(len(r.read()))
        s.close()
        self.assertEqual(statuses, [200, 200, 404])
        self.assertEqual(lengths, [len(b"hello from tp-proc GET"), MIB, len(b"no such endpoint")])

    def test_event_stream_decoded_by_botocore(self):
        s3 = client(self.n, "s3")
        r = s3.select_object_content(Bucket="b", Key="k", Expression="3", ExpressionType="SQL",
                                     InputSerialization={"CSV": {}}, OutputSerialization={"CSV": {}})
        events = list(r["Payload"])
        self.assertEqual(events[:3], [{"Records": {"Payload": b"record %d\n" % i}} for i in range(3)])
        self.assertEqual(events[3], {"Stats": {"Details": {"BytesScanned": 27, "BytesProcessed": 27,
                                                           "BytesReturned": 27}}})
        self.assertEqual(events[4:], [{"End": {}}])
        self.assertEqual(r["ResponseMetadata"]["HTTPHeaders"]["content-type"], "application/vnd.amazon.eventstream")
        # a streamed answer gets its request-log line as a buffered one does
        with open(self.request_log) as f:
            lines = [json.loads(line) for line in f]
        self.assertIn(("s3", "SelectObjectContent", 200), [(x["service"], x["operation"], x["status"]) for x in lines])

    def test_json_event_stream_starts_with_initial_response_and_ends_with_exception(self):
        k = client(self.n, "kinesis")
        arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1"
        r = k.subscribe_to_shard(ConsumerARN=arn, ShardId="shardId-000000000003",
                                 StartingPosition={"Type": "LATEST"})
        events = list(r["EventStream"])
        self.assertEqual([e["SubscribeToShardEvent"]["Records"][0]["Data"] for e in events], [b"rec0", b"rec1", b"rec2"])
        self.assertEqual([e["SubscribeToShardEvent"]["ContinuationSequenceNumber"] for e in events], ["0", "1", "2"])
        # the raw stream: the core's initial-response first, then the plugin's events
        c = http.client.HTTPConnection("127.0.0.1", self.n.port, timeout=10)
        c.request("POST", "/", body=json.dumps({"ConsumerARN": arn, "ShardId": "shardId-000000000001",
                                                "StartingPosition": {"Type": "LATEST"}}),
                  headers={"X-Amz-Target": "Kinesis_20131202.SubscribeToShard",
                           "Content-Type": "application/x-amz-json-1.1",
                           "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/kinesis/aws4_request, "
                                            "SignedHeaders=host, Signature=x"})
        raw = c.getresponse()
        from botocore.eventstream import EventStreamBuffer
        buf = EventStreamBuffer()
        buf.add_data(raw.read())
        types = [m.headers[":event-type"] for m in buf]
        self.assertEqual(types, ["initial-response", "SubscribeToShardEvent"])
        r = k.subscribe_to_shard(ConsumerARN=arn + "/gone", ShardId="shardId-000000000002",
                                 StartingPosition={"Type": "LATEST"})
        got = []
        with self.assertRaises(Exception) as e:
            for ev in r["EventStream"]:
                got.append(ev)
        self.assertEqual(len(got), 2)
        self.assertIn("ResourceInUseException", str(e.exception))
        self.assertIn("the consumer went away", str(e.exception))


class IdleProducer(unittest.TestCase):
    def test_a_stream_waiting_for_its_producer_outlives_the_idle_timeout(self):
        """The idle timeout closes a connection whose client stopped reading, not one whose
        stream waits for data (a shard's next records)."""
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(PLUGINS[0], d)
            n = Nimbus(NIMBUS_PLUGIN_PATH=d, SERVICES="lambda", NIMBUS_IDLE_TIMEOUT="1", EAGER_SERVICE_LOADING="1")
            n.start()
            try:
                t0 = time.monotonic()
                c = http.client.HTTPConnection("127.0.0.1", n.port, timeout=30)
                c.request("GET", "/_nimbus/tp-proc/stream?mb=1&pause_ms=2500")
                r = c.getresponse()
                body = r.read()
                took = time.monotonic() - t0
                self.assertEqual(len(body), MIB)
                self.assertGreaterEqual(took, 2.4)
                c.close()
            finally:
                check_clean_exit(self, n)


class Shutdown(unittest.TestCase):
    def test_children_are_gone_after_the_server_stops(self):
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(PLUGINS[0], d)
            n = Nimbus(NIMBUS_PLUGIN_PATH=d, SERVICES="lambda")
            n.start()
            try:
                lam = client(n, "lambda")
                pids = []
                for argv in (["sleep", "300"], ["sh", "-c", "trap '' TERM; sleep 300"]):
                    r = lam.invoke(FunctionName="background", Payload=json.dumps({"argv": argv}).encode())
                    pids.append(json.loads(r["Payload"].read())["pid"])
                time.sleep(0.2)
                for pid in pids:
                    self.assertTrue(alive(pid), pid)
                # the sh that ignores SIGTERM has a child of its own
                grandchildren = [int(p) for p in subprocess.run(["pgrep", "-P", str(pids[1])], capture_output=True,
                                                                text=True).stdout.split()]
                t0 = time.monotonic()
            finally:
                check_clean_exit(self, n)
            took = time.monotonic() - t0
            self.assertLess(took, 8)
            for pid in pids + grandchildren:
                self.assertFalse(alive(pid), "pid %d still runs after the server stopped" % pid)
            ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
            for pid in pids:
                self.assertNotIn("\n%d " % pid, "\n" + ps.replace("\n ", "\n"), ps)


if __name__ == "__main__":
    unittest.main(verbosity=2)
