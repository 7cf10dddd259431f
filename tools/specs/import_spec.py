#!/usr/bin/env python3
"""Copy a service spec into specs/<service>/<api-version>/.

The runtime copy (service-2.json) has its documentation moved to docs-2.json
beside it: the server never reads documentation, and without it the specs load
in half the time. source.json records where the spec came from and its version.

usage: import_spec.py SERVICE [--from DIR] [--specs DIR]
  DIR: a botocore data folder (default: Debian's python3-botocore), an npm
  aws-sdk package's apis/ folder, or a folder holding service-2.json.
"""
import argparse, glob, gzip, json, os, sys

DEBIAN = "/usr/lib/python3/dist-packages/botocore/data"


def strip_docs(node, path, docs):
    if isinstance(node, dict):
        for key in ("documentation", "documentationUrl"):
            if key in node:
                docs[path + "/" + key] = node.pop(key)
        for k, v in node.items():
            strip_docs(v, path + "/" + k.replace("~", "~0").replace("/", "~1"), docs)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            strip_docs(v, path + "/" + str(i), docs)


def find_spec(service, src):
    cands = []
    cands += glob.glob(os.path.join(src, service, "*", "service-2.json*"))       # botocore data
    cands += glob.glob(os.path.join(src, service + "-*.min.json"))              # aws-sdk apis/
    cands += glob.glob(os.path.join(src, "service-2.json"))                     # a plain folder
    if not cands:
        sys.exit(f"import_spec: no spec for {service} in {src}")
    return sorted(cands)[-1]


def source_version(src):
    try:
        if src.startswith("/usr/lib/python3/dist-packages/botocore"):
            import importlib.metadata as md
            return "python3-botocore " + md.version("botocore")
    except Exception:
        pass
    pkg = os.path.join(os.path.dirname(os.path.abspath(src)), "package.json")
    if os.path.exists(pkg):
        with open(pkg) as f:
            return "npm aws-sdk " + json.load(f).get("version", "?")
    return "folder " + os.path.abspath(src)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("service")
    ap.add_argument("--from", dest="src", default=DEBIAN)
    ap.add_argument("--specs", default=os.path.join(os.path.dirname(__file__), "..", "..", "specs"))
    a = ap.parse_args()
    path = find_spec(a.service, a.src)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        spec = json.load(f)
    version = spec["metadata"]["apiVersion"]
    docs = {}
    strip_docs(spec, "", docs)
    out = os.path.join(a.specs, a.service, version)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "service-2.json"), "w") as f:
        json.dump(spec, f, separators=(",", ":"), sort_keys=False)
    with open(os.path.join(out, "docs-2.json"), "w") as f:
        json.dump(docs, f, separators=(",", ":"))
    with open(os.path.join(out, "source.json"), "w") as f:
        json.dump({"from": os.path.abspath(path), "source": source_version(a.src)}, f, indent=1)
        f.write("\n")
    print(f"{a.service} {version}: {len(spec.get('operations', {}))} operations -> {out}")


if __name__ == "__main__":
    main()
