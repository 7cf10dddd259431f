"""The pytest plugin (issue 21, item 7; tests/fixtures/python/pytest_nimbus.py), used by this
project's own tests in tests/e2e/pytest/: run under pytest, one server for the session, state
reset between tests, the server gone when the session ends, a clear failure without a binary."""
import importlib.util, os, socket, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import SOURCE_DIR  # noqa: E402

SUITE = os.path.join(SOURCE_DIR, "tests", "e2e", "pytest")
PLUGIN_DIR = os.path.join(SOURCE_DIR, "tests", "fixtures", "python")


def run_pytest(*args, **env):
    full_env = dict(os.environ, PYTHONPATH=PLUGIN_DIR, **env)
    return subprocess.run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", SUITE, *args],
                          env=full_env, capture_output=True, text=True, timeout=300)


@unittest.skipIf(importlib.util.find_spec("pytest") is None,
                 "pytest is missing for %s (tools/deps.sh --test installs python3-pytest)" % sys.executable)
class PytestFixtureTest(unittest.TestCase):
    def test_suite_passes_with_one_server_reset_between_tests(self):
        with tempfile.NamedTemporaryFile(prefix="nb-fixture-", mode="r") as report:
            r = run_pytest(NB_FIXTURE_REPORT=report.name)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("4 passed", r.stdout)
            endpoint = open(report.name).read()
        self.assertRegex(endpoint, r"^http://127\.0\.0\.1:\d+$")
        port = int(endpoint.rsplit(":", 1)[1])
        with self.assertRaises(ConnectionRefusedError):  # stopped with the session
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    def test_missing_binary_fails_the_tests_with_a_reason(self):
        r = run_pytest("--nimbus-bin", "/nonexistent/nimbus")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("4 error", r.stdout)
        self.assertIn("/nonexistent/nimbus", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
