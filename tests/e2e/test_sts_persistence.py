"""Issued credentials are state (issue 13, items 1 and 5): with PERSISTENCE=1 a key STS issued
still selects its account and identity after a clean restart and after kill -9; without
persistence, and after a state reset, it is forgotten."""
import os
import signal
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, temp_dir  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

ROLE = "arn:aws:iam::111111111111:role/Persisted"


def client(url, service, creds=None):
    kw = dict(aws_access_key_id="test", aws_secret_access_key="test")
    if creds:
        kw = dict(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                  aws_session_token=creds["SessionToken"])
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 0}), **kw)


class Persistence(unittest.TestCase):
    def issue_then_restart(self, stop_signal):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data) as n:
            creds = client(n.url, "sts").assume_role(RoleArn=ROLE, RoleSessionName="kept")["Credentials"]
            fed = client(n.url, "sts").get_federation_token(Name="carol")["Credentials"]
            # usable at once: the key is in memory when the group commit that made it durable ends
            self.assertEqual(client(n.url, "sts", creds).get_caller_identity()["Account"], "111111111111")
            n.stop(sig=stop_signal)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data) as n:
            me = client(n.url, "sts", creds).get_caller_identity()
            self.assertEqual((me["Account"], me["Arn"]),
                             ("111111111111", "arn:aws:sts::111111111111:assumed-role/Persisted/kept"))
            url = client(n.url, "sqs", creds).create_queue(QueueName="after-restart")["QueueUrl"]
            self.assertIn("/111111111111/after-restart", url)
            self.assertEqual(client(n.url, "sts", fed).get_caller_identity()["Arn"],
                             "arn:aws:sts::000000000000:federated-user/carol")
            self.assertEqual(client(n.url, "sts").get_access_key_info(AccessKeyId=fed["AccessKeyId"])["Account"],
                             "000000000000")

    def test_survives_restart(self):
        self.issue_then_restart(signal.SIGTERM)

    def test_survives_kill_9(self):
        self.issue_then_restart(signal.SIGKILL)

    def test_forgotten_without_persistence_and_after_reset(self):
        with Nimbus() as n:
            creds = client(n.url, "sts").assume_role(RoleArn=ROLE, RoleSessionName="gone")["Credentials"]
            self.assertEqual(client(n.url, "sts", creds).get_caller_identity()["Account"], "111111111111")
            req = urllib.request.Request(n.url + "/_localstack/state/reset", method="POST")
            urllib.request.urlopen(req, timeout=10).read()
            me = client(n.url, "sts", creds).get_caller_identity()
            self.assertEqual((me["Account"], me["Arn"]), ("000000000000", "arn:aws:iam::000000000000:root"))
        with Nimbus() as n:
            self.assertEqual(client(n.url, "sts", creds).get_caller_identity()["Account"], "000000000000")


if __name__ == "__main__":
    unittest.main(verbosity=2)
