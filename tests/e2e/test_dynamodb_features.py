"""DynamoDB features answered from state: on-demand backups and restores (items and index rows
come back), point-in-time restore, resource policies, Kinesis streaming destinations and
contributor insights, with AWS's errors. boto3 1.43 (the python3 on PATH) sends the newer
operations; Debian's 1.29 runs what it knows."""
import gzip, json, os, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ddb_e2e  # noqa: E402
from ddb_e2e import DdbTestCase, name  # noqa: E402
from nimbus_server import aws_env, rerun_with_newer_boto3  # noqa: E402


def setUpModule():
    ddb_e2e.start()


def tearDownModule():
    ddb_e2e.stop()


class FeatureCases(DdbTestCase):
    def has_op(self, op):
        return op in self.ddb.meta.service_model.operation_names

    def test_backup_and_restore(self):
        t = self.table("bk", "S", "N", extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g",
                                                                                      "KeyType": "HASH"}],
                                                "Projection": {"ProjectionType": "ALL"}}])
        for i in range(5):
            self.ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": "G"}})
        b = self.ddb.create_backup(TableName=t, BackupName="first")["BackupDetails"]
        self.assertEqual((b["BackupName"], b["BackupStatus"], b["BackupType"]), ("first", "AVAILABLE", "USER"))
        self.assertTrue(b["BackupArn"].startswith(self.ddb.describe_table(TableName=t)["Table"]["TableArn"] +
                                                  "/backup/"))
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": "99"}})  # after the backup
        d = self.ddb.describe_backup(BackupArn=b["BackupArn"])["BackupDescription"]
        self.assertEqual((d["SourceTableDetails"]["TableName"], d["SourceTableDetails"]["ItemCount"]), (t, 5))
        arns = [s["BackupArn"] for s in self.ddb.list_backups(TableName=t)["BackupSummaries"]]
        self.assertEqual(arns, [b["BackupArn"]])
        target = name("bk-restored")
        r = self.ddb.restore_table_from_backup(TargetTableName=target, BackupArn=b["BackupArn"])["TableDescription"]
        self.addCleanup(self._drop, target)
        self.assertEqual((r["TableName"], r["ItemCount"]), (target, 5))
        self.assertEqual(r["RestoreSummary"]["SourceBackupArn"], b["BackupArn"])
        q = self.ddb.query(TableName=target, IndexName="by-g", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "G"}})
        self.assertEqual(q["Count"], 5)
        self.assertError("TableAlreadyExistsException", "Table already exists: " + target,
                         self.ddb.restore_table_from_backup, TargetTableName=target, BackupArn=b["BackupArn"])
        self.assertEqual(self.ddb.delete_backup(BackupArn=b["BackupArn"])["BackupDescription"]["BackupDetails"]
                         ["BackupStatus"], "DELETED")
        self.assertError("BackupNotFoundException", "Backup not found: " + b["BackupArn"], self.ddb.describe_backup,
                         BackupArn=b["BackupArn"])

    def test_point_in_time_restore(self):
        t = self.table("pit")
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}})
        target = name("pit-restored")
        self.assertError("PointInTimeRecoveryUnavailableException",
                         "Point in time recovery is not enabled for table '%s'" % t,
                         self.ddb.restore_table_to_point_in_time, SourceTableName=t, TargetTableName=target,
                         UseLatestRestorableTime=True)
        self.ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        r = self.ddb.restore_table_to_point_in_time(SourceTableName=t, TargetTableName=target,
                                                    UseLatestRestorableTime=True)["TableDescription"]
        self.addCleanup(self._drop, target)
        self.assertEqual(r["ItemCount"], 1)
        self.assertEqual(self.ddb.get_item(TableName=target, Key={"pk": {"S": "a"}})["Item"], {"pk": {"S": "a"}})

    def test_resource_policy(self):
        if not self.has_op("PutResourcePolicy"):
            self.skipTest("boto3 %s has no PutResourcePolicy: test_newer_boto3 runs it" % ddb_e2e.boto3.__version__)
        t = self.table("policy")
        arn = self.ddb.describe_table(TableName=t)["Table"]["TableArn"]
        self.assertError("PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "
                         + arn, self.ddb.get_resource_policy, ResourceArn=arn)
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                                     "Action": "dynamodb:GetItem", "Resource": arn}]})
        rev = self.ddb.put_resource_policy(ResourceArn=arn, Policy=policy)["RevisionId"]
        got = self.ddb.get_resource_policy(ResourceArn=arn)
        self.assertEqual((got["Policy"], got["RevisionId"]), (policy, rev))
        self.assertEqual(self.ddb.delete_resource_policy(ResourceArn=arn)["RevisionId"], rev)

    def test_kinesis_destination(self):
        t = self.table("kin")
        stream = "arn:aws:kinesis:us-east-1:000000000000:stream/s"
        r = self.ddb.enable_kinesis_streaming_destination(TableName=t, StreamArn=stream)
        self.assertEqual(r["DestinationStatus"], "ACTIVE")
        d = self.ddb.describe_kinesis_streaming_destination(TableName=t)["KinesisDataStreamDestinations"]
        self.assertEqual([(x["StreamArn"], x["DestinationStatus"]) for x in d], [(stream, "ACTIVE")])
        self.assertEqual(self.ddb.disable_kinesis_streaming_destination(TableName=t, StreamArn=stream)
                         ["DestinationStatus"], "DISABLED")
        status, code, _, _ = self.error(self.ddb.disable_kinesis_streaming_destination, TableName=t, StreamArn=stream)
        self.assertEqual((status, code), (400, "ValidationException"))

    def test_contributor_insights(self):
        t = self.table("ci")
        d = self.ddb.describe_contributor_insights(TableName=t)
        self.assertEqual(d["ContributorInsightsStatus"], "DISABLED")
        u = self.ddb.update_contributor_insights(TableName=t, ContributorInsightsAction="ENABLE")
        self.assertEqual(u["ContributorInsightsStatus"], "ENABLED")
        self.assertEqual(self.ddb.describe_contributor_insights(TableName=t)["ContributorInsightsStatus"], "ENABLED")
        s = self.ddb.list_contributor_insights(TableName=t)["ContributorInsightsSummaries"]
        self.assertEqual([(x["TableName"], x["ContributorInsightsStatus"]) for x in s], [(t, "ENABLED")])

    def test_global_tables_recorded(self):
        t = self.table("glob")
        west = ddb_e2e.client(region="us-west-2")
        west.create_table(TableName=t, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        self.addCleanup(west.delete_table, TableName=t)
        self.assertError("TableNotFoundException", "Table not found: %s in region eu-west-1" % t,
                         self.ddb.create_global_table, GlobalTableName=t,
                         ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])
        d = self.ddb.create_global_table(GlobalTableName=t, ReplicationGroup=[{"RegionName": "us-east-1"}])
        d = d["GlobalTableDescription"]
        self.assertEqual((d["GlobalTableStatus"], d["GlobalTableArn"]),
                         ("ACTIVE", "arn:aws:dynamodb::000000000000:global-table/" + t))
        self.assertError("GlobalTableAlreadyExistsException", "Global table with this name already exists",
                         self.ddb.create_global_table, GlobalTableName=t, ReplicationGroup=[{"RegionName": "us-east-1"}])
        u = self.ddb.update_global_table(GlobalTableName=t, ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}])
        self.assertEqual(sorted(r["RegionName"] for r in u["GlobalTableDescription"]["ReplicationGroup"]),
                         ["us-east-1", "us-west-2"])
        names = [g["GlobalTableName"] for g in self.ddb.list_global_tables(RegionName="us-west-2")["GlobalTables"]]
        self.assertIn(t, names)
        s = self.ddb.describe_global_table_settings(GlobalTableName=t)["ReplicaSettings"]
        self.assertEqual(len(s), 2)
        self.assertError("GlobalTableNotFoundException", "Global table not found", self.ddb.describe_global_table,
                         GlobalTableName=name("noglob"))
        r = self.ddb.describe_table_replica_auto_scaling(TableName=t)["TableAutoScalingDescription"]
        self.assertEqual((r["TableName"], r["TableStatus"]), (t, "ACTIVE"))

    def wait_job(self, kind, arn):
        """The description of an export or import ("Export", "Import") once it left IN_PROGRESS."""
        deadline = time.time() + 10
        while time.time() < deadline:
            if kind == "Export":
                d = self.ddb.describe_export(ExportArn=arn)["ExportDescription"]
            else:
                d = self.ddb.describe_import(ImportArn=arn)["ImportTableDescription"]
            if d[kind + "Status"] != "IN_PROGRESS":
                return d
            time.sleep(0.1)
        self.fail("%s still IN_PROGRESS" % kind)

    def wait_export(self, arn):
        return self.wait_job("Export", arn)

    def test_export_to_s3(self):
        t = self.table("exp")
        arn = self.ddb.describe_table(TableName=t)["Table"]["TableArn"]
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "b": {"B": b"\x00\x01"}, "n": {"N": "2"}})
        self.ddb.put_item(TableName=t, Item={"pk": {"S": "b"}})
        self.assertError("PointInTimeRecoveryUnavailableException",
                         "Point in time recovery is not enabled for table '%s'" % t,
                         self.ddb.export_table_to_point_in_time, TableArn=arn, S3Bucket="x")
        self.ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        s3 = ddb_e2e.boto3.client("s3", endpoint_url=ddb_e2e.server_url(), region_name="us-east-1",
                                  aws_access_key_id="test", aws_secret_access_key="test")
        bucket = name("exports").lower().replace("_", "-")
        s3.create_bucket(Bucket=bucket)
        e = self.ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="p")["ExportDescription"]
        self.assertEqual((e["ExportStatus"], e["ExportFormat"], e["ItemCount"]), ("IN_PROGRESS", "DYNAMODB_JSON", 2))
        d = self.wait_export(e["ExportArn"])
        self.assertEqual(d["ExportStatus"], "COMPLETED", d)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="p/AWSDynamoDB/")["Contents"]]
        data = [k for k in keys if k.endswith(".json.gz")]
        self.assertEqual(len(data), 1, keys)
        self.assertIn(d["ExportManifest"], keys)
        lines = gzip.decompress(s3.get_object(Bucket=bucket, Key=data[0])["Body"].read()).decode().splitlines()
        items = sorted((json.loads(x)["Item"] for x in lines), key=lambda i: i["pk"]["S"])
        self.assertEqual(items, [{"pk": {"S": "a"}, "b": {"B": "AAE="}, "n": {"N": "2"}}, {"pk": {"S": "b"}}])
        self.assertIn(e["ExportArn"], [x["ExportArn"] for x in self.ddb.list_exports(TableArn=arn)["ExportSummaries"]])
        # a missing bucket fails the export, as AWS records it
        e = self.ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket + "-none")["ExportDescription"]
        d = self.wait_export(e["ExportArn"])
        self.assertEqual((d["ExportStatus"], d["FailureCode"]), ("FAILED", "S3NoSuchBucket"))
        status, code, _, _ = self.error(self.ddb.describe_export, ExportArn=arn + "/export/none")
        self.assertEqual((status, code), (400, "ExportNotFoundException"))
        # the export imported into a new table: the same items come back, binary values as bytes
        s3.put_object(Bucket=bucket, Key="bad/x.json", Body=b'{"Item": {"pk": {"S": "c"}}}\nnot json\n')
        target = name("imported")
        i = self.ddb.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": data[0]},
                                  InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
                                  TableCreationParameters={"TableName": target, "BillingMode": "PAY_PER_REQUEST",
                                                           "AttributeDefinitions": [{"AttributeName": "pk",
                                                                                     "AttributeType": "S"}],
                                                           "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
        self.addCleanup(self._drop, target)
        i = i["ImportTableDescription"]
        self.assertEqual(i["ImportStatus"], "IN_PROGRESS")
        d = self.wait_job("Import", i["ImportArn"])
        self.assertEqual((d["ImportStatus"], d["ImportedItemCount"], d["ErrorCount"]), ("COMPLETED", 2, 0), d)
        self.assertEqual(self.ddb.get_item(TableName=target, Key={"pk": {"S": "a"}})["Item"]["b"], {"B": b"\x00\x01"})
        target2 = name("imported-bad")
        i = self.ddb.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "bad/"},
                                  InputFormat="DYNAMODB_JSON",
                                  TableCreationParameters={"TableName": target2,
                                                           "AttributeDefinitions": [{"AttributeName": "pk",
                                                                                     "AttributeType": "S"}],
                                                           "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                                           "BillingMode": "PAY_PER_REQUEST"})["ImportTableDescription"]
        self.addCleanup(self._drop, target2)
        d = self.wait_job("Import", i["ImportArn"])
        self.assertEqual((d["ImportStatus"], d["ImportedItemCount"], d["ErrorCount"]), ("COMPLETED", 1, 1), d)
        arns = [x["ImportArn"] for x in self.ddb.list_imports()["ImportSummaryList"]]
        self.assertIn(i["ImportArn"], arns)

    def test_partiql_execute_statement(self):
        t = self.table("pql", "S", "N")
        q = '"%s"' % t
        self.ddb.execute_statement(Statement="INSERT INTO %s VALUE {'pk': 'a', 'sk': 1, 'tags': <<'x', 'y'>>, "
                                             "'m': {'n': [1, 'two', true, null]}}" % q)
        self.ddb.execute_statement(Statement="INSERT INTO %s VALUE {'pk': ?, 'sk': ?}" % q,
                                   Parameters=[{"S": "a"}, {"N": "2"}])
        self.assertError("DuplicateItemException", "Duplicate primary key exists in table",
                         self.ddb.execute_statement, Statement="INSERT INTO %s VALUE {'pk': 'a', 'sk': 1}" % q)
        r = self.ddb.execute_statement(Statement="SELECT * FROM %s WHERE pk = 'a' AND sk = 1" % q)
        self.assertEqual(r["Items"], [{"pk": {"S": "a"}, "sk": {"N": "1"}, "tags": {"SS": ["x", "y"]},
                                       "m": {"M": {"n": {"L": [{"N": "1"}, {"S": "two"}, {"BOOL": True},
                                                               {"NULL": True}]}}}}])
        self.ddb.execute_statement(Statement="UPDATE %s SET v = 'new' REMOVE tags WHERE pk = 'a' AND sk = 1" % q)
        r = self.ddb.execute_statement(Statement="SELECT pk, v FROM %s WHERE pk = ?" % q, Parameters=[{"S": "a"}])
        self.assertEqual(r["Items"], [{"pk": {"S": "a"}, "v": {"S": "new"}}, {"pk": {"S": "a"}}])
        self.assertError("ConditionalCheckFailedException", "The conditional request failed",
                         self.ddb.execute_statement, Statement="UPDATE %s SET v = 1 WHERE pk = 'zz' AND sk = 1" % q)
        self.ddb.execute_statement(Statement="DELETE FROM %s WHERE pk = 'a' AND sk = 2" % q)
        r = self.ddb.execute_statement(Statement="SELECT * FROM %s WHERE v = 'new'" % q)  # a scan with a filter
        self.assertEqual([i["sk"]["N"] for i in r["Items"]], ["1"])
        # a transaction of writes, then one of reads; a failed condition cancels all of it
        self.ddb.execute_transaction(TransactStatements=[
            {"Statement": "INSERT INTO %s VALUE {'pk': 't', 'sk': 1}" % q},
            {"Statement": "UPDATE %s SET v = ? WHERE pk = 'a' AND sk = 1" % q, "Parameters": [{"S": "tx"}]}])
        r = self.ddb.execute_transaction(TransactStatements=[
            {"Statement": "SELECT * FROM %s WHERE pk = 't' AND sk = 1" % q},
            {"Statement": "SELECT v FROM %s WHERE pk = 'a' AND sk = 1" % q}])
        self.assertEqual(r["Responses"], [{"Item": {"pk": {"S": "t"}, "sk": {"N": "1"}}}, {"Item": {"v": {"S": "tx"}}}])
        status, code, message, _ = self.error(self.ddb.execute_transaction, TransactStatements=[
            {"Statement": "DELETE FROM %s WHERE pk = 'a' AND sk = 1" % q},
            {"Statement": "INSERT INTO %s VALUE {'pk': 't', 'sk': 1}" % q}])
        self.assertEqual((status, code), (400, "TransactionCanceledException"))
        self.assertIn("Item", self.ddb.get_item(TableName=t, Key={"pk": {"S": "a"}, "sk": {"N": "1"}}))
        status, code, message, _ = self.error(self.ddb.execute_statement, Statement="SELEC * FROM %s" % q)
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertTrue(message.startswith("Statement wasn't well formed, can't be processed"), message)


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "FeatureCases", (1, 40),
                               dict(aws_env(), NB_DDB_URL=ddb_e2e.server_url()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "FeatureCases":
        sys.argv = sys.argv[:1]
        unittest.main(defaultTest="FeatureCases", verbosity=2)
    unittest.main(verbosity=2)
