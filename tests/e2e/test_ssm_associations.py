"""SSM associations answered from state: CreateAssociation (AWS's own documents and the account's),
DescribeAssociation by id, by name and instance and by version, UpdateAssociation's versions,
ListAssociations with filters and paging, ListAssociationVersions, tags, DeleteAssociation, and
AWS's errors, with boto3 1.29 and again with the newer boto3."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ssm_e2e  # noqa: E402
from ssm_e2e import Case, TAG  # noqa: E402
from nimbus_server import aws_env, rerun_with_newer_boto3  # noqa: E402

MISSING = "The specified association does not exist."


def setUpModule():
    ssm_e2e.start()


def tearDownModule():
    ssm_e2e.stop()


class AssociationCases(Case):
    def test_lifecycle(self):
        instance = "i-" + TAG.replace(".", "").replace("-", "")[:17].ljust(17, "0")
        a = self.ssm.create_association(Name="AWS-RunShellScript", InstanceId=instance,
                                        Parameters={"commands": ["uptime"]}, ScheduleExpression="rate(30 minutes)",
                                        AssociationName="up-" + TAG.replace(".", ""),
                                        Tags=[{"Key": "team", "Value": "ops"}])["AssociationDescription"]
        aid = a["AssociationId"]
        self.assertEqual((a["AssociationVersion"], a["DocumentVersion"], a["Overview"]["Status"], a["Status"]["Name"]),
                         ("1", "$DEFAULT", "Pending", "Pending"))
        self.assertEqual(a["Parameters"], {"commands": ["uptime"]})
        self.assertError("AssociationAlreadyExists", "The specified association already exists.",
                         self.ssm.create_association, Name="AWS-RunShellScript", InstanceId=instance)
        d = self.ssm.describe_association(Name="AWS-RunShellScript", InstanceId=instance)["AssociationDescription"]
        self.assertEqual(d["AssociationId"], aid)
        u = self.ssm.update_association(AssociationId=aid, ScheduleExpression="rate(1 hour)",
                                        AssociationVersion="1")["AssociationDescription"]
        self.assertEqual((u["AssociationVersion"], u["ScheduleExpression"], u["Parameters"]),
                         ("2", "rate(1 hour)", {"commands": ["uptime"]}))
        old = self.ssm.describe_association(AssociationId=aid, AssociationVersion="1")["AssociationDescription"]
        self.assertEqual(old["ScheduleExpression"], "rate(30 minutes)")
        self.assertEqual(self.ssm.describe_association(AssociationId=aid)["AssociationDescription"]
                         ["AssociationVersion"], "2")
        self.assertError("InvalidAssociationVersion", "The version you specified is not valid. Use "
                         "ListAssociationVersions to view all versions of an association according to the association "
                         "ID. Or, use the $LATEST parameter to view the latest version of the association.",
                         self.ssm.describe_association, AssociationId=aid, AssociationVersion="7")
        versions = self.ssm.list_association_versions(AssociationId=aid)["AssociationVersions"]
        self.assertEqual([(v["AssociationVersion"], v["ScheduleExpression"]) for v in versions],
                         [("1", "rate(30 minutes)"), ("2", "rate(1 hour)")])
        listed = self.ssm.list_associations(AssociationFilterList=[{"key": "InstanceId", "value": instance}])
        self.assertEqual([(x["AssociationId"], x["AssociationVersion"]) for x in listed["Associations"]], [(aid, "2")])
        self.assertEqual(self.ssm.list_tags_for_resource(ResourceType="Association", ResourceId=aid)["TagList"],
                         [{"Key": "team", "Value": "ops"}])
        self.ssm.delete_association(AssociationId=aid)
        self.assertError("AssociationDoesNotExist", MISSING, self.ssm.describe_association, AssociationId=aid)
        self.assertError("AssociationDoesNotExist", MISSING, self.ssm.delete_association, AssociationId=aid)
        self.assertError("AssociationDoesNotExist", MISSING, self.ssm.list_association_versions, AssociationId=aid)

    def test_documents_and_paging(self):
        self.assertError("InvalidDocument", "The specified document does not exist.", self.ssm.create_association,
                         Name="NoSuchDoc-" + TAG.replace(".", ""), Targets=[{"Key": "tag:env", "Values": ["dev"]}])
        doc = "Mine-" + TAG.replace(".", "")
        self.ssm.create_document(Name=doc, Content='{"schemaVersion": "2.2", "mainSteps": []}')
        ids = [self.ssm.create_association(Name=doc, Targets=[{"Key": "tag:n", "Values": [str(i)]}])
               ["AssociationDescription"]["AssociationId"] for i in range(3)]
        got, kw = [], {"MaxResults": 1, "AssociationFilterList": [{"key": "Name", "value": doc}]}
        while True:
            r = self.ssm.list_associations(**kw)
            self.assertLessEqual(len(r["Associations"]), 1)
            got += [x["AssociationId"] for x in r["Associations"]]
            if "NextToken" not in r:
                break
            kw["NextToken"] = r["NextToken"]
        self.assertEqual(sorted(got), sorted(ids))


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "AssociationCases", (1, 40),
                               dict(aws_env(), NB_SSM_URL=ssm_e2e.server_url()))


if __name__ == "__main__":
    unittest.main()
