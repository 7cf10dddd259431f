// SQS over HTTPS with @aws-sdk/client-sqs; run by tests/e2e/test_https.py with the CA in
// NODE_EXTRA_CA_CERTS (Node's own way to trust a local CA) and the endpoint it names.
import assert from "node:assert/strict";
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand, DeleteQueueCommand,
} from "@aws-sdk/client-sqs";

const endpoint = process.argv[2];
const sqs = new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `js-https-${process.pid}` }));
await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "over tls" }));
const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
assert.equal(Messages.length, 1);
assert.equal(Messages[0].Body, "over tls");
await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle }));
await sqs.send(new DeleteQueueCommand({ QueueUrl }));
console.log("sqs over https ok");
