"""End-to-end: http://localhost:<port> works from Node whichever loopback `localhost` resolves to.

Node (17 and later) connects to the first address the resolver gives, and Debian's /etc/hosts
lists `::1 localhost` as well as `127.0.0.1 localhost`: a server on 127.0.0.1 only answers
`ECONNREFUSED ::1` there. The default GATEWAY_LISTEN (127.0.0.1:4566,[::1]:4566) covers both;
these tests listen on that pair at a free port, as the default would on 4566.
"""
import os, shutil, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import NIMBUS_BIN, Nimbus, free_port  # noqa: E402

# Prints one line per URL: the status, or the error code Node met.
FETCH = r"""
for (const url of process.argv.slice(1)) {
  try {
    const r = await fetch(url);
    const body = await r.json();
    console.log(url, r.status, body.edition);
  } catch (e) {
    console.log(url, "error", (e.cause && e.cause.code) || e.message);
  }
}
"""


def node_fetch(*urls):
    r = subprocess.run(["node", "--input-type=module", "-e", FETCH, *urls], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("node failed: " + r.stderr[-2000:])
    return {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in r.stdout.splitlines()}


class Localhost(unittest.TestCase):
    def setUp(self):
        # node is installed by tools/deps.sh: its absence is a failure, not a skip
        self.assertIsNotNone(shutil.which("node"), "node is missing (tools/deps.sh installs it)")

    def test_node_fetches_localhost_and_both_loopbacks(self):
        p = free_port()
        with Nimbus(GATEWAY_LISTEN=f"127.0.0.1:{p},[::1]:{p}"):
            urls = [f"http://{h}:{p}/_localstack/health" for h in ("localhost", "127.0.0.1", "[::1]")]
            got = node_fetch(*urls)
        self.assertEqual(got, {u: "200 community" for u in urls})

    def test_ipv4_only_refuses_node_on_ipv6(self):
        """What a listener on 127.0.0.1 alone did to a client that resolved localhost to ::1."""
        p = free_port()
        with Nimbus(GATEWAY_LISTEN=f"127.0.0.1:{p}"):
            got = node_fetch(f"http://[::1]:{p}/_localstack/health")
        self.assertEqual(got, {f"http://[::1]:{p}/_localstack/health": "error ECONNREFUSED"})

    def test_a_given_address_that_cannot_be_used_stops_start(self):
        # ::2 is no address of this machine: given explicitly, it must fail start, not be skipped
        n = Nimbus(GATEWAY_LISTEN=f"127.0.0.1:{free_port()},[::2]:{free_port()}")
        with self.assertRaises(RuntimeError) as cm:
            n.start()
        self.assertIn("GATEWAY_LISTEN: cannot listen on ::2", str(cm.exception))


# A network namespace of its own: loopback up, IPv6 disabled on it, as on a machine booted with
# ipv6.disable or net.ipv6.conf.all.disable_ipv6=1. Needs root (unshare -n).
NO_IPV6 = "ip link set lo up && sysctl -qw net.ipv6.conf.lo.disable_ipv6=1 && exec \"$0\""


def start_without_ipv6(env):
    """nimbus in a namespace without IPv6 loopback: (output up to Ready. or exit, the process)."""
    p = subprocess.Popen(["unshare", "-n", "sh", "-c", NO_IPV6, NIMBUS_BIN], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    out = ""
    for line in p.stdout:
        out += line
        if line.strip() == "Ready.":
            break
    return out, p


class WithoutIpv6(unittest.TestCase):
    def setUp(self):
        probe = subprocess.run(["unshare", "-n", "sh", "-c", NO_IPV6.replace('exec \"$0\"', "true")],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            self.skipTest("needs root for a network namespace without IPv6 (unshare -n): " + probe.stderr.strip())

    def test_the_default_skips_the_missing_ipv6_loopback_with_a_note(self):
        env = {k: v for k, v in os.environ.items() if k != "GATEWAY_LISTEN"}
        out, p = start_without_ipv6(env)
        try:
            self.assertIn("Ready.", out)
            self.assertIn("nimbus: not listening on [::1]:4566 (address not available): this machine has no "
                          "IPv6 loopback", out)
            self.assertIn("listening on 127.0.0.1:4566", out)
            self.assertNotIn("listening on ::1", out)
        finally:
            p.terminate()
            p.wait(timeout=15)

    def test_a_given_ipv6_loopback_stops_start(self):
        out, p = start_without_ipv6(dict(os.environ, GATEWAY_LISTEN="127.0.0.1:4566,[::1]:4566"))
        self.assertNotEqual(p.wait(timeout=15), 0, out)
        self.assertNotIn("Ready.", out)
        self.assertIn("GATEWAY_LISTEN: cannot listen on ::1:4566", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
