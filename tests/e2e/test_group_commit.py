"""End-to-end: group commit with PERSISTENCE=1. Many clients writing at once share a commit (the
requests of one loop turn), and still every answer leaves only once its write is durable: after a
kill -9 every acknowledged SendMessage/PutObject is there; when the shared commit fails (injected
with the test-only NIMBUS_FAULT_COMMIT, as a full disk would make it fail) every request of it gets
AWS's 500 InternalError and nothing of them stays; one client's error does not undo its group
mates' writes."""
import os, shutil, signal, sys, tempfile, threading, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

CLIENTS = 12
EACH = 15


def clients(url, service, n):
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
              config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1},
                            max_pool_connections=2))
    return [boto3.client(service, **kw) for _ in range(n)]


def together(fn, n):
    """Runs fn(i) on n threads started together; the exceptions they raised, by index."""
    start = threading.Barrier(n)
    errors = {}

    def run(i):
        start.wait()
        try:
            fn(i)
        except Exception as e:  # noqa: BLE001 - reported to the test
            errors[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


class GroupCommit(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nb-group-commit-")
        self.data = os.path.join(self.tmp, "data")
        self.fault = os.path.join(self.tmp, "fail-commits")
        self.n = None

    def tearDown(self):
        if self.n is not None:
            self.n.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        self.n = Nimbus(SERVICES="s3,sqs", PERSISTENCE="1", DATA_DIR=self.data, NIMBUS_FAULT_COMMIT=self.fault).start()
        return self.n

    def kill9_and_restart(self):
        self.n.stop(signal.SIGKILL)
        self.n = None
        return self.start()

    def test_concurrent_writes_acknowledged_survive_kill9(self):
        n = self.start()
        sqs = clients(n.url, "sqs", CLIENTS)
        s3 = clients(n.url, "s3", CLIENTS)
        url = sqs[0].create_queue(QueueName="grouped")["QueueUrl"]
        s3[0].create_bucket(Bucket="grouped")

        def write(i):
            for k in range(EACH):
                sqs[i].send_message(QueueUrl=url, MessageBody=f"m-{i}-{k}")
                s3[i].put_object(Bucket="grouped", Key=f"o-{i}-{k}", Body=b"x" * 1024)
        self.assertEqual(together(write, CLIENTS), {})

        n = self.kill9_and_restart()
        sqs = clients(n.url, "sqs", 1)[0]
        s3 = clients(n.url, "s3", 1)[0]
        url = sqs.get_queue_url(QueueName="grouped")["QueueUrl"]  # the restarted server has another port
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(int(attrs["ApproximateNumberOfMessages"]), CLIENTS * EACH)
        keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket="grouped")
                for o in p.get("Contents", [])]
        self.assertEqual(len(keys), CLIENTS * EACH)
        self.assertEqual(s3.get_object(Bucket="grouped", Key="o-3-7")["Body"].read(), b"x" * 1024)

    def test_a_failed_shared_commit_fails_every_request_in_it(self):
        n = self.start()
        sqs = clients(n.url, "sqs", CLIENTS)
        url = sqs[0].create_queue(QueueName="failing")["QueueUrl"]
        with open(self.fault, "w") as f:
            f.write("sqs\n")
        errors = together(lambda i: sqs[i].send_message(QueueUrl=url, MessageBody=f"lost-{i}"), CLIENTS)
        self.assertEqual(sorted(errors), list(range(CLIENTS)), "every request of a failed commit fails")
        for e in errors.values():
            self.assertIsInstance(e, ClientError)
            self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 500)
            self.assertEqual(e.response["Error"]["Code"], "InternalError")
        os.remove(self.fault)
        attrs = sqs[0].get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(int(attrs["Attributes"]["ApproximateNumberOfMessages"]), 0)
        sqs[0].send_message(QueueUrl=url, MessageBody="kept")
        n = self.kill9_and_restart()
        sqs = clients(n.url, "sqs", 1)[0]
        got = sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="failing")["QueueUrl"], MaxNumberOfMessages=10)
        self.assertEqual([m["Body"] for m in got.get("Messages", [])], ["kept"])

    def test_an_error_undoes_only_its_own_request(self):
        n = self.start()
        sqs = clients(n.url, "sqs", CLIENTS)
        url = sqs[0].create_queue(QueueName="mixed")["QueueUrl"]

        def send(i):
            # odd clients send to a queue that does not exist: their error must not undo the others'
            target = url if i % 2 == 0 else url + "-missing"
            for k in range(EACH):
                try:
                    sqs[i].send_message(QueueUrl=target, MessageBody=f"m-{i}-{k}")
                except ClientError as e:
                    if i % 2 == 0 or "NonExistentQueue" not in e.response["Error"]["Code"]:
                        raise
        self.assertEqual(together(send, CLIENTS), {})
        n = self.kill9_and_restart()
        sqs = clients(n.url, "sqs", 1)[0]
        attrs = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="mixed")["QueueUrl"],
                                         AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(int(attrs["ApproximateNumberOfMessages"]), (CLIENTS // 2) * EACH)


if __name__ == "__main__":
    unittest.main()
