"""Every ARN Nimbus builds carries the partition of the request's region (aws-cn, aws-us-gov,
aws-iso, aws-iso-b, ...), with boto3 and the AWS CLI."""
import json, os, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import ServerTestCase, aws_clis, rerun_with_newer_boto3, run_aws

import boto3
from botocore.config import Config

REGIONS = {"us-east-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov",
           "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b"}


class Partitions(ServerTestCase):
    def client(self, service, region):
        return boto3.client(service, endpoint_url=self.n.url, region_name=region, aws_access_key_id="test",
                            aws_secret_access_key="test",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}))

    def test_sqs_queue_arns(self):
        for region, partition in REGIONS.items():
            sqs = self.client("sqs", region)
            url = sqs.create_queue(QueueName="part")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self.assertEqual(arn, f"arn:{partition}:sqs:{region}:000000000000:part")
            sqs.add_permission(QueueUrl=url, Label="p", AWSAccountIds=["111111111111"], Actions=["SendMessage"])
            policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
            self.assertEqual(policy["Statement"][0]["Principal"], {"AWS": f"arn:{partition}:iam::111111111111:root"})
            self.assertEqual(policy["Statement"][0]["Resource"], arn)

    def test_sts_caller_identity(self):
        for region, partition in REGIONS.items():
            arn = self.client("sts", region).get_caller_identity()["Arn"]
            self.assertEqual(arn, f"arn:{partition}:iam::000000000000:root")
        for cli in aws_clis():
            r = run_aws(cli, self.n.url, "sts", "get-caller-identity", region="cn-northwest-1")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["Arn"], "arn:aws-cn:iam::000000000000:root", cli)

    def test_s3_notification_records(self):
        region = "cn-north-1"
        s3, sqs = self.client("s3", region), self.client("sqs", region)
        url = sqs.create_queue(QueueName="events")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.create_bucket(Bucket="part-cn", CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_notification_configuration(Bucket="part-cn", NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": qarn, "Events": ["s3:ObjectCreated:*"]}]})
        s3.put_object(Bucket="part-cn", Key="k", Body=b"x")
        records = []
        deadline = time.time() + 5
        while not records and time.time() < deadline:
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
                records += json.loads(m["Body"]).get("Records", [])
        self.assertTrue(records, "no event arrived")
        self.assertEqual(records[0]["s3"]["bucket"]["arn"], "arn:aws-cn:s3:::part-cn")
        self.assertEqual(records[0]["awsRegion"], region)


@unittest.skipIf(os.environ.get("NB_PARTITIONS_CHILD"), "runs once, in the parent")
class NewerBoto3(unittest.TestCase):
    def test_every_case_with_the_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "Partitions", env=dict(os.environ, NB_PARTITIONS_CHILD="1"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
