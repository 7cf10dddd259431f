"""Issue 5: a sample of 30 Debian botocore services, spread over every protocol botocore 1.29
speaks, scaffolds, compiles with -Wall -Wextra -Werror, loads, and answers every operation
with 501 in its protocol (tools/scaffold/sweep.py; run it without --sample for all services)."""
import os, subprocess, sys, unittest

SOURCE_DIR = os.environ.get("NB_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class ScaffoldSweep(unittest.TestCase):
    def test_sample_of_30_services(self):
        r = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE_DIR, "tools", "scaffold", "sweep.py"),
                            "--sample", "30"], capture_output=True, text=True, timeout=900)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for proto in ("ec2", "json", "query", "rest-json", "rest-xml"):
            self.assertRegex(r.stdout, rf"(?m)^{proto}: \d+ services, [1-9]\d* operations answered 501$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
