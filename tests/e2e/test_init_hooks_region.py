"""End-to-end: init scripts get DEFAULT_REGION as AWS_DEFAULT_REGION (docs/settings.md,
docs/init-hooks.md), so the resources an SDK script makes land in that region, while a region the
environment sets itself is kept."""
import os, sys, unittest

import botocore.exceptions

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, temp_dir  # noqa: E402

SCRIPT = ("import boto3, os\n"
          "open(os.path.join(os.path.dirname(__file__), 'region.txt'), 'w').write(os.environ['AWS_DEFAULT_REGION'])\n"
          "boto3.client('sqs', endpoint_url=os.environ['AWS_ENDPOINT_URL']).create_queue(QueueName='seeded')\n")


class InitHookRegion(unittest.TestCase):
    def run_hook(self, **env):
        """The region the ready script saw; the server is still up for the caller's checks."""
        root = temp_dir(self, "nimbus-init-region-")
        os.makedirs(os.path.join(root, "ready.d"))
        with open(os.path.join(root, "ready.d", "seed.py"), "w") as f:
            f.write(SCRIPT)
        n = Nimbus(SERVICES="sqs")
        # none of the caller's AWS_* settings: the server's defaults are what the script sees
        n.env = {k: v for k, v in n.env.items() if not k.startswith("AWS_")}
        n.env.update(NIMBUS_INIT_PATH=root, **env)
        n.start(timeout=60)  # Ready. comes after the ready script (a boto3 start-up)
        self.addCleanup(n.stop)
        with open(os.path.join(root, "ready.d", "region.txt")) as f:
            return n, f.read()

    def test_default_region_is_the_scripts_region(self):
        n, region = self.run_hook(DEFAULT_REGION="eu-west-3")
        self.assertEqual(region, "eu-west-3")
        url = boto3_client(n.url, "sqs", region="eu-west-3").get_queue_url(QueueName="seeded")["QueueUrl"]
        self.assertIn("sqs.eu-west-3.", url)
        with self.assertRaises(botocore.exceptions.ClientError):
            boto3_client(n.url, "sqs", region="us-east-1").get_queue_url(QueueName="seeded")

    def test_without_it_us_east_1_and_the_environment_wins(self):
        self.assertEqual(self.run_hook()[1], "us-east-1")
        self.assertEqual(self.run_hook(DEFAULT_REGION="eu-west-3", AWS_DEFAULT_REGION="ap-south-1")[1], "ap-south-1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
