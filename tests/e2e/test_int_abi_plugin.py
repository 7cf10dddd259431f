"""End-to-end: a plugin built as the ABI 1.0-1.5 headers built it, its handlers returning int
(tests/unit/plugins/tp_int_abi.c), still loads and answers as before now that handlers return
nb_result_t: 0 is a reply or an error, 1 answers later (nb_finish), 2 is 501, < 0 is a 500."""
import http.client, json, os, shutil, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, Nimbus  # noqa: E402

SO = os.path.join(BINARY_DIR, "test-plugins", "tp_int_abi.so")


class IntAbiPlugin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        shutil.copy(SO, cls.dir.name)
        cls.server = Nimbus(NIMBUS_PLUGIN_PATH=cls.dir.name, SERVICES="kinesis")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.dir.cleanup()

    def call(self, op, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request("POST", "/", json.dumps(body).encode(), {
                "X-Amz-Target": "Kinesis_20131202." + op, "Content-Type": "application/x-amz-json-1.1",
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, "
                                 "SignedHeaders=host, Signature=0"})
            r = conn.getresponse()
            data = r.read()
        finally:
            conn.close()
        return r.status, json.loads(data) if data else {}

    def error_code(self, out):
        return out.get("__type", "").split("#")[-1]

    def test_zero_with_a_reply_answers_it(self):
        status, out = self.call("ListStreams", {})
        self.assertEqual(status, 200, out)
        self.assertEqual(out["StreamNames"], ["int-abi"])

    def test_zero_with_an_error_answers_the_error(self):
        status, out = self.call("DescribeStream", {"StreamName": "nope"})
        self.assertEqual(status, 400, out)
        self.assertEqual(self.error_code(out), "ResourceNotFoundException")
        self.assertIn("nope", out.get("message", out.get("Message", "")))

    def test_one_answers_later(self):
        status, out = self.call("ListStreamConsumers",
                                {"StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s"})
        self.assertEqual(status, 200, out)
        self.assertEqual(out["Consumers"], [])

    def test_two_is_not_implemented(self):
        status, out = self.call("DeleteStream", {"StreamName": "s"})
        self.assertEqual(status, 501, out)

    def test_negative_is_an_internal_failure(self):
        status, out = self.call("CreateStream", {"StreamName": "s", "ShardCount": 1})
        self.assertEqual(status, 500, out)
        self.assertEqual(self.error_code(out), "InternalFailure")


if __name__ == "__main__":
    unittest.main(verbosity=2)
