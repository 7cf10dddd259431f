"""KMS asymmetric, HMAC, imported, multi-Region keys, rotation, grants, aliases, policies, tags
and custom key stores, with Debian's boto3 (1.29) and again with the newer boto3 (1.43) for the
operations 1.29 does not know (DeriveSharedSecret, RotateKeyOnDemand, ListKeyRotations,
RotationPeriodInDays). Signatures are checked by `openssl` from GetPublicKey's DER."""
import base64, json, os, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, rerun_with_newer_boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding  # noqa: E402

URL = os.environ.get("KMS_TEST_URL")  # set when the newer boto3 reruns a class against our server
server = None


def setUpModule():
    global server, URL
    if URL is None:
        server = Nimbus(SERVICES="kms", KMS_DAY_SECONDS="1s")
        server.start()
        URL = server.url


def tearDownModule():
    if server is not None:
        server.stop()


def client(region="us-east-1"):
    return boto3_client(URL, "kms", region)


def error_of(fn, **kw):
    with unittest.TestCase().assertRaises(ClientError) as cm:
        fn(**kw)
    e = cm.exception.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"].get("Message", "")


def openssl_verifies(der, alg, message, signature):
    """Whether openssl, given only the public key's DER, accepts the signature."""
    with tempfile.TemporaryDirectory() as d:
        paths = {n: os.path.join(d, n) for n in ("pub.der", "msg", "sig")}
        for name, data in (("pub.der", der), ("msg", message), ("sig", signature)):
            with open(paths[name], "wb") as f:
                f.write(data)
        digest = "-sha" + alg.rsplit("_", 1)[1]
        opts = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] if "PSS" in alg else []
        r = subprocess.run(["openssl", "dgst", digest, "-keyform", "DER", "-verify", paths["pub.der"], *opts,
                            "-signature", paths["sig"], paths["msg"]], capture_output=True, text=True)
        return r.returncode == 0 and "Verified OK" in r.stdout


class Asymmetric(unittest.TestCase):
    def setUp(self):
        self.kms = client()

    def test_signatures_verify_with_openssl(self):
        cases = {"RSA_2048": ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
                              "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"],
                 "ECC_NIST_P256": ["ECDSA_SHA_256"], "ECC_NIST_P384": ["ECDSA_SHA_384"],
                 "ECC_NIST_P521": ["ECDSA_SHA_512"], "ECC_SECG_P256K1": ["ECDSA_SHA_256"]}
        for spec, algs in cases.items():
            meta = self.kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
            self.assertEqual(sorted(meta["SigningAlgorithms"]), sorted(algs))
            pub = self.kms.get_public_key(KeyId=meta["KeyId"])
            self.assertEqual((pub["KeySpec"], pub["KeyUsage"]), (spec, "SIGN_VERIFY"))
            serialization.load_der_public_key(pub["PublicKey"])  # the SDKs' parser takes it
            for alg in algs:
                msg = f"message for {spec} {alg}".encode()
                sig = self.kms.sign(KeyId=meta["KeyId"], Message=msg, SigningAlgorithm=alg)
                self.assertEqual(sig["SigningAlgorithm"], alg)
                self.assertTrue(openssl_verifies(pub["PublicKey"], alg, msg, sig["Signature"]), (spec, alg))
                self.assertTrue(self.kms.verify(KeyId=meta["KeyId"], Message=msg, Signature=sig["Signature"],
                                                SigningAlgorithm=alg)["SignatureValid"])
                code, status, _ = error_of(self.kms.verify, KeyId=meta["KeyId"], Message=msg + b"!",
                                           Signature=sig["Signature"], SigningAlgorithm=alg)
                self.assertEqual((code, status), ("KMSInvalidSignatureException", 400))

    def test_sign_a_digest(self):
        kid = self.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        digest = hashes.Hash(hashes.SHA256())
        digest.update(b"prehashed")
        d = digest.finalize()
        sig = self.kms.sign(KeyId=kid, Message=d, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        pub = serialization.load_der_public_key(self.kms.get_public_key(KeyId=kid)["PublicKey"])
        pub.verify(sig, b"prehashed", ec.ECDSA(hashes.SHA256()))
        code, _, msg = error_of(self.kms.sign, KeyId=kid, Message=b"short", MessageType="DIGEST",
                                SigningAlgorithm="ECDSA_SHA_256")
        self.assertEqual(code, "ValidationException")
        code, _, _ = error_of(self.kms.sign, KeyId=kid, Message=b"x", SigningAlgorithm="ECDSA_SHA_384")
        self.assertEqual(code, "InvalidKeyUsageException")

    def test_rsa_encryption(self):
        for alg, h in (("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())):
            kid = self.kms.create_key(KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
            ct = self.kms.encrypt(KeyId=kid, Plaintext=b"rsa secret", EncryptionAlgorithm=alg)["CiphertextBlob"]
            self.assertEqual(self.kms.decrypt(KeyId=kid, CiphertextBlob=ct, EncryptionAlgorithm=alg)["Plaintext"],
                             b"rsa secret")
            # a client encrypting with the public key alone: KMS decrypts it
            pub = serialization.load_der_public_key(self.kms.get_public_key(KeyId=kid)["PublicKey"])
            local = pub.encrypt(b"from outside", padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None))
            self.assertEqual(self.kms.decrypt(KeyId=kid, CiphertextBlob=local, EncryptionAlgorithm=alg)["Plaintext"],
                             b"from outside")
            self.assertEqual(error_of(self.kms.decrypt, CiphertextBlob=ct, EncryptionAlgorithm=alg)[0],
                             "ValidationException")
        sign_key = self.kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        code, status, msg = error_of(self.kms.encrypt, KeyId=sign_key["KeyId"], Plaintext=b"x",
                                     EncryptionAlgorithm="RSAES_OAEP_SHA_1")
        self.assertEqual((code, status, msg), ("InvalidKeyUsageException", 400,
                                               f"{sign_key['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt."))

    def test_hmac(self):
        for bits in (224, 256, 384, 512):
            kid = self.kms.create_key(KeySpec=f"HMAC_{bits}", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
            alg = f"HMAC_SHA_{bits}"
            mac = self.kms.generate_mac(KeyId=kid, Message=b"m", MacAlgorithm=alg)["Mac"]
            self.assertEqual(len(mac), bits // 8)
            self.assertTrue(self.kms.verify_mac(KeyId=kid, Message=b"m", MacAlgorithm=alg, Mac=mac)["MacValid"])
            self.assertEqual(error_of(self.kms.verify_mac, KeyId=kid, Message=b"n", MacAlgorithm=alg, Mac=mac)[0],
                             "KMSInvalidMacException")
        self.assertEqual(error_of(self.kms.generate_mac, KeyId=kid, Message=b"m", MacAlgorithm="HMAC_SHA_256")[0],
                         "InvalidKeyUsageException")
        self.assertEqual(error_of(self.kms.get_public_key, KeyId=kid)[0], "UnsupportedOperationException")

    def test_key_specs_refused(self):
        code, status, msg = error_of(self.kms.create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY")
        self.assertEqual((code, status), ("UnsupportedOperationException", 400))
        self.assertIn("SM2", msg)
        code, _, msg = error_of(self.kms.create_key, KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
        self.assertEqual(code, "ValidationException")

    def test_data_key_pairs(self):
        kid = self.kms.create_key()["KeyMetadata"]["KeyId"]
        for spec in ("RSA_2048", "ECC_NIST_P256"):
            pair = self.kms.generate_data_key_pair(KeyId=kid, KeyPairSpec=spec, EncryptionContext={"p": spec})
            priv = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
            pub = priv.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
            self.assertEqual(pub, pair["PublicKey"])
            opened = self.kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"p": spec})
            self.assertEqual(opened["Plaintext"], pair["PrivateKeyPlaintext"])
            bare = self.kms.generate_data_key_pair_without_plaintext(KeyId=kid, KeyPairSpec=spec)
            self.assertNotIn("PrivateKeyPlaintext", bare)


class Management(unittest.TestCase):
    def setUp(self):
        self.kms = client()

    def test_aliases(self):
        a = self.kms.create_key()["KeyMetadata"]["KeyId"]
        b = self.kms.create_key()["KeyMetadata"]["KeyId"]
        self.kms.create_alias(AliasName="alias/app", TargetKeyId=a)
        self.assertEqual(error_of(self.kms.create_alias, AliasName="alias/app", TargetKeyId=b),
                         ("AlreadyExistsException", 400,
                          "An alias with the name arn:aws:kms:us-east-1:000000000000:alias/app already exists"))
        self.assertEqual(error_of(self.kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=b)[0],
                         "NotAuthorizedException")
        self.assertEqual(error_of(self.kms.create_alias, AliasName="noprefix", TargetKeyId=b)[0], "ValidationException")
        self.kms.update_alias(AliasName="alias/app", TargetKeyId=b)
        listed = self.kms.list_aliases(KeyId=b)["Aliases"]
        self.assertEqual([(x["AliasName"], x["TargetKeyId"]) for x in listed], [("alias/app", b)])
        self.kms.delete_alias(AliasName="alias/app")
        self.assertEqual(error_of(self.kms.delete_alias, AliasName="alias/app")[0], "NotFoundException")

    def test_policies_and_tags(self):
        kid = self.kms.create_key(Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]["KeyId"]
        policy = self.kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]
        doc = json.loads(policy)
        self.assertEqual(doc["Statement"][0]["Principal"], {"AWS": "arn:aws:iam::000000000000:root"})
        self.assertEqual(doc["Id"], "key-default-1")
        self.assertEqual(self.kms.list_key_policies(KeyId=kid)["PolicyNames"], ["default"])
        mine = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                                     "Action": "kms:*", "Resource": "*"}]})
        self.kms.put_key_policy(KeyId=kid, PolicyName="default", Policy=mine)
        self.assertEqual(self.kms.get_key_policy(KeyId=kid, PolicyName="default")["Policy"], mine)
        self.assertEqual(error_of(self.kms.put_key_policy, KeyId=kid, PolicyName="default", Policy="{")[0],
                         "MalformedPolicyDocumentException")
        self.kms.tag_resource(KeyId=kid, Tags=[{"TagKey": "env", "TagValue": "dev"}, {"TagKey": "team", "TagValue": "b"}])
        self.kms.untag_resource(KeyId=kid, TagKeys=["env"])
        self.assertEqual(self.kms.list_resource_tags(KeyId=kid)["Tags"], [{"TagKey": "team", "TagValue": "b"}])

    def test_grants(self):
        kid = self.kms.create_key()["KeyMetadata"]["KeyId"]
        g = self.kms.create_grant(KeyId=kid, GranteePrincipal="arn:aws:iam::000000000000:role/app",
                                  RetiringPrincipal="arn:aws:iam::000000000000:role/admin",
                                  Operations=["Encrypt", "Decrypt"], Name="g1",
                                  Constraints={"EncryptionContextSubset": {"dept": "x"}})
        again = self.kms.create_grant(KeyId=kid, GranteePrincipal="arn:aws:iam::000000000000:role/app",
                                      Operations=["Encrypt", "Decrypt"], Name="g1")
        self.assertEqual(again["GrantId"], g["GrantId"])
        grants = self.kms.list_grants(KeyId=kid)["Grants"]
        self.assertEqual([x["GrantId"] for x in grants], [g["GrantId"]])
        self.assertEqual(grants[0]["Constraints"], {"EncryptionContextSubset": {"dept": "x"}})
        retirable = self.kms.list_retirable_grants(RetiringPrincipal="arn:aws:iam::000000000000:role/admin")["Grants"]
        self.assertIn(g["GrantId"], [x["GrantId"] for x in retirable])
        self.kms.retire_grant(GrantToken=g["GrantToken"])
        self.assertEqual(self.kms.list_grants(KeyId=kid)["Grants"], [])
        self.assertEqual(error_of(self.kms.retire_grant, GrantToken=g["GrantToken"])[0], "InvalidGrantTokenException")
        g2 = self.kms.create_grant(KeyId=kid, GranteePrincipal="arn:aws:iam::000000000000:role/app", Operations=["Decrypt"])
        self.kms.revoke_grant(KeyId=kid, GrantId=g2["GrantId"])
        self.assertEqual(error_of(self.kms.revoke_grant, KeyId=kid, GrantId=g2["GrantId"])[0], "NotFoundException")

    def test_imported_key_material(self):
        from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
        meta = self.kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
        kid = meta["KeyId"]
        self.assertEqual((meta["KeyState"], meta["Origin"]), ("PendingImport", "EXTERNAL"))
        self.assertEqual(error_of(self.kms.encrypt, KeyId=kid, Plaintext=b"x"),
                         ("KMSInvalidStateException", 400, f"{meta['Arn']} is pending import."))
        material = os.urandom(32)
        for alg in ("RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256"):
            p = self.kms.get_parameters_for_import(KeyId=kid, WrappingAlgorithm=alg, WrappingKeySpec="RSA_2048")
            wrapping = serialization.load_der_public_key(p["PublicKey"])
            oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
            if alg == "RSAES_OAEP_SHA_256":
                wrapped = wrapping.encrypt(material, oaep)
            else:
                kek = os.urandom(32)
                wrapped = wrapping.encrypt(kek, oaep) + aes_key_wrap_with_padding(kek, material)
            self.kms.import_key_material(KeyId=kid, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped,
                                         ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
            self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"], "Enabled")
            blob = self.kms.encrypt(KeyId=kid, Plaintext=b"imported")["CiphertextBlob"]
            self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"imported")
            # the token was for one import
            self.assertEqual(error_of(self.kms.import_key_material, KeyId=kid, ImportToken=p["ImportToken"],
                                      EncryptedKeyMaterial=wrapped,
                                      ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")[0], "InvalidImportTokenException")
            self.kms.delete_imported_key_material(KeyId=kid)
            self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"], "PendingImport")
        plain = self.kms.create_key()["KeyMetadata"]["KeyId"]
        self.assertEqual(error_of(self.kms.get_parameters_for_import, KeyId=plain, WrappingAlgorithm="RSAES_OAEP_SHA_1",
                                  WrappingKeySpec="RSA_2048")[0], "UnsupportedOperationException")

    def test_multi_region_keys(self):
        meta = self.kms.create_key(MultiRegion=True)["KeyMetadata"]
        kid = meta["KeyId"]
        self.assertTrue(kid.startswith("mrk-") and len(kid) == 36)
        blob = self.kms.encrypt(KeyId=kid, Plaintext=b"everywhere")["CiphertextBlob"]
        rep = self.kms.replicate_key(KeyId=kid, ReplicaRegion="eu-west-1", Description="replica")
        self.assertEqual(rep["ReplicaKeyMetadata"]["Arn"], f"arn:aws:kms:eu-west-1:000000000000:key/{kid}")
        self.assertEqual(rep["ReplicaKeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"], "REPLICA")
        eu = client("eu-west-1")
        self.assertEqual(eu.decrypt(CiphertextBlob=blob)["Plaintext"], b"everywhere")
        cfg = self.kms.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]
        self.assertEqual([r["Region"] for r in cfg["ReplicaKeys"]], ["eu-west-1"])
        self.assertEqual(error_of(self.kms.replicate_key, KeyId=kid, ReplicaRegion="eu-west-1")[0], "AlreadyExistsException")
        self.kms.update_primary_region(KeyId=kid, PrimaryRegion="eu-west-1")
        self.assertEqual(eu.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"],
                         "PRIMARY")
        self.assertEqual(self.kms.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]
                         ["MultiRegionKeyType"], "REPLICA")
        single = self.kms.create_key()["KeyMetadata"]["KeyId"]
        self.assertEqual(error_of(self.kms.replicate_key, KeyId=single, ReplicaRegion="eu-west-1")[0],
                         "UnsupportedOperationException")

    def test_custom_key_stores(self):
        sid = self.kms.create_custom_key_store(CustomKeyStoreName="hsm", CloudHsmClusterId="cluster-1234567890a",
                                               TrustAnchorCertificate="cert", KeyStorePassword="secret1")["CustomKeyStoreId"]
        self.assertEqual(error_of(self.kms.create_custom_key_store, CustomKeyStoreName="hsm",
                                  CloudHsmClusterId="cluster-1234567890a", TrustAnchorCertificate="cert",
                                  KeyStorePassword="secret1")[0], "CustomKeyStoreNameInUseException")
        store = self.kms.describe_custom_key_stores(CustomKeyStoreId=sid)["CustomKeyStores"][0]
        self.assertEqual((store["ConnectionState"], store["CustomKeyStoreName"]), ("DISCONNECTED", "hsm"))
        self.assertNotIn("secret1", json.dumps(store, default=str))
        self.assertEqual(error_of(self.kms.create_key, CustomKeyStoreId=sid, Origin="AWS_CLOUDHSM")[0],
                         "CustomKeyStoreInvalidStateException")
        self.kms.connect_custom_key_store(CustomKeyStoreId=sid)
        self.kms.update_custom_key_store(CustomKeyStoreId=sid, NewCustomKeyStoreName="hsm2")
        self.assertEqual(self.kms.describe_custom_key_stores(CustomKeyStoreName="hsm2")["CustomKeyStores"][0]
                         ["ConnectionState"], "CONNECTED")
        self.assertEqual(error_of(self.kms.delete_custom_key_store, CustomKeyStoreId=sid)[0],
                         "CustomKeyStoreInvalidStateException")
        self.kms.disconnect_custom_key_store(CustomKeyStoreId=sid)
        self.kms.delete_custom_key_store(CustomKeyStoreId=sid)
        self.assertEqual(error_of(self.kms.describe_custom_key_stores, CustomKeyStoreId=sid)[0],
                         "CustomKeyStoreNotFoundException")


class NewerClient(unittest.TestCase):
    """Operations Debian's boto3 1.29 does not have; run by the newer boto3 only."""

    def setUp(self):
        self.kms = client()

    def test_rotation_keeps_old_ciphertexts(self):
        kid = self.kms.create_key()["KeyMetadata"]["KeyId"]
        old = self.kms.encrypt(KeyId=kid, Plaintext=b"before")["CiphertextBlob"]
        self.kms.rotate_key_on_demand(KeyId=kid)
        new = self.kms.encrypt(KeyId=kid, Plaintext=b"after")["CiphertextBlob"]
        self.assertEqual(self.kms.decrypt(CiphertextBlob=old)["Plaintext"], b"before")
        self.assertEqual(self.kms.decrypt(CiphertextBlob=new)["Plaintext"], b"after")
        rotations = self.kms.list_key_rotations(KeyId=kid)["Rotations"]
        self.assertEqual([r["RotationType"] for r in rotations], ["ON_DEMAND"])
        self.kms.enable_key_rotation(KeyId=kid, RotationPeriodInDays=90)
        st = self.kms.get_key_rotation_status(KeyId=kid)
        self.assertEqual((st["KeyRotationEnabled"], st["RotationPeriodInDays"]), (True, 90))
        self.kms.disable_key(KeyId=kid)
        self.assertEqual(error_of(self.kms.rotate_key_on_demand, KeyId=kid)[0], "DisabledException")
        sign = self.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        self.assertEqual(error_of(self.kms.rotate_key_on_demand, KeyId=sign)[0], "UnsupportedOperationException")

    def test_derive_shared_secret(self):
        kid = self.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
        mine = ec.generate_private_key(ec.SECP256R1())
        peer_der = mine.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        out = self.kms.derive_shared_secret(KeyId=kid, KeyAgreementAlgorithm="ECDH", PublicKey=peer_der)
        theirs = serialization.load_der_public_key(self.kms.get_public_key(KeyId=kid)["PublicKey"])
        self.assertEqual(out["SharedSecret"], mine.exchange(ec.ECDH(), theirs))


class NewerBoto3(unittest.TestCase):
    def test_every_case_with_the_newer_boto3(self):
        rerun_with_newer_boto3(self, __file__, "Asymmetric", min_botocore=(1, 35), env={**os.environ, "KMS_TEST_URL": URL})
        rerun_with_newer_boto3(self, __file__, "NewerClient", min_botocore=(1, 35), env={**os.environ, "KMS_TEST_URL": URL})
        rerun_with_newer_boto3(self, __file__, "Management", min_botocore=(1, 35), env={**os.environ, "KMS_TEST_URL": URL})


if __name__ == "__main__":
    if URL is not None:  # a rerun by the newer boto3: only the class named
        unittest.main()
    else:
        loader = unittest.TestLoader()
        suite = unittest.TestSuite([loader.loadTestsFromTestCase(c) for c in (Asymmetric, Management, NewerBoto3)])
        setUpModule()
        try:
            result = unittest.TextTestRunner(verbosity=2).run(suite)
        finally:
            tearDownModule()
        sys.exit(0 if result.wasSuccessful() else 1)
