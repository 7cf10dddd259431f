"""DynamoDB item paths after their hot-path work: a table's definition read once and reused (a
recreated table, an index added later and TTL turned on are seen by the next write), items stored
without a copy unless a number needs its canonical text, an overwrite updating the row in place,
and requests without expressions skipping the expression checks (their errors still answered)."""
import os, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def create(c, name, key="pk", key_type="S"):
    c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": key, "AttributeType": key_type}],
                   KeySchema=[{"AttributeName": key, "KeyType": "HASH"}])


class HotPath(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Nimbus(DYNAMODB_TTL_INTERVAL="200ms").__enter__()
        cls.c = boto3.client("dynamodb", endpoint_url=cls.server.url, region_name="us-east-1",
                             aws_access_key_id="test", aws_secret_access_key="test",
                             config=Config(retries={"max_attempts": 0}))

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def invalid(self, call, **kw):
        with self.assertRaises(ClientError) as cm:
            call(**kw)
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        return cm.exception.response["Error"]["Message"]

    def test_recreated_table_takes_its_new_key_schema(self):
        c = self.c
        create(c, "again", "id", "S")
        c.put_item(TableName="again", Item={"id": {"S": "a"}})
        c.delete_table(TableName="again")
        create(c, "again", "pk", "N")
        self.assertEqual(self.invalid(c.put_item, TableName="again", Item={"id": {"S": "a"}}),
                         "One or more parameter values were invalid: Missing the key pk in the item")
        c.put_item(TableName="again", Item={"pk": {"N": "7"}, "v": {"S": "x"}})
        self.assertEqual(c.get_item(TableName="again", Key={"pk": {"N": "7"}})["Item"],
                         {"pk": {"N": "7"}, "v": {"S": "x"}})
        self.assertNotIn("Item", c.get_item(TableName="again", Key={"pk": {"N": "8"}}))

    def test_index_added_later_checks_and_fills_on_the_next_write(self):
        c = self.c
        create(c, "grows")
        c.put_item(TableName="grows", Item={"pk": {"S": "before"}, "g": {"N": "1"}})  # no index yet: any type
        c.update_table(TableName="grows", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexUpdates=[{"Create": {
                           "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                           "Projection": {"ProjectionType": "ALL"}}}])
        self.assertEqual(self.invalid(c.put_item, TableName="grows", Item={"pk": {"S": "x"}, "g": {"N": "1"}}),
                         "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S "
                         "Actual: N IndexName: by-g")
        c.put_item(TableName="grows", Item={"pk": {"S": "after"}, "g": {"S": "G"}})
        got = c.query(TableName="grows", IndexName="by-g", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "G"}})["Items"]
        self.assertEqual(got, [{"pk": {"S": "after"}, "g": {"S": "G"}}])

    def test_ttl_turned_on_applies_to_the_next_write(self):
        c = self.c
        create(c, "expiring")
        c.put_item(TableName="expiring", Item={"pk": {"S": "warm"}})  # the definition is read before TTL
        c.update_time_to_live(TableName="expiring",
                              TimeToLiveSpecification={"Enabled": True, "AttributeName": "e"})
        c.put_item(TableName="expiring", Item={"pk": {"S": "old"}, "e": {"N": str(int(time.time()) - 60)}})
        deadline = time.time() + 10
        while "Item" in c.get_item(TableName="expiring", Key={"pk": {"S": "old"}}) and time.time() < deadline:
            time.sleep(0.1)
        self.assertNotIn("Item", c.get_item(TableName="expiring", Key={"pk": {"S": "old"}}))
        self.assertIn("Item", c.get_item(TableName="expiring", Key={"pk": {"S": "warm"}}))

    def test_numbers_stored_in_canonical_text_others_as_given(self):
        c = self.c
        create(c, "nums")
        c.put_item(TableName="nums", Item={"pk": {"S": "a"}, "n": {"N": "01.50"}, "m": {"N": "3"},
                                           "s": {"NS": ["1e2", "7"]}, "l": {"L": [{"N": "-0.0"}, {"S": "01.50"}]}})
        item = c.get_item(TableName="nums", Key={"pk": {"S": "a"}})["Item"]
        self.assertEqual((item["n"], item["m"], sorted(item["s"]["NS"]), item["l"]),
                         ({"N": "1.5"}, {"N": "3"}, ["100", "7"], {"L": [{"N": "0"}, {"S": "01.50"}]}))
        self.assertEqual(self.invalid(c.put_item, TableName="nums", Item={"pk": {"S": "b"}, "s": {"NS": ["1", "1.0"]}}),
                         "One or more parameter values were invalid: Input collection [1, 1] contains duplicates.")

    def test_expression_values_compared_and_stored_in_canonical_text(self):
        c = self.c
        create(c, "exprnums")
        c.put_item(TableName="exprnums", Item={"pk": {"S": "a"}, "n": {"N": "0"}})
        got = c.update_item(TableName="exprnums", Key={"pk": {"S": "a"}}, UpdateExpression="SET n = :v, m = :m",
                            ConditionExpression="n = :zero", ReturnValues="ALL_NEW",
                            ExpressionAttributeValues={":v": {"N": "02.50"}, ":m": {"N": "7"}, ":zero": {"N": "0.00"}})
        self.assertEqual(got["Attributes"], {"pk": {"S": "a"}, "n": {"N": "2.5"}, "m": {"N": "7"}})
        got = c.update_item(TableName="exprnums", Key={"pk": {"S": "a"}}, UpdateExpression="SET n = n + :one",
                            ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
        self.assertEqual(got["Attributes"], {"n": {"N": "3.5"}})

    def test_overwrite_replaces_every_attribute_and_keeps_the_count(self):
        c = self.c
        create(c, "over")
        c.put_item(TableName="over", Item={"pk": {"S": "k"}, "a": {"S": "1"}, "b": {"S": "2"}})
        c.put_item(TableName="over", Item={"pk": {"S": "k"}, "c": {"S": "3"}})
        self.assertEqual(c.get_item(TableName="over", Key={"pk": {"S": "k"}})["Item"],
                         {"pk": {"S": "k"}, "c": {"S": "3"}})
        old = c.put_item(TableName="over", Item={"pk": {"S": "k"}, "d": {"S": "4"}}, ReturnValues="ALL_OLD")
        self.assertEqual(old["Attributes"], {"pk": {"S": "k"}, "c": {"S": "3"}})
        self.assertEqual(c.describe_table(TableName="over")["Table"]["ItemCount"], 1)

    def test_expression_parameters_without_expressions_still_rejected(self):
        c = self.c
        create(c, "exprs")
        self.assertEqual(self.invalid(c.put_item, TableName="exprs", Item={"pk": {"S": "a"}},
                                      ExpressionAttributeValues={":v": {"S": "x"}}),
                         "ExpressionAttributeValues can only be specified when using expressions: "
                         "ConditionExpression is null")
        self.assertEqual(self.invalid(c.get_item, TableName="exprs", Key={"pk": {"S": "a"}},
                                      ExpressionAttributeNames={"#n": "pk"}),
                         "ExpressionAttributeNames can only be specified when using expressions")
        self.assertNotIn("Item", c.get_item(TableName="exprs", Key={"pk": {"S": "a"}}))


if __name__ == "__main__":
    unittest.main()
