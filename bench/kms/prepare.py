"""Prepare one server for bench/kms/run.py: keys, and the signed requests wrk replays.

Each benchmarked operation is one entry of OPERATIONS: a name, and a function that sets up what it
needs on a server and returns (requests, expect): the exact bytes botocore signed for KEYS calls
(bench/ops/prepare.py's capture; each was answered once here) and a string every answer's body holds.
Secrets Manager's GetSecretValue and SSM's GetParameter are added to OPERATIONS (their own prepare
functions, below the marked line) by the plugins that serve them.
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("ops_prepare", os.path.join(HERE, "..", "ops", "prepare.py"))
ops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ops)

PLAINTEXT = b"a 64-byte secret a service encrypts with its KMS key, for bench."


def kms_client(endpoint):
    c = ops.client("kms", endpoint)
    return c, ops.Capture(c)


def encrypt(endpoint):
    kms, cap = kms_client(endpoint)
    key = kms.create_key(Description="bench encrypt")["KeyMetadata"]["KeyId"]
    cap.raw = None
    reqs = ops.replay(kms, cap, ops.KEYS, lambda k: kms.encrypt(KeyId=key, Plaintext=PLAINTEXT,
                                                               EncryptionContext={"n": str(k)}))
    return reqs, b"CiphertextBlob"


def decrypt(endpoint):
    kms, cap = kms_client(endpoint)
    key = kms.create_key(Description="bench decrypt")["KeyMetadata"]["KeyId"]
    blobs = [kms.encrypt(KeyId=key, Plaintext=PLAINTEXT, EncryptionContext={"n": str(k)})["CiphertextBlob"]
             for k in range(ops.KEYS)]
    cap.raw = None
    reqs = ops.replay(kms, cap, ops.KEYS, lambda k: kms.decrypt(CiphertextBlob=blobs[k], EncryptionContext={"n": str(k)}))
    return reqs, b"Plaintext"


def sign(spec, alg):
    def prepare_sign(endpoint):
        kms, cap = kms_client(endpoint)
        key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        cap.raw = None
        reqs = ops.replay(kms, cap, ops.KEYS, lambda k: kms.sign(KeyId=key, Message=b"document %d" % k,
                                                                SigningAlgorithm=alg))
        return reqs, b"Signature"
    return prepare_sign


def get_secret_value(customer_key):
    """GetSecretValue of 16 secrets of 64-byte strings: under the AWS managed key, or a customer
    managed one (then a KMS Decrypt of the version's data key per read)."""
    def prepare_get(endpoint):
        sm = ops.client("secretsmanager", endpoint)
        cap = ops.Capture(sm)
        kw = {}
        if customer_key:
            kw["KmsKeyId"] = kms_client(endpoint)[0].create_key(Description="bench secrets")["KeyMetadata"]["KeyId"]
        tag = "cmk" if customer_key else "aws"
        for k in range(ops.KEYS):
            sm.create_secret(Name=f"bench/{tag}/{k}", SecretString=PLAINTEXT.decode(), **kw)
        cap.raw = None
        reqs = ops.replay(sm, cap, ops.KEYS, lambda k: sm.get_secret_value(SecretId=f"bench/{tag}/{k}"))
        return reqs, b"SecretString"
    return prepare_get


OPERATIONS = [
    ("Encrypt", encrypt),
    ("Decrypt", decrypt),
    ("Sign RSA_2048", sign("RSA_2048", "RSASSA_PSS_SHA_256")),
    ("Sign ECC_NIST_P256", sign("ECC_NIST_P256", "ECDSA_SHA_256")),
    # ---- Secrets Manager and SSM: add ("GetSecretValue", get_secret_value) and
    # ("GetParameter", get_parameter) here, each with a prepare function like the ones above ----
    ("GetSecretValue", get_secret_value(False)),
    ("GetSecretValue CMK", get_secret_value(True)),
]


def get_parameter(secure):
    """SSM GetParameter of KEYS parameters: String, or SecureString (the default key) WithDecryption."""
    def prepare_get_parameter(endpoint):
        ssm = ops.client("ssm", endpoint)
        cap = ops.Capture(ssm)
        kind = "SecureString" if secure else "String"
        for k in range(ops.KEYS):
            ssm.put_parameter(Name="/bench/%s/p%d" % (kind, k), Value="value %d of the app's config" % k, Type=kind)
        cap.raw = None
        reqs = ops.replay(ssm, cap, ops.KEYS, lambda k: ssm.get_parameter(Name="/bench/%s/p%d" % (kind, k),
                                                                         WithDecryption=secure))
        return reqs, b"of the app's config"
    return prepare_get_parameter


OPERATIONS += [
    ("GetParameter", get_parameter(False)),
    ("GetParameter decrypted", get_parameter(True)),
]


def prepare(endpoint, outdir):
    """Sets the server up; writes OUTDIR/<n>.lua per operation; returns [(name, script)]."""
    out = []
    for n, (name, fn) in enumerate(OPERATIONS):
        reqs, expect = fn(endpoint)
        ops.write_script(outdir, f"op{n}", reqs, expect)
        out.append((name, os.path.join(outdir, f"op{n}.lua")))
    return out
