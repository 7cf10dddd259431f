"""End-to-end: a service Nimbus ships no plugin for (every botocore service is in specs/botocore),
or one SERVICES leaves out, answers 501 in its own protocol, which real clients parse: Debian's
boto3 (botocore 1.29), the newest boto3 here (1.43), the AWS CLIs and the JS SDK (v2). One service per protocol:
EC2 (ec2), CloudFormation (query), CloudWatch (smithy-rpc-v2-cbor for 1.43, query for 1.29), ECS (json),
API Gateway (rest-json), Route 53 (rest-xml)."""
import json, os, subprocess, sys, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, ServerTestCase, aws_clis, newest_boto3_python, run_aws  # noqa: E402
from npm_ci import npm_ci  # noqa: E402

# The AWS SDK for JavaScript: v2 (tests/e2e/js-aws-sdk, every client; the v3 lock here holds SQS's
# client only). (client class, method, the operation)
JS_CALLS = [("EC2", "describeInstances", "DescribeInstances", "ec2"),
            ("CloudFormation", "listStacks", "ListStacks", "cloudformation"),
            ("CloudWatch", "listMetrics", "ListMetrics", "cloudwatch"), ("ECS", "listClusters", "ListClusters", "ecs"),
            ("APIGateway", "getRestApis", "GetRestApis", "apigateway"),
            ("Route53", "listHostedZones", "ListHostedZones", "route53")]
JS_CLIENT = r"""
const AWS = require("aws-sdk");
const [url, calls] = [process.argv[1], JSON.parse(process.argv[2])];  // node -e: no script path
(async () => {
  const out = [];
  for (const [cls, method] of calls) {
    const c = new AWS[cls]({endpoint: url, region: "us-east-1", maxRetries: 0,
                            credentials: {accessKeyId: "test", secretAccessKey: "test"}});
    try { await c[method]({}).promise(); out.push({ok: true}); }
    catch (e) { out.push({code: e.code, message: e.message, status: e.statusCode}); }
  }
  console.log(JSON.stringify(out));
})();
"""

NEW_PYTHON = newest_boto3_python()  # boto3 1.43 (pyenv)

# (client name, method, kwargs, operation, service folder, the CLI's command)
CALLS = [
    ("ec2", "describe_instances", {}, "DescribeInstances", "ec2", ["ec2", "describe-instances"]),
    ("cloudformation", "list_stacks", {}, "ListStacks", "cloudformation", ["cloudformation", "list-stacks"]),
    ("cloudwatch", "list_metrics", {}, "ListMetrics", "cloudwatch", ["cloudwatch", "list-metrics"]),
    ("ecs", "list_clusters", {}, "ListClusters", "ecs", ["ecs", "list-clusters"]),
    ("apigateway", "get_rest_apis", {}, "GetRestApis", "apigateway", ["apigateway", "get-rest-apis"]),
    ("route53", "list_hosted_zones", {}, "ListHostedZones", "route53", ["route53", "list-hosted-zones"]),
]

# Calls each (client, method) and prints what the client reports: code, message, status, and the
# protocol botocore used (so a test can tell 1.43's cbor from 1.29's query).
CLIENT = r"""
import boto3, botocore, json, sys
from botocore.config import Config
url, calls = sys.argv[1], json.loads(sys.argv[2])
out = []
for name, method, kwargs in calls:
    c = boto3.client(name, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                     aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
    try:
        getattr(c, method)(**kwargs)
        out.append({"name": name, "ok": True})
    except botocore.exceptions.ClientError as e:
        out.append({"name": name, "code": e.response["Error"].get("Code"),
                    "message": e.response["Error"].get("Message"),
                    "status": e.response["ResponseMetadata"].get("HTTPStatusCode"),
                    "protocol": c.meta.service_model.protocol, "botocore": botocore.__version__})
print(json.dumps(out))
"""


def run_boto3(python, url, calls):
    r = subprocess.run([python, "-c", CLIENT, url, json.dumps([[c[0], c[1], c[2]] for c in calls])],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"{python}: {r.stderr[-2000:]}")
    return json.loads(r.stdout)


class UnshippedServices(ServerTestCase):
    def check_boto3(self, python):
        got = run_boto3(python, self.n.url, CALLS)
        protocols = set()
        for (name, _, _, op, folder, _), answer in zip(CALLS, got):
            with self.subTest(python=python, service=name):
                self.assertNotIn("ok", answer, answer)
                self.assertEqual(answer["status"], 501, answer)
                self.assertEqual(answer["code"], "InternalFailure", answer)
                self.assertEqual(answer["message"], f"The API action '{op}' for service '{folder}' is not implemented yet")
                protocols.add(answer["protocol"])
        return protocols, got[0]["botocore"]

    def test_debian_boto3_parses_the_501_of_each_protocol(self):
        protocols, version = self.check_boto3("/usr/bin/python3")
        self.assertTrue(version.startswith("1.29"), version)
        self.assertEqual(protocols, {"ec2", "query", "json", "rest-json", "rest-xml"})

    def test_new_boto3_parses_the_501_of_each_protocol(self):
        if not NEW_PYTHON:
            self.skipTest("no python3 with a boto3 newer than Debian's on PATH")
        protocols, version = self.check_boto3(NEW_PYTHON)
        self.assertTrue(version.startswith("1.43"), version)
        self.assertIn("smithy-rpc-v2-cbor", protocols)  # CloudWatch speaks cbor there

    def test_aws_cli_reports_the_501(self):
        clis = aws_clis()
        self.assertTrue(clis, "no AWS CLI installed")
        for cli in clis:
            for _, _, _, op, folder, args in CALLS:
                with self.subTest(cli=cli, op=op):
                    r = run_aws(cli, self.n.url, *args)
                    self.assertNotEqual(r.returncode, 0)
                    self.assertIn(f"An error occurred (InternalFailure) when calling the {op} operation: "
                                  f"The API action '{op}' for service '{folder}' is not implemented yet", r.stderr)

    def test_js_sdk_parses_the_501_of_each_protocol(self):
        folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js-aws-sdk")
        npm_ci(folder)
        r = subprocess.run(["node", "-e", JS_CLIENT, self.n.url, json.dumps([[c[0], c[1]] for c in JS_CALLS])],
                           cwd=folder, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        for (cls, _, op, folder_name), answer in zip(JS_CALLS, json.loads(r.stdout)):
            with self.subTest(client=cls):
                self.assertEqual(answer, {"code": "InternalFailure", "status": 501,
                                          "message": f"The API action '{op}' for service '{folder_name}' is not "
                                                     "implemented yet"})

    def test_a_service_left_out_of_services_answers_not_enabled(self):
        with Nimbus(SERVICES="sqs") as n:
            # a shipped service (sts: query) and a catalogue one (ecs: json), both left out
            got = run_boto3("/usr/bin/python3", n.url, [("sts", "get_caller_identity", {}), ("ecs", "list_clusters", {})])
            for name, answer in zip(("sts", "ecs"), got):
                self.assertEqual(answer["status"], 501, answer)
                self.assertEqual(answer["code"], "InternalFailure", answer)
                self.assertEqual(answer["message"],
                                 f"Service '{name}' is not enabled. Please check your 'SERVICES' configuration variable.")

    def test_a_request_for_no_service_keeps_its_answer(self):
        req = urllib.request.Request(self.n.url + "/", method="POST", data=b"hello",
                                     headers={"Content-Type": "text/plain"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 400)
        self.assertEqual(json.loads(cm.exception.read())["__type"], "UnknownServiceException")


if __name__ == "__main__":
    unittest.main()
