#!/usr/bin/env python3
"""SSM Parameter Store benchmark (issue 14 item 7, GetParameter): requests/s of GetParameter on a
String and on a SecureString WithDecryption, Nimbus (in-memory store) beside moto's server in the
same run, and each server's CPU microseconds per request (/proc/<pid>/stat: that figure holds when
other work shares the machine, req/s does not). One signed request per case, replayed by wrk
(bench/wrk_replay.py, -t2 -c16) for SECONDS after a 1 s warm-up. Prints the ratios and whether
Nimbus's GetParameter is >= 100x moto's.
    bench/ssm/run.py [seconds]   (NIMBUS_BIN: build/nimbus; wrk on PATH; moto[server] in this python)"""
import os, signal, socket, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
os.environ.setdefault("NIMBUS_BIN", os.path.join(HERE, "..", "..", "build", "nimbus"))
import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from nimbus_server import Nimbus, free_port  # noqa: E402
from wrk_replay import replay  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
CASES = [("String", '{"Name": "/bench/app/url"}'),
         ("SecureString, WithDecryption", '{"Name": "/bench/app/secret", "WithDecryption": true}')]


class Moto:
    """moto's server on a free port, shaped like nimbus_server.Nimbus for wrk_replay (proc, url)."""

    def __enter__(self):
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise SystemExit("moto did not start")

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def prepare(url):
    ssm = boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    ssm.put_parameter(Name="/bench/app/url", Value="https://example.com/app", Type="String")
    ssm.put_parameter(Name="/bench/app/secret", Value="hunter2-but-longer", Type="SecureString")


def signed(url, body):
    req = AWSRequest("POST", url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameter"})
    SigV4Auth(Credentials("test", "test"), "ssm", "us-east-1").add_auth(req)
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in req.headers.items()}


def measure(server):
    prepare(server.url)
    out = {}
    for label, body in CASES:
        replay(server, 1, "POST", "/", body, signed(server.url, body))  # warm-up
        out[label] = replay(server, SECONDS, "POST", "/", body, signed(server.url, body))
    return out


def main():
    with Nimbus(SERVICES="ssm", LS_LOG="warn") as n:
        nimbus = measure(n)
    with Moto() as m:
        moto = measure(m)
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    print("== SSM GetParameter, wrk -t2 -c16, %d s a run; load average %s" % (SECONDS, load))
    print("%-30s %12s %12s %10s %14s %12s" % ("case", "nimbus req/s", "moto req/s", "ratio", "nimbus us/req",
                                               "moto us/req"))
    ok = True
    for label, _ in CASES:
        (nr, nc), (mr, mc) = nimbus[label], moto[label]
        print("%-30s %12.0f %12.0f %9.0fx %14.1f %12.1f" % (label, nr, mr, nr / mr, nc, mc))
        ok &= nr >= 100 * mr
    print("target >= 100x moto on GetParameter: %s" % ("met" if ok else "not met"))


if __name__ == "__main__":
    main()
