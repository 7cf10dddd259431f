"""Issue 5: nimbus-scaffold and its spec import.

- The sweep (tools/scaffold/sweep.py; without --sample it runs every service): a sample of 30
  services, Debian's botocore 1.29 plus the smithy-rpc-v2-cbor spec of tests/data/specs, covering
  every protocol, scaffolds, compiles with -Wall -Wextra -Werror, loads, and answers every
  operation with 501 in its protocol; the CBOR answer is CBOR.
- import-spec from Debian's botocore, npm's aws-sdk apis/ (min.json, converted into botocore's
  form) and a folder: the right file, the right recorded version, the right service.
- generate: regenerating from the plugin's carried spec, an edited carried spec kept, enum-typed
  members named in the header.
"""
import glob, json, os, re, shutil, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, Nimbus  # noqa: E402
from npm_ci import npm_ci  # noqa: E402

SOURCE_DIR = os.environ.get("NB_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
SWEEP = os.path.join(SOURCE_DIR, "tools", "scaffold", "sweep.py")
SCAFFOLD = os.path.join(SOURCE_DIR, "tools", "scaffold", "nimbus-scaffold")
IMPORT = os.path.join(SOURCE_DIR, "tools", "specs", "import_spec.py")
TEST_SPECS = os.path.join(SOURCE_DIR, "tests", "data", "specs")
DEBIAN = "/usr/lib/python3/dist-packages/botocore/data"
PY = "/usr/bin/python3"
PROTOCOLS = ("ec2", "json", "query", "rest-json", "rest-xml", "smithy-rpc-v2-cbor")


def run(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


class ScaffoldSweep(unittest.TestCase):
    def test_sample_of_30_services_every_protocol(self):
        r = run(PY, SWEEP, "--spec-dir", TEST_SPECS, "--sample", "30", timeout=900)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for proto in PROTOCOLS:
            self.assertRegex(r.stdout, rf"(?m)^{proto}: \d+ services, [1-9]\d* operations answered 501$")
        total = re.search(r"scaffold sweep: (\d+) services, (\d+) operations answered 501, 0 failures", r.stdout)
        self.assertIsNotNone(total, r.stdout)
        self.assertGreaterEqual(int(total.group(1)), 30)

    def test_cbor_501_is_cbor(self):
        sys.path.insert(0, os.path.dirname(SWEEP))
        import sweep
        sweep.all_services([TEST_SPECS])
        spec = sweep.load_spec(sweep.SPECS["arc-region-switch"])
        self.assertEqual(spec["metadata"]["protocol"], "smithy-rpc-v2-cbor")
        with tempfile.TemporaryDirectory() as work:
            plugins = os.path.join(work, "plugins")
            os.makedirs(plugins)
            self.assertIsNone(sweep.build_plugin("arc-region-switch", work, plugins,
                                                 [os.path.join(SOURCE_DIR, "include"),
                                                  os.path.join(BINARY_DIR, "include")]))
            with Nimbus(NIMBUS_PLUGIN_PATH=plugins) as n:
                status, headers, body = sweep.cbor_call(n.url, spec, "ListPlans", {})
                status2, headers2, body2 = sweep.cbor_call(n.url, spec, "GetPlan", {"arn": "arn:aws:x"})
        for st, hd, bd in ((status, headers, body), (status2, headers2, body2)):
            self.assertEqual(st, 501)
            self.assertEqual(hd.get("content-type"), "application/cbor")
            self.assertEqual(hd.get("smithy-protocol"), "rpc-v2-cbor")
            self.assertNotEqual(bd[:1], b"{", "a JSON body, not CBOR")
            doc = sweep.cbor_decode(bd)
            self.assertIsInstance(doc, dict)
            self.assertEqual(doc["__type"].rsplit("#", 1)[-1], "InternalFailure")
        # the decoder reads what a CBOR encoder writes, indefinite lengths included
        self.assertEqual(sweep.cbor_decode(sweep.cbor_encode({"a": [1, -2, 1.5, b"x", None, True]})),
                         {"a": [1, -2, 1.5, b"x", None, True]})
        self.assertEqual(sweep.cbor_decode(bytes.fromhex("bf61619f0102ffff")), {"a": [1, 2]})


def header_members(api_h):
    """{operation: (input members, output members)} from a generated <svc>_api.h, each member
    (name, type with shape names reduced to S, required, location)."""
    with open(api_h) as f:
        text = f.read()
    out = {}
    for m in re.finditer(r"/\*\n \* (\w+) \([^\n]*\n(.*?) \*/\nnb_result_t \w+\(", text, re.S):
        op, body = m.group(1), m.group(2)
        sides, side = {"input": None, "output": None}, None
        for line in body.splitlines():
            head = re.match(r" \* (input|output)(?: \w+)?:( \(none\))?$", line)
            if head:
                side = head.group(1)
                sides[side] = None if head.group(2) else set()
                continue
            row = re.match(r" \*   (\w+)\s+(.+?)(  required)?( \[[^\]]+\])?$", line)
            if row and side and sides[side] is not None:
                t = re.sub(r" \(enum \w+: \w+\*\)", "", row.group(2))  # an enum-typed string
                t = re.sub(r"\b[A-Z]\w*", "S", t)  # structure names differ between sources
                sides[side].add((row.group(1), t, bool(row.group(3)), row.group(4) or ""))
            elif line.startswith(" * errors:"):
                side = None
        out[op] = (sides["input"], sides["output"])
    return out


class ImportSpec(unittest.TestCase):
    apis = None

    @classmethod
    def npm_apis(cls):
        """aws-sdk's apis/ folder, installed from tests/e2e/js-aws-sdk's lock (gitignored node_modules)."""
        if cls.apis is None:
            folder = os.path.join(HERE, "js-aws-sdk")
            apis = os.path.join(folder, "node_modules", "aws-sdk", "apis")
            npm_ci(folder)
            cls.apis = apis
        return cls.apis

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nb-import-")
        self.specs = os.path.join(self.tmp, "specs")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def do_import(self, service, src=None, specs=None):
        cmd = [PY, SCAFFOLD, "import-spec", service, "--specs", specs or self.specs]
        return run(*(cmd + (["--from", src] if src else [])))

    def source(self, service):
        found = glob.glob(os.path.join(self.specs, service, "*", "source.json"))
        self.assertEqual(len(found), 1, found)
        with open(found[0]) as f:
            return json.load(f)

    def generate(self, service, spec, out):
        r = run(PY, SCAFFOLD, "generate", service, "--spec", spec, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return os.path.join(out, service, service.replace("-", "_") + "_api.h")

    # -- which file

    def test_npm_file_is_the_service_exactly_and_newest(self):
        apis = os.path.join(self.tmp, "apis")
        os.makedirs(apis)
        with open(os.path.join(DEBIAN, "acm", "2015-12-08", "service-2.json")) as f:
            acm = json.load(f)
        mini = {"version": "2.0", "metadata": acm["metadata"], "operations": {"ListCertificates": {"input": {
            "type": "structure", "members": {"MaxItems": {"type": "integer"}}}}}, "shapes": {}}
        for name in ("acm-pca-2017-08-22.min.json", "acm-2015-12-08.min.json", "acm-2010-01-01.min.json",
                     "acmx-2020-01-01.min.json", "acm-2015-12-08.paginators.json"):
            with open(os.path.join(apis, name), "w") as f:
                json.dump(mini, f)
        r = self.do_import("acm", apis)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.path.basename(self.source("acm")["from"]), "acm-2015-12-08.min.json")

    def test_npm_acm_picks_acm_not_acm_pca_and_answers_501(self):
        r = self.do_import("acm", self.npm_apis())
        self.assertEqual(r.returncode, 0, r.stderr)
        src = self.source("acm")
        self.assertEqual(os.path.basename(src["from"]), "acm-2015-12-08.min.json")
        with open(os.path.join(self.npm_apis(), "..", "package.json")) as f:
            self.assertEqual(src["source"], "npm aws-sdk " + json.load(f)["version"])
        # the converted spec scaffolds, compiles, loads and answers every operation 501
        # (a min.json copied verbatim crashed the server)
        r = run(PY, SWEEP, "--spec-dir", self.specs, "--services", "acm", timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"scaffold sweep: 1 services, [1-9]\d* operations answered 501, 0 failures")

    def test_npm_sqs_scaffolds_like_debian_sqs(self):
        r = self.do_import("sqs", self.npm_apis())
        self.assertEqual(r.returncode, 0, r.stderr)
        npm_spec = glob.glob(os.path.join(self.specs, "sqs", "*", "service-2.json"))[0]
        with open(npm_spec) as f:
            spec = json.load(f)
        for name, shape in spec["shapes"].items():  # botocore's form: named shapes, typed
            self.assertIn("type", shape, name)
            for m, ref in shape.get("members", {}).items():
                self.assertIn(ref.get("shape"), spec["shapes"], f"{name}.{m}")
        npm_h = header_members(self.generate("sqs", npm_spec, os.path.join(self.tmp, "npm")))
        deb_h = header_members(self.generate("sqs", os.path.join(DEBIAN, "sqs", "2012-11-05", "service-2.json"),
                                             os.path.join(self.tmp, "deb")))
        self.assertEqual(len(deb_h), 20)
        self.assertEqual(sorted(npm_h), sorted(deb_h))
        for op in deb_h:
            self.assertEqual(npm_h[op], deb_h[op], op)
        self.assertIsNotNone(npm_h["SendMessage"][0])
        self.assertIn(("MessageBody", "string", True, ""), npm_h["SendMessage"][0])
        # deterministic: importing again writes the same file
        with open(npm_spec) as f:
            first = f.read()
        self.assertEqual(self.do_import("sqs", self.npm_apis()).returncode, 0)
        with open(npm_spec) as f:
            self.assertEqual(f.read(), first)

    def test_min_json_conversion(self):
        apis = os.path.join(self.tmp, "apis")
        os.makedirs(apis)
        mini = {"version": "2.0", "metadata": {"apiVersion": "2020-01-01", "endpointPrefix": "demo",
                                               "protocol": "json", "serviceId": "Demo", "targetPrefix": "Demo"},
                "operations": {
                    "PutThing": {"input": {"type": "structure", "required": ["Name"], "members": {
                        "Name": {}, "Tags": {"shape": "S2"}, "When": {"type": "timestamp"},
                        "Items": {"type": "list", "member": {"type": "structure", "members": {"Id": {}}}}}},
                        "output": {"type": "structure", "members": {"Tags": {"shape": "S2"}}}},
                    "Ping": {"http": {"requestUri": "/ping"}}},
                "shapes": {"S2": {"type": "map", "key": {}, "value": {"locationName": "v"}}}}
        with open(os.path.join(apis, "demo-2020-01-01.min.json"), "w") as f:
            json.dump(mini, f)
        r = self.do_import("demo", apis)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.specs, "demo", "2020-01-01", "service-2.json")) as f:
            spec = json.load(f)
        ops, shapes = spec["operations"], spec["shapes"]
        self.assertEqual(ops["PutThing"]["input"], {"shape": "PutThingRequest"})
        self.assertEqual(ops["PutThing"]["http"], {"method": "POST", "requestUri": "/"})
        self.assertEqual(ops["Ping"]["http"], {"requestUri": "/ping", "method": "POST"})
        self.assertNotIn("input", ops["Ping"])
        req = shapes["PutThingRequest"]
        self.assertEqual(req["required"], ["Name"])
        self.assertEqual(shapes[req["members"]["Name"]["shape"]], {"type": "string"})
        self.assertEqual(shapes[req["members"]["When"]["shape"]], {"type": "timestamp"})
        tags = req["members"]["Tags"]["shape"]
        self.assertEqual(shapes[tags]["type"], "map")
        self.assertEqual(shapes["PutThingResponse"]["members"]["Tags"]["shape"], tags)  # shared, one shape
        self.assertEqual(shapes[tags]["value"]["locationName"], "v")  # ref trait stays on the ref
        items = shapes[req["members"]["Items"]["shape"]]
        self.assertEqual(items["type"], "list")
        self.assertEqual(shapes[items["member"]["shape"]]["members"]["Id"], {"shape": "String"})
        self.assertIn("lost", self.source("demo"))

        # a construct it cannot convert is refused, and nothing is written
        mini["operations"]["PutThing"]["input"]["members"]["Odd"] = {"type": "quaternion"}
        mini["metadata"]["apiVersion"] = "2021-01-01"
        with open(os.path.join(apis, "demo-2021-01-01.min.json"), "w") as f:
            json.dump(mini, f)
        r = self.do_import("demo", apis)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot convert", r.stderr)
        self.assertIn("quaternion", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.specs, "demo", "2021-01-01")))
        mini["operations"]["PutThing"]["input"]["members"]["Odd"] = {"shape": "S99"}
        with open(os.path.join(apis, "demo-2021-01-01.min.json"), "w") as f:
            json.dump(mini, f)
        r = self.do_import("demo", apis)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("S99", r.stderr)

    # -- which version

    def test_default_is_the_newest_botocore_installed(self):
        r = self.do_import("sqs")
        self.assertEqual(r.returncode, 0, r.stderr)
        versions = [run("python3", "-c", "import botocore; print(botocore.__version__)").stdout.strip(),
                    run(PY, "-c", "import botocore; print(botocore.__version__)").stdout.strip()]
        newest = max((v for v in versions if v), key=lambda v: tuple(int(x) for x in v.split(".")))
        self.assertEqual(self.source("sqs")["version"], newest)

    def test_debian_version_is_debians(self):
        r = self.do_import("sqs", DEBIAN)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(DEBIAN, "..", "__init__.py")) as f:
            version = re.search(r"__version__ = '([^']+)'", f.read()).group(1)
        src = self.source("sqs")
        self.assertEqual(src["version"], version)
        self.assertEqual(src["source"], "python3-botocore " + version)
        deb = run("dpkg-query", "-W", "-f=${Version}", "python3-botocore").stdout
        self.assertEqual(src["debian"], "python3-botocore " + deb)

    def test_other_botocore_records_its_own_version(self):
        # a botocore that is not the running interpreter's: its version is its __init__.py's
        root = os.path.join(self.tmp, "site", "botocore")
        os.makedirs(os.path.join(root, "data", "sqs"))
        shutil.copytree(os.path.join(DEBIAN, "sqs", "2012-11-05"), os.path.join(root, "data", "sqs", "2012-11-05"))
        with open(os.path.join(root, "__init__.py"), "w") as f:
            f.write("import os\n__version__ = '9.8.7'\n")
        r = self.do_import("sqs", os.path.join(root, "data"))
        self.assertEqual(r.returncode, 0, r.stderr)
        src = self.source("sqs")
        self.assertEqual(src["version"], "9.8.7")
        self.assertTrue(src["source"].startswith("botocore 9.8.7"), src)
        # a version folder of it, given as a plain folder, is known the same way
        shutil.rmtree(self.specs)
        r = self.do_import("sqs", os.path.join(root, "data", "sqs", "2012-11-05"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.source("sqs")["version"], "9.8.7")

    # -- which service

    def test_spec_of_another_service_is_refused(self):
        folder = os.path.join(self.tmp, "spec")
        shutil.copytree(os.path.join(DEBIAN, "pipes", "2015-10-07"), folder)
        r = self.do_import("sqs", folder)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not a spec of 'sqs'", r.stderr)
        self.assertFalse(os.path.exists(self.specs))
        r = self.do_import("sqs", os.path.join(DEBIAN, "pipes", "2015-10-07"))
        self.assertNotEqual(r.returncode, 0)
        r = self.do_import("pipes", folder)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(self.source("pipes")["source"].startswith("folder "))


class Generate(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nb-generate-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def gen(self, *args):
        return run(PY, SCAFFOLD, "generate", "acm", "--out", self.tmp, *args)

    def test_regenerate_from_carried_spec_and_keep_an_edited_one(self):
        self.assertEqual(self.gen().returncode, 0)
        carried = os.path.join(self.tmp, "acm", "acm.service-2.json")
        self.assertTrue(os.path.exists(carried))
        r = self.gen("--spec", carried)  # was shutil.SameFileError
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(carried) as f:
            spec = json.load(f)
        spec["operations"]["HelloWorld"] = {"name": "HelloWorld", "http": {"method": "POST", "requestUri": "/"}}
        with open(carried, "w") as f:
            json.dump(spec, f)
        r = self.gen()  # no --spec: the edited carried spec wins over Debian's, and it says so
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(carried, r.stdout + r.stderr)
        with open(carried) as f:
            self.assertIn("HelloWorld", json.load(f)["operations"])
        with open(os.path.join(self.tmp, "acm", "acm_api.h")) as f:
            self.assertIn("nb_result_t acm_hello_world(nb_req_t *req, const json_t *input);", f.read())

    def test_enum_members_named(self):
        self.assertEqual(self.gen().returncode, 0)
        with open(os.path.join(self.tmp, "acm", "acm_api.h")) as f:
            header = f.read()
        # ListCertificates' CertificateStatuses: list of the CertificateStatus enum
        self.assertRegex(header, r"(?m)^ \*   CertificateStatuses\s+list<string \(enum CertificateStatus: "
                                 r"ACM_CERTIFICATE_STATUS_\*\)>$")
        self.assertIn('#define ACM_CERTIFICATE_STATUS_ISSUED "ISSUED"', header)
        self.assertRegex(header, r"(?m)^ \*   SortBy\s+string \(enum SortBy: ACM_SORT_BY_\*\)$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
