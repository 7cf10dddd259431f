"""SNS benchmark (issue 16, item 7), started by bench/sns/run.sh: Publish to a topic with 1 and with 10 SQS
subscriptions on Nimbus (in-memory store) and moto's server, in the same run.

  - publishes/s: wrk -t1 -cCONNS replaying signed botocore Publish requests for DUR seconds after a 1 s
    warm-up, and the server's CPU microseconds per publish (utime+stime of its process over the run,
    divided by the publishes wrk counted: that figure holds when other work shares the machine, req/s
    does not); then how many messages the queues gained against publishes x subscriptions (a publish
    counts when its messages arrived), and a 1 s run checking every answer's status and body;
  - publish-to-receive latency p50/p99 (bench/sns/latency.py): per delivery, and for the fan-out until
    every queue has returned the message.
Prints the ratios to moto and whether the targets hold (>= 100x moto publishes/s, fan-out p99 < 5 ms).
Exits 1 when one of Nimbus's answers was wrong, a message was lost, or a publish's messages did not all arrive
(moto's failures are printed: under load its werkzeug server times out some of wrk's requests).

  run.py NIMBUS_BIN [seconds]
Env: CONNS (32), LAT_N (300 messages timed per topic), MOTO_LAT_N (50: moto takes 10-100 ms a message),
     LAT_BUDGET (120 s at most a latency run), TARGETS ("nimbus moto").
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import latency  # noqa: E402
import prepare  # noqa: E402

CONNS = int(os.environ.get("CONNS", "32"))
LAT_N = int(os.environ.get("LAT_N", "300"))
MOTO_LAT_N = int(os.environ.get("MOTO_LAT_N", "50"))
LAT_BUDGET = float(os.environ.get("LAT_BUDGET", "120"))
TARGETS = os.environ.get("TARGETS", "nimbus moto").split()
HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, argv, env, health, tmp):
    err = open(os.path.join(tmp, name + ".err"), "w")
    p = subprocess.Popen(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 60
    while time.time() < deadline:
        if p.poll() is not None:
            sys.exit(f"{name} did not start: " + open(err.name).read())
        if subprocess.run(["curl", "-s", "-o", "/dev/null", health]).returncode == 0:
            return p
        time.sleep(0.1)
    sys.exit(f"{name} did not answer {health} within 60 s")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def wrk(url, script, seconds, conns, *extra):
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", script, url, *extra],
                         capture_output=True, text=True).stdout
    n = re.search(r"(\d+) requests in", out)
    return out, int(n.group(1)) if n else 0


def throughput(t, fanout, dur):
    """wrk against one server and topic: publishes/s, CPU us a publish, delivered share, failures."""
    script = os.path.join(t["dir"], f"publish{fanout}.lua")
    wrk(t["url"], script, 1, CONNS)
    queues = t["plan"][fanout]["queues"]
    before = prepare.queued(t["url"], queues)
    c0 = cpu_ticks(t["proc"].pid)
    out, n = wrk(t["url"], script, dur, CONNS)
    c1 = cpu_ticks(t["proc"].pid)
    fails = []
    if "Non-2xx" in out or "Socket errors" in out:
        fails.append(" ".join(line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket" in line))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) if n else 0.0
    # the messages of the publishes answered (and of any still in flight when wrk stopped): delivery may
    # trail the answers, so wait for the queues to stop growing
    expected, got, last, still = n * fanout, 0, -1, 0
    deadline = time.time() + 60
    while time.time() < deadline:
        got = prepare.queued(t["url"], queues) - before
        if got >= expected:
            break
        still = still + 1 if got == last else 0
        if still >= 10:
            break
        last = got
        time.sleep(0.5)
    if got < expected:
        fails.append(f"{got} of {expected} messages arrived")
    check, _ = wrk(t["url"], script, 1, 4, "--", "check")
    if "bad_bodies 0" not in check or "Non-2xx" in check:
        fails.append("answers: " + " ".join(line for line in check.splitlines() if "unexpected" in line or "bad" in line))
    cpu = (c1 - c0) * 1e6 / HZ / n if n else float("nan")
    return {"rps": rps, "n": n, "cpu": cpu, "delivered": got / expected if expected else 0, "fails": fails}


def ms(seconds):
    return f"{seconds * 1000:.2f}"


def ratio(a, b):
    return f"{a / b:.0f}x" if b else "-"


def main():
    # a stopped run still stops its servers (the finally below)
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
                proc = start(name, [nimbus_bin], {"GATEWAY_LISTEN": f"127.0.0.1:{port}", "SERVICES": "sns,sqs"},
                             url + "/_localstack/health", tmp)
            else:
                proc = start(name, [sys.executable, "-m", "moto.server", "-p", str(port)], {}, url + "/", tmp)
            d = os.path.join(tmp, name)
            os.makedirs(d)
            servers[name] = {"proc": proc, "url": url, "port": port, "dir": d}
        for name, t in servers.items():
            t["plan"] = prepare.prepare(t["url"], t["dir"], MOTO_LAT_N if name == "moto" else LAT_N)
        failed = False
        load = open("/proc/loadavg").read().split()[:3]
        print(f"== SNS Publish to a topic with F SQS subscriptions; load average {' '.join(load)}")
        print(f"-- publish-to-receive latency, ms: messages one at a time (the first 10 not counted; at most"
              f" {LAT_BUDGET:.0f} s), each queue waiting in a ReceiveMessage long poll")
        print(f"{'F':>3} {'target':8} {'timed':>6} {'delivery p50':>13} {'p99':>8} {'fan-out p50':>12} {'p99':>8} {'lost':>5}")
        lat = {}
        for fanout in prepare.FANOUTS:
            for name, t in servers.items():
                plan = t["plan"][fanout]
                r = latency.measure("127.0.0.1", t["port"], plan["publish"], plan["receive"], budget=LAT_BUDGET)
                lat[name, fanout] = r
                print(f"{fanout:>3} {name:8} {len(r['fanout']):>6} {ms(latency.pct(r['delivery'], 50)):>13} "
                      f"{ms(latency.pct(r['delivery'], 99)):>8} {ms(latency.pct(r['fanout'], 50)):>12} "
                      f"{ms(latency.pct(r['fanout'], 99)):>8} {r['lost']:>5}"
                      + (f"  errors {r['errors']}" if r["errors"] else ""))
                failed |= name == "nimbus" and (r["lost"] > 0 or r["errors"] > 0)
        print(f"-- publishes/s: wrk -t1 -c{CONNS}, {dur} s after a 1 s warm-up; server CPU us a publish;"
              " messages arrived / publishes x F")
        print(f"{'F':>3} {'target':8} {'publishes/s':>12} {'cpu us':>8} {'arrived':>8}")
        tp = {}
        for fanout in prepare.FANOUTS:
            for name, t in servers.items():
                r = throughput(t, fanout, dur)
                tp[name, fanout] = r
                print(f"{fanout:>3} {name:8} {r['rps']:>12.0f} {r['cpu']:>8.1f} {r['delivered'] * 100:>7.0f}%"
                      + ("  FAIL " + "; ".join(r["fails"]) if r["fails"] else ""))
                failed |= name == "nimbus" and bool(r["fails"])
        if "nimbus" in servers and "moto" in servers:
            print("-- Nimbus against moto")
            for fanout in prepare.FANOUTS:
                n, m = tp["nimbus", fanout], tp["moto", fanout]
                ln, lm = lat["nimbus", fanout], lat["moto", fanout]
                print(f"{fanout:>3} subscriptions: publishes/s {ratio(n['rps'], m['rps'])} moto (target >= 100x: "
                      f"{'met' if m['rps'] and n['rps'] >= 100 * m['rps'] else 'missed'}), CPU a publish "
                      f"{ratio(m['cpu'], n['cpu'])} less; fan-out p50 {ratio(latency.pct(lm['fanout'], 50), latency.pct(ln['fanout'], 50))}"
                      f" lower, p99 {ms(latency.pct(ln['fanout'], 99))} ms (target < 5 ms: "
                      f"{'met' if latency.pct(ln['fanout'], 99) < 0.005 else 'missed'})")
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
