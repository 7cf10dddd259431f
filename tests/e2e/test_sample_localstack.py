"""Issue 21, item 8: tests/sample-localstack, a project written for LocalStack (S3 + SQS tests over
https://localhost.localstack.cloud, an init/ready.d script using awslocal), passes against Nimbus
unchanged. Only the environment differs, as in a CI file: AWS_ENDPOINT_URL with a free port,
AWS_CA_BUNDLE naming Nimbus's CA, and localhost.localstack.cloud mapped to 127.0.0.1 (public DNS
does that; this machine is offline) by localstack_dns/, which leaves SNI and the certificate check
on the name. The sample's own files are never edited here."""
import json, os, subprocess, sys, unittest, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nimbus_server import Nimbus, SOURCE_DIR, newer_python, temp_dir  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(SOURCE_DIR, "tests", "sample-localstack")
READY_D = os.path.join(SAMPLE, "init", "ready.d")

# The setting that points the server at init folders (LocalStack's layout: <folder>/ready.d): the
# server runs the sample's ready script itself, as LocalStack does with /etc/localstack/init.
INIT_DIR_SETTING = "NIMBUS_INIT_PATH"


def sample_env(port, ca):
    env = dict(os.environ)
    for name in ("AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "AWS_PROFILE"):
        env.pop(name, None)
    env.update({
        "AWS_ENDPOINT_URL": "https://localhost.localstack.cloud:%d" % port,
        "AWS_CA_BUNDLE": ca,
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": "",
        "PYTHONPATH": os.path.join(HERE, "localstack_dns"),
        "PATH": os.path.join(SOURCE_DIR, "tools") + os.pathsep + env.get("PATH", ""),  # awslocal
    })
    return env


def run_ready_scripts(env):
    """What LocalStack does at its ready stage: each executable script of ready.d, in name order."""
    out = ""
    for name in sorted(os.listdir(READY_D)):
        path = os.path.join(READY_D, name)
        if os.access(path, os.X_OK):
            r = subprocess.run([path], env=env, capture_output=True, text=True, timeout=120)
            out += r.stdout + r.stderr
            if r.returncode != 0:
                raise AssertionError("init script %s failed (exit %d):\n%s" % (name, r.returncode, out))
    return out


def run_sample_tests(python, env):
    return subprocess.run([python, "-m", "unittest", "discover", "-v", "-s", os.path.join(SAMPLE, "tests")],
                          cwd=SAMPLE, env=env, capture_output=True, text=True, timeout=300)


class SampleLocalStackProject(unittest.TestCase):
    def setUp(self):
        self.data = temp_dir(self, "nimbus-sample-")
        env = {"SERVICES": "s3,sqs", "DATA_DIR": self.data}
        self.server_runs_init = self._testMethodName != "test_sample_needs_its_init_script_and_the_ca"
        if self.server_runs_init:
            env[INIT_DIR_SETTING] = os.path.join(SAMPLE, "init")
        else:
            env[INIT_DIR_SETTING] = self.data  # no init folders there: the driver runs the script
        self.n = Nimbus(**env).start(timeout=60)
        self.env = sample_env(self.n.port, self.n.ca)

    def tearDown(self):
        self.n.stop()

    def init(self):
        if self.server_runs_init:
            # Nimbus.start returned at "Ready.", which comes after the ready hooks as LocalStack
            # prints it: their output is there now
            with urllib.request.urlopen("http://127.0.0.1:%d/_localstack/init" % self.n.port, timeout=10) as r:
                scripts = json.load(r)["scripts"]
            self.assertEqual([(x["stage"], x["name"], x["state"]) for x in scripts],
                             [("READY", "01-create-resources.sh", "SUCCESSFUL")])
            self.assertIn("sample resources created", scripts[0]["output"])
        else:
            self.assertIn("sample resources created", run_ready_scripts(self.env))

    def test_sample_passes_unchanged(self):
        self.init()
        pythons = [sys.executable] + ([newer_python()] if newer_python() else [])
        for py in pythons:
            r = run_sample_tests(py, self.env)
            self.assertEqual(r.returncode, 0, (py, r.stdout + r.stderr))
            self.assertIn("Ran 3 tests", r.stderr)
            self.assertIn("OK", r.stderr)
        if len(pythons) == 1:
            print("\nSKIPPED test_sample_localstack.py: no newer boto3 than Debian's to run the sample with too",
                  file=sys.stderr)

    def test_sample_needs_its_init_script_and_the_ca(self):
        """The driver's checks can fail: without the init script the resources are missing, and
        without the CA the HTTPS endpoint is not trusted."""
        r = run_sample_tests(sys.executable, self.env)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, "NoSuchBucket|NonExistentQueue|QueueDoesNotExist|AssertionError")
        self.init()
        env = dict(self.env)
        env.pop("AWS_CA_BUNDLE")
        r = run_sample_tests(sys.executable, env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("SSL", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
