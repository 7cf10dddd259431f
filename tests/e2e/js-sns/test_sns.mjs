// @aws-sdk/client-sns (with client-sqs as the subscriber) against Nimbus: node test_sns.mjs <endpoint>.
// Prints "ok" when every step answered as AWS does; exits 1 naming the first that did not.
import {
  SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, PublishBatchCommand,
  GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, NotFoundException, InvalidParameterException,
} from "@aws-sdk/client-sns";
import {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageCommand,
} from "@aws-sdk/client-sqs";

const [endpoint] = process.argv.slice(2);
const cfg = { endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
const sns = new SNSClient(cfg), sqs = new SQSClient(cfg);

function check(cond, what) { if (!cond) { console.log(`FAILED: ${what}`); process.exit(1); } }
async function rejects(promise, type, message, what) {
  try { await promise; } catch (e) {
    check(e instanceof type, `${what}: ${e.name} is not ${type.name}`);
    check(e.message === message, `${what}: message "${e.message}"`);
    return;
  }
  check(false, `${what}: no error`);
}
async function queue(name, attrs = {}) {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }))).QueueUrl;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
  return { url, arn };
}
async function receive(url, want) {
  const got = [];
  for (let i = 0; i < 10 && got.length < want; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
      MessageAttributeNames: ["All"], AttributeNames: ["All"] }));
    for (const m of r.Messages ?? []) {
      got.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

const topic = (await sns.send(new CreateTopicCommand({ Name: "js-topic" }))).TopicArn;
check(topic === "arn:aws:sns:us-east-1:000000000000:js-topic", `TopicArn ${topic}`);
const wrapped = await queue("js-wrapped"), raw = await queue("js-raw");
await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: "sqs", Endpoint: wrapped.arn }));
await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: "sqs", Endpoint: raw.arn,
  Attributes: { RawMessageDelivery: "true" } }));
const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }))).Subscriptions;
check(subs.length === 2, "two subscriptions");
const pub = await sns.send(new PublishCommand({ TopicArn: topic, Message: "from js", Subject: "s",
  MessageAttributes: { kind: { DataType: "String", StringValue: "test" } } }));
const env = JSON.parse((await receive(wrapped.url, 1))[0].Body);
check(env.Type === "Notification" && env.MessageId === pub.MessageId && env.Message === "from js", "envelope");
check(env.MessageAttributes.kind.Value === "test", "envelope attributes");
const rawMsg = (await receive(raw.url, 1))[0];
check(rawMsg.Body === "from js", "raw body");
check(rawMsg.MessageAttributes.kind.StringValue === "test", "raw attributes");

const batch = await sns.send(new PublishBatchCommand({ TopicArn: topic, PublishBatchRequestEntries: [
  { Id: "one", Message: "b1" }, { Id: "two", Message: "b2" }] }));
check(batch.Successful.length === 2 && (batch.Failed ?? []).length === 0, "batch");
check((await receive(raw.url, 2)).map((m) => m.Body).sort().join() === "b1,b2", "batch delivered");

const fifo = (await sns.send(new CreateTopicCommand({ Name: "js.fifo", Attributes: { FifoTopic: "true" } }))).TopicArn;
const fq = await queue("js.fifo", { FifoQueue: "true" });
await sns.send(new SubscribeCommand({ TopicArn: fifo, Protocol: "sqs", Endpoint: fq.arn }));
const f1 = await sns.send(new PublishCommand({ TopicArn: fifo, Message: "f", MessageGroupId: "g", MessageDeduplicationId: "d" }));
check(/^\d{20}$/.test(f1.SequenceNumber), `SequenceNumber ${f1.SequenceNumber}`);
const fm = (await receive(fq.url, 1))[0];
check(fm.Attributes.MessageGroupId === "g", "FIFO group id");

await rejects(sns.send(new GetTopicAttributesCommand({ TopicArn: "arn:aws:sns:us-east-1:000000000000:none" })),
  NotFoundException, "Topic does not exist", "missing topic");
await rejects(sns.send(new PublishCommand({ TopicArn: topic, Message: "" })), InvalidParameterException,
  "Invalid parameter: Empty message", "empty message");
console.log("ok");
