"""End-to-end: LocalStack's settings as a LocalStack user sees them. SQS_ENDPOINT_STRATEGY shapes queue
URLs (standard, domain, path, off) and every shape works back as a QueueUrl; LS_LOG levels (debug logs
the exchanges as DEBUG=1 does, warn/error drop the line per request); LOCALSTACK_VOLUME_DIR keeps
state in its state/ folder; DEFAULT_REGION is the region of requests that name none; the default
account is configurable (NIMBUS_DEFAULT_ACCOUNT, moto's MOTO_ACCOUNT_ID); bad values stop the server."""
import os, subprocess, sys, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import NIMBUS_BIN, Nimbus, boto3_client, server_env, temp_dir  # noqa: E402


def post_form(url, body):
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def start_error(**env):
    return subprocess.run([NIMBUS_BIN], env=server_env(**{"GATEWAY_LISTEN": "127.0.0.1:0", **env}),
                          capture_output=True, text=True, timeout=30)


class QueueUrlStrategy(unittest.TestCase):
    def round_trip(self, strategy, region="eu-west-2"):
        """The queue URL a strategy gives, after sending to it and receiving from it by that URL."""
        with Nimbus(SERVICES="sqs", SQS_ENDPOINT_STRATEGY=strategy) as n:
            sqs = boto3_client(n.url, "sqs", region=region)
            url = sqs.create_queue(QueueName="shaped")["QueueUrl"]
            self.assertEqual(sqs.get_queue_url(QueueName="shaped")["QueueUrl"], url)
            sqs.send_message(QueueUrl=url, MessageBody="via " + strategy)
            got = sqs.receive_message(QueueUrl=url)["Messages"]
            self.assertEqual([m["Body"] for m in got], ["via " + strategy])
            self.assertEqual(sqs.list_queues()["QueueUrls"], [url])
            return url, n.port

    def test_standard_is_the_default_shape(self):
        url, port = self.round_trip("standard")
        self.assertEqual(url, f"http://sqs.eu-west-2.localhost.localstack.cloud:{port}/000000000000/shaped")

    def test_domain(self):
        url, port = self.round_trip("domain")
        self.assertEqual(url, f"http://eu-west-2.queue.localhost.localstack.cloud:{port}/000000000000/shaped")
        url, port = self.round_trip("domain", region="us-east-1")
        self.assertEqual(url, f"http://queue.localhost.localstack.cloud:{port}/000000000000/shaped")

    def test_path_uses_the_host_the_client_reached(self):
        url, port = self.round_trip("path")
        self.assertEqual(url, f"http://127.0.0.1:{port}/queue/eu-west-2/000000000000/shaped")

    def test_off_uses_the_host_the_client_reached(self):
        url, port = self.round_trip("off")
        self.assertEqual(url, f"http://127.0.0.1:{port}/000000000000/shaped")

    def test_unknown_strategy_fails_the_service_naming_the_setting(self):
        with Nimbus(SERVICES="sqs", SQS_ENDPOINT_STRATEGY="sideways", EAGER_SERVICE_LOADING="1") as n:
            with urllib.request.urlopen(n.url + "/_localstack/health", timeout=10) as r:
                self.assertIn('"sqs":"error"', r.read().decode())
        self.assertIn("SQS_ENDPOINT_STRATEGY: invalid value 'sideways': expected standard, domain, path or off",
                      n.output)


class Logging(unittest.TestCase):
    def test_ls_log_error_drops_the_request_lines(self):
        with Nimbus(SERVICES="sts", LS_LOG="error") as n:
            boto3_client(n.url, "sts").get_caller_identity()
        self.assertNotIn("sts.GetCallerIdentity", n.output)
        with Nimbus(SERVICES="sts") as n:
            boto3_client(n.url, "sts").get_caller_identity()
            self.assertTrue(n.wait_for_output("INFO AWS sts.GetCallerIdentity => 200"), n.output)

    def test_ls_log_debug_logs_the_exchange_as_debug_does(self):
        with Nimbus(SERVICES="sts", LS_LOG="debug") as n:
            boto3_client(n.url, "sts").get_caller_identity()
            self.assertTrue(n.wait_for_output("> POST /"), n.output)
            self.assertTrue(n.wait_for_output("< 200"), n.output)

    def test_bad_level_stops_the_server(self):
        r = start_error(LS_LOG="loud")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("LS_LOG: invalid value 'loud'", r.stderr)


class VolumeDir(unittest.TestCase):
    def test_state_lives_in_the_volume_dirs_state_folder_and_survives_a_restart(self):
        volume = temp_dir(self, "nimbus-volume-")
        env = dict(SERVICES="sqs", PERSISTENCE="1", LOCALSTACK_VOLUME_DIR=volume, DATA_DIR="")
        n = Nimbus(**env)
        n.env.pop("DATA_DIR")
        with n:
            boto3_client(n.url, "sqs").create_queue(QueueName="kept")
        self.assertTrue(os.path.exists(os.path.join(volume, "state", "sqs.db")), os.listdir(volume))
        n = Nimbus(**env)
        n.env.pop("DATA_DIR")
        with n:
            urls = boto3_client(n.url, "sqs").list_queues().get("QueueUrls", [])
        self.assertEqual([u.rsplit("/", 1)[1] for u in urls], ["kept"])

    def test_data_dir_wins_over_the_volume_dir(self):
        volume, data = temp_dir(self), temp_dir(self)
        with Nimbus(SERVICES="sqs", PERSISTENCE="1", LOCALSTACK_VOLUME_DIR=volume, DATA_DIR=data) as n:
            boto3_client(n.url, "sqs").create_queue(QueueName="here")
        self.assertTrue(os.path.exists(os.path.join(data, "sqs.db")))
        self.assertFalse(os.path.exists(os.path.join(volume, "state")))


class SignatureValidation(unittest.TestCase):
    def test_signature_validation_either_way_starts_quietly(self):
        # 0 is supported now (test_s3_presign_validation.py): neither value gets a warning line
        for value in ("0", "1"):
            with Nimbus(SERVICES="sts", S3_SKIP_SIGNATURE_VALIDATION=value) as n:
                pass
            self.assertNotIn("S3_SKIP_SIGNATURE_VALIDATION", n.output, value)
        with self.assertRaises(RuntimeError) as cm:
            Nimbus(SERVICES="sts", S3_SKIP_SIGNATURE_VALIDATION="maybe").start()
        self.assertIn("S3_SKIP_SIGNATURE_VALIDATION", str(cm.exception))


class Defaults(unittest.TestCase):
    def test_default_region_is_the_region_of_requests_naming_none(self):
        with Nimbus(SERVICES="sqs", DEFAULT_REGION="eu-central-1") as n:
            # unsigned: no credential scope names a region
            text = post_form(n.url + "/", "Action=CreateQueue&QueueName=plain&Version=2012-11-05")
            self.assertIn("http://sqs.eu-central-1.localhost.localstack.cloud", text)
            # a signed request keeps its own region
            url = boto3_client(n.url, "sqs", region="ap-south-1").create_queue(QueueName="signed")["QueueUrl"]
            self.assertIn("sqs.ap-south-1.", url)

    def test_default_account_setting_and_motos_name_for_it(self):
        for env, account in (({}, "000000000000"), ({"NIMBUS_DEFAULT_ACCOUNT": "123456789012"}, "123456789012"),
                             ({"MOTO_ACCOUNT_ID": "111122223333"}, "111122223333"),
                             ({"MOTO_ACCOUNT_ID": "111122223333", "NIMBUS_DEFAULT_ACCOUNT": "123456789012"},
                              "123456789012")):
            with self.subTest(env=env), Nimbus(SERVICES="sqs,sts", **env) as n:
                self.assertEqual(boto3_client(n.url, "sts").get_caller_identity()["Account"], account)
                url = boto3_client(n.url, "sqs").create_queue(QueueName="q")["QueueUrl"]
                self.assertTrue(url.endswith(f"/{account}/q"), url)

    def test_an_access_key_that_is_an_account_id_still_selects_that_account(self):
        import boto3
        with Nimbus(SERVICES="sts", NIMBUS_DEFAULT_ACCOUNT="123456789012") as n:
            sts = boto3.client("sts", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="444455556666",
                               aws_secret_access_key="x")
            self.assertEqual(sts.get_caller_identity()["Account"], "444455556666")

    def test_bad_values_stop_the_server(self):
        for env, message in (({"DEFAULT_REGION": "EU West"}, "DEFAULT_REGION: invalid value 'EU West'"),
                             ({"NIMBUS_DEFAULT_ACCOUNT": "1234"}, "NIMBUS_DEFAULT_ACCOUNT: invalid value '1234'"),
                             ({"MOTO_ACCOUNT_ID": "abc"}, "MOTO_ACCOUNT_ID: invalid value 'abc'")):
            with self.subTest(env=env):
                r = start_error(**env)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(message, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
