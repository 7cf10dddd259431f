"""STS from @aws-sdk/client-sts (JavaScript SDK v3): tests/e2e/js/test_sts.mjs's assertions
against a fresh server (an assumed role in 111111111111 creates an SQS queue there and is its
assumed-role identity; a federated user; GetAccessKeyInfo)."""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import ServerTestCase, aws_env  # noqa: E402
from npm_ci import npm_ci  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class JavaScriptSts(ServerTestCase):
    def test_client_sts(self):
        # node and npm are installed by tools/deps.sh: their absence is a failure, not a skip
        self.assertIsNotNone(shutil.which("node"), "node is missing (tools/deps.sh installs it)")
        js = os.path.join(HERE, "js")
        npm_ci(js)
        r = subprocess.run(["node", os.path.join(js, "test_sts.mjs"), self.n.url], capture_output=True, text=True,
                           timeout=120, env=aws_env())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
