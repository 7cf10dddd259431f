"""End-to-end: follow docs/plugins.md exactly: install the SDK, scaffold a service Nimbus
does not ship, implement one operation from the doc's C block, build it out of the tree,
load it, call it with the AWS CLI.

The doc's blocks run in one bash, from the source tree as the doc says, with nothing set up
beyond what a new user has: PATH, a fresh HOME, and the two variables the doc lets one preset
(PORT: a free port here; BUILD: the build folder when it is not build/)."""
import json, os, re, signal, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, SOURCE_DIR, free_port  # noqa: E402

DOC = os.path.join(SOURCE_DIR, "docs", "plugins.md")


def blocks(text):
    """The tutorial's steps: the blocks before its reference sections (whose examples are not steps)."""
    return re.findall(r"```(sh|c)\n(.*?)```", text.split("\n## Handler results and helper steps")[0], re.S)


class PluginSdk(unittest.TestCase):
    def test_docs_plugins_md_steps(self):
        with open(DOC) as f:
            steps = blocks(f.read())
        self.assertEqual([k for k, _ in steps], ["sh", "sh", "sh", "c", "sh", "sh", "sh", "sh"])
        with tempfile.TemporaryDirectory() as tmp:
            home = os.path.join(tmp, "home")
            os.makedirs(home)
            env = {"PATH": os.environ["PATH"], "HOME": home, "PORT": str(free_port()), "BUILD": BINARY_DIR}
            # a failed step must not leave the server running (cleanup only: the doc's step 7 stops it)
            script = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
            for kind, body in steps:
                if kind == "c":  # step 3: put the doc's function in place of its stub
                    name = re.search(r"nb_result_t (\w+)\(", body).group(1)
                    c_file = os.path.join(home, "nimbus-plugins", "acm", "acm_provider.c")
                    script.append(f"/usr/bin/python3 - <<'PY'\nimport re\np={c_file!r}\ns=open(p).read()\n"
                                  f"s=re.sub(r'nb_result_t {name}\\(nb_req_t \\*req, const json_t \\*input\\) \\{{.*?\\n\\}}\\n',"
                                  f" lambda m: {body!r}, s, count=1, flags=re.S)\nopen(p,'w').write(s)\nPY")
                else:
                    script.append(body)
            r = subprocess.run(["bash", "-c", "\n".join(script)], env=env, cwd=SOURCE_DIR, capture_output=True,
                               text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = r.stdout
            health = json.loads(out[out.index('{"services"'):out.index("}", out.index('{"services"')) + 1] + "}")
            self.assertEqual(health["services"]["acm"], "available")
            listing = json.loads(out[out.index('{\n    "CertificateSummaryList"'):])
            self.assertEqual(listing["CertificateSummaryList"][0]["DomainName"], "example.com")
            # the doc's variables, as its step 0 set them
            env.update(PREFIX=os.path.join(home, ".local", "nimbus"), WORK=os.path.join(home, "nimbus-plugins"))
            # the implementation lives in the provider file the doc had us edit
            acm = os.path.join(env["WORK"], "acm")
            with open(os.path.join(acm, "acm_provider.c")) as f:
                provider = f.read()
            self.assertIn("example.com", provider)

            # regenerating refreshes the generated files and keeps the provider
            os.remove(os.path.join(acm, "acm_api.h"))
            scaffold = os.path.join(env["PREFIX"], "bin", "nimbus-scaffold")
            r = subprocess.run([scaffold, "generate", "acm", "--out", env["WORK"], "--doc"], env=env,
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("using the plugin's carried spec", r.stdout)  # the doc's step 2 says so
            with open(os.path.join(acm, "acm_provider.c")) as f:
                self.assertEqual(f.read(), provider)
            with open(os.path.join(acm, "acm_api.h")) as f:
                header = f.read()
            self.assertIn("nb_result_t acm_list_certificates(nb_req_t *req, const json_t *input);", header)
            self.assertIn("CertificateSummaryList", header)  # output members listed
            self.assertIn("Retrieves a list of certificate ARNs and domain names.", header)  # --doc text

            # the CMake route of step 4 builds the same plugin against the installed SDK
            r = subprocess.run(["cmake", "-S", acm, "-B", os.path.join(acm, "build"),
                                "-DCMAKE_PREFIX_PATH=" + env["PREFIX"]], env=env, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = subprocess.run(["cmake", "--build", os.path.join(acm, "build")], env=env, capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertTrue(os.path.exists(os.path.join(acm, "build", "acm.so")))
            self.assertTrue(os.path.exists(os.path.join(acm, "build", "acm.service-2.json")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
