// @aws-sdk/client-secrets-manager against Nimbus: node test_secretsmanager.mjs <endpoint>.
// Prints "ok" when every step answered as AWS does; exits 1 naming the first that did not.
import {
  SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, DescribeSecretCommand,
  ListSecretsCommand, DeleteSecretCommand, RestoreSecretCommand, GetRandomPasswordCommand,
  BatchGetSecretValueCommand, ResourceNotFoundException, ResourceExistsException, InvalidRequestException,
} from "@aws-sdk/client-secrets-manager";

const [endpoint] = process.argv.slice(2);
const sm = new SecretsManagerClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });

function check(cond, what) { if (!cond) { console.log(`FAILED: ${what}`); process.exit(1); } }
async function rejects(promise, type, message, what) {
  try { await promise; } catch (e) {
    check(e instanceof type, `${what}: ${e.name} is not ${type.name}`);
    check(e.message === message, `${what}: message "${e.message}"`);
    return;
  }
  check(false, `${what}: no error`);
}

const created = await sm.send(new CreateSecretCommand({ Name: "js/db", SecretString: "{\"password\":\"p1\"}" }));
check(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:js\/db-[A-Za-z0-9]{6}$/.test(created.ARN), `ARN ${created.ARN}`);
let got = await sm.send(new GetSecretValueCommand({ SecretId: "js/db" }));
check(got.SecretString === "{\"password\":\"p1\"}" && got.VersionId === created.VersionId, "GetSecretValue");
check(got.CreatedDate instanceof Date, "CreatedDate is a date");
const put = await sm.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretBinary: new Uint8Array([0, 1, 255]) }));
got = await sm.send(new GetSecretValueCommand({ SecretId: "js/db" }));
check(got.VersionId === put.VersionId && Buffer.from(got.SecretBinary).equals(Buffer.from([0, 1, 255])), "binary value");
const prev = await sm.send(new GetSecretValueCommand({ SecretId: "js/db", VersionStage: "AWSPREVIOUS" }));
check(prev.VersionId === created.VersionId, "AWSPREVIOUS");
const desc = await sm.send(new DescribeSecretCommand({ SecretId: "js/db" }));
check(desc.VersionIdsToStages[put.VersionId][0] === "AWSCURRENT", "VersionIdsToStages");
const list = await sm.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: ["js/"] }] }));
check(list.SecretList.length === 1 && list.SecretList[0].Name === "js/db", "ListSecrets");
const batch = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: ["js/db", "js/none"] }));
check(batch.SecretValues.length === 1 && batch.Errors[0].ErrorCode === "ResourceNotFoundException", "BatchGetSecretValue");
await rejects(sm.send(new CreateSecretCommand({ Name: "js/db", SecretString: "x" })), ResourceExistsException,
  "The operation failed because the secret js/db already exists.", "create twice");
await rejects(sm.send(new GetSecretValueCommand({ SecretId: "js/none" })), ResourceNotFoundException,
  "Secrets Manager can't find the specified secret.", "missing secret");
await sm.send(new DeleteSecretCommand({ SecretId: "js/db", RecoveryWindowInDays: 7 }));
await rejects(sm.send(new GetSecretValueCommand({ SecretId: "js/db" })), InvalidRequestException,
  "You can't perform this operation on the secret because it was marked for deletion.", "deleted secret");
await sm.send(new RestoreSecretCommand({ SecretId: "js/db" }));
const pw = await sm.send(new GetRandomPasswordCommand({ PasswordLength: 50, ExcludePunctuation: true }));
check(/^[A-Za-z0-9]{50}$/.test(pw.RandomPassword), `password ${pw.RandomPassword}`);
console.log("ok");
