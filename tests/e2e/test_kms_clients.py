"""KMS with the other clients: the AWS CLIs (Debian's v2, pyenv's v1) and the AWS SDK for
JavaScript v3 (@aws-sdk/client-kms, tests/e2e/js-kms/test_kms.mjs); and the DEBUG request log,
which must never show a plaintext or data key."""
import base64, json, os, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nimbus_server import Nimbus, aws_clis, boto3_client, run_aws  # noqa: E402
from npm_ci import run_node_script  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Clients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="kms").start()

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def test_aws_cli(self):
        clis = aws_clis()
        self.assertTrue(clis)
        for i, cli in enumerate(clis):
            run = lambda *a: run_aws(cli, self.n.url, "kms", *a)  # noqa: E731
            r = run("create-key", "--description", f"cli {i}")
            self.assertEqual(r.returncode, 0, f"{cli}: {r.stderr}")
            kid = json.loads(r.stdout)["KeyMetadata"]["KeyId"]
            self.assertEqual(run("create-alias", "--alias-name", f"alias/cli-{i}", "--target-key-id", kid).returncode, 0)
            with tempfile.NamedTemporaryFile() as f:
                f.write(b"cli plaintext")
                f.flush()
                r = run("encrypt", "--key-id", f"alias/cli-{i}", "--plaintext", f"fileb://{f.name}")
            self.assertEqual(r.returncode, 0, r.stderr)
            blob = base64.b64decode(json.loads(r.stdout)["CiphertextBlob"])
            with tempfile.NamedTemporaryFile() as f:
                f.write(blob)
                f.flush()
                r = run("decrypt", "--ciphertext-blob", f"fileb://{f.name}")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(base64.b64decode(json.loads(r.stdout)["Plaintext"]), b"cli plaintext")
            r = run("describe-key", "--key-id", "alias/nope")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("NotFoundException", r.stderr)
            self.assertIn("Alias arn:aws:kms:us-east-1:000000000000:alias/nope is not found.", r.stderr)

    def test_javascript_sdk(self):
        r = run_node_script(os.path.join(HERE, "js-kms"), "test_kms.mjs", self.n.url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ok", r.stdout)


class DebugLog(unittest.TestCase):
    def test_no_key_material_or_plaintext_in_the_debug_log(self):
        n = Nimbus(SERVICES="kms", DEBUG="1").start()
        try:
            kms = boto3_client(n.url, "kms")
            kid = kms.create_key()["KeyMetadata"]["KeyId"]
            secret = b"PLAINTEXT-SHOULD-NOT-BE-LOGGED"
            blob = kms.encrypt(KeyId=kid, Plaintext=secret)["CiphertextBlob"]
            self.assertEqual(kms.decrypt(CiphertextBlob=blob)["Plaintext"], secret)
            dk = kms.generate_data_key(KeyId=kid, KeySpec="AES_256")["Plaintext"]
            pair = kms.generate_data_key_pair(KeyId=kid, KeyPairSpec="ECC_NIST_P256")["PrivateKeyPlaintext"]
            mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
            kms.generate_mac(KeyId=mac_key, Message=secret, MacAlgorithm="HMAC_SHA_256")
        finally:
            n.stop()
        log = n.output
        self.assertIn("Encrypt", log)  # the log is on: requests are in it
        for value in (secret, dk, pair):
            for form in (value, base64.b64encode(value)):
                self.assertNotIn(form.decode("latin-1"), log)


if __name__ == "__main__":
    unittest.main()
