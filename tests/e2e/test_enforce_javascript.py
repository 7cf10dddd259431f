"""ENFORCE_IAM=1 with the JavaScript SDK v3 (tests/e2e/js/test_enforce.mjs): a user whose inline
policy allows sqs:SendMessage on one queue sends to it with @aws-sdk/client-sqs, is denied
ReceiveMessage with SQS's AccessDenied (403), is itself to GetCallerIdentity (@aws-sdk/client-sts),
and the same send signed with a wrong secret answers SignatureDoesNotMatch; only the allowed message
is in the queue afterwards."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from policy_docs import allow, client, doc  # noqa: E402
from nimbus_server import ServerTestCase  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SQS_DENIED = "Access to the resource https://sqs.us-east-1.amazonaws.com/ is denied."


class JavaScriptEnforced(ServerTestCase):
    server_env = {"ENFORCE_IAM": "1"}

    def test_allowed_denied_and_bad_signature(self):
        sqs = client(self.n.url, "sqs")
        queue = sqs.create_queue(QueueName="js-enforced")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        iam = client(self.n.url, "iam")
        user = iam.create_user(UserName="js-user")["User"]["Arn"]
        iam.put_user_policy(UserName="js-user", PolicyName="send", PolicyDocument=doc(allow("sqs:SendMessage", arn)))
        key = iam.create_access_key(UserName="js-user")["AccessKey"]

        r = run_node_script(os.path.join(HERE, "js"), "test_enforce.mjs", self.n.url, key["AccessKeyId"],
                            key["SecretAccessKey"], queue)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        got = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(got["identity"], {"ok": user})
        self.assertRegex(got["send"].get("ok") or "", r"^[0-9a-f-]{36}$", got["send"])
        self.assertEqual(got["receive"], {"error": "AccessDenied", "message": SQS_DENIED, "status": 403})
        self.assertEqual((got["badSecret"].get("error"), got["badSecret"].get("status")),
                         ("SignatureDoesNotMatch", 403), got["badSecret"])
        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])]
        self.assertEqual(bodies, ["from js"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
