"""Load one DynamoDB server for bench/dynamodb/run.sh and write a wrk script per operation.

    prepare.py ENDPOINT OUTDIR ITEMS LOAD_SECONDS

Creates table `bench` (pk, sk strings), loads ITEMS items (partitions of 100: pk p<n>, sk s<00..99>)
with BatchWriteItem of 25 from LOAD_WORKERS connections as fast as the server takes them, stopping
early after LOAD_SECONDS (the peers are slow: what was loaded is printed and used). Then captures
the requests the benchmark replays, each made once by boto3 (answer checked) as the exact bytes
botocore signed, into OUTDIR/<op>.lua:
  put     PutItem of new keys (partition `w<k>`: each replay overwrites one of KEYS items)
  get     GetItem of KEYS keys spread over the loaded partitions
  query   Query of a whole loaded partition, Limit 100: one page of 100 items
  update  UpdateItem SET n = n + :one, ConditionExpression attribute_exists(pk) AND n >= :zero
Prints `loaded <items> <seconds>` last.
"""
import http.client
import json
import multiprocessing
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ops"))
from prepare import Capture, client, write_script  # noqa: E402  (the same capture as bench/ops)

KEYS = 64
PART = 100  # items a partition: a Query page of 100
BATCH = 25
PAYLOAD = "x" * 100
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))
TABLE = "bench"


def item(p, s):
    return {"pk": {"S": f"p{p}"}, "sk": {"S": f"s{s:02d}"}, "n": {"N": "0"}, "data": {"S": PAYLOAD}}


def load_worker(args):
    """Writes partitions w, w+WORKERS, ... until `parts` or the deadline; returns the complete ones."""
    host, port, w, parts, deadline, signed = args
    conn = http.client.HTTPConnection(host, port, timeout=120)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.BatchWriteItem",
               **signed}
    done = []
    for p in range(w, parts, WORKERS):
        if time.monotonic() > deadline:
            break
        for start in range(0, PART, BATCH):
            body = json.dumps({"RequestItems": {TABLE: [{"PutRequest": {"Item": item(p, s)}}
                                                        for s in range(start, start + BATCH)]}})
            conn.request("POST", "/", body, headers)
            r = conn.getresponse()
            answer = r.read()
            if r.status != 200 or json.loads(answer).get("UnprocessedItems"):
                sys.exit(f"load: BatchWriteItem answered {r.status}: {answer[:300]!r}")
        done.append(p)
    return done


def main():
    endpoint, outdir, items, load_seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    ddb = client("dynamodb", endpoint)
    cap = Capture(ddb)
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    # the loaders reuse CreateTable's signature headers: no peer checks them, dynalite wants them present
    signed = {k: v.strip() for k, _, v in (line.partition(":") for line in cap.take().decode().split("\r\n"))
              if k.lower() in ("authorization", "x-amz-date")}
    while ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] != "ACTIVE":  # dynalite: CREATING first
        cap.take()
        time.sleep(0.1)
    cap.raw = None
    hostport = endpoint.split("://", 1)[1]
    host, port = hostport.rsplit(":", 1)
    parts = max(1, items // PART)
    t0 = time.monotonic()
    with multiprocessing.Pool(WORKERS) as pool:
        done = sorted(p for ps in pool.map(load_worker, [(host, int(port), w, parts, t0 + load_seconds, signed)
                                                         for w in range(WORKERS)]) for p in ps)
    took = time.monotonic() - t0
    if not done:
        sys.exit("load: no partition loaded")
    rng = random.Random(17)

    def replay(n, call):
        out = []
        for k in range(n):
            call(k)
            out.append(cap.take())
        return out

    def put(k):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"w{k}"}, "sk": {"S": "s00"}, "n": {"N": "0"},
                                            "data": {"S": PAYLOAD}})

    def get(k):
        p, s = rng.choice(done), rng.randrange(PART)
        got = ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"p{p}"}, "sk": {"S": f"s{s:02d}"}})
        assert "Item" in got, got

    def query(k):
        p = rng.choice(done)
        got = ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p", Limit=PART,
                        ExpressionAttributeValues={":p": {"S": f"p{p}"}})
        assert got["Count"] == PART, got["Count"]

    def update(k):
        p, s = rng.choice(done), rng.randrange(PART)
        ddb.update_item(TableName=TABLE, Key={"pk": {"S": f"p{p}"}, "sk": {"S": f"s{s:02d}"}},
                        UpdateExpression="SET n = n + :one",
                        ConditionExpression="attribute_exists(pk) AND n >= :zero",
                        ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}},
                        ReturnValues="UPDATED_NEW")

    # patterns, not strings: the servers space their JSON differently
    write_script(outdir, "put", replay(KEYS, put), rb"^%s*{", pattern=True)
    write_script(outdir, "get", replay(KEYS, get), rb'"Item"', pattern=True)
    write_script(outdir, "query", replay(KEYS, query), rb'"Count"%s*:%s*100[,}%s]', pattern=True)
    write_script(outdir, "update", replay(KEYS, update), rb'"Attributes"', pattern=True)
    print(f"loaded {len(done) * PART} {took:.1f}")


if __name__ == "__main__":
    main()
