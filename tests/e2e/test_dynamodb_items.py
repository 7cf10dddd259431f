"""DynamoDB items end to end: PutItem/GetItem/UpdateItem/DeleteItem with conditions and
ReturnValues, key validation with AWS's messages, item size, Query and Scan (indexes, paging,
order, Select COUNT, segments), batches and transactions; boto3 1.29 here and the newer boto3 on
PATH through Clients.test_newer_boto3 (which also sends ReturnValuesOnConditionCheckFailure)."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ddb_e2e  # noqa: E402
from ddb_e2e import DdbTestCase  # noqa: E402
from nimbus_server import aws_env, rerun_with_newer_boto3  # noqa: E402

GSI = [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                           {"AttributeName": "sk", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"}}]


def setUpModule():
    ddb_e2e.start()


def tearDownModule():
    ddb_e2e.stop()


def has_member(client, op, member):
    return member in client.meta.service_model.operation_model(op).input_shape.members


class ItemCases(DdbTestCase):
    def test_put_get_numbers_binary_and_counts(self):
        t = self.table("pg", "S", "N")
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "sk": {"N": "01.50"}, "b": {"B": b"\x00\xff"},
                                             "ns": {"NS": ["1", "2.0"]}, "m": {"M": {"x": {"L": [{"NULL": True}]}}}})
        r = self.ddb.get_item(TableName=t, Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}}, ConsistentRead=True,
                              ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["Item"]["sk"], {"N": "1.5"})
        self.assertEqual(r["Item"]["b"], {"B": b"\x00\xff"})
        self.assertEqual(sorted(r["Item"]["ns"]["NS"]), ["1", "2"])
        self.assertEqual(r["ConsumedCapacity"], {"TableName": t, "CapacityUnits": 1.0})
        self.assertNotIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "b"}, "sk": {"N": "1"}}))
        d = self.ddb.describe_table(TableName=t)["Table"]
        self.assertEqual(d["ItemCount"], 1)
        self.assertGreater(d["TableSizeBytes"], 0)

    def test_return_values_and_conditions(self):
        t = self.table("rv")
        self.assertNotIn("Attributes", self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "v": {"N": "1"}},
                                                         ReturnValues="ALL_OLD"))
        r = self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"], {"pk": {"S": "a"}, "v": {"N": "1"}})
        self.assertError("ConditionalCheckFailedException", "The conditional request failed", self.ddb.put_item,
                         TableName=t, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
        self.assertError("ValidationException", "ReturnValues can only be ALL_OLD or NONE", self.ddb.put_item,
                         TableName=t, Item={"pk": {"S": "a"}}, ReturnValues="ALL_NEW")
        r = self.ddb.update_item(TableName=t, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = v + :one, w = :w",
                                 ExpressionAttributeValues={":one": {"N": "1"}, ":w": {"S": "x"}},
                                 ReturnValues="UPDATED_NEW")
        self.assertEqual(r["Attributes"], {"v": {"N": "3"}, "w": {"S": "x"}})
        r = self.ddb.update_item(TableName=t, Key={"pk": {"S": "a"}}, UpdateExpression="REMOVE w",
                                 ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"]["w"], {"S": "x"})
        self.assertError("ValidationException", "One or more parameter values were invalid: Cannot update attribute "
                         "pk. This attribute is part of the key", self.ddb.update_item, TableName=t,
                         Key={"pk": {"S": "a"}}, UpdateExpression="SET pk = :v",
                         ExpressionAttributeValues={":v": {"S": "b"}})
        self.assertError("ConditionalCheckFailedException", "The conditional request failed", self.ddb.delete_item,
                         TableName=t, Key={"pk": {"S": "a"}}, ConditionExpression="v = :x",
                         ExpressionAttributeValues={":x": {"N": "99"}})
        r = self.ddb.delete_item(TableName=t, Key={"pk": {"S": "a"}}, ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"], {"pk": {"S": "a"}, "v": {"N": "3"}})
        self.assertNotIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "a"}}))
        # an update of a missing item creates it
        r = self.ddb.update_item(TableName=t, Key={"pk": {"S": "new"}}, UpdateExpression="ADD c :one",
                                 ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
        self.assertEqual(r["Attributes"], {"pk": {"S": "new"}, "c": {"N": "1"}})

    def test_condition_failure_returns_item(self):
        if not has_member(self.ddb, "PutItem", "ReturnValuesOnConditionCheckFailure"):
            self.skipTest("boto3 %s cannot send ReturnValuesOnConditionCheckFailure: test_newer_boto3 runs it"
                          % ddb_e2e.boto3.__version__)
        t = self.table("rvccf")
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
        status, code, message, resp = self.error(self.ddb.put_item, TableName=t, Item={"pk": {"S": "a"}},
                                                 ConditionExpression="attribute_not_exists(pk)",
                                                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
        self.assertEqual((status, code, message), (400, "ConditionalCheckFailedException",
                                                   "The conditional request failed"))
        self.assertEqual(resp["Item"], {"pk": {"S": "a"}, "v": {"N": "1"}})

    def test_key_validation_messages(self):
        t = self.table("keys", "S", "N", extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=GSI)
        cases = [
            ({"pk": {"S": "a"}}, "One or more parameter values were invalid: Missing the key sk in the item"),
            ({"pk": {"N": "1"}, "sk": {"N": "1"}},
             "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
            ({"pk": {"S": ""}, "sk": {"N": "1"}}, "One or more parameter values are not valid. The AttributeValue "
             "for a key attribute cannot contain an empty string value. Key: pk"),
            ({"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"N": "1"}}, "One or more parameter values were invalid: "
             "Type mismatch for Index Key g Expected: S Actual: N IndexName: by-g"),
            ({"pk": {"S": "a"}, "sk": {"N": "x1"}}, "A value provided cannot be converted into a number"),
            ({"pk": {"S": "a"}, "sk": {"N": "1"}, "s": {"SS": ["x", "x"]}},
             "One or more parameter values were invalid: Input collection [x, x] contains duplicates."),
        ]
        for item, message in cases:
            with self.subTest(item=item):
                self.assertError("ValidationException", message, self.ddb.put_item, TableName=t, Item=item)
        self.assertError("ValidationException", "The provided key element does not match the schema",
                         self.ddb.get_item, TableName=t, Key={"pk": {"S": "a"}})
        self.assertError("ResourceNotFoundException", "Requested resource not found", self.ddb.get_item,
                         TableName=ddb_e2e.name("nothere"), Key={"pk": {"S": "a"}})

    def test_item_size_limit(self):
        t = self.table("big")
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "v": {"S": "x" * (400 * 1024 - 10)}})
        self.assertError("ValidationException", "Item size has exceeded the maximum allowed size", self.ddb.put_item,
                         TableName=t, Item={"pk": {"S": "a"}, "v": {"S": "x" * (400 * 1024)}})

    def test_one_megabyte_page(self):
        t = self.table("mb", "S", "N")
        for i in range(4):
            self.ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": "x" * 390000}})
        q = dict(TableName=t, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                 Select="COUNT")
        r = self.ddb.query(**q)
        self.assertEqual((r["Count"], r["LastEvaluatedKey"]), (3, {"pk": {"S": "p"}, "sk": {"N": "2"}}))
        r = self.ddb.query(ExclusiveStartKey=r["LastEvaluatedKey"], **q)
        self.assertEqual((r["Count"], "LastEvaluatedKey" in r), (1, False))

    def test_query_order_paging_and_count(self):
        t = self.table("q", "S", "N")
        for i in range(-5, 6):
            self.ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i * 3)}, "odd": {"BOOL": i % 2 == 1}})
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "other"}, "sk": {"N": "0"}})
        q = dict(TableName=t, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
        r = self.ddb.query(**q)
        self.assertEqual([int(i["sk"]["N"]) for i in r["Items"]], [i * 3 for i in range(-5, 6)])
        self.assertEqual((r["Count"], r["ScannedCount"]), (11, 11))
        r = self.ddb.query(ScanIndexForward=False, **q)
        self.assertEqual([int(i["sk"]["N"]) for i in r["Items"]], [i * 3 for i in range(5, -6, -1)])
        pages, start = [], None
        while True:
            kw = dict(q, Limit=4)
            if start:
                kw["ExclusiveStartKey"] = start
            r = self.ddb.query(**kw)
            pages.append([int(i["sk"]["N"]) for i in r["Items"]])
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(sum(pages, []), [i * 3 for i in range(-5, 6)])
        self.assertEqual(len(pages[0]), 4)
        r = self.ddb.query(Select="COUNT", **q)
        self.assertEqual((r["Count"], "Items" in r), (11, False))
        r = self.ddb.query(TableName=t, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                           ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "-3"}, ":b": {"N": "3"}})
        self.assertEqual([int(i["sk"]["N"]) for i in r["Items"]], [-3, 0, 3])
        r = self.ddb.query(FilterExpression="odd = :t", **dict(q, ExpressionAttributeValues={
            ":p": {"S": "p"}, ":t": {"BOOL": True}}))
        self.assertEqual((r["Count"], r["ScannedCount"]), (6, 11))  # -5, -3, -1, 1, 3, 5
        self.assertError("ValidationException", "Either the KeyConditions or KeyConditionExpression parameter must be "
                         "specified in the request.", self.ddb.query, TableName=t)

    def test_query_gsi_projection(self):
        t = self.table("qg", "S", "N", extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=GSI)
        for i in range(4):
            item = {"pk": {"S": "k%d" % i}, "sk": {"N": str(i)}, "data": {"S": "d"}}
            if i != 3:
                item["g"] = {"S": "G"}  # k3 is not in the sparse index
            self.ddb.put_item(TableName=t, Item=item)
        r = self.ddb.query(TableName=t, IndexName="by-g", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "G"}}, ScanIndexForward=False)
        self.assertEqual([i["pk"]["S"] for i in r["Items"]], ["k2", "k1", "k0"])
        self.assertNotIn("data", r["Items"][0])  # KEYS_ONLY
        r = self.ddb.query(TableName=t, IndexName="by-g", KeyConditionExpression="g = :g", Limit=2,
                           ExpressionAttributeValues={":g": {"S": "G"}})
        self.assertEqual(set(r["LastEvaluatedKey"]), {"pk", "sk", "g"})
        r2 = self.ddb.query(TableName=t, IndexName="by-g", KeyConditionExpression="g = :g",
                            ExclusiveStartKey=r["LastEvaluatedKey"], ExpressionAttributeValues={":g": {"S": "G"}})
        self.assertEqual([i["pk"]["S"] for i in r["Items"] + r2["Items"]], ["k0", "k1", "k2"])
        self.assertError("ValidationException", "Consistent reads are not supported on global secondary indexes",
                         self.ddb.query, TableName=t, IndexName="by-g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "G"}}, ConsistentRead=True)

    def test_query_lsi_and_collection_metrics(self):
        t = self.table("lsi", "S", "N", extra_attrs=[{"AttributeName": "lk", "AttributeType": "S"}],
                       LocalSecondaryIndexes=[{"IndexName": "by-lk", "KeySchema": [
                           {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lk", "KeyType": "RANGE"}],
                           "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}])
        for i, lk in enumerate(["c", "a", "b"]):
            r = self.ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "lk": {"S": lk},
                                                     "x": {"N": str(i)}, "y": {"S": "not projected"}},
                                  ReturnItemCollectionMetrics="SIZE")
            self.assertEqual(r["ItemCollectionMetrics"]["ItemCollectionKey"], {"pk": {"S": "p"}})
        r = self.ddb.query(TableName=t, IndexName="by-lk", KeyConditionExpression="pk = :p AND lk > :a",
                           ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"S": "a"}})
        self.assertEqual([(i["lk"]["S"], i["x"]["N"]) for i in r["Items"]], [("b", "2"), ("c", "0")])
        self.assertNotIn("y", r["Items"][0])  # INCLUDE projects x only

    def test_scan_segments_and_paging(self):
        t = self.table("scan")
        for i in range(20):
            self.ddb.put_item(TableName=t, Item={"pk": {"S": "k%02d" % i}, "n": {"N": str(i)}})
        seen = []
        for seg in range(3):
            start = None
            while True:
                kw = dict(TableName=t, Segment=seg, TotalSegments=3, Limit=3)
                if start:
                    kw["ExclusiveStartKey"] = start
                r = self.ddb.scan(**kw)
                seen += [i["pk"]["S"] for i in r["Items"]]
                start = r.get("LastEvaluatedKey")
                if not start:
                    break
        self.assertEqual(sorted(seen), ["k%02d" % i for i in range(20)])
        r = self.ddb.scan(TableName=t, FilterExpression="n >= :x", ExpressionAttributeValues={":x": {"N": "15"}})
        self.assertEqual((r["Count"], r["ScannedCount"]), (5, 20))
        self.assertError("ValidationException", "The Segment parameter is zero-based and must be less than parameter "
                         "TotalSegments: Segment: 3 is not less than TotalSegments: 3", self.ddb.scan, TableName=t,
                         Segment=3, TotalSegments=3)

    def test_batch_write_and_get(self):
        t = self.table("batch")
        r = self.ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": "k%d" % i}}}}
                                                        for i in range(25)]}, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["UnprocessedItems"], {})
        self.assertEqual(r["ConsumedCapacity"], [{"TableName": t, "CapacityUnits": 25.0}])  # one entry per table
        r = self.ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"S": "k%d" % i}} for i in range(0, 30, 3)]}})
        self.assertEqual(sorted(i["pk"]["S"] for i in r["Responses"][t]), sorted("k%d" % i for i in range(0, 25, 3)))
        self.assertEqual(r["UnprocessedKeys"], {})
        self.ddb.batch_write_item(RequestItems={t: [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
        self.assertNotIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "k0"}}))
        # over the limit in one table: the spec's length constraint; across tables: AWS's own message
        status, code, message, _ = self.error(self.ddb.batch_write_item, RequestItems={
            t: [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(26)]})
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertTrue(message.startswith("1 validation error detected: Value '"), message)
        self.assertTrue(message.endswith("failed to satisfy constraint: Member must have length less than or equal "
                                         "to 25"), message)
        t2 = self.table("batch2")
        self.assertError("ValidationException", "Too many items requested for the BatchWriteItem call",
                         self.ddb.batch_write_item, RequestItems={
                             t: [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(13)],
                             t2: [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(13)]})
        self.assertError("ValidationException", "Too many items requested for the BatchGetItem call",
                         self.ddb.batch_get_item, RequestItems={
                             t: {"Keys": [{"pk": {"S": str(i)}} for i in range(60)]},
                             t2: {"Keys": [{"pk": {"S": str(i)}} for i in range(41)]}})
        self.assertError("ValidationException", "Provided list of item keys contains duplicates",
                         self.ddb.batch_write_item, RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": "d"}}}},
                                                                      {"DeleteRequest": {"Key": {"pk": {"S": "d"}}}}]})
        self.assertError("ValidationException", "Provided list of item keys contains duplicates",
                         self.ddb.batch_get_item, RequestItems={t: {"Keys": [{"pk": {"S": "d"}}, {"pk": {"S": "d"}}]}})

    def test_transactions(self):
        t = self.table("txn")
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "acct"}, "bal": {"N": "10"}})
        self.ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": t, "Key": {"pk": {"S": "acct"}}, "UpdateExpression": "SET bal = bal - :n",
                        "ConditionExpression": "bal >= :n", "ExpressionAttributeValues": {":n": {"N": "4"}}}},
            {"Put": {"TableName": t, "Item": {"pk": {"S": "log1"}}}}])
        self.assertEqual(self.ddb.get_item(TableName=t, Key={"pk": {"S": "acct"}})["Item"]["bal"], {"N": "6"})
        status, code, message, resp = self.error(self.ddb.transact_write_items, TransactItems=[
            {"Put": {"TableName": t, "Item": {"pk": {"S": "log2"}}}},
            {"ConditionCheck": {"TableName": t, "Key": {"pk": {"S": "acct"}}, "ConditionExpression": "bal > :n",
                                "ExpressionAttributeValues": {":n": {"N": "100"}}}}])
        self.assertEqual((status, code), (400, "TransactionCanceledException"))
        self.assertEqual(message, "Transaction cancelled, please refer cancellation reasons for specific reasons "
                                  "[None, ConditionalCheckFailed]")
        self.assertEqual([r["Code"] for r in resp["CancellationReasons"]], ["None", "ConditionalCheckFailed"])
        self.assertNotIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "log2"}}))  # all or nothing
        self.assertError("ValidationException", "Transaction request cannot include multiple operations on one item",
                         self.ddb.transact_write_items, TransactItems=[
                             {"Put": {"TableName": t, "Item": {"pk": {"S": "x"}}}},
                             {"Delete": {"TableName": t, "Key": {"pk": {"S": "x"}}}}])
        r = self.ddb.transact_get_items(TransactItems=[{"Get": {"TableName": t, "Key": {"pk": {"S": "acct"}}}},
                                                       {"Get": {"TableName": t, "Key": {"pk": {"S": "none"}}}}])
        self.assertEqual(r["Responses"], [{"Item": {"pk": {"S": "acct"}, "bal": {"N": "6"}}}, {}])

    def test_transaction_token_idempotent(self):
        t = self.table("token")
        items = [{"Update": {"TableName": t, "Key": {"pk": {"S": "c"}}, "UpdateExpression": "ADD n :one",
                             "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
        for _ in range(2):
            self.ddb.transact_write_items(TransactItems=items, ClientRequestToken=t)
        self.assertEqual(self.ddb.get_item(TableName=t, Key={"pk": {"S": "c"}})["Item"]["n"], {"N": "1"})
        items[0]["Update"]["ExpressionAttributeValues"][":one"] = {"N": "2"}
        status, code, _, _ = self.error(self.ddb.transact_write_items, TransactItems=items,
                                        ClientRequestToken=t)
        self.assertEqual((status, code), (400, "IdempotentParameterMismatchException"))


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "ItemCases", (1, 40), dict(aws_env(), NB_DDB_URL=ddb_e2e.server_url()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "ItemCases":
        sys.argv = sys.argv[:1]
        unittest.main(defaultTest="ItemCases", verbosity=2)
    unittest.main(verbosity=2)
