"""End-to-end: init hooks as LocalStack runs them. Executable .sh and .py files under
NIMBUS_INIT_PATH's boot.d, start.d, ready.d and shutdown.d run at each stage in name order (a
folder's files, then its subfolders), with AWS_ENDPOINT_URL and test credentials set so that an
`aws` call reaches the server; their states and output are at /_localstack/init; a failing script
is reported, not fatal; "Ready." comes after the ready scripts ran; shutdown scripts run on
SIGTERM, bounded by NIMBUS_SHUTDOWN_TIMEOUT."""
import json, os, stat, sys, time, unittest, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, temp_dir  # noqa: E402


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, json.loads(r.read())


def write(root, rel, text, executable=True):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if executable:
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


class InitHooks(unittest.TestCase):
    def setUp(self):
        self.root = temp_dir(self, "nimbus-init-")
        self.log = os.path.join(self.root, "order.log")

    def script(self, rel, body="", executable=True):
        """A shell script that appends its stage folder and name to the order log, then runs body."""
        name = rel.split("/", 1)[1]
        return write(self.root, rel, f"#!/bin/sh\necho {name} >> {self.log}\n{body}\n", executable)

    def order(self):
        with open(self.log) as f:
            return f.read().split()

    def server(self, **env):
        env.setdefault("NIMBUS_INIT_PATH", self.root)
        env.setdefault("SERVICES", "s3,sqs,sts")
        return Nimbus(**env)

    def test_stages_run_in_order_and_by_name_with_subfolders_after_files(self):
        self.script("boot.d/b.sh")
        self.script("boot.d/a.sh")
        self.script("start.d/s.sh")
        self.script("ready.d/2-second.sh")
        self.script("ready.d/1-first.sh")
        self.script("ready.d/0-sub/x.sh")  # a folder sorts before the files, runs after them
        write(self.root, "ready.d/3-python.py", f"open({self.log!r}, 'a').write('3-python.py\\n')\n",
              executable=False)  # .py needs no executable bit, as in LocalStack
        write(self.root, "ready.d/notes.txt", "not a script", executable=True)
        self.script("shutdown.d/z.sh")
        n = self.server()
        with n:
            self.assertEqual(self.order(), ["a.sh", "b.sh", "s.sh", "1-first.sh", "2-second.sh", "3-python.py",
                                            "0-sub/x.sh"])
            status, doc = get_json(n.url + "/_localstack/init")
            self.assertEqual(status, 200)
            self.assertEqual(doc["completed"], {"BOOT": True, "START": True, "READY": True, "SHUTDOWN": False})
            self.assertEqual([(s["stage"], s["name"], s["state"]) for s in doc["scripts"]], [
                ("BOOT", "a.sh", "SUCCESSFUL"), ("BOOT", "b.sh", "SUCCESSFUL"), ("START", "s.sh", "SUCCESSFUL"),
                ("READY", "1-first.sh", "SUCCESSFUL"), ("READY", "2-second.sh", "SUCCESSFUL"),
                ("READY", "3-python.py", "SUCCESSFUL"), ("READY", "x.sh", "SUCCESSFUL"),
                ("SHUTDOWN", "z.sh", "UNKNOWN")])
        self.assertEqual(self.order()[-1], "z.sh", "the shutdown script ran on SIGTERM")
        self.assertIn("nimbus: stopped", n.output)

    def test_scripts_get_the_endpoint_and_credentials_and_an_aws_call_reaches_the_server(self):
        env_file = os.path.join(self.root, "env.txt")
        self.script("ready.d/01-env.sh", f"env | grep '^AWS_' | sort > {env_file}")
        # awslocal, as LocalStack users' scripts call it (on the hooks' PATH): Debian's AWS CLI 2.9
        # does not read AWS_ENDPOINT_URL, so a bare `aws` would go to AWS there
        self.script("ready.d/02-bucket.sh", "awslocal s3 mb s3://made-by-hook")
        # an SDK script: given the endpoint from AWS_ENDPOINT_URL (botocore 1.31 and later read it
        # themselves; Debian 12's 1.29 does not) and credentials and region from the environment
        write(self.root, "ready.d/03-queue.py", "import boto3, os\n"
              "boto3.client('sqs', endpoint_url=os.environ['AWS_ENDPOINT_URL']).create_queue(QueueName='hooked')\n",
              executable=False)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "NIMBUS_BIN"}
        n = Nimbus(NIMBUS_INIT_PATH=self.root, SERVICES="s3,sqs")
        n.env = {**env, **{k: v for k, v in n.env.items() if k in ("GATEWAY_LISTEN", "NIMBUS_INIT_PATH", "SERVICES")}}
        # Ready. follows the ready scripts: two client start-ups (an AWS CLI, boto3), slow on a loaded machine
        n.start(timeout=60)
        try:
            with open(env_file) as f:
                seen = dict(line.strip().split("=", 1) for line in f if "=" in line)
            self.assertEqual(seen.get("AWS_ENDPOINT_URL"), n.url)
            self.assertEqual(seen.get("AWS_ACCESS_KEY_ID"), "test")
            self.assertEqual(seen.get("AWS_SECRET_ACCESS_KEY"), "test")
            self.assertEqual(seen.get("AWS_DEFAULT_REGION"), "us-east-1")
            names = [b["Name"] for b in boto3_client(n.url, "s3").list_buckets()["Buckets"]]
            self.assertIn("made-by-hook", names)
            self.assertTrue(boto3_client(n.url, "sqs").get_queue_url(QueueName="hooked")["QueueUrl"].endswith("/hooked"))
            _, doc = get_json(n.url + "/_localstack/init/ready")
            bucket = [s for s in doc["scripts"] if s["name"] == "02-bucket.sh"][0]
            self.assertEqual(bucket["state"], "SUCCESSFUL", bucket)
            self.assertIn("make_bucket: made-by-hook", bucket["output"])
            queue = [s for s in doc["scripts"] if s["name"] == "03-queue.py"][0]
            self.assertEqual(queue["state"], "SUCCESSFUL", queue)
        finally:
            n.stop()

    def test_a_failing_script_is_reported_and_the_next_ones_still_run(self):
        self.script("ready.d/1-fails.sh", "echo 'it went wrong' >&2; exit 3")
        self.script("ready.d/2-not-executable.sh", executable=False)
        self.script("ready.d/3-after.sh")
        write(self.root, "ready.d/4-raises.py", "raise SystemExit('python says no')\n", executable=False)
        with self.server() as n:
            self.assertEqual(self.order(), ["1-fails.sh", "3-after.sh"], "2 could not start; 3 ran after 1 failed")
            _, doc = get_json(n.url + "/_localstack/init")
            states = {s["name"]: s for s in doc["scripts"]}
            self.assertEqual(states["1-fails.sh"]["state"], "ERROR")
            self.assertIn("it went wrong", states["1-fails.sh"]["output"])
            self.assertEqual(states["2-not-executable.sh"]["state"], "ERROR")
            self.assertIn("not executable", states["2-not-executable.sh"]["output"])
            self.assertEqual(states["3-after.sh"]["state"], "SUCCESSFUL")
            self.assertEqual(states["4-raises.py"]["state"], "ERROR")
            self.assertIn("python says no", states["4-raises.py"]["output"])
            self.assertTrue(doc["completed"]["READY"])
            self.assertEqual(get_json(n.url + "/_localstack/health")[0], 200, "the server serves on")
        self.assertIn("init script ready.d/1-fails.sh failed: exit code 3", n.output)
        self.assertIn("init script ready.d/2-not-executable.sh failed: cannot run it: not executable", n.output)

    def test_ready_is_printed_after_the_ready_scripts_ran_and_the_server_serves_meanwhile(self):
        marker = os.path.join(self.root, "ready-done")
        # the script asks the server for its health while it runs: the loop is not blocked by it
        self.script("ready.d/slow.sh", f"sleep 0.5; curl -sf \"$AWS_ENDPOINT_URL/_localstack/health\" > {marker}")
        started = time.time()
        with self.server() as n:
            self.assertGreaterEqual(time.time() - started, 0.5)
            self.assertTrue(os.path.exists(marker), "Ready. came before the ready script finished")
            with open(marker) as f:
                self.assertIn('"services"', f.read(), "the script reached the server while the stage ran")
            lines = n.output.splitlines()
            self.assertEqual(lines.count("Ready."), 1)

    def test_stage_endpoint_shape_and_unknown_stage(self):
        self.script("start.d/one.sh")
        with self.server() as n:
            status, doc = get_json(n.url + "/_localstack/init/START")
            self.assertEqual(status, 200)
            self.assertEqual(set(doc), {"completed", "scripts"})
            self.assertIs(doc["completed"], True)
            self.assertEqual([(s["stage"], s["name"], s["state"]) for s in doc["scripts"]],
                             [("START", "one.sh", "SUCCESSFUL")])
            status, doc = get_json(n.url + "/_localstack/init/shutdown")
            self.assertEqual((status, doc["completed"], doc["scripts"]), (200, False, []))
            with self.assertRaises(urllib.error.HTTPError) as cm:
                urllib.request.urlopen(n.url + "/_localstack/init/does_not_exist", timeout=10)
            self.assertEqual(cm.exception.code, 404)

    def test_no_init_folders_every_startup_stage_completed(self):
        with Nimbus(NIMBUS_INIT_PATH=os.path.join(self.root, "absent"), SERVICES="sts") as n:
            _, doc = get_json(n.url + "/_localstack/init")
        self.assertEqual(doc, {"completed": {"BOOT": True, "START": True, "READY": True, "SHUTDOWN": False},
                               "scripts": []})

    def test_shutdown_scripts_are_bounded_by_the_shutdown_timeout(self):
        self.script("shutdown.d/1-hangs.sh", "sleep 30")
        self.script("shutdown.d/2-never.sh")
        n = self.server(NIMBUS_SHUTDOWN_TIMEOUT="1")
        n.start()
        t = time.time()
        rc = n.stop()
        took = time.time() - t
        self.assertEqual(rc, 0, n.output)
        self.assertLess(took, 6, "the hanging shutdown script was killed after about a second")
        self.assertGreaterEqual(took, 0.9)
        self.assertIn("init script shutdown.d/1-hangs.sh failed: still running when the stage's time ran out",
                      n.output)
        self.assertEqual(self.order(), ["1-hangs.sh"], "the stage ended there: 2-never.sh did not run")

    def test_nimbus_named_folder_after_the_localstack_one(self):
        other = temp_dir(self, "nimbus-init2-")
        self.script("ready.d/b.sh")
        write(other, "ready.d/a.sh", f"#!/bin/sh\necho second-root-a.sh >> {self.log}\n")
        with self.server(NIMBUS_INIT_PATH=f"{self.root}:{other}"):
            self.assertEqual(self.order(), ["b.sh", "second-root-a.sh"], "each root in turn, by name within it")


if __name__ == "__main__":
    unittest.main(verbosity=2)
