"""End-to-end: a service that only the catalogue ships (specs/botocore: botocore 1.43's EKS Auth,
which Debian's botocore 1.29 lacks) is scaffolded from its catalogue spec, built, loaded, and
answers a real client (boto3 1.43): the operation the test implements with 200, and before that,
without the plugin, the catalogue's 501."""
import json, os, re, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, Nimbus, newest_boto3_python  # noqa: E402

SOURCE_DIR = os.environ.get("NB_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCAFFOLD = os.path.join(SOURCE_DIR, "tools", "scaffold", "nimbus-scaffold")
NEW_PYTHON = newest_boto3_python()  # boto3 1.43: knows eks-auth
SERVICE = "eks-auth"

CLIENT = r"""
import boto3, botocore, json, sys
c = boto3.client("eks-auth", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test", config=botocore.config.Config(retries={"max_attempts": 1}))
try:
    r = c.assume_role_for_pod_identity(clusterName="demo", token="a-token")
    print(json.dumps({"status": r["ResponseMetadata"]["HTTPStatusCode"], "subject": r.get("subject")}))
except botocore.exceptions.ClientError as e:
    print(json.dumps({"status": e.response["ResponseMetadata"]["HTTPStatusCode"], "code": e.response["Error"]["Code"],
                      "message": e.response["Error"]["Message"]}))
"""

# The handler the test puts in place of the generated stub: the subject of the pod identity.
HANDLER = """nb_result_t eks_auth_assume_role_for_pod_identity(nb_req_t *req, const json_t *input) {
    json_t *subject = json_pack("{s:s,s:s}", "namespace", "default", "serviceAccount",
                                json_string_value(json_object_get(input, "clusterName")));
    return nb_reply_new(req, json_pack("{s:o}", "subject", subject));
}
"""


def call(url):
    r = subprocess.run([NEW_PYTHON, "-c", CLIENT, url], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(r.stderr[-2000:])
    return json.loads(r.stdout)


@unittest.skipUnless(NEW_PYTHON, "no python3 with a boto3 newer than Debian's on PATH")
class ScaffoldCatalogue(unittest.TestCase):
    def test_scaffold_build_load_and_call(self):
        self.assertFalse(os.path.exists(f"/usr/lib/python3/dist-packages/botocore/data/{SERVICE}"),
                         "the service must be one only the newer botocore has")
        with Nimbus() as n:  # no plugin: the catalogue's 501 in the service's protocol
            got = call(n.url)
            self.assertEqual(got["status"], 501, got)
            self.assertEqual(got["message"],
                             f"The API action 'AssumeRoleForPodIdentity' for service '{SERVICE}' is not implemented yet")
        with tempfile.TemporaryDirectory() as tmp:
            out, plugins = os.path.join(tmp, "src"), os.path.join(tmp, "plugins")
            os.makedirs(plugins)
            r = subprocess.run(["/usr/bin/python3", SCAFFOLD, "generate", SERVICE, "--out", out],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            src = os.path.join(out, SERVICE)
            provider = os.path.join(src, "eks_auth_provider.c")
            with open(provider) as f:
                text = f.read()
            text, n_subs = re.subn(r"nb_result_t eks_auth_assume_role_for_pod_identity\(.*?\n\}\n", lambda m: HANDLER,
                                   text, count=1, flags=re.S)
            self.assertEqual(n_subs, 1, "the scaffold wrote no stub for AssumeRoleForPodIdentity")
            with open(provider, "w") as f:
                f.write(text)
            so = os.path.join(plugins, SERVICE + ".so")
            r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-shared",
                                "-fPIC", "-I" + os.path.join(SOURCE_DIR, "include"), "-I" + os.path.join(BINARY_DIR, "include"),
                                os.path.join(src, "eks_auth_plugin.c"), provider, "-ljansson", "-o", so],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            # the plugin carries the spec it was generated from, beside the .so
            os.replace(os.path.join(src, SERVICE + ".service-2.json"), os.path.join(plugins, SERVICE + ".service-2.json"))
            with Nimbus(NIMBUS_PLUGIN_PATH=plugins) as n:
                got = call(n.url)
                self.assertEqual(got, {"status": 200, "subject": {"namespace": "default", "serviceAccount": "demo"}})
                self.assertNotIn("plugin not loaded", n.output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
