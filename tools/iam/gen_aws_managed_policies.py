#!/usr/bin/env python3
"""Writes plugins/iam/aws_managed_policies.json.gz: AWS's managed policies (name, path,
default version, dates, document) as the IAM plugin serves them by ARN.

The documents are AWS's data; moto carries them (moto/iam/aws_managed_policies.py), so the
generator reads them from the installed moto and records which one in the file's header
(the "source" member, first in the JSON) so that a regeneration can be compared.

    python3 tools/iam/gen_aws_managed_policies.py [--out plugins/iam/aws_managed_policies.json.gz]
"""
import argparse
import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
import os


def load_moto_policies():
    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("moto is not installed: pip install moto")
    path = os.path.join(spec.submodule_search_locations[0], "iam", "aws_managed_policies.py")
    # Read as data, not imported: importing moto's package pulls in its whole server.
    namespace = {}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    exec(compile(text, path, "exec"), namespace)
    return path, hashlib.sha256(text.encode()).hexdigest(), json.loads(namespace["aws_managed_policies_data"])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "plugins", "iam", "aws_managed_policies.json.gz"))
    args = ap.parse_args()
    path, digest, data = load_moto_policies()
    policies = []
    for name in sorted(data):
        p = data[name]
        policies.append({
            "PolicyName": name,
            "Path": p.get("Path", "/"),
            "DefaultVersionId": p.get("DefaultVersionId", "v1"),
            "CreateDate": p.get("CreateDate"),
            "UpdateDate": p.get("UpdateDate", p.get("CreateDate")),
            "Document": json.dumps(p["Document"], separators=(",", ":"), sort_keys=False),
        })
    out = {
        "source": {
            "what": "AWS managed IAM policies (AWS's data)",
            "from": "moto %s, moto/iam/aws_managed_policies.py" % importlib.metadata.version("moto"),
            "sha256": digest,
            "generator": "tools/iam/gen_aws_managed_policies.py",
            "count": len(policies),
        },
        "policies": policies,
    }
    raw = json.dumps(out, separators=(",", ":")).encode()
    # mtime 0: the same input gives the same bytes
    with open(args.out, "wb") as f, gzip.GzipFile(filename="aws_managed_policies.json", fileobj=f, mode="wb",
                                                 compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    print("%s: %d policies from %s (%d bytes, %d compressed)" % (args.out, len(policies), path, len(raw),
                                                                 os.path.getsize(args.out)))


if __name__ == "__main__":
    main()
