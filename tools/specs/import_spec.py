#!/usr/bin/env python3
"""Copy a service spec into specs/<service>/<api-version>/.

The runtime copy (service-2.json) has its documentation moved to docs-2.json
beside it: the server never reads documentation, and without it the specs load
in half the time. source.json records where the spec came from and its version.

usage: import_spec.py SERVICE [--from DIR] [--specs DIR]
       import_spec.py --all [--from DIR] [--specs DIR]
  DIR: a botocore data folder (default: the newest botocore installed: the python3 on PATH's,
  else Debian's python3-botocore), an npm
  aws-sdk (v2) package's apis/ folder, or a folder holding service-2.json[.gz].

An aws-sdk <service>-<date>.min.json is converted into botocore's service-2.json form:
its inline shapes are hoisted into named shapes (deterministic names), the defaults the
minifier omits are restored (a shape without "type" is a string, an operation without
http is POST /). What the minifier dropped (documentation, enums, min/max/pattern,
declared errors) cannot be restored and is listed in source.json under "lost".

--all writes the catalogue: every service of a botocore data folder (its newest api version),
documentation removed, gzip'd, as specs/botocore/<svc>/<ver>/service-2.json.gz, with
specs/botocore/source.json naming the botocore version and each source file's sha256. The
server routes requests for these services and answers 501 for those without a plugin.
Either way specs/index.tsv is written again (tools/specs/spec_index.py).
"""
import argparse, glob, gzip, hashlib, json, os, re, shutil, subprocess, sys

DEBIAN = "/usr/lib/python3/dist-packages/botocore/data"
CATALOG = "botocore"  # specs/botocore/: every service of the botocore imported with --all
MIN_JSON = re.compile(r"^(?P<svc>.+)-(?P<date>\d{4}-\d\d-\d\d)\.min\.json$")


def die(msg):
    sys.exit("import_spec: " + msg)


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


# ------------------------------------------------------------------ finding the spec

def find_spec(service, src):
    """(path, layout): layout is 'botocore' (DIR/<svc>/<ver>/service-2.json*), 'npm'
    (DIR/<svc>-<date>.min.json) or 'folder' (DIR/service-2.json*)."""
    if not os.path.isdir(src):
        die(f"{src}: not a folder")
    found = sorted(glob.glob(os.path.join(src, service, "*", "service-2.json*")))
    if found:  # newest api version; service-2.json before service-2.json.gz when both
        newest = os.path.dirname(found[-1])
        return sorted(glob.glob(os.path.join(newest, "service-2.json*")))[0], "botocore"
    npm = sorted((m.group("date"), name) for name in os.listdir(src)
                 for m in [MIN_JSON.match(name)] if m and m.group("svc") == service)
    if npm:
        return os.path.join(src, npm[-1][1]), "npm"
    found = sorted(glob.glob(os.path.join(src, "service-2.json*")))
    if found:
        return found[0], "folder"
    near = sorted({m.group("svc") for name in os.listdir(src) for m in [MIN_JSON.match(name)] if m
                   and (service in m.group("svc") or m.group("svc") in service)} |
                  {d for d in os.listdir(src) if (service in d or d in service) and
                   glob.glob(os.path.join(src, d, "*", "service-2.json*"))})
    die(f"no spec for {service} in {src}" + (f" (similar: {', '.join(near)})" if near else ""))


# ------------------------------------------------------------------ where it came from

def installed_botocores():
    """The data folders of the botocores installed: the python3 on PATH's, then Debian's."""
    found = []
    try:
        r = subprocess.run(["python3", "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode == 0 and r.stdout.strip():
            found.append(os.path.join(r.stdout.strip(), "data"))
    except (OSError, subprocess.SubprocessError):
        pass
    found.append(DEBIAN)
    return [d for d in found if os.path.isdir(d)]


def newest_botocore():
    """The data folder of the newest botocore installed: the python3 on PATH's, or Debian's."""
    def key(data):
        v = botocore_version(data) or "0"
        return tuple(int(x) if x.isdigit() else 0 for x in v.split("."))
    found = installed_botocores()
    return max(found, key=key) if found else DEBIAN


def botocore_version(data_dir):
    """The version of the botocore package a data folder belongs to (its __init__.py)."""
    init = os.path.join(os.path.dirname(os.path.abspath(data_dir)), "__init__.py")
    try:
        with open(init) as f:
            m = re.search(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", f.read(), re.M)
        return m.group(1) if m else None
    except OSError:
        return None


def debian_package(path):
    """(package, version) owning path, when dpkg knows it."""
    try:
        r = subprocess.run(["dpkg-query", "-S", os.path.realpath(path)], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            return None
        pkg = r.stdout.split(":", 1)[0].strip()
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, timeout=30)
        return (pkg, v.stdout.strip()) if v.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def source_info(path, layout):
    """What can be known of a spec file's origin: source (one line), and details."""
    info = {}
    if layout == "npm":
        pkg = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(path))), "package.json")
        try:
            with open(pkg) as f:
                meta = json.load(f)
            info.update(package=meta.get("name"), version=meta.get("version"))
        except (OSError, ValueError):
            pass
        info["source"] = f"npm {info.get('package') or 'aws-sdk'} {info.get('version') or '(unknown version)'}"
        return info
    # botocore layout: <data>/<svc>/<ver>/service-2.json (also for a folder that is one)
    data = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    version = botocore_version(data) if os.path.basename(data) == "data" else None
    if version:
        info.update(package="botocore", version=version)
        deb = debian_package(path)
        if deb:
            info["debian"] = f"{deb[0]} {deb[1]}"
            info["source"] = f"{deb[0]} {version}"
        else:  # pip's: named by package and version, not by this machine's path
            info["source"] = f"botocore {version} (pip)"
            info["from"] = "botocore/data/" + os.path.relpath(os.path.abspath(path), data)
    else:
        info["source"] = f"folder {os.path.dirname(os.path.abspath(path))} (no package version known)"
    return info


def names_of(spec):
    md = spec.get("metadata", {})
    names = {md.get("endpointPrefix"), md.get("signingName")}
    if md.get("serviceId"):
        names.add(md["serviceId"].lower().replace(" ", "-"))
    uid = MIN_JSON.match((md.get("uid") or "") + ".min.json")
    if uid:
        names.add(uid.group("svc"))
    return {n.lower() for n in names if n}


def check_service(service, spec, path, layout):
    """The spec must be the service asked for: its SDK folder/file name (botocore, npm), or
    its endpointPrefix / signingName / serviceId / uid (any layout)."""
    if layout in ("botocore", "npm"):
        return  # found under the SDK's own name for it
    names = names_of(spec)
    parent = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    if service.lower() in names or (re.match(r"^\d{4}-\d\d-\d\d$", os.path.basename(os.path.dirname(path)))
                                    and parent == service):
        return
    md = spec.get("metadata", {})
    die(f"{path} is not a spec of '{service}': its metadata names it "
        f"{', '.join(sorted(names)) or '(nothing)'} (serviceId {md.get('serviceId')!r})")


# ------------------------------------------------------------------ aws-sdk min.json -> service-2.json

# Traits of a member reference (botocore puts them beside "shape"); every other key of an
# inline shape in a min.json belongs to the shape.
REF_KEYS = {"location", "locationName", "queryName", "xmlNamespace", "xmlAttribute", "idempotencyToken", "box",
            "contextParam", "hostLabel", "jsonvalue", "eventpayload", "eventheader", "resultWrapper",
            "deprecated", "deprecatedMessage", "deprecatedSince", "documentation"}
SHAPE_KEYS = {"type", "members", "member", "key", "value", "required", "union", "payload", "exception", "error",
              "fault", "event", "eventstream", "document", "wrapper", "synthetic", "sensitive", "timestampFormat",
              "flattened", "streaming", "requiresLength", "xmlOrder", "sparse", "retryable", "locationName",
              "xmlNamespace", "deprecated", "deprecatedMessage", "deprecatedSince", "documentation", "box",
              "min", "max", "pattern", "enum"}
SCALARS = {"string": "String", "integer": "Integer", "long": "Long", "boolean": "Boolean", "timestamp": "Timestamp",
           "blob": "Blob", "double": "Double", "float": "Float", "bigdecimal": "BigDecimal", "biginteger": "BigInteger",
           "byte": "Byte", "short": "Short"}
AGGREGATES = {"structure", "list", "map"}
SCALAR_TRAITS = {"type", "sensitive", "timestampFormat", "streaming", "requiresLength"}


class Unconvertible(Exception):
    pass


def convert_min_json(spec):
    """Botocore's form of an aws-sdk (v2) min.json: every shape named, every reference
    {"shape": name, <ref traits>}. Names are deterministic: an operation's input/output is
    <Op>Request/<Op>Response, a structure member's shape is named after the member (prefixed
    with its parent's name when taken), a list's member <List>Member, a map's <Map>Key/<Map>Value;
    trait-less scalars share String, Integer, ...; identical trait-carrying scalars share one."""
    named = spec.get("shapes", {})
    ops = spec.get("operations", {})
    shapes, taken, renamed, scalars = {}, set(SCALARS.values()), {}, {}
    for op in ops:
        taken.update((op + "Request", op + "Response"))

    def unique(base):
        base = re.sub(r"[^A-Za-z0-9_]", "", base) or "Shape"
        base = base[0].upper() + base[1:]
        name, i = base, 2
        while name in taken:
            name, i = f"{base}{i}", i + 1
        taken.add(name)
        return name

    def build(node, name, where):
        """Add shape `name` from a shape body whose references are still min.json's."""
        t = node.get("type", "string")
        if t not in AGGREGATES and t not in SCALARS:
            raise Unconvertible(f"{where}: unknown type {t!r}")
        unknown = set(node) - SHAPE_KEYS
        if unknown:
            raise Unconvertible(f"{where}: unknown trait(s) {', '.join(sorted(unknown))}")
        shape = {"type": t}
        shapes[name] = shape  # placed before its members: a recursive shape refers to itself
        for k, v in node.items():
            if k == "members":
                if not isinstance(v, dict):
                    raise Unconvertible(f"{where}: members is not an object")
                shape["members"] = {m: ref(r, (m if m not in taken else name + m), f"{where}.{m}")
                                    for m, r in v.items()}
            elif k in ("member", "key", "value"):
                shape[k] = ref(v, name + k.capitalize(), f"{where}.{k}")
            elif k != "type":
                shape[k] = v
        if t == "structure":
            shape.setdefault("members", {})
        elif t == "list" and "member" not in shape:
            raise Unconvertible(f"{where}: list without member")
        elif t == "map" and not ("key" in shape and "value" in shape):
            raise Unconvertible(f"{where}: map without key or value")
        return name

    def named_shape(sname, context, where):
        if sname in renamed:
            return renamed[sname]
        if sname not in named:
            raise Unconvertible(f"{where}: refers to shape {sname!r}, which the file does not define")
        node = named[sname]
        if not isinstance(node, dict):
            raise Unconvertible(f"{where}: shape {sname!r} is not an object")
        if node.get("type", "string") in SCALARS and not set(node) - SCALAR_TRAITS:
            renamed[sname] = scalar_shape(node, context, where)
            return renamed[sname]
        renamed[sname] = unique(context)
        return build(node, renamed[sname], f"shape {sname}")

    def scalar_shape(body, context, where):
        body = {"type": "string", **body}
        key = json.dumps(body, sort_keys=True)
        if key not in scalars:
            scalars[key] = build(body, SCALARS[body["type"]] if set(body) == {"type"} else unique(context), where)
        return scalars[key]

    def ref(node, context, where):
        if not isinstance(node, dict):
            raise Unconvertible(f"{where}: a reference is not an object")
        out = {k: v for k, v in node.items() if k in REF_KEYS}
        body = {k: v for k, v in node.items() if k not in REF_KEYS}
        if "shape" in body:
            target = body.pop("shape")
            out.update(body)  # traits min.json put beside a named reference stay on it
            out = {"shape": named_shape(target, context, where), **out}
            return out
        if body.get("type", "string") in SCALARS and not set(body) - SCALAR_TRAITS:
            return {"shape": scalar_shape(body, context, where), **out}
        return {"shape": build(body, unique(context), where), **out}

    new_ops = {}
    for name in sorted(ops):
        op = ops[name]
        if not isinstance(op, dict):
            raise Unconvertible(f"operation {name}: not an object")
        new = {"name": name}
        http = dict(op.get("http") or {})
        http.setdefault("method", "POST")  # the aws-sdk's defaults for an omitted method / path
        http.setdefault("requestUri", "/")
        new["http"] = http
        for k, v in op.items():
            if k in ("input", "output"):
                taken.discard(name + ("Request" if k == "input" else "Response"))
                new[k] = ref(v, name + ("Request" if k == "input" else "Response"), f"operation {name} {k}")
            elif k not in ("http", "name"):
                new[k] = v
        new_ops[name] = new
    out = {"version": spec.get("version", "2.0"), "metadata": spec.get("metadata", {}), "operations": new_ops,
           "shapes": dict(sorted(shapes.items()))}
    for k, v in spec.items():
        if k not in out and k not in ("examples",):
            out[k] = v
    return out


def check_spec(spec, path):
    """Refuse what the server cannot load: dangling references, shapes without a type."""
    shapes = spec.get("shapes")
    if not isinstance(spec.get("operations"), dict) or not spec["operations"] or not isinstance(shapes, dict):
        die(f"{path}: no operations or no shapes")

    def check_ref(r, where):
        if not isinstance(r, dict) or r.get("shape") not in shapes:
            die(f"{path}: {where} refers to an undefined shape ({r!r:.80})")

    for name, op in spec["operations"].items():
        for k in ("input", "output"):
            if k in op:
                check_ref(op[k], f"operation {name} {k}")
    for name, shape in shapes.items():
        if not isinstance(shape, dict) or "type" not in shape:
            die(f"{path}: shape {name} has no type")
        for m, r in (shape.get("members") or {}).items():
            check_ref(r, f"{name}.{m}")
        for k in ("member", "key", "value"):
            if k in shape:
                check_ref(shape[k], f"{name}.{k}")


def read_spec(path):
    """(spec, raw bytes) of a service-2.json[.gz]."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    try:
        return json.loads(raw), raw
    except ValueError as e:
        die(f"{path}: not JSON ({e})")


def import_one(service, src, specs):
    path, layout = find_spec(service, src)
    spec, raw = read_spec(path)
    check_service(service, spec, path, layout)
    info = {"from": os.path.abspath(path)}
    info.update(source_info(path, layout))
    info["sha256"] = hashlib.sha256(raw).hexdigest()
    if layout == "npm":
        try:
            spec = convert_min_json(spec)
        except Unconvertible as e:
            die(f"{path}: cannot convert this aws-sdk spec ({e}); nothing written")
        info["converted"] = "aws-sdk min.json -> botocore service-2.json (tools/specs/import_spec.py)"
        info["lost"] = "documentation, enums, min/max/pattern, declared errors (the minifier drops them)"
    check_spec(spec, path)
    version = spec.get("metadata", {}).get("apiVersion")
    if not version:
        die(f"{path}: metadata has no apiVersion")
    docs = {}
    strip_docs(spec, "", docs)
    out = os.path.join(specs, service, version)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "service-2.json"), "w") as f:
        json.dump(spec, f, separators=(",", ":"), sort_keys=False)
    with open(os.path.join(out, "docs-2.json"), "w") as f:
        json.dump(docs, f, separators=(",", ":"))
    with open(os.path.join(out, "source.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(f"{service} {version}: {len(spec.get('operations', {}))} operations from {info['source']} -> {out}")


def import_all(src, specs):
    """Every service of a botocore data folder, newest api version each, into specs/botocore/."""
    services = sorted(d for d in os.listdir(src) if glob.glob(os.path.join(src, d, "*", "service-2.json*")))
    if not services:
        die(f"{src}: not a botocore data folder (no <service>/<version>/service-2.json[.gz])")
    root = os.path.join(specs, CATALOG)
    shutil.rmtree(root, ignore_errors=True)  # a service botocore dropped goes too
    files, total = {}, 0
    for service in services:
        path, _ = find_spec(service, src)
        spec, raw = read_spec(path)
        check_spec(spec, path)
        strip_docs(spec, "", {})
        version = os.path.basename(os.path.dirname(path))
        rel = f"{service}/{version}/service-2.json.gz"
        os.makedirs(os.path.join(root, service, version))
        data = gzip.compress(json.dumps(spec, separators=(",", ":")).encode(), 9, mtime=0)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
        total += len(data)
        files[rel] = hashlib.sha256(raw).hexdigest()
    info = {"from": os.path.abspath(src)}
    info.update(source_info(os.path.join(src, services[0], "x", "service-2.json"), "botocore"))
    if info.get("debian") is None and info.get("package") == "botocore":
        info["from"] = "botocore/data"  # pip's: not this machine's path
    info["note"] = ("documentation removed, gzip'd (tools/specs/import_spec.py --all); sha256 is that of "
                    "the source file named by the key under 'from'")
    info["files"] = files
    with open(os.path.join(root, "source.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(f"{len(services)} services from {info['source']} -> {root} ({total / 1e6:.1f} MB gzip'd)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("service", nargs="?")
    ap.add_argument("--all", action="store_true", help="every service of the botocore, into specs/botocore/")
    ap.add_argument("--from", dest="src", default=None)
    ap.add_argument("--specs", default=os.path.join(os.path.dirname(__file__), "..", "..", "specs"))
    a = ap.parse_args()
    if bool(a.all) == bool(a.service):
        die("give a SERVICE or --all")
    src = a.src or newest_botocore()
    if a.all:
        import_all(src, a.specs)
    else:
        import_one(a.service, src, a.specs)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import spec_index
    spec_index.main_for(a.specs)


if __name__ == "__main__":
    main()
