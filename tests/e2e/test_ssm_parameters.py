"""SSM Parameter Store: PutParameter (types, overwrite, names, tiers and their sizes, policies,
AllowedPattern, DataType, 100 versions), GetParameter with selectors, GetParameters, deletion, and
AWS's errors for each, with boto3 1.29 and again with the newer boto3."""
import base64, os, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ssm_e2e  # noqa: E402
from ssm_e2e import Case, name  # noqa: E402
from nimbus_server import aws_env, rerun_with_newer_boto3  # noqa: E402

BAD_NAME = ("Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist "
            "of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the "
            "following 3 symbols .-_")


def setUpModule():
    ssm_e2e.start()


def tearDownModule():
    ssm_e2e.stop()


class ParameterCases(Case):
    def test_versions_and_selectors(self):
        n = name("versions/p")
        self.assertEqual(self.ssm.put_parameter(Name=n, Value="one", Type="String")["Version"], 1)
        self.assertError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the "
                         "overwrite option in the request to true.", self.ssm.put_parameter, Name=n, Value="x",
                         Type="String")
        r = self.ssm.put_parameter(Name=n, Value="two", Overwrite=True)  # the type stays
        self.assertEqual((r["Version"], r["Tier"]), (2, "Standard"))
        p = self.ssm.get_parameter(Name=n)["Parameter"]
        self.assertEqual((p["Value"], p["Version"], p["Type"], p["DataType"]), ("two", 2, "String", "text"))
        self.assertEqual(p["ARN"], "arn:aws:ssm:us-east-1:000000000000:parameter" + n)
        old = self.ssm.get_parameter(Name=n + ":1")["Parameter"]
        self.assertEqual((old["Value"], old["Version"], old["Selector"]), ("one", 1, ":1"))
        self.assertError("ParameterVersionNotFound", "Systems Manager could not find version 7 of %s. Verify the "
                         "version and try again." % n, self.ssm.get_parameter, Name=n + ":7")
        self.assertError("ParameterNotFound", "", self.ssm.get_parameter, Name=n + ":nolabel")
        self.assertError("ParameterNotFound", "", self.ssm.get_parameter, Name=name("versions/none"))
        # a parameter is also named by its ARN
        self.assertEqual(self.ssm.get_parameter(Name=p["ARN"])["Parameter"]["Value"], "two")

    def test_types(self):
        lst = name("types/list")
        self.ssm.put_parameter(Name=lst, Value="a,b,c", Type="StringList")
        self.assertEqual(self.ssm.get_parameter(Name=lst)["Parameter"]["Value"], "a,b,c")
        sec = name("types/secret")
        self.ssm.put_parameter(Name=sec, Value="hunter2", Type="SecureString", Description="db password")
        hidden = self.ssm.get_parameter(Name=sec)["Parameter"]
        self.assertEqual(hidden["Type"], "SecureString")
        self.assertNotIn("hunter2", hidden["Value"])
        self.assertNotIn(b"hunter2", base64.b64decode(hidden["Value"]))  # encrypted, not encoded
        self.assertEqual(self.ssm.get_parameter(Name=sec, WithDecryption=True)["Parameter"]["Value"], "hunter2")
        meta = self.ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [sec]}])["Parameters"]
        self.assertEqual([(m["KeyId"], m["Description"]) for m in meta], [("alias/aws/ssm", "db password")])
        self.assertError("ValidationException", "A parameter type is required when you create a parameter.",
                         self.ssm.put_parameter, Name=name("types/untyped"), Value="v")
        self.assertError("ValidationException", "1 validation error detected: Value '' at 'value' failed to satisfy "
                         "constraint: Member must have length greater than or equal to 1.", self.ssm.put_parameter,
                         Name=name("types/empty"), Value="", Type="String")
        self.assertError("ValidationException", "Invalid request: tags and overwrite can't be used together. To "
                         "create a parameter with tags, please remove overwrite flag. To update tags for an existing "
                         "parameter, please use AddTagsToResource or RemoveTagsFromResource.",
                         self.ssm.put_parameter, Name=lst, Value="x", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}])

    def test_customer_key_must_exist(self):
        # without a KMS key of that name (or without KMS at all) SSM answers KMS's NotFoundException
        status, code, message = self.error(self.ssm.put_parameter, Name=name("keys/custom"), Value="v",
                                           Type="SecureString", KeyId="alias/no-such-key")
        self.assertEqual((status, code), (400, "InvalidKeyId"))
        self.assertTrue(message.startswith("Alias arn:aws:kms:us-east-1:000000000000:alias/no-such-key is not "
                                           "found. (Service: AWSKMS; Status Code: 400; Error Code: "
                                           "NotFoundException; Request ID: "), message)
        self.assertError("ParameterNotFound", "", self.ssm.get_parameter, Name=name("keys/custom"))

    def test_names(self):
        self.assertError("ValidationException", BAD_NAME, self.ssm.put_parameter, Name=name("bad name"), Value="v",
                         Type="String")
        self.assertError("ValidationException", "Parameter name must be a fully qualified name.",
                         self.ssm.put_parameter, Name="relative/path", Value="v", Type="String")
        self.assertError("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" "
                         "(case-insensitive).", self.ssm.put_parameter, Name="AWSthing", Value="v", Type="String")
        self.assertError("AccessDeniedException", "No access to reserved parameter name: /aws/mine/p.",
                         self.ssm.put_parameter, Name="/aws/mine/p", Value="v", Type="String")
        self.assertError("ValidationException", BAD_NAME, self.ssm.put_parameter, Name="/ssm/mine/p", Value="v",
                         Type="String")
        # 15 levels is the most: the tag's level and 14 more
        deep = name("/".join("l%d" % i for i in range(14)))
        self.assertEqual(self.ssm.put_parameter(Name=deep, Value="v", Type="String")["Version"], 1)
        self.assertError("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of 15 levels. For "
                         "more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                         "sysman-parameter-name-constraints.html", self.ssm.put_parameter, Name=deep + "/more",
                         Value="v", Type="String")
        # a top-level name without a slash
        top = name("x").replace("/", "")
        self.ssm.put_parameter(Name=top, Value="top", Type="String")
        p = self.ssm.get_parameter(Name=top)["Parameter"]
        self.assertEqual((p["Name"], p["ARN"]), (top, "arn:aws:ssm:us-east-1:000000000000:parameter/" + top))

    def test_tiers_and_sizes(self):
        self.assertError("ValidationException", "Standard tier parameters support a maximum parameter value of 4096 "
                         "characters. To create a larger parameter value, upgrade the parameter to use the "
                         "advanced-parameter tier. For more information, see https://docs.aws.amazon.com/"
                         "systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
                         self.ssm.put_parameter, Name=name("tiers/big"), Value="x" * 4097, Type="String")
        self.assertEqual(self.ssm.put_parameter(Name=name("tiers/edge"), Value="x" * 4096, Type="String")["Tier"],
                         "Standard")
        adv = name("tiers/adv")
        self.assertEqual(self.ssm.put_parameter(Name=adv, Value="x" * 8192, Type="String", Tier="Advanced")["Tier"],
                         "Advanced")
        status, code, _ = self.error(self.ssm.put_parameter, Name=name("tiers/huge"), Value="x" * 8193,
                                     Type="String", Tier="Advanced")
        self.assertEqual((status, code), (400, "ValidationException"))
        r = self.ssm.put_parameter(Name=name("tiers/it-small"), Value="s", Type="String", Tier="Intelligent-Tiering")
        self.assertEqual(r["Tier"], "Standard")
        r = self.ssm.put_parameter(Name=name("tiers/it-big"), Value="x" * 5000, Type="String",
                                   Tier="Intelligent-Tiering")
        self.assertEqual(r["Tier"], "Advanced")
        self.assertError("ValidationException", "This parameter uses the advanced-parameter tier. You can't downgrade "
                         "a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, "
                         "you can delete the advanced parameter and recreate it as a standard parameter.",
                         self.ssm.put_parameter, Name=adv, Value="small", Overwrite=True, Tier="Standard")
        # no tier given: an advanced parameter stays advanced
        self.assertEqual(self.ssm.put_parameter(Name=adv, Value="small", Overwrite=True)["Tier"], "Advanced")

    def test_policies(self):
        pol = name("policies/p")
        later = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 86400))
        policies = ('[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"%s"}},'
                    '{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"15","Unit":"Days"}},'
                    '{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"20","Unit":"Days"}}]'
                    % later)
        r = self.ssm.put_parameter(Name=pol, Value="v", Type="String", Tier="Advanced", Policies=policies)
        self.assertEqual(r["Tier"], "Advanced")
        meta = self.ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [pol]}])["Parameters"][0]
        self.assertEqual([p["PolicyType"] for p in meta["Policies"]],
                         ["Expiration", "ExpirationNotification", "NoChangeNotification"])
        self.assertIn(later, meta["Policies"][0]["PolicyText"])
        self.assertError("ValidationException", "Standard tier parameters don't support parameter policies. To create "
                         "a parameter with a policy, use the advanced-parameter tier.", self.ssm.put_parameter,
                         Name=name("policies/std"), Value="v", Type="String", Tier="Standard", Policies=policies)
        self.assertError("InvalidPolicyTypeException", "The following policy type is not supported: Bogus.",
                         self.ssm.put_parameter, Name=name("policies/bad"), Value="v", Type="String",
                         Tier="Advanced", Policies='[{"Type":"Bogus","Version":"1.0","Attributes":{}}]')
        self.assertError("InvalidPolicyAttributeException", "A policy attribute or its value is invalid. Check the "
                         "attributes of the ExpirationNotification policy and try again.", self.ssm.put_parameter,
                         Name=name("policies/bad"), Value="v", Type="String", Tier="Advanced",
                         Policies='[{"Type":"ExpirationNotification","Version":"1.0",'
                                  '"Attributes":{"Before":"soon","Unit":"Days"}}]')
        self.assertError("IncompatiblePolicyException", "There is a conflict in the policies specified for this "
                         "parameter. You can't, for example, specify two Expiration policies for a parameter. Review "
                         "your policies, and try again.", self.ssm.put_parameter, Name=name("policies/bad"),
                         Value="v", Type="String", Tier="Advanced",
                         Policies='[{"Type":"Expiration","Attributes":{"Timestamp":"%s"}},'
                                  '{"Type":"Expiration","Attributes":{"Timestamp":"%s"}}]' % (later, later))
        # an Expiration policy deletes the parameter at its time
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        gone = name("policies/expiring")
        self.ssm.put_parameter(Name=gone, Value="v", Type="String", Tier="Advanced",
                               Policies='[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"%s"}}]' % soon)
        self.assertEqual(self.ssm.get_parameter(Name=gone)["Parameter"]["Value"], "v")
        time.sleep(3.2)
        self.assertError("ParameterNotFound", "", self.ssm.get_parameter, Name=gone)

    def test_allowed_pattern(self):
        n = name("pattern/p")
        self.ssm.put_parameter(Name=n, Value="123", Type="String", AllowedPattern=r"^\d+$")
        self.assertError("ParameterPatternMismatchException", r"Parameter value, cannot be validated against "
                         r"allowedPattern: ^\d+$", self.ssm.put_parameter, Name=n, Value="12a", Overwrite=True)
        self.assertEqual(self.ssm.put_parameter(Name=n, Value="456", Overwrite=True)["Version"], 2)
        self.assertError("InvalidAllowedPatternException", "The allowed pattern ( is not a valid regular expression.",
                         self.ssm.put_parameter, Name=name("pattern/bad"), Value="v", Type="String",
                         AllowedPattern="(")

    def test_data_types(self):
        ami = name("data/ami")
        self.ssm.put_parameter(Name=ami, Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
        self.assertEqual(self.ssm.get_parameter(Name=ami)["Parameter"]["DataType"], "aws:ec2:image")
        status, code, _ = self.error(self.ssm.put_parameter, Name=name("data/notami"), Value="hello", Type="String",
                                     DataType="aws:ec2:image")
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertError("ValidationException", "The following data type is not supported: Text (Data type names are "
                         "all lowercase.)", self.ssm.put_parameter, Name=name("data/x"), Value="v", Type="String",
                         DataType="Text")

    def test_hundred_versions(self):
        n = name("limit/p")
        for i in range(100):
            self.ssm.put_parameter(Name=n, Value="v%d" % i, Type="String", Overwrite=True)
        self.ssm.label_parameter_version(Name=n, ParameterVersion=1, Labels=["keep"])
        status, code, message = self.error(self.ssm.put_parameter, Name=n, Value="v100", Overwrite=True)
        self.assertEqual((status, code), (400, "ParameterMaxVersionLimitExceeded"))
        self.assertIn("Version 1, the oldest version, can't be deleted because it has a label", message)
        self.ssm.unlabel_parameter_version(Name=n, ParameterVersion=1, Labels=["keep"])
        self.assertEqual(self.ssm.put_parameter(Name=n, Value="v100", Overwrite=True)["Version"], 101)
        hist = self.ssm.get_parameter_history(Name=n, MaxResults=50)
        self.assertEqual(hist["Parameters"][0]["Version"], 2)  # the oldest went
        self.assertError("ParameterVersionNotFound", "Systems Manager could not find version 1 of %s. Verify the "
                         "version and try again." % n, self.ssm.get_parameter, Name=n + ":1")

    def test_get_parameters(self):
        a, b = name("many/a"), name("many/b")
        self.ssm.put_parameter(Name=a, Value="A", Type="String")
        self.ssm.put_parameter(Name=b, Value="B", Type="SecureString")
        r = self.ssm.get_parameters(Names=[a, b, name("many/none"), a + ":5", a], WithDecryption=True)
        self.assertEqual([(p["Name"], p["Value"]) for p in r["Parameters"]], [(a, "A"), (b, "B")])
        self.assertEqual(r["InvalidParameters"], [name("many/none"), a + ":5"])
        status, code, message = self.error(self.ssm.get_parameters, Names=[a] * 11)
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertIn("Member must have length less than or equal to 10", message)

    def test_delete(self):
        a, b = name("del/a"), name("del/b")
        self.ssm.put_parameter(Name=a, Value="A", Type="String")
        self.ssm.put_parameter(Name=b, Value="B", Type="String")
        self.ssm.delete_parameter(Name=a)
        self.assertError("ParameterNotFound", "", self.ssm.get_parameter, Name=a)
        self.assertError("ParameterNotFound", "", self.ssm.delete_parameter, Name=a)
        r = self.ssm.delete_parameters(Names=[a, b])
        self.assertEqual((r["DeletedParameters"], r["InvalidParameters"]), ([b], [a]))
        # deleted and made again: versions start over
        self.assertEqual(self.ssm.put_parameter(Name=a, Value="A2", Type="String")["Version"], 1)

    def test_unsupported_operation(self):
        status, code, _ = self.error(self.ssm.list_commands)
        self.assertEqual((status, code), (501, "InternalFailure"))


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "ParameterCases", (1, 40),
                               dict(aws_env(), NB_SSM_URL=ssm_e2e.server_url()))


if __name__ == "__main__":
    unittest.main()
