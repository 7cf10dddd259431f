"""End-to-end: settings that plugins declare (S3_RESTORE_DELAY, ...) are listed by nimbus --help and
nimbus config, read from the environment and the config file, checked at start (a bad value stops
the server naming it), and an unknown NIMBUS_* or LocalStack-style setting is reported, not dropped."""
import os, subprocess, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import NIMBUS_BIN, Nimbus, boto3_client  # noqa: E402


def run(*args, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("NIMBUS_", "S3_", "SQS_"))}
    full.update({k: str(v) for k, v in env.items()})
    return subprocess.run([NIMBUS_BIN, *args], env=full, capture_output=True, text=True, timeout=30)


def config_file(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".env", delete=False)
    f.write(text)
    f.close()
    return f.name


def restoring(n):
    """An S3 client of n after it asked to restore cold/k, a GLACIER object."""
    s3 = boto3_client(n.url, "s3")
    s3.create_bucket(Bucket="cold")
    s3.put_object(Bucket="cold", Key="k", Body=b"x", StorageClass="GLACIER")
    s3.restore_object(Bucket="cold", Key="k", RestoreRequest={"Days": 1})
    return s3


class Settings(unittest.TestCase):
    def test_help_lists_plugin_settings_with_their_help_and_default(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        line = next((l for l in r.stdout.splitlines() if "S3_RESTORE_DELAY" in l), None)
        self.assertIsNotNone(line, r.stdout)
        self.assertIn("How long an S3 RestoreObject of a GLACIER or DEEP_ARCHIVE object takes to complete", line)
        self.assertIn("[default: 3]", line)
        self.assertIn("service s3 (plugin s3):", r.stdout)
        self.assertIn("service sqs (plugin sqs):", r.stdout)
        self.assertIn("SQS_DELAY_PURGE_RETRY", r.stdout)
        self.assertIn("GATEWAY_LISTEN", r.stdout, "the core's settings are still there")

    def test_unknown_setting_in_the_environment_is_reported_at_start(self):
        with Nimbus(SERVICES="s3", NIMBUS_FOO="1", S3_TYPO_DELAY="1", LOCALSTACK_AUTH_TOKEN="x") as n:
            out = n.output
        self.assertIn("unknown setting NIMBUS_FOO: ignored", out)
        self.assertIn("unknown setting S3_TYPO_DELAY: ignored", out)
        self.assertNotIn("LOCALSTACK_AUTH_TOKEN", out, "a LocalStack setting Nimbus accepts and ignores passes quietly")
        self.assertIn("Ready.", out, "a warning, not a failure")

    def test_bad_value_stops_the_server_naming_the_setting(self):
        r = run(S3_RESTORE_DELAY="abc", GATEWAY_LISTEN="127.0.0.1:0")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("S3_RESTORE_DELAY: invalid value 'abc' (environment): expected a number of seconds", r.stderr)
        self.assertNotIn("Ready.", r.stdout)
        # a unit is fine; a service that is not enabled is not checked
        self.assertEqual(run("config", S3_RESTORE_DELAY="1500ms").returncode, 0)
        self.assertEqual(run("config", S3_RESTORE_DELAY="abc", SERVICES="sqs").returncode, 0)

    def test_config_lists_values_and_where_they_came_from(self):
        path = config_file("S3_RESTORE_DELAY=7\nS3_LOG_DELIVERY_INTERVAL=9\n")
        try:
            r = run("config", "--config", path, "--debug", S3_LOG_DELIVERY_INTERVAL="2")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("S3_RESTORE_DELAY=7 (config file)", r.stdout)
            self.assertIn("S3_LOG_DELIVERY_INTERVAL=2 (environment)", r.stdout, "the environment beats the file")
            self.assertIn("SQS_DELAY_PURGE_RETRY=1 (default)", r.stdout)
            self.assertIn("DEBUG=1 (flag)", r.stdout)
            r = run("config", "--config", path, "--set", "S3_RESTORE_DELAY=4")
            self.assertIn("S3_RESTORE_DELAY=4 (flag)", r.stdout)
        finally:
            os.unlink(path)

    def test_unknown_name_in_the_config_file_is_an_error_naming_its_line(self):
        path = config_file("S3_RESTORE_DELAY=1\nS3_RESTOR_DELAY=1\n")
        try:
            r = run("--config", path, GATEWAY_LISTEN="127.0.0.1:0")
            self.assertEqual(r.returncode, 2)
            self.assertIn(f"config file {path}:2: unknown setting 'S3_RESTOR_DELAY'", r.stderr)
        finally:
            os.unlink(path)

    def test_config_file_value_is_what_the_plugin_uses(self):
        # S3_RESTORE_DELAY=1h from the file: a restore still runs after the default's 3 s
        path = config_file("S3_RESTORE_DELAY=1h\n")
        try:
            with Nimbus(["--config", path], SERVICES="s3") as n:
                s3 = restoring(n)
                time.sleep(4)
                self.assertEqual(s3.head_object(Bucket="cold", Key="k").get("Restore"), 'ongoing-request="true"')
        finally:
            os.unlink(path)
        with Nimbus(SERVICES="s3", S3_RESTORE_DELAY="200ms") as n:
            s3 = restoring(n)
            deadline, restore = time.time() + 10, None
            while time.time() < deadline:
                restore = s3.head_object(Bucket="cold", Key="k").get("Restore")
                if restore and 'ongoing-request="false"' in restore:
                    break
                time.sleep(0.1)
            self.assertIn('ongoing-request="false"', restore or "")


if __name__ == "__main__":
    unittest.main()
