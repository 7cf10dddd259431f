"""End-to-end: the built server, driven over HTTP by real clients (AWS CLI, boto3)."""
import json, os, shutil, signal, subprocess, sys, tempfile, time, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, BINARY_DIR, NIMBUS_BIN, aws_clis, run_aws  # noqa: E402


def http(url, method="GET", headers=None, data=None):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


STS_HEADERS = {"Content-Type": "application/x-www-form-urlencoded",
               "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, "
                                "SignedHeaders=host, Signature=0"}


# an STS operation with no handler (new in 2025), as a signed query-protocol form
UNIMPLEMENTED_STS = b"Action=GetDelegatedAccessToken&Version=2011-06-15&TradeInToken=x"
STS_FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded",
                    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261124/us-east-1/sts/aws4_request, "
                                     "SignedHeaders=host, Signature=x"}

class Gateway(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.launched = time.time()
        cls.n = Nimbus().start()

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def test_health_lists_services_and_head_answers(self):
        status, headers, body = http(self.n.url + "/_localstack/health")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        self.assertEqual(doc["edition"], "community")
        self.assertTrue(doc["version"])
        status, headers, body = http(self.n.url + "/_localstack/health", method="HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")

    def test_health_says_available_until_the_first_request_then_running(self):
        with Nimbus() as n:  # its own server: the shared one's STS may have been called already
            _, _, body = http(n.url + "/_localstack/health")
            self.assertEqual(json.loads(body)["services"]["sts"], "available")
            status, _, body = http(n.url + "/", method="POST", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                                   headers=STS_HEADERS)
            self.assertEqual(status, 200, body)
            _, _, body = http(n.url + "/_localstack/health")
            self.assertEqual(json.loads(body)["services"]["sts"], "running")
        with Nimbus(EAGER_SERVICE_LOADING="1") as n:
            _, _, body = http(n.url + "/_localstack/health")
            self.assertEqual(json.loads(body)["services"]["sts"], "running")

    def test_info(self):
        status, _, body = http(self.n.url + "/_localstack/info")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        self.assertEqual(doc["edition"], "community")
        # seconds since this server started: no more than since the test launched it
        self.assertGreaterEqual(doc["uptime"], 0)
        self.assertLessEqual(doc["uptime"], time.time() - self.launched + 1)

    def test_cli_get_caller_identity_with_default_and_numeric_keys(self):
        for cli in aws_clis():
            r = run_aws(cli, self.n.url, "sts", "get-caller-identity")
            self.assertEqual(r.returncode, 0, f"{cli}: {r.stderr}")
            self.assertEqual(json.loads(r.stdout)["Account"], "000000000000")
            r = run_aws(cli, self.n.url, "sts", "get-caller-identity", access_key="123456789012")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["Account"], "123456789012")
            self.assertEqual(json.loads(r.stdout)["Arn"], "arn:aws:iam::123456789012:root")
        status, _, body = http(self.n.url + "/_localstack/health")
        self.assertEqual(json.loads(body)["services"]["sts"], "running")

    def test_unimplemented_operation_is_501_in_the_protocol_format(self):
        # STS's 2025 GetDelegatedAccessToken has no handler; only CLIs on botocore 1.43 know it
        knowing = [cli for cli in aws_clis() if run_aws(cli, self.n.url, "sts", "get-delegated-access-token",
                                                        "help").returncode == 0]
        for cli in knowing:
            r = run_aws(cli, self.n.url, "sts", "get-delegated-access-token", "--trade-in-token", "x")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("InternalFailure", r.stderr)
            self.assertIn("GetDelegatedAccessToken", r.stderr)
        # raw: query protocol error document with status 501
        status, headers, body = http(self.n.url + "/", method="POST", data=UNIMPLEMENTED_STS,
                                     headers=STS_FORM_HEADERS)
        self.assertEqual(status, 501)
        self.assertIn(b"<Code>InternalFailure</Code>", body)
        self.assertIn(b"'sts'", body)
        self.assertIn(b"GetDelegatedAccessToken", body)

    def test_boto3_debian(self):
        code = ("import boto3,json,sys\n"
                "c=boto3.client('sts',endpoint_url=sys.argv[1],region_name='eu-west-1',"
                "aws_access_key_id='test',aws_secret_access_key='test')\n"
                "print(json.dumps(c.get_caller_identity()['Account']))\n")
        r = subprocess.run(["/usr/bin/python3", "-c", code, self.n.url], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), "000000000000")

    def test_cors_preflight_and_cors_headers(self):
        status, headers, _ = http(self.n.url + "/", method="OPTIONS",
                                  headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT",
                                           "Access-Control-Request-Headers": "x-amz-date,content-type"})
        self.assertEqual(status, 204)
        h = {k.lower(): v for k, v in headers.items()}
        self.assertEqual(h["access-control-allow-origin"], "http://localhost:3000")
        self.assertIn("PUT", h["access-control-allow-methods"])
        self.assertEqual(h["access-control-allow-headers"], "x-amz-date,content-type")
        status, headers, _ = http(self.n.url + "/_localstack/health", headers={"Origin": "http://localhost:3000"})
        self.assertEqual({k.lower(): v for k, v in headers.items()}["access-control-allow-origin"], "http://localhost:3000")

    def test_malformed_call_to_an_unimplemented_operation_gets_the_protocol_error(self):
        """Parsing and validation come before the skeleton looks for a handler: a bad request gets
        DynamoDB's own 400; a good one to an operation without a handler (every DynamoDB operation has
        one now, so an STS one) gets 501."""
        def ddb(body, target="DescribeTable"):
            return http(self.n.url + "/", method="POST", data=body.encode(), headers={
                "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810." + target,
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, "
                                 "SignedHeaders=host, Signature=0"})
        status, headers, body = ddb("{}")
        self.assertEqual(status, 400)
        doc = json.loads(body)
        self.assertTrue(doc["__type"].endswith("ValidationException"), doc)
        self.assertEqual(doc["message"], "1 validation error detected: Value null at 'tableName' failed to satisfy "
                                         "constraint: Member must not be null")
        status, _, body = ddb('{"TableName": ')
        self.assertEqual(status, 400)
        self.assertTrue(json.loads(body)["__type"].endswith("SerializationException"), body)
        # the spec's length constraint (botocore 1.43: a TableArn, a name or an ARN, 1..1024)
        status, _, body = ddb('{"TableName": ""}')
        self.assertEqual(status, 400)
        self.assertIn("Member must have length greater than or equal to 1", json.loads(body)["message"])
        # a well-formed call to an operation without a handler (STS's GetDelegatedAccessToken)
        status, _, body = http(self.n.url + "/", method="POST", data=UNIMPLEMENTED_STS, headers=STS_FORM_HEADERS)
        self.assertEqual(status, 501, body)
        self.assertIn(b"<Code>InternalFailure</Code>", body)


class Lifecycle(unittest.TestCase):
    def test_log_lines_and_sigterm_exits_0(self):
        n = Nimbus().start()
        run_aws("/usr/bin/aws", n.url, "sts", "get-caller-identity")
        http(n.url + "/", method="POST", data=UNIMPLEMENTED_STS, headers=STS_FORM_HEADERS)
        http(n.url + "/_localstack/health")
        rc = n.stop(signal.SIGTERM)
        self.assertEqual(rc, 0, n.output)
        self.assertRegex(n.output, r"AWS sts\.GetCallerIdentity => 200 \(\d+\.\d+ ms\)")
        self.assertRegex(n.output, r"AWS sts\.GetDelegatedAccessToken => 501 \(InternalFailure\)")
        self.assertNotIn("health", n.output.split("Ready.")[1])

    def test_error_log_line_names_the_code_and_debug_adds_detail(self):
        n = Nimbus(DEBUG=1).start()
        r = run_aws("/usr/bin/aws", n.url, "sqs", "get-queue-url", "--queue-name", "nope")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(n.stop(signal.SIGTERM), 0, n.output)
        self.assertRegex(n.output, r"AWS sqs\.GetQueueUrl => 400 \((AWS\.SimpleQueueService\.NonExistentQueue|"
                                   r"QueueDoesNotExist)\) \(\d+\.\d+ ms\)")
        # DEBUG=1: the request's parameters and the error's message are logged too.
        self.assertIn("QueueName=nope", n.output)
        self.assertIn("The specified queue does not exist", n.output)

    def test_config_file_is_read_and_flags_beat_it(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "nimbus.conf")
            with open(cfg, "w") as f:
                f.write("SERVICES=s3\nDEBUG=0\n")
            with Nimbus(["--config", cfg]) as n:
                _, _, body = http(n.url + "/_localstack/health")
                self.assertEqual(json.loads(body)["services"]["sts"], "disabled")
            with Nimbus(["--config", cfg, "--services", "sts"]) as n:
                _, _, body = http(n.url + "/_localstack/health")
                self.assertEqual(json.loads(body)["services"]["sts"], "available")  # not called yet

    def test_service_whose_plugin_failed_to_load_answers_500_naming_why(self):
        so = os.path.join(BINARY_DIR, "test-plugins", "tp_kinesis_bad.so")
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(so, os.path.join(d, "streams.so"))
            with Nimbus(NIMBUS_PLUGIN_PATH=d) as n:
                _, _, body = http(n.url + "/_localstack/health")
                self.assertEqual(json.loads(body)["services"]["kinesis"], "error")
                r = run_aws("/usr/bin/aws", n.url, "kinesis", "list-streams")
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("Service 'kinesis' failed to start", r.stderr)
                self.assertIn("PourCoffee", r.stderr)

    def test_startup_removes_what_killed_servers_left_in_tmpdir(self):
        with tempfile.TemporaryDirectory() as d:
            dead = subprocess.Popen(["true"])
            dead.wait()  # its pid is free now
            left = [f"nimbus-body-{dead.pid}-Ab12Cd", f"nimbus-s3-{dead.pid}-Xy34Zw"]
            kept = [f"nimbus-body-{os.getpid()}-Ab12Cd", "nimbus-body-Qw12Er", "someone-else"]
            for name in left + kept:
                open(os.path.join(d, name), "w").close()
            os.remove(os.path.join(d, left[1]))
            os.makedirs(os.path.join(d, left[1], "b"))
            open(os.path.join(d, left[1], "b", "blob"), "w").close()
            with Nimbus(TMPDIR=d):
                self.assertEqual(sorted(os.listdir(d)), sorted(kept))

    def test_sigint_exits_0(self):
        n = Nimbus().start()
        self.assertEqual(n.stop(signal.SIGINT), 0, n.output)

    def test_services_setting_disables_others(self):
        with Nimbus(SERVICES="s3") as n:
            r = run_aws("/usr/bin/aws", n.url, "sts", "get-caller-identity")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("Service 'sts' is not enabled", r.stderr)
            _, _, body = http(n.url + "/_localstack/health")
            self.assertEqual(json.loads(body)["services"]["sts"], "disabled")

    def test_eager_loading_starts_services(self):
        with Nimbus(EAGER_SERVICE_LOADING=1) as n:
            _, _, body = http(n.url + "/_localstack/health")
            self.assertEqual(json.loads(body)["services"]["sts"], "running")

    def test_bad_setting_exits_2_naming_it(self):
        r = subprocess.run([NIMBUS_BIN], env=dict(os.environ, PERSISTENCE="maybe"), capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("PERSISTENCE", r.stderr)
        r = subprocess.run([NIMBUS_BIN, "--gateway-listen", "nope"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("GATEWAY_LISTEN", r.stderr)

    def test_help_lists_settings(self):
        r = subprocess.run([NIMBUS_BIN, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        for name in ("SERVICES", "GATEWAY_LISTEN", "PERSISTENCE", "DATA_DIR", "DEBUG", "LOCALSTACK_HOST",
                     "EAGER_SERVICE_LOADING"):
            self.assertIn(name, r.stdout)

    def test_dropped_in_plugin_answers_after_restart(self):
        so = os.path.join(BINARY_DIR, "test-plugins", "tp_kinesis.so")
        with tempfile.TemporaryDirectory() as d:
            with Nimbus(NIMBUS_PLUGIN_PATH=d) as n:
                r = run_aws("/usr/bin/aws", n.url, "kinesis", "list-streams")
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("InternalFailure", r.stderr)
            shutil.copy(so, d)
            with Nimbus(NIMBUS_PLUGIN_PATH=d) as n:
                r = run_aws("/usr/bin/aws", n.url, "kinesis", "list-streams")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(json.loads(r.stdout)["StreamNames"], ["dropped-in"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
