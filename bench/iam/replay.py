#!/usr/bin/env python3
"""The work of bench/iam/run.sh: for ENFORCE_IAM=0 and 1 in turn (rounds alternated), a server with
an IAM user (inline policy: sts:AssumeRole on the role), a role (trust: the account; inline policy:
s3:GetObject on the bucket's objects) and a 1 KiB object; one AssumeRole signed with the user's key
and one GetObject signed with an assumed session are each replayed by wrk (a signature holds for 15
minutes, so each request is verified in full). Prints the best req/s and least CPU us/request of
each, then (COUNT > 0, valgrind there) the instructions per request under callgrind, which other
load on a shared machine leaves alone, and the ratios enforced/not enforced.
PERF=1: each wrk run under `perf record` too, printing the share of the server's CPU samples with
the signature check (nb__sigcheck) on their stack, which the machine's other load leaves alone.
    bench/iam/replay.py [seconds] [rounds]     (NIMBUS_BIN: the server; wrk on PATH; COUNT: 500)"""
import json, os, signal, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
import boto3  # noqa: E402
from botocore.auth import S3SigV4Auth, SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from callgrind_count import CallgrindNimbus, raw_request  # noqa: E402
from nimbus_server import Nimbus  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
COUNT = int(os.environ.get("COUNT", "500"))  # requests counted under callgrind per op; 0: none
ACCOUNT = "000000000000"
BUCKET = "bench-iam"


def policy(action, resource):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


def setup(url):
    """The user's key, the role session's credentials."""
    root = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    iam = boto3.client("iam", **root)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="bench-reader", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="bench-reader", PolicyName="read",
                        PolicyDocument=policy("s3:GetObject", "arn:aws:s3:::%s/*" % BUCKET))
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="assume", PolicyDocument=policy("sts:AssumeRole", role))
    k = iam.create_access_key(UserName="bench")["AccessKey"]
    s3 = boto3.client("s3", **root)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="obj", Body=b"x" * 1024)
    user = Credentials(k["AccessKeyId"], k["SecretAccessKey"])
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id=user.access_key,
                       aws_secret_access_key=user.secret_key)
    c = sts.assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
    return user, role, Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def wrk_script(req, path):
    """A wrk Lua script replaying the signed request."""
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write('wrk.method = "%s"\nwrk.path = %s\n' % (req.method, json.dumps(path)))
    if req.body:
        lua.write("wrk.body = %s\n" % json.dumps(req.body.decode() if isinstance(req.body, bytes) else req.body))
    for name, value in req.headers.items():
        value = value.decode() if isinstance(value, bytes) else value
        lua.write("wrk.headers[%s] = %s\n" % (json.dumps(name), json.dumps(value)))
    lua.close()
    return lua.name


def requests(url, user, role, session):
    """The two signed requests: op -> (botocore request, path)."""
    body = "Action=AssumeRole&Version=2011-06-15&RoleArn=%s&RoleSessionName=bench&DurationSeconds=900" % role
    assume = AWSRequest("POST", url + "/", data=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(user, "sts", "us-east-1").add_auth(assume)
    get = AWSRequest("GET", "%s/%s/obj" % (url, BUCKET))
    S3SigV4Auth(session, "s3", "us-east-1").add_auth(get)
    return {"AssumeRole": (assume, "/"), "GetObject": (get, "/%s/obj" % BUCKET)}


def start_perf(pid):
    data = tempfile.mktemp(prefix="nimbus-bench-perf.")
    return subprocess.Popen(["perf", "record", "-F", "999", "--call-graph", "dwarf,16384", "-o", data, "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), data


def stop_perf(proc, data):
    """The share of the samples with the signature check on their stack, in percent."""
    proc.send_signal(signal.SIGINT)
    proc.wait()
    text = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True).stdout
    os.unlink(data)
    samples = [s for s in text.split("\n\n") if s.strip()]
    return 100 * sum(" nb__sigcheck+" in s for s in samples) / max(1, len(samples))


def script_op(script):
    return "GetObject" if "GET" in open(script).read().split("\n")[0] else "AssumeRole"


def measure(n, script):
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_s():  # the server's user + system CPU time so far
        fields = open("/proc/%d/stat" % n.proc.pid).read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks
    before = cpu_s()
    perf = start_perf(n.proc.pid) if os.environ.get("PERF") else None
    out = subprocess.run(["wrk", "-t1", "-c16", "-d%ds" % SECONDS, n.url + "/"] + ["-s", script],
                         capture_output=True, text=True, check=True).stdout
    if perf:
        print("  %s: nb__sigcheck in %.1f%% of the server's CPU samples" % (script_op(script), stop_perf(*perf)))
    if "Non-2xx" in out:
        raise SystemExit("requests failed:\n" + out)
    served = int(out.split(" requests in ")[0].split()[-1])
    return float(out.split("Requests/sec:")[1].split()[0]), 1e6 * (cpu_s() - before) / served


def one_run(enforce, results):
    with Nimbus(ENFORCE_IAM=enforce, SERVICES="s3,iam,sts", LS_LOG="warn") as n:
        scripts = {op: wrk_script(req, path) for op, (req, path) in requests(n.url, *setup(n.url)).items()}
        try:
            for op, script in scripts.items():
                rate, us = measure(n, script)
                results.setdefault((op, enforce), []).append((rate, us))
        finally:
            for script in scripts.values():
                os.unlink(script)


def instructions(enforce):
    """op -> instructions per request under callgrind (COUNT requests after as many uncounted)."""
    with CallgrindNimbus(ENFORCE_IAM=enforce, SERVICES="s3,iam,sts", LS_LOG="warn") as n:
        reqs = requests(n.url, *setup(n.url))
        return {op: n.count(raw_request(n.port, req.method, path, req.headers, req.body), COUNT)
                for op, (req, path) in reqs.items()}


results = {}
load = os.getloadavg()[0]
for _ in range(ROUNDS):
    for enforce in ("0", "1"):
        one_run(enforce, results)
counted = {enforce: instructions(enforce) for enforce in ("0", "1")} if COUNT else None
print("bench/iam: %d rounds of %d s per op, wrk -t1 -c16; load average at start %.2f" % (ROUNDS, SECONDS, load))
print("%-11s %-12s %12s %18s %17s %14s" % ("op", "ENFORCE_IAM", "best req/s", "all req/s", "least CPU us/req",
                                            "instr/req"))
for op in ("AssumeRole", "GetObject"):
    best = {}
    for enforce in ("0", "1"):
        runs = results[(op, enforce)]
        best[enforce] = (max(r for r, _ in runs), min(u for _, u in runs))
        print("%-11s %-12s %12.0f %18s %17.1f %14s" % (
            op, enforce, best[enforce][0], "/".join("%.0f" % r for r, _ in runs), best[enforce][1],
            "%.0f" % counted[enforce][op] if counted else "-"))
    print("%-11s enforced/not: throughput %.2f (cost %.1f%%), CPU per request %.2f (cost %.1f%%)%s"
          % (op, best["1"][0] / best["0"][0], 100 * (1 - best["1"][0] / best["0"][0]),
             best["1"][1] / best["0"][1], 100 * (best["1"][1] / best["0"][1] - 1),
             ", instructions per request %.2f (cost %.1f%%)" % (
                 counted["1"][op] / counted["0"][op], 100 * (counted["1"][op] / counted["0"][op] - 1))
             if counted else ""))
