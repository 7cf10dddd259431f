"""End-to-end IAM beyond roles and users: MFA devices, SSH keys, server and signing certificates,
OIDC and SAML providers, service specific credentials, the account (alias, password policy,
summary, authorization details, credential report, STS preferences), policy simulation, tags on
every taggable resource, reports answered empty, and every operation of the spec answered
(none 501). MoreCases runs in Debian's boto3 and again in pyenv's."""
import json, os, sys, unittest, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iam_e2e import ACCOUNT, IamTestCase, TAG, name, server_url  # noqa: E402,F401
from iam_e2e import start as setUpModule, stop as tearDownModule  # noqa: E402,F401
from nimbus_server import SOURCE_DIR, rerun_with_newer_boto3  # noqa: E402

import boto3  # noqa: E402

CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ29tZSB0ZXN0IGNlcnQ=\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----"
SSH = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 test@nimbus"


def policy(*actions, effect="Allow", resource="*", condition=None):
    st = {"Effect": effect, "Action": list(actions), "Resource": resource}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


class MoreCases(IamTestCase):
    def error(self, fn, **kw):
        return super().error(fn, **kw)[:2]

    def user(self, base):
        u = name(base)
        self.iam.create_user(UserName=u)
        return u

    def test_mfa_devices(self):
        iam, user = self.iam, self.user("mfa")
        d = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("phone"))["VirtualMFADevice"]
        serial = d["SerialNumber"]
        self.assertEqual(serial, "arn:aws:iam::%s:mfa/%s" % (ACCOUNT, name("phone")))
        self.assertTrue(d["Base32StringSeed"])
        self.assertEqual(self.error(iam.create_virtual_mfa_device, VirtualMFADeviceName=name("phone"))[0],
                         "EntityAlreadyExists")
        iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")
        self.assertEqual([m["SerialNumber"] for m in iam.list_mfa_devices(UserName=user)["MFADevices"]], [serial])
        self.assertEqual(iam.list_mfa_devices()["MFADevices"], [])  # the caller's, the root's: none
        assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
        self.assertIn(serial, [x["SerialNumber"] for x in assigned])
        self.assertEqual(self.error(iam.delete_user, UserName=user),
                         ("DeleteConflict", "Cannot delete entity, must delete MFA device first."))
        iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(iam.list_mfa_device_tags(SerialNumber=serial)["Tags"], [{"Key": "k", "Value": "v"}])
        iam.untag_mfa_device(SerialNumber=serial, TagKeys=["k"])
        iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
        unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
        self.assertIn(serial, [x["SerialNumber"] for x in unassigned])
        iam.delete_virtual_mfa_device(SerialNumber=serial)
        self.assertEqual(self.error(iam.delete_virtual_mfa_device, SerialNumber=serial),
                         ("NoSuchEntity", "VirtualMFADevice with serial number %s doesn't exist." % serial))
        iam.delete_user(UserName=user)

    def test_ssh_keys_and_signing_certificates(self):
        iam, user = self.iam, self.user("keys")
        k = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=SSH)["SSHPublicKey"]
        self.assertTrue(k["SSHPublicKeyId"].startswith("APKA"))
        self.assertEqual((k["Status"], k["SSHPublicKeyBody"]), ("Active", SSH))
        iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=k["SSHPublicKeyId"], Status="Inactive")
        got = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=k["SSHPublicKeyId"], Encoding="SSH")
        self.assertEqual(got["SSHPublicKey"]["Status"], "Inactive")
        self.assertEqual(len(iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]), 1)
        c = iam.upload_signing_certificate(UserName=user, CertificateBody=CERT)["Certificate"]
        self.assertEqual((c["Status"], c["UserName"]), ("Active", user))
        iam.update_signing_certificate(UserName=user, CertificateId=c["CertificateId"], Status="Inactive")
        listed = iam.list_signing_certificates(UserName=user)["Certificates"]
        self.assertEqual([(x["CertificateId"], x["Status"]) for x in listed], [(c["CertificateId"], "Inactive")])
        self.assertEqual(self.error(iam.delete_user, UserName=user)[1],
                         "Cannot delete entity, must remove referenced objects first.")
        iam.delete_signing_certificate(UserName=user, CertificateId=c["CertificateId"])
        iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=k["SSHPublicKeyId"])
        self.assertEqual(self.error(iam.get_ssh_public_key, UserName=user, SSHPublicKeyId=k["SSHPublicKeyId"],
                                    Encoding="SSH"),
                         ("NoSuchEntity", "The Public Key with id %s cannot be found." % k["SSHPublicKeyId"]))
        iam.delete_user(UserName=user)

    def test_server_certificates(self):
        iam, cert = self.iam, name("web")
        meta = iam.upload_server_certificate(ServerCertificateName=cert, CertificateBody=CERT, PrivateKey=KEY,
                                             Path="/cloudfront/", Tags=[{"Key": "a", "Value": "1"}])
        meta = meta["ServerCertificateMetadata"]
        self.assertEqual(meta["Arn"], "arn:aws:iam::%s:server-certificate/cloudfront/%s" % (ACCOUNT, cert))
        self.assertTrue(meta["ServerCertificateId"].startswith("ASCA"))
        got = iam.get_server_certificate(ServerCertificateName=cert)["ServerCertificate"]
        self.assertEqual(got["CertificateBody"], CERT)
        self.assertEqual(got["ServerCertificateMetadata"]["ServerCertificateName"], cert)
        listed = iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
        self.assertIn(cert, [m["ServerCertificateName"] for m in listed])
        self.assertEqual(iam.list_server_certificate_tags(ServerCertificateName=cert)["Tags"],
                         [{"Key": "a", "Value": "1"}])
        self.assertEqual(self.error(iam.upload_server_certificate, ServerCertificateName=cert, CertificateBody=CERT,
                                    PrivateKey=KEY)[0], "EntityAlreadyExists")
        iam.update_server_certificate(ServerCertificateName=cert, NewServerCertificateName=cert + "-2", NewPath="/")
        moved = iam.get_server_certificate(ServerCertificateName=cert + "-2")["ServerCertificate"]
        self.assertEqual(moved["ServerCertificateMetadata"]["Arn"],
                         "arn:aws:iam::%s:server-certificate/%s-2" % (ACCOUNT, cert))
        self.assertEqual(self.error(iam.get_server_certificate, ServerCertificateName=cert)[0], "NoSuchEntity")
        cert += "-2"
        iam.delete_server_certificate(ServerCertificateName=cert)
        self.assertEqual(self.error(iam.get_server_certificate, ServerCertificateName=cert),
                         ("NoSuchEntity", "The Server Certificate with name %s cannot be found." % cert))

    def test_renames_carry_what_refers_to_the_entity(self):
        iam, old, new, group = self.iam, name("before"), name("after"), name("renamed-group")
        iam.create_user(UserName=old)
        iam.create_group(GroupName=group)
        iam.add_user_to_group(GroupName=group, UserName=old)
        key = iam.create_access_key(UserName=old)["AccessKey"]["AccessKeyId"]
        iam.create_login_profile(UserName=old, Password="Secret-1234")
        iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
        self.assertEqual(self.error(iam.get_user, UserName=old)[0], "NoSuchEntity")
        self.assertEqual(iam.get_user(UserName=new)["User"]["Arn"], "arn:aws:iam::%s:user/moved/%s" % (ACCOUNT, new))
        self.assertEqual([k["AccessKeyId"] for k in iam.list_access_keys(UserName=new)["AccessKeyMetadata"]], [key])
        self.assertEqual(iam.get_login_profile(UserName=new)["LoginProfile"]["UserName"], new)
        iam.update_group(GroupName=group, NewGroupName=group + "-2")
        self.assertEqual([g["GroupName"] for g in iam.list_groups_for_user(UserName=new)["Groups"]], [group + "-2"])
        self.assertEqual([u["UserName"] for u in iam.get_group(GroupName=group + "-2")["Users"]], [new])
        iam.remove_user_from_group(GroupName=group + "-2", UserName=new)
        iam.delete_group(GroupName=group + "-2")
        iam.delete_access_key(UserName=new, AccessKeyId=key)
        iam.delete_login_profile(UserName=new)
        iam.delete_user(UserName=new)

    def test_state_per_account_arns_per_partition(self):
        other = boto3.client("iam", endpoint_url=server_url(), region_name="us-east-1",
                             aws_access_key_id="111111111111", aws_secret_access_key="test")
        china = boto3.client("iam", endpoint_url=server_url(), region_name="cn-north-1", aws_access_key_id="test",
                             aws_secret_access_key="test")
        user = name("elsewhere")
        self.assertEqual(other.create_user(UserName=user)["User"]["Arn"], "arn:aws:iam::111111111111:user/" + user)
        self.assertEqual(self.error(self.iam.get_user, UserName=user)[0], "NoSuchEntity")
        self.assertNotIn(user, [u["UserName"] for u in self.iam.list_users()["Users"]])
        # IAM is global: the account's user is seen from any region; a new role takes its region's partition
        mine = self.user("global")
        self.assertEqual(china.get_user(UserName=mine)["User"]["Arn"], "arn:aws:iam::%s:user/%s" % (ACCOUNT, mine))
        self.assertEqual(china.create_role(RoleName=name("cn"), AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))["Role"]["Arn"],
            "arn:aws-cn:iam::%s:role/%s" % (ACCOUNT, name("cn")))
        china.delete_role(RoleName=name("cn"))
        other.delete_user(UserName=user)
        self.iam.delete_user(UserName=mine)

    def test_caller_is_the_root(self):
        iam = self.iam
        me = iam.get_user()["User"]
        self.assertEqual((me["UserId"], me["Arn"]), (ACCOUNT, "arn:aws:iam::%s:root" % ACCOUNT))
        key = iam.create_access_key()["AccessKey"]["AccessKeyId"]
        self.assertIn(key, [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]])
        user = self.user("not-root")
        iam.create_access_key(UserName=user)
        self.assertEqual(len(iam.list_access_keys(UserName=user)["AccessKeyMetadata"]), 1)
        self.assertNotIn(user, [k.get("UserName") for k in iam.list_access_keys()["AccessKeyMetadata"]])
        iam.delete_access_key(AccessKeyId=key)
        for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
        iam.delete_user(UserName=user)

    def test_identity_providers(self):
        iam, host = self.iam, "token.%s.example.com" % TAG
        arn = iam.create_open_id_connect_provider(Url="https://" + host, ClientIDList=["sts.amazonaws.com"],
                                                  ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
        self.assertEqual(arn, "arn:aws:iam::%s:oidc-provider/%s" % (ACCOUNT, host))
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["b" * 40])
        got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        self.assertEqual((got["Url"], got["ClientIDList"], got["ThumbprintList"]),
                         (host, ["sts.amazonaws.com", "app"], ["b" * 40]))
        self.assertIn(arn, [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]])
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"],
                         [{"Key": "k", "Value": "v"}])
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        self.assertEqual(self.error(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)[0],
                         "NoSuchEntity")

        metadata = "<EntityDescriptor entityID='%s'/>" % TAG + "x" * 1000
        saml = iam.create_saml_provider(Name=name("idp"), SAMLMetadataDocument=metadata)["SAMLProviderArn"]
        self.assertEqual(saml, "arn:aws:iam::%s:saml-provider/%s" % (ACCOUNT, name("idp")))
        self.assertEqual(iam.get_saml_provider(SAMLProviderArn=saml)["SAMLMetadataDocument"], metadata)
        self.assertEqual(iam.update_saml_provider(SAMLProviderArn=saml, SAMLMetadataDocument=metadata + "y")
                         ["SAMLProviderArn"], saml)
        self.assertIn(saml, [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]])
        iam.delete_saml_provider(SAMLProviderArn=saml)
        self.assertEqual(self.error(iam.get_saml_provider, SAMLProviderArn=saml)[0], "NoSuchEntity")

    def test_service_specific_credentials(self):
        iam, user = self.iam, self.user("git")
        c = iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
        c = c["ServiceSpecificCredential"]
        self.assertEqual((c["ServiceUserName"], c["Status"]), ("%s-at-%s" % (user, ACCOUNT), "Active"))
        reset = iam.reset_service_specific_credential(UserName=user,
                                                      ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"])
        self.assertNotEqual(reset["ServiceSpecificCredential"]["ServicePassword"], c["ServicePassword"])
        listed = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
        self.assertEqual([x["ServiceSpecificCredentialId"] for x in listed], [c["ServiceSpecificCredentialId"]])
        iam.delete_service_specific_credential(UserName=user,
                                               ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"])
        iam.delete_user(UserName=user)

    def test_account(self):
        iam = self.iam
        iam.create_account_alias(AccountAlias="nimbus-" + TAG.lower())
        self.assertEqual(iam.list_account_aliases()["AccountAliases"], ["nimbus-" + TAG.lower()])
        self.assertEqual(self.error(iam.delete_account_alias, AccountAlias="other"),
                         ("NoSuchEntity", "The account alias other cannot be found."))
        iam.delete_account_alias(AccountAlias="nimbus-" + TAG.lower())
        self.assertEqual(iam.list_account_aliases()["AccountAliases"], [])
        iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, MaxPasswordAge=90)
        p = iam.get_account_password_policy()["PasswordPolicy"]
        self.assertEqual((p["MinimumPasswordLength"], p["RequireSymbols"], p["ExpirePasswords"], p["MaxPasswordAge"]),
                         (12, True, True, 90))
        iam.delete_account_password_policy()
        self.assertEqual(self.error(iam.get_account_password_policy),
                         ("NoSuchEntity", "The Password Policy with domain name %s cannot be found." % ACCOUNT))
        user = self.user("summary")
        summary = iam.get_account_summary()["SummaryMap"]
        self.assertGreaterEqual(summary["Users"], 1)
        self.assertEqual(summary["AccessKeysPerUserQuota"], 2)
        iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
        self.assertEqual(iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"], 2)
        iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
        self.assertEqual(iam.generate_credential_report()["State"], "COMPLETE")
        report = iam.get_credential_report()
        self.assertEqual(report["ReportFormat"], "text/csv")
        lines = report["Content"].decode().splitlines()
        self.assertTrue(lines[0].startswith("user,arn,user_creation_time"))
        self.assertTrue(lines[1].startswith("<root_account>,arn:aws:iam::%s:root" % ACCOUNT))
        self.assertIn(user, [line.split(",")[0] for line in lines])
        iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=policy("s3:GetObject"))
        details = iam.get_account_authorization_details(Filter=["User"])
        mine = [u for u in details["UserDetailList"] if u["UserName"] == user][0]
        self.assertEqual(mine["UserPolicyList"][0]["PolicyDocument"], json.loads(policy("s3:GetObject")))
        self.assertEqual(details["RoleDetailList"], [])
        iam.delete_user_policy(UserName=user, PolicyName="inline")
        iam.delete_user(UserName=user)

    def test_simulation(self):
        iam, user = self.iam, self.user("sim")
        iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::prod-*"},
                {"Effect": "Allow", "NotAction": ["iam:*", "s3:*"], "Resource": "*",
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}))
        arn = iam.get_user(UserName=user)["User"]["Arn"]
        res = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:DeleteBucket",
                                                                              "iam:CreateUser"],
                                            ResourceArns=["arn:aws:s3:::prod-data"])["EvaluationResults"]
        self.assertEqual([(r["EvalActionName"], r["EvalDecision"]) for r in res],
                         [("s3:GetObject", "allowed"), ("s3:DeleteBucket", "explicitDeny"),
                          ("iam:CreateUser", "implicitDeny")])
        self.assertEqual(res[0]["MatchedStatements"][0]["SourcePolicyId"], "s3")
        ctx = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"}]
        inside = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["ec2:RunInstances"],
                                               ContextEntries=ctx)["EvaluationResults"][0]
        self.assertEqual(inside["EvalDecision"], "allowed")
        ctx[0]["ContextKeyValues"] = ["192.168.0.1"]
        outside = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["ec2:RunInstances"],
                                                ContextEntries=ctx)["EvaluationResults"][0]
        self.assertEqual(outside["EvalDecision"], "implicitDeny")
        custom = iam.simulate_custom_policy(
            PolicyInputList=[policy("sqs:Send*", resource="arn:aws:sqs:*:*:orders-?")],
            ActionNames=["sqs:SendMessage", "sqs:ReceiveMessage"],
            ResourceArns=["arn:aws:sqs:us-east-1:%s:orders-1" % ACCOUNT])["EvaluationResults"]
        self.assertEqual([r["EvalDecision"] for r in custom], ["allowed", "implicitDeny"])
        bounded = iam.simulate_custom_policy(PolicyInputList=[policy("s3:*", "sqs:*")],
                                             PermissionsBoundaryPolicyInputList=[policy("sqs:*")],
                                             ActionNames=["s3:GetObject", "sqs:SendMessage"])["EvaluationResults"]
        self.assertEqual([r["EvalDecision"] for r in bounded], ["implicitDeny", "allowed"])
        keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
        self.assertEqual(keys, ["aws:sourceip"])
        self.assertEqual(self.error(iam.simulate_principal_policy, PolicySourceArn="arn:aws:s3:::not-a-principal",
                                    ActionNames=["s3:GetObject"]),
                         ("InvalidInput", "Invalid ARN: arn:aws:s3:::not-a-principal"))
        self.assertEqual(self.error(iam.simulate_custom_policy, PolicyInputList=["{"], ActionNames=["s3:GetObject"]),
                         ("MalformedPolicyDocument", "Syntax errors in policy."))
        iam.delete_user_policy(UserName=user, PolicyName="s3")
        iam.delete_user(UserName=user)

    def test_tags_on_taggable_resources(self):
        iam = self.iam
        profile = name("tags-profile")
        iam.create_instance_profile(InstanceProfileName=profile)
        iam.tag_instance_profile(InstanceProfileName=profile, Tags=[{"Key": "a", "Value": "1"}])
        self.assertEqual(iam.list_instance_profile_tags(InstanceProfileName=profile)["Tags"],
                         [{"Key": "a", "Value": "1"}])
        iam.delete_instance_profile(InstanceProfileName=profile)
        arn = iam.create_policy(PolicyName=name("tagged"), PolicyDocument=policy("s3:*"),
                                Tags=[{"Key": "a", "Value": "1"}])["Policy"]["Arn"]
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
        self.assertEqual(iam.list_policy_tags(PolicyArn=arn)["Tags"],
                         [{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
        iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
        self.assertEqual(iam.list_policy_tags(PolicyArn=arn)["Tags"], [{"Key": "b", "Value": "3"}])
        iam.delete_policy(PolicyArn=arn)
        user = self.user("tagged")
        # more than 50 in one call is refused by the request's validation, past 50 in all by the quota
        too_many = [{"Key": "k%d" % i, "Value": "v"} for i in range(51)]
        self.assertEqual(self.error(iam.tag_user, UserName=user, Tags=too_many)[0], "ValidationError")
        iam.tag_user(UserName=user, Tags=[{"Key": "x", "Value": "y"}])
        self.assertEqual(iam.list_user_tags(UserName=user)["Tags"], [{"Key": "x", "Value": "y"}])
        self.assertEqual(self.error(iam.tag_user, UserName=user, Tags=too_many[:50])[0], "LimitExceeded")
        self.assertEqual(len(iam.list_user_tags(UserName=user)["Tags"]), 1)
        iam.delete_user(UserName=user)

    def test_reports_answered_empty(self):
        iam = self.iam
        role = name("reports")
        arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
        got = iam.get_service_last_accessed_details(JobId=job)
        self.assertEqual((got["JobStatus"], got["ServicesLastAccessed"]), ("COMPLETED", []))
        granting = iam.list_policies_granting_service_access(Arn=arn, ServiceNamespaces=["s3"])
        self.assertEqual(granting["PoliciesGrantingServiceAccess"], [{"ServiceNamespace": "s3", "Policies": []}])
        iam.delete_role(RoleName=role)


class EveryOperation(unittest.TestCase):
    """Each operation of the spec, sent bare (no parameters): an answer from the plugin (the
    result, or AWS's error for what is missing), never 501 nor a server error."""

    @unittest.skipIf(os.environ.get("NB_IAM_URL"), "runs once, in the parent")
    def test_no_operation_unimplemented(self):
        spec = os.path.join(SOURCE_DIR, "specs", "iam", "2010-05-08", "service-2.json")
        with open(spec) as f:
            ops = sorted(json.load(f)["operations"])
        self.assertGreaterEqual(len(ops), 170)
        failed = []
        for op in ops:
            req = urllib.request.Request(
                server_url() + "/", data=("Action=%s&Version=2010-05-08" % op).encode(), method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, "
                                          "SignedHeaders=host, Signature=0"})
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status = r.status
            except urllib.error.HTTPError as e:
                status = e.code
            if status >= 500:
                failed.append((op, status))
        self.assertEqual(failed, [])


class NewerBoto3(unittest.TestCase):
    @unittest.skipIf(os.environ.get("NB_IAM_URL"), "runs once, in the parent")
    def test_every_case_with_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "MoreCases", (1, 40), dict(os.environ, NB_IAM_URL=server_url()))


if __name__ == "__main__":
    unittest.main()
