"""ENFORCE_IAM=1 for the unsigned federated calls: AssumeRoleWithWebIdentity and AssumeRoleWithSAML
succeed only when the role's trust policy allows the identity provider as a "Federated" principal
(an OIDC provider's ARN built from the token's issuer, a well-known provider's name, a SAML
provider's ARN) for the call's action, under conditions on the provider's keys ("<issuer>:sub",
"<issuer>:aud", "cognito-identity.amazonaws.com:amr", "saml:aud"); otherwise STS answers
AccessDenied, "Not authorized to perform sts:AssumeRoleWithWebIdentity". The cases run again under
boto3 1.43 (NewerBoto3)."""
import base64, json, os, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from policy_docs import EnforcingServer, TAG, client, doc  # noqa: E402
from nimbus_server import rerun_with_newer_boto3  # noqa: E402
from test_sts_credentials import saml_assertion  # noqa: E402

ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
SA = "system:serviceaccount:default:app"


def token(**claims):
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return "eyJhbGciOiJSUzI1NiJ9.%s.c2ln" % body


def trust(federated, action, condition=None):
    st = {"Effect": "Allow", "Principal": {"Federated": federated}, "Action": action}
    if condition:
        st["Condition"] = condition
    return doc(st)


_shared = EnforcingServer("NB_FED_URL")
server_url = _shared.url
tearDownModule = _shared.stop


class FederatedCases(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = server_url()
        cls.iam = client(cls.url, "iam")
        cls.sts = client(cls.url, "sts")
        cls.account = cls.sts.get_caller_identity()["Account"]

    def role(self, name, trust_policy):
        return self.iam.create_role(RoleName=f"{name}-{TAG}", AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"]

    def web(self, role_arn, tok, **kw):
        return self.sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=tok, **kw)

    def assert_denied(self, call, action):
        with self.assertRaises(ClientError) as cm:
            call()
        err = cm.exception.response
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("AccessDenied", 403))
        self.assertEqual(err["Error"]["Message"], "Not authorized to perform " + action)

    def test_oidc_provider_with_sub_and_aud_conditions(self):
        provider = f"arn:aws:iam::{self.account}:oidc-provider/{ISSUER}"
        role = self.role("irsa", trust(provider, "sts:AssumeRoleWithWebIdentity", {
            "StringEquals": {f"{ISSUER}:sub": SA, f"{ISSUER}:aud": "sts.amazonaws.com"}}))
        good = token(iss="https://" + ISSUER, sub=SA, aud="sts.amazonaws.com")
        r = self.web(role, good)
        self.assertEqual(r["AssumedRoleUser"]["Arn"], f"arn:aws:sts::{self.account}:assumed-role/irsa-{TAG}/web")
        me = client(self.url, "sts", r["Credentials"]["AccessKeyId"], r["Credentials"]["SecretAccessKey"],
                    r["Credentials"]["SessionToken"]).get_caller_identity()
        self.assertEqual(me["Arn"], r["AssumedRoleUser"]["Arn"])
        action = "sts:AssumeRoleWithWebIdentity"
        self.assert_denied(lambda: self.web(role, token(iss="https://" + ISSUER, sub="system:serviceaccount:x:y",
                                                        aud="sts.amazonaws.com")), action)
        self.assert_denied(lambda: self.web(role, token(iss="https://" + ISSUER, sub=SA, aud="other")), action)
        self.assert_denied(lambda: self.web(role, token(iss="https://other.example.com", sub=SA,
                                                        aud="sts.amazonaws.com")), action)
        self.assert_denied(lambda: self.web(role, "not-a-jwt"), action)

    def test_cognito_with_amr_list(self):
        role = self.role("cognito", trust("cognito-identity.amazonaws.com", "sts:AssumeRoleWithWebIdentity", {
            "StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool-1"},
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}))
        iss = "https://cognito-identity.amazonaws.com"
        self.web(role, token(iss=iss, aud="us-east-1:pool-1", sub="u", amr=["authenticated", "cognito-idp"]))
        self.assert_denied(lambda: self.web(role, token(iss=iss, aud="us-east-1:pool-1", sub="u",
                                                        amr=["unauthenticated"])), "sts:AssumeRoleWithWebIdentity")

    def test_trust_without_federated_principal_or_role_refuses(self):
        role = self.role("aws-only", doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"},
                                          "Action": "sts:AssumeRole"}))
        good = token(iss="https://" + ISSUER, sub=SA, aud="sts.amazonaws.com")
        self.assert_denied(lambda: self.web(role, good), "sts:AssumeRoleWithWebIdentity")
        self.assert_denied(lambda: self.web(f"arn:aws:iam::{self.account}:role/missing-{TAG}", good),
                           "sts:AssumeRoleWithWebIdentity")

    def test_explicit_deny_wins(self):
        provider = "accounts.google.com"
        role = self.role("google", doc(
            {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"},
            {"Effect": "Deny", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {"accounts.google.com:sub": "banned"}}}))
        self.web(role, token(iss="https://accounts.google.com", sub="fine", aud="client"))
        self.assert_denied(lambda: self.web(role, token(iss="https://accounts.google.com", sub="banned", aud="client")),
                           "sts:AssumeRoleWithWebIdentity")

    def test_saml_provider_with_aud_condition(self):
        provider = f"arn:aws:iam::{self.account}:saml-provider/idp-{TAG}"
        role = self.role("saml", trust(provider, "sts:AssumeRoleWithSAML", {
            "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}))
        assertion = saml_assertion([f"{role},{provider}"])
        r = self.sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion)
        self.assertEqual(r["AssumedRoleUser"]["Arn"], f"arn:aws:sts::{self.account}:assumed-role/saml-{TAG}/alice")
        strict = self.role("saml-strict", trust(provider, "sts:AssumeRoleWithSAML", {
            "StringEquals": {"SAML:iss": "https://another-idp.example.com"}}))
        self.assert_denied(lambda: self.sts.assume_role_with_saml(
            RoleArn=strict, PrincipalArn=provider, SAMLAssertion=saml_assertion([f"{strict},{provider}"])),
            "sts:AssumeRoleWithSAML")


class NewerBoto3(unittest.TestCase):
    def test_cases_under_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "FederatedCases", env=dict(os.environ, NB_FED_URL=server_url()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
