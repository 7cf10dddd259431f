// ENFORCE_IAM=1 from @aws-sdk/client-sqs and client-sts, signed with an IAM user's key (argv: endpoint,
// key id, secret, queue URL): prints one JSON line of what each call answered, for
// tests/e2e/test_enforce_javascript.py to check.
import { SQSClient, SendMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const [endpoint, accessKeyId, secretAccessKey, queueUrl] = process.argv.slice(2);
const config = (secret) => ({
  endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId, secretAccessKey: secret },
});

// what a call answered: its result's field, or the error's name, message and status
async function outcome(client, command, field) {
  try {
    const r = await client.send(command);
    return { ok: r[field] ?? null };
  } catch (e) {
    return { error: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
}

const sqs = new SQSClient(config(secretAccessKey));
console.log(JSON.stringify({
  identity: await outcome(new STSClient(config(secretAccessKey)), new GetCallerIdentityCommand({}), "Arn"),
  send: await outcome(sqs, new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "from js" }), "MessageId"),
  receive: await outcome(sqs, new ReceiveMessageCommand({ QueueUrl: queueUrl }), "Messages"),
  badSecret: await outcome(new SQSClient(config("wrong" + secretAccessKey)),
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "forged" }), "MessageId"),
}));
