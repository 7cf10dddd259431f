"""DynamoDB tables end to end: CreateTable/DescribeTable/UpdateTable/DeleteTable/ListTables,
indexes, tags, TTL, continuous backups, limits and endpoints, with AWS's errors; boto3 1.29
(Debian's) here and the newer boto3 on PATH through NewerClient, plus the AWS CLI."""
import json, os, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ddb_e2e  # noqa: E402
from ddb_e2e import DdbTestCase, name  # noqa: E402
from nimbus_server import aws_clis, aws_env, rerun_with_newer_boto3, run_aws  # noqa: E402

S = {"AttributeName": "pk", "AttributeType": "S"}
HASH = {"AttributeName": "pk", "KeyType": "HASH"}


def setUpModule():
    ddb_e2e.start()


def tearDownModule():
    ddb_e2e.stop()


class TableCases(DdbTestCase):
    def test_create_describe_shape(self):
        t = self.table("shape", "S", "N", Tags=[{"Key": "team", "Value": "a"}],
                       extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g",
                                                                                      "KeyType": "HASH"}],
                                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
                       LocalSecondaryIndexes=[{"IndexName": "by-g-local",
                                               "KeySchema": [HASH, {"AttributeName": "g", "KeyType": "RANGE"}],
                                               "Projection": {"ProjectionType": "INCLUDE",
                                                              "NonKeyAttributes": ["x"]}}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                       SSESpecification={"Enabled": True}, TableClass="STANDARD_INFREQUENT_ACCESS")
        d = self.ddb.describe_table(TableName=t)["Table"]
        self.assertEqual(d["TableStatus"], "ACTIVE")
        self.assertEqual(d["TableArn"], "arn:aws:dynamodb:us-east-1:000000000000:table/" + t)
        self.assertEqual((d["ItemCount"], d["TableSizeBytes"]), (0, 0))
        self.assertEqual(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(d["ProvisionedThroughput"]["ReadCapacityUnits"], 0)
        gsi = d["GlobalSecondaryIndexes"][0]
        self.assertEqual((gsi["IndexName"], gsi["IndexStatus"], gsi["ItemCount"]), ("by-g", "ACTIVE", 0))
        self.assertEqual(gsi["IndexArn"], d["TableArn"] + "/index/by-g")
        self.assertEqual(d["LocalSecondaryIndexes"][0]["Projection"]["NonKeyAttributes"], ["x"])
        self.assertTrue(d["LatestStreamArn"].startswith(d["TableArn"] + "/stream/"))
        self.assertEqual(d["SSEDescription"]["Status"], "ENABLED")
        self.assertEqual(d["TableClassSummary"]["TableClass"], "STANDARD_INFREQUENT_ACCESS")
        self.assertIs(d.get("DeletionProtectionEnabled", False), False)
        self.assertNotIn("_Tags", d)
        self.assertEqual(len(d["TableId"]), 36)

    def test_waiter_table_exists(self):
        t = self.table("waiter")
        self.ddb.get_waiter("table_exists").wait(TableName=t, WaiterConfig={"Delay": 1, "MaxAttempts": 2})

    def test_provisioned_throughput(self):
        t = name("prov")
        self.ddb.create_table(TableName=t, AttributeDefinitions=[S], KeySchema=[HASH],
                              ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})
        self.addCleanup(self._drop, t)
        pt = self.ddb.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]
        self.assertEqual((pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]), (5, 7))
        u = self.ddb.update_table(TableName=t, BillingMode="PAY_PER_REQUEST")["TableDescription"]
        self.assertEqual(u["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")

    def test_errors(self):
        t = self.table("errs")
        self.assertError("ResourceInUseException", "Table already exists: " + t, self.ddb.create_table, TableName=t,
                         AttributeDefinitions=[S], KeySchema=[HASH], BillingMode="PAY_PER_REQUEST")
        missing = name("missing")
        self.assertError("ResourceNotFoundException", "Requested resource not found: Table: %s not found" % missing,
                         self.ddb.describe_table, TableName=missing)
        self.assertError("ResourceNotFoundException", "Requested resource not found: Table: %s not found" % missing,
                         self.ddb.delete_table, TableName=missing)
        self.assertError("ValidationException",
                         "1 validation error detected: Value 'bad!name' at 'tableName' failed to satisfy constraint: "
                         "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                         self.ddb.create_table, TableName="bad!name", AttributeDefinitions=[S], KeySchema=[HASH],
                         BillingMode="PAY_PER_REQUEST")
        self.assertError("ValidationException",
                         "One or more parameter values were invalid: Some index key attributes are not defined in "
                         "AttributeDefinitions. Keys: [id], AttributeDefinitions: [pk]",
                         self.ddb.create_table, TableName=name("undef"), AttributeDefinitions=[S],
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        self.assertError("ValidationException",
                         "One or more parameter values were invalid: Number of attributes in KeySchema does not "
                         "exactly match number of attributes defined in AttributeDefinitions",
                         self.ddb.create_table, TableName=name("extra"),
                         AttributeDefinitions=[S, {"AttributeName": "x", "AttributeType": "S"}], KeySchema=[HASH],
                         BillingMode="PAY_PER_REQUEST")
        self.assertError("ValidationException",
                         "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must "
                         "both be specified when BillingMode is PROVISIONED",
                         self.ddb.create_table, TableName=name("noprov"), AttributeDefinitions=[S], KeySchema=[HASH])
        self.assertError("ValidationException",
                         "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits "
                         "can be specified when BillingMode is PAY_PER_REQUEST",
                         self.ddb.create_table, TableName=name("both"), AttributeDefinitions=[S], KeySchema=[HASH],
                         BillingMode="PAY_PER_REQUEST",
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})

    def test_deletion_protection(self):
        if "DeletionProtectionEnabled" not in self.ddb.meta.service_model.operation_model("CreateTable").input_shape.members:
            self.skipTest("boto3 %s has no DeletionProtectionEnabled: NewerClient runs it" % ddb_e2e.boto3.__version__)
        t = self.table("protected", DeletionProtectionEnabled=True)
        self.assertError("ResourceInUseException", "Resource cannot be deleted as it is currently protected against "
                         "deletion. Disable deletion protection first.", self.ddb.delete_table, TableName=t)
        self.ddb.update_table(TableName=t, DeletionProtectionEnabled=False)
        self.assertEqual(self.ddb.delete_table(TableName=t)["TableDescription"]["TableStatus"], "DELETING")
        self.assertError("ResourceNotFoundException", "Requested resource not found: Table: %s not found" % t,
                         self.ddb.describe_table, TableName=t)

    def test_list_tables_paging(self):
        made = sorted(self.table("page%d" % i) for i in range(3))
        seen, start = [], None
        while True:
            kw = {"Limit": 1}
            if start:
                kw["ExclusiveStartTableName"] = start
            r = self.ddb.list_tables(**kw)
            self.assertLessEqual(len(r["TableNames"]), 1)
            seen += r["TableNames"]
            start = r.get("LastEvaluatedTableName")
            if not start:
                break
        self.assertEqual([t for t in seen if t in made], made)
        self.assertEqual(seen, sorted(seen))

    def test_regions_are_apart(self):
        t = self.table("regional")
        other = ddb_e2e.client(region="eu-west-1")
        self.assertNotIn(t, other.list_tables()["TableNames"])
        self.assertIn(t, self.ddb.list_tables()["TableNames"])

    def test_gsi_create_backfills_and_delete(self):
        t = self.table("gsiupd")
        for i in range(3):
            self.ddb.put_item(TableName=t, Item={"pk": {"S": "k%d" % i}, "g": {"S": "v"}})
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "nog"}})
        d = self.ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                                  GlobalSecondaryIndexUpdates=[{"Create": {
                                      "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                      "Projection": {"ProjectionType": "ALL"}}}])["TableDescription"]
        self.assertEqual(d["GlobalSecondaryIndexes"][0]["ItemCount"], 3)
        r = self.ddb.query(TableName=t, IndexName="by-g", KeyConditionExpression="g = :v",
                           ExpressionAttributeValues={":v": {"S": "v"}})
        self.assertEqual(sorted(i["pk"]["S"] for i in r["Items"]), ["k0", "k1", "k2"])
        d = self.ddb.update_table(TableName=t, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
        self.assertNotIn("GlobalSecondaryIndexes", d["TableDescription"])
        self.assertError("ValidationException", "The table does not have the specified index: by-g", self.ddb.query,
                         TableName=t, IndexName="by-g", KeyConditionExpression="g = :v",
                         ExpressionAttributeValues={":v": {"S": "v"}})

    def test_tags(self):
        t = self.table("tags", Tags=[{"Key": "a", "Value": "1"}])
        arn = self.ddb.describe_table(TableName=t)["Table"]["TableArn"]
        self.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
        tags = {x["Key"]: x["Value"] for x in self.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
        self.assertEqual(tags, {"a": "3", "b": "2"})
        self.ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
        self.assertEqual(self.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"], [{"Key": "b", "Value": "2"}])
        gone = arn + "-gone"
        self.assertError("ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found" % gone,
                         self.ddb.list_tags_of_resource, ResourceArn=gone)

    def test_time_to_live_settings(self):
        t = self.table("ttlset")
        self.assertEqual(self.ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "DISABLED"})
        spec = {"Enabled": True, "AttributeName": "exp"}
        self.assertEqual(self.ddb.update_time_to_live(TableName=t, TimeToLiveSpecification=spec)
                         ["TimeToLiveSpecification"], spec)
        self.assertEqual(self.ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"})
        self.assertError("ValidationException", "TimeToLive is already enabled", self.ddb.update_time_to_live,
                         TableName=t, TimeToLiveSpecification=spec)

    def test_continuous_backups(self):
        t = self.table("pitr")
        d = self.ddb.describe_continuous_backups(TableName=t)["ContinuousBackupsDescription"]
        self.assertEqual(d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "DISABLED")
        d = self.ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})["ContinuousBackupsDescription"]
        self.assertEqual(d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "ENABLED")
        self.assertIn("EarliestRestorableDateTime", d["PointInTimeRecoveryDescription"])
        self.assertError("TableNotFoundException", "Table not found: " + name("nopitr"),
                         self.ddb.describe_continuous_backups, TableName=name("nopitr"))

    def test_limits_and_endpoints(self):
        r = self.ddb.describe_limits()
        self.assertEqual((r["AccountMaxReadCapacityUnits"], r["TableMaxWriteCapacityUnits"]), (80000, 40000))
        e = self.ddb.describe_endpoints()["Endpoints"]
        self.assertEqual(e, [{"Address": "dynamodb.us-east-1.amazonaws.com", "CachePeriodInMinutes": 1440}])


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "TableCases", (1, 40), dict(aws_env(), NB_DDB_URL=ddb_e2e.server_url()))

    def test_aws_cli(self):
        for cli in aws_clis():
            t = "cli-%d" % (len(cli) * 7 + os.getpid() % 1000)
            r = run_aws(cli, ddb_e2e.server_url(), "dynamodb", "create-table", "--table-name", t,
                        "--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema",
                        "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["TableDescription"]["TableName"], t)
            r = run_aws(cli, ddb_e2e.server_url(), "dynamodb", "put-item", "--table-name", t, "--item",
                        '{"id": {"S": "a"}, "n": {"N": "1.50"}}')
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run_aws(cli, ddb_e2e.server_url(), "dynamodb", "get-item", "--table-name", t, "--key",
                        '{"id": {"S": "a"}}')
            self.assertEqual(json.loads(r.stdout)["Item"], {"id": {"S": "a"}, "n": {"N": "1.5"}})
            r = run_aws(cli, ddb_e2e.server_url(), "dynamodb", "describe-table", "--table-name", t + "x")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("ResourceNotFoundException", r.stderr)
            r = run_aws(cli, ddb_e2e.server_url(), "dynamodb", "delete-table", "--table-name", t)
            self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "TableCases":
        sys.argv = sys.argv[:1]
        unittest.main(defaultTest="TableCases", verbosity=2)
    unittest.main(verbosity=2)
