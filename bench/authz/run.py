#!/usr/bin/env python3
"""ENFORCE_IAM=1's policy evaluation, its cost per request: for an IAM user's key whose policies
allow the call (a customer managed policy and an inline one, a bucket policy on the bucket), SQS
SendMessage (json protocol) and S3 GetObject (a 1 KiB object) requests/s and the server's CPU time
per request (/proc/<pid>/stat), with and without ENFORCE_IAM=1, rounds alternated; the health
endpoint (never signed, never evaluated) beside them as the floor. With ENFORCE_IAM=1 every signed
request is also verified (bench/sigcheck measures that half alone).
One request of each kind is signed (botocore) and replayed by wrk: valid for 15 minutes.
    bench/authz/run.py [seconds] [rounds]   (NIMBUS_BIN: build/nimbus; wrk on PATH)"""
import json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
os.environ.setdefault("NIMBUS_BIN", os.path.join(HERE, "..", "..", "build", "nimbus"))
import boto3  # noqa: E402
from botocore.auth import S3SigV4Auth, SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from nimbus_server import Nimbus  # noqa: E402
from wrk_replay import replay  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def setup(n):
    """The user, its key and policies, the queue, the bucket and its object: the signed requests."""
    root = dict(endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    iam = boto3.client("iam", **root)
    iam.create_user(UserName="bench")
    k = iam.create_access_key(UserName="bench")["AccessKey"]
    arn = iam.create_policy(PolicyName="s3read", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::bench/*"}))
    iam.attach_user_policy(UserName="bench", PolicyArn=arn["Policy"]["Arn"])
    iam.put_user_policy(UserName="bench", PolicyName="send", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}))
    q = boto3.client("sqs", **root).create_queue(QueueName="bench")["QueueUrl"]
    s3 = boto3.client("s3", **root)
    s3.create_bucket(Bucket="bench")
    s3.put_object(Bucket="bench", Key="k", Body=b"x" * 1024)
    s3.put_bucket_policy(Bucket="bench", Policy=policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::bench/*"}))
    creds = Credentials(k["AccessKeyId"], k["SecretAccessKey"])
    body = json.dumps({"QueueUrl": q, "MessageBody": "hello"})
    sqs = AWSRequest("POST", n.url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"})
    SigV4Auth(creds, "sqs", "us-east-1").add_auth(sqs)
    get = AWSRequest("GET", n.url + "/bench/k", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    S3SigV4Auth(creds, "s3", "us-east-1").add_auth(get)
    return {"health": ("GET", "/_localstack/health", None, {}), "sqs": ("POST", "/", body, sqs.headers),
            "s3": ("GET", "/bench/k", None, get.headers)}


results = {}
for _ in range(ROUNDS):
    for enforce in ("0", "1"):
        with Nimbus(ENFORCE_IAM=enforce, SERVICES="sqs,s3,iam,sts", LS_LOG="warn") as n:
            for kind, req in setup(n).items():
                results.setdefault((kind, enforce), []).append(replay(n, SECONDS, *req))
for kind in ("health", "sqs", "s3"):
    for enforce in ("0", "1"):
        runs = results[(kind, enforce)]
        print("%-6s ENFORCE_IAM=%s: %s req/s (best %.0f); server CPU per request %s us (least %.1f)"
              % (kind, enforce, " ".join("%.0f" % r for r, _ in runs), max(r for r, _ in runs),
                 " ".join("%.1f" % c for _, c in runs), min(c for _, c in runs)))
    best = {e: max(r for r, _ in results[(kind, e)]) for e in "01"}
    least = {e: min(c for _, c in results[(kind, e)]) for e in "01"}
    print("%-6s cost: throughput %.1f%% (best against best), server CPU per request %+.1f us (%.1f%%)"
          % (kind, 100 * (1 - best["1"] / best["0"]), least["1"] - least["0"], 100 * (least["1"] / least["0"] - 1)))
