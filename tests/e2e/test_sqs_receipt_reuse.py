"""SQS message numbers are never handed out twice (plugins/sqs/sqs_seq.c): a receipt handle of a
deleted message, the newest one, used after a restart, does not delete the message sent after the
restart, which a reused number would let it name (same queue, number and receive count)."""
import os
import shutil
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client  # noqa: E402


class ReceiptReuse(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="nimbus-sqs-seq-")
        self.addCleanup(shutil.rmtree, self.data, True)

    def start(self):
        n = Nimbus(PERSISTENCE="1", DATA_DIR=self.data, SERVICES="sqs").start()
        self.addCleanup(n.stop)
        return n, boto3_client(n.url, "sqs")

    def receive_one(self, c, url):
        msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        self.assertEqual(len(msgs), 1)
        return msgs[0]

    def check_stale_receipt_spares_new_message(self, stop):
        n, c = self.start()
        url = c.create_queue(QueueName="seq")["QueueUrl"]
        c.send_message(QueueUrl=url, MessageBody="newest")
        stale = self.receive_one(c, url)["ReceiptHandle"]
        c.delete_message(QueueUrl=url, ReceiptHandle=stale)
        stop(n)
        n, c = self.start()
        url = c.get_queue_url(QueueName="seq")["QueueUrl"]
        sent = c.send_message(QueueUrl=url, MessageBody="after restart")["MessageId"]
        self.assertEqual(self.receive_one(c, url)["MessageId"], sent)  # received once, as "newest" was
        c.delete_message(QueueUrl=url, ReceiptHandle=stale)
        again = self.receive_one(c, url)
        self.assertEqual((again["MessageId"], again["Body"]), (sent, "after restart"))

    def test_after_kill_9(self):
        self.check_stale_receipt_spares_new_message(lambda n: n.stop(sig=signal.SIGKILL))

    def test_after_clean_stop(self):
        self.check_stale_receipt_spares_new_message(lambda n: n.stop())


if __name__ == "__main__":
    unittest.main()
