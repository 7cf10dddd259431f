// SQS over the json protocol with @aws-sdk/client-sqs; run by tests/e2e/test_sqs.py.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, SendMessageCommand, SendMessageBatchCommand,
  ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand,
  DeleteQueueCommand, PurgeQueueCommand, QueueDoesNotExist, PurgeQueueInProgress, ReceiptHandleIsInvalid,
  ListQueuesCommand, ChangeMessageVisibilityCommand, ChangeMessageVisibilityBatchCommand, TagQueueCommand,
  ListQueueTagsCommand,
} from "@aws-sdk/client-sqs";

// AWS's MD5 of message attributes, from the documented algorithm: names sorted by their bytes;
// each name, its DataType and its value length-prefixed (4 bytes, big-endian), with a transport
// byte (1 string, 2 binary) before the value.
function attributesMd5(attrs) {
  const h = createHash("md5");
  const lp = (b) => { const n = Buffer.alloc(4); n.writeUInt32BE(b.length); h.update(n); h.update(b); };
  const names = Object.keys(attrs).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const a = attrs[name];
    lp(Buffer.from(name));
    lp(Buffer.from(a.DataType));
    if (a.StringValue !== undefined) {
      h.update(Buffer.from([1]));
      lp(Buffer.from(a.StringValue));
    } else {
      h.update(Buffer.from([2]));
      lp(Buffer.from(a.BinaryValue));
    }
  }
  return h.digest("hex");
}

const endpoint = process.argv[2];
const sqs = new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
const name = `js-${process.pid}`;

const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "10" } }));
assert.equal(QueueUrl, `http://sqs.us-east-1.localhost.localstack.cloud:${new URL(endpoint).port}/000000000000/${name}`);
assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl, QueueUrl);
assert.ok((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "js-" }))).QueueUrls.includes(QueueUrl));

// the SDK checks the body MD5s itself (MD5OfMessageBody on send, MD5OfBody on receive: a wrong one
// throws) but not the attribute MD5s: those are checked here against attributesMd5
const attrs = { k: { DataType: "String", StringValue: "v" }, b: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2]) },
  "n.x": { DataType: "Number.float", StringValue: "1.5" } };
const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello from js", MessageAttributes: attrs }));
assert.ok(sent.MessageId);
assert.equal(sent.MD5OfMessageAttributes, attributesMd5(attrs));
assert.equal(sent.MD5OfMessageAttributes, "85f97958dc81de013db1f0cd708c3227"); // attrs_md5 in test_sqs.py says so too
const batch = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "a", MessageBody: "one" }, { Id: "b", MessageBody: "two", DelaySeconds: 901 }] }));
assert.deepEqual(batch.Successful.map((e) => e.Id), ["a"]);
assert.equal(batch.Failed[0].Code, "InvalidParameterValue");

const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"], WaitTimeSeconds: 1 }));
assert.equal(got.Messages.length, 2);
const m = got.Messages.find((x) => x.Body === "hello from js");
assert.equal(m.MessageAttributes.k.StringValue, "v");
assert.deepEqual([...m.MessageAttributes.b.BinaryValue], [0, 1, 2]);
assert.equal(m.MD5OfMessageAttributes, attributesMd5(m.MessageAttributes));
assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
assert.equal(m.Attributes.ApproximateReceiveCount, "1");
await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
for (const x of got.Messages) await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: x.ReceiptHandle }));
const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
assert.equal(a.Attributes.ApproximateNumberOfMessages, "0");
assert.equal(a.Attributes.VisibilityTimeout, "10");

await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { a: "1" } }));
assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { a: "1" });

// errors: the modeled exception class, the query code from x-amzn-query-error
try {
  await sqs.send(new GetQueueUrlCommand({ QueueName: "missing-" + name }));
  assert.fail("expected QueueDoesNotExist");
} catch (e) {
  assert.ok(e instanceof QueueDoesNotExist, e.name);
  assert.equal(e.$metadata.httpStatusCode, 400);
  assert.equal(e.message, "The specified queue does not exist.");
}
try {
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(1048577) }));
  assert.fail("expected InvalidParameterValue");
} catch (e) {
  assert.match(e.name + " " + (e.Code ?? ""), /InvalidParameterValue/);
}
// batches: each entry that fails says why, the others go through
const two = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "ok", MessageBody: "b1" }, { Id: "big", MessageBody: "b2", MessageAttributes: Object.fromEntries([...Array(11).keys()].map((i) => [`a${i}`, { DataType: "String", StringValue: "x" }])) }] }));
assert.deepEqual(two.Successful.map((e) => e.Id), ["ok"]);
assert.deepEqual(two.Failed.map((e) => [e.Id, e.Code, e.SenderFault]), [["big", "InvalidParameterValue", true]]);
const b1 = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }))).Messages[0];
const del = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: "good", ReceiptHandle: b1.ReceiptHandle }, { Id: "bad", ReceiptHandle: "not-a-handle" }] }));
assert.deepEqual(del.Successful.map((e) => e.Id), ["good"]);
assert.deepEqual(del.Failed.map((e) => [e.Id, e.Code, e.SenderFault]), [["bad", "ReceiptHandleIsInvalid", true]]);
const vis = await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: [{ Id: "bad", ReceiptHandle: "not-a-handle", VisibilityTimeout: 5 }] }));
assert.deepEqual(vis.Failed.map((e) => [e.Id, e.Code]), [["bad", "ReceiptHandleIsInvalid"]]);
// a receipt handle that is not one: the modeled exception
try {
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: "not-a-handle" }));
  assert.fail("expected ReceiptHandleIsInvalid");
} catch (e) {
  assert.ok(e instanceof ReceiptHandleIsInvalid, e.name);
  assert.equal(e.message, 'The input receipt handle "not-a-handle" is not a valid receipt handle.');
}
// one purge a minute
await sqs.send(new PurgeQueueCommand({ QueueUrl }));
try {
  await sqs.send(new PurgeQueueCommand({ QueueUrl }));
  assert.fail("expected PurgeQueueInProgress");
} catch (e) {
  assert.ok(e instanceof PurgeQueueInProgress, e.name);
  assert.equal(e.message, `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`);
}
await sqs.send(new DeleteQueueCommand({ QueueUrl }));
console.log("ok");
