"""SSM Parameter Store listings: GetParametersByPath (one level, recursive, filters, paging),
DescribeParameters with every filter key and option and paging, and the public /aws/service/
parameters, with boto3 1.29 and again with the newer boto3."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ssm_e2e  # noqa: E402
from ssm_e2e import Case, TAG, name  # noqa: E402
from nimbus_server import aws_env, rerun_with_newer_boto3  # noqa: E402


def setUpModule():
    ssm_e2e.start()


def tearDownModule():
    ssm_e2e.stop()


class PathCases(Case):
    @classmethod
    def setUpClass(cls):
        ssm = ssm_e2e.client()
        cls.tree = name("tree")
        for sub, typ in [("a", "String"), ("b", "SecureString"), ("c", "StringList"), ("x/d", "String"),
                         ("x/y/e", "SecureString")]:
            ssm.put_parameter(Name=cls.tree + "/" + sub, Value="value-" + sub, Type=typ)
        ssm.label_parameter_version(Name=cls.tree + "/a", Labels=["prod"])
        ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=cls.tree + "/x/d",
                                 Tags=[{"Key": "team", "Value": "blue"}])

    def by_path(self, **kw):
        return [p["Name"][len(self.tree) + 1:] for p in self.ssm.get_parameters_by_path(**kw)["Parameters"]]

    def describe(self, filters):
        out, kw = [], {"ParameterFilters": filters, "MaxResults": 50}
        while True:
            r = self.ssm.describe_parameters(**kw)
            out += [p["Name"][len(self.tree) + 1:] for p in r["Parameters"] if p["Name"].startswith(self.tree + "/")]
            if "NextToken" not in r:
                return out
            kw["NextToken"] = r["NextToken"]

    def test_one_level_and_recursive(self):
        self.assertEqual(self.by_path(Path=self.tree), ["a", "b", "c"])
        self.assertEqual(self.by_path(Path=self.tree + "/"), ["a", "b", "c"])
        self.assertEqual(self.by_path(Path=self.tree, Recursive=True), ["a", "b", "c", "x/d", "x/y/e"])
        self.assertEqual(self.by_path(Path=self.tree + "/x"), ["x/d"])
        r = self.ssm.get_parameters_by_path(Path=self.tree + "/x", Recursive=True, WithDecryption=True)
        self.assertEqual([p["Value"] for p in r["Parameters"]], ["value-x/d", "value-x/y/e"])
        hidden = self.ssm.get_parameters_by_path(Path=self.tree + "/x/y")["Parameters"][0]["Value"]
        self.assertNotEqual(hidden, "value-x/y/e")
        self.assertEqual(self.by_path(Path=self.tree + "/none"), [])

    def test_by_path_filters(self):
        f = lambda k, v: [{"Key": k, "Option": "Equals", "Values": v}]  # noqa: E731
        self.assertEqual(self.by_path(Path=self.tree, Recursive=True, ParameterFilters=f("Type", ["SecureString"])),
                         ["b", "x/y/e"])
        self.assertEqual(self.by_path(Path=self.tree, Recursive=True, ParameterFilters=f("Label", ["prod"])), ["a"])
        self.assertEqual(self.by_path(Path=self.tree, Recursive=True,
                                      ParameterFilters=f("KeyId", ["alias/aws/ssm"])), ["b", "x/y/e"])
        self.assertError("InvalidFilterKey", "The following filter key is not valid: Name. Valid filter keys "
                         "include: [Type, KeyId, Label].", self.ssm.get_parameters_by_path, Path=self.tree,
                         ParameterFilters=f("Name", ["a"]))
        self.assertError("InvalidFilterOption", "The following filter option is not valid: BeginsWith. Valid "
                         "options include: [Equals].", self.ssm.get_parameters_by_path, Path=self.tree,
                         ParameterFilters=[{"Key": "Type", "Option": "BeginsWith", "Values": ["S"]}])
        self.assertError("ValidationException", "The parameter doesn't meet the parameter name requirements. The "
                         "parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or "
                         "\"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . "
                         "(period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if "
                         "specified, must use the forward slash symbol \"/\". Valid example: "
                         "/get/parameters2-/by1./path0_.", self.ssm.get_parameters_by_path, Path="no-slash")

    def test_by_path_paging(self):
        got, kw, pages = [], {"Path": self.tree, "Recursive": True, "MaxResults": 2}, 0
        while True:
            r = self.ssm.get_parameters_by_path(**kw)
            pages += 1
            self.assertLessEqual(len(r["Parameters"]), 2)
            got += [p["Name"][len(self.tree) + 1:] for p in r["Parameters"]]
            if "NextToken" not in r:
                break
            kw["NextToken"] = r["NextToken"]
        self.assertEqual((got, pages), (["a", "b", "c", "x/d", "x/y/e"], 3))
        status, code, message = self.error(self.ssm.get_parameters_by_path, Path=self.tree, MaxResults=11)
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertIn("Member must have value less than or equal to 10", message)
        self.assertError("InvalidNextToken", "The specified token is not valid.", self.ssm.get_parameters_by_path,
                         Path=self.tree, NextToken="garbage")

    def test_describe_filters(self):
        t = self.tree
        f = lambda k, o, v: [{"Key": k, "Option": o, "Values": v}]  # noqa: E731
        self.assertEqual(self.describe(f("Name", "Equals", [t + "/a"])), ["a"])
        self.assertEqual(self.describe(f("Name", "BeginsWith", [t + "/x"])), ["x/d", "x/y/e"])
        self.assertEqual(self.describe(f("Name", "Contains", ["y/"]) + f("Path", "Recursive", [t])), ["x/y/e"])
        self.assertEqual(self.describe(f("Path", "OneLevel", [t])), ["a", "b", "c"])
        self.assertEqual(self.describe(f("Path", "Recursive", [t + "/x"])), ["x/d", "x/y/e"])
        self.assertEqual(self.describe(f("Type", "Equals", ["StringList"])), ["c"])
        self.assertEqual(self.describe(f("KeyId", "Equals", ["alias/aws/ssm"]) + f("Path", "Recursive", [t])),
                         ["b", "x/y/e"])
        self.assertEqual(self.describe(f("Tier", "Equals", ["Standard"]) + f("Path", "OneLevel", [t])),
                         ["a", "b", "c"])
        self.assertEqual(self.describe(f("DataType", "Equals", ["text"]) + f("Path", "OneLevel", [t + "/x"])), ["x/d"])
        self.assertEqual(self.describe(f("tag:team", "Equals", ["blue"])), ["x/d"])
        self.assertEqual(self.describe([{"Key": "tag:team"}]), ["x/d"])  # the tag is there, any value
        # the older Filters: Name matches a beginning
        r = self.ssm.describe_parameters(Filters=[{"Key": "Name", "Values": [t + "/x/"]}], MaxResults=50)
        self.assertEqual([p["Name"] for p in r["Parameters"]], [t + "/x/d", t + "/x/y/e"])

    def test_describe_errors(self):
        self.assertError("InvalidFilterKey", "The following filter key is not valid: Label. Valid filter keys "
                         "include: [Path, Name, Type, KeyId, Tier, DataType].", self.ssm.describe_parameters,
                         ParameterFilters=[{"Key": "Label", "Values": ["prod"]}])
        self.assertError("InvalidFilterOption", "The following filter option is not valid: Recursive. Valid options "
                         "include: [BeginsWith, Equals].", self.ssm.describe_parameters,
                         ParameterFilters=[{"Key": "Type", "Option": "Recursive", "Values": ["String"]}])
        self.assertError("InvalidFilterOption", "The following filter option is not valid: Equals. Valid options "
                         "include: [Recursive, OneLevel].", self.ssm.describe_parameters,
                         ParameterFilters=[{"Key": "Path", "Option": "Equals", "Values": ["/x"]}])
        self.assertError("InvalidFilterValue", "The following filter value is not valid: Fancy. Valid values "
                         "include: [Standard, Advanced, Intelligent-Tiering].", self.ssm.describe_parameters,
                         ParameterFilters=[{"Key": "Tier", "Values": ["Fancy"]}])
        self.assertError("InvalidFilterKey", "The following filter is duplicated in the request: Type. A request can "
                         "contain only one occurrence of a specific filter.", self.ssm.describe_parameters,
                         ParameterFilters=[{"Key": "Type", "Values": ["String"]}, {"Key": "Type", "Values": ["String"]}])
        self.assertError("ValidationException", "1 validation error detected: Value 'Colour' at "
                         "'parameterFilters.1.member.key' failed to satisfy constraint: Member must satisfy regular "
                         "expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType",
                         self.ssm.describe_parameters, ParameterFilters=[{"Key": "Colour", "Values": ["red"]}])
        self.assertError("ValidationException", "You can use either Filters or ParameterFilters in a single request.",
                         self.ssm.describe_parameters, Filters=[{"Key": "Name", "Values": ["a"]}],
                         ParameterFilters=[{"Key": "Type", "Values": ["String"]}])

    def test_describe_paging(self):
        got, kw = [], {"ParameterFilters": [{"Key": "Path", "Option": "Recursive", "Values": [self.tree]}],
                       "MaxResults": 2}
        while True:
            r = self.ssm.describe_parameters(**kw)
            got += [p["Name"][len(self.tree) + 1:] for p in r["Parameters"]]
            if "NextToken" not in r:
                break
            kw["NextToken"] = r["NextToken"]
        self.assertEqual(got, ["a", "b", "c", "x/d", "x/y/e"])

    def test_public_parameters(self):
        p = self.ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
        p = p["Parameter"]
        self.assertRegex(p["Value"], r"^ami-[0-9a-f]{17}$")
        self.assertEqual((p["DataType"], p["Type"]), ("aws:ec2:image", "String"))
        self.assertEqual(p["ARN"], "arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/"
                         "al2023-ami-kernel-default-x86_64")
        # another region has its own image id
        west = ssm_e2e.client(region="eu-west-1").get_parameter(Name=p["Name"])["Parameter"]["Value"]
        self.assertNotEqual(west, p["Value"])
        regions = self.ssm.get_parameters_by_path(Path="/aws/service/global-infrastructure/regions", MaxResults=10)
        names = [r["Value"] for r in regions["Parameters"]]
        self.assertIn("af-south-1", names)
        self.assertIn("NextToken", regions)
        zones = self.ssm.get_parameters_by_path(Path="/aws/service/global-infrastructure/regions/us-east-1/"
                                                     "availability-zones")["Parameters"]
        self.assertEqual([z["Value"] for z in zones], ["use1-az%d" % i for i in range(1, 7)])
        long_name = self.ssm.get_parameter(Name="/aws/service/global-infrastructure/regions/eu-west-1/longName")
        self.assertEqual(long_name["Parameter"]["Value"], "Europe (Ireland)")
        r = self.ssm.get_parameters(Names=["/aws/service/global-infrastructure/regions/us-west-2",
                                           "/aws/service/global-infrastructure/regions/mars-1"])
        self.assertEqual(([x["Value"] for x in r["Parameters"]], r["InvalidParameters"]),
                         (["us-west-2"], ["/aws/service/global-infrastructure/regions/mars-1"]))
        # public parameters are not the account's: DescribeParameters does not list them
        listed = self.ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith",
                                                                  "Values": ["/aws/service"]}])["Parameters"]
        self.assertEqual(listed, [])


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "PathCases", (1, 40),
                               dict(aws_env(), NB_SSM_URL=ssm_e2e.server_url()))


if __name__ == "__main__":
    unittest.main()
