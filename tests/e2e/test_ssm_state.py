"""SSM state with PERSISTENCE=1: parameters with their versions, labels, tags, SecureStrings (still
decrypting), service settings, documents and associations survive a restart and kill -9; values never
reach the log (DEBUG=1) and a SecureString's plaintext never reaches the disk."""
import glob, os, signal, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, temp_dir  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SECRET = "pl41ntext-never-stored"
VALUE = "v4lue-never-logged"


class Persistence(unittest.TestCase):
    def write_then_restart(self, sig):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="ssm") as n:
            ssm = boto3_client(n.url, "ssm")
            ssm.put_parameter(Name="/kept/p", Value="one", Type="String", Tags=[{"Key": "k", "Value": "v"}])
            ssm.put_parameter(Name="/kept/p", Value="two", Overwrite=True)
            ssm.label_parameter_version(Name="/kept/p", ParameterVersion=1, Labels=["first"])
            ssm.put_parameter(Name="/kept/secret", Value=SECRET, Type="SecureString")
            ssm.update_service_setting(SettingId="/ssm/parameter-store/high-throughput-enabled", SettingValue="true")
            ssm.create_document(Name="KeptDoc", Content='{"schemaVersion": "2.2", "mainSteps": []}')
            ssm.update_document(Name="KeptDoc", Content='{"schemaVersion": "2.2", "mainSteps": [], "description": "2"}',
                                DocumentVersion="$LATEST")
            aid = ssm.create_association(Name="KeptDoc", InstanceId="i-0123456789abcdef0")["AssociationDescription"][
                "AssociationId"]
            n.stop(sig=sig)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="ssm") as n:
            ssm = boto3_client(n.url, "ssm")
            self.assertEqual(ssm.get_parameter(Name="/kept/p")["Parameter"]["Value"], "two")
            self.assertEqual(ssm.get_parameter(Name="/kept/p:first")["Parameter"]["Value"], "one")
            self.assertEqual(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/kept/p")["TagList"],
                             [{"Key": "k", "Value": "v"}])
            self.assertEqual(ssm.get_parameter(Name="/kept/secret", WithDecryption=True)["Parameter"]["Value"], SECRET)
            s = ssm.get_service_setting(SettingId="/ssm/parameter-store/high-throughput-enabled")["ServiceSetting"]
            self.assertEqual(s["SettingValue"], "true")
            self.assertEqual(ssm.put_parameter(Name="/kept/p", Value="three", Overwrite=True)["Version"], 3)
            versions = ssm.list_document_versions(Name="KeptDoc")["DocumentVersions"]
            self.assertEqual([(v["DocumentVersion"], v["IsDefaultVersion"]) for v in versions], [("1", True), ("2", False)])
            a = ssm.describe_association(AssociationId=aid)["AssociationDescription"]
            self.assertEqual((a["Name"], a["InstanceId"]), ("KeptDoc", "i-0123456789abcdef0"))
        # the plaintext of a SecureString is nowhere in the data folder
        files = [f for f in glob.glob(os.path.join(data, "**"), recursive=True) if os.path.isfile(f)]
        self.assertTrue(any(os.path.basename(f).startswith("ssm") for f in files), files)
        for f in files:
            with open(f, "rb") as fh:
                self.assertNotIn(SECRET.encode(), fh.read(), f)

    def test_survives_restart(self):
        self.write_then_restart(signal.SIGTERM)

    def test_survives_kill_9(self):
        self.write_then_restart(signal.SIGKILL)


class Logs(unittest.TestCase):
    def test_values_not_logged(self):
        with Nimbus(DEBUG="1", SERVICES="ssm") as n:
            ssm = boto3_client(n.url, "ssm")
            ssm.put_parameter(Name="/log/plain", Value=VALUE, Type="String")
            ssm.put_parameter(Name="/log/secret", Value=SECRET, Type="SecureString")
            ssm.get_parameter(Name="/log/plain")
            ssm.get_parameter(Name="/log/secret", WithDecryption=True)
            ssm.get_parameters_by_path(Path="/log", WithDecryption=True)
            ssm.get_parameter_history(Name="/log/secret", WithDecryption=True)
            with self.assertRaises(ClientError):  # an error about the value must not echo it either
                ssm.put_parameter(Name="/log/pattern", Value=VALUE, Type="String", AllowedPattern="^x$")
            n.stop()
            self.assertIn("\"Name\": \"/log/plain\"", n.output)  # bodies are logged, without the values
            self.assertNotIn(VALUE, n.output)
            self.assertNotIn(SECRET, n.output)


if __name__ == "__main__":
    unittest.main()
