"""End-to-end: the README's first client commands work as written, in a new shell on a fresh
machine (no AWS configuration, no AWS_* variables), against a server on both loopbacks as the
default GATEWAY_LISTEN. The only change: the port, 4566 in the README, is a free one here."""
import os, re, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, SOURCE_DIR, free_port  # noqa: E402

BLOCK = re.compile(r"<!-- client-commands[^>]*-->\s*```sh\n(.*?)```\s*<!-- /client-commands -->", re.S)


def readme_commands():
    with open(os.path.join(SOURCE_DIR, "README.md")) as f:
        m = BLOCK.search(f.read())
    assert m, "README.md has no client-commands block"
    return [line for line in m.group(1).splitlines() if line.strip() and not line.startswith("#")]


class Readme(unittest.TestCase):
    def test_client_commands_run_as_written(self):
        cmds = readme_commands()
        self.assertGreaterEqual(len(cmds), 3, cmds)
        port = free_port()
        home = tempfile.mkdtemp(prefix="nb-readme-home-")
        # a new login shell's environment: no credentials, region or AWS config of the tester's
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TERM", "PYENV_ROOT")}
        env["HOME"] = home
        # tools/awslocal's endpoint, which is http://localhost:4566 when nothing is set
        env["AWS_ENDPOINT_URL"] = f"http://localhost:{port}"
        with Nimbus(GATEWAY_LISTEN=f"127.0.0.1:{port},[::1]:{port}"):
            for cmd in cmds:
                run = cmd.replace("4566", str(port))
                r = subprocess.run(["bash", "-c", run], cwd=SOURCE_DIR, env=env, capture_output=True, text=True,
                                   timeout=120)
                self.assertEqual(r.returncode, 0, f"{cmd}\n{r.stdout}{r.stderr}")
                out = r.stdout
                if "get-caller-identity" in cmd:
                    self.assertIn('"Account"', out)
                if "create-queue" in cmd:
                    self.assertRegex(out, r"/000000000000/jobs")
                if "s3 ls" in cmd:
                    self.assertIn("my-bucket", out)  # the bucket made by the command before
                if "_localstack/health" in cmd:
                    self.assertIn('"services"', out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
