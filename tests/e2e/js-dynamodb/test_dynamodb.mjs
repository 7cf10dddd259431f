// @aws-sdk/client-dynamodb and the DocumentClient (@aws-sdk/lib-dynamodb) against the server named
// by argv[2]: tables, items with conditions, a query, a batch, a transaction, and AWS's errors as the
// SDK raises them (name, $metadata.httpStatusCode, message). Prints "ok" when every check passed.
import assert from "node:assert/strict";
import {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, DeleteTableCommand, ConditionalCheckFailedException,
  ResourceNotFoundException, TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand, QueryCommand, BatchWriteCommand,
  TransactWriteCommand, DeleteCommand,
} from "@aws-sdk/lib-dynamodb";

const client = new DynamoDBClient({ endpoint: process.argv[2], region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" } });
const doc = DynamoDBDocumentClient.from(client);
const TableName = "js-" + process.pid;

async function rejects(promise, type, status, message) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof type, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata.httpStatusCode, status);
    assert.equal(e.message, message);
    return e;
  }
  assert.fail("no error");
}

const created = await client.send(new CreateTableCommand({ TableName, BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "N" }],
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }] }));
assert.equal(created.TableDescription.TableStatus, "ACTIVE");

await doc.send(new PutCommand({ TableName, Item: { pk: "a", sk: 1, tags: new Set(["x", "y"]), nested: { n: [1, "two"] } } }));
const got = await doc.send(new GetCommand({ TableName, Key: { pk: "a", sk: 1 } }));
assert.deepEqual(got.Item.nested, { n: [1, "two"] });
assert.deepEqual([...got.Item.tags].sort(), ["x", "y"]);

await rejects(doc.send(new PutCommand({ TableName, Item: { pk: "a", sk: 1 }, ConditionExpression: "attribute_not_exists(pk)" })),
  ConditionalCheckFailedException, 400, "The conditional request failed");

const upd = await doc.send(new UpdateCommand({ TableName, Key: { pk: "a", sk: 1 }, UpdateExpression: "ADD hits :one",
  ExpressionAttributeValues: { ":one": 5 }, ReturnValues: "UPDATED_NEW" }));
assert.deepEqual(upd.Attributes, { hits: 5 });

await doc.send(new BatchWriteCommand({ RequestItems: { [TableName]: [2, 3, 4].map((sk) => ({ PutRequest: { Item: { pk: "a", sk } } })) } }));
const q = await doc.send(new QueryCommand({ TableName, KeyConditionExpression: "pk = :p AND sk > :s",
  ExpressionAttributeValues: { ":p": "a", ":s": 1 }, ScanIndexForward: false }));
assert.deepEqual(q.Items.map((i) => i.sk), [4, 3, 2]);

const cancelled = await rejects(doc.send(new TransactWriteCommand({ TransactItems: [
  { Put: { TableName, Item: { pk: "b", sk: 1 } } },
  { ConditionCheck: { TableName, Key: { pk: "a", sk: 1 }, ConditionExpression: "hits > :h", ExpressionAttributeValues: { ":h": 10 } } },
] })), TransactionCanceledException, 400,
  "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]");
assert.deepEqual(cancelled.CancellationReasons.map((r) => r.Code), ["None", "ConditionalCheckFailed"]);
assert.equal((await doc.send(new GetCommand({ TableName, Key: { pk: "b", sk: 1 } }))).Item, undefined);

await doc.send(new DeleteCommand({ TableName, Key: { pk: "a", sk: 2 } }));
const d = await client.send(new DescribeTableCommand({ TableName }));
assert.equal(d.Table.ItemCount, 3);
await client.send(new DeleteTableCommand({ TableName }));
await rejects(client.send(new DescribeTableCommand({ TableName })), ResourceNotFoundException, 400,
  `Requested resource not found: Table: ${TableName} not found`);
console.log("ok");
