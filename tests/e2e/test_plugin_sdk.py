"""End-to-end: follow docs/plugins.md exactly: install the SDK, scaffold a service Nimbus
does not ship, implement one operation from the doc's C block, build it out of the tree,
load it, call it with the AWS CLI."""
import json, os, re, signal, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, SOURCE_DIR, aws_env, free_port  # noqa: E402

DOC = os.path.join(SOURCE_DIR, "docs", "plugins.md")


def blocks(text):
    return re.findall(r"```(sh|c)\n(.*?)```", text, re.S)


class PluginSdk(unittest.TestCase):
    def test_docs_plugins_md_steps(self):
        with open(DOC) as f:
            steps = blocks(f.read())
        self.assertEqual([k for k, _ in steps], ["sh", "sh", "c", "sh", "sh", "sh"])
        with tempfile.TemporaryDirectory() as tmp:
            env = aws_env()
            env.update(PREFIX=os.path.join(tmp, "prefix"), WORK=os.path.join(tmp, "work"), BUILD=BINARY_DIR,
                       PORT=str(free_port()))
            os.makedirs(env["WORK"])
            script = ["set -euo pipefail", f"cd {SOURCE_DIR}"]
            for kind, body in steps:
                if kind == "c":  # step 3: put the doc's function in place of its stub
                    name = re.search(r"int (\w+)\(", body).group(1)
                    c_file = os.path.join(env["WORK"], "acm", "acm_provider.c")
                    script.append(f"/usr/bin/python3 - <<'PY'\nimport re\np={c_file!r}\ns=open(p).read()\n"
                                  f"s=re.sub(r'int {name}\\(nb_req_t \\*req, const json_t \\*input\\) \\{{.*?\\n\\}}\\n',"
                                  f" lambda m: {body!r}, s, count=1, flags=re.S)\nopen(p,'w').write(s)\nPY")
                else:
                    script.append(body)
            script.append('kill %1 && wait %1 || true')
            r = subprocess.run(["bash", "-c", "\n".join(script)], env=env, capture_output=True, text=True,
                               timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = r.stdout
            health = json.loads(out[out.index('{"services"'):out.index("}", out.index('{"services"')) + 1] + "}")
            self.assertEqual(health["services"]["acm"], "available")
            listing = json.loads(out[out.index('{\n    "CertificateSummaryList"'):])
            self.assertEqual(listing["CertificateSummaryList"][0]["DomainName"], "example.com")
            # the implementation lives in the provider file the doc had us edit
            with open(os.path.join(env["WORK"], "acm", "acm_provider.c")) as f:
                self.assertIn("example.com", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
