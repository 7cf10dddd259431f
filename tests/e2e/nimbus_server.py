"""Starts the built nimbus binary for end-to-end tests and stops it again."""
import os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time, unittest

NIMBUS_BIN = os.environ.get("NIMBUS_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "nimbus")
SOURCE_DIR = os.environ.get("NB_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY_DIR = os.environ.get("NB_BINARY_DIR") or os.path.join(SOURCE_DIR, "build")
# NB_E2E_HTTPS=1: the tests' clients reach the server over HTTPS, which the same port serves
# beside HTTP: Nimbus.url is https://127.0.0.1:<port>, and once a server is up the CA of its
# certificate is where every client looks for one (see trust_ca). Raw sockets stay plain HTTP.
HTTPS = os.environ.get("NB_E2E_HTTPS") == "1"
CA_ENV = ("AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(drop=(), **env):
    """This process's environment for a server, without the variables that only the tests read
    (NIMBUS_BIN names the binary, not a setting: the server would warn about it) or those in drop,
    with env added."""
    out = {k: v for k, v in os.environ.items() if k not in ("NIMBUS_BIN", "NB_E2E_HTTPS") and k not in drop}
    out.update({k: str(v) for k, v in env.items()})
    return out


def temp_dir(test, prefix="nimbus-"):
    """A new folder, removed when test ends whatever its outcome."""
    path = tempfile.mkdtemp(prefix=prefix)
    test.addCleanup(shutil.rmtree, path, True)
    return path


class Nimbus:
    """with Nimbus(SERVICES="sts") as n: n.url ...
    preexec, when set, runs in the child before exec (resource limits)."""

    preexec = None

    def __init__(self, args=(), **env):
        self.port = free_port()
        self.env = server_env(**{"GATEWAY_LISTEN": f"127.0.0.1:{self.port}", **env})
        self.args = list(args)
        self.url = f"{'https' if HTTPS else 'http'}://127.0.0.1:{self.port}"
        self.ca = None  # the CA file clients trust for this server's HTTPS (its start-up line names it)
        self.output = ""
        self.proc = None

    def start(self, timeout=10):
        self.proc = subprocess.Popen([NIMBUS_BIN] + self.args, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, preexec_fn=self.preexec)
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output += line
            m = re.search(r"clients trust the CA (\S+)", line)
            if m:
                self.ca = m.group(1)
            if line.strip() == "Ready.":
                if HTTPS:
                    trust_ca(self.ca)
                # keep reading: a full pipe would block the server's log writes
                self._drain = threading.Thread(target=self._read_rest, daemon=True)
                self._drain.start()
                return self
        self.stop()
        raise RuntimeError("nimbus did not print Ready.:\n" + self.output)

    def wait_for_output(self, text, timeout=5):
        """Whether text appears in the server's output within timeout seconds (its log is read by a
        thread, so a line written just now may not be in self.output yet)."""
        deadline = time.time() + timeout
        while text not in self.output:
            if time.time() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def _read_rest(self):
        for line in self.proc.stdout:
            self.output += line

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if getattr(self, "_drain", None):
            self._drain.join(timeout=5)
        else:
            self.output += self.proc.stdout.read() or ""
        rc = self.proc.returncode
        self.proc = None
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()



class ServerTestCase(unittest.TestCase):
    """One server for all the tests of a class, self.n, started with the class's server_env
    (settings as Nimbus takes them) and stopped after its last test."""

    server_env = {}

    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(**cls.server_env).start()

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

_ca_bundle = None


def trust_ca(ca):
    """Makes this process and the clients it starts trust ca: botocore and the AWS CLI
    (AWS_CA_BUNDLE), Python's ssl and urllib (SSL_CERT_FILE), requests, curl, Node. The CA is
    copied into one bundle of every server's CA seen, so a server with a DATA_DIR (and CA) of
    its own, removed after its test, leaves the others trusted."""
    global _ca_bundle
    if not ca:
        raise RuntimeError("NB_E2E_HTTPS=1 but the server named no CA (is HTTPS off?)")
    if _ca_bundle is None:
        import atexit, tempfile
        fd, _ca_bundle = tempfile.mkstemp(prefix="nimbus-e2e-ca-", suffix=".pem")
        os.close(fd)
        atexit.register(os.unlink, _ca_bundle)
    with open(ca) as src:
        pem = src.read()
    with open(_ca_bundle) as cur:
        known = cur.read()
    if pem not in known:
        with open(_ca_bundle, "a") as dst:
            dst.write(pem)
    for name in CA_ENV:
        os.environ[name] = _ca_bundle


def boto3_client(url, service, region="us-east-1"):
    """A boto3 client of a test server, with the test credentials; S3 path-style."""
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))


def aws_env(access_key="test", region="us-east-1"):
    env = dict(os.environ)
    env.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": region,
                "AWS_PAGER": "", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    return env


# The AWS CLIs to drive: Debian's v2 always; pyenv's v1 (newer botocore) when present.
def aws_clis():
    clis = ["/usr/bin/aws"]
    for path in os.environ.get("PATH", "").split(":"):
        cand = os.path.join(path, "aws")
        if os.path.exists(cand) and os.path.realpath(cand) != os.path.realpath("/usr/bin/aws"):
            clis.append(cand)
            break
    return [c for c in clis if os.path.exists(c)]


def run_aws(cli, url, *args, access_key="test", region="us-east-1"):
    return subprocess.run([cli, "--endpoint-url", url, "--output", "json", *args], env=aws_env(access_key, region),
                          capture_output=True, text=True, timeout=60)


# A skipped test names itself and its reason on a line of its own (unittest's verbose output may
# be mid-line), which tools/test-summary.sh collects from ctest's log: unittest's own report of a
# skip is easy to miss there.
def _report_skip(add_skip):
    def add_skip_and_report(self, test, reason):
        print("\nSKIPPED %s: %s" % (test.id().replace("__main__.", os.path.basename(sys.argv[0]) + ":"), reason),
              file=sys.stderr, flush=True)
        return add_skip(self, test, reason)
    return add_skip_and_report


unittest.TestResult.addSkip = _report_skip(unittest.TestResult.addSkip)


def newer_python(min_botocore=(1, 31)):
    """A python3 other than this one whose botocore is at least min_botocore (pyenv's, with
    boto3 1.4x beside Debian's 1.29), or None. Tests run their cases again in it, so both
    client generations see every case."""
    home_shim = os.path.join(os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv")), "shims", "python3")
    for cand in (home_shim, shutil.which("python3")):
        if not cand or not os.access(cand, os.X_OK) or os.path.realpath(cand) == os.path.realpath(sys.executable):
            continue
        r = subprocess.run([cand, "-c", "import botocore; print(botocore.__version__)"], capture_output=True, text=True)
        try:
            version = tuple(int(x) for x in r.stdout.strip().split(".")[:2])
        except ValueError:
            continue
        if r.returncode == 0 and version >= tuple(min_botocore):
            return cand
    return None


def rerun_with_newer_boto3(test, script, cases, min_botocore=(1, 31), env=None):
    """Runs the unittest class `cases` of `script` again in newer_python(min_botocore), so the
    newer client generation sees every case; skips `test`, naming why, when there is none.
    env: the child's environment (the parent's server URL, typically)."""
    py = newer_python(min_botocore)
    if py is None:
        test.skipTest("needs a python3 other than %s with botocore >= %s (pyenv's; Debian has 1.29): none found"
                      % (sys.executable, ".".join(map(str, min_botocore))))
    r = subprocess.run([py, os.path.abspath(script), cases], env=env, capture_output=True, text=True, timeout=300)
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)
    test.assertIn("OK", r.stderr)


def newest_boto3_python():
    """The python3 on PATH when it is not Debian's and has a newer boto3 (pyenv's, botocore 1.43
    here), else None: tests that need a current client skip without it."""
    py = shutil.which("python3")
    if py is None or os.path.realpath(py) == os.path.realpath("/usr/bin/python3"):
        return None
    r = subprocess.run([py, "-c", "import botocore; print(botocore.__version__)"], capture_output=True, text=True,
                       timeout=60)
    version = tuple(int(x) for x in r.stdout.strip().split(".")[:2] if x.isdigit()) if r.returncode == 0 else ()
    return py if version >= (1, 40) else None
