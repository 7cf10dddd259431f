"""DynamoDB from @aws-sdk/client-dynamodb and the DocumentClient of @aws-sdk/lib-dynamodb
(JavaScript SDK v3): tests/e2e/js-dynamodb/test_dynamodb.mjs's assertions against a fresh server."""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import ServerTestCase, aws_env  # noqa: E402
from npm_ci import npm_ci  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class JavaScriptDynamoDB(ServerTestCase):
    def test_client_and_document_client(self):
        # node and npm are installed by tools/deps.sh: their absence is a failure, not a skip
        self.assertIsNotNone(shutil.which("node"), "node is missing (tools/deps.sh installs it)")
        js = os.path.join(HERE, "js-dynamodb")
        npm_ci(js)
        r = subprocess.run(["node", os.path.join(js, "test_dynamodb.mjs"), self.n.url], capture_output=True,
                           text=True, timeout=120, env=aws_env())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
