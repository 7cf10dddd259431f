"""SSM Parameter Store: labels (rules, moving, 10 a version, InvalidLabels), GetParameterHistory,
tags, service settings and /aws/reference/secretsmanager/ references, with boto3 1.29 and again
with the newer boto3."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ssm_e2e  # noqa: E402
from ssm_e2e import Case, name  # noqa: E402
from nimbus_server import aws_env, rerun_with_newer_boto3  # noqa: E402


def setUpModule():
    ssm_e2e.start(SERVICES="ssm,secretsmanager")


def tearDownModule():
    ssm_e2e.stop()


class LabelCases(Case):
    def three_versions(self, base):
        n = name(base)
        for v in ("v1", "v2", "v3"):
            self.ssm.put_parameter(Name=n, Value=v, Type="String", Overwrite=True)
        return n

    def test_labels(self):
        n = self.three_versions("labels/p")
        r = self.ssm.label_parameter_version(Name=n, ParameterVersion=1, Labels=["prod", "9lives", "awsy", "ok.x-y_z",
                                                                                 "bad label"])
        self.assertEqual((r["ParameterVersion"], r["InvalidLabels"]), (1, ["9lives", "awsy", "bad label"]))
        p = self.ssm.get_parameter(Name=n + ":prod")["Parameter"]
        self.assertEqual((p["Value"], p["Selector"]), ("v1", ":prod"))
        # without a version: the latest; a label moves to the version it is put on
        self.assertEqual(self.ssm.label_parameter_version(Name=n, Labels=["prod"])["ParameterVersion"], 3)
        self.assertEqual(self.ssm.get_parameter(Name=n + ":prod")["Parameter"]["Value"], "v3")
        hist = self.ssm.get_parameter_history(Name=n)["Parameters"]
        self.assertEqual([h["Labels"] for h in hist], [["ok.x-y_z"], [], ["prod"]])
        self.ssm.label_parameter_version(Name=n, ParameterVersion=2, Labels=["l%d" % i for i in range(10)])
        self.assertError("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum 10 labels. Move "
                         "one or more labels to another version and try again.", self.ssm.label_parameter_version,
                         Name=n, ParameterVersion=2, Labels=["eleventh"])
        self.assertError("ParameterVersionNotFound", "Systems Manager could not find version 9 of %s. Verify the "
                         "version and try again." % n, self.ssm.label_parameter_version, Name=n, ParameterVersion=9,
                         Labels=["x"])
        self.assertError("ParameterNotFound", "Parameter %s not found." % name("labels/none"),
                         self.ssm.label_parameter_version, Name=name("labels/none"), Labels=["x"])
        r = self.ssm.unlabel_parameter_version(Name=n, ParameterVersion=3, Labels=["prod", "never"])
        self.assertEqual((r["RemovedLabels"], r["InvalidLabels"]), (["prod"], ["never"]))
        self.assertError("ParameterNotFound", "", self.ssm.get_parameter, Name=n + ":prod")

    def test_history(self):
        n = self.three_versions("history/p")
        sec = name("history/secret")
        self.ssm.put_parameter(Name=sec, Value="s1", Type="SecureString", Description="first")
        self.ssm.put_parameter(Name=sec, Value="s2", Overwrite=True)
        h = self.ssm.get_parameter_history(Name=sec, WithDecryption=True)["Parameters"]
        self.assertEqual([(x["Version"], x["Value"], x["Description"], x["KeyId"]) for x in h],
                         [(1, "s1", "first", "alias/aws/ssm"), (2, "s2", "first", "alias/aws/ssm")])
        hidden = self.ssm.get_parameter_history(Name=sec)["Parameters"]
        self.assertNotIn("s1", [x["Value"] for x in hidden])
        got, kw = [], {"Name": n, "MaxResults": 1}
        while True:
            r = self.ssm.get_parameter_history(**kw)
            got += [x["Value"] for x in r["Parameters"]]
            if "NextToken" not in r:
                break
            kw["NextToken"] = r["NextToken"]
        self.assertEqual(got, ["v1", "v2", "v3"])
        self.assertError("ParameterNotFound", "", self.ssm.get_parameter_history, Name=name("history/none"))

    def test_tags(self):
        n = name("tags/p")
        self.ssm.put_parameter(Name=n, Value="v", Type="String", Tags=[{"Key": "a", "Value": "1"}])
        self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=n,
                                      Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}])
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=n)["TagList"]
        self.assertEqual(tags, [{"Key": "a", "Value": "one"}, {"Key": "b", "Value": "2"}])
        self.ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=n, TagKeys=["a"])
        self.assertEqual(self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=n)["TagList"],
                         [{"Key": "b", "Value": "2"}])
        message = "The resource ID is not valid. Verify that you entered the correct ID and try again."
        self.assertError("InvalidResourceId", message, self.ssm.list_tags_for_resource, ResourceType="Parameter",
                         ResourceId=name("tags/none"))
        self.assertError("InvalidResourceId", message, self.ssm.add_tags_to_resource, ResourceType="Document",
                         ResourceId="doc", Tags=[{"Key": "k", "Value": "v"}])
        self.assertError("InvalidResourceType", "The resource type is not valid for this operation.",
                         self.ssm.list_tags_for_resource, ResourceType="Automation", ResourceId="x")
        status, code, _ = self.error(self.ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId=n,
                                     Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
        self.assertEqual((status, code), (400, "TooManyTagsError"))
        # a deleted parameter's tags go with it
        self.ssm.delete_parameter(Name=n)
        self.ssm.put_parameter(Name=n, Value="v", Type="String")
        self.assertEqual(self.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=n)["TagList"], [])

    def test_service_settings(self):
        ssm = ssm_e2e.client(region="ap-south-1")  # a region of its own: the setting changes the default tier
        tier = "/ssm/parameter-store/default-parameter-tier"
        s = ssm.get_service_setting(SettingId=tier)["ServiceSetting"]
        self.assertEqual((s["SettingValue"], s["Status"]), ("Standard", "Default"))
        self.assertEqual(s["ARN"], "arn:aws:ssm:ap-south-1:000000000000:servicesetting" + tier)
        ssm.update_service_setting(SettingId=tier, SettingValue="Advanced")
        s = ssm.get_service_setting(SettingId=s["ARN"])["ServiceSetting"]
        self.assertEqual((s["SettingValue"], s["Status"]), ("Advanced", "Customized"))
        self.assertEqual(ssm.put_parameter(Name=name("settings/p"), Value="v", Type="String")["Tier"], "Advanced")
        s = ssm.reset_service_setting(SettingId=tier)["ServiceSetting"]
        self.assertEqual((s["SettingValue"], s["Status"]), ("Standard", "Default"))
        self.assertEqual(ssm.put_parameter(Name=name("settings/q"), Value="v", Type="String")["Tier"], "Standard")
        self.assertError("ServiceSettingNotFound", "No setting found for the setting ID /ssm/none. Check the setting "
                         "ID and try again.", ssm.get_service_setting, SettingId="/ssm/none")
        self.assertError("ValidationException", "The value Gold is not valid for the setting %s." % tier,
                         ssm.update_service_setting, SettingId=tier, SettingValue="Gold")

    def test_secrets_manager_reference(self):
        sm = ssm_e2e.client("secretsmanager")
        secret = name("ref").strip("/").replace("/", "-")
        arn = sm.create_secret(Name=secret, SecretString='{"user":"app"}')["ARN"]
        ref = "/aws/reference/secretsmanager/" + secret
        p = self.ssm.get_parameter(Name=ref, WithDecryption=True)["Parameter"]
        self.assertEqual((p["Name"], p["Type"], p["Value"], p["ARN"]), (ref, "SecureString", '{"user":"app"}', arn))
        self.assertIn('"VersionStages":["AWSCURRENT"]', p["SourceResult"])
        self.assertNotIn("app", p["SourceResult"].replace(secret, ""))
        sm.put_secret_value(SecretId=secret, SecretString="second")
        self.assertEqual(self.ssm.get_parameter(Name=ref, WithDecryption=True)["Parameter"]["Value"], "second")
        prev = self.ssm.get_parameter(Name=ref + ":AWSPREVIOUS", WithDecryption=True)["Parameter"]
        self.assertEqual((prev["Value"], prev["Selector"]), ('{"user":"app"}', ":AWSPREVIOUS"))
        self.assertError("ValidationException", "WithDecryption flag must be True for retrieving a Secret Manager "
                         "secret.", self.ssm.get_parameter, Name=ref)
        self.assertError("ParameterNotFound", "", self.ssm.get_parameter,
                         Name=ref + "-none", WithDecryption=True)
        r = self.ssm.get_parameters(Names=[ref, ref + "-none"], WithDecryption=True)
        self.assertEqual(([x["Value"] for x in r["Parameters"]], r["InvalidParameters"]), (["second"], [ref + "-none"]))


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "LabelCases", (1, 40),
                               dict(aws_env(), NB_SSM_URL=ssm_e2e.server_url()))


if __name__ == "__main__":
    unittest.main()
