"""Every skipped test reaches the test command's summary with its name and reason: an e2e test's
skip (self.skipTest or a skipped class) prints a SKIPPED line through nimbus_server, and
tools/test-summary.sh lists it, with Criterion's [SKIP] lines, from ctest's log."""
import os, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import SOURCE_DIR  # noqa: E402

SKIPPING = r'''
import sys, unittest
sys.path.insert(0, sys.argv[1])
import nimbus_server  # noqa: F401  (reports skips)

class Newer(unittest.TestCase):
    def test_needs_newer_client(self):
        self.skipTest("needs a newer botocore (>= 1.36)")
    def test_runs(self):
        pass

@unittest.skipIf(True, "runs once, in the parent")
class Child(unittest.TestCase):
    def test_in_child(self):
        pass

unittest.main(argv=["fake_e2e.py"], verbosity=int(sys.argv[2]))
'''


class SkipReport(unittest.TestCase):
    def summary_of(self, verbosity):
        tmp = tempfile.mkdtemp(prefix="nb-skip-report-")
        script = os.path.join(tmp, "fake_e2e.py")
        with open(script, "w") as f:
            f.write(SKIPPING)
        r = subprocess.run([sys.executable, script, os.path.dirname(os.path.abspath(__file__)), str(verbosity)],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        log = os.path.join(tmp, "LastTest.log")
        with open(log, "w") as f:  # the shape of ctest's LastTest.log
            f.write("1/2 Testing: e2e_fake_e2e.py\n1/2 Test: e2e_fake_e2e.py\nOutput:\n" + r.stdout + r.stderr +
                    "2/2 Testing: test_router\n2/2 Test: test_router\nOutput:\n[RUN ] router::sweep\n"
                    "[SKIP] router::sweep: no /usr/bin/python3\n[PASS] router::other: (0.00s)\n")
        s = subprocess.run(["bash", os.path.join(SOURCE_DIR, "tools", "test-summary.sh"), log], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(s.returncode, 0, s.stderr)
        return s.stdout.split("== skipped tests, each with its reason\n", 1)[1].splitlines()

    def test_each_skip_is_listed_with_its_reason(self):
        for verbosity in (1, 2):  # unittest writes "s" or "... " before the report: mid-line
            lines = self.summary_of(verbosity)
            self.assertEqual(lines[:3], [
                "  e2e_fake_e2e.py: fake_e2e.py:Child.test_in_child: runs once, in the parent",
                "  e2e_fake_e2e.py: fake_e2e.py:Newer.test_needs_newer_client: needs a newer botocore (>= 1.36)",
                "  test_router: [SKIP] router::sweep: no /usr/bin/python3",
            ], verbosity)


if __name__ == "__main__":
    unittest.main(verbosity=2)
