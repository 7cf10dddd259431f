"""KMS symmetric keys with Debian's boto3: Encrypt/Decrypt (with and without KeyId, by id, key
ARN, alias name and alias ARN), encryption context as AAD, GenerateDataKey envelope encryption
decrypted locally with AES-GCM, ReEncrypt, GenerateRandom, key states and their errors."""
import os, signal, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, temp_dir  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def error_of(fn, **kw):
    with unittest.TestCase().assertRaises(ClientError) as cm:
        fn(**kw)
    e = cm.exception.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"].get("Message", "")


class Symmetric(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="kms")
        cls.n.start()
        cls.kms = boto3_client(cls.n.url, "kms")

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def test_encrypt_decrypt_every_key_id_form(self):
        meta = self.kms.create_key(Description="d")["KeyMetadata"]
        kid, arn = meta["KeyId"], meta["Arn"]
        self.assertEqual(arn, f"arn:aws:kms:us-east-1:000000000000:key/{kid}")
        self.assertEqual((meta["KeySpec"], meta["KeyUsage"], meta["KeyState"], meta["Enabled"]),
                         ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Enabled", True))
        self.kms.create_alias(AliasName="alias/forms", TargetKeyId=kid)
        alias_arn = "arn:aws:kms:us-east-1:000000000000:alias/forms"
        for key in (kid, arn, "alias/forms", alias_arn):
            blob = self.kms.encrypt(KeyId=key, Plaintext=b"secret " + key.encode())["CiphertextBlob"]
            out = self.kms.decrypt(CiphertextBlob=blob)
            self.assertEqual(out["Plaintext"], b"secret " + key.encode())
            self.assertEqual(out["KeyId"], arn)
            self.assertEqual(self.kms.decrypt(CiphertextBlob=blob, KeyId=key)["Plaintext"], b"secret " + key.encode())
            self.assertEqual(self.kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"], kid)

    def test_encryption_context_is_authenticated(self):
        kid = self.kms.create_key()["KeyMetadata"]["KeyId"]
        blob = self.kms.encrypt(KeyId=kid, Plaintext=b"x", EncryptionContext={"a": "1", "b": "2"})["CiphertextBlob"]
        # member order does not matter, values do
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob, EncryptionContext={"b": "2", "a": "1"})["Plaintext"], b"x")
        for ctx in ({}, {"a": "1"}, {"a": "1", "b": "3"}):
            code, status, _ = error_of(self.kms.decrypt, CiphertextBlob=blob, EncryptionContext=ctx)
            self.assertEqual((code, status), ("InvalidCiphertextException", 400))
        tampered = bytearray(blob)
        tampered[-1] ^= 1
        self.assertEqual(error_of(self.kms.decrypt, CiphertextBlob=bytes(tampered),
                                  EncryptionContext={"a": "1", "b": "2"})[0], "InvalidCiphertextException")
        self.assertEqual(error_of(self.kms.decrypt, CiphertextBlob=b"not a blob at all")[0], "InvalidCiphertextException")

    def test_wrong_key_id_for_blob(self):
        a = self.kms.create_key()["KeyMetadata"]["KeyId"]
        b = self.kms.create_key()["KeyMetadata"]["KeyId"]
        blob = self.kms.encrypt(KeyId=a, Plaintext=b"x")["CiphertextBlob"]
        code, status, msg = error_of(self.kms.decrypt, CiphertextBlob=blob, KeyId=b)
        self.assertEqual((code, status), ("IncorrectKeyException", 400))
        self.assertIn("does not identify", msg)

    def test_envelope_encryption_with_generate_data_key(self):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        kid = self.kms.create_key()["KeyMetadata"]["KeyId"]
        dk = self.kms.generate_data_key(KeyId=kid, KeySpec="AES_256", EncryptionContext={"app": "e"})
        self.assertEqual(len(dk["Plaintext"]), 32)
        nonce = os.urandom(12)
        sealed = AESGCM(dk["Plaintext"]).encrypt(nonce, b"the payload", None)
        # later: only the encrypted data key is kept
        key = self.kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"app": "e"})["Plaintext"]
        self.assertEqual(AESGCM(key).decrypt(nonce, sealed, None), b"the payload")
        bare = self.kms.generate_data_key_without_plaintext(KeyId=kid, NumberOfBytes=64)
        self.assertNotIn("Plaintext", bare)
        self.assertEqual(len(self.kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]), 64)
        self.assertEqual(len(self.kms.generate_data_key(KeyId=kid, KeySpec="AES_128")["Plaintext"]), 16)
        code, status, msg = error_of(self.kms.generate_data_key, KeyId=kid)
        self.assertEqual((code, status, msg), ("ValidationException", 400, "Please specify either number of bytes or key spec."))

    def test_re_encrypt(self):
        a = self.kms.create_key()["KeyMetadata"]
        b = self.kms.create_key()["KeyMetadata"]
        blob = self.kms.encrypt(KeyId=a["KeyId"], Plaintext=b"move me", EncryptionContext={"k": "1"})["CiphertextBlob"]
        out = self.kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"k": "1"},
                                  DestinationKeyId=b["KeyId"], DestinationEncryptionContext={"k": "2"})
        self.assertEqual((out["SourceKeyId"], out["KeyId"]), (a["Arn"], b["Arn"]))
        self.assertEqual(self.kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "2"})["Plaintext"],
                         b"move me")

    def test_generate_random(self):
        r = self.kms.generate_random(NumberOfBytes=1024)["Plaintext"]
        self.assertEqual(len(r), 1024)
        self.assertNotEqual(r, self.kms.generate_random(NumberOfBytes=1024)["Plaintext"])
        code, status, msg = error_of(self.kms.generate_random, NumberOfBytes=1025)
        self.assertEqual((code, status), ("ValidationException", 400))
        self.assertIn("1024", msg)

    def test_disabled_and_pending_deletion_keys(self):
        meta = self.kms.create_key()["KeyMetadata"]
        kid, arn = meta["KeyId"], meta["Arn"]
        blob = self.kms.encrypt(KeyId=kid, Plaintext=b"x")["CiphertextBlob"]
        self.kms.disable_key(KeyId=kid)
        self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"], "Disabled")
        self.assertEqual(error_of(self.kms.encrypt, KeyId=kid, Plaintext=b"x"),
                         ("DisabledException", 400, f"{arn} is disabled."))
        self.assertEqual(error_of(self.kms.decrypt, CiphertextBlob=blob)[0], "DisabledException")
        self.kms.enable_key(KeyId=kid)
        out = self.kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
        self.assertEqual((out["KeyId"], out["KeyState"], out["PendingWindowInDays"]), (arn, "PendingDeletion", 7))
        self.assertEqual(error_of(self.kms.encrypt, KeyId=kid, Plaintext=b"x"),
                         ("KMSInvalidStateException", 400, f"{arn} is pending deletion."))
        self.assertEqual(error_of(self.kms.enable_key, KeyId=kid)[0], "KMSInvalidStateException")
        code, _, msg = error_of(self.kms.schedule_key_deletion, KeyId=kid, PendingWindowInDays=6)
        self.assertEqual(code, "ValidationException")
        self.assertIn("greater than or equal to 7", msg)
        self.assertEqual(self.kms.cancel_key_deletion(KeyId=kid)["KeyId"], arn)
        m = self.kms.describe_key(KeyId=kid)["KeyMetadata"]
        self.assertEqual((m["KeyState"], "DeletionDate" in m), ("Disabled", False))
        self.assertEqual(error_of(self.kms.cancel_key_deletion, KeyId=kid),
                         ("KMSInvalidStateException", 400, f"{arn} is not pending deletion."))

    def test_not_found_messages(self):
        missing = "11111111-2222-3333-4444-555555555555"
        self.assertEqual(error_of(self.kms.describe_key, KeyId=missing),
                         ("NotFoundException", 400,
                          f"Key 'arn:aws:kms:us-east-1:000000000000:key/{missing}' does not exist"))
        self.assertEqual(error_of(self.kms.encrypt, KeyId="alias/none", Plaintext=b"x"),
                         ("NotFoundException", 400, "Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found."))


class Deletion(unittest.TestCase):
    def test_key_is_deleted_when_its_window_ends(self):
        # a KMS day of 0.2 s: the 7-day window passes in 1.4 s
        with Nimbus(SERVICES="kms", KMS_DAY_SECONDS="200ms") as n:
            kms = boto3_client(n.url, "kms")
            kid = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
            self.assertIn(kid, [k["KeyId"] for k in kms.list_keys()["Keys"]])
            import time
            time.sleep(2.5)
            self.assertNotIn(kid, [k["KeyId"] for k in kms.list_keys()["Keys"]])
            self.assertEqual(error_of(kms.describe_key, KeyId=kid)[0], "NotFoundException")


class Persistence(unittest.TestCase):
    def test_ciphertext_decrypts_after_kill_9(self):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="kms") as n:
            kms = boto3_client(n.url, "kms")
            kid = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName="alias/kept", TargetKeyId=kid)
            blob = kms.encrypt(KeyId="alias/kept", Plaintext=b"survives", EncryptionContext={"c": "1"})["CiphertextBlob"]
            n.stop(sig=signal.SIGKILL)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="kms") as n:
            kms = boto3_client(n.url, "kms")
            out = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "1"})
            self.assertEqual(out["Plaintext"], b"survives")
            self.assertEqual(kms.describe_key(KeyId="alias/kept")["KeyMetadata"]["KeyId"], kid)


if __name__ == "__main__":
    unittest.main()
