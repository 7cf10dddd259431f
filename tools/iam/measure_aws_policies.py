#!/usr/bin/python3
"""Times the first and second GetPolicy of an AWS managed policy against a fresh server, and the
server's VmRSS before and after: the cost of loading AWS's managed policies on first use.

    /usr/bin/python3 tools/iam/measure_aws_policies.py [runs]   (NIMBUS_BIN: the server, build/nimbus by default)
"""
import os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
import boto3  # noqa: E402
from nimbus_server import Nimbus  # noqa: E402

ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def one_run():
    with Nimbus(SERVICES="iam") as n:
        iam = boto3.client("iam", endpoint_url=n.url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        iam.list_roles()  # client and connection warm: what follows times the policies alone
        before = rss_kb(n.proc.pid)
        times = []
        for _ in range(2):
            t = time.perf_counter()
            iam.get_policy(PolicyArn=ARN)
            times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        iam.get_policy_version(PolicyArn=ARN, VersionId="v1")
        times.append((time.perf_counter() - t) * 1000)
        return times, before, rss_kb(n.proc.pid)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rows = [one_run() for _ in range(runs)]
    for name, pick in (("first GetPolicy ms", lambda r: r[0][0]), ("second GetPolicy ms", lambda r: r[0][1]),
                       ("GetPolicyVersion ms", lambda r: r[0][2]), ("VmRSS before KB", lambda r: r[1]),
                       ("VmRSS after KB", lambda r: r[2])):
        vals = sorted(pick(r) for r in rows)
        print("%-20s median %8.1f  min %8.1f  max %8.1f" % (name, vals[len(vals) // 2], vals[0], vals[-1]))


if __name__ == "__main__":
    main()
