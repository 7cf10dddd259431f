"""DynamoDB from @aws-sdk/client-dynamodb and the DocumentClient of @aws-sdk/lib-dynamodb
(JavaScript SDK v3): tests/e2e/js-dynamodb/test_dynamodb.mjs's assertions against a fresh server."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import ServerTestCase  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class JavaScriptDynamoDB(ServerTestCase):
    def test_client_and_document_client(self):
        r = run_node_script(os.path.join(HERE, "js-dynamodb"), "test_dynamodb.mjs", self.n.url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
