"""HTTPS on the same port as HTTP (issue 21, item 1), seen by real clients: curl --cacert, boto3
(Debian's 1.29 and pyenv's newer one) with verify=<CA>, the AWS CLI with --ca-bundle, Node's
@aws-sdk clients with NODE_EXTRA_CA_CERTS, each running S3 and SQS operations. The certificate is
made into DATA_DIR/tls at the first start and reused at the next; the user's own by setting.

localhost.localstack.cloud does not resolve on this offline machine: the clients that use it get
it mapped to 127.0.0.1 by localstack_dns/ (curl --resolve; a getaddrinfo/dns.lookup override for
Python and Node), which changes the address lookup only: SNI and the certificate check use the
name. The other cases connect to https://127.0.0.1 (an IP address in the certificate)."""
import json, os, re, shutil, socket, ssl, subprocess, sys, tempfile, time, unittest, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nimbus_server import Nimbus, aws_clis, aws_env, rerun_with_newer_boto3  # noqa: E402
from npm_ci import npm_ci  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DNS_DIR = os.path.join(HERE, "localstack_dns")
LS = "localhost.localstack.cloud"
SERVER = None  # the shared server of the parent process


def server_info():
    """(port, CA file): the parent's server, or the one the parent names (ClientCases rerun)."""
    if os.environ.get("NB_HTTPS_PORT"):
        return int(os.environ["NB_HTTPS_PORT"]), os.environ["NB_HTTPS_CA"]
    return SERVER.port, SERVER.ca


def with_localstack_dns():
    """localhost.localstack.cloud -> 127.0.0.1 in this process too: the override the child
    processes get from localstack_dns/sitecustomize.py, loaded by its path (Debian has a
    sitecustomize module of its own)."""
    if getattr(socket.getaddrinfo, "__name__", "") == "_getaddrinfo":
        return
    import importlib.util
    spec = importlib.util.spec_from_file_location("localstack_dns", os.path.join(DNS_DIR, "sitecustomize.py"))
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def client(service, endpoint, ca, **cfg):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", verify=ca, config=Config(retries={"max_attempts": 1}, **cfg))


def start_time(**env):
    """Seconds from exec to Ready. of a server with env, and its output."""
    t0 = time.monotonic()
    n = Nimbus(**env).start(timeout=30)
    took = time.monotonic() - t0
    n.stop()
    return took, n.output


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True, text=True, timeout=30)


class ClientCases(unittest.TestCase):
    """S3 and SQS through boto3 over HTTPS with verify=<CA>: run by this python (Debian's boto3
    1.29) and again by a newer one (HttpsServer.test_newer_boto3)."""

    def run_s3_and_sqs(self, endpoint, s3_style):
        port, ca = server_info()
        s3 = client("s3", endpoint.replace("://", "://s3.") if s3_style == "virtual" else endpoint, ca,
                    s3={"addressing_style": s3_style})
        bucket = "https-%s" % uuid.uuid4().hex[:12]
        s3.create_bucket(Bucket=bucket)
        body = os.urandom(300 * 1024)  # many TLS records each way
        s3.put_object(Bucket=bucket, Key="dir/obj", Body=body)
        self.assertEqual(s3.get_object(Bucket=bucket, Key="dir/obj")["Body"].read(), body)
        self.assertEqual([o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]], ["dir/obj"])
        s3.delete_object(Bucket=bucket, Key="dir/obj")
        s3.delete_bucket(Bucket=bucket)
        sqs = client("sqs", endpoint, ca)
        url = sqs.create_queue(QueueName="https-%s" % uuid.uuid4().hex[:12])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="over tls")
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
        self.assertEqual([m["Body"] for m in msgs], ["over tls"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
        sqs.delete_queue(QueueUrl=url)

    def test_ip_endpoint_path_style(self):
        port, _ = server_info()
        self.run_s3_and_sqs("https://127.0.0.1:%d" % port, "path")

    def test_localstack_name_virtual_hosts(self):
        """https://localhost.localstack.cloud, S3 at <bucket>.s3.localhost.localstack.cloud."""
        with_localstack_dns()
        port, _ = server_info()
        self.run_s3_and_sqs("https://%s:%d" % (LS, port), "virtual")

    def test_untrusted_without_the_ca(self):
        """The default trust store does not know the CA: a client that is not told refuses."""
        port, _ = server_info()
        s3 = boto3.client("s3", endpoint_url="https://127.0.0.1:%d" % port, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(retries={"max_attempts": 1}))
        from botocore.exceptions import SSLError
        with self.assertRaises(SSLError):
            s3.list_buckets()


class HttpsServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        global SERVER
        cls.data = tempfile.mkdtemp(prefix="nimbus-https-")
        SERVER = cls.n = Nimbus(SERVICES="s3,sqs", DATA_DIR=cls.data, NIMBUS_TLS_HANDSHAKE_TIMEOUT="1").start()
        cls.ca = cls.n.ca
        cls.port = cls.n.port

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()
        shutil.rmtree(cls.data, ignore_errors=True)

    def test_certificate_made_into_data_dir(self):
        self.assertEqual(self.ca, os.path.join(self.data, "tls", "ca.crt"))
        self.assertIn("server.pem made now", self.n.output)
        self.assertEqual(os.stat(os.path.join(self.data, "tls", "server.pem")).st_mode & 0o777, 0o600)

    def test_curl_cacert(self):
        r = curl("--cacert", self.ca, "https://127.0.0.1:%d/_localstack/health" % self.port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["services"]["s3"] in ("available", "running"), True, r.stdout)
        for host in (LS, "sqs.us-east-1." + LS, "abc.lambda-url.eu-west-1." + LS):
            r = curl("--cacert", self.ca, "--resolve", "%s:%d:127.0.0.1" % (host, self.port),
                     "https://%s:%d/_localstack/info" % (host, self.port))
            self.assertEqual(r.returncode, 0, (host, r.stderr))
            self.assertIn('"version"', r.stdout)
        # and plain HTTP on the same port
        r = curl("http://127.0.0.1:%d/_localstack/info" % self.port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"version"', r.stdout)
        # curl without the CA refuses the certificate (exit 60)
        r = curl("https://127.0.0.1:%d/_localstack/info" % self.port)
        self.assertEqual(r.returncode, 60, r.stderr)

    def test_curl_s3_virtual_host_object(self):
        s3 = client("s3", "https://127.0.0.1:%d" % self.port, self.ca, s3={"addressing_style": "path"})
        bucket = "curl-%s" % uuid.uuid4().hex[:10]
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello over https")
        host = "%s.s3.%s" % (bucket, LS)
        r = curl("--cacert", self.ca, "--resolve", "%s:%d:127.0.0.1" % (host, self.port),
                 "https://%s:%d/hello.txt" % (host, self.port))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "hello over https")

    def test_boto3(self):
        r = unittest.TextTestRunner(stream=sys.stderr, verbosity=1).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(ClientCases))
        self.assertTrue(r.wasSuccessful())

    def test_newer_boto3(self):
        env = dict(os.environ, NB_HTTPS_PORT=str(self.port), NB_HTTPS_CA=self.ca)
        rerun_with_newer_boto3(self, __file__, "ClientCases", env=env)

    def test_aws_cli_ca_bundle(self):
        clis = aws_clis()
        self.assertTrue(clis, "no AWS CLI (tools/deps.sh installs Debian's)")
        for cli in clis:
            for endpoint, extra_env in (("https://127.0.0.1:%d" % self.port, {}),
                                        ("https://%s:%d" % (LS, self.port), {"PYTHONPATH": DNS_DIR})):
                env = dict(aws_env(), **extra_env)
                for name in ("AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
                    env.pop(name, None)

                def aws(*args, ca=True):
                    cmd = [cli, "--endpoint-url", endpoint, "--output", "json"] + (["--ca-bundle", self.ca] if ca else [])
                    return subprocess.run(cmd + list(args), env=env, capture_output=True, text=True, timeout=120)

                bucket = "cli-%s" % uuid.uuid4().hex[:10]
                ok = lambda r: self.assertEqual(r.returncode, 0, (cli, endpoint, r.stderr))  # noqa: E731
                ok(aws("s3", "mb", "s3://" + bucket))
                with tempfile.NamedTemporaryFile(suffix=".txt") as f:
                    f.write(b"via the cli")
                    f.flush()
                    ok(aws("s3", "cp", f.name, "s3://%s/a.txt" % bucket))
                r = aws("s3", "cp", "s3://%s/a.txt" % bucket, "-")
                ok(r)
                self.assertEqual(r.stdout, "via the cli")
                ok(aws("s3", "rb", "--force", "s3://" + bucket))
                r = aws("sqs", "create-queue", "--queue-name", "cli-%s" % uuid.uuid4().hex[:10])
                ok(r)
                url = json.loads(r.stdout)["QueueUrl"]
                ok(aws("sqs", "send-message", "--queue-url", url, "--message-body", "cli over tls"))
                r = aws("sqs", "receive-message", "--queue-url", url)
                ok(r)
                self.assertEqual(json.loads(r.stdout)["Messages"][0]["Body"], "cli over tls")
                ok(aws("sqs", "delete-queue", "--queue-url", url))
                r = aws("s3", "ls", ca=False)
                self.assertNotEqual(r.returncode, 0, "without --ca-bundle the CLI must refuse the certificate")
                self.assertIn("SSL", r.stderr)

    def test_node_sdk_extra_ca_certs(self):
        self.assertTrue(shutil.which("node"), "node is missing (tools/deps.sh installs it)")
        endpoint = "https://%s:%d" % (LS, self.port)
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=self.ca, NODE_OPTIONS="--require " + os.path.join(DNS_DIR, "lookup.cjs"))
        s3_vhost = "https://s3.%s:%d" % (LS, self.port)  # buckets at <bucket>.s3.localhost.localstack.cloud
        for folder, script, args in (("js", "https_sqs.mjs", [endpoint]), ("js-s3", "https_s3.mjs", [s3_vhost]),
                                     ("js-s3", "https_s3.mjs", ["https://127.0.0.1:%d" % self.port, "path"])):
            npm_ci(os.path.join(HERE, folder))
            r = subprocess.run(["node", os.path.join(HERE, folder, script), *args], env=env, capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(r.returncode, 0, (script, args, r.stdout + r.stderr))
            self.assertIn("over https ok", r.stdout)
        env.pop("NODE_EXTRA_CA_CERTS")
        r = subprocess.run(["node", os.path.join(HERE, "js", "https_sqs.mjs"), endpoint], env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0, "without the CA Node must refuse the certificate")
        self.assertRegex(r.stderr, "certificate|CERT")

    def closed_within(self, sock, seconds):
        sock.settimeout(seconds)
        try:
            while sock.recv(4096):
                pass
            return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def test_bad_bytes_close_and_a_stalled_handshake_times_out_without_stalling_others(self):
        bad = socket.create_connection(("127.0.0.1", self.port))
        bad.sendall(b"\x16\x03\x01\x00\x10this is no client hello")
        self.assertTrue(self.closed_within(bad, 2), "bad TLS bytes close the connection at once")
        bad.close()
        stalled = socket.create_connection(("127.0.0.1", self.port))
        stalled.sendall(b"\x16\x03\x01")  # a record header, never its body
        t0 = time.monotonic()
        # meanwhile others are served, over TLS and plain HTTP
        r = curl("--cacert", self.ca, "https://127.0.0.1:%d/_localstack/info" % self.port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.monotonic() - t0, 0.9, "served while a handshake stalls")
        self.assertTrue(self.closed_within(stalled, 5), "the stalled handshake is closed")
        took = time.monotonic() - t0
        self.assertTrue(0.8 <= took < 4, "closed after NIMBUS_TLS_HANDSHAKE_TIMEOUT=1, not %.2f s" % took)
        stalled.close()

    def test_tls_versions_and_alpn(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", self.port)) as raw:
            with ctx.wrap_socket(raw, server_hostname=LS) as s:
                self.assertEqual(s.selected_alpn_protocol(), "http/1.1", "HTTP/1.1 only, even when h2 is offered")
                self.assertIn(s.version(), ("TLSv1.2", "TLSv1.3"))
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(self.ca)
        try:
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            old.minimum_version = ssl.TLSVersion.TLSv1
        except (ValueError, AttributeError):
            self.skipTest("this OpenSSL cannot offer TLS 1.1 any more")
        with socket.create_connection(("127.0.0.1", self.port)) as raw:
            with self.assertRaises(ssl.SSLError):
                old.wrap_socket(raw, server_hostname=LS).do_handshake()


class HttpsSettings(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nimbus-https-set-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_reused_at_restart_and_start_up_time(self):
        """The first start makes the CA and certificate, the next reuses them (clients keep
        trusting the same CA); making them costs little start-up time."""
        data = os.path.join(self.tmp, "data")
        made, out1 = start_time(SERVICES="sqs", DATA_DIR=data)
        self.assertIn("made now", out1)
        with open(os.path.join(data, "tls", "ca.crt")) as f:
            ca = f.read()
        reused = []
        for _ in range(3):
            took, out = start_time(SERVICES="sqs", DATA_DIR=data)
            self.assertIn("reused", out)
            reused.append(took)
        with open(os.path.join(data, "tls", "ca.crt")) as f:
            self.assertEqual(f.read(), ca)
        no_tls, _ = start_time(SERVICES="sqs", DATA_DIR=data, NIMBUS_HTTPS="0")
        print("\nstart-up to Ready.: certificate made %.3f s, reused %s s, HTTPS off %.3f s"
              % (made, " ".join("%.3f" % t for t in reused), no_tls), file=sys.stderr)
        self.assertLess(made - min(reused), 1.0, "making the certificate delays Ready. by under a second")

    def make_self_signed(self, name):
        key, crt = os.path.join(self.tmp, name + ".key"), os.path.join(self.tmp, name + ".crt")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=" + name,
                            "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % name],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return key, crt

    def served_subject(self, port, ca):
        ctx = ssl.create_default_context(cafile=ca)
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                return dict(x[0] for x in s.getpeercert()["subject"])["commonName"]

    def test_custom_certificate_and_key(self):
        key, crt = self.make_self_signed("my-own")
        data = os.path.join(self.tmp, "data")
        # the key in a file of its own
        with Nimbus(SERVICES="sqs", DATA_DIR=data, CUSTOM_SSL_CERT_PATH=crt, NIMBUS_SSL_KEY_PATH=key) as n:
            self.assertEqual(self.served_subject(n.port, crt), "my-own")
            self.assertIn("certificate " + crt, n.output)
        self.assertFalse(os.path.exists(os.path.join(data, "tls")), "nothing is generated for a custom certificate")
        # LocalStack's single file: key and certificate together
        pem = os.path.join(self.tmp, "server.test.pem")
        with open(pem, "w") as f, open(key) as k, open(crt) as c:
            f.write(k.read() + c.read())
        with Nimbus(SERVICES="sqs", DATA_DIR=data, CUSTOM_SSL_CERT_PATH=pem) as n:
            self.assertEqual(self.served_subject(n.port, crt), "my-own")

    def test_bad_custom_certificate_stops_start_up(self):
        key, crt = self.make_self_signed("a")
        other_key, _ = self.make_self_signed("b")
        for env, needle in (({"CUSTOM_SSL_CERT_PATH": os.path.join(self.tmp, "missing.pem")}, "missing.pem"),
                            ({"CUSTOM_SSL_CERT_PATH": crt, "NIMBUS_SSL_KEY_PATH": other_key}, "does not belong"),
                            ({"NIMBUS_SSL_KEY_PATH": key}, "CUSTOM_SSL_CERT_PATH")):
            n = Nimbus(SERVICES="sqs", DATA_DIR=os.path.join(self.tmp, "d"), **env)
            with self.assertRaises(RuntimeError):
                n.start()
            self.assertEqual(n.proc, None)
            self.assertIn(needle, n.output)
            self.assertIn("CUSTOM_SSL_CERT_PATH", n.output)

    def test_https_off_and_unwritable_data_dir_leave_http(self):
        blocker = os.path.join(self.tmp, "a-file")
        open(blocker, "w").close()
        for env, note in (({"NIMBUS_HTTPS": "0", "DATA_DIR": os.path.join(self.tmp, "d")}, None),
                          ({"DATA_DIR": blocker}, "HTTPS is off, HTTP only")):
            with Nimbus(SERVICES="sqs", **env) as n:
                if note:
                    self.assertIn(note, n.output)
                r = curl("http://127.0.0.1:%d/_localstack/info" % n.port)
                self.assertEqual(r.returncode, 0, r.stderr)
                r = curl("-k", "https://127.0.0.1:%d/_localstack/info" % n.port)
                self.assertNotEqual(r.returncode, 0, "no TLS handshake without HTTPS")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "d", "tls")))

    def test_quiet_log_level_keeps_https_and_says_nothing_false(self):
        """LS_LOG=warn drops the HTTPS info line, and must not say HTTPS is off while it serves."""
        with Nimbus(SERVICES="sqs", DATA_DIR=os.path.join(self.tmp, "d"), LS_LOG="warn") as n:
            r = curl("-k", "https://127.0.0.1:%d/_localstack/info" % n.port)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("HTTPS", n.output)


def load_tests(loader, tests, pattern):
    """ClientCases run inside HttpsServer, against its server (and by name in a newer python)."""
    suite = unittest.TestSuite()
    for cls in (HttpsServer, HttpsSettings):
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite


if __name__ == "__main__":
    unittest.main(verbosity=2)
