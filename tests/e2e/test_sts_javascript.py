"""STS from @aws-sdk/client-sts (JavaScript SDK v3): tests/e2e/js/test_sts.mjs's assertions
against a fresh server (an assumed role in 111111111111 creates an SQS queue there and is its
assumed-role identity; a federated user; GetAccessKeyInfo)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import ServerTestCase  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class JavaScriptSts(ServerTestCase):
    def test_client_sts(self):
        r = run_node_script(os.path.join(HERE, "js"), "test_sts.mjs", self.n.url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
