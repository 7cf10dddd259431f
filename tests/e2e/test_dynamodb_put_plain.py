"""PutItem without a condition or ReturnValues ALL_OLD on a table with no index and no stream
reads only the size of the item it replaces, not the item: the table's ItemCount and
TableSizeBytes still follow every overwrite, and a table that gains a stream or an index later
goes back to reading the old item (its stream records carry the old image, its index loses the
old key)."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ddb_e2e  # noqa: E402
from ddb_e2e import DdbTestCase  # noqa: E402


def setUpModule():
    ddb_e2e.start()


def tearDownModule():
    ddb_e2e.stop()


class PlainPut(DdbTestCase):
    def counts(self, t):
        d = self.ddb.describe_table(TableName=t)["Table"]
        return d["ItemCount"], d["TableSizeBytes"]

    def test_counts_follow_overwrites(self):
        t, ref = self.table("pp-counts"), self.table("pp-ref")
        small = {"pk": {"S": "k"}, "a": {"S": "x"}}
        big = {"pk": {"S": "k"}, "a": {"S": "x" * 300}, "b": {"N": "12345"}}
        self.ddb.put_item(TableName=t, Item=small)
        self.ddb.put_item(TableName=ref, Item=small)
        self.assertEqual(self.counts(t), self.counts(ref))
        self.ddb.put_item(TableName=t, Item=big)
        self.ddb.put_item(TableName=t, Item=big)
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "other"}})
        self.ddb.delete_item(TableName=t, Key={"pk": {"S": "other"}})
        self.ddb.put_item(TableName=ref, Item=big)
        count, size = self.counts(t)
        self.assertEqual((count, size), self.counts(ref))
        self.assertEqual(count, 1)
        self.assertGreater(size, 300)
        self.ddb.put_item(TableName=t, Item=small)
        self.ddb.put_item(TableName=ref, Item=small)
        self.assertEqual(self.counts(t), self.counts(ref))

    def test_stream_added_later_sees_the_old_image(self):
        t = self.table("pp-stream")
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "k"}, "v": {"S": "1"}})
        arn = self.ddb.update_table(TableName=t, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]["LatestStreamArn"]
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "k"}, "v": {"S": "2"}})
        streams = ddb_e2e.boto3.client("dynamodbstreams", endpoint_url=ddb_e2e.server_url(), region_name="us-east-1",
                                       aws_access_key_id="test", aws_secret_access_key="test")
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        recs = streams.get_records(ShardIterator=it)["Records"]
        self.assertEqual([r["eventName"] for r in recs], ["MODIFY"])
        self.assertEqual(recs[0]["dynamodb"]["OldImage"], {"pk": {"S": "k"}, "v": {"S": "1"}})
        self.assertEqual(recs[0]["dynamodb"]["NewImage"], {"pk": {"S": "k"}, "v": {"S": "2"}})

    def test_index_keeps_step_with_overwrites(self):
        t = self.table("pp-gsi", extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{"IndexName": "by-g",
                                                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                "Projection": {"ProjectionType": "ALL"}}])
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "k"}, "g": {"S": "old"}})
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "k"}, "g": {"S": "new"}})

        def by(g):
            return self.ddb.query(TableName=t, IndexName="by-g", KeyConditionExpression="g = :g",
                                  ExpressionAttributeValues={":g": {"S": g}})["Count"]
        self.assertEqual((by("old"), by("new")), (0, 1))


if __name__ == "__main__":
    unittest.main()
