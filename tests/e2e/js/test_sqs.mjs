// SQS over the json protocol with @aws-sdk/client-sqs; run by tests/e2e/test_sqs.py.
import assert from "node:assert/strict";
import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, SendMessageCommand, SendMessageBatchCommand,
  ReceiveMessageCommand, DeleteMessageCommand, GetQueueAttributesCommand, DeleteQueueCommand,
  QueueDoesNotExist, ListQueuesCommand, ChangeMessageVisibilityCommand, TagQueueCommand, ListQueueTagsCommand,
} from "@aws-sdk/client-sqs";

const endpoint = process.argv[2];
const sqs = new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
const name = `js-${process.pid}`;

const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "10" } }));
assert.equal(QueueUrl, `http://sqs.us-east-1.localhost.localstack.cloud:${new URL(endpoint).port}/000000000000/${name}`);
assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl, QueueUrl);
assert.ok((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "js-" }))).QueueUrls.includes(QueueUrl));

// the SDK checks MD5OfMessageBody (and attributes) itself: a wrong one would throw
const attrs = { k: { DataType: "String", StringValue: "v" }, b: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2]) } };
const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello from js", MessageAttributes: attrs }));
assert.ok(sent.MessageId);
assert.ok(sent.MD5OfMessageAttributes);
const batch = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "a", MessageBody: "one" }, { Id: "b", MessageBody: "two", DelaySeconds: 901 }] }));
assert.deepEqual(batch.Successful.map((e) => e.Id), ["a"]);
assert.equal(batch.Failed[0].Code, "InvalidParameterValue");

const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"], WaitTimeSeconds: 1 }));
assert.equal(got.Messages.length, 2);
const m = got.Messages.find((x) => x.Body === "hello from js");
assert.equal(m.MessageAttributes.k.StringValue, "v");
assert.deepEqual([...m.MessageAttributes.b.BinaryValue], [0, 1, 2]);
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
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(262145) }));
  assert.fail("expected InvalidParameterValue");
} catch (e) {
  assert.match(e.name + " " + (e.Code ?? ""), /InvalidParameterValue/);
}
await sqs.send(new DeleteQueueCommand({ QueueUrl }));
console.log("ok");
