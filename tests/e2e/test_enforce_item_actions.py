"""ENFORCE_IAM=1 authorizes DynamoDB's PartiQL statements and transaction items one by one, as AWS
does: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction need dynamodb:PartiQLSelect /
PartiQLInsert / PartiQLUpdate / PartiQLDelete on each statement's table (its index's ARN for a
SELECT on an index), TransactWriteItems needs PutItem / UpdateItem / DeleteItem /
ConditionCheckItem on each item's table; a denial is DynamoDB's AccessDeniedException (400) naming
the statement's or item's action and table, and a transaction with a denied item writes nothing.
BatchExecuteStatement reports a denied statement as its own AccessDenied error in Responses (the
others run). KMS's ReEncrypt needs kms:ReEncryptTo on the destination key besides
kms:ReEncryptFrom on the source key."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import EnforcingServer, allow, client, doc, user  # noqa: E402

ACCOUNT = "000000000000"
KEY = [{"AttributeName": "k", "KeyType": "HASH"}]
ATTRS = [{"AttributeName": "k", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}]
GSI = [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}]

_shared = EnforcingServer("NB_ITEMS_URL")
tearDownModule = _shared.stop


def arn(name):
    return f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}"


def reason(user_name, action, resource):
    return (f"User: arn:aws:iam::{ACCOUNT}:user/{user_name} is not authorized to perform: {action} on resource: "
            f"{resource} because no identity-based policy allows the {action} action")


class Denials(unittest.TestCase):
    def denied(self, call, **kw):
        with self.assertRaises(ClientError) as cm:
            call(**kw)
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]),
                         ("AccessDeniedException", 400), err)
        return err["Error"]["Message"]


class PartiQL(Denials):
    @classmethod
    def setUpClass(cls):
        url = _shared.url()
        cls.root = client(url, "dynamodb")
        for t in ("pq-a", "pq-b"):
            cls.root.create_table(TableName=t, KeySchema=KEY, AttributeDefinitions=ATTRS,
                                  GlobalSecondaryIndexes=GSI, BillingMode="PAY_PER_REQUEST")
            cls.root.put_item(TableName=t, Item={"k": {"S": "1"}, "g": {"S": "x"}})
        cls.reader = client(url, "dynamodb", *user(url, "pq-reader", doc(
            allow("dynamodb:PartiQLSelect", arn("pq-a")))))

    def test_select_allowed_on_its_table(self):
        got = self.reader.execute_statement(Statement="SELECT * FROM \"pq-a\" WHERE k = '1'")
        self.assertEqual(got["Items"], [{"k": {"S": "1"}, "g": {"S": "x"}}])

    def test_insert_denied(self):
        msg = self.denied(self.reader.execute_statement, Statement="INSERT INTO \"pq-a\" VALUE {'k': '2', 'g': 'y'}")
        self.assertEqual(msg, reason("pq-reader", "dynamodb:PartiQLInsert", arn("pq-a")))
        self.assertNotIn("Item", self.root.get_item(TableName="pq-a", Key={"k": {"S": "2"}}))

    def test_select_denied_on_another_table(self):
        msg = self.denied(self.reader.execute_statement, Statement="SELECT * FROM \"pq-b\" WHERE k = '1'")
        self.assertEqual(msg, reason("pq-reader", "dynamodb:PartiQLSelect", arn("pq-b")))

    def test_select_on_index_is_authorized_on_the_index(self):
        msg = self.denied(self.reader.execute_statement, Statement="SELECT * FROM \"pq-a\".\"by-g\" WHERE g = 'x'")
        self.assertEqual(msg, reason("pq-reader", "dynamodb:PartiQLSelect", arn("pq-a") + "/index/by-g"))

    def test_transaction_denied_on_a_statement(self):
        msg = self.denied(self.reader.execute_transaction, TransactStatements=[
            {"Statement": "UPDATE \"pq-a\" SET v = 'z' WHERE k = '1'"}])
        self.assertEqual(msg, reason("pq-reader", "dynamodb:PartiQLUpdate", arn("pq-a")))
        self.assertNotIn("v", self.root.get_item(TableName="pq-a", Key={"k": {"S": "1"}})["Item"])

    def test_batch_reports_denied_statement_in_responses(self):
        got = self.reader.batch_execute_statement(Statements=[
            {"Statement": "SELECT * FROM \"pq-a\" WHERE k = '1'"},
            {"Statement": "DELETE FROM \"pq-a\" WHERE k = '1'"}])["Responses"]
        self.assertEqual(got[0]["Item"], {"k": {"S": "1"}, "g": {"S": "x"}})
        self.assertEqual(got[1]["Error"]["Code"], "AccessDenied", got)
        self.assertEqual(got[1]["Error"]["Message"], reason("pq-reader", "dynamodb:PartiQLDelete", arn("pq-a")))
        self.assertIn("Item", self.root.get_item(TableName="pq-a", Key={"k": {"S": "1"}}))


class TransactWriteItems(Denials):
    @classmethod
    def setUpClass(cls):
        url = _shared.url()
        cls.root = client(url, "dynamodb")
        cls.root.create_table(TableName="tx-a", KeySchema=KEY, AttributeDefinitions=ATTRS[:1],
                              BillingMode="PAY_PER_REQUEST")
        cls.writer = client(url, "dynamodb", *user(url, "tx-writer", doc(
            allow(["dynamodb:PutItem", "dynamodb:UpdateItem"], arn("tx-a")))))

    def get(self, k):
        return self.root.get_item(TableName="tx-a", Key={"k": {"S": k}}).get("Item")

    def test_put_and_update_allowed(self):
        self.root.put_item(TableName="tx-a", Item={"k": {"S": "u1"}})
        self.writer.transact_write_items(TransactItems=[
            {"Put": {"TableName": "tx-a", "Item": {"k": {"S": "p1"}}}},
            {"Update": {"TableName": "tx-a", "Key": {"k": {"S": "u1"}}, "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "new"}}}}])
        self.assertEqual(self.get("p1"), {"k": {"S": "p1"}})
        self.assertEqual(self.get("u1"), {"k": {"S": "u1"}, "v": {"S": "new"}})

    def test_delete_denied_and_nothing_written(self):
        self.root.put_item(TableName="tx-a", Item={"k": {"S": "d1"}})
        msg = self.denied(self.writer.transact_write_items, TransactItems=[
            {"Put": {"TableName": "tx-a", "Item": {"k": {"S": "p2"}}}},
            {"Delete": {"TableName": "tx-a", "Key": {"k": {"S": "d1"}}}}])
        self.assertEqual(msg, reason("tx-writer", "dynamodb:DeleteItem", arn("tx-a")))
        self.assertIsNone(self.get("p2"))
        self.assertEqual(self.get("d1"), {"k": {"S": "d1"}})

    def test_condition_check_needs_its_action(self):
        msg = self.denied(self.writer.transact_write_items, TransactItems=[
            {"ConditionCheck": {"TableName": "tx-a", "Key": {"k": {"S": "none"}},
                                "ConditionExpression": "attribute_not_exists(k)"}},
            {"Put": {"TableName": "tx-a", "Item": {"k": {"S": "p3"}}}}])
        self.assertEqual(msg, reason("tx-writer", "dynamodb:ConditionCheckItem", arn("tx-a")))
        self.assertIsNone(self.get("p3"))


class ReEncrypt(Denials):
    @classmethod
    def setUpClass(cls):
        url = _shared.url()
        root = client(url, "kms")
        cls.src = root.create_key()["KeyMetadata"]["Arn"]
        cls.dst = root.create_key()["KeyMetadata"]["Arn"]
        cls.blob = root.encrypt(KeyId=cls.src, Plaintext=b"secret")["CiphertextBlob"]
        both = allow(["kms:ReEncryptFrom", "kms:ReEncryptTo"], [cls.src, cls.dst])
        cls.full = client(url, "kms", *user(url, "re-full", doc(both)))
        cls.from_only = client(url, "kms", *user(url, "re-from", doc(allow("kms:ReEncryptFrom", cls.src))))

    def test_allowed_with_both_actions(self):
        got = self.full.re_encrypt(CiphertextBlob=self.blob, DestinationKeyId=self.dst)
        self.assertEqual((got["SourceKeyId"], got["KeyId"]), (self.src, self.dst))

    def test_denied_without_reencrypt_to(self):
        msg = self.denied(self.from_only.re_encrypt, CiphertextBlob=self.blob, DestinationKeyId=self.dst)
        self.assertEqual(msg, reason("re-from", "kms:ReEncryptTo", self.dst))


if __name__ == "__main__":
    unittest.main()
