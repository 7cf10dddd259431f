"""Distribution (issue 21, item 6): `cmake --install` lays out the binary, plugins, specs and the
plugin SDK under a prefix, and the installed binary finds its plugins and specs relative to
itself; CPack's .deb holds the same under /usr, declares its library packages, and runs once
unpacked (dpkg -x: the merger's fresh-Debian check does the dpkg -i)."""
import os, re, shutil, subprocess, sys, unittest
import botocore.exceptions

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, NIMBUS_BIN, boto3_client, free_port, server_env, temp_dir  # noqa: E402

SIZE_BUDGET = 5 * 1000 * 1000  # binary + plugins, specs aside (issue 21)


def sanitized():
    with open(NIMBUS_BIN, "rb") as f:
        return b"__asan_init" in f.read()


class InstalledServer:
    """The server at prefix/bin/nimbus, started with nothing pointing it at the build tree."""

    def __init__(self, prefix, tmp):
        self.bin = os.path.join(prefix, "bin", "nimbus")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.env = server_env(drop=("NIMBUS_PLUGIN_PATH", "NIMBUS_SPEC_PATH"), GATEWAY_LISTEN="127.0.0.1:%d" % self.port,
                              DATA_DIR=os.path.join(tmp, "data"))

    def __enter__(self):
        r = subprocess.run([self.bin, "start", "-d"], env=self.env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        self.output = r.stdout + r.stderr
        return self

    def __exit__(self, *exc):
        subprocess.run([self.bin, "stop"], env=self.env, capture_output=True, timeout=60)


def use_s3_and_sqs(test, url):
    s3, sqs = boto3_client(url, "s3"), boto3_client(url, "sqs")
    s3.create_bucket(Bucket="installed")
    s3.put_object(Bucket="installed", Key="k", Body=b"from the installed server")
    test.assertEqual(s3.get_object(Bucket="installed", Key="k")["Body"].read(), b"from the installed server")
    q = sqs.create_queue(QueueName="installed")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="hello")
    msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)["Messages"]
    test.assertEqual([m["Body"] for m in msgs], ["hello"])


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.tmp = temp_dir(self, "nb-install-")

    def test_install_prefix_layout_and_run(self):
        prefix = os.path.join(self.tmp, "prefix")
        r = subprocess.run(["cmake", "--install", BINARY_DIR, "--prefix", prefix, "--strip"], capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        for path in ("bin/nimbus", "bin/nimbus-moto-server", "bin/nimbus-scaffold", "lib/nimbus/plugins/s3.so",
                     "lib/nimbus/plugins/sqs.so", "lib/nimbus/plugins/sts.so", "share/nimbus/specs/s3",
                     "share/nimbus/specs/sqs", "include/nimbus/plugin.h", "include/nimbus/version.h",
                     "lib/pkgconfig/nimbus-plugin.pc", "lib/cmake/NimbusPlugin/NimbusPluginConfig.cmake"):
            self.assertTrue(os.path.exists(os.path.join(prefix, path)), path)
        size = os.path.getsize(os.path.join(prefix, "bin", "nimbus")) + sum(
            os.path.getsize(os.path.join(prefix, "lib/nimbus/plugins", f))
            for f in os.listdir(os.path.join(prefix, "lib/nimbus/plugins")) if f.endswith(".so"))
        print("installed binary + plugins (stripped): %d bytes" % size, file=sys.stderr)
        if not sanitized():
            self.assertLess(size, SIZE_BUDGET)

        # the SDK's pkg-config file points into the prefix
        r = subprocess.run(["pkg-config", "--cflags", "--variable=plugindir", "nimbus-plugin"], capture_output=True,
                           text=True, env=dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig")))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.path.realpath(r.stdout.split()[-1]), os.path.realpath(prefix + "/lib/nimbus/plugins"))

        # Without the sts specs in the prefix (its own and the catalogue's copy), STS calls to the
        # installed server fail while S3 and SQS work: the specs it reads are the installed ones,
        # not the build tree's it was compiled with.
        shutil.rmtree(os.path.join(prefix, "share", "nimbus", "specs", "sts"))
        shutil.rmtree(os.path.join(prefix, "share", "nimbus", "specs", "botocore", "sts"))
        with InstalledServer(prefix, self.tmp) as server:
            use_s3_and_sqs(self, server.url)
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                boto3_client(server.url, "sts").get_caller_identity()
            self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidAction")

    def test_deb_package(self):
        out = os.path.join(self.tmp, "pkg")
        r = subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(BINARY_DIR, "CPackConfig.cmake"), "-B", out],
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        self.assertEqual(len(debs), 1, os.listdir(out))
        deb = os.path.join(out, debs[0])
        self.assertRegex(debs[0], r"^nimbus_\d+\.\d+\.\d+_[a-z0-9]+\.deb$")

        contents = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
        files = {line.split()[-1] for line in contents.splitlines()}
        for path in ("./usr/bin/nimbus", "./usr/bin/nimbus-moto-server", "./usr/lib/nimbus/plugins/s3.so",
                     "./usr/lib/nimbus/plugins/sqs.so", "./usr/include/nimbus/plugin.h",
                     "./usr/lib/pkgconfig/nimbus-plugin.pc"):
            self.assertIn(path, files)
        self.assertTrue(any(f.startswith("./usr/share/nimbus/specs/sqs/") for f in files))
        self.assertFalse([f for f in files if "/build" in f or "test-plugins" in f])

        depends = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True, text=True,
                                 check=True).stdout
        for package in ("libuv1", "libjansson4", "libsqlite3-0", "libssl3", "libexpat1", "zlib1g", "libc6"):
            self.assertRegex(depends, r"\b%s\b" % re.escape(package))

        root = os.path.join(self.tmp, "root")
        subprocess.run(["dpkg", "-x", deb, root], check=True)
        with InstalledServer(os.path.join(root, "usr"), self.tmp) as server:
            use_s3_and_sqs(self, server.url)


if __name__ == "__main__":
    unittest.main(verbosity=2)
