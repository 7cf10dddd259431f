#!/usr/bin/env python3
"""Writes specs/<service>/<api-version>/overlay.json for a spec that has lost its query protocol.

Newer botocores ship some services (SQS from 1.34 on) as awsJson only, with `awsQueryCompatible`:
the traits the query protocol reads are gone from the spec: each output's `resultWrapper`, the
members' `locationName`s (`Attribute`, `MessageAttribute`, `BatchResultErrorEntry`), the
`flattened` lists and maps, the error shapes' `error` trait with the query codes
(`AWS.SimpleQueueService.NonExistentQueue`), the metadata's `xmlNamespace`. Nimbus serves both
protocols from one spec, so this tool carries exactly those traits over from an older spec of the
same API that still speaks query (Debian's botocore 1.29 for SQS) into a JSON merge patch (RFC
7386) applied at load, and regenerates the index:

    tools/specs/query_overlay.py sqs [--old DIR] [--new DIR]

--old and --new are botocore data folders (defaults: Debian's, and the newest installed). The spec
itself comes from --new (import it first with import_spec.py). What the older spec cannot give
(operations and shapes it does not have) is written by hand in `overlay-own.json` beside the spec
and merged over the generated part; the tool lists what it had to leave to that file.
"""
import argparse
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import import_spec  # noqa: E402  (find_spec, read_spec, newest_botocore)
import spec_index  # noqa: E402

DEBIAN_DATA = "/usr/lib/python3/dist-packages/botocore/data"
OWN_FILE = "overlay-own.json"

# Traits the query protocol (and its XML answers) reads on a shape reference or a member.
REF_TRAITS = ("locationName", "flattened", "xmlAttribute", "xmlNamespace", "resultWrapper")
# ... and on a shape itself.
SHAPE_TRAITS = ("locationName", "flattened", "xmlNamespace", "xmlOrder", "error")
METADATA_TRAITS = ("xmlNamespace",)


def carried(old, new, traits):
    """The traits old has and new lacks (new's own value wins where both have one)."""
    return {t: copy.deepcopy(old[t]) for t in traits if t in old and t not in new}


def query_result_wrapper(op_name):
    """AWS's query convention: <Operation>Result wraps an answer (every 1.29 SQS operation has it)."""
    return op_name + "Result"


def ops_patch(old, new, missing):
    patch = {}
    for name, op in sorted(new.get("operations", {}).items()):
        old_op = old.get("operations", {}).get(name)
        entry = {}
        for ref in ("input", "output"):
            if ref not in op:
                continue
            if old_op is not None and ref in old_op:
                traits = carried(old_op[ref], op[ref], REF_TRAITS)
            elif ref == "output" and "resultWrapper" not in op[ref]:
                traits = {"resultWrapper": query_result_wrapper(name)}
                missing.append(f"operation {name}: not in the old spec, resultWrapper {traits['resultWrapper']} "
                               "by convention")
            else:
                traits = {}
            if traits:
                entry[ref] = traits
        if entry:
            patch[name] = entry
    return patch


def shape_patch(name, old, new, missing):
    entry = carried(old, new, SHAPE_TRAITS)
    for ref in ("member", "key", "value"):
        if ref in new and ref in old:
            traits = carried(old[ref], new[ref], REF_TRAITS)
            if traits:
                entry[ref] = traits
    members = {}
    for mname, member in new.get("members", {}).items():
        old_member = old.get("members", {}).get(mname)
        if old_member is None:
            missing.append(f"member {name}.{mname}: not in the old spec")
            continue
        traits = carried(old_member, member, REF_TRAITS)
        if traits:
            members[mname] = traits
    if members:
        entry["members"] = members
    return entry


def shapes_patch(old, new, missing):
    patch = {}
    old_shapes = old.get("shapes", {})
    for name, shape in sorted(new.get("shapes", {}).items()):
        if name not in old_shapes:
            missing.append(f"shape {name}: not in the old spec")
            continue
        entry = shape_patch(name, old_shapes[name], shape, missing)
        if entry:
            patch[name] = entry
    return patch


def metadata_patch(old, new):
    om, nm = old.get("metadata", {}), new.get("metadata", {})
    patch = carried(om, nm, METADATA_TRAITS)
    protocols = list(nm.get("protocols") or [nm.get("protocol")])
    old_protocol = om.get("protocol")
    if old_protocol and old_protocol not in protocols:
        # the old protocol first: a request that names neither (no X-Amz-Target, no Action) is
        # answered in it, as when the old spec was the one shipped
        patch["protocols"] = [old_protocol] + protocols
        patch["protocol"] = old_protocol
    return patch


def generate(old, new):
    """(merge patch, what the old spec could not give)."""
    missing = []
    patch = {"metadata": metadata_patch(old, new)}
    ops = ops_patch(old, new, missing)
    if ops:
        patch["operations"] = ops
    shapes = shapes_patch(old, new, missing)
    if shapes:
        patch["shapes"] = shapes
    return patch, missing


def merge(target, patch):
    """RFC 7386 merge of patch into target (in place), as the server applies an overlay."""
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, dict) and isinstance(target.get(k), dict):
            merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)
    return target


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("service")
    ap.add_argument("--old", default=DEBIAN_DATA, help="botocore data folder whose spec still speaks query")
    ap.add_argument("--new", default=None, help="botocore data folder the shipped spec comes from")
    ap.add_argument("--specs", default=os.path.join(os.path.dirname(__file__), "..", "..", "specs"))
    ap.add_argument("--quiet", action="store_true", help="do not list what the old spec could not give")
    a = ap.parse_args()
    old_path, _ = import_spec.find_spec(a.service, a.old)
    new_path, _ = import_spec.find_spec(a.service, a.new or import_spec.newest_botocore())
    old, _ = import_spec.read_spec(old_path)
    new, _ = import_spec.read_spec(new_path)
    version = new["metadata"]["apiVersion"]
    if old["metadata"].get("apiVersion") != version:
        import_spec.die(f"{old_path} is API {old['metadata'].get('apiVersion')}, {new_path} is {version}")
    out = os.path.join(a.specs, a.service, version)
    shipped = os.path.join(out, "service-2.json")
    if not os.path.exists(shipped):
        import_spec.die(f"{shipped}: import the spec first (tools/specs/import_spec.py {a.service})")
    patch, missing = generate(old, new)
    own_path = os.path.join(out, OWN_FILE)
    if os.path.exists(own_path):
        with open(own_path) as f:
            merge(patch, json.load(f))
    with open(os.path.join(out, "overlay.json"), "w") as f:
        json.dump(patch, f, indent=1, sort_keys=True)
        f.write("\n")
    if not a.quiet:
        for line in missing:
            print(f"  left to {OWN_FILE}: {line}")
    print(f"{a.service} {version}: query traits of {old_path} over {new_path} -> {out}/overlay.json"
          f" ({len(patch.get('operations', {}))} operations, {len(patch.get('shapes', {}))} shapes)")
    spec_index.main_for(a.specs)


if __name__ == "__main__":
    main()
