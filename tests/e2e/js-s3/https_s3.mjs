// S3 over HTTPS with @aws-sdk/client-s3; run by tests/e2e/test_https.py with the CA in
// NODE_EXTRA_CA_CERTS (Node's own way to trust a local CA) and the endpoint it names. Virtual-
// host addressing (the SDK's default) when the endpoint is a name: <bucket>.s3.localhost...
import assert from "node:assert/strict";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, DeleteObjectCommand,
  DeleteBucketCommand,
} from "@aws-sdk/client-s3";

const endpoint = process.argv[2];
const forcePathStyle = process.argv[3] === "path";
const s3 = new S3Client({ endpoint, forcePathStyle, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
const Bucket = `js-https-${process.pid}`;
await s3.send(new CreateBucketCommand({ Bucket }));
const body = "x".repeat(100000); // several TLS records
await s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: body }));
const got = await s3.send(new GetObjectCommand({ Bucket, Key: "k" }));
assert.equal(await got.Body.transformToString(), body);
const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket }));
assert.deepEqual(Contents.map((o) => o.Key), ["k"]);
await s3.send(new DeleteObjectCommand({ Bucket, Key: "k" }));
await s3.send(new DeleteBucketCommand({ Bucket }));
console.log("s3 over https ok");
