"""The Node helper for Jest/Vitest global set-up (issue 21, item 7; tests/fixtures/node/nimbus.mjs),
used by this project's own Node test tests/e2e/js/test_fixture_helper.mjs with @aws-sdk/client-s3
and @aws-sdk/client-sqs: start, env vars the SDK reads, reset, stop."""
import os, shutil, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import NIMBUS_BIN  # noqa: E402
from npm_ci import npm_ci  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class NodeFixtureTest(unittest.TestCase):
    def test_global_setup_helper(self):
        # node and npm are installed by tools/deps.sh: their absence is a failure, not a skip
        self.assertIsNotNone(shutil.which("node"), "node is missing (tools/deps.sh installs it)")
        npm_ci(os.path.join(HERE, "js"))
        npm_ci(os.path.join(HERE, "js-s3"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["NIMBUS_BIN"] = NIMBUS_BIN
        r = subprocess.run(["node", os.path.join(HERE, "js", "test_fixture_helper.mjs")], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("node fixture helper: ok", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
