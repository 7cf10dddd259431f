"""GetItem answered as JSON text written from the stored item (nb_reply_json_text, ABI 1.11):
every AttributeValue type comes back as it was put (binary values in base64, strings with
quotes, backslashes, control characters and non-ASCII escaped as JSON wants), the body is one
JSON object whose x-amz-crc32 and Content-Type are right, and the answers that still go through
the value tree (a projection, ConsumedCapacity, a missing item) keep their shape."""
import json, os, sys, unittest, urllib.request, zlib

sys.path.insert(0, os.path.dirname(__file__))
import ddb_e2e  # noqa: E402
from ddb_e2e import DdbTestCase  # noqa: E402

ITEM = {
    "pk": {"S": "k\"ey\\ \u00e9\u4e2d\U0001F600"},
    "plain": {"S": "hello"},
    "escaped": {"S": "quote\" backslash\\ nl\n cr\r tab\t bell\x07 us\x1f del\x7f slash/"},
    "empty": {"S": ""},
    "num": {"N": "-12345678901234567890.0123456789"},
    "bin": {"B": bytes(range(256))},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "nothing": {"NULL": True},
    "ss": {"SS": ["a", "b\"", "\u00fc"]},
    "ns": {"NS": ["1", "2.5", "-3"]},
    "bs": {"BS": [b"\x00\xff", b"xyz"]},
    "list": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}, {"M": {}}, {"B": b"\x01"}, {"NULL": True}]},
    "map": {"M": {"inner \"q\"": {"M": {"deep": {"SS": ["z"]}}}, "e": {"L": [{"BOOL": False}]}}},
}


def setUpModule():
    ddb_e2e.start()


def tearDownModule():
    ddb_e2e.stop()


class GetItemText(DdbTestCase):
    def test_every_type_comes_back_as_put(self):
        t = self.table("gt-types")
        self.ddb.put_item(TableName=t, Item=ITEM)
        got = self.ddb.get_item(TableName=t, Key={"pk": ITEM["pk"]})["Item"]
        # botocore checked the x-amz-crc32 header against the body on the way
        self.assertEqual(got, ITEM)

    def test_raw_body_is_one_json_object_with_its_crc32(self):
        t = self.table("gt-raw")
        self.ddb.put_item(TableName=t, Item=ITEM)
        body = json.dumps({"TableName": t, "Key": {"pk": ITEM["pk"]}}).encode()
        req = urllib.request.Request(ddb_e2e.server_url() + "/", data=body, method="POST", headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, "
                             "SignedHeaders=host, Signature=00"})
        with urllib.request.urlopen(req) as r:
            raw = r.read()
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["Content-Type"], "application/x-amz-json-1.0")
            self.assertEqual(int(r.headers["x-amz-crc32"]), zlib.crc32(raw))
            self.assertTrue(r.headers["x-amzn-RequestId"])
        doc = json.loads(raw)
        self.assertEqual(list(doc), ["Item"])
        self.assertEqual(doc["Item"]["escaped"]["S"], ITEM["escaped"]["S"])
        self.assertEqual(doc["Item"]["bin"]["B"], "".join(
            __import__("base64").b64encode(bytes(range(256))).decode()))
        self.assertEqual(doc["Item"]["pk"]["S"], ITEM["pk"]["S"])

    def test_projection_consumed_capacity_and_missing_item(self):
        t = self.table("gt-other", "S", "N")
        item = {"pk": {"S": "p"}, "sk": {"N": "1"}, "a": {"S": "A"}, "b": {"B": b"\xff"}}
        self.ddb.put_item(TableName=t, Item=item)
        key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
        r = self.ddb.get_item(TableName=t, Key=key, ProjectionExpression="b")
        self.assertEqual(r["Item"], {"b": {"B": b"\xff"}})
        r = self.ddb.get_item(TableName=t, Key=key, ReturnConsumedCapacity="TOTAL")
        self.assertEqual((r["Item"], r["ConsumedCapacity"]), (item, {"TableName": t, "CapacityUnits": 0.5}))
        r = self.ddb.get_item(TableName=t, Key={"pk": {"S": "p"}, "sk": {"N": "2"}})
        self.assertNotIn("Item", r)
        status, code, _, _ = self.error(self.ddb.get_item, TableName=t, Key={"pk": {"S": "p"}})
        self.assertEqual((status, code), (400, "ValidationException"))


if __name__ == "__main__":
    unittest.main()
