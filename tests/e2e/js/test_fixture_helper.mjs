// The Node helper (tests/fixtures/node/nimbus.mjs) as Vitest's globalSetup runs it, then tests
// whose clients get the endpoint and credentials from the environment only; run by
// tests/e2e/test_node_fixture.py. @aws-sdk/client-s3 comes from ../js-s3 (its own lock).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, ListQueuesCommand }
  from "@aws-sdk/client-sqs";
import setup, { sharedNimbus, startNimbus } from "../../fixtures/node/nimbus.mjs";

const requireS3 = createRequire(new URL("../js-s3/package.json", import.meta.url));
const { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListBucketsCommand } =
  requireS3("@aws-sdk/client-s3");

assert.equal(process.env.AWS_ENDPOINT_URL, undefined, "the runner must start without an endpoint");
const teardown = await setup(); // what Vitest does before any test file
const endpoint = process.env.AWS_ENDPOINT_URL;
assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
assert.equal(process.env.AWS_ACCESS_KEY_ID, "test");
assert.equal(process.env.AWS_REGION, "us-east-1");

// clients configured by the environment alone
const s3 = new S3Client({ forcePathStyle: true });
// Queue URLs name sqs.<region>.localhost.localstack.cloud, which resolves to 127.0.0.1 through
// public DNS only: offline (as here) the client keeps to the endpoint instead.
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
await s3.send(new CreateBucketCommand({ Bucket: "node-fixture" }));
await s3.send(new PutObjectCommand({ Bucket: "node-fixture", Key: "k", Body: "from node" }));
const got = await s3.send(new GetObjectCommand({ Bucket: "node-fixture", Key: "k" }));
assert.equal(await got.Body.transformToString(), "from node");
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "node-fixture" }));
await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello" }));
const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
assert.deepEqual(received.Messages.map((m) => m.Body), ["hello"]);

// a test worker is a child process: it inherits the environment and reaches the same server
const worker = execFileSync(process.execPath, ["--input-type=module", "-e", `
  import { SQSClient, ListQueuesCommand } from "@aws-sdk/client-sqs";
  const out = await new SQSClient({}).send(new ListQueuesCommand({}));
  console.log(JSON.stringify(out.QueueUrls));`], { cwd: new URL(".", import.meta.url).pathname, encoding: "utf8" });
assert.equal(JSON.parse(worker).length, 1);

// reset between test files
await sharedNimbus().reset();
assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets, []);
assert.equal((await sqs.send(new ListQueuesCommand({}))).QueueUrls, undefined);

await teardown();
assert.equal(sharedNimbus(), undefined);
await assert.rejects(fetch(endpoint + "/_localstack/health"), "the server stopped with the tear-down");

await assert.rejects(startNimbus({ bin: "/nonexistent/nimbus" }), /cannot run \/nonexistent\/nimbus/);

// Jest's form: set-up and tear-down files that share the server through the global object, called
// with Jest's configs as arguments
const { default: jestSetup } = await import("../../fixtures/node/jest-global-setup.mjs");
const { default: jestTeardown } = await import("../../fixtures/node/jest-global-teardown.mjs");
delete process.env.AWS_ENDPOINT_URL;
await jestSetup({ rootDir: "/", testTimeout: 5000 }, { rootDir: "/" });
const jestEndpoint = process.env.AWS_ENDPOINT_URL;
assert.equal((await fetch(jestEndpoint + "/_localstack/health")).status, 200);
await jestTeardown({ rootDir: "/" }, { rootDir: "/" });
await assert.rejects(fetch(jestEndpoint + "/_localstack/health"));
console.log("node fixture helper: ok");
