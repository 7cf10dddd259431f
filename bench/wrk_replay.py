"""One signed request replayed by wrk against a running server (tests/e2e/nimbus_server.Nimbus):
requests/s, and the server's user + system CPU time per request (/proc/<pid>/stat), which other
load on a shared machine disturbs less. Used by bench/sigcheck and bench/authz."""
import os, subprocess, tempfile


def replay(n, seconds, method, path, body=None, headers=None):
    """(requests/s, server CPU microseconds per request); exits when a reply is not 2xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write('wrk.method = "%s"\n' % method)
        if body is not None:
            lua.write("wrk.body = %r\n" % body)
        for name, value in (headers or {}).items():
            value = value.decode() if isinstance(value, bytes) else value
            lua.write('wrk.headers["%s"] = "%s"\n' % (name, value))
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_s():
        fields = open("/proc/%d/stat" % n.proc.pid).read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks
    before = cpu_s()
    try:
        out = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % seconds, "-s", lua.name, n.url + path],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(lua.name)
    if "Non-2xx" in out:
        raise SystemExit("requests failed:\n" + out)
    served = int(out.split(" requests in ")[0].split()[-1])
    return float(out.split("Requests/sec:")[1].split()[0]), 1e6 * (cpu_s() - before) / served
