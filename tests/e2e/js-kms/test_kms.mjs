// @aws-sdk/client-kms against Nimbus: node test_kms.mjs <endpoint>. Prints "ok" when every step
// answered as AWS does; exits 1 naming the first that did not.
import { createVerify } from "node:crypto";
import {
  KMSClient, CreateKeyCommand, EncryptCommand, DecryptCommand, GenerateDataKeyCommand, SignCommand,
  GetPublicKeyCommand, DescribeKeyCommand, DisableKeyCommand, CreateAliasCommand, NotFoundException,
  DisabledException, InvalidCiphertextException,
} from "@aws-sdk/client-kms";
import { createPublicKey } from "node:crypto";

const [endpoint] = process.argv.slice(2);
const kms = new KMSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });

function check(cond, what) { if (!cond) { console.log(`FAILED: ${what}`); process.exit(1); } }
async function rejects(promise, type, message, what) {
  try { await promise; } catch (e) {
    check(e instanceof type, `${what}: ${e.name} is not ${type.name}`);
    check(message === null || e.message === message, `${what}: message "${e.message}"`);
    return;
  }
  check(false, `${what}: no error`);
}

const key = (await kms.send(new CreateKeyCommand({ Description: "js" }))).KeyMetadata;
await kms.send(new CreateAliasCommand({ AliasName: "alias/js", TargetKeyId: key.KeyId }));
const enc = await kms.send(new EncryptCommand({ KeyId: "alias/js", Plaintext: Buffer.from("from node"),
  EncryptionContext: { who: "js" } }));
check(enc.KeyId === key.Arn, `Encrypt KeyId ${enc.KeyId}`);
const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { who: "js" } }));
check(Buffer.from(dec.Plaintext).toString() === "from node", "Decrypt plaintext");
await rejects(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { who: "other" } })),
  InvalidCiphertextException, null, "Decrypt with another context");
const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
check(dk.Plaintext.length === 32, "GenerateDataKey plaintext length");
const again = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
check(Buffer.compare(Buffer.from(again.Plaintext), Buffer.from(dk.Plaintext)) === 0, "data key decrypts");

const signer = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata;
const sig = await kms.send(new SignCommand({ KeyId: signer.KeyId, Message: Buffer.from("signed in nimbus"),
  SigningAlgorithm: "ECDSA_SHA_256" }));
const pub = await kms.send(new GetPublicKeyCommand({ KeyId: signer.KeyId }));
const pem = createPublicKey({ key: Buffer.from(pub.PublicKey), format: "der", type: "spki" });
const v = createVerify("SHA256");
v.update("signed in nimbus");
check(v.verify(pem, Buffer.from(sig.Signature)), "node verifies the ECDSA signature from GetPublicKey's DER");

const missing = "11111111-2222-3333-4444-555555555555";
await rejects(kms.send(new DescribeKeyCommand({ KeyId: missing })), NotFoundException,
  `Key 'arn:aws:kms:us-east-1:000000000000:key/${missing}' does not exist`, "DescribeKey of a missing key");
await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
await rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })), DisabledException,
  `${key.Arn} is disabled.`, "Encrypt with a disabled key");
console.log("ok");
