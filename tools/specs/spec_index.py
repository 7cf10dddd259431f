#!/usr/bin/env python3
"""Write specs/index.tsv: what the server needs at start-up to pick the service of a request,
one line per service, so that it reads one small file instead of parsing every spec.

A service's full spec is read on its first request (core/spec/spec_index.c). Lines are
  service  path  protocol  protocols  signingName  endpointPrefix  targetPrefix  apiVersion
  jsonVersion  xmlNamespace  awsQueryCompatible  serviceId  heads  operations  catalogue
tab-separated, empty fields empty; path is relative to the spec folder. A shipped service
(specs/<svc>/<ver>/service-2.json, its overlay.json applied) comes before the catalogue
(specs/botocore/<svc>/<ver>/service-2.json.gz) and hides a catalogue entry of the same name.

usage: spec_index.py [--specs DIR] [--check]
  --check: exit 1 when DIR's index.tsv is not what the specs give (a test runs this).
"""
import argparse, copy, glob, gzip, json, os, sys

HEADER = "# nimbus spec index 4: written by tools/specs/spec_index.py from the specs below; do not edit\n"
CATALOG = "botocore"


def merge_patch(target, patch):
    """RFC 7386, as core/spec/spec.c applies overlay.json (the patch's values are copied)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        spec = json.load(f)
    overlay = os.path.join(os.path.dirname(path), "overlay.json")
    if os.path.exists(overlay):
        with open(overlay) as f:
            spec = merge_patch(spec, json.load(f))
    return spec


def newest(pattern):
    """{service: newest api version's spec path} for <root>/<svc>/<ver>/<file>."""
    found = {}
    for p in sorted(glob.glob(pattern)):
        svc = os.path.basename(os.path.dirname(os.path.dirname(p)))
        found[svc] = p  # sorted: the greatest version folder comes last
    return found


def field(v):
    v = "" if v is None else str(v)
    if "\t" in v or "\n" in v:
        sys.exit(f"spec_index: a metadata value holds a tab or newline: {v!r}")
    return v


def heads(spec):
    """The first literal path segments of a REST service's routes, as the router's
    nb__rest_table_literal_heads gives them (a whole segment: "/2015-03-31/functions" gives
    2015-03-31; "/{Bucket}" and "/foo{Bar}" give none); tests/unit/test_spec_index.c compares."""
    md = spec.get("metadata", {})
    protos = set(md.get("protocols") or []) | {md.get("protocol")}
    if not protos & {"rest-json", "rest-xml"}:
        return ""
    found = []
    for op in spec.get("operations", {}).values():
        path = (op.get("http", {}).get("requestUri") or "/").split("?", 1)[0]
        brace = path.find("{")
        lit = path if brace < 0 else path[:brace]
        if len(lit) < 2 or lit[0] != "/":
            continue
        seg = lit[1:]
        if "/" not in seg and brace >= 0:
            continue
        seg = seg.split("/", 1)[0]
        if seg and seg not in found:
            found.append(seg)
    return ",".join(sorted(found))


def line(service, rel, spec, shipped):
    """shipped: the operation names too (a plugin's operations are checked against them when it
    loads, before the spec is read); else the line is marked as the catalogue's."""
    md = spec.get("metadata", {})
    return "\t".join(field(x) for x in (
        service, rel, md.get("protocol"), ",".join(md.get("protocols") or []), md.get("signingName"),
        md.get("endpointPrefix"), md.get("targetPrefix"), md.get("apiVersion"), md.get("jsonVersion"),
        (md.get("xmlNamespace") or {}).get("uri") if isinstance(md.get("xmlNamespace"), dict) else None,
        "1" if "awsQueryCompatible" in md else "", md.get("serviceId"), heads(spec),
        ",".join(sorted(spec.get("operations", {}))) if shipped else "", "" if shipped else "1")) + "\n"


def build(specs):
    out = [HEADER]
    shipped = newest(os.path.join(specs, "*", "*", "service-2.json"))
    for svc, p in sorted(shipped.items()):
        out.append(line(svc, os.path.relpath(p, specs), load(p), True))
    for svc, p in sorted(newest(os.path.join(specs, CATALOG, "*", "*", "service-2.json.gz")).items()):
        if svc not in shipped:
            out.append(line(svc, os.path.relpath(p, specs), load(p), False))
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "specs"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    text = build(a.specs)
    path = os.path.join(a.specs, "index.tsv")
    if a.check:
        try:
            with open(path) as f:
                same = f.read() == text
        except OSError:
            same = False
        if not same:
            sys.exit(f"spec_index: {path} is out of date: run tools/specs/spec_index.py")
        print(f"{path}: up to date ({text.count(chr(10)) - 1} services)")
        return
    write(a.specs, text)


def write(specs, text):
    path = os.path.join(specs, "index.tsv")
    with open(path, "w") as f:
        f.write(text)
    print(f"{path}: {text.count(chr(10)) - 1} services")


def main_for(specs):
    """Writes specs' index (import_spec.py calls this after each import)."""
    write(specs, build(specs))


if __name__ == "__main__":
    main()
