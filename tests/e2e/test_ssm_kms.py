"""SSM SecureStrings through Nimbus's KMS: a customer key named by alias, id or ARN encrypts them
(the stored ciphertext is KMS's, decrypting with KMS itself under the parameter's ARN as encryption
context), a disabled key or one pending deletion answers InvalidKeyId carrying KMS's error, and the
values still decrypt after a restart with PERSISTENCE=1."""
import base64, os, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import Nimbus, boto3_client, temp_dir  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


class Kms(unittest.TestCase):
    def error(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        return cm.exception.response["Error"]["Code"], cm.exception.response["Error"]["Message"]

    def test_customer_keys(self):
        data = temp_dir(self)
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="ssm,kms") as n:
            ssm, kms = boto3_client(n.url, "ssm"), boto3_client(n.url, "kms")
            meta = kms.create_key()["KeyMetadata"]
            kms.create_alias(AliasName="alias/app", TargetKeyId=meta["KeyId"])
            for ref, key in [("alias", "alias/app"), ("id", meta["KeyId"]), ("arn", meta["Arn"])]:
                ssm.put_parameter(Name="/kms/" + ref, Value="secret-" + ref, Type="SecureString", KeyId=key)
                p = ssm.get_parameter(Name="/kms/" + ref, WithDecryption=True)["Parameter"]
                self.assertEqual(p["Value"], "secret-" + ref)
            described = ssm.describe_parameters(ParameterFilters=[{"Key": "KeyId", "Values": ["alias/app"]}])
            self.assertEqual([p["Name"] for p in described["Parameters"]], ["/kms/alias"])
            # the value shown without decryption is KMS's ciphertext of it, bound to the parameter's ARN
            blob = base64.b64decode(ssm.get_parameter(Name="/kms/alias")["Parameter"]["Value"])
            plain = kms.decrypt(CiphertextBlob=blob, EncryptionContext={
                "PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/kms/alias"})
            self.assertEqual((plain["Plaintext"], plain["KeyId"]), (b"secret-alias", meta["Arn"]))
            with self.assertRaises(ClientError):
                kms.decrypt(CiphertextBlob=blob)  # without the context it does not decrypt
            # the default key without an alias/aws/ssm in KMS still works
            ssm.put_parameter(Name="/kms/default", Value="dflt", Type="SecureString")
            self.assertEqual(ssm.get_parameter(Name="/kms/default", WithDecryption=True)["Parameter"]["Value"], "dflt")
            n.stop()
        with Nimbus(PERSISTENCE="1", DATA_DIR=data, SERVICES="ssm,kms") as n:
            ssm, kms = boto3_client(n.url, "ssm"), boto3_client(n.url, "kms")
            r = ssm.get_parameters(Names=["/kms/alias", "/kms/id", "/kms/default"], WithDecryption=True)
            self.assertEqual([p["Value"] for p in r["Parameters"]], ["secret-alias", "secret-id", "dflt"])
            kms.disable_key(KeyId=meta["KeyId"])
            code, message = self.error(ssm.put_parameter, Name="/kms/new", Value="v", Type="SecureString",
                                       KeyId="alias/app")
            self.assertEqual(code, "InvalidKeyId")
            self.assertTrue(message.startswith("%s is disabled. (Service: AWSKMS; Status Code: 400; Error Code: "
                                               "DisabledException; Request ID: " % meta["Arn"]), message)
            code, message = self.error(ssm.get_parameter, Name="/kms/id", WithDecryption=True)
            self.assertEqual(code, "InvalidKeyId")
            self.assertIn("Error Code: DisabledException", message)
            self.assertNotEqual(ssm.get_parameter(Name="/kms/id")["Parameter"]["Value"], "secret-id")
            kms.enable_key(KeyId=meta["KeyId"])
            kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
            code, message = self.error(ssm.put_parameter, Name="/kms/new", Value="v", Type="SecureString",
                                       KeyId=meta["KeyId"])
            self.assertEqual(code, "InvalidKeyId")
            self.assertIn("%s is pending deletion. (Service: AWSKMS; Status Code: 400; Error Code: "
                          "KMSInvalidStateException" % meta["Arn"], message)
            code, message = self.error(ssm.put_parameter, Name="/kms/new", Value="v", Type="SecureString",
                                       KeyId="alias/none")
            self.assertEqual(code, "InvalidKeyId")
            self.assertIn("Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.", message)


if __name__ == "__main__":
    unittest.main()
