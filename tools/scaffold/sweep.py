#!/usr/bin/env python3
"""Scaffold sweep: every service spec in Debian's botocore scaffolds with nimbus-scaffold,
compiles with -Wall -Wextra -Werror, loads into one Nimbus, and answers every operation with
501 InternalFailure in its own protocol, as read by Debian's boto3 (smithy-rpc-v2-cbor, which
botocore 1.29 does not speak: by a small SigV4-signed CBOR client here, checking that the answer
is CBOR and its __type InternalFailure).

  /usr/bin/python3 tools/scaffold/sweep.py [--nimbus BUILD/nimbus] [--spec-dir DIR ...]
                                           [--sample N | --services a,b] [--jobs N]

--spec-dir DIR adds the specs in DIR (botocore's layout: DIR/<svc>/<api-version>/service-2.json
or .json.gz), over Debian's for a service both have; tests/data/specs holds a CBOR service.
--sample N picks N services spread over every protocol (CI uses 30); without it, all of them.
Prints per protocol: services, operations answered 501, failures; exits 1 on any failure.
"""
import argparse, collections, concurrent.futures, datetime, glob, gzip, http.client, json, os, struct, subprocess, \
    sys, tempfile, time, urllib.parse

HERE = os.path.dirname(os.path.realpath(__file__))
TREE = os.path.realpath(os.path.join(HERE, "..", ".."))
DATA = "/usr/lib/python3/dist-packages/botocore/data"
sys.path.insert(0, os.path.join(TREE, "tests", "router"))
sys.path.insert(0, os.path.join(TREE, "tests", "e2e"))
from gen_requests import ValueMaker  # noqa: E402  (values that pass botocore's validation)
from nimbus_server import Nimbus  # noqa: E402


class FullValueMaker(ValueMaker):
    """Like the router's, but a structure without required members still gets its first
    member: an empty structure sends nothing in query/ec2, which a server must answer
    with MissingParameter when the structure itself is required."""

    def structure(self, shape, depth):
        value = super().structure(shape, depth)
        members = shape.get("members", {})
        if not value and members and depth <= 12 and not shape.get("union"):
            name = sorted(members)[0]
            value = {name: self.value(members[name], name, depth)}
        return value


# Services a client cannot reach on a loopback address: their endpoint rules put a
# caller-given label in front of the host name (s3control: <account-id>.<host>).
UNREACHABLE = {"s3control": "endpoint rules prefix the account id to the host name",
               "codecatalyst": "the client signs with a bearer token it must be configured with"}
# Operations the client cannot send as generated here (client-side limits).
CLIENT_SIDE = {"lexv2-runtime.StartConversation": "HTTP/2 event stream, which botocore does not send",
               "machinelearning.Predict": "the client requires a PredictEndpoint customisation",
               "wafv2.CheckCapacity": "recursive statement shapes defeat the value generator",
               "cloudsearchdomain.Search": "botocore rewrites the spec's GET into a form POST"}
# Services whose operations share signing name, method and path with another service's:
# behind one endpoint URL the wire does not say which is meant (AWS tells them by host).
SAME_WIRE = {"chime": "chime-sdk-messaging/-meetings/-identity/-voice use the same routes",
             "chime-sdk-messaging": "chime uses the same routes", "chime-sdk-voice": "chime uses the same routes",
             "lexv2-models": "lex-models uses the same signing name and routes",
             "neptune": "rds and docdb: same signing name, API version and actions",
             "docdb": "rds and neptune: same signing name, API version and actions"}
# Operations a client sends exactly like another one (deprecated twins): they are
# answered as that other operation, whose input they do not match.
TWINS = {"s3.PutBucketNotification": "sent like PutBucketNotificationConfiguration",
         "s3.PutBucketLifecycle": "sent like PutBucketLifecycleConfiguration",
         "s3.GetBucketNotification": "sent like GetBucketNotificationConfiguration",
         "s3.GetBucketLifecycle": "sent like GetBucketLifecycleConfiguration"}


SPECS = {}  # service -> spec path (Debian's newest, or an --spec-dir's)
EXTRA = {}  # service -> the --spec-dir it came from


def newest_spec(service, root=DATA):
    specs = sorted(glob.glob(os.path.join(root, service, "*", "service-2.json*")))
    return specs[-1] if specs else None


def load_spec(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rt") as f:
        return json.load(f)


def all_services(spec_dirs=()):
    out = {}
    for root in [DATA] + list(spec_dirs):
        for d in sorted(os.listdir(root)):
            path = newest_spec(d, root)
            if path and d not in UNREACHABLE:
                SPECS[d] = path
                if root != DATA:
                    EXTRA[d] = root
                out[d] = load_spec(path)["metadata"]["protocol"]
    return out


def sample(services, n):
    """Round-robin over protocols so every protocol is covered; deterministic."""
    by_proto = collections.defaultdict(list)
    for svc, proto in services.items():
        by_proto[proto].append(svc)
    picked, i = [], 0
    while len(picked) < min(n, len(services)):
        for proto in sorted(by_proto):
            lst = by_proto[proto]
            if i < len(lst) and len(picked) < n:
                picked.append(lst[i])
        i += 1
    return sorted(set(picked))


def build_plugin(service, work, plugins, includes):
    out = os.path.join(work, "src")
    r = subprocess.run([sys.executable, os.path.join(HERE, "nimbus-scaffold"), "generate", service, "--out", out,
                        "--spec", SPECS[service]], capture_output=True, text=True)
    if r.returncode != 0:
        return f"scaffold: {r.stderr.strip()}"
    src = os.path.join(out, service)
    c = service.replace("-", "_")
    c = "svc_" + c if c[0].isdigit() else c
    r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-shared", "-fPIC",
                        *["-I" + d for d in includes], os.path.join(src, c + "_plugin.c"), os.path.join(src, c + "_provider.c"),
                        "-ljansson", "-o", os.path.join(plugins, service + ".so")], capture_output=True, text=True)
    if r.returncode != 0:
        return "compile: " + r.stderr.strip()[:2000]
    with open(os.path.join(plugins, service + ".service-2.json"), "w") as f:
        json.dump(load_spec(SPECS[service]), f)
    return None


# ---------------------------------------------------------------- smithy-rpc-v2-cbor

def cbor_encode(v):
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for code, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | code]) + struct.pack(fmt, n)
        raise ValueError("integer too large")
    if v is None:
        return b"\xf6"
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, (bytes, bytearray)):
        return head(2, len(v)) + bytes(v)
    if isinstance(v, datetime.datetime):
        return b"\xc1" + cbor_encode(v.timestamp())  # tag 1: epoch seconds
    if isinstance(v, (list, tuple)):
        return head(4, len(v)) + b"".join(cbor_encode(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor_encode(k) + cbor_encode(x) for k, x in v.items())
    raise TypeError(f"cannot encode {type(v).__name__}")


def cbor_decode(data):
    """The value of a CBOR item (definite and indefinite lengths, tags, floats)."""
    def item(i):
        ib = data[i]
        major, info, i = ib >> 5, ib & 31, i + 1
        if major == 7:
            if info == 20 or info == 21:
                return info == 21, i
            if info in (22, 23):
                return None, i
            if info == 25:
                h = struct.unpack(">H", data[i:i + 2])[0]
                return struct.unpack(">e", struct.pack(">H", h))[0], i + 2
            if info == 26:
                return struct.unpack(">f", data[i:i + 4])[0], i + 4
            if info == 27:
                return struct.unpack(">d", data[i:i + 8])[0], i + 8
            raise ValueError(f"unexpected simple value {info}")
        if info < 24:
            n = info
        elif info in (24, 25, 26, 27):
            size = 1 << (info - 24)
            n, i = int.from_bytes(data[i:i + size], "big"), i + size
        elif info == 31 and major in (2, 3, 4, 5):
            n = None
        else:
            raise ValueError(f"bad additional information {info}")
        if major == 0:
            return n, i
        if major == 1:
            return -1 - n, i
        if major in (2, 3):
            if n is None:
                parts = []
                while data[i] != 0xFF:
                    part, i = item(i)
                    parts.append(part)
                joined = b"".join(parts) if major == 2 else "".join(parts)
                return joined, i + 1
            raw = data[i:i + n]
            return (raw if major == 2 else raw.decode()), i + n
        if major == 4:
            out = []
            while (n is None and data[i] != 0xFF) or (n is not None and len(out) < n):
                x, i = item(i)
                out.append(x)
            return out, i + (1 if n is None else 0)
        if major == 5:
            out, count = {}, 0
            while (n is None and data[i] != 0xFF) or (n is not None and count < n):
                k, i = item(i)
                out[k], i = item(i)
                count += 1
            return out, i + (1 if n is None else 0)
        return item(i)  # major 6: a tag; the value is what matters here
    value, end = item(0)
    if end != len(data):
        raise ValueError("trailing bytes after the CBOR item")
    return value


def cbor_call(url, spec, operation, params):
    """Sends one smithy-rpc-v2-cbor request, SigV4-signed as botocore signs: (status, headers, body)."""
    import botocore.auth, botocore.awsrequest, botocore.credentials
    md = spec["metadata"]
    body = cbor_encode(params) if spec["operations"][operation].get("input") else b""
    headers = {"smithy-protocol": "rpc-v2-cbor", "Accept": "application/cbor"}
    if body:
        headers["Content-Type"] = "application/cbor"
    full = f"{url}/service/{md['targetPrefix']}/operation/{operation}"
    req = botocore.awsrequest.AWSRequest("POST", full, data=body, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"),
                            md.get("signingName") or md["endpointPrefix"], "us-east-1").add_auth(req)
    u = urllib.parse.urlsplit(full)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request("POST", u.path, body=body, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def check_cbor_501(status, headers, body):
    """None when the answer is a CBOR 501 InternalFailure, else what is wrong with it."""
    if status != 501:
        return f"status {status}"
    if headers.get("content-type") != "application/cbor":
        return f"Content-Type {headers.get('content-type')!r}"
    if headers.get("smithy-protocol") != "rpc-v2-cbor":
        return f"smithy-protocol {headers.get('smithy-protocol')!r}"
    try:
        doc = cbor_decode(body)
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        return f"body is not CBOR ({e}): {body[:80]!r}"
    code = str(doc.get("__type", "")).rsplit("#", 1)[-1] if isinstance(doc, dict) else None
    return None if code == "InternalFailure" else f"__type {doc!r:.200}"


def call_all_cbor(service, url):
    spec = load_spec(SPECS[service])
    shapes = spec["shapes"]
    maker = FullValueMaker(shapes, service)
    ok, failures = 0, []
    for op in sorted(spec["operations"]):
        ref = spec["operations"][op].get("input")
        params = maker.structure(shapes[ref["shape"]], 0) if ref else {}
        try:
            wrong = check_cbor_501(*cbor_call(url, spec, op, params))
        except Exception as e:  # noqa: BLE001 - anything else is a failure to report
            wrong = f"{type(e).__name__}: {str(e)[:200]}"
        if wrong:
            failures.append(f"{service}.{op}: {wrong}")
        else:
            ok += 1
    return ok, failures


def call_all(service, url):
    import boto3, botocore.config, botocore.exceptions, botocore.session
    if load_spec(SPECS[service])["metadata"]["protocol"] == "smithy-rpc-v2-cbor":
        return call_all_cbor(service, url)
    cfg = botocore.config.Config(inject_host_prefix=False, retries={"max_attempts": 1},
                                 s3={"addressing_style": "path"}, parameter_validation=True)
    session = botocore.session.get_session()
    if service in EXTRA and not newest_spec(service):  # a service Debian's botocore does not know
        session.get_component("data_loader").search_paths.insert(0, EXTRA[service])
    client = boto3.Session(botocore_session=session).client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=cfg)
    model = client.meta.service_model
    # values for the model the client validates them against (Debian's, when it knows the service)
    shapes = load_spec(newest_spec(service) or SPECS[service])["shapes"]
    maker = FullValueMaker(shapes, service)
    method_of = {api: py for py, api in client.meta.method_to_api_mapping.items()}
    ok, failures = 0, []
    for op in model.operation_names:
        om = model.operation_model(op)
        if f"{service}.{op}" in CLIENT_SIDE:
            continue
        params = maker.structure(shapes[om.input_shape.name], 0) if om.input_shape else {}
        try:
            getattr(client, method_of[op])(**params)
            failures.append(f"{service}.{op}: answered 2xx")
        except botocore.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            # a HEAD answer has no body: clients take the status as the code
            # S3 answers its own 501 code (its overlay's NotImplemented shape), the others InternalFailure
            want = "NotImplemented" if service == "s3" else "InternalFailure"
            if status == 501 and (code == want or (om.http.get("method") == "HEAD" and code == "501")):
                ok += 1
            elif f"{service}.{op}" in TWINS or service in SAME_WIRE:
                pass
            else:
                failures.append(f"{service}.{op}: {status} {code} {e.response.get('Error', {}).get('Message', '')[:200]}")
        except Exception as e:  # noqa: BLE001 - anything else is a failure to report
            failures.append(f"{service}.{op}: {type(e).__name__}: {str(e)[:200]}")
    return ok, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nimbus", default=os.environ.get("NIMBUS_BIN", os.path.join(TREE, "build", "nimbus")))
    ap.add_argument("--spec-dir", action="append", default=[],
                    help="more specs: DIR/<svc>/<api-version>/service-2.json[.gz] (repeatable)")
    ap.add_argument("--sample", type=int)
    ap.add_argument("--services")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="plugins compiled at once")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    services = all_services(a.spec_dir)
    if a.services:
        services = {s: services[s] for s in a.services.split(",")}
    elif a.sample:
        services = {s: services[s] for s in sample(services, a.sample)}
    t0 = time.time()
    failures, counts = [], collections.defaultdict(lambda: [0, 0])
    with tempfile.TemporaryDirectory() as work:
        plugins = os.path.join(work, "plugins")
        os.makedirs(plugins)
        # the source tree's headers and the build's generated ones (nimbus/version.h)
        include = [os.path.join(TREE, "include"), os.path.join(os.path.dirname(os.path.abspath(a.nimbus)), "include")]
        with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
            built = dict(zip(services, pool.map(lambda s: build_plugin(s, work, plugins, include), services)))
        for svc, err in built.items():
            if err:
                failures.append(f"{svc}: {err}")
        loaded = [s for s, e in built.items() if not e]
        overrides = {f"PROVIDER_OVERRIDE_{s.upper().replace('-', '_')}": s for s in loaded}
        with Nimbus(NIMBUS_PLUGIN_PATH=plugins, **overrides) as n:
            for svc in loaded:
                ok, fails = call_all(svc, n.url)
                counts[services[svc]][0] += 1
                counts[services[svc]][1] += ok
                failures += fails
    total_ops = sum(c[1] for c in counts.values())
    for proto in sorted(counts):
        print(f"{proto}: {counts[proto][0]} services, {counts[proto][1]} operations answered 501")
    for f in failures if a.v else failures[:200]:
        print("  FAIL " + f)
    print(f"scaffold sweep: {len(services)} services, {total_ops} operations answered 501, "
          f"{len(failures)} failures ({time.time() - t0:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
