"""nimbus-moto-server (issue 21, item 4): moto_server's command line (-H, -p, a service name that
is ignored with a note) starts Nimbus there, with moto's default account 123456789012."""
import os, signal, subprocess, sys, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import SOURCE_DIR, boto3_client, free_port  # noqa: E402

WRAPPER = os.path.join(SOURCE_DIR, "tools", "moto", "nimbus-moto-server")


class MotoServerTest(unittest.TestCase):
    def run_wrapper(self, *args, **env):
        port = free_port()
        full_env = dict(os.environ, **env)
        proc = subprocess.Popen([WRAPPER, "-H", "127.0.0.1", "-p", str(port), *args], env=full_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop, proc)
        out = ""
        deadline = time.time() + 10
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out += line
            if line.strip() == "Ready.":
                return proc, "http://127.0.0.1:%d" % port, out
        self.fail("no Ready.: " + out + proc.stderr.read())

    def stop(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.err_text = proc.communicate(timeout=15)[1]
        return proc.err_text

    def test_host_port_and_moto_account(self):
        proc, url, out = self.run_wrapper("s3")
        self.assertIn("listening on 127.0.0.1:%s" % url.rsplit(":", 1)[1], out)
        self.assertEqual(boto3_client(url, "sts").get_caller_identity()["Account"], "123456789012")
        queue = boto3_client(url, "sqs").create_queue(QueueName="moto-style")["QueueUrl"]
        self.assertIn("/123456789012/moto-style", queue)
        self.assertIn("the service argument 's3' is ignored", self.stop(proc))

    def test_moto_account_id_overrides(self):
        _, url, _ = self.run_wrapper(MOTO_ACCOUNT_ID="111122223333")
        self.assertEqual(boto3_client(url, "sts").get_caller_identity()["Account"], "111122223333")

    def test_bad_arguments(self):
        for args, message in ((["--bogus"], "unknown option --bogus"), (["-p", "x1"], "expected a port number"),
                              (["-s"], "HTTPS is not offered")):
            r = subprocess.run([WRAPPER, *args], capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(message, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
