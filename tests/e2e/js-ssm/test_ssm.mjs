// @aws-sdk/client-ssm against Nimbus: node test_ssm.mjs <endpoint>.
// Prints "ok" when every step answered as AWS does; exits 1 naming the first that did not.
import {
  SSMClient, PutParameterCommand, GetParameterCommand, GetParametersCommand, GetParametersByPathCommand,
  DescribeParametersCommand, LabelParameterVersionCommand, DeleteParameterCommand, paginateGetParametersByPath,
  ParameterNotFound, ParameterAlreadyExists, ParameterVersionNotFound,
} from "@aws-sdk/client-ssm";

const [endpoint] = process.argv.slice(2);
const ssm = new SSMClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });

function check(cond, what) { if (!cond) { console.log(`FAILED: ${what}`); process.exit(1); } }
async function rejects(promise, type, message, what) {
  try { await promise; } catch (e) {
    check(e instanceof type, `${what}: ${e.name} is not ${type.name}`);
    check(e.message === message, `${what}: message "${e.message}"`);
    return;
  }
  check(false, `${what}: no error`);
}

const base = "/js/app";
let r = await ssm.send(new PutParameterCommand({ Name: `${base}/url`, Value: "http://a", Type: "String" }));
check(r.Version === 1 && r.Tier === "Standard", "PutParameter version 1");
await rejects(ssm.send(new PutParameterCommand({ Name: `${base}/url`, Value: "x", Type: "String" })), ParameterAlreadyExists,
  "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.", "no overwrite");
r = await ssm.send(new PutParameterCommand({ Name: `${base}/url`, Value: "http://b", Overwrite: true }));
check(r.Version === 2, "overwrite makes version 2");
await ssm.send(new PutParameterCommand({ Name: `${base}/token`, Value: "t0ken", Type: "SecureString" }));
await ssm.send(new PutParameterCommand({ Name: `${base}/deep/list`, Value: "a,b", Type: "StringList" }));

let p = (await ssm.send(new GetParameterCommand({ Name: `${base}/token`, WithDecryption: true }))).Parameter;
check(p.Value === "t0ken" && p.Type === "SecureString", "SecureString decrypted");
check(p.LastModifiedDate instanceof Date, "LastModifiedDate is a date");
p = (await ssm.send(new GetParameterCommand({ Name: `${base}/token` }))).Parameter;
check(p.Value !== "t0ken", "SecureString hidden without decryption");
p = (await ssm.send(new GetParameterCommand({ Name: `${base}/url:1` }))).Parameter;
check(p.Value === "http://a" && p.Selector === ":1", "version selector");
await rejects(ssm.send(new GetParameterCommand({ Name: `${base}/url:5` })), ParameterVersionNotFound,
  `Systems Manager could not find version 5 of ${base}/url. Verify the version and try again.`, "missing version");
await ssm.send(new LabelParameterVersionCommand({ Name: `${base}/url`, ParameterVersion: 1, Labels: ["stable"] }));
p = (await ssm.send(new GetParameterCommand({ Name: `${base}/url:stable` }))).Parameter;
check(p.Value === "http://a", "label selector");

r = await ssm.send(new GetParametersCommand({ Names: [`${base}/url`, `${base}/nope`] }));
check(r.Parameters.length === 1 && r.InvalidParameters[0] === `${base}/nope`, "GetParameters InvalidParameters");

const names = [];
for await (const page of paginateGetParametersByPath({ client: ssm, pageSize: 1 }, { Path: base, Recursive: true })) {
  check(page.Parameters.length <= 1, "page size 1");
  names.push(...page.Parameters.map((x) => x.Name));
}
check(JSON.stringify(names) === JSON.stringify([`${base}/deep/list`, `${base}/token`, `${base}/url`]),
  `paginated by path: ${names}`);
r = await ssm.send(new GetParametersByPathCommand({ Path: base }));
check(r.Parameters.length === 2, "one level only");

r = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Type", Values: ["SecureString"] }] }));
check(r.Parameters.length === 1 && r.Parameters[0].KeyId === "alias/aws/ssm", "describe by type");

r = await ssm.send(new GetParameterCommand({ Name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" }));
check(/^ami-[0-9a-f]{17}$/.test(r.Parameter.Value), "public AMI parameter");

await ssm.send(new DeleteParameterCommand({ Name: `${base}/url` }));
await rejects(ssm.send(new GetParameterCommand({ Name: `${base}/url` })), ParameterNotFound, "UnknownError", "deleted");
console.log("ok");
