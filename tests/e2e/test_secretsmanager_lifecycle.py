"""Secrets Manager deletion and state (issue 14, items 2 and 5): DeleteSecret with a recovery window
(7-30 days; one day is SECRETSMANAGER_RECOVERY_DAY long here so the window passes in the test),
using a deleted secret, RestoreSecret, ForceDeleteWithoutRecovery, the real deletion when the window
ends, and secrets surviving a restart and kill -9 with PERSISTENCE=1 with their values out of the log."""
import datetime
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, temp_dir  # noqa: E402
from sm_e2e import client, error_of as code_of  # noqa: E402

MARKED = "You can't perform this operation on the secret because it was marked for deletion."
VALUE = "s3cr3t-value-never-logged"


class Deletion(unittest.TestCase):
    def test_window_restore_force_and_expiry(self):
        with Nimbus(SECRETSMANAGER_RECOVERY_DAY="200ms", SECRETSMANAGER_SWEEP_INTERVAL="100ms") as n:
            sm = client(n.url)
            sm.create_secret(Name="gone", SecretString="v")
            for days in (6, 31):
                self.assertEqual(code_of(sm.delete_secret, SecretId="gone", RecoveryWindowInDays=days),
                                 ("InvalidParameterException",
                                  "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."))
            self.assertEqual(code_of(sm.delete_secret, SecretId="gone", RecoveryWindowInDays=7,
                                     ForceDeleteWithoutRecovery=True),
                             ("InvalidParameterException",
                              "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."))
            before = datetime.datetime.now(datetime.timezone.utc)
            d = sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
            # AWS answers the day the window ends
            self.assertAlmostEqual((d["DeletionDate"] - before).total_seconds(), 7 * 86400, delta=60)
            self.assertEqual(code_of(sm.get_secret_value, SecretId="gone"), ("InvalidRequestException", MARKED))
            self.assertEqual(code_of(sm.put_secret_value, SecretId="gone", SecretString="x"),
                             ("InvalidRequestException", MARKED))
            self.assertEqual(code_of(sm.delete_secret, SecretId="gone"),
                             ("InvalidRequestException",
                              "You tried to perform the operation on a secret that's currently marked deleted."))
            self.assertEqual(code_of(sm.create_secret, Name="gone", SecretString="again"),
                             ("InvalidRequestException", "You can't create this secret because a secret with this "
                              "name is already scheduled for deletion."))
            self.assertIn("DeletedDate", sm.describe_secret(SecretId="gone"))
            names = [s["Name"] for s in sm.list_secrets()["SecretList"]]
            self.assertNotIn("gone", names)
            sm.restore_secret(SecretId="gone")
            self.assertEqual(sm.get_secret_value(SecretId="gone")["SecretString"], "v")
            self.assertNotIn("DeletedDate", sm.describe_secret(SecretId="gone"))
            # 7 days of 200 ms: gone for good within a few seconds
            sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
            deadline = time.time() + 10
            while time.time() < deadline and code_of(sm.describe_secret, SecretId="gone")[0] is None:
                time.sleep(0.2)
            self.assertEqual(code_of(sm.describe_secret, SecretId="gone"),
                             ("ResourceNotFoundException", "Secrets Manager can't find the specified secret."))
            sm.create_secret(Name="gone", SecretString="reborn")  # the name is free again
            sm.delete_secret(SecretId="gone", ForceDeleteWithoutRecovery=True)
            self.assertEqual(code_of(sm.get_secret_value, SecretId="gone")[0], "ResourceNotFoundException")

    def test_default_window_is_30_days(self):
        with Nimbus() as n:
            sm = client(n.url)
            sm.create_secret(Name="thirty", SecretString="v")
            before = datetime.datetime.now(datetime.timezone.utc)
            d = sm.delete_secret(SecretId="thirty")
            self.assertAlmostEqual((d["DeletionDate"] - before).total_seconds(), 30 * 86400, delta=60)
            time.sleep(1.5)  # the sweep runs each second: a 30-day window is not over
            self.assertIn("DeletedDate", sm.describe_secret(SecretId="thirty"))


class Persistence(unittest.TestCase):
    def keep_then_restart(self, stop_signal):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, DEBUG="1") as n:
            sm = client(n.url)
            arn = sm.create_secret(Name="kept", SecretString=VALUE, Tags=[{"Key": "k", "Value": "v"}])["ARN"]
            self.assertEqual(sm.get_secret_value(SecretId="kept")["SecretString"], VALUE)
            v2 = sm.put_secret_value(SecretId="kept", SecretBinary=b"\x01\x02")["VersionId"]
            sm.create_secret(Name="doomed", SecretString="x")
            sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=7)
            n.stop(sig=stop_signal)
            self.assertIn("GetSecretValue", n.output)  # the DEBUG log saw the requests...
            self.assertNotIn(VALUE, n.output)  # ...and none of the values
        with Nimbus(PERSISTENCE="1", DATA_DIR=data) as n:
            sm = client(n.url)
            got = sm.get_secret_value(SecretId=arn)
            self.assertEqual((got["VersionId"], got["SecretBinary"]), (v2, b"\x01\x02"))
            self.assertEqual(sm.get_secret_value(SecretId="kept", VersionStage="AWSPREVIOUS")["SecretString"], VALUE)
            self.assertEqual(sm.describe_secret(SecretId="kept")["Tags"], [{"Key": "k", "Value": "v"}])
            self.assertEqual(code_of(sm.get_secret_value, SecretId="doomed"), ("InvalidRequestException", MARKED))

    def test_survives_restart(self):
        self.keep_then_restart(signal.SIGTERM)

    def test_survives_kill_9(self):
        self.keep_then_restart(signal.SIGKILL)


if __name__ == "__main__":
    unittest.main(verbosity=2)
