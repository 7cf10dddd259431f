"""DynamoDB state: tables, items and index rows survive a restart and kill -9 with PERSISTENCE=1;
TTL deletes expired items in the background (counts and indexes kept in step); accounts apart."""
import os, signal, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, temp_dir  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def client(url, access_key="test"):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id=access_key,
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}))


def make_table(c, name, gsi=False):
    kw = {}
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
    if gsi:
        attrs.append({"AttributeName": "g", "AttributeType": "S"})
        kw["GlobalSecondaryIndexes"] = [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                         "Projection": {"ProjectionType": "ALL"}}]
    c.create_table(TableName=name, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                   **kw)


class Persistence(unittest.TestCase):
    def write_then_restart(self, sig):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data) as n:
            c = client(n.url)
            make_table(c, "kept", gsi=True)
            for i in range(50):
                c.put_item(TableName="kept", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": "G%d" % (i % 2)}})
            c.update_time_to_live(TableName="kept", TimeToLiveSpecification={"Enabled": True, "AttributeName": "e"})
            n.stop(sig=sig)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data) as n:
            c = client(n.url)
            d = c.describe_table(TableName="kept")["Table"]
            self.assertEqual((d["ItemCount"], d["GlobalSecondaryIndexes"][0]["ItemCount"]), (50, 50))
            r = c.query(TableName="kept", KeyConditionExpression="pk = :p AND sk >= :s",
                        ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"N": "45"}})
            self.assertEqual([int(i["sk"]["N"]) for i in r["Items"]], [45, 46, 47, 48, 49])
            r = c.query(TableName="kept", IndexName="by-g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "G1"}}, Select="COUNT")
            self.assertEqual(r["Count"], 25)
            self.assertEqual(c.describe_time_to_live(TableName="kept")["TimeToLiveDescription"]["TimeToLiveStatus"],
                             "ENABLED")

    def test_survives_restart(self):
        self.write_then_restart(signal.SIGTERM)

    def test_survives_kill_9(self):
        self.write_then_restart(signal.SIGKILL)


class TimeToLive(unittest.TestCase):
    def test_expired_items_deleted_in_background(self):
        with Nimbus(DYNAMODB_TTL_INTERVAL="100ms") as n:
            c = client(n.url)
            make_table(c, "ttl", gsi=True)
            c.update_time_to_live(TableName="ttl", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
            past, future = int(time.time()) - 10, int(time.time()) + 3600
            for i in range(150):  # more than one sweep's batch
                c.put_item(TableName="ttl", Item={"pk": {"S": "old"}, "sk": {"N": str(i)}, "exp": {"N": str(past)},
                                                  "g": {"S": "x"}})
            c.put_item(TableName="ttl", Item={"pk": {"S": "new"}, "sk": {"N": "0"}, "exp": {"N": str(future)},
                                              "g": {"S": "x"}})
            c.put_item(TableName="ttl", Item={"pk": {"S": "str"}, "sk": {"N": "0"}, "exp": {"S": str(past)}})
            deadline = time.time() + 10
            while time.time() < deadline:
                if c.describe_table(TableName="ttl")["Table"]["ItemCount"] == 2:
                    break
                time.sleep(0.2)
            d = c.describe_table(TableName="ttl")["Table"]
            self.assertEqual((d["ItemCount"], d["GlobalSecondaryIndexes"][0]["ItemCount"]), (2, 1))
            left = sorted(i["pk"]["S"] for i in c.scan(TableName="ttl")["Items"])
            self.assertEqual(left, ["new", "str"])  # a String TTL attribute never expires

    def test_items_of_a_table_with_ttl_enabled_later_expire(self):
        with Nimbus(DYNAMODB_TTL_INTERVAL="100ms") as n:
            c = client(n.url)
            make_table(c, "later")
            c.put_item(TableName="later", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "e": {"N": str(int(time.time()))}})
            c.update_time_to_live(TableName="later", TimeToLiveSpecification={"Enabled": True, "AttributeName": "e"})
            deadline = time.time() + 10
            while time.time() < deadline and c.scan(TableName="later")["Count"]:
                time.sleep(0.2)
            self.assertEqual(c.scan(TableName="later")["Count"], 0)


class Accounts(unittest.TestCase):
    def test_accounts_are_apart(self):
        with Nimbus() as n:
            a, b = client(n.url, "111111111111"), client(n.url, "222222222222")
            make_table(a, "same")
            make_table(b, "same")
            a.put_item(TableName="same", Item={"pk": {"S": "k"}, "sk": {"N": "1"}, "who": {"S": "a"}})
            self.assertNotIn("Item", b.get_item(TableName="same", Key={"pk": {"S": "k"}, "sk": {"N": "1"}}))
            self.assertEqual(a.describe_table(TableName="same")["Table"]["TableArn"],
                             "arn:aws:dynamodb:us-east-1:111111111111:table/same")


if __name__ == "__main__":
    unittest.main(verbosity=2)
