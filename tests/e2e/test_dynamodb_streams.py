"""DynamoDB Streams: StreamSpecification on CreateTable/UpdateTable, a record for every item write
(PutItem, UpdateItem, DeleteItem, BatchWriteItem, transactions, PartiQL, TTL deletions) with the
view type's images, and the dynamodbstreams service reading them (ListStreams, DescribeStream,
GetShardIterator, GetRecords) with the client of this Python (boto3 1.29 under /usr/bin/python3,
1.43 under the python3 on PATH); persistence across restart and kill -9."""
import os, signal, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
import json  # noqa: E402
from nimbus_server import Nimbus, aws_clis, rerun_with_newer_boto3, run_aws, temp_dir  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]


def clients(url, region="us-east-1"):
    kw = dict(endpoint_url=url, region_name=region, aws_access_key_id="test", aws_secret_access_key="test",
              config=Config(retries={"max_attempts": 0}))
    return boto3.client("dynamodb", **kw), boto3.client("dynamodbstreams", **kw)


def make_table(c, name, view="NEW_AND_OLD_IMAGES"):
    spec = {"StreamEnabled": True, "StreamViewType": view} if view else {"StreamEnabled": False}
    return c.create_table(TableName=name, AttributeDefinitions=ATTRS, KeySchema=KEYS, BillingMode="PAY_PER_REQUEST",
                          StreamSpecification=spec)["TableDescription"]


def item(pk, sk, **attrs):
    out = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    out.update({k: {"S": v} for k, v in attrs.items()})
    return out


def read_all(s, arn, kind="TRIM_HORIZON", **kw):
    shard = s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = s.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **kw)["ShardIterator"]
    return s.get_records(ShardIterator=it)["Records"]


class Server(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(DYNAMODB_TTL_INTERVAL="100ms")
        cls.n.__enter__()
        cls.c, cls.s = clients(cls.n.url)

    @classmethod
    def tearDownClass(cls):
        cls.n.__exit__(None, None, None)

    def error(self, fn, **kw):
        with self.assertRaises(ClientError) as e:
            fn(**kw)
        return e.exception.response["Error"]["Code"], e.exception.response["Error"]["Message"]


class Specification(Server):
    def test_create_describe_list(self):
        d = make_table(self.c, "spec1", "NEW_IMAGE")
        self.assertEqual(d["StreamSpecification"], {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        arn = d["LatestStreamArn"]
        self.assertEqual(arn, d["TableArn"] + "/stream/" + d["LatestStreamLabel"])
        self.assertEqual(self.c.describe_table(TableName="spec1")["Table"]["LatestStreamArn"], arn)
        listed = self.s.list_streams(TableName="spec1")["Streams"]
        self.assertEqual(listed, [{"StreamArn": arn, "TableName": "spec1", "StreamLabel": d["LatestStreamLabel"]}])
        sd = self.s.describe_stream(StreamArn=arn)["StreamDescription"]
        self.assertEqual((sd["StreamStatus"], sd["StreamViewType"], sd["TableName"], sd["KeySchema"]),
                         ("ENABLED", "NEW_IMAGE", "spec1", KEYS))
        self.assertEqual(len(sd["Shards"]), 1)
        self.assertRegex(sd["Shards"][0]["ShardId"], r"^shardId-\d{20}-[0-9a-f]{8}$")
        self.assertNotIn("EndingSequenceNumber", sd["Shards"][0]["SequenceNumberRange"])
        self.assertEqual(self.s.describe_stream(StreamArn=arn, ExclusiveStartShardId=sd["Shards"][0]["ShardId"])
                         ["StreamDescription"]["Shards"], [])

    def test_disabled_at_creation_has_no_stream(self):
        d = make_table(self.c, "spec-off", None)
        self.assertNotIn("LatestStreamArn", d)
        self.assertNotIn("StreamSpecification", d)
        self.assertEqual(self.s.list_streams(TableName="spec-off")["Streams"], [])

    def test_enable_disable_enable(self):
        make_table(self.c, "spec2", None)
        self.assertEqual(self.error(self.c.update_table, TableName="spec2",
                                    StreamSpecification={"StreamEnabled": False}),
                         ("ValidationException", "Table does not have a stream to disable: TableName: spec2"))
        d = self.c.update_table(TableName="spec2", StreamSpecification={"StreamEnabled": True,
                                                                          "StreamViewType": "KEYS_ONLY"})
        first = d["TableDescription"]["LatestStreamArn"]
        # AWS refuses changing the view type of an enabled stream: disable it first
        self.assertEqual(self.error(self.c.update_table, TableName="spec2",
                                    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}),
                         ("ValidationException", "Table already has an enabled stream: TableName: spec2"))
        self.c.put_item(TableName="spec2", Item=item("a", 1))
        d = self.c.update_table(TableName="spec2", StreamSpecification={"StreamEnabled": False})["TableDescription"]
        self.assertNotIn("StreamSpecification", d)
        self.assertEqual(d["LatestStreamArn"], first)
        self.c.put_item(TableName="spec2", Item=item("a", 2))  # no stream: no record
        sd = self.s.describe_stream(StreamArn=first)["StreamDescription"]
        self.assertEqual(sd["StreamStatus"], "DISABLED")
        rng = sd["Shards"][0]["SequenceNumberRange"]
        self.assertIn("EndingSequenceNumber", rng)
        shard = sd["Shards"][0]["ShardId"]
        it = self.s.get_shard_iterator(StreamArn=first, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        r = self.s.get_records(ShardIterator=it["ShardIterator"])
        self.assertEqual([x["dynamodb"]["Keys"]["sk"]["N"] for x in r["Records"]], ["1"])
        self.assertEqual(r["Records"][0]["dynamodb"]["SequenceNumber"], rng["EndingSequenceNumber"])
        self.assertNotIn("NextShardIterator", r)  # the closed shard is read to its end
        d = self.c.update_table(TableName="spec2", StreamSpecification={"StreamEnabled": True,
                                                                          "StreamViewType": "NEW_IMAGE"})
        second = d["TableDescription"]["LatestStreamArn"]
        self.assertNotEqual(first, second)
        self.assertEqual([x["StreamArn"] for x in self.s.list_streams(TableName="spec2")["Streams"]], [first, second])

    def test_view_type_required(self):
        code, msg = self.error(self.c.create_table, TableName="spec3", AttributeDefinitions=ATTRS, KeySchema=KEYS,
                               BillingMode="PAY_PER_REQUEST", StreamSpecification={"StreamEnabled": True})
        self.assertEqual(code, "ValidationException")
        self.assertIn("StreamViewType", msg)

    def test_list_paging_and_missing(self):
        arns = [make_table(self.c, "page%d" % i, "KEYS_ONLY")["LatestStreamArn"] for i in range(3)]
        got, start = [], {}
        while True:
            r = self.s.list_streams(Limit=1, **start)
            got += [x["StreamArn"] for x in r["Streams"]]
            if "LastEvaluatedStreamArn" not in r:
                break
            start = {"ExclusiveStartStreamArn": r["LastEvaluatedStreamArn"]}
        for a in arns:
            self.assertIn(a, got)
        self.assertEqual(len(got), len(set(got)))
        self.assertEqual(self.error(self.s.list_streams, TableName="nope")[0], "ResourceNotFoundException")
        missing = arns[0].replace("page0", "nope")
        self.assertEqual(self.error(self.s.describe_stream, StreamArn=missing),
                         ("ResourceNotFoundException", "Requested resource not found: Stream: %s not found" % missing))

    def test_deleted_table_stream_disabled_but_readable(self):
        arn = make_table(self.c, "gone")["LatestStreamArn"]
        self.c.put_item(TableName="gone", Item=item("a", 1))
        self.c.delete_table(TableName="gone")
        self.assertEqual(self.s.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"], "DISABLED")
        self.assertEqual([r["eventName"] for r in read_all(self.s, arn)], ["INSERT"])


class Records(Server):
    def test_events_and_images_per_view_type(self):
        want = {"KEYS_ONLY": (False, False), "NEW_IMAGE": (True, False), "OLD_IMAGE": (False, True),
                "NEW_AND_OLD_IMAGES": (True, True)}
        for view, (new, old) in want.items():
            name = "v-" + view.lower().replace("_", "-")
            arn = make_table(self.c, name, view)["LatestStreamArn"]
            self.c.put_item(TableName=name, Item=item("a", 1, x="1"))
            self.c.update_item(TableName=name, Key=item("a", 1), UpdateExpression="SET x = :v",
                               ExpressionAttributeValues={":v": {"S": "2"}})
            self.c.delete_item(TableName=name, Key=item("a", 1))
            recs = read_all(self.s, arn)
            self.assertEqual([r["eventName"] for r in recs], ["INSERT", "MODIFY", "REMOVE"], view)
            for r in recs:
                self.assertEqual((r["eventSource"], r["awsRegion"], r["dynamodb"]["StreamViewType"]),
                                 ("aws:dynamodb", "us-east-1", view))
                self.assertEqual(r["dynamodb"]["Keys"], item("a", 1))
                self.assertNotIn("userIdentity", r)
            ins, mod, rem = (r["dynamodb"] for r in recs)
            self.assertEqual(("NewImage" in ins, "OldImage" in ins), (new, False), view)
            self.assertEqual(("NewImage" in mod, "OldImage" in mod), (new, old), view)
            self.assertEqual(("NewImage" in rem, "OldImage" in rem), (False, old), view)
            if new:
                self.assertEqual(mod["NewImage"]["x"], {"S": "2"})
            if old:
                self.assertEqual(mod["OldImage"]["x"], {"S": "1"})
                self.assertEqual(rem["OldImage"]["x"], {"S": "2"})
            seqs = [r["dynamodb"]["SequenceNumber"] for r in recs]
            self.assertTrue(all(len(q) >= 21 and q.isdigit() for q in seqs), seqs)
            self.assertEqual(sorted(seqs, key=int), seqs)
            self.assertEqual(len(set(seqs)), 3)
            self.assertTrue(all(r["dynamodb"]["SizeBytes"] > 0 for r in recs))
            self.assertLess(abs(ins["ApproximateCreationDateTime"].timestamp() - time.time()), 60)
            self.assertEqual(len({r["eventID"] for r in recs}), 3)

    def test_identical_put_is_modify_and_missing_delete_nothing(self):
        arn = make_table(self.c, "same", "NEW_AND_OLD_IMAGES")["LatestStreamArn"]
        self.c.put_item(TableName="same", Item=item("a", 1, x="1"))
        self.c.put_item(TableName="same", Item=item("a", 1, x="1"))
        self.c.delete_item(TableName="same", Key=item("b", 1))
        with self.assertRaises(ClientError):  # a failed condition writes nothing, so no record
            self.c.put_item(TableName="same", Item=item("a", 1, x="3"), ConditionExpression="attribute_not_exists(pk)")
        self.assertEqual([r["eventName"] for r in read_all(self.s, arn)], ["INSERT", "MODIFY"])

    def test_batch_transactions_partiql(self):
        arn = make_table(self.c, "multi", "NEW_IMAGE")["LatestStreamArn"]
        self.c.batch_write_item(RequestItems={"multi": [{"PutRequest": {"Item": item("b", i)}} for i in range(3)]})
        self.c.transact_write_items(TransactItems=[
            {"Put": {"TableName": "multi", "Item": item("t", 1)}},
            {"Delete": {"TableName": "multi", "Key": item("b", 0)}}])
        with self.assertRaises(ClientError):  # cancelled: none of its writes, none of its records
            self.c.transact_write_items(TransactItems=[
                {"Put": {"TableName": "multi", "Item": item("t", 2)}},
                {"ConditionCheck": {"TableName": "multi", "Key": item("zz", 1),
                                    "ConditionExpression": "attribute_exists(pk)"}}])
        self.c.execute_statement(Statement="INSERT INTO \"multi\" VALUE {'pk': 'p', 'sk': 1}")
        self.c.execute_statement(Statement="UPDATE \"multi\" SET y = 'z' WHERE pk = 'p' AND sk = 1")
        self.c.execute_statement(Statement="DELETE FROM \"multi\" WHERE pk = 'p' AND sk = 1")
        got = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in read_all(self.s, arn)]
        self.assertEqual(got, [("INSERT", "b"), ("INSERT", "b"), ("INSERT", "b"), ("INSERT", "t"), ("REMOVE", "b"),
                               ("INSERT", "p"), ("MODIFY", "p"), ("REMOVE", "p")])

    def test_ttl_deletion_is_the_service(self):
        arn = make_table(self.c, "ttl", "OLD_IMAGE")["LatestStreamArn"]
        self.c.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "e"})
        self.c.put_item(TableName="ttl", Item=dict(item("a", 1), e={"N": str(int(time.time()) - 10)}))
        deadline = time.time() + 10
        while time.time() < deadline and "Item" in self.c.get_item(TableName="ttl", Key=item("a", 1)):
            time.sleep(0.1)
        recs = read_all(self.s, arn)
        self.assertEqual([r["eventName"] for r in recs], ["INSERT", "REMOVE"])
        self.assertNotIn("userIdentity", recs[0])
        self.assertEqual(recs[1]["userIdentity"], {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"})
        self.assertEqual(recs[1]["dynamodb"]["OldImage"]["pk"], {"S": "a"})

    def test_binary_and_number_values(self):
        arn = make_table(self.c, "bin", "NEW_IMAGE")["LatestStreamArn"]
        self.c.put_item(TableName="bin", Item=dict(item("a", 1), b={"B": b"\x00\xff\x80"}, n={"N": "1.50"},
                                                  bs={"BS": [b"\x01"]}, m={"M": {"l": {"L": [{"NULL": True}]}}}))
        img = read_all(self.s, arn)[0]["dynamodb"]["NewImage"]
        self.assertEqual((img["b"], img["n"], img["bs"], img["m"]),
                         ({"B": b"\x00\xff\x80"}, {"N": "1.5"}, {"BS": [b"\x01"]}, {"M": {"l": {"L": [{"NULL": True}]}}}))


class Iterators(Server):
    def setUp(self):
        name = "it-" + self._testMethodName.replace("_", "-")
        self.arn = make_table(self.c, name, "KEYS_ONLY")["LatestStreamArn"]
        self.shard = self.s.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        for i in range(5):
            self.c.put_item(TableName=name, Item=item("a", i))
        self.name = name
        self.seqs = [r["dynamodb"]["SequenceNumber"] for r in read_all(self.s, self.arn)]

    def iterator(self, kind, **kw):
        return self.s.get_shard_iterator(StreamArn=self.arn, ShardId=self.shard, ShardIteratorType=kind,
                                         **kw)["ShardIterator"]

    def sks(self, records):
        return [int(r["dynamodb"]["Keys"]["sk"]["N"]) for r in records]

    def test_types(self):
        self.assertEqual(len(self.seqs), 5)
        r = self.s.get_records(ShardIterator=self.iterator("AT_SEQUENCE_NUMBER", SequenceNumber=self.seqs[2]))
        self.assertEqual(self.sks(r["Records"]), [2, 3, 4])
        r = self.s.get_records(ShardIterator=self.iterator("AFTER_SEQUENCE_NUMBER", SequenceNumber=self.seqs[2]))
        self.assertEqual(self.sks(r["Records"]), [3, 4])
        latest = self.iterator("LATEST")
        r = self.s.get_records(ShardIterator=latest)
        self.assertEqual(r["Records"], [])
        self.c.put_item(TableName=self.name, Item=item("a", 9))
        r = self.s.get_records(ShardIterator=r["NextShardIterator"])
        self.assertEqual(self.sks(r["Records"]), [9])

    def test_limit_and_next_iterator(self):
        it, got = self.iterator("TRIM_HORIZON"), []
        for _ in range(4):
            r = self.s.get_records(ShardIterator=it, Limit=2)
            self.assertLessEqual(len(r["Records"]), 2)
            got += self.sks(r["Records"])
            it = r["NextShardIterator"]
        self.assertEqual(got, [0, 1, 2, 3, 4])
        code, _ = self.error(self.s.get_records, ShardIterator=it, Limit=1001)
        self.assertEqual(code, "ValidationException")

    def test_errors(self):
        self.assertEqual(self.error(self.s.get_shard_iterator, StreamArn=self.arn, ShardId="shardId-00000000000000000000-deadbeef",
                                    ShardIteratorType="LATEST")[0], "ResourceNotFoundException")
        code, _ = self.error(self.s.get_shard_iterator, StreamArn=self.arn, ShardId=self.shard,
                             ShardIteratorType="AT_SEQUENCE_NUMBER")
        self.assertEqual(code, "ValidationException")
        code, _ = self.error(self.s.get_records, ShardIterator="not-an-iterator")
        self.assertEqual(code, "ValidationException")

    def test_expired_iterator(self):
        it = self.iterator("TRIM_HORIZON")
        arn, shard, seq, issued = it.rsplit("|", 3)
        old = "|".join([arn, shard, seq, "%.3f" % (float(issued) - 901)])
        self.assertEqual(self.error(self.s.get_records, ShardIterator=old)[0], "ExpiredIteratorException")
        fresh = "|".join([arn, shard, seq, "%.3f" % (float(issued) - 800)])
        self.assertEqual(len(self.s.get_records(ShardIterator=fresh)["Records"]), 5)


class Retention(unittest.TestCase):
    def test_records_trimmed(self):
        with Nimbus(DYNAMODB_STREAM_RETENTION="1s", DYNAMODB_TTL_INTERVAL="100ms") as n:
            c, s = clients(n.url)
            arn = make_table(c, "trim", "KEYS_ONLY")["LatestStreamArn"]
            shard = s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
            c.put_item(TableName="trim", Item=item("a", 1))
            first = s.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
            seq = read_all(s, arn)[0]["dynamodb"]["SequenceNumber"]
            time.sleep(1.6)
            c.put_item(TableName="trim", Item=item("a", 2))
            self.assertEqual([r["dynamodb"]["Keys"]["sk"]["N"] for r in read_all(s, arn)], ["2"])
            with self.assertRaises(ClientError) as e:
                s.get_records(ShardIterator=first["ShardIterator"])
            self.assertEqual(e.exception.response["Error"]["Code"], "TrimmedDataAccessException")
            with self.assertRaises(ClientError) as e:
                s.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                     SequenceNumber=seq)
            self.assertEqual(e.exception.response["Error"]["Code"], "TrimmedDataAccessException")
            c.delete_table(TableName="trim")
            time.sleep(1.6)  # a disabled stream goes once its records have aged out
            self.assertEqual(s.list_streams()["Streams"], [])


class Persistence(unittest.TestCase):
    def restart(self, sig):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data) as n:
            c, s = clients(n.url)
            arn = make_table(c, "kept", "NEW_IMAGE")["LatestStreamArn"]
            for i in range(20):
                c.put_item(TableName="kept", Item=item("a", i))
            before = read_all(s, arn)
            n.stop(sig=sig)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data) as n:
            c, s = clients(n.url)
            self.assertEqual(c.describe_table(TableName="kept")["Table"]["LatestStreamArn"], arn)
            self.assertEqual(read_all(s, arn), before)
            c.put_item(TableName="kept", Item=item("a", 99))
            after = read_all(s, arn)
            self.assertEqual(len(after), 21)
            self.assertGreater(int(after[-1]["dynamodb"]["SequenceNumber"]), int(before[-1]["dynamodb"]["SequenceNumber"]))

    def test_survives_restart(self):
        self.restart(signal.SIGTERM)

    def test_survives_kill_9(self):
        self.restart(signal.SIGKILL)


class Accounts(unittest.TestCase):
    def test_regions_apart(self):
        with Nimbus() as n:
            c1, s1 = clients(n.url, "us-east-1")
            c2, s2 = clients(n.url, "eu-west-1")
            arn = make_table(c1, "mine", "KEYS_ONLY")["LatestStreamArn"]
            self.assertEqual(s2.list_streams()["Streams"], [])
            with self.assertRaises(ClientError) as e:
                s2.describe_stream(StreamArn=arn)
            self.assertEqual(e.exception.response["Error"]["Code"], "ResourceNotFoundException")
            self.assertEqual(len(s1.list_streams()["Streams"]), 1)


class Services(unittest.TestCase):
    def test_enabled_with_dynamodb(self):
        with Nimbus(SERVICES="dynamodb") as n:
            c, s = clients(n.url)
            arn = make_table(c, "svc", "KEYS_ONLY")["LatestStreamArn"]
            c.put_item(TableName="svc", Item=item("a", 1))
            self.assertEqual(len(read_all(s, arn)), 1)
        with Nimbus(SERVICES="sqs") as n:
            c, s = clients(n.url)
            with self.assertRaises(ClientError):
                s.list_streams()


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "NewerCases", (1, 40))

    def test_javascript_sdk(self):
        with Nimbus() as n:
            r = run_node_script(os.path.join(os.path.dirname(os.path.abspath(__file__)), "js-dynamodb"),
                                "test_dynamodb_streams.mjs", n.url)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("ok", r.stdout)

    def test_aws_cli(self):
        with Nimbus() as n:
            for i, cli in enumerate(aws_clis()):
                t = "cli%d" % i

                def aws(*args):
                    r = run_aws(cli, n.url, *args)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    return json.loads(r.stdout) if r.stdout.strip() else None
                d = aws("dynamodb", "create-table", "--table-name", t, "--billing-mode", "PAY_PER_REQUEST",
                        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                        "--key-schema", "AttributeName=pk,KeyType=HASH",
                        "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_IMAGE")
                arn = d["TableDescription"]["LatestStreamArn"]
                aws("dynamodb", "put-item", "--table-name", t, "--item", '{"pk": {"S": "k"}, "v": {"N": "1.0"}}')
                self.assertEqual(aws("dynamodbstreams", "list-streams", "--table-name", t)["Streams"][0]["StreamArn"],
                                 arn)
                shard = aws("dynamodbstreams", "describe-stream", "--stream-arn", arn)["StreamDescription"]["Shards"][0]
                it = aws("dynamodbstreams", "get-shard-iterator", "--stream-arn", arn, "--shard-id", shard["ShardId"],
                         "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
                recs = aws("dynamodbstreams", "get-records", "--shard-iterator", it)["Records"]
                self.assertEqual([(r["eventName"], r["dynamodb"]["NewImage"]) for r in recs],
                                 [("INSERT", {"pk": {"S": "k"}, "v": {"N": "1"}})])
                r = run_aws(cli, n.url, "dynamodbstreams", "describe-stream", "--stream-arn", arn + "x")
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("ResourceNotFoundException", r.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "NewerCases":
        sys.argv = sys.argv[:1]
        unittest.main(defaultTest=["Specification", "Records", "Iterators"], verbosity=2)
    unittest.main()
