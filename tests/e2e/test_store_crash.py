"""Crash test (issue 4): clients write through the real HTTP API (DynamoDB JSON, dynamodb-kv
test plugin) with PERSISTENCE=1 while the server is killed with SIGKILL at random moments; after
every restart each acknowledged write must be there (and each acknowledged delete gone), nothing
that was never sent may appear, and every table's item count must agree with its items (a PutItem
writes two rows: a torn transaction would show).

NB_CRASH_KILLS (default 24) kill points; NB_CRASH_SEED makes a run repeatable. Bounded: about
half a second per kill point."""
import http.client, os, random, shutil, signal, sys, tempfile, threading, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_store import KV_SO, OTHER, Client, KvServer  # noqa: E402

KILLS = int(os.environ.get("NB_CRASH_KILLS", "24"))
SEED = int(os.environ.get("NB_CRASH_SEED", str(int(time.time()))))
WRITERS = 4
SCOPES = [(None, None), (OTHER, "eu-west-1")]  # (account, region): default scope and another


class Writer(threading.Thread):
    """Writes until the server dies. Knows which of its writes were acknowledged."""

    def __init__(self, port, name, rng, ledger):
        super().__init__(daemon=True)
        self.client = Client(port, timeout=5)
        self.name_, self.rng, self.ledger = name, rng, ledger
        self.sent = 0

    def run(self):
        led, lock = self.ledger, self.ledger["lock"]
        i = 0
        while True:
            i += 1
            account, region = self.rng.choice(SCOPES)
            scope = (account, region)
            roll = self.rng.random()
            with lock:
                mine = [k for k in led["acked"][scope] if k.startswith(self.name_ + "-")]
            try:
                if roll < 0.15 and mine:
                    key = self.rng.choice(mine)
                    with lock:
                        led["maybe_gone"][scope].add(key)
                    self.client.ok("DeleteItem", {"TableName": "crash", "Key": {"id": {"S": key}}},
                                   account=account, region=region)
                    with lock:
                        del led["acked"][scope][key]
                        led["maybe_gone"][scope].discard(key)
                        led["deleted"][scope].add(key)
                elif roll < 0.22:
                    # answered from a timer: its write must not hold a transaction open meanwhile
                    self.client.ok("UpdateTimeToLive", {"TableName": "crash", "TimeToLiveSpecification": {
                        "Enabled": True, "AttributeName": f"ttl{i}"}}, account=account, region=region)
                else:
                    key = f"{self.name_}-{i}"
                    value = f"{key}:" + "x" * self.rng.randrange(0, 3000)
                    with lock:
                        led["sent"][scope][key] = value
                    self.client.put("crash", key, value, account=account, region=region)
                    with lock:
                        led["acked"][scope][key] = value
                self.sent += 1
            except (OSError, http.client.HTTPException):
                return  # the server is gone


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nb-store-crash-")
        self.plugins = os.path.join(self.tmp, "plugins")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.plugins)
        shutil.copy(KV_SO, self.plugins)
        self.server = None

    def tearDown(self):
        while Client.opened:
            Client.opened.pop().close()
        if self.server is not None:
            self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        self.server = KvServer(self.plugins, self.data, TP_KV_ASYNC_MS=30).start()
        return self.server

    def verify(self, port, ledger, round_no):
        c = Client(port)
        for scope in SCOPES:
            account, region = scope
            items = c.scan("crash", account=account, region=region)
            count = c.item_count("crash", account=account, region=region)
            ctx = f"round {round_no}, scope {scope}, seed {SEED}"
            self.assertEqual(count, len(items), f"item count disagrees with the items ({ctx})")
            lost = {k for k in ledger["acked"][scope] if items.get(k) != ledger["acked"][scope][k]}
            lost -= ledger["maybe_gone"][scope]  # a delete was in flight when the server died
            self.assertEqual(lost, set(), f"acknowledged writes lost ({ctx})")
            back = ledger["deleted"][scope] & set(items)
            self.assertEqual(back, set(), f"acknowledged deletes undone ({ctx})")
            unknown = {k for k in items if ledger["sent"][scope].get(k) != items[k]}
            self.assertEqual(unknown, set(), f"items never written ({ctx})")
            # What the server has now is the truth the next round builds on.
            ledger["acked"][scope] = {k: items[k] for k in items}
            ledger["deleted"][scope] -= set(items)
            ledger["maybe_gone"][scope] = set()
        c.close()
        return sum(len(ledger["acked"][s]) for s in SCOPES)

    def test_sigkill_at_random_points_loses_no_acknowledged_write(self):
        rng = random.Random(SEED)
        ledger = {k: {s: ({} if k in ("sent", "acked") else set()) for s in SCOPES}
                  for k in ("sent", "acked", "deleted", "maybe_gone")}
        ledger["lock"] = threading.Lock()
        n = self.start()
        setup = Client(n.port)
        for account, region in SCOPES:
            setup.create_table("crash", account=account, region=region)
        setup.close()
        started = time.time()
        total_writes = 0
        for round_no in range(KILLS):
            writers = [Writer(n.port, f"r{round_no}w{w}", random.Random(rng.random()), ledger) for w in range(WRITERS)]
            for w in writers:
                w.start()
            # Random kill point: early (mid-startup traffic) to a few hundred writes in.
            time.sleep(rng.uniform(0.0, 0.4))
            n.proc.send_signal(signal.SIGKILL)
            n.stop()
            for w in writers:
                w.join(timeout=10)
                self.assertFalse(w.is_alive(), "a writer hung after the kill")
                total_writes += w.sent
            n = self.start()
            kept = self.verify(n.port, ledger, round_no)
        n.stop()
        elapsed = time.time() - started
        print(f"\n{KILLS} kill points, {total_writes} acknowledged requests, {kept} items kept, "
              f"{elapsed:.1f} s, seed {SEED}", file=sys.stderr)
        self.assertGreaterEqual(KILLS, 20)
        self.assertGreater(total_writes, KILLS * 5, "too few writes between kills to test anything")


if __name__ == "__main__":
    unittest.main(verbosity=2)
