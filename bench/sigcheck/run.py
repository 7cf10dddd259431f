#!/usr/bin/env python3
"""ENFORCE_IAM's cost: SQS ListQueues (json protocol) requests/s signed with an IAM user's key,
with and without ENFORCE_IAM=1, rounds alternated (a shared machine's noise hits both alike), and the server's CPU time per
request (/proc/<pid>/stat), which other load on the machine disturbs less.
One request is signed with the key's secret (botocore) and replayed by wrk for each run: valid for
15 minutes, so every request is verified in full (the derived key cached, the canonical request
hashed and HMAC'd each time).
On a shared machine req/s and CPU time move with the other load: bench/sigcheck/instructions.py
counts the instructions a request costs instead.
    bench/sigcheck/run.py [seconds] [rounds]   (NIMBUS_BIN: build/nimbus; wrk on PATH)"""
import os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
os.environ.setdefault("NIMBUS_BIN", os.path.join(HERE, "..", "..", "build", "nimbus"))
import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from nimbus_server import Nimbus  # noqa: E402
from wrk_replay import replay  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 and __name__ == "__main__" else 5
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 and __name__ == "__main__" else 3


def signed_request(n):
    """An IAM user's key on the server n, and a ListQueues signed with it: (headers, body)."""
    root = dict(endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                aws_secret_access_key="test")
    iam = boto3.client("iam", **root)
    iam.create_user(UserName="bench")
    k = iam.create_access_key(UserName="bench")["AccessKey"]
    # ENFORCE_IAM=1 evaluates policies too (bench/authz measures that): this key may list queues
    iam.put_user_policy(UserName="bench", PolicyName="p", PolicyDocument='{"Version":"2012-10-17","Statement":'
                        '[{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}]}')
    boto3.client("sqs", **root).create_queue(QueueName="bench")
    body = "{}"
    req = AWSRequest("POST", n.url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"})
    SigV4Auth(Credentials(k["AccessKeyId"], k["SecretAccessKey"]), "sqs", "us-east-1").add_auth(req)
    return {name: value.decode() if isinstance(value, bytes) else value for name, value in req.headers.items()}, body


def one_run(enforce):
    with Nimbus(ENFORCE_IAM=enforce, SERVICES="sqs,iam,sts", LS_LOG="warn") as n:
        headers, body = signed_request(n)
        return replay(n, SECONDS, "POST", "/", body, headers)


def main():
    rates, cpu = {"0": [], "1": []}, {"0": [], "1": []}
    for _ in range(ROUNDS):
        for enforce in ("0", "1"):
            rate, us = one_run(enforce)
            rates[enforce].append(rate)
            cpu[enforce].append(us)
    for enforce in rates:
        print("ENFORCE_IAM=%s: %s req/s (best %.0f); server CPU per request %s us (least %.1f)"
              % (enforce, " ".join("%.0f" % x for x in rates[enforce]), max(rates[enforce]),
                 " ".join("%.1f" % x for x in cpu[enforce]), min(cpu[enforce])))
    print("cost: throughput %.1f%% (best against best), server CPU per request %.1f%% (least against least)"
          % (100 * (1 - max(rates["1"]) / max(rates["0"])), 100 * (min(cpu["1"]) / min(cpu["0"]) - 1)))


if __name__ == "__main__":
    main()
