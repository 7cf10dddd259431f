"""End-to-end IAM: AWS managed policies served from plugins/iam/aws_managed_policies.gz, whose
documents the plugin inflates one block at a time. The file is read here on its own (gzip member
by member) and what the server answers is checked against it: names, paths, versions, and the
documents of policies at each block's edges, where an offset off by one would show."""
import json, os, sys, unittest, zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iam_e2e import IamTestCase, name  # noqa: E402
from iam_e2e import start as setUpModule, stop as tearDownModule  # noqa: E402,F401
from nimbus_server import SOURCE_DIR  # noqa: E402

DATA = os.path.join(SOURCE_DIR, "plugins", "iam", "aws_managed_policies.gz")
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def members(raw):
    """The inflated gzip members of raw, with their compressed sizes."""
    out = []
    while raw:
        z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        text = z.decompress(raw)
        out.append((text, len(raw) - len(z.unused_data)))
        raw = z.unused_data
    return out


def read_data():
    with open(DATA, "rb") as f:
        parts = members(f.read())
    lines = parts[0][0].decode().split("\n")
    sizes = [int(s) for s in lines[1].split()]
    blocks = [text for text, _ in parts[1:]]
    policies = []
    for line in lines[2:]:
        if line:
            n, path, version, _, _, block, start, length = line.split("\t")
            doc = blocks[int(block)][int(start):int(start) + int(length)]
            policies.append({"name": n, "path": path, "version": version, "block": int(block), "doc": doc})
    return json.loads(lines[0]), sizes, [size for _, size in parts[1:]], policies


class AwsManagedPolicies(IamTestCase):
    @classmethod
    def setUpClass(cls):
        cls.source, cls.sizes, cls.member_sizes, cls.policies = read_data()

    def arn(self, p):
        return "arn:aws:iam::aws:policy%s%s" % (p["path"], p["name"])

    def test_file_is_consistent(self):
        self.assertEqual(self.sizes, self.member_sizes)
        self.assertEqual(self.source["count"], len(self.policies))
        names = [p["name"].encode() for p in self.policies]
        self.assertEqual(names, sorted(set(names)))  # the plugin searches them by name

    def test_documents_at_block_edges(self):
        edges = {}
        for p in self.policies:
            edges.setdefault(p["block"], []).append(p)
        picked = [p for rows in edges.values() for p in {id(r): r for r in (rows[0], rows[-1])}.values()]
        self.assertGreater(len(edges), 1)
        for p in picked:
            got = self.iam.get_policy(PolicyArn=self.arn(p))["Policy"]
            self.assertEqual((got["PolicyName"], got["Path"], got["DefaultVersionId"], got["Arn"]),
                             (p["name"], p["path"], p["version"], self.arn(p)))
            v = self.iam.get_policy_version(PolicyArn=self.arn(p), VersionId=p["version"])["PolicyVersion"]
            self.assertEqual(v["Document"], json.loads(p["doc"]), p["name"])
            self.assertTrue(v["IsDefaultVersion"])

    def test_administrator_access(self):
        v = self.iam.get_policy_version(PolicyArn=ADMIN, VersionId="v1")["PolicyVersion"]
        self.assertEqual(v["Document"]["Statement"], [{"Effect": "Allow", "Action": "*", "Resource": "*"}])

    def test_unknown_or_wrong_path_is_no_such_entity(self):
        for arn in ("arn:aws:iam::aws:policy/service-role/AdministratorAccess",
                    "arn:aws:iam::aws:policy/AdministratorAccessX", "arn:aws:iam::aws:policy/Administrator",
                    "arn:aws:iam::aws:policy/"):
            self.assertEqual(self.error(self.iam.get_policy, PolicyArn=arn)[0], "NoSuchEntity", arn)

    def test_list_scope_aws_is_the_whole_index(self):
        got = []
        for page in self.iam.get_paginator("list_policies").paginate(Scope="AWS"):
            got += [(p["PolicyName"], p["Path"], p["DefaultVersionId"]) for p in page["Policies"]]
        self.assertEqual(sorted(got), sorted((p["name"], p["path"], p["version"]) for p in self.policies))

    def test_authorization_details_carry_the_document(self):
        role = name("aws-doc-role")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        self.iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        self.addCleanup(self.iam.delete_role, RoleName=role)
        last = self.policies[-1]
        self.iam.attach_role_policy(RoleName=role, PolicyArn=self.arn(last))
        self.addCleanup(self.iam.detach_role_policy, RoleName=role, PolicyArn=self.arn(last))
        details = self.iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"]
        mine = [p for p in details if p["Arn"] == self.arn(last)]
        self.assertEqual(len(mine), 1)
        self.assertEqual([v["Document"] for v in mine[0]["PolicyVersionList"]], [json.loads(last["doc"])])


if __name__ == "__main__":
    unittest.main()
