"""The system calls a request costs (issue 12, item 3): an SQS SendMessage on a keep-alive
connection asks the kernel for its bytes (read), sends its answer (writev), waits for the next
one (epoll_wait) and writes its request log line (write): nothing else once per request, in
particular no epoll_ctl (libuv's uv_write re-arms the socket after every write; the server writes
with uv_try_write first) and no getpid or clock_gettime.

Counted with `strace -c -f` attached to the running server; skipped where strace is missing or
may not attach (ptrace not allowed)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import HTTPS, NIMBUS_BIN, Nimbus, boto3_client  # noqa: E402

REQUESTS = 2000
# What a request may cost, once each; anything else must come at most once per 10 requests.
PER_REQUEST = {"read", "writev", "write", "epoll_wait"}


def sanitized(path):
    """Built with AddressSanitizer? Its allocator maps and unmaps memory as requests come."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def send_message_request(port, queue_url, i):
    body = json.dumps({"QueueUrl": queue_url, "MessageBody": f"hot path {i}"}).encode()
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "X-Amz-Target: AmazonSQS.SendMessage\r\nContent-Type: application/x-amz-json-1.0\r\n"
            "X-Amz-Date: 20260101T000000Z\r\n"
            "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=00\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def read_answer(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("the server closed the connection")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    n = int(m.group(1)) if m else 0
    while len(buf) < n:
        buf += sock.recv(65536)
    return head, buf[:n], buf[n:]


def strace_counts(path):
    """{syscall: calls} from strace -c's table."""
    calls = {}
    with open(path) as f:
        for line in f:
            cols = line.split()
            # % time, seconds, usecs/call, calls, [errors,] syscall
            if len(cols) >= 5 and re.match(r"^[0-9.]+$", cols[0]) and cols[-1] != "total":
                calls[cols[-1]] = int(cols[3])
    return calls


@unittest.skipIf(HTTPS, "counts the plain HTTP path")
@unittest.skipUnless(shutil.which("strace"), "strace is not installed")
@unittest.skipIf(sanitized(NIMBUS_BIN), "AddressSanitizer's allocator makes system calls of its own")
class HotPathSyscalls(unittest.TestCase):
    def test_send_message_costs_no_system_call_it_does_not_need(self):
        with Nimbus(SERVICES="sqs") as n:
            queue_url = boto3_client(n.url, "sqs").create_queue(QueueName="hot-path")["QueueUrl"]
            sock = socket.create_connection(("127.0.0.1", n.port))
            self.addCleanup(sock.close)
            buf = b""
            for i in range(50):  # warm: the queue, the statements, the connection's buffers
                sock.sendall(send_message_request(n.port, queue_url, i))
                head, body, buf = read_answer(sock, buf)
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
            out = os.path.join(tempfile.mkdtemp(prefix="nimbus-strace-"), "counts")
            self.addCleanup(shutil.rmtree, os.path.dirname(out), True)
            tracer = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(n.proc.pid)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)
            if tracer.poll() is not None:
                self.skipTest("strace could not attach: " + tracer.stderr.read().strip())
            for i in range(REQUESTS):
                sock.sendall(send_message_request(n.port, queue_url, i))
                head, body, buf = read_answer(sock, buf)
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
                self.assertIn(b'"MessageId"', body)
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=20)
        calls = strace_counts(out)
        self.assertGreaterEqual(calls.get("read", 0), REQUESTS, calls)
        self.assertGreaterEqual(calls.get("writev", 0) + calls.get("write", 0), REQUESTS, calls)
        frequent = {name: count / REQUESTS for name, count in calls.items()
                    if name not in PER_REQUEST and count * 10 >= REQUESTS}
        self.assertEqual(frequent, {}, f"system calls made about once per request: {frequent}; all: {calls}")


if __name__ == "__main__":
    unittest.main()
