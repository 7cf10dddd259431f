"""Secrets Manager benchmark (issue 14, item 7), started by bench/secretsmanager/run.sh: GetSecretValue of
one 64-byte string secret under the AWS managed key (and, on Nimbus, one under a customer managed KMS
key: a KMS Decrypt of its data key per read) on Nimbus (in-memory store) and moto's server, in the same run.

  - requests/s: wrk -t1 -cCONNS replaying one GetSecretValue request for DUR seconds after a 1 s warm-up;
  - the server's CPU microseconds per request (utime+stime of its process over the run, divided by the
    requests wrk counted: that figure holds when other work shares the machine, req/s does not);
  - a check that every answer of a 1 s run was 200 with the secret's value in it.
Prints the load average, the ratios to moto and whether the target holds (>= 100x moto requests/s).

  run.py NIMBUS_BIN [seconds]
Env: CONNS (32), TARGETS ("nimbus moto").
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CONNS = int(os.environ.get("CONNS", "32"))
TARGETS = os.environ.get("TARGETS", "nimbus moto").split()
HZ = os.sysconf("SC_CLK_TCK")
VALUE = "v" * 64
AUTH = ("AWS4-HMAC-SHA256 Credential=test/20261208/us-east-1/secretsmanager/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-target, Signature=0")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, service, target, body):
    """One JSON-protocol request (Nimbus and moto take any signature): the decoded answer."""
    prefix = {"secretsmanager": "secretsmanager", "kms": "TrentService"}[service]
    req = urllib.request.Request(url + "/", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{prefix}.{target}",
        "Authorization": AUTH.replace("secretsmanager", service)})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def start(name, argv, env, url, tmp):
    err = open(os.path.join(tmp, name + ".err"), "w")
    p = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 60
    while time.time() < deadline:
        if p.poll() is not None:
            sys.exit(f"{name} did not start: " + open(err.name).read())
        if subprocess.run(["curl", "-s", "-o", "/dev/null", url]).returncode == 0:
            return p
        time.sleep(0.1)
    sys.exit(f"{name} did not answer {url} within 60 s")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def lua(tmp, name, secret_id):
    path = os.path.join(tmp, name + ".lua")
    with open(path, "w") as f:
        f.write(f'''wrk.method = "POST"
wrk.body = '{json.dumps({"SecretId": secret_id})}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "secretsmanager.GetSecretValue"
wrk.headers["Authorization"] = "{AUTH}"
bad = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, "{VALUE}", 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write("bad_answers " .. bad .. "\\n")
end
''')
    return path


def wrk(url, script, seconds, conns):
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", script, url + "/"],
                         capture_output=True, text=True).stdout
    n = re.search(r"(\d+) requests in", out)
    return out, int(n.group(1)) if n else 0


def measure(proc, url, script, dur):
    wrk(url, script, 1, CONNS)
    c0 = cpu_ticks(proc.pid)
    out, n = wrk(url, script, dur, CONNS)
    c1 = cpu_ticks(proc.pid)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) if n else 0.0
    check, _ = wrk(url, script, 1, 4)
    fails = [] if "bad_answers 0" in check and "Non-2xx" not in out else ["answers: " + check.strip()[-300:]]
    return {"rps": rps, "cpu": (c1 - c0) * 1e6 / HZ / n if n else float("nan"), "fails": fails}


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    nimbus_bin = sys.argv[1]
    dur = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    tmp = tempfile.mkdtemp()
    procs, results = [], {}
    try:
        for name in TARGETS:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            if name == "nimbus":
                p = start(name, [nimbus_bin], {"GATEWAY_LISTEN": f"127.0.0.1:{port}", "SERVICES": "secretsmanager,kms",
                                               "LS_LOG": "warn"}, url + "/_localstack/health", tmp)
            else:
                p = start(name, [sys.executable, "-m", "moto.server", "-p", str(port)], {}, url + "/", tmp)
            procs.append(p)
            call(url, "secretsmanager", "CreateSecret", {"Name": "bench", "SecretString": VALUE})
            cases = [("default key", "bench")]
            if name == "nimbus":
                key = call(url, "kms", "CreateKey", {})["KeyMetadata"]["KeyId"]
                call(url, "secretsmanager", "CreateSecret", {"Name": "bench-cmk", "SecretString": VALUE, "KmsKeyId": key})
                cases.append(("customer key", "bench-cmk"))
            for label, secret in cases:
                results[name, label] = measure(p, url, lua(tmp, f"{name}-{secret}", secret), dur)
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, wrk -t1 -c{CONNS} -d{dur}s")
        print(f"{'server':8} {'secret':14} {'req/s':>10} {'CPU us/req':>11}")
        for (name, label), r in results.items():
            print(f"{name:8} {label:14} {r['rps']:>10.0f} {r['cpu']:>11.1f}" + ("  " + "; ".join(r["fails"]) if r["fails"] else ""))
        if ("nimbus", "default key") in results and ("moto", "default key") in results:
            n, m = results["nimbus", "default key"], results["moto", "default key"]
            x = n["rps"] / m["rps"] if m["rps"] else float("inf")
            print(f"GetSecretValue: {x:.0f}x moto's requests/s (target >= 100x: {'met' if x >= 100 else 'not met'}), "
                  f"{m['cpu'] / n['cpu']:.0f}x less CPU a request")
        return 1 if any(r["fails"] for (name, _), r in results.items() if name == "nimbus") else 0
    finally:
        for p in procs:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    sys.exit(main())
