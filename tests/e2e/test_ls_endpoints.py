"""End-to-end: LocalStack's and moto's endpoints. /_localstack/health (per-service available, running,
disabled; ?reload), /_localstack/info, /_localstack/diagnose, state resets, LocalStack's SQS developer
endpoint /_aws/sqs/messages (messages without receiving them: no visibility change, no receive count),
and moto's POST /moto-api/reset and GET /moto-api/data.json."""
import json, os, sys, unittest, urllib.error, urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, temp_dir  # noqa: E402

NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


def request(url, method="GET", body=None, headers=None):
    """(status, headers, text) also for error statuses."""
    req = urllib.request.Request(url, data=body.encode() if isinstance(body, str) else body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def get_json(url, method="GET", **kw):
    status, _, text = request(url, method, **kw)
    return status, json.loads(text)


class Health(unittest.TestCase):
    def test_per_service_states_follow_the_services_life(self):
        with Nimbus(SERVICES="sqs,sts") as n:
            _, doc = get_json(n.url + "/_localstack/health")
            self.assertEqual(doc["services"]["sqs"], "available")
            self.assertEqual(doc["services"]["s3"], "disabled")
            self.assertEqual(doc["edition"], "community")
            boto3_client(n.url, "sqs").list_queues()
            _, doc = get_json(n.url + "/_localstack/health?reload")
            self.assertEqual(doc["services"]["sqs"], "running")
            self.assertEqual(doc["services"]["sts"], "available")

    def test_info_and_diagnose(self):
        data = temp_dir(self, "nimbus-diag-")
        with Nimbus(SERVICES="sqs", PERSISTENCE="1", DATA_DIR=data) as n:
            boto3_client(n.url, "sqs").create_queue(QueueName="diag")
            status, info = get_json(n.url + "/_localstack/info")
            self.assertEqual(status, 200)
            self.assertIs(info["persistence"], True)
            self.assertGreaterEqual(info["uptime"], 0)
            status, diag = get_json(n.url + "/_localstack/diagnose")
        self.assertEqual(status, 200)
        self.assertEqual(diag["version"]["nimbus"], info["version"])
        self.assertEqual(diag["config"]["SERVICES"], "sqs")
        self.assertEqual(diag["config"]["DATA_DIR"], data)
        self.assertEqual(diag["paths"]["data_dir"], data)
        self.assertEqual(diag["services"]["sqs"], "running")
        self.assertIn("sqs.db", diag["file-tree"][data])
        self.assertEqual(diag["state"]["sqs"]["queues"]["total"], 1)
        self.assertEqual(diag["init"]["completed"]["READY"], True)


class StateReset(unittest.TestCase):
    def test_reset_all_and_one_service(self):
        with Nimbus(SERVICES="sqs,s3") as n:
            sqs, s3 = boto3_client(n.url, "sqs"), boto3_client(n.url, "s3")
            sqs.create_queue(QueueName="q")
            s3.create_bucket(Bucket="bkt")
            status, doc = get_json(n.url + "/_localstack/state/sqs/reset", "POST")
            self.assertEqual((status, doc), (200, {"reset": ["sqs"]}))
            self.assertEqual(sqs.list_queues().get("QueueUrls", []), [])
            self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["bkt"], "only sqs was reset")
            status, doc = get_json(n.url + "/_localstack/state/reset", "POST")
            self.assertEqual(status, 200)
            self.assertEqual(sorted(doc["reset"]), ["s3", "sqs"])
            self.assertEqual(s3.list_buckets()["Buckets"], [])
            self.assertEqual(get_json(n.url + "/_localstack/state/nope/reset", "POST")[0], 404)


class SqsMessages(unittest.TestCase):
    def setUp(self):
        self.n = Nimbus(SERVICES="sqs").start()
        self.addCleanup(self.n.stop)
        self.sqs = boto3_client(self.n.url, "sqs")
        self.url = self.sqs.create_queue(QueueName="peek")["QueueUrl"]

    def peek_json(self, query=""):
        status, text = request(self.n.url + "/_aws/sqs/messages?QueueUrl=" + urllib.request.quote(self.url, "")
                               + query, headers={"Accept": "application/json"})[::2]
        self.assertEqual(status, 200, text)
        return json.loads(text)["ReceiveMessageResponse"]["ReceiveMessageResult"]["Message"]

    def test_peeking_changes_nothing(self):
        self.sqs.send_message(QueueUrl=self.url, MessageBody="one",
                              MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
        self.sqs.send_message(QueueUrl=self.url, MessageBody="two & <three>")
        for _ in range(2):  # twice: the first look left them as they were
            status, headers, text = request(self.n.url + "/_aws/sqs/messages?QueueUrl=" +
                                            urllib.request.quote(self.url, ""))
            self.assertEqual(status, 200, text)
            self.assertTrue(headers["Content-Type"].startswith("text/xml"))
            msgs = ET.fromstring(text).findall(f"{NS}ReceiveMessageResult/{NS}Message")
            self.assertEqual([m.find(f"{NS}Body").text for m in msgs], ["one", "two & <three>"])
            self.assertEqual({m.find(f"{NS}ReceiptHandle").text for m in msgs}, {"SQS/BACKDOOR/ACCESS"})
            attrs = {a.find(f"{NS}Name").text: a.find(f"{NS}Value").text for a in msgs[0].findall(f"{NS}Attribute")}
            self.assertEqual(attrs["ApproximateReceiveCount"], "0")
            self.assertEqual(attrs["SenderId"], "000000000000")
            self.assertEqual(msgs[0].find(f"{NS}MessageAttribute/{NS}Name").text, "k")
        got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
        self.assertEqual(sorted(m["Body"] for m in got), ["one", "two & <three>"], "still there to receive")
        self.assertEqual({m["Attributes"]["ApproximateReceiveCount"] for m in got}, {"1"})

    def test_in_flight_and_delayed_only_when_asked(self):
        self.sqs.send_message(QueueUrl=self.url, MessageBody="taken")
        self.sqs.receive_message(QueueUrl=self.url, VisibilityTimeout=60)
        self.sqs.send_message(QueueUrl=self.url, MessageBody="later", DelaySeconds=60)
        self.sqs.send_message(QueueUrl=self.url, MessageBody="ready")
        self.assertEqual([m["Body"] for m in self.peek_json()], ["ready"])
        invisible = self.peek_json("&ShowInvisible=true")
        self.assertEqual([m["Body"] for m in invisible], ["taken", "ready"])
        self.assertEqual([{a["Name"]: a["Value"] for a in m["Attribute"]}["IsVisible"] for m in invisible],
                         ["false", "true"])
        delayed = self.peek_json("&ShowDelayed=1")
        self.assertEqual([m["Body"] for m in delayed], ["later", "ready"])
        self.assertEqual([{a["Name"]: a["Value"] for a in m["Attribute"]}["IsDelayed"] for m in delayed],
                         ["true", "false"])

    def test_queue_named_in_the_path_and_errors(self):
        self.sqs.send_message(QueueUrl=self.url, MessageBody="by path")
        status, _, text = request(self.n.url + "/_aws/sqs/messages/us-east-1/000000000000/peek",
                                  headers={"Accept": "application/json"})
        self.assertEqual(status, 200, text)
        self.assertEqual([m["Body"] for m in json.loads(text)["ReceiveMessageResponse"]["ReceiveMessageResult"]
                          ["Message"]], ["by path"])
        status, _, text = request(self.n.url + "/_aws/sqs/messages/us-east-1/000000000000/absent")
        self.assertEqual(status, 400)
        self.assertEqual(ET.fromstring(text).find(f"{NS}Error/{NS}Code").text, "AWS.SimpleQueueService.NonExistentQueue")
        status, _, text = request(self.n.url + "/_aws/sqs/messages")
        self.assertEqual(status, 400, "no QueueUrl: no such queue, as LocalStack answers")

    def test_an_sdk_pointed_at_the_endpoint_peeks_with_receive_message(self):
        self.sqs.send_message(QueueUrl=self.url, MessageBody="sdk")
        dev = boto3_client(self.n.url + "/_aws/sqs/messages", "sqs")
        for _ in range(2):
            got = dev.receive_message(QueueUrl=self.url)["Messages"]
            self.assertEqual([(m["Body"], m["ReceiptHandle"]) for m in got], [("sdk", "SQS/BACKDOOR/ACCESS")])
        # the JSON protocol of current SDKs, whatever this boto3 speaks
        status, headers, text = request(self.n.url + "/_aws/sqs/messages", "POST", json.dumps({"QueueUrl": self.url}),
                                        {"Content-Type": "application/x-amz-json-1.0",
                                         "X-Amz-Target": "AmazonSQS.ReceiveMessage"})
        self.assertEqual(status, 200, text)
        self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.0")
        self.assertEqual([m["Body"] for m in json.loads(text)["Messages"]], ["sdk"])

    def test_the_endpoint_starts_the_service(self):
        with Nimbus(SERVICES="sqs") as fresh:
            status, _, text = request(fresh.url + "/_aws/sqs/messages/us-east-1/000000000000/none")
            self.assertEqual(status, 400, text)
            self.assertIn("NonExistentQueue", text)
            self.assertEqual(get_json(fresh.url + "/_localstack/health")[1]["services"]["sqs"], "running")


class MotoApi(unittest.TestCase):
    def test_reset_clears_every_service(self):
        with Nimbus(SERVICES="sqs,s3") as n:
            boto3_client(n.url, "sqs").create_queue(QueueName="q")
            boto3_client(n.url, "s3").create_bucket(Bucket="bkt")
            status, doc = get_json(n.url + "/moto-api/reset", "POST")
            self.assertEqual((status, doc), (200, {"status": "ok"}))
            self.assertEqual(boto3_client(n.url, "sqs").list_queues().get("QueueUrls", []), [])
            self.assertEqual(boto3_client(n.url, "s3").list_buckets()["Buckets"], [])
            self.assertEqual(get_json(n.url + "/moto-api/reset")[0], 404, "GET is not a reset")

    def test_data_json_dumps_the_rows_of_started_services(self):
        with Nimbus(SERVICES="sqs,s3,sts", NIMBUS_DEFAULT_ACCOUNT="123456789012") as n:
            sqs = boto3_client(n.url, "sqs")
            url = sqs.create_queue(QueueName="dumped")["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="payload")
            status, doc = get_json(n.url + "/moto-api/data.json")
            self.assertEqual(status, 200)
            self.assertEqual(set(doc), {"sqs"}, "s3 and sts were not started: nothing to dump")
            queues = doc["sqs"]["queues"]
            self.assertEqual([(q["name"], q["account"], q["region"]) for q in queues],
                             [("dumped", "123456789012", "us-east-1")])
            self.assertEqual([m["body"] for m in doc["sqs"]["messages"]], ["payload"])
            self.assertNotIn("_dedup", doc["sqs"], "the store's own tables are not models")
            get_json(n.url + "/moto-api/reset", "POST")
            _, doc = get_json(n.url + "/moto-api/data.json")
            self.assertEqual(doc["sqs"]["queues"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
