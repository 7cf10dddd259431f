#!/usr/bin/env python3
"""Scaffold sweep: every service spec in Debian's botocore scaffolds with nimbus-scaffold,
compiles with -Wall -Wextra -Werror, loads into one Nimbus, and answers every operation with
501 InternalFailure in its own protocol, as read by Debian's boto3.

  /usr/bin/python3 tools/scaffold/sweep.py [--nimbus BUILD/nimbus] [--sample N | --services a,b]

--sample N picks N services spread over every protocol (CI uses 30); without it, all of them.
Prints per protocol: services, operations answered 501, failures; exits 1 on any failure.
"""
import argparse, collections, concurrent.futures, glob, json, os, shutil, subprocess, sys, tempfile, time

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


def newest_spec(service):
    specs = sorted(glob.glob(os.path.join(DATA, service, "*", "service-2.json")))
    return specs[-1] if specs else None


def all_services():
    out = {}
    for d in sorted(os.listdir(DATA)):
        path = newest_spec(d)
        if path and d not in UNREACHABLE:
            with open(path) as f:
                out[d] = json.load(f)["metadata"]["protocol"]
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


def build_plugin(service, work, plugins, include):
    out = os.path.join(work, "src")
    r = subprocess.run([sys.executable, os.path.join(HERE, "nimbus-scaffold"), "generate", service, "--out", out,
                        "--spec", newest_spec(service)], capture_output=True, text=True)
    if r.returncode != 0:
        return f"scaffold: {r.stderr.strip()}"
    src = os.path.join(out, service)
    c = service.replace("-", "_")
    c = "svc_" + c if c[0].isdigit() else c
    r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-shared", "-fPIC",
                        "-I" + include, os.path.join(src, c + "_plugin.c"), os.path.join(src, c + "_provider.c"),
                        "-ljansson", "-o", os.path.join(plugins, service + ".so")], capture_output=True, text=True)
    if r.returncode != 0:
        return "compile: " + r.stderr.strip()[:2000]
    shutil.copyfile(newest_spec(service), os.path.join(plugins, service + ".service-2.json"))
    return None


def call_all(service, url):
    import boto3, botocore.config, botocore.exceptions
    cfg = botocore.config.Config(inject_host_prefix=False, retries={"max_attempts": 1},
                                 s3={"addressing_style": "path"}, parameter_validation=True)
    client = boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test", config=cfg)
    model = client.meta.service_model
    shapes = json.load(open(newest_spec(service)))["shapes"]
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
            if status == 501 and (code == "InternalFailure" or (om.http.get("method") == "HEAD" and code == "501")):
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
    ap.add_argument("--sample", type=int)
    ap.add_argument("--services")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    services = all_services()
    if a.services:
        services = {s: services[s] for s in a.services.split(",")}
    elif a.sample:
        services = {s: services[s] for s in sample(services, a.sample)}
    t0 = time.time()
    failures, counts = [], collections.defaultdict(lambda: [0, 0])
    with tempfile.TemporaryDirectory() as work:
        plugins = os.path.join(work, "plugins")
        os.makedirs(plugins)
        include = os.path.join(TREE, "include")
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
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
