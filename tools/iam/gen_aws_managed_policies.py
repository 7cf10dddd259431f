#!/usr/bin/env python3
"""Writes plugins/iam/aws_managed_policies.gz: AWS's managed policies (name, path,
default version, dates, document) as the IAM plugin serves them by ARN.

The file is gzip members one after another (gunzip reads it whole): the first holds the index,
the others the documents' text, packed into blocks of about BLOCK bytes that no document straddles.
The plugin inflates and scans the index alone on first use (ListPolicies needs no more) and one
block when a document is asked for, instead of parsing 3 MB of JSON on the event loop. The index
is text that C reads without a JSON parser:
  line 1: the "source" JSON object (what the data is, for comparing regenerations; not read)
  line 2: the blocks' compressed sizes, space separated, in file order after the index member
  then, one line per policy sorted by name (byte order):
  name TAB path TAB version TAB created TAB updated TAB block TAB start TAB length
start and length count the document's bytes in its inflated block.

The documents are AWS's data; moto carries them (moto/iam/aws_managed_policies.py), so the
generator reads them from the installed moto and records which one in the file's header
(the "source" member, first in the JSON) so that a regeneration can be compared.

    python3 tools/iam/gen_aws_managed_policies.py [--out plugins/iam/aws_managed_policies.gz]
"""
import argparse
import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
import os

# Small enough to inflate in well under a millisecond, large enough to compress about as well as one stream.
BLOCK = 64 * 1024


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
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "plugins", "iam", "aws_managed_policies.gz"))
    args = ap.parse_args()
    path, digest, data = load_moto_policies()
    blocks, texts = [], []  # texts: the documents of the block being filled
    policies = []

    def close_block():
        if texts:
            blocks.append(gzip.compress(b"".join(texts), compresslevel=9, mtime=0))
            texts.clear()

    used = 0
    for name in sorted(data, key=lambda n: n.encode()):  # byte order: the plugin searches it with strcmp
        p = data[name]
        text = json.dumps(p["Document"], separators=(",", ":"), sort_keys=False).encode()
        if used and used + len(text) > BLOCK:
            close_block()
            used = 0
        policies.append([name, p.get("Path", "/"), p.get("DefaultVersionId", "v1"), p.get("CreateDate"),
                         p.get("UpdateDate", p.get("CreateDate")), len(blocks), used, len(text)])
        texts.append(text)
        used += len(text)
    close_block()
    source = {
        "what": "AWS managed IAM policies (AWS's data)",
        "from": "moto %s, moto/iam/aws_managed_policies.py" % importlib.metadata.version("moto"),
        "sha256": digest,
        "generator": "tools/iam/gen_aws_managed_policies.py",
        "count": len(policies),
    }
    lines = [json.dumps(source, separators=(",", ":")), " ".join(str(len(b)) for b in blocks)]
    for row in policies:
        if any("\t" in str(v) or "\n" in str(v) for v in row):
            raise SystemExit("a tab or newline in %r: the index cannot hold it" % row[0])
        lines.append("\t".join(str(v) for v in row))
    # mtime 0: the same input gives the same bytes
    head = gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=9, mtime=0)
    with open(args.out, "wb") as f:
        f.write(head)
        for b in blocks:
            f.write(b)
    print("%s: %d policies from %s (%d blocks, index %d bytes compressed, %d bytes in all)" %
          (args.out, len(policies), path, len(blocks), len(head), os.path.getsize(args.out)))

if __name__ == "__main__":
    main()
