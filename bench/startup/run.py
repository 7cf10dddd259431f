#!/usr/bin/env python3
"""Start-up bench: exec -> "Ready." (median/best of N runs) and idle RSS, with the
shipped services' specs only and with every spec (the botocore catalogue), with lazy
(default) and eager service loading; then the cost of a service's first request, which
reads its spec on the thread pool (S3, and EC2 as a big one), against the second request; then
whether that read stalls the loop: the worst latency of health requests another client sends
meanwhile. The idle RSS lines state what EAGER_SERVICE_LOADING=1 costs.

usage: bench/startup/run.py [NIMBUS_BIN] [--runs N]
"""
import argparse, http.client, os, shutil, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, env):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if line.strip() == "Ready.":
            return p, (time.perf_counter() - t0) * 1000
    p.wait()
    sys.exit(f"bench: {binary} exited ({p.returncode}) before Ready.")


def cpu_ms(pid):
    """CPU time the process's main thread, the loop, has run so far (/proc/<pid>/schedstat, ns):
    what start-up costs whatever else the machine runs, unlike the wall clock; a spec read on the
    thread pool is not in it."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e6


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def env_for(spec_path, eager, port):
    env = dict(os.environ, GATEWAY_LISTEN=f"127.0.0.1:{port}", NIMBUS_SPEC_PATH=spec_path)
    env.pop("SERVICES", None)
    if eager:
        env["EAGER_SERVICE_LOADING"] = "1"
    else:
        env.pop("EAGER_SERVICE_LOADING", None)
    return env


def startup(binary, spec_path, eager, runs):
    """exec -> Ready. and exec -> the first answer (a health request sent at Ready.), idle RSS."""
    times, answered, rss, cpu = [], [], [], []
    for _ in range(runs):
        port = free_port()
        t0 = time.perf_counter()
        p, ms = start(binary, env_for(spec_path, eager, port))
        cpu.append(cpu_ms(p.pid))
        timed_request(port, "/_localstack/health", {})
        answered.append((time.perf_counter() - t0) * 1000)
        times.append(ms)
        time.sleep(0.05)
        rss.append(rss_kib(p.pid))
        p.terminate()
        p.wait()
    return times, answered, rss, cpu


def timed_request(port, path, headers, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers,
                                 method="POST" if body is not None else "GET")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return (time.perf_counter() - t0) * 1000, status


def sig(service):
    return {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/%s/aws4_request, "
                             "SignedHeaders=host, Signature=00" % service}


FIRST = {
    # service: (path, headers, body) of one request it answers
    "s3": ("/", sig("s3"), None),
    "ec2": ("/", dict(sig("ec2"), **{"Content-Type": "application/x-www-form-urlencoded"}),
            b"Action=DescribeInstances&Version=2016-11-15"),
}


def first_request(binary, spec_path, service, runs):
    first, second, cpu_first, cpu_second = [], [], [], []
    for _ in range(runs):
        port = free_port()
        p, _ = start(binary, env_for(spec_path, False, port))
        path, headers, body = FIRST[service]
        c0 = cpu_ms(p.pid)
        f, status = timed_request(port, path, headers, body)
        c1 = cpu_ms(p.pid)
        s, _ = timed_request(port, path, headers, body)
        c2 = cpu_ms(p.pid)
        first.append(f)
        second.append(s)
        cpu_first.append(c1 - c0)
        cpu_second.append(c2 - c1)
        p.terminate()
        p.wait()
    return first, second, status, cpu_first, cpu_second


def hammer_health(port, stop, samples):
    """Health requests one after another on one keep-alive connection until stop is set:
    (start, latency ms) of each."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    while not stop.is_set():
        t0 = time.perf_counter()
        conn.request("GET", "/_localstack/health")
        conn.getresponse().read()
        samples.append((t0, (time.perf_counter() - t0) * 1000))
    conn.close()


def stall(binary, spec_path, service, runs):
    """The worst health latency while another client's first request to service (which reads its
    spec) is answered, against the same window around its second request."""
    during, baseline, first = [], [], []
    path, headers, body = FIRST[service]
    for _ in range(runs):
        port = free_port()
        p, _ = start(binary, env_for(spec_path, False, port))
        stop, samples = threading.Event(), []
        t = threading.Thread(target=hammer_health, args=(port, stop, samples))
        t.start()
        time.sleep(0.2)  # the hammer's connection is warm
        windows = []
        for _ in range(2):
            t0 = time.perf_counter()
            f, _ = timed_request(port, path, headers, body)
            windows.append((t0, time.perf_counter()))
            if len(windows) == 1:
                first.append(f)
            time.sleep(0.1)
        stop.set()
        t.join()
        for (lo, hi), out in zip(windows, (during, baseline)):
            # a health request that overlapped the window (started before its end, ended after its start)
            lat = [ms for t0, ms in samples if t0 <= hi and t0 + ms / 1000 >= lo]
            out.append(max(lat) if lat else 0.0)
        p.terminate()
        p.wait()
    return during, baseline, first


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default=os.environ.get("NIMBUS_BIN", os.path.join(ROOT, "build", "nimbus")))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--specs", default=os.path.join(ROOT, "specs"))
    ap.add_argument("--part", choices=("all", "startup", "first", "stall"), default="all",
                    help="run one part only")
    a = ap.parse_args()
    # (a): a spec folder holding the shipped services only (no catalogue)
    only = tempfile.mkdtemp(prefix="nb-bench-specs-")
    try:
        for name in os.listdir(a.specs):
            src = os.path.join(a.specs, name)
            if os.path.isdir(src) and name != "botocore":
                shutil.copytree(src, os.path.join(only, name))
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "specs", "spec_index.py"), "--specs", only],
                       check=True, stdout=subprocess.DEVNULL)
        for label, path in (("7 shipped specs", only), ("all specs", a.specs)):
            if a.part not in ("all", "startup"):
                break
            for eager in (False, True):
                times, answered, rss, cpu = startup(a.binary, path, eager, a.runs)
                print(f"{label:16} {'EAGER_SERVICE_LOADING=1' if eager else 'lazy (default)':24} exec->Ready. "
                      f"median {statistics.median(times):5.1f} ms, best {min(times):5.1f} ms (CPU {statistics.median(cpu):4.1f} ms); "
                      f"first answer "
                      f"{statistics.median(answered):5.1f} ms; idle RSS median "
                      f"{statistics.median(rss) / 1024:.1f} MiB (max {max(rss) / 1024:.1f})")
        for service in ("s3", "ec2") if a.part in ("all", "first") else ():
            first, second, status, cf, cs = first_request(a.binary, a.specs, service, max(5, a.runs // 4))
            print(f"first request to {service:4} (reads its spec): median {statistics.median(first):6.1f} ms "
                  f"(loop thread CPU {statistics.median(cf):5.1f} ms); second {statistics.median(second):5.1f} ms "
                  f"(CPU {statistics.median(cs):4.1f} ms); the first costs the loop "
                  f"~{statistics.median(cf) - statistics.median(cs):.1f} ms of CPU more (status {status})")
        for service in ("s3", "ec2") if a.part in ("all", "stall") else ():
            during, baseline, first = stall(a.binary, a.specs, service, max(5, a.runs // 4))
            print(f"health latency while another client's first {service:4} request reads its spec: max median "
                  f"{statistics.median(during):5.1f} ms (worst {max(during):5.1f}); around its second request "
                  f"{statistics.median(baseline):5.1f} ms (worst {max(baseline):5.1f}); the first request took "
                  f"{statistics.median(first):5.1f} ms")
    finally:
        shutil.rmtree(only, ignore_errors=True)


if __name__ == "__main__":
    main()
