// @aws-sdk/client-iam against Nimbus: node test_iam.mjs <endpoint> <suffix>. Prints "ok" when
// every step answered as AWS does; exits 1 naming the first that did not.
import {
  IAMClient, CreateRoleCommand, GetRoleCommand, AttachRolePolicyCommand, ListAttachedRolePoliciesCommand,
  PutRolePolicyCommand, GetRolePolicyCommand, DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand,
  GetPolicyCommand, ListRolesCommand, NoSuchEntityException, DeleteConflictException,
  MalformedPolicyDocumentException,
} from "@aws-sdk/client-iam";

const [endpoint, suffix] = process.argv.slice(2);
const iam = new IAMClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
const role = `js-${suffix}`;
const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const inline = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });

function check(cond, what) { if (!cond) { console.log(`FAILED: ${what}`); process.exit(1); } }
async function rejects(promise, type, message, what) {
  try { await promise; } catch (e) {
    check(e instanceof type, `${what}: ${e.name} is not ${type.name}`);
    check(e.message === message, `${what}: message "${e.message}"`);
    return;
  }
  check(false, `${what}: no error`);
}

const created = (await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }))).Role;
check(created.RoleId.startsWith("AROA"), "RoleId");
check(decodeURIComponent(created.AssumeRolePolicyDocument) === trust, "trust policy URL-encoded");
await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: "inline", PolicyDocument: inline }));
const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies;
check(attached.length === 1 && attached[0].PolicyName === "ReadOnlyAccess", "attached");
const got = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: "inline" }));
check(decodeURIComponent(got.PolicyDocument) === inline, "inline document");
const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }))).Policy;
check(policy.AttachmentCount >= 1, "AttachmentCount");
const roles = (await iam.send(new ListRolesCommand({}))).Roles.map((r) => r.RoleName);
check(roles.includes(role), "ListRoles");
await rejects(iam.send(new DeleteRoleCommand({ RoleName: role })), DeleteConflictException,
  "Cannot delete entity, must delete policies first.", "DeleteRole with policies");
await rejects(iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: "bad", PolicyDocument: "{" })),
  MalformedPolicyDocumentException, "Syntax errors in policy.", "bad document");
await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: "inline" }));
await iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
await iam.send(new DeleteRoleCommand({ RoleName: role }));
await rejects(iam.send(new GetRoleCommand({ RoleName: role })), NoSuchEntityException,
  `The role with name ${role} cannot be found.`, "GetRole after delete");
console.log("ok");
