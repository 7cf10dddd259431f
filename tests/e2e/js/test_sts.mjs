// STS with @aws-sdk/client-sts: an assumed role's credentials act in its account (SQS) and as
// its identity; federation tokens; GetAccessKeyInfo. Run by tests/e2e/test_sts_javascript.py.
import assert from "node:assert/strict";
import {
  STSClient, AssumeRoleCommand, GetCallerIdentityCommand, GetFederationTokenCommand, GetAccessKeyInfoCommand,
} from "@aws-sdk/client-sts";
import { SQSClient, CreateQueueCommand } from "@aws-sdk/client-sqs";

const endpoint = process.argv[2];
const base = { endpoint, region: "us-east-1" };
const root = { ...base, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
const as = (c) => ({
  ...base,
  credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
});

const sts = new STSClient(root);
const r = await sts.send(new AssumeRoleCommand({
  RoleArn: "arn:aws:iam::111111111111:role/JsRole", RoleSessionName: "js-session", DurationSeconds: 1800,
}));
assert.match(r.Credentials.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
assert.ok(r.Credentials.Expiration instanceof Date);
assert.equal(r.AssumedRoleUser.Arn, "arn:aws:sts::111111111111:assumed-role/JsRole/js-session");

const me = await new STSClient(as(r.Credentials)).send(new GetCallerIdentityCommand({}));
assert.equal(me.Account, "111111111111");
assert.equal(me.Arn, "arn:aws:sts::111111111111:assumed-role/JsRole/js-session");
assert.equal(me.UserId, r.AssumedRoleUser.AssumedRoleId);

const q = await new SQSClient(as(r.Credentials)).send(new CreateQueueCommand({ QueueName: "js-role-queue" }));
assert.match(q.QueueUrl, /\/111111111111\/js-role-queue$/);

const f = await sts.send(new GetFederationTokenCommand({ Name: "jsfed" }));
assert.equal(f.FederatedUser.Arn, "arn:aws:sts::000000000000:federated-user/jsfed");
const fme = await new STSClient(as(f.Credentials)).send(new GetCallerIdentityCommand({}));
assert.equal(fme.Arn, f.FederatedUser.Arn);

const info = await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: r.Credentials.AccessKeyId }));
assert.equal(info.Account, "111111111111");
console.log("ok");
