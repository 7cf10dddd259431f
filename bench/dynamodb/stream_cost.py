#!/usr/bin/env python3
"""What a stream costs an item write: the server's CPU microseconds per PutItem (new keys, one
connection, in-memory store unless PERSISTENCE=1 is set) on a table without a stream and on one
with each view type, read from /proc/<pid>/stat around N requests (steady under other load, unlike
req/s).   [VIEWS=none,NEW_IMAGE] bench/dynamodb/stream_cost.py [BUILD] [N]
With NIMBUS_BIN a wrapper running nimbus under valgrind --tool=callgrind, the profile shows where
the stream's share goes (ddb_stream_record)."""
import os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
os.environ.setdefault("NIMBUS_BIN", os.path.join(BUILD, "nimbus"))
from nimbus_server import Nimbus  # noqa: E402
import boto3  # noqa: E402


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


with Nimbus(SERVICES="dynamodb") as n:
    c = boto3.client("dynamodb", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                     aws_secret_access_key="test")
    views = os.environ.get("VIEWS", "none,KEYS_ONLY,NEW_IMAGE,NEW_AND_OLD_IMAGES").split(",")
    for view in (None if v == "none" else v for v in views):
        name = "t-" + (view or "none").lower().replace("_", "-")
        spec = {"StreamEnabled": True, "StreamViewType": view} if view else {"StreamEnabled": False}
        c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", StreamSpecification=spec,
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        item = {"pk": {"S": ""}, "a": {"S": "x" * 200}, "n": {"N": "12345"}}
        for i in range(200):  # warm-up
            c.put_item(TableName=name, Item=dict(item, pk={"S": "w%d" % i}))
        before = cpu_seconds(n.proc.pid)
        for i in range(N):
            c.put_item(TableName=name, Item=dict(item, pk={"S": "k%d" % i}))
        us = (cpu_seconds(n.proc.pid) - before) / N * 1e6
        print("%-20s %6.1f us server CPU per PutItem (N=%d)" % (view or "no stream", us, N))
