"""End-to-end: the state store through the real HTTP API, with the dynamodb-kv test plugin
(tests/unit/plugins/tp_kv.c) serving DynamoDB: restart brings back every resource, the reset
endpoints clear state and call the plugin's reset hook, GET /_nimbus/state counts per service,
account and region, a bad DATA_DIR or database stops startup (exit 2, naming the path), an older
schema migrates, a newer one is refused, and a failed write (file size limit) answers 500
InternalError in DynamoDB's JSON format and leaves the data consistent."""
import http.client, json, os, resource, shutil, signal, sqlite3, subprocess, sys, tempfile, threading, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, NIMBUS_BIN, Nimbus  # noqa: E402

KV_SO = os.path.join(BINARY_DIR, "test-plugins", "tp_kv.so")
ACCOUNT = "000000000000"
OTHER = "111111111111"


def kv_env(plugin_dir, data_dir=None, **extra):
    env = {"NIMBUS_PLUGIN_PATH": plugin_dir, "PROVIDER_OVERRIDE_DYNAMODB": "dynamodb-kv", "SERVICES": "dynamodb"}
    if data_dir is not None:
        env.update(PERSISTENCE="1", DATA_DIR=data_dir)
    env.update({k: str(v) for k, v in extra.items()})
    return env


class KvServer(Nimbus):
    """Nimbus with the kv plugin; preexec runs in the child before exec (resource limits)."""

    def __init__(self, plugin_dir, data_dir=None, preexec=None, **extra):
        super().__init__(**kv_env(plugin_dir, data_dir, **extra))
        self.preexec = preexec


class Client:
    """DynamoDB JSON 1.0 over one keep-alive connection."""

    opened = []  # closed by the test's tearDown

    def __init__(self, port, account=ACCOUNT, region="us-east-1", timeout=10):
        self.port, self.account, self.region, self.timeout = port, account, region, timeout
        self.conn = None
        Client.opened.append(self)

    def call(self, op, body, account=None, region=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        auth = (f"AWS4-HMAC-SHA256 Credential={account or self.account}/20260101/{region or self.region}/dynamodb/"
                "aws4_request, SignedHeaders=host, Signature=0")
        try:
            self.conn.request("POST", "/", json.dumps(body).encode(), {
                "X-Amz-Target": "DynamoDB_20120810." + op, "Content-Type": "application/x-amz-json-1.0",
                "Authorization": auth})
            r = self.conn.getresponse()
            data = r.read()
        except Exception:
            self.close()
            raise
        return r.status, json.loads(data) if data else {}, dict(r.getheaders())

    def ok(self, op, body, **kw):
        status, out, _ = self.call(op, body, **kw)
        if status != 200:
            raise AssertionError(f"{op} answered {status}: {out}")
        return out

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def create_table(self, name, **kw):
        return self.ok("CreateTable", {"TableName": name, "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                                       "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                                       "BillingMode": "PAY_PER_REQUEST"}, **kw)

    def put(self, table, key, value, **kw):
        return self.ok("PutItem", {"TableName": table, "Item": {"id": {"S": key}, "v": {"S": value}}}, **kw)

    def scan(self, table, **kw):
        return {i["id"]["S"]: i["v"]["S"] for i in self.ok("Scan", {"TableName": table}, **kw)["Items"]}

    def tables(self, **kw):
        return self.ok("ListTables", {}, **kw)["TableNames"]

    def item_count(self, table, **kw):
        return self.ok("DescribeTable", {"TableName": table}, **kw)["Table"]["ItemCount"]


def internal(port, method, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, json.loads(body) if body else None


def populate(c):
    """Tables and items in two accounts and two regions; returns what /_nimbus/state should count."""
    c.create_table("orders")
    c.create_table("users")
    for i in range(5):
        c.put("orders", f"o{i}", f"order {i}")
    c.put("users", "alice", "admin")
    c.ok("DeleteItem", {"TableName": "orders", "Key": {"id": {"S": "o4"}}})
    c.ok("UpdateTimeToLive", {"TableName": "orders",
                              "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"}})
    c.create_table("orders", region="eu-west-1")
    c.put("orders", "x", "in eu", region="eu-west-1")
    c.create_table("orders", account=OTHER)
    c.put("orders", "o0", "other account's", account=OTHER)
    c.put("orders", "o1", "other account's too", account=OTHER)
    return {"tables": {"total": 4, "accounts": {ACCOUNT: {"us-east-1": 2, "eu-west-1": 1}, OTHER: {"us-east-1": 1}}},
            "items": {"total": 8, "accounts": {ACCOUNT: {"us-east-1": 5, "eu-west-1": 1}, OTHER: {"us-east-1": 2}}}}


def snapshot(c):
    """Everything a client can see, per scope."""
    out = {}
    for account, region in ((ACCOUNT, "us-east-1"), (ACCOUNT, "eu-west-1"), (OTHER, "us-east-1"), (OTHER, "eu-west-1")):
        for t in c.tables(account=account, region=region):
            out[(account, region, t)] = (c.scan(t, account=account, region=region),
                                         c.item_count(t, account=account, region=region))
    return out


class StoreTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nb-store-e2e-")
        self.plugins = os.path.join(self.tmp, "plugins")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.plugins)
        shutil.copy(KV_SO, self.plugins)
        self.servers = []

    def tearDown(self):
        while Client.opened:
            Client.opened.pop().close()
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, persistent=True, **kw):
        s = KvServer(self.plugins, self.data if persistent else None, **kw)
        self.servers.append(s)
        return s.start()

    def failed_start(self, data_dir, **extra):
        """Runs the server expecting it to refuse to start; returns (exit code, output)."""
        env = dict(os.environ)
        env.update(kv_env(self.plugins, data_dir, **extra))
        env["GATEWAY_LISTEN"] = "127.0.0.1:0"
        try:
            r = subprocess.run([NIMBUS_BIN], env=env, capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired as e:
            self.fail(f"the server started instead of refusing: {e.stdout}")
        if os.environ.get("NB_SHOW_OUTPUT"):
            print(f"\n--- {self.id()}: exit {r.returncode}\n{r.stderr}", file=sys.stderr)
        return r.returncode, r.stdout + r.stderr


class Persistence(StoreTestCase):
    def test_restart_brings_back_every_resource(self):
        for stop in (signal.SIGTERM, signal.SIGKILL):
            with self.subTest(stop=stop.name):
                shutil.rmtree(self.data, ignore_errors=True)
                n = self.server()
                c = Client(n.port)
                expected = populate(c)
                before = snapshot(c)
                self.assertEqual(len(before), 4)
                self.assertEqual(before[(ACCOUNT, "us-east-1", "orders")][1], 4)
                self.assertEqual(internal(n.port, "GET", "/_nimbus/state")[1]["dynamodb"], expected)
                c.close()
                n.stop(stop)
                n = self.server()
                c = Client(n.port)
                self.assertEqual(snapshot(c), before)
                self.assertEqual(internal(n.port, "GET", "/_nimbus/state")[1]["dynamodb"], expected)
                c.close()
                n.stop()

    def test_without_persistence_state_is_gone_after_restart(self):
        n = self.server(persistent=False)
        c = Client(n.port)
        populate(c)
        c.close()
        n.stop()
        n = self.server(persistent=False)
        self.assertEqual(Client(n.port).tables(), [])
        self.assertFalse(os.path.exists(self.data))

    def test_state_counts_per_service_account_region(self):
        n = self.server(persistent=False)
        c = Client(n.port)
        status, counts = internal(n.port, "GET", "/_nimbus/state")
        self.assertEqual((status, counts), (200, {}))  # nothing started yet
        expected = populate(c)
        status, counts = internal(n.port, "GET", "/_nimbus/state")
        self.assertEqual(status, 200)
        self.assertEqual(counts, {"dynamodb": expected})  # _ttl is bookkeeping: not counted

    def test_scoping_keeps_accounts_and_regions_apart(self):
        n = self.server(persistent=False)
        c = Client(n.port)
        populate(c)
        self.assertEqual(c.scan("orders", account=OTHER), {"o0": "other account's", "o1": "other account's too"})
        self.assertEqual(c.scan("orders", region="eu-west-1"), {"x": "in eu"})
        self.assertEqual(c.tables(account=OTHER, region="eu-west-1"), [])
        status, out, _ = c.call("GetItem", {"TableName": "users", "Key": {"id": {"S": "alice"}}}, account=OTHER)
        self.assertEqual((status, out["__type"]), (400, "ResourceNotFoundException"))


class Reset(StoreTestCase):
    def check_reset(self, n, path, expected_reset):
        c = Client(n.port)
        populate(c)
        c.put("users", "bob", "cached table")  # the plugin now caches "users"
        status, out = internal(n.port, "POST", path)
        self.assertEqual((status, out), (200, {"reset": expected_reset}))
        self.assertEqual(c.tables(), [])
        self.assertEqual(c.tables(account=OTHER), [])
        # Without the reset hook the plugin would still believe "users" exists.
        status, out, _ = c.call("PutItem", {"TableName": "users", "Item": {"id": {"S": "carol"}}})
        self.assertEqual((status, out["__type"]), (400, "ResourceNotFoundException"))
        counts = internal(n.port, "GET", "/_nimbus/state")[1]["dynamodb"]
        self.assertEqual(counts, {"items": {"total": 0, "accounts": {}}, "tables": {"total": 0, "accounts": {}}})
        # The schema stays: the service works on.
        c.create_table("users")
        c.put("users", "dave", "after reset")
        self.assertEqual(c.scan("users"), {"dave": "after reset"})
        self.assertEqual(c.item_count("users"), 1)
        c.close()

    def test_reset_one_service(self):
        n = self.server()
        self.check_reset(n, "/_localstack/state/dynamodb/reset", ["dynamodb"])
        n.stop()
        self.assertIn("dynamodb-kv: state reset: dropping the table cache", n.output)

    def test_reset_everything_survives_restart(self):
        n = self.server()
        self.check_reset(n, "/_localstack/state/reset", ["dynamodb"])
        n.stop()
        n = self.server()
        c = Client(n.port)
        self.assertEqual(c.tables(), ["users"])
        self.assertEqual(c.scan("users"), {"dave": "after reset"})

    def test_reset_unknown_service_and_wrong_method(self):
        n = self.server(persistent=False)
        self.assertEqual(internal(n.port, "POST", "/_localstack/state/nosuch/reset")[0], 404)
        self.assertEqual(internal(n.port, "GET", "/_localstack/state/reset")[0], 404)
        # a service that never started has nothing to reset
        self.assertEqual(internal(n.port, "POST", "/_localstack/state/dynamodb/reset"), (200, {"reset": ["dynamodb"]}))
        self.assertEqual(internal(n.port, "POST", "/_localstack/state/reset"), (200, {"reset": []}))

    def test_reset_while_an_async_request_is_pending(self):
        n = self.server(TP_KV_ASYNC_MS=400)
        c = Client(n.port)
        c.create_table("orders")
        slow = Client(n.port)
        result = {}

        def update_ttl():
            result["ttl"] = slow.call("UpdateTimeToLive", {
                "TableName": "orders", "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "e"}})[0]
            result["answered"] = time.monotonic()
        t = threading.Thread(target=update_ttl)
        t.start()
        time.sleep(0.1)  # the request reaches the server; the checks below tell if it did not
        self.assertEqual(internal(n.port, "POST", "/_localstack/state/reset"), (200, {"reset": ["dynamodb"]}))
        reset_answered = time.monotonic()
        t.join()
        # 200: the request was read before the reset (after it, the table would be gone: 400);
        # answered after the reset: it was still pending when the reset ran
        self.assertEqual(result["ttl"], 200)
        self.assertGreater(result["answered"], reset_answered, "the request was no longer pending at the reset")
        self.assertEqual(c.tables(), [])


class Startup(StoreTestCase):
    def make_state(self):
        n = self.server()
        c = Client(n.port)
        c.create_table("orders")
        c.put("orders", "a", "1")
        c.close()
        n.stop()
        return os.path.join(self.data, "dynamodb.db")

    def test_data_dir_that_cannot_be_created(self):
        blocker = os.path.join(self.tmp, "a-file")
        with open(blocker, "w") as f:
            f.write("x")
        bad = os.path.join(blocker, "data")
        rc, out = self.failed_start(bad)
        self.assertEqual(rc, 2, out)
        self.assertIn(bad, out)
        self.assertIn("Not a directory", out)

    def test_data_dir_is_a_file(self):
        blocker = os.path.join(self.tmp, "a-file")
        with open(blocker, "w") as f:
            f.write("x")
        rc, out = self.failed_start(blocker)
        self.assertEqual(rc, 2, out)
        self.assertIn(blocker, out)

    def test_database_that_is_not_a_database(self):
        path = self.make_state()
        with open(path, "r+b") as f:
            f.write(b"this is not SQLite at all, just some bytes" * 100)
        rc, out = self.failed_start(self.data)
        self.assertEqual(rc, 2, out)
        self.assertIn(path, out)
        self.assertRegex(out, "not a SQLite database|corrupt")

    def test_corrupt_page_is_found_at_startup(self):
        path = self.make_state()
        db = sqlite3.connect(path)
        page = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'items'").fetchone()[0]
        db.close()
        with open(path, "r+b") as f:  # scribble over the items table's b-tree page
            f.seek((root - 1) * page)
            f.write(b"\x0d\xff\xff\xff\xff\xff\xff\xff" * 64)
        rc, out = self.failed_start(self.data)
        self.assertEqual(rc, 2, out)
        self.assertIn(path, out)
        self.assertIn("corrupt", out)

    def test_database_from_a_newer_nimbus_is_refused(self):
        path = self.make_state()
        db = sqlite3.connect(path)
        db.execute("PRAGMA user_version = 99")
        db.close()
        rc, out = self.failed_start(self.data)
        self.assertEqual(rc, 2, out)
        self.assertIn(path, out)
        self.assertIn("schema version 99 is newer than this Nimbus supports (3)", out)
        db = sqlite3.connect(path)
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 99)  # untouched
        self.assertEqual(db.execute("SELECT count(*) FROM items").fetchone()[0], 1)
        db.close()

    def test_older_schema_is_migrated(self):
        os.makedirs(self.data)
        path = os.path.join(self.data, "dynamodb.db")
        db = sqlite3.connect(path)  # what version 1 of the plugin wrote
        db.executescript("PRAGMA application_id = 1312969556; PRAGMA journal_mode = WAL;"
                         "CREATE TABLE tables(account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
                         " hash_key TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY(account, region, name));"
                         "INSERT INTO tables VALUES ('000000000000', 'us-east-1', 'legacy', 'id', 1.5e9);"
                         "PRAGMA user_version = 1;")
        db.close()
        n = self.server()
        c = Client(n.port)
        self.assertEqual(c.tables(), ["legacy"])
        self.assertEqual(c.item_count("legacy"), 0)
        c.put("legacy", "k", "v")
        self.assertEqual(c.item_count("legacy"), 1)
        c.close()
        n.stop()
        db = sqlite3.connect(path)
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 3)
        db.close()

    def test_two_servers_on_one_data_dir(self):
        self.make_state()
        first = self.server()
        rc, out = self.failed_start(self.data)
        self.assertEqual(rc, 2, out)
        self.assertIn("locked", out)
        self.assertEqual(Client(first.port).scan("orders"), {"a": "1"})


class DiskFull(StoreTestCase):
    LIMIT = 256 * 1024

    def test_failed_write_answers_500_and_keeps_data_consistent(self):
        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal, kept across exec
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.LIMIT, self.LIMIT))
        n = self.server(preexec=limit_file_size)
        c = Client(n.port)
        c.create_table("blobs")
        acked, failed = {}, None
        for i in range(100):
            value = f"{i:04d}" * 5000  # 20 kB: the WAL passes the limit within a few writes
            status, out, headers = c.call("PutItem", {"TableName": "blobs",
                                                      "Item": {"id": {"S": f"k{i}"}, "v": {"S": value}}})
            if status == 200:
                acked[f"k{i}"] = value
                continue
            failed = (f"k{i}", status, out, headers)
            break
        self.assertIsNotNone(failed, "no write failed under a file size limit")
        self.assertGreater(len(acked), 0)
        key, status, out, headers = failed
        self.assertEqual(status, 500)
        self.assertEqual(out["__type"], "InternalError")
        headers = {k.lower(): v for k, v in headers.items()}
        self.assertIn("x-amz-json-1.0", headers.get("content-type", ""))
        self.assertEqual(headers.get("x-amzn-errortype"), "InternalError")
        # Reads still work, the failed write left nothing behind, the count agrees.
        self.assertEqual(c.scan("blobs"), acked)
        self.assertEqual(c.item_count("blobs"), len(acked))
        status, out, _ = c.call("GetItem", {"TableName": "blobs", "Key": {"id": {"S": key}}})
        self.assertEqual((status, out), (200, {}))
        c.close()
        n.stop(signal.SIGKILL)
        n = self.server()
        c = Client(n.port)
        self.assertEqual(c.scan("blobs"), acked)
        self.assertEqual(c.item_count("blobs"), len(acked))
        c.put("blobs", key, "fits now")
        self.assertEqual(c.item_count("blobs"), len(acked) + 1)



class PluginsOnAFullDisk(unittest.TestCase):
    """S3 and SQS when commits fail (a file size limit stands for a full disk): what a
    client was told stays true, in the running server and after a kill -9."""
    LIMIT = 1024 * 1024

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nb-store-full-")
        self.data = os.path.join(self.tmp, "data")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, limited):
        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.LIMIT, self.LIMIT))
        s = KvServer(self.tmp, self.data, preexec=limit_file_size if limited else None, SERVICES="s3,sqs",
                     PROVIDER_OVERRIDE_DYNAMODB="", TMPDIR=self.tmp)
        self.servers.append(s)
        return s.start()

    @staticmethod
    def clients(n):
        import boto3
        from botocore.config import Config
        kw = dict(endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                  config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}))
        return boto3.client("s3", **kw), boto3.client("sqs", **kw)

    def test_failed_commits_change_nothing_a_client_was_told(self):
        from botocore.exceptions import ClientError
        n = self.server(limited=True)
        s3, sqs = self.clients(n)
        s3.create_bucket(Bucket="full")
        original = os.urandom(200 * 1024)  # a blob file beside the database
        s3.put_object(Bucket="full", Key="big", Body=original)
        # Fill S3's WAL with small (inline) objects until a commit fails.
        for i in range(200):
            try:
                s3.put_object(Bucket="full", Key=f"small{i}", Body=os.urandom(60 * 1024))
            except ClientError as e:
                self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 500)
                self.assertEqual(e.response["Error"]["Code"], "InternalError")
                break
        else:
            self.fail("no S3 write failed under a file size limit")
        # Overwrites of the big object until one fails at the commit: the body of the
        # last acknowledged one must stay.
        for i in range(20):
            body = os.urandom(200 * 1024)
            try:
                s3.put_object(Bucket="full", Key="big", Body=body)
                original = body
            except ClientError as e:
                self.assertEqual(e.response["Error"]["Code"], "InternalError")
                break
        else:
            self.fail("no overwrite failed under a file size limit")
        self.assertEqual(s3.get_object(Bucket="full", Key="big")["Body"].read(), original)
        with self.assertRaises(ClientError):
            s3.delete_object(Bucket="full", Key="big")
        self.assertEqual(s3.get_object(Bucket="full", Key="big")["Body"].read(), original)

        # SQS: fill its WAL, then a queue whose creation failed must not exist.
        q = sqs.create_queue(QueueName="full")["QueueUrl"]
        sent = 0
        for i in range(400):
            try:
                sqs.send_message(QueueUrl=q, MessageBody=f"{i:05d}" + "x" * 20000)
                sent += 1
            except ClientError as e:
                self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 500)
                break
        else:
            self.fail("no SQS write failed under a file size limit")
        # Queues created until a creation fails at the commit: that one must not exist.
        created, failed = [], None
        for i in range(50):
            try:
                sqs.create_queue(QueueName=f"ghost{i}")
                created.append(f"ghost{i}")
            except ClientError as e:
                self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 500)
                failed = f"ghost{i}"
                break
        self.assertIsNotNone(failed, "no CreateQueue failed under a file size limit")
        with self.assertRaises(ClientError) as ctx:
            sqs.get_queue_url(QueueName=failed)
        self.assertIn(ctx.exception.response["Error"]["Code"],
                      ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"))
        n.stop(signal.SIGKILL)

        n = self.server(limited=False)
        s3, sqs = self.clients(n)
        self.assertEqual(s3.get_object(Bucket="full", Key="big")["Body"].read(), original)
        attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        self.assertEqual(int(attrs["ApproximateNumberOfMessages"]), sent)
        names = [u.rsplit("/", 1)[1] for u in sqs.list_queues(QueueNamePrefix="ghost").get("QueueUrls", [])]
        self.assertEqual(sorted(names), sorted(created), "a queue exists after restart iff it was acknowledged")
        blobs = os.path.join(self.data, "s3", "blobs")
        files = sum(len(f) for _, _, f in os.walk(blobs))
        self.assertLessEqual(files, 2, "at most the big object's body and one orphan of the failed overwrite")

if __name__ == "__main__":
    unittest.main(verbosity=2)
