"""KMS benchmark (issue 14, item 7), started by bench/kms/run.sh: Encrypt, Decrypt, Sign (RSA-2048
RSASSA_PSS_SHA_256, ECC P-256 ECDSA_SHA_256) on Nimbus (in-memory store) and moto's server, in the
same run (bench/kms/prepare.py lists the operations; Secrets Manager and SSM add theirs there).

Per operation and server: wrk -t1 -cCONNS replaying 16 signed botocore requests for DUR seconds after
a 1 s warm-up: requests/s, and the server's CPU microseconds per request (utime+stime of its process
over the run, divided by the requests wrk counted: that figure holds when other work shares the
machine, req/s does not); then a 1 s run checking every answer's status and body. Prints the ratios
to moto and the load average. Exits 1 when one of Nimbus's answers was wrong.

  run.py NIMBUS_BIN [seconds]
Env: CONNS (32), TARGETS ("nimbus moto").
"""
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


prepare = load("kms_prepare", "prepare.py")
# the server and wrk helpers (free_port, start, cpu_ticks, wrk) are the SNS benchmark's
bench = load("sns_run", os.path.join("..", "sns", "run.py"))
free_port, start, cpu_ticks, wrk = bench.free_port, bench.start, bench.cpu_ticks, bench.wrk

CONNS = int(os.environ.get("CONNS", "32"))
TARGETS = os.environ.get("TARGETS", "nimbus moto").split()
HZ = os.sysconf("SC_CLK_TCK")


def throughput(t, script, dur):
    wrk(t["url"], script, 1, CONNS)
    c0 = cpu_ticks(t["proc"].pid)
    out, n = wrk(t["url"], script, dur, CONNS)
    c1 = cpu_ticks(t["proc"].pid)
    fails = []
    if "Non-2xx" in out or "Socket errors" in out:
        fails.append(" ".join(line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket" in line))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) if n else 0.0
    check, _ = wrk(t["url"], script, 1, 4, "--", "check")
    if "bad_bodies 0" not in check or "Non-2xx" in check:
        fails.append("answers: " + " ".join(line for line in check.splitlines() if "unexpected" in line or "bad" in line))
    cpu = (c1 - c0) * 1e6 / HZ / n if n else float("nan")
    return {"rps": rps, "cpu": cpu, "fails": fails}


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    nimbus_bin = sys.argv[1]
    dur = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    tmp = tempfile.mkdtemp()
    servers = {}
    try:
        for name in TARGETS:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            if name == "nimbus":
                proc = start(name, [nimbus_bin], {"GATEWAY_LISTEN": f"127.0.0.1:{port}",
                                                  "SERVICES": os.environ.get("NIMBUS_SERVICES", "kms,secretsmanager,ssm")},
                             url + "/_localstack/health", tmp)
            else:
                proc = start(name, [sys.executable, "-m", "moto.server", "-p", str(port)], {}, url + "/", tmp)
            d = os.path.join(tmp, name)
            os.makedirs(d)
            servers[name] = {"proc": proc, "url": url, "port": port, "dir": d}
        for t in servers.values():
            t["scripts"] = prepare.prepare(t["url"], t["dir"])
        failed = False
        load = open("/proc/loadavg").read().split()[:3]
        print(f"== KMS requests/s: wrk -t1 -c{CONNS}, {dur} s after a 1 s warm-up; server CPU us a request;"
              f" load average {' '.join(load)}")
        print(f"{'operation':22} {'target':8} {'req/s':>9} {'cpu us':>9}")
        res = {}
        for i, (op, _) in enumerate(prepare.OPERATIONS):
            for name, t in servers.items():
                r = throughput(t, t["scripts"][i][1], dur)
                res[op, name] = r
                print(f"{op:22} {name:8} {r['rps']:>9.0f} {r['cpu']:>9.1f}"
                      + ("  FAIL " + "; ".join(r["fails"]) if r["fails"] else ""))
                failed |= name == "nimbus" and bool(r["fails"])
        if "nimbus" in servers and "moto" in servers:
            print("-- Nimbus against moto (req/s ratio; CPU a request, moto / Nimbus)")
            for op, _ in prepare.OPERATIONS:
                n, m = res[op, "nimbus"], res[op, "moto"]
                print(f"{op:22} {n['rps'] / m['rps'] if m['rps'] else float('nan'):>8.1f}x req/s  "
                      f"{m['cpu'] / n['cpu'] if n['cpu'] else float('nan'):>8.1f}x less CPU")
        return 1 if failed else 0
    finally:
        for t in servers.values():
            t["proc"].terminate()
        for t in servers.values():
            try:
                t["proc"].wait(timeout=10)
            except subprocess.TimeoutExpired:
                t["proc"].kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
