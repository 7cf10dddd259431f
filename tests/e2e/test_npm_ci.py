"""The JavaScript tests' dependencies: locked, installable on Debian 12's Node 18, and a failed
install stops the test at once with npm's own message (not an empty reason after minutes)."""
import glob, json, os, re, shutil, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(__file__))
from npm_ci import npm_ci  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDERS = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(HERE, "js*", "package.json")))
DEBIAN_12_NODE = (18, 19, 0)


def node_range_allows(spec, version):
    """Whether an engines.node range of the forms the locks use (">=X[.Y[.Z]]", "*") allows version."""
    spec = spec.strip()
    if spec in ("*", ""):
        return True
    m = re.fullmatch(r">=\s*(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?", spec)
    if m is None:
        raise AssertionError("engines.node range this test cannot read: %r" % spec)
    want = tuple(int(g) if g and g != "x" else 0 for g in m.groups())
    return version >= want


class NpmCi(unittest.TestCase):
    def test_every_folder_is_locked_for_node_18(self):
        self.assertEqual([os.path.basename(f) for f in FOLDERS], ["js", "js-aws-sdk", "js-dynamodb", "js-iam", "js-kms", "js-s3", "js-secretsmanager", "js-sns",
                                                                  "js-ssm"])
        for folder in FOLDERS:
            with open(os.path.join(folder, "package-lock.json")) as f:
                lock = json.load(f)
            with open(os.path.join(folder, "package.json")) as f:
                deps = json.load(f)["dependencies"]
            self.assertEqual(lock["packages"][""]["dependencies"], deps, folder + ": lock out of date")
            too_new = {name: p["engines"]["node"] for name, p in lock["packages"].items()
                       if isinstance(p.get("engines"), dict) and "node" in p["engines"]
                       and not node_range_allows(p["engines"]["node"], DEBIAN_12_NODE)}
            self.assertEqual(too_new, {}, folder + ": packages that need a newer Node than Debian 12's")

    def test_unreachable_registry_fails_in_seconds_with_npms_message(self):
        tmp = tempfile.mkdtemp(prefix="nb-npm-ci-")
        try:
            folder = os.path.join(tmp, "js")
            os.mkdir(folder)
            for name in ("package.json", "package-lock.json"):
                shutil.copy(os.path.join(HERE, "js", name), folder)
            # an empty cache, so that nothing is found without the registry; port 9 refuses
            env = dict(os.environ, npm_config_registry="http://127.0.0.1:9/",
                       npm_config_cache=os.path.join(tmp, "cache"))
            start = time.monotonic()
            with self.assertRaises(AssertionError) as cm:
                npm_ci(folder, stamp_dir=os.path.join(tmp, "stamps"), env=env, timeout=120)
            elapsed = time.monotonic() - start
            msg = str(cm.exception)
            self.assertIn("npm ci in " + folder + " failed", msg)
            self.assertIn("ECONNREFUSED", msg)  # npm's own words, not an empty reason
            self.assertLess(elapsed, 30, msg)
            self.assertFalse(os.path.exists(os.path.join(tmp, "stamps", "js.sha256")))
            print("npm ci against an unreachable registry failed after %.1f s" % elapsed, file=sys.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
