"""SSM documents answered from state: CreateDocument, GetDocument and DescribeDocument by version
and version name, UpdateDocument, the default version, ListDocumentVersions, ListDocuments with
filters and paging, tags, DeleteDocument (one version or all), and AWS's errors, with boto3 1.29
and again with the newer boto3."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
import ssm_e2e  # noqa: E402
from ssm_e2e import Case, TAG  # noqa: E402
from nimbus_server import aws_env, rerun_with_newer_boto3  # noqa: E402

CONTENT = {"schemaVersion": "2.2", "description": "Say hello",
           "parameters": {"who": {"type": "String", "description": "whom", "default": "world"}},
           "mainSteps": [{"action": "aws:runShellScript", "name": "hello",
                          "inputs": {"runCommand": ["echo hello {{ who }}"]}}]}


def setUpModule():
    ssm_e2e.start()


def tearDownModule():
    ssm_e2e.stop()


class DocumentCases(Case):
    def doc(self, base):
        return "%s-%s" % (base, TAG.replace(".", ""))

    def test_versions(self):
        name = self.doc("Hello")
        d = self.ssm.create_document(Name=name, Content=json.dumps(CONTENT), DocumentType="Command",
                                     VersionName="first", Tags=[{"Key": "team", "Value": "ops"}])["DocumentDescription"]
        self.assertEqual((d["Name"], d["DocumentVersion"], d["LatestVersion"], d["DefaultVersion"], d["Status"]),
                         (name, "1", "1", "1", "Active"))
        self.assertEqual((d["Description"], d["SchemaVersion"], d["HashType"], d["DocumentFormat"]),
                         ("Say hello", "2.2", "Sha256", "JSON"))
        self.assertEqual(d["Parameters"], [{"Name": "who", "Type": "String", "Description": "whom",
                                            "DefaultValue": "world"}])
        self.assertEqual(len(d["Hash"]), 64)
        self.assertError("DocumentAlreadyExists", "The specified document already exists.",
                         self.ssm.create_document, Name=name, Content=json.dumps(CONTENT))
        changed = dict(CONTENT, description="Say hello twice")
        self.assertError("DuplicateDocumentContent", "The content of the association document matches another "
                         "document. Change the content of the document and try again.", self.ssm.update_document,
                         Name=name, Content=json.dumps(CONTENT), DocumentVersion="$LATEST")
        self.assertError("DuplicateDocumentVersionName", "The specified version name is a duplicate.",
                         self.ssm.update_document, Name=name, Content=json.dumps(changed), VersionName="first",
                         DocumentVersion="$LATEST")
        u = self.ssm.update_document(Name=name, Content=json.dumps(changed), VersionName="second",
                                     DocumentVersion="1")["DocumentDescription"]
        self.assertEqual((u["DocumentVersion"], u["LatestVersion"], u["DefaultVersion"]), ("2", "2", "1"))
        self.assertError("InvalidDocumentVersion", "The document version is not valid or does not exist.",
                         self.ssm.update_document, Name=name, Content="{}", DocumentVersion="1")
        self.assertEqual(json.loads(self.ssm.get_document(Name=name)["Content"])["description"], "Say hello")
        g = self.ssm.get_document(Name=name, DocumentVersion="$LATEST")
        self.assertEqual((g["DocumentVersion"], g["VersionName"]), ("2", "second"))
        self.assertEqual(self.ssm.get_document(Name=name, VersionName="second")["DocumentVersion"], "2")
        self.assertError("InvalidDocumentVersion", "The document version is not valid or does not exist.",
                         self.ssm.get_document, Name=name, DocumentVersion="9")
        r = self.ssm.update_document_default_version(Name=name, DocumentVersion="2")["Description"]
        self.assertEqual((r["DefaultVersion"], r["DefaultVersionName"]), ("2", "second"))
        self.assertEqual(self.ssm.describe_document(Name=name)["Document"]["Description"], "Say hello twice")
        versions = self.ssm.list_document_versions(Name=name)["DocumentVersions"]
        self.assertEqual([(v["DocumentVersion"], v["IsDefaultVersion"]) for v in versions], [("1", False), ("2", True)])
        self.assertEqual(self.ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"],
                         [{"Key": "team", "Value": "ops"}])
        self.assertError("InvalidDocumentOperation", "Default version of the document can't be deleted.",
                         self.ssm.delete_document, Name=name, DocumentVersion="2")
        self.ssm.delete_document(Name=name, DocumentVersion="1")
        self.assertEqual([v["DocumentVersion"] for v in self.ssm.list_document_versions(Name=name)["DocumentVersions"]],
                         ["2"])
        self.ssm.delete_document(Name=name)
        self.assertError("InvalidDocument", "The specified document does not exist.", self.ssm.get_document, Name=name)
        self.assertError("InvalidDocument", "The specified document does not exist.", self.ssm.delete_document,
                         Name=name)

    def test_errors(self):
        self.assertError("InvalidDocumentContent", "The content for the document is not valid.",
                         self.ssm.create_document, Name=self.doc("Broken"), Content="{not json")
        self.assertError("ValidationException", "Document name can't be prefixed with \"aws\", \"amazon\" or \"amzn\" "
                         "(case-insensitive).", self.ssm.create_document, Name="AWS-Mine", Content="{}")
        # YAML is kept as given
        yaml_doc = self.doc("Yaml")
        self.ssm.create_document(Name=yaml_doc, Content="schemaVersion: '2.2'\nmainSteps: []\n",
                                 DocumentFormat="YAML")
        self.assertEqual(self.ssm.get_document(Name=yaml_doc)["DocumentFormat"], "YAML")

    def test_list(self):
        names = [self.doc("List%d" % i) for i in range(3)]
        for n in names:
            self.ssm.create_document(Name=n, Content=json.dumps(CONTENT),
                                     DocumentType="Automation" if n == names[0] else "Command")
        got, kw = [], {"MaxResults": 1, "Filters": [{"Key": "Owner", "Values": ["Self"]}]}
        while True:
            r = self.ssm.list_documents(**kw)
            got += [d["Name"] for d in r["DocumentIdentifiers"]]
            if "NextToken" not in r:
                break
            kw["NextToken"] = r["NextToken"]
        self.assertTrue(set(names) <= set(got), got)
        r = self.ssm.list_documents(Filters=[{"Key": "DocumentType", "Values": ["Automation"]}])
        self.assertIn(names[0], [d["Name"] for d in r["DocumentIdentifiers"]])
        self.assertNotIn(names[1], [d["Name"] for d in r["DocumentIdentifiers"]])
        r = self.ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Amazon"]}])
        self.assertEqual(r["DocumentIdentifiers"], [])


class Clients(unittest.TestCase):
    def test_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "DocumentCases", (1, 40),
                               dict(aws_env(), NB_SSM_URL=ssm_e2e.server_url()))


if __name__ == "__main__":
    unittest.main()
