"""The CLI for people and scripts (issue 21, item 5): `nimbus start -d` / `wait` / `status` /
`reset [service]` / `logs [-f]` / `stop`, as a CI script would chain them, and what each says
and exits with when the server is down or the pid file is stale."""
import os, signal, socket, subprocess, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import NIMBUS_BIN, Nimbus, boto3_client, free_port, server_env, temp_dir  # noqa: E402


def alive(pid):
    """Whether pid runs (an exited server may stay a zombie when no init reaps orphans here)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "nb-cli-")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.env = server_env(GATEWAY_LISTEN="127.0.0.1:%d" % self.port, DATA_DIR=os.path.join(self.tmp, "data"))
        self.pid_file = os.path.join(self.tmp, "data", "nimbus.pid")
        self.log_file = os.path.join(self.tmp, "data", "nimbus.log")

    def tearDown(self):
        # a failed test must not leave a server behind
        try:
            pid = int(open(self.pid_file).read())
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def nimbus(self, *args, timeout=60, **extra_env):
        env = dict(self.env, **extra_env)
        return subprocess.run([NIMBUS_BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)

    def start(self, *args):
        r = self.nimbus("start", "-d", *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def test_start_wait_status_reset_logs_stop(self):
        r = self.start()
        self.assertIn("Ready.", r.stdout)
        self.assertIn("started in the background", r.stdout)
        pid = int(open(self.pid_file).read())
        os.kill(pid, 0)  # alive
        self.assertIn("Ready.", open(self.log_file).read())

        again = self.nimbus("start", "-d")
        self.assertEqual(again.returncode, 1)
        self.assertIn("already running (pid %d" % pid, again.stderr)

        r = self.nimbus("wait", "--timeout", "5")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ready at " + self.url, r.stdout)

        sqs = boto3_client(self.url, "sqs")
        s3 = boto3_client(self.url, "s3")
        sqs.create_queue(QueueName="cli-jobs")
        s3.create_bucket(Bucket="cli-bucket")

        r = self.nimbus("status")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stdout.splitlines()
        self.assertIn("is running at " + self.url, lines[0])
        self.assertRegex(lines[0], r"\(up \d+ s, 2 requests, persistence off\)$")  # the two creates above
        table = dict(line.split() for line in lines[lines.index(next(x for x in lines if x.startswith("SERVICE"))) + 1:])
        self.assertEqual(table["sqs"], "running")
        self.assertEqual(table["s3"], "running")
        self.assertEqual(table["sts"], "available")

        r = self.nimbus("reset", "sqs")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "reset: sqs"), r.stderr)
        self.assertEqual(sqs.list_queues().get("QueueUrls", []), [])
        self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["cli-bucket"])  # only sqs was reset

        sqs.create_queue(QueueName="cli-jobs-2")
        r = self.nimbus("reset")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("s3", r.stdout)
        self.assertIn("sqs", r.stdout)
        self.assertEqual(sqs.list_queues().get("QueueUrls", []), [])
        self.assertEqual(s3.list_buckets()["Buckets"], [])

        r = self.nimbus("reset", "nosuchservice")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no service named 'nosuchservice'", r.stderr)

        r = self.nimbus("logs")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Ready.", r.stdout)
        self.assertIn("sqs.CreateQueue => 200", r.stdout)

        # logs -f shows lines written after it started, and ends when the server stops
        follower = subprocess.Popen([NIMBUS_BIN, "logs", "-f"], env=self.env, stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.3)
            sqs.create_queue(QueueName="followed-queue")
            r = self.nimbus("stop")
            self.assertEqual(r.returncode, 0, r.stderr)
            out, _ = follower.communicate(timeout=10)
        finally:
            follower.kill()
        self.assertEqual(follower.returncode, 0)
        self.assertEqual(out.count("Ready."), 1)
        self.assertIn("sqs.CreateQueue => 200", out.split("Ready.")[1])
        self.assertIn("nimbus: stopped", out)  # the server's last line: stop waited for the exit

        self.assertIn("stopped (pid %d)" % pid, r.stdout)
        self.assertFalse(os.path.exists(self.pid_file))
        self.assertFalse(alive(pid))

        r = self.nimbus("stop")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not running (no pid file", r.stderr)

    def test_down_server(self):
        r = self.nimbus("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not running at " + self.url, r.stdout)
        start = time.monotonic()
        r = self.nimbus("wait", "-t", "0.5")
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, 1)
        self.assertIn("not ready at %s after 0.5 s" % self.url, r.stderr)
        self.assertLess(elapsed, 5)
        r = self.nimbus("reset")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not running", r.stderr)
        r = self.nimbus("logs")
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.log_file, r.stderr)

    def test_wait_returns_once_a_late_server_is_up(self):
        waiter = subprocess.Popen([NIMBUS_BIN, "wait", "--timeout", "20"], env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        self.assertIsNone(waiter.poll())  # nothing to wait for yet
        self.start()
        out, err = waiter.communicate(timeout=20)
        self.assertEqual(waiter.returncode, 0, err)
        self.assertIn("ready at", out)
        self.assertEqual(self.nimbus("stop").returncode, 0)

    def test_endpoint_flag_and_given_files(self):
        pid_file, log_file = os.path.join(self.tmp, "run", "n.pid"), os.path.join(self.tmp, "logs", "n.log")
        self.pid_file = pid_file
        r = self.start("--pid-file", pid_file, "--log-file", log_file, "--services", "sqs")
        self.assertTrue(os.path.exists(pid_file))
        self.assertIn("Ready.", open(log_file).read())
        # the client commands reach it by --endpoint whatever GATEWAY_LISTEN says
        r = self.nimbus("status", "--endpoint", self.url, GATEWAY_LISTEN="127.0.0.1:9")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r"\nsqs +available")
        self.assertRegex(r.stdout, r"\ns3 +disabled")  # --services reached the server
        r = self.nimbus("status", "--endpoint", "127.0.0.1:%d" % self.port)  # the scheme may be left out
        self.assertEqual(r.returncode, 0, r.stdout)
        r = self.nimbus("status", "--endpoint", "https://127.0.0.1:%d" % self.port)
        self.assertEqual(r.returncode, 2)
        self.assertIn("expected http://host:port", r.stderr)
        r = self.nimbus("logs", "--log-file", log_file)
        self.assertIn("Ready.", r.stdout)
        self.assertEqual(self.nimbus("stop").returncode, 1)  # not the default pid file
        r = self.nimbus("stop", "--pid-file", pid_file)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(pid_file))

    def test_start_failure_is_reported_with_the_log(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", self.port))
            busy.listen()
            r = self.nimbus("start", "-d")
        self.assertEqual(r.returncode, 1)
        self.assertIn("exited (exit code 2) before it was ready", r.stderr)
        self.assertIn("127.0.0.1:%d" % self.port, r.stderr)  # the server's own message, from its log
        self.assertFalse(os.path.exists(self.pid_file))
        r = self.nimbus("start", "-d", "--no-such-flag")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--no-such-flag'", r.stderr)

    def test_stale_pid_file_never_signals_another_process(self):
        os.makedirs(os.path.dirname(self.pid_file))
        sleeper = subprocess.Popen(["sleep", "30"])
        try:
            with open(self.pid_file, "w") as f:
                f.write("%d\n" % sleeper.pid)
            r = self.nimbus("stop")
            self.assertEqual(r.returncode, 1)
            self.assertIn("removed the stale pid file", r.stderr)
            self.assertIsNone(sleeper.poll())  # not signalled
            self.assertFalse(os.path.exists(self.pid_file))
        finally:
            sleeper.kill()
            sleeper.wait()

    def test_foreground_start_serves_like_the_bare_command(self):
        with Nimbus(args=["start", "--services", "sqs"]) as n:
            r = subprocess.run([NIMBUS_BIN, "status", "--endpoint", n.url], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertRegex(r.stdout, r"\nsqs +available")
        self.assertIn("nimbus: stopped", n.output)
        r = self.nimbus("start", "--pid-file", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("go with -d", r.stderr)

    def test_version_and_help(self):
        r = self.nimbus("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^nimbus \d+\.\d+\.\d+")
        r = self.nimbus("--help")
        self.assertEqual(r.returncode, 0)
        for command in ("start [-d]", "stop", "status", "wait", "logs [-f]", "reset [service]", "config"):
            self.assertIn("  nimbus " + command, r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
