"""SSM Parameter Store with the JavaScript SDK v3 (@aws-sdk/client-ssm, tests/e2e/js-ssm/test_ssm.mjs):
versions, selectors, SecureString, GetParameters, the paginator of GetParametersByPath,
DescribeParameters, public parameters, deletion, and the SDK's exception classes for AWS's errors."""
import os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import ServerTestCase  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class JavaScript(ServerTestCase):
    server_env = {"SERVICES": "ssm"}

    def test_client_ssm(self):
        r = run_node_script(os.path.join(HERE, "js-ssm"), "test_ssm.mjs", self.n.url)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "ok"), r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
