"""End-to-end (issue 12 item 6): the installed plugin SDK is enough to build a plugin out of the
tree, and the version is the one project(VERSION) defines.

- pkg-config's nimbus-plugin lists every flag and library a plugin needs: a plugin that uses the
  store (tests/unit/plugins/tp_kv.c: nimbus/store.h, sqlite3) compiles with the tree's warnings
  and links with -Wl,--no-undefined from `pkg-config --cflags --libs nimbus-plugin` alone, and
  the server loads it and answers through it.
- The version in CMakeLists.txt's project() is what pkg-config, the installed nimbus/version.h,
  `nimbus --version` and the health endpoint report."""
import json, os, re, shutil, subprocess, sys, tempfile, unittest, urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, NIMBUS_BIN, SOURCE_DIR, Nimbus  # noqa: E402
from test_store import Client, KvServer  # noqa: E402

# the warnings the tree builds with (CMakeLists.txt), which an SDK plugin must build clean under
WARNINGS = ["-Wall", "-Wextra", "-Wshadow", "-Wmissing-prototypes", "-Wstrict-prototypes", "-Werror"]


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        return re.search(r"project\(nimbus VERSION ([0-9.]+)", f.read()).group(1)


class SdkHygiene(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.prefix = os.path.join(cls.tmp, "prefix")
        r = subprocess.run(["cmake", "--install", BINARY_DIR, "--prefix", cls.prefix], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        # only the installed SDK: PKG_CONFIG_PATH names the prefix, nothing of the tree is on the path
        cls.env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(cls.prefix, "lib", "pkgconfig"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def pkg_config(self, *args):
        r = subprocess.run(["pkg-config", *args, "nimbus-plugin"], env=self.env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()

    def test_plugin_using_the_store_builds_and_links_from_pkg_config_alone(self):
        plugins = os.path.join(self.tmp, "plugins")
        os.makedirs(plugins, exist_ok=True)
        so = os.path.join(plugins, "tp_kv.so")
        src = os.path.join(SOURCE_DIR, "tests", "unit", "plugins", "tp_kv.c")
        # --no-undefined: a library pkg-config leaves out is a link error here, not a failed dlopen later.
        # -D_GNU_SOURCE is the plugin's own choice (tp_kv.c calls strdup, as the tree builds it): the
        # SDK's headers need no feature macro.
        r = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", *WARNINGS, "-shared", "-fPIC", src, *self.pkg_config("--cflags", "--libs"),
                            "-Wl,--no-undefined", "-o", so], env=self.env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with KvServer(plugins) as n:
            c = Client(n.port)
            try:
                c.create_table("sdk")
                c.put("sdk", "k", "built out of tree")
                self.assertEqual(c.scan("sdk"), {"k": "built out of tree"})
            finally:
                c.close()

    def test_version_is_project_version_everywhere(self):
        version = project_version()
        self.assertEqual(self.pkg_config("--modversion"), [version])
        with open(os.path.join(self.prefix, "include", "nimbus", "version.h")) as f:
            header = f.read()
        self.assertIn(f'#define NB_VERSION_STRING "{version}"', header)
        major, minor, patch = version.split(".")
        self.assertIn(f"#define NB_VERSION_MAJOR {major}\n", header)
        self.assertIn(f"#define NB_VERSION_MINOR {minor}\n", header)
        self.assertIn(f"#define NB_VERSION_PATCH {patch}\n", header)
        r = subprocess.run([NIMBUS_BIN, "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), f"nimbus {version}")
        with Nimbus() as n:
            with urllib.request.urlopen(n.url + "/_localstack/health") as resp:
                self.assertEqual(json.load(resp)["version"], version)

    def test_no_source_file_repeats_the_version(self):
        version = project_version()
        repeats = []
        for top in ("core", "include", "plugins", "tools", "cmake", "docs", "README.md"):
            path = os.path.join(SOURCE_DIR, top)
            files = [path] if os.path.isfile(path) else [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]
            for p in files:
                try:
                    with open(p, errors="replace") as f:
                        if re.search(r"\b" + re.escape(version) + r"\b", f.read()):
                            repeats.append(os.path.relpath(p, SOURCE_DIR))
                except OSError:
                    pass
        self.assertEqual(repeats, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
