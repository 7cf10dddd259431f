"""DynamoDB PartiQL end to end on the full parser: ExecuteStatement (SELECT as GetItem / Query of one or
more partitions / Scan, with filters, projections, Limit and NextToken; INSERT, UPDATE with RETURNING,
DELETE) and ExecuteTransaction (all-or-nothing, CancellationReasons, per-statement error prefixes), with the
errors a user meets. Debian's boto3 1.29 runs it; one pass reruns it with boto3 1.43 (python3 on PATH)."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ddb_e2e  # noqa: E402
from ddb_e2e import DdbTestCase  # noqa: E402
from nimbus_server import aws_env, rerun_with_newer_boto3  # noqa: E402

MALFORMED = "Statement wasn't well formed, can't be processed: "


def setUpModule():
    ddb_e2e.start()


def tearDownModule():
    ddb_e2e.stop()


class PartiqlCases(DdbTestCase):
    def run_all(self, statement, params=None, **kw):
        """Every page of a SELECT: (items, number of pages)."""
        items, pages, token = [], 0, None
        while True:
            args = dict(kw, Statement=statement)
            if params is not None:
                args["Parameters"] = params
            if token:
                args["NextToken"] = token
            r = self.ddb.execute_statement(**args)
            items += r["Items"]
            pages += 1
            token = r.get("NextToken")
            if not token:
                return items, pages

    def music(self):
        t = self.table("pq", "S", "N", extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [
                           {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
        for pk in ("a", "b", "c"):
            for sk in range(1, 6):
                self.ddb.put_item(TableName=t, Item={"pk": {"S": pk}, "sk": {"N": str(sk)}, "v": {"N": str(sk * 10)},
                                                     "g": {"S": "even" if sk % 2 == 0 else "odd"}})
        return t

    def test_select_get_query_scan(self):
        t = self.music()
        got = self.ddb.execute_statement(Statement='SELECT v FROM "%s" WHERE pk = ? AND sk = ?' % t,
                                         Parameters=[{"S": "b"}, {"N": "3"}])["Items"]
        self.assertEqual(got, [{"v": {"N": "30"}}])
        # one partition with a sort key range, in descending order
        items, _ = self.run_all('SELECT sk FROM "%s" WHERE pk = \'a\' AND sk BETWEEN 2 AND 4 ORDER BY sk DESC' % t)
        self.assertEqual([i["sk"]["N"] for i in items], ["4", "3", "2"])
        # an OR of partitions: each read as a Query, in the order written
        items, _ = self.run_all('SELECT pk, sk FROM "%s" WHERE pk = \'c\' AND sk > 4 OR pk = \'a\' AND sk < 2' % t)
        self.assertEqual([(i["pk"]["S"], i["sk"]["N"]) for i in items], [("c", "5"), ("a", "1")])
        items, _ = self.run_all('SELECT pk FROM "%s" WHERE pk IN [\'a\', \'b\'] AND v >= 40' % t)
        self.assertEqual(sorted(i["pk"]["S"] for i in items), ["a", "a", "b", "b"])
        # a scan with a filter on a non-key attribute
        items, _ = self.run_all('SELECT * FROM "%s" WHERE v = 50 OR begins_with(g, \'ev\') AND sk = 2' % t)
        self.assertEqual(sorted((i["pk"]["S"], i["sk"]["N"]) for i in items),
                         [("a", "2"), ("a", "5"), ("b", "2"), ("b", "5"), ("c", "2"), ("c", "5")])
        # an index
        items, _ = self.run_all('SELECT pk FROM "%s"."by-g" WHERE g = \'even\'' % t)
        self.assertEqual(len(items), 6)
        self.assertError("ValidationException", "The table does not have the specified index",
                         self.ddb.execute_statement, Statement='SELECT * FROM "%s"."nope" WHERE g = \'x\'' % t)

    def test_paging_with_limit_and_next_token(self):
        t = self.music()
        items, pages = self.run_all('SELECT pk, sk FROM "%s"' % t, Limit=4)
        self.assertEqual(pages, 4)  # 15 items, 4 a page
        self.assertEqual(len({(i["pk"]["S"], i["sk"]["N"]) for i in items}), 15)
        items, pages = self.run_all('SELECT sk FROM "%s" WHERE pk = \'b\'' % t, Limit=2)
        self.assertEqual(([i["sk"]["N"] for i in items], pages), (["1", "2", "3", "4", "5"], 3))
        first = self.ddb.execute_statement(Statement='SELECT sk FROM "%s" WHERE pk = \'b\'' % t, Limit=2)
        self.assertEqual(len(first["Items"]), 2)
        self.assertIn("NextToken", first)

    def test_insert_update_delete(self):
        t = self.table("pqw", "S", "N")
        self.ddb.execute_statement(Statement="INSERT INTO \"%s\" VALUE {'pk': ?, 'sk': 1, 'n': 5, 'tags': <<'x'>>}" % t,
                                   Parameters=[{"S": "k"}])
        self.assertError("DuplicateItemException", "Duplicate primary key exists in table",
                         self.ddb.execute_statement, Statement="INSERT INTO \"%s\" VALUE {'pk': 'k', 'sk': 1}" % t)
        r = self.ddb.execute_statement(Statement='UPDATE "%s" SET n = n + 2 SET m = \'new\' REMOVE tags '
                                       'WHERE pk = \'k\' AND sk = 1 RETURNING ALL NEW *' % t)
        self.assertEqual(r["Items"], [{"pk": {"S": "k"}, "sk": {"N": "1"}, "n": {"N": "7"}, "m": {"S": "new"}}])
        r = self.ddb.execute_statement(Statement='UPDATE "%s" SET n = 100 WHERE pk = \'k\' AND sk = 1 '
                                       'RETURNING MODIFIED OLD *' % t)
        self.assertEqual(r["Items"], [{"n": {"N": "7"}}])
        # the rest of the WHERE is a condition on the item
        self.assertError("ConditionalCheckFailedException", "The conditional request failed",
                         self.ddb.execute_statement,
                         Statement='UPDATE "%s" SET n = 1 WHERE pk = \'k\' AND sk = 1 AND n < 50' % t)
        self.assertError("ConditionalCheckFailedException", "The conditional request failed",
                         self.ddb.execute_statement, Statement='UPDATE "%s" SET n = 1 WHERE pk = \'no\' AND sk = 1' % t)
        status, code, message, _ = self.error(self.ddb.execute_statement,
                                              Statement='UPDATE "%s" SET sk = 2 WHERE pk = \'k\' AND sk = 1' % t)
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertIn("Cannot update attribute sk. This attribute is part of the key", message)
        self.assertEqual(self.ddb.get_item(TableName=t, Key={"pk": {"S": "k"}, "sk": {"N": "1"}})["Item"]["n"],
                         {"N": "100"})
        self.assertError("ConditionalCheckFailedException", "The conditional request failed",
                         self.ddb.execute_statement, Statement='DELETE FROM "%s" WHERE pk = \'k\' AND sk = 1 AND n = 1' % t)
        r = self.ddb.execute_statement(Statement='DELETE FROM "%s" WHERE pk = \'k\' AND sk = 1 RETURNING ALL OLD *' % t)
        self.assertEqual(r["Items"][0]["n"], {"N": "100"})
        self.assertNotIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "k"}, "sk": {"N": "1"}}))
        self.assertEqual(self.ddb.execute_statement(Statement='DELETE FROM "%s" WHERE pk = \'k\' AND sk = 1' % t)
                         ["Items"], [])  # nothing there: not an error
        self.assertEqual(self.ddb.describe_table(TableName=t)["Table"]["ItemCount"], 0)

    def test_errors_a_user_meets(self):
        t = self.table("pqe", "S", "N")
        status, code, message, _ = self.error(self.ddb.execute_statement, Statement='SELEC * FROM "%s"' % t)
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertTrue(message.startswith(MALFORMED), message)
        self.assertError("ValidationException", "Where clause does not contain a mandatory equality on all key "
                         "attributes", self.ddb.execute_statement, Statement='UPDATE "%s" SET a = 1 WHERE pk = \'k\'' % t)
        self.assertError("ValidationException", "Number of parameters in request and statement don't match.",
                         self.ddb.execute_statement, Statement='SELECT * FROM "%s" WHERE pk = ? AND sk = ?' % t,
                         Parameters=[{"S": "k"}])
        self.assertError("ValidationException", "Key attribute's data type should match its data type in table's "
                         "schema", self.ddb.execute_statement, Statement='SELECT * FROM "%s" WHERE pk = 1 AND sk = 1' % t)
        self.assertError("ResourceNotFoundException", "Requested resource not found",
                         self.ddb.execute_statement, Statement='SELECT * FROM "nope-%s"' % t)

    def test_transaction_commits_and_rolls_back(self):
        t = self.table("pqt", "S")
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "c"}, "n": {"N": "3"}})
        self.ddb.execute_transaction(TransactStatements=[
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'b', 'n': 2}" % t},
            {"Statement": 'UPDATE "%s" SET n = n + ? WHERE pk = \'a\'' % t, "Parameters": [{"N": "10"}]}])
        r = self.ddb.execute_transaction(TransactStatements=[
            {"Statement": 'SELECT n FROM "%s" WHERE pk = \'a\'' % t},
            {"Statement": 'SELECT * FROM "%s" WHERE pk = \'b\'' % t},
            {"Statement": 'SELECT * FROM "%s" WHERE pk = \'zz\'' % t}])
        self.assertEqual(r["Responses"], [{"Item": {"n": {"N": "11"}}}, {"Item": {"pk": {"S": "b"}, "n": {"N": "2"}}},
                                          {}])
        # a duplicate insert and a failed EXISTS cancel the whole transaction: the delete is undone
        status, code, message, resp = self.error(self.ddb.execute_transaction, TransactStatements=[
            {"Statement": 'DELETE FROM "%s" WHERE pk = \'a\'' % t},
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'b'}" % t},
            {"Statement": 'EXISTS(SELECT * FROM "%s" WHERE pk = \'c\' AND n = 99)' % t}])
        self.assertEqual((status, code), (400, "TransactionCanceledException"))
        self.assertIn("[None, DuplicateItem, ConditionalCheckFailed]", message)
        self.assertEqual([x["Code"] for x in resp["CancellationReasons"]],
                         ["None", "DuplicateItem", "ConditionalCheckFailed"])
        self.assertIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "a"}}))
        # the same EXISTS holding lets the transaction through
        self.ddb.execute_transaction(TransactStatements=[
            {"Statement": 'DELETE FROM "%s" WHERE pk = \'b\'' % t},
            {"Statement": 'EXISTS(SELECT * FROM "%s" WHERE pk = \'c\' AND n = 3)' % t}])
        self.assertNotIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "b"}}))
        status, code, _, resp = self.error(self.ddb.execute_transaction, TransactStatements=[
            {"Statement": 'UPDATE "%s" SET n = 0 WHERE pk = \'missing\'' % t}])
        self.assertEqual([x["Code"] for x in resp["CancellationReasons"]], ["ConditionalCheckFailed"])
        self.assertError("ValidationException", "Validation failed in TransactStatements[1]: Select statements within "
                         "ExecuteTransaction must specify the primary key in the where clause.",
                         self.ddb.execute_transaction, TransactStatements=[
                             {"Statement": 'SELECT * FROM "%s" WHERE pk = \'a\'' % t},
                             {"Statement": 'SELECT * FROM "%s" WHERE n = 1' % t}])
        status, code, message, _ = self.error(self.ddb.execute_transaction, TransactStatements=[
            {"Statement": 'DELETE FROM "%s" WHERE pk = \'a\'' % t}, {"Statement": "INSERT INTO"}])
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertTrue(message.startswith("Validation failed in TransactStatements[1]: " + MALFORMED), message)
        self.assertIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "a"}}))

    def test_batch_execute_statement_mixed_results(self):
        t = self.table("pqb", "S")
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        r = self.ddb.batch_execute_statement(Statements=[
            {"Statement": 'SELECT n FROM "%s" WHERE pk = ?' % t, "Parameters": [{"S": "a"}]},
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'a'}" % t},
            {"Statement": "INSERT INTO \"%s\" VALUE {'pk': 'b', 'n': 2}" % t},
            {"Statement": 'UPDATE "%s" SET n = 5 WHERE pk = \'a\' AND n = 9' % t},
            {"Statement": 'SELECT * FROM "%s" WHERE n = 1' % t},
            {"Statement": 'SELEC * FROM "%s"' % t},
            {"Statement": 'SELECT * FROM "nope-%s" WHERE pk = \'a\'' % t},
            {"Statement": 'DELETE FROM "%s" WHERE pk = \'a\'' % t}])["Responses"]
        self.assertEqual(r[0], {"TableName": t, "Item": {"n": {"N": "1"}}})
        self.assertEqual(r[1]["Error"], {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"})
        self.assertNotIn("Error", r[2])
        self.assertEqual(r[3]["Error"], {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"})
        self.assertEqual(r[4]["Error"], {"Code": "ValidationError", "Message": "Select statements within "
                         "BatchExecuteStatement must specify the primary key in the where clause."})
        self.assertEqual(r[5]["Error"]["Code"], "ValidationError")
        self.assertTrue(r[5]["Error"]["Message"].startswith(MALFORMED), r[5])
        self.assertEqual(r[6]["Error"], {"Code": "ResourceNotFound", "Message": "Requested resource not found"})
        self.assertNotIn("Error", r[7])
        self.assertEqual(len(r), 8)
        self.assertEqual(self.ddb.get_item(TableName=t, Key={"pk": {"S": "b"}})["Item"]["n"], {"N": "2"})
        self.assertNotIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "a"}}))
        status, code, message, _ = self.error(self.ddb.batch_execute_statement, Statements=[
            {"Statement": 'SELECT * FROM "%s" WHERE pk = \'a\'' % t}] * 26)
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertIn("Member must have length less than or equal to 25", message)


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "PartiqlCases", (1, 40), dict(aws_env(), NB_DDB_URL=ddb_e2e.server_url()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "PartiqlCases":
        sys.argv = sys.argv[:1]
        unittest.main(defaultTest="PartiqlCases", verbosity=2)
    unittest.main(verbosity=2)
