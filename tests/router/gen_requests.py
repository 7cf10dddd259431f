#!/usr/bin/python3
"""Builds one botocore-signed request for every operation of every spec in specs/.

Run with Debian's /usr/bin/python3 (python3-botocore). The specs are handed to
botocore through a temporary data folder (so the requests follow exactly the
specs the server loads, overlays included); a before-send hook captures each
prepared request instead of sending it.

Output (stdout or -o FILE), one record per request:

    ##### <service> <protocol> <style> <members> <operation> <length>\n
    <length bytes: the raw HTTP/1.1 request, head and body>\n

style: "path" for the default endpoint, "vhost" for S3 virtual-host addressing
(bucket in the Host), "-" otherwise. members: "required" (only the required
members are set) or "all" (every top-level member too: headers, query
parameters and labels). A service whose spec lists several
protocols gets one request per protocol it can be spoken in (SQS: query and
json, the json one with x-amzn-query-mode: true as current SDKs send it).
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
from urllib.parse import urlsplit

import botocore.session
from botocore.config import Config

PROTOCOLS_BOTOCORE_CAN_SERIALIZE = ("query", "ec2", "json", "rest-json", "rest-xml")


class Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def merge_patch(target, patch):
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_patch(target[key], value)
        else:
            target[key] = value
    return target


def load_specs(spec_dir):
    """{service: (api_version, model)} for the newest version of each service."""
    out = {}
    for svc in sorted(os.listdir(spec_dir)):
        sdir = os.path.join(spec_dir, svc)
        if not os.path.isdir(sdir):
            continue
        versions = sorted(v for v in os.listdir(sdir)
                          if os.path.isfile(os.path.join(sdir, v, "service-2.json")))
        if not versions:
            continue
        ver = versions[-1]
        with open(os.path.join(sdir, ver, "service-2.json")) as f:
            model = json.load(f)
        overlay = os.path.join(sdir, ver, "overlay.json")
        if os.path.isfile(overlay):
            with open(overlay) as f:
                merge_patch(model, json.load(f))
        out[svc] = (ver, model)
    return out


def model_protocols(model):
    md = model["metadata"]
    protos = list(md.get("protocols") or [])
    if md.get("protocol") and md["protocol"] not in protos:
        protos.insert(0, md["protocol"])
    return [p for p in protos if p in PROTOCOLS_BOTOCORE_CAN_SERIALIZE]


class ValueMaker:
    """Values for the required members of an input shape, valid enough for
    botocore's parameter validation (types, min lengths/counts, unions)."""

    def __init__(self, shapes, service, every_member=False):
        self.shapes = shapes
        self.service = service
        self.every_member = every_member

    def string(self, shape, member_name):
        if "enum" in shape:
            return shape["enum"][0]
        low = member_name.lower()
        if self.service == "s3" and low in ("bucket",):
            return "nimbus-bucket-1"
        if self.service == "s3" and low == "key":
            return "dir/sub dir/key+name.txt"
        if self.service == "s3" and low == "copysource":
            return "nimbus-src/src key.txt"
        if self.service == "sqs" and low == "queueurl":
            return "http://localhost:4566/000000000000/nimbus-q1"
        if shape.get("jsonvalue"):
            return {"k": "v"}
        value = "v-" + "".join(c for c in member_name.lower() if c.isalnum())[:20]
        minimum = shape.get("min", 0)
        if len(value) < minimum:
            value = value + "x" * (minimum - len(value))
        maximum = shape.get("max")
        if maximum is not None and len(value) > maximum:
            value = value[:maximum]
        return value

    def value(self, ref, member_name, depth):
        shape = self.shapes[ref["shape"]]
        t = shape["type"]
        if t == "structure":
            if shape.get("document"):
                return {}
            return self.structure(shape, depth + 1)
        if t == "list":
            n = max(1, shape.get("min", 1))
            return [self.value(shape["member"], member_name, depth + 1) for _ in range(n)]
        if t == "map":
            key = self.value(shape["key"], member_name + "key", depth + 1)
            return {key: self.value(shape["value"], member_name, depth + 1)}
        if t == "string":
            return self.string(shape, member_name)
        if t in ("integer", "long"):
            return max(1, int(shape.get("min", 1)))
        if t in ("float", "double"):
            return float(max(1, shape.get("min", 1)))
        if t == "boolean":
            return True
        if t == "timestamp":
            return datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        if t == "blob":
            return b"nimbus-bytes"
        raise ValueError("unknown shape type %s" % t)

    def structure(self, shape, depth):
        members = shape.get("members", {})
        if depth > 12:
            return {}
        if shape.get("union"):
            name = sorted(members)[0]
            return {name: self.value(members[name], name, depth)}
        names = shape.get("required", [])
        if self.every_member and depth == 0:
            # every top-level member: headers, query parameters and labels
            # that another operation might require must not mislead the router
            names = sorted(members)
        return {name: self.value(members[name], name, depth) for name in names}


def write_model(data_dir, svc, ver, model, protocol):
    m = json.loads(json.dumps(model))
    m["metadata"]["protocol"] = protocol
    # The shipped specs have their documentation moved to docs-2.json; botocore
    # reads it back from clientContextParams.
    for param in m.get("clientContextParams", {}).values():
        param.setdefault("documentation", "")
    m["metadata"].pop("protocols", None)
    if protocol == "json":
        m["metadata"].setdefault("jsonVersion", "1.0")
    path = os.path.join(data_dir, svc, ver)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "service-2.json"), "w") as f:
        json.dump(m, f)


def raw_request(req):
    parts = urlsplit(req.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    body = req.body
    if body is None:
        body = b""
    elif hasattr(body, "read"):
        body = body.read()
    elif isinstance(body, str):
        body = body.encode("utf-8")
    lines = ["%s %s HTTP/1.1" % (req.method, target), "Host: %s" % parts.netloc]
    for name, value in req.headers.items():
        if name.lower() in ("host", "content-length", "transfer-encoding"):
            continue
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        lines.append("%s: %s" % (name, value))
    if body or req.method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + bytes(body)


def make_client(session, svc, endpoint, style):
    cfg = {"retries": {"max_attempts": 1}, "parameter_validation": True}
    if svc == "s3":
        cfg["s3"] = {"addressing_style": "virtual" if style == "vhost" else "path"}
    return session.create_client(
        svc, region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(**cfg))


def isolate_from_user_config():
    """A developer's ~/.aws/config or AWS_* variables must not change the requests."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


def generate(spec_dir, out, only=None):
    isolate_from_user_config()
    specs = load_specs(spec_dir)
    failures = 0
    count = 0
    with tempfile.TemporaryDirectory() as data_dir:
        for svc, (ver, model) in specs.items():
            if only and svc not in only:
                continue
            for protocol in model_protocols(model):
                write_model(data_dir, svc, ver, model, protocol)
                session = botocore.session.get_session()
                session.get_component("data_loader").search_paths.insert(0, data_dir)
                styles = [("path", "http://localhost:4566")]
                if svc == "s3":
                    styles.append(("vhost", "http://s3.localhost.localstack.cloud:4566"))
                for style, endpoint in styles:
                    client = make_client(session, svc, endpoint, style)
                    sid = client.meta.service_model.service_id.hyphenize()

                    def capture(request, **_):
                        raise Captured(request)

                    def query_mode(request, **_):
                        request.headers["x-amzn-query-mode"] = "true"

                    client.meta.events.register("before-send.%s" % sid, capture)
                    if protocol == "json" and model["metadata"].get("awsQueryCompatible") is not None:
                        client.meta.events.register("before-sign.%s" % sid, query_mode)
                    for variant in ("required", "all"):
                        maker = ValueMaker(model["shapes"], svc, every_member=variant == "all")
                        for op_name in sorted(model["operations"]):
                            op = client.meta.service_model.operation_model(op_name)
                            params = maker.structure(model["shapes"][op.input_shape.name], 0) \
                                if op.input_shape is not None else {}
                            method = getattr(client, botocore.xform_name(op_name))
                            try:
                                method(**params)
                            except Captured as c:
                                if svc == "s3" and op_name == "PostObject":
                                    # only browsers send it (an HTML form), always as multipart/form-data
                                    c.request.headers["Content-Type"] = "multipart/form-data; boundary=nimbus"
                                data = raw_request(c.request)
                                tag = "vhost" if style == "vhost" else ("path" if svc == "s3" else "-")
                                head = "##### %s %s %s %s %s %d\n" % (svc, protocol, tag, variant, op_name, len(data))
                                out.write(head.encode("ascii") + data + b"\n")
                                count += 1
                            except Exception as e:  # a request botocore refused to build
                                failures += 1
                                sys.stderr.write("gen: %s %s %s (%s members): %s: %s\n" % (
                                    svc, protocol, op_name, variant, type(e).__name__, e))
    sys.stderr.write("gen: %d requests, %d could not be built\n" % (count, failures))
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "..", "..", "specs"))
    ap.add_argument("-o", "--output", help="file to write (default: stdout)")
    ap.add_argument("services", nargs="*", help="only these services")
    args = ap.parse_args()
    if args.output:
        with open(args.output, "wb") as f:
            failures = generate(args.specs, f, set(args.services))
    else:
        failures = generate(args.specs, sys.stdout.buffer, set(args.services))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
