"""End-to-end SNS with the other clients: the AWS CLIs (Debian's v2, pyenv's v1) and the AWS SDK for
JavaScript v3 (@aws-sdk/client-sns, tests/e2e/js-sns/test_sns.mjs): fan-out to SQS with and without
raw delivery, FIFO topic to FIFO queue, and errors as AWS words them."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nimbus_server import Nimbus, aws_clis, boto3_client, run_aws  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Clients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="sns,sqs").start()

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def test_aws_cli(self):
        clis = aws_clis()
        self.assertTrue(clis)
        sqs = boto3_client(self.n.url, "sqs")
        for i, cli in enumerate(clis):
            run = lambda *a: run_aws(cli, self.n.url, "sns", *a)  # noqa: E731
            r = run("create-topic", "--name", f"cli-{i}")
            self.assertEqual(r.returncode, 0, f"{cli}: {r.stderr}")
            topic = json.loads(r.stdout)["TopicArn"]
            url = sqs.create_queue(QueueName=f"cli-q-{i}")["QueueUrl"]
            qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            r = run("subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", qarn,
                    "--attributes", "RawMessageDelivery=true")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("publish", "--topic-arn", topic, "--message", "from the cli")
            self.assertEqual(r.returncode, 0, r.stderr)
            mid = json.loads(r.stdout)["MessageId"]
            self.assertTrue(mid)
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
            self.assertEqual(got[0]["Body"], "from the cli")
            r = run("list-subscriptions-by-topic", "--topic-arn", topic)
            self.assertEqual(json.loads(r.stdout)["Subscriptions"][0]["Endpoint"], qarn)
            r = run("get-topic-attributes", "--topic-arn", topic + "-missing")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("NotFound", r.stderr, cli)
            self.assertIn("Topic does not exist", r.stderr, cli)
            r = run("publish", "--topic-arn", "fake_topic", "--message", "x")
            self.assertIn("Invalid parameter: TopicArn Reason: fake_topic does not start with arn", r.stderr, cli)

    def test_javascript_sdk(self):
        r = run_node_script(os.path.join(HERE, "js-sns"), "test_sns.mjs", self.n.url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)


if __name__ == "__main__":
    unittest.main()
