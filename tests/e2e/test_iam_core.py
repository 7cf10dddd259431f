"""End-to-end IAM: roles, managed policies and versions, attachments, inline policies, instance
profiles, users, groups, access keys and login profiles, with AWS's errors as boto3 raises them.
IamCases runs in Debian's boto3 (1.29) and again in pyenv's (1.4x) against the same server."""
import json, os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iam_e2e import ACCOUNT, IamTestCase, TAG, name, server_url  # noqa: E402,F401
from iam_e2e import start as setUpModule, stop as tearDownModule  # noqa: E402,F401
from nimbus_server import rerun_with_newer_boto3  # noqa: E402

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def doc(*actions, effect="Allow", resource="*"):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": effect, "Action": list(actions), "Resource": resource}]})


class IamCases(IamTestCase):
    def test_terraform_like_sequence(self):
        iam, role, profile = self.iam, name("app"), name("app-profile")
        r = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST, Description="app role",
                            MaxSessionDuration=7200, Tags=[{"Key": "team", "Value": "a"}])["Role"]
        self.assertTrue(r["RoleId"].startswith("AROA") and len(r["RoleId"]) == 20, r["RoleId"])
        self.assertEqual(r["Arn"], "arn:aws:iam::%s:" % ACCOUNT + "role/" + role)
        # the trust policy comes back decoded by the client from IAM's URL encoding
        self.assertEqual(r["AssumeRolePolicyDocument"], json.loads(TRUST))
        custom = iam.create_policy(PolicyName=name("bucket-read"), PolicyDocument=doc("s3:GetObject"),
                                   Description="read")["Policy"]
        self.assertTrue(custom["PolicyId"].startswith("ANPA"))
        self.assertEqual((custom["DefaultVersionId"], custom["AttachmentCount"]), ("v1", 0))
        admin = "arn:aws:iam::aws:policy/AdministratorAccess"
        iam.attach_role_policy(RoleName=role, PolicyArn=admin)
        iam.attach_role_policy(RoleName=role, PolicyArn=custom["Arn"])
        iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=doc("sqs:SendMessage"))
        ip = iam.create_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
        self.assertTrue(ip["InstanceProfileId"].startswith("AIPA"))
        self.assertEqual(ip["Roles"], [])
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)

        got = iam.get_role(RoleName=role)["Role"]
        self.assertEqual((got["MaxSessionDuration"], got["Description"]), (7200, "app role"))
        self.assertEqual(got["Tags"], [{"Key": "team", "Value": "a"}])
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        self.assertEqual(sorted(p["PolicyArn"] for p in attached), sorted([admin, custom["Arn"]]))
        self.assertEqual(iam.list_role_policies(RoleName=role)["PolicyNames"], ["inline"])
        inline = iam.get_role_policy(RoleName=role, PolicyName="inline")
        self.assertEqual(inline["PolicyDocument"], json.loads(doc("sqs:SendMessage")))
        self.assertEqual(iam.get_policy(PolicyArn=custom["Arn"])["Policy"]["AttachmentCount"], 1)
        profiles = iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
        self.assertEqual([p["InstanceProfileName"] for p in profiles], [profile])
        self.assertEqual(iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"][0]
                         ["RoleName"], role)
        details = iam.get_account_authorization_details(Filter=["Role", "LocalManagedPolicy", "AWSManagedPolicy"])
        mine = [r for r in details["RoleDetailList"] if r["RoleName"] == role][0]
        self.assertEqual(mine["RolePolicyList"], [{"PolicyName": "inline",
                                                   "PolicyDocument": json.loads(doc("sqs:SendMessage"))}])
        self.assertEqual([p["InstanceProfileName"] for p in mine["InstanceProfileList"]], [profile])
        policies = {p["Arn"]: p for p in details["Policies"]}
        self.assertIn(admin, policies)  # AWS managed policies are listed when in use
        self.assertEqual(policies[custom["Arn"]]["PolicyVersionList"][0]["Document"], json.loads(doc("s3:GetObject")))
        ents = iam.list_entities_for_policy(PolicyArn=custom["Arn"])
        self.assertEqual([x["RoleName"] for x in ents["PolicyRoles"]], [role])

        # deleting in the wrong order is refused, each with AWS's message
        self.assertEqual(self.error(iam.delete_policy, PolicyArn=custom["Arn"]),
                         ("DeleteConflict", "Cannot delete a policy attached to entities.", 409))
        self.assertEqual(self.error(iam.delete_role, RoleName=role),
                         ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409))
        iam.delete_role_policy(RoleName=role, PolicyName="inline")
        self.assertEqual(self.error(iam.delete_role, RoleName=role)[1],
                         "Cannot delete entity, must detach all policies first.")
        iam.detach_role_policy(RoleName=role, PolicyArn=admin)
        iam.detach_role_policy(RoleName=role, PolicyArn=custom["Arn"])
        self.assertEqual(self.error(iam.delete_role, RoleName=role)[1],
                         "Cannot delete entity, must remove roles from instance profile first.")
        self.assertEqual(self.error(iam.delete_instance_profile, InstanceProfileName=profile)[1],
                         "Cannot delete entity, must remove roles from instance profile first.")
        iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
        iam.delete_instance_profile(InstanceProfileName=profile)
        iam.delete_role(RoleName=role)
        iam.delete_policy(PolicyArn=custom["Arn"])
        self.assertEqual(self.error(iam.get_role, RoleName=role),
                         ("NoSuchEntity", "The role with name %s cannot be found." % role, 404))
        self.assertEqual(self.error(iam.get_instance_profile, InstanceProfileName=profile)[1],
                         "Instance Profile %s cannot be found." % profile)

    def test_role_errors(self):
        iam, role = self.iam, name("errs")
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
        self.addCleanup(iam.delete_role, RoleName=role)
        self.assertEqual(self.error(iam.create_role, RoleName=role, AssumeRolePolicyDocument=TRUST),
                         ("EntityAlreadyExists", "Role with name %s already exists." % role, 409))
        self.assertEqual(self.error(iam.create_role, RoleName=name("bad"), AssumeRolePolicyDocument="{nope"),
                         ("MalformedPolicyDocument", "Syntax errors in policy.", 400))
        with_resource = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Resource": "*"}]})
        self.assertEqual(self.error(iam.create_role, RoleName=name("bad"), AssumeRolePolicyDocument=with_resource)[1],
                         "Has prohibited field Resource.")
        nobody = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})
        self.assertEqual(self.error(iam.create_role, RoleName=name("bad"), AssumeRolePolicyDocument=nobody)[:2],
                         ("MalformedPolicyDocument", "Invalid principal in policy: com.amazon.balsa.error."
                          "InvalidPolicyException: The passed in policy has a statement with no principals!"))
        with_principal = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}]})
        self.assertEqual(self.error(iam.put_role_policy, RoleName=role, PolicyName="p",
                                    PolicyDocument=with_principal)[:2],
                         ("MalformedPolicyDocument", "Policy document should not specify a principal."))
        self.assertEqual(self.error(iam.create_role, RoleName=name("bad"), AssumeRolePolicyDocument=TRUST,
                                    MaxSessionDuration=60)[0], "ValidationError")
        missing = "arn:aws:iam::%s:" % ACCOUNT + "policy/none"
        self.assertEqual(self.error(iam.attach_role_policy, RoleName=role, PolicyArn=missing),
                         ("NoSuchEntity", "Policy %s does not exist or is not attachable." % missing, 404))
        self.assertEqual(self.error(iam.get_role_policy, RoleName=role, PolicyName="none")[1],
                         "The role policy with name none cannot be found.")
        self.assertEqual(self.error(iam.attach_role_policy, RoleName=name("ghost"),
                                    PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")[1],
                         "The role with name %s cannot be found." % name("ghost"))
        big = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject%05d" % i for i in range(700)], "Resource": "*"}]})
        self.assertEqual(self.error(iam.put_role_policy, RoleName=role, PolicyName="big", PolicyDocument=big)[:2],
                         ("LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role %s" % role))
        # update, description, boundary, tags
        iam.update_role(RoleName=role, Description="d2", MaxSessionDuration=3600 * 4)
        self.assertEqual(iam.update_role_description(RoleName=role, Description="d3")["Role"]["Description"], "d3")
        new_trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=new_trust)
        boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
        iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
        got = iam.get_role(RoleName=role)["Role"]
        self.assertEqual(got["AssumeRolePolicyDocument"], json.loads(new_trust))
        self.assertEqual(got["MaxSessionDuration"], 14400)
        self.assertEqual(got["PermissionsBoundary"], {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                                      "PermissionsBoundaryArn": boundary})
        missing = "arn:aws:iam::%s:policy/no-such-boundary" % ACCOUNT
        self.assertEqual(self.error(iam.put_role_permissions_boundary, RoleName=role, PermissionsBoundary=missing),
                         ("NoSuchEntity", "Scope ARN: %s does not exist or is not attachable." % missing, 404))
        iam.delete_role_permissions_boundary(RoleName=role)
        self.assertNotIn("PermissionsBoundary", iam.get_role(RoleName=role)["Role"])
        # at most 10 managed policies per role
        aws = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=11)["Policies"]]
        for arn in aws[:10]:
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        self.assertEqual(self.error(iam.attach_role_policy, RoleName=role, PolicyArn=aws[10]),
                         ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10", 409))
        self.assertEqual(self.error(iam.detach_role_policy, RoleName=role, PolicyArn=aws[10])[:2],
                         ("NoSuchEntity", "Policy %s was not found." % aws[10]))
        for arn in aws[:10]:
            iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        iam.tag_role(RoleName=role, Tags=[{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}])
        iam.untag_role(RoleName=role, TagKeys=["k1"])
        self.assertEqual(iam.list_role_tags(RoleName=role)["Tags"], [{"Key": "k2", "Value": "v2"}])

    def test_policy_documents_validated(self):
        iam = self.iam
        cases = [
            ("{", "Syntax errors in policy."),
            (json.dumps({"Version": "2012-10-17"}), "Syntax errors in policy."),
            (json.dumps({"Version": "2012-10-17", "Statement": [{"Action": "s3:*", "Resource": "*"}]}),
             "Syntax errors in policy."),
            (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}),
             "Policy statement must contain actions."),
            (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
             "Policy statement must contain resources."),
            (json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
             "Policy document must be version 2012-10-17 or greater."),
            (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "GetObject",
                                                                 "Resource": "*"}]}),
             "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ]
        for text, message in cases:
            self.assertEqual(self.error(iam.create_policy, PolicyName=name("bad"), PolicyDocument=text),
                             ("MalformedPolicyDocument", message, 400), text)
        big = doc(*["s3:GetObject%05d" % i for i in range(400)])
        self.assertEqual(self.error(iam.create_policy, PolicyName=name("big"), PolicyDocument=big)[:2],
                         ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144"))

    def test_policy_versions(self):
        iam = self.iam
        arn = iam.create_policy(PolicyName=name("versions"), PolicyDocument=doc("s3:GetObject"),
                                Path="/team/")["Policy"]["Arn"]
        self.assertEqual(arn, "arn:aws:iam::%s:" % ACCOUNT + "policy/team/" + name("versions"))
        self.assertEqual(self.error(iam.create_policy, PolicyName=name("versions"), PolicyDocument=doc("s3:*"))[:2],
                         ("EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed."
                          % name("versions")))
        for i in range(2, 6):
            v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc("s3:Get%d" % i),
                                          SetAsDefault=(i == 3))["PolicyVersion"]
            self.assertEqual((v["VersionId"], v["IsDefaultVersion"]), ("v%d" % i, i == 3))
        self.assertEqual(self.error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc("s3:*")),
                         ("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new "
                          "version, you must delete an existing version.", 409))
        self.assertEqual(iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v3")
        self.assertEqual(iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"],
                         json.loads(doc("s3:Get3")))
        self.assertEqual(self.error(iam.delete_policy_version, PolicyArn=arn, VersionId="v3")[:2],
                         ("DeleteConflict", "Cannot delete the default version of a policy."))
        self.assertEqual(self.error(iam.get_policy_version, PolicyArn=arn, VersionId="v9")[:2],
                         ("NoSuchEntity", "Policy %s version v9 does not exist or is not attachable." % arn))
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        self.assertEqual([(v["VersionId"], v["IsDefaultVersion"]) for v in versions],
                         [("v5", True), ("v4", False), ("v3", False), ("v2", False), ("v1", False)])
        self.assertEqual(self.error(iam.delete_policy, PolicyArn=arn)[0], "DeleteConflict")
        for v in ("v1", "v2", "v3", "v4"):
            iam.delete_policy_version(PolicyArn=arn, VersionId=v)
        local = iam.list_policies(Scope="Local", PathPrefix="/team/")["Policies"]
        self.assertIn(arn, [p["Arn"] for p in local])
        iam.delete_policy(PolicyArn=arn)
        self.assertEqual(self.error(iam.get_policy, PolicyArn=arn)[:2],
                         ("NoSuchEntity", "Policy %s does not exist or is not attachable." % arn))

    def test_aws_managed_policies(self):
        iam = self.iam
        admin = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
        self.assertEqual((admin["PolicyName"], admin["Path"]), ("AdministratorAccess", "/"))
        v = iam.get_policy_version(PolicyArn=admin["Arn"], VersionId=admin["DefaultVersionId"])["PolicyVersion"]
        self.assertEqual(v["Document"]["Statement"], [{"Effect": "Allow", "Action": "*", "Resource": "*"}])
        lam = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")["Policy"]
        self.assertEqual(lam["Path"], "/service-role/")
        names, marker, pages = set(), None, 0
        while True:
            kw = {"Marker": marker} if marker else {}
            page = iam.list_policies(Scope="AWS", MaxItems=500, **kw)
            names.update(p["PolicyName"] for p in page["Policies"])
            pages += 1
            if not page["IsTruncated"]:
                break
            marker = page["Marker"]
        self.assertGreater(pages, 1)
        self.assertGreater(len(names), 1000)
        self.assertIn("ReadOnlyAccess", names)
        self.assertEqual(self.error(iam.get_policy, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyHere")[0],
                         "NoSuchEntity")
        self.assertEqual(self.error(iam.delete_policy, PolicyArn=admin["Arn"])[0], "AccessDenied")

    def test_users_groups_and_keys(self):
        iam, user, group = self.iam, name("alice"), name("devs")
        u = iam.create_user(UserName=user, Path="/people/")["User"]
        self.assertTrue(u["UserId"].startswith("AIDA"))
        self.assertEqual(u["Arn"], "arn:aws:iam::%s:" % ACCOUNT + "user/people/" + user)
        g = iam.create_group(GroupName=group)["Group"]
        self.assertTrue(g["GroupId"].startswith("AGPA"))
        iam.add_user_to_group(GroupName=group, UserName=user)
        got = iam.get_group(GroupName=group)
        self.assertEqual([x["UserName"] for x in got["Users"]], [user])
        self.assertEqual([x["GroupName"] for x in iam.list_groups_for_user(UserName=user)["Groups"]], [group])
        self.assertEqual(self.error(iam.delete_group, GroupName=group)[:2],
                         ("DeleteConflict", "Cannot delete entity, must remove users from group first."))
        iam.put_group_policy(GroupName=group, PolicyName="g", PolicyDocument=doc("ec2:Describe*"))
        self.assertEqual(iam.list_group_policies(GroupName=group)["PolicyNames"], ["g"])
        iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        iam.put_user_policy(UserName=user, PolicyName="u", PolicyDocument=doc("s3:ListBucket"))
        self.assertEqual(self.error(iam.put_user_policy, UserName=user, PolicyName="big",
                                    PolicyDocument=doc(*["s3:Get%04d" % i for i in range(200)]))[0], "LimitExceeded")

        k1 = iam.create_access_key(UserName=user)["AccessKey"]
        self.assertTrue(k1["AccessKeyId"].startswith("AKIA") and len(k1["AccessKeyId"]) == 20)
        self.assertEqual((len(k1["SecretAccessKey"]), k1["Status"]), (40, "Active"))
        iam.create_access_key(UserName=user)
        self.assertEqual(self.error(iam.create_access_key, UserName=user),
                         ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409))
        iam.update_access_key(UserName=user, AccessKeyId=k1["AccessKeyId"], Status="Inactive")
        keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}
        self.assertEqual(keys[k1["AccessKeyId"]], "Inactive")
        used = iam.get_access_key_last_used(AccessKeyId=k1["AccessKeyId"])
        self.assertEqual(used["UserName"], user)
        self.assertEqual(used["AccessKeyLastUsed"]["ServiceName"], "N/A")
        iam.create_login_profile(UserName=user, Password="Secret-1234", PasswordResetRequired=True)
        self.assertEqual(self.error(iam.create_login_profile, UserName=user, Password="x-Secret-1234")[:2],
                         ("EntityAlreadyExists", "Login Profile for user %s already exists." % user))
        self.assertTrue(iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"])

        self.assertEqual(self.error(iam.delete_user, UserName=user)[:2],
                         ("DeleteConflict", "Cannot delete entity, must delete policies first."))
        iam.delete_user_policy(UserName=user, PolicyName="u")
        self.assertEqual(self.error(iam.delete_user, UserName=user)[1],
                         "Cannot delete entity, must remove users from group first.")
        iam.remove_user_from_group(GroupName=group, UserName=user)
        self.assertEqual(self.error(iam.delete_user, UserName=user)[1],
                         "Cannot delete entity, must delete access keys first.")
        for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
        self.assertEqual(self.error(iam.delete_access_key, UserName=user, AccessKeyId=k1["AccessKeyId"])[:2],
                         ("NoSuchEntity", "The Access Key with id %s cannot be found." % k1["AccessKeyId"]))
        self.assertEqual(self.error(iam.delete_user, UserName=user)[1],
                         "Cannot delete entity, must delete login profile first.")
        iam.delete_login_profile(UserName=user)
        self.assertEqual(self.error(iam.get_login_profile, UserName=user)[:2],
                         ("NoSuchEntity", "Login Profile for User %s cannot be found." % user))
        iam.delete_user(UserName=user)
        self.assertEqual(self.error(iam.get_user, UserName=user)[:2],
                         ("NoSuchEntity", "The user with name %s cannot be found." % user))
        self.assertEqual(self.error(iam.delete_group, GroupName=group)[1],
                         "Cannot delete entity, must delete policies first.")
        iam.delete_group_policy(GroupName=group, PolicyName="g")
        iam.detach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        iam.delete_group(GroupName=group)

    def test_paging(self):
        iam = self.iam
        made = [name("page%02d" % i) for i in range(7)]
        for n in made:
            iam.create_user(UserName=n, Path="/paging-%s/" % TAG)
            self.addCleanup(iam.delete_user, UserName=n)
        seen, marker = [], None
        while True:
            kw = {"Marker": marker} if marker else {}
            page = iam.list_users(PathPrefix="/paging-%s/" % TAG, MaxItems=3, **kw)
            self.assertLessEqual(len(page["Users"]), 3)
            seen += [u["UserName"] for u in page["Users"]]
            if not page["IsTruncated"]:
                self.assertNotIn("Marker", page)
                break
            marker = page["Marker"]
        self.assertEqual(seen, sorted(made))
        paginated = [u["UserName"] for p in iam.get_paginator("list_users").paginate(
            PathPrefix="/paging-%s/" % TAG, PaginationConfig={"PageSize": 2}) for u in p["Users"]]
        self.assertEqual(paginated, sorted(made))

    def test_service_linked_role(self):
        iam = self.iam
        r = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com",
                                           CustomSuffix=TAG)["Role"]
        self.assertEqual(r["Path"], "/aws-service-role/elasticbeanstalk.amazonaws.com/")
        self.assertEqual(r["RoleName"], "AWSServiceRoleForElasticbeanstalk_" + TAG)
        self.assertEqual(self.error(iam.create_service_linked_role, AWSServiceName="notaservice"),
                         ("InvalidInput", "Service principal notaservice is not a valid service principal.", 400))
        task = iam.delete_service_linked_role(RoleName=r["RoleName"])["DeletionTaskId"]
        self.assertEqual(iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"], "SUCCEEDED")
        self.assertEqual(self.error(iam.get_role, RoleName=r["RoleName"])[0], "NoSuchEntity")


class NewerBoto3(unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_IAM_URL"), "runs once, in the parent")
    def test_every_case_with_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "IamCases", (1, 40), dict(os.environ, NB_IAM_URL=server_url()))


if __name__ == "__main__":
    unittest.main()
