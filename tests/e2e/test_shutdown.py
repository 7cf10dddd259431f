"""Clean shutdown on SIGTERM (issue 24, item 5): waiting long polls get their empty receive at
once, new connections are refused, a request in flight finishes within NIMBUS_SHUTDOWN_TIMEOUT
or is cut there, and a server with an idle consumer exits in well under 100 ms."""
import os, signal, socket, statistics, sys, threading, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import NIMBUS_BIN, Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def exit_budget():
    """100 ms; a sanitizer build spends more than that in its leak check at exit."""
    with open(NIMBUS_BIN, "rb") as f:
        return 1.0 if b"__asan_init" in f.read() else 0.100


def sqs_client(url):
    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(read_timeout=40, retries={"max_attempts": 0}))


class LongPollConsumer:
    """A consumer blocked in a 20 s ReceiveMessage on its own thread."""

    def __init__(self, url, queue_url):
        self.client = sqs_client(url)
        self.queue_url = queue_url
        self.answer = self.error = self.answered_at = None
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        try:
            self.answer = self.client.receive_message(QueueUrl=self.queue_url, WaitTimeSeconds=20)
        except Exception as e:  # noqa: BLE001 - the test reports what the client saw
            self.error = e
        self.answered_at = time.monotonic()

    def start(self):
        self.thread.start()
        time.sleep(0.3)  # the receive reaches the server and waits there
        self.assertLive()
        return self

    def assertLive(self):
        if self.answered_at is not None:
            raise AssertionError(f"the long poll ended before SIGTERM: {self.answer or self.error}")


def slow_put(server, path, length, first):
    """A PUT of which only the head and `first` arrived: a request in flight."""
    c = socket.create_connection(("127.0.0.1", server.port))
    c.sendall(b"PUT %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: %d\r\n\r\n" % (path, server.port, length)
              + first)
    time.sleep(0.2)
    return c


def refusing_within(server, seconds=5):
    """Whether the server stops accepting connections within seconds: the sign it began its shutdown."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
        except ConnectionRefusedError:
            return True
        except ConnectionResetError:
            pass  # queued in the listener's backlog as it closed: the next attempt is refused
        time.sleep(0.02)
    return False


def sigterm_and_wait(server):
    start = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=30)
    return start, time.monotonic() - start


class Shutdown(unittest.TestCase):
    def test_long_poll_gets_empty_receive_and_exit_is_fast(self):
        exits = []
        for _ in range(5):
            n = Nimbus(SERVICES="sqs").start()
            try:
                queue_url = sqs_client(n.url).create_queue(QueueName="jobs")["QueueUrl"]
                consumer = LongPollConsumer(n.url, queue_url).start()
                start, took = sigterm_and_wait(n)
                consumer.thread.join(5)
                self.assertIsNone(consumer.error, "the long poll must end normally, not with an error")
                self.assertEqual(consumer.answer["ResponseMetadata"]["HTTPStatusCode"], 200)
                self.assertNotIn("Messages", consumer.answer)
                self.assertLess(consumer.answered_at - start, 1.0, "answered at SIGTERM, not at the end of the wait")
                self.assertEqual(n.proc.returncode, 0)
                exits.append(took)
            finally:
                n.stop()
        self.assertLess(statistics.median(exits), exit_budget(), f"exit times {exits}")

    def test_new_connections_are_refused_after_sigterm(self):
        n = Nimbus(SERVICES="sqs", NIMBUS_SHUTDOWN_TIMEOUT="5").start()
        try:
            # a request in flight keeps the process alive while the listener is already closed
            busy = slow_put(n, b"/bucket/key", 1000000, b"x" * 1000)
            n.proc.send_signal(signal.SIGTERM)
            self.assertTrue(refusing_within(n), "new connections are still accepted after SIGTERM")
            self.assertIsNone(n.proc.poll(), "the request in flight keeps the server up")
            busy.close()
        finally:
            n.stop()

    def test_request_in_flight_finishes_within_the_timeout(self):
        n = Nimbus(SERVICES="s3", NIMBUS_SHUTDOWN_TIMEOUT="5").start()
        try:
            s3 = boto3.client("s3", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                              aws_secret_access_key="test")
            s3.create_bucket(Bucket="bucket")
            body = b"y" * 200000
            c = slow_put(n, b"/bucket/k", len(body), body[:1000])
            n.proc.send_signal(signal.SIGTERM)
            # the rest of the body only once the shutdown has begun: else this is an ordinary request
            self.assertTrue(refusing_within(n), "new connections are still accepted after SIGTERM")
            c.sendall(body[1000:])
            c.settimeout(5)
            head = c.recv(65536)
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:200])
            c.close()
            n.proc.wait(timeout=5)
            self.assertEqual(n.proc.returncode, 0)
        finally:
            n.stop()

    def test_request_in_flight_is_cut_at_the_timeout(self):
        n = Nimbus(SERVICES="s3", NIMBUS_SHUTDOWN_TIMEOUT="1").start()
        try:
            c = slow_put(n, b"/bucket/k", 1000000, b"z" * 1000)
            start, took = sigterm_and_wait(n)
            self.assertGreater(took, 0.8, "the request in flight had its grace period")
            self.assertLess(took, 3.0, "and was cut at NIMBUS_SHUTDOWN_TIMEOUT")
            c.settimeout(2)
            self.assertEqual(c.recv(100), b"", "the connection was closed")
            c.close()
        finally:
            n.stop()


if __name__ == "__main__":
    unittest.main()
