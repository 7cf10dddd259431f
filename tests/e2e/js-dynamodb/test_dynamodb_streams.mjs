// @aws-sdk/client-dynamodb-streams against the server named by argv[2]: a table with a stream, its
// records read through ListStreams, DescribeStream, GetShardIterator and GetRecords, and an error as
// the SDK raises it. Prints "ok" when every check passed.
import assert from "node:assert/strict";
import { DynamoDBClient, CreateTableCommand, PutItemCommand, DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBStreamsClient, ListStreamsCommand, DescribeStreamCommand, GetShardIteratorCommand, GetRecordsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb-streams";

const config = { endpoint: process.argv[2], region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" } };
const ddb = new DynamoDBClient(config);
const streams = new DynamoDBStreamsClient(config);
const TableName = "js-streams-" + process.pid;

const created = await ddb.send(new CreateTableCommand({
  TableName, BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
}));
const StreamArn = created.TableDescription.LatestStreamArn;
await ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: "a" }, b: { B: new Uint8Array([0, 255]) } } }));
await ddb.send(new DeleteItemCommand({ TableName, Key: { pk: { S: "a" } } }));

const listed = await streams.send(new ListStreamsCommand({ TableName }));
assert.deepEqual(listed.Streams.map((s) => s.StreamArn), [StreamArn]);
const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn }));
assert.equal(StreamDescription.StreamStatus, "ENABLED");
const ShardId = StreamDescription.Shards[0].ShardId;
const { ShardIterator } = await streams.send(new GetShardIteratorCommand({
  StreamArn, ShardId, ShardIteratorType: "TRIM_HORIZON" }));
const got = await streams.send(new GetRecordsCommand({ ShardIterator }));
assert.deepEqual(got.Records.map((r) => r.eventName), ["INSERT", "REMOVE"]);
assert.ok(got.Records[0].dynamodb.ApproximateCreationDateTime instanceof Date);
assert.deepEqual([...got.Records[0].dynamodb.NewImage.b.B], [0, 255]);
assert.deepEqual([...got.Records[1].dynamodb.OldImage.b.B], [0, 255]);
assert.ok(BigInt(got.Records[1].dynamodb.SequenceNumber) > BigInt(got.Records[0].dynamodb.SequenceNumber));
assert.ok(got.NextShardIterator);

try {
  await streams.send(new DescribeStreamCommand({ StreamArn: StreamArn + "x" }));
  assert.fail("no error");
} catch (e) {
  assert.ok(e instanceof ResourceNotFoundException, `${e.name}: ${e.message}`);
  assert.equal(e.$metadata.httpStatusCode, 400);
}
console.log("ok");
