// The AWS SDK for JavaScript v3 against Nimbus: stream uploads (aws-chunked with a CRC32 trailer),
// lib-storage multipart uploads of a stream, and ranged downloads. Prints "ok" when all pass.
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
         ListObjectsV2Command } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable } from "node:stream";
import { createHash, randomBytes } from "node:crypto";
import assert from "node:assert/strict";

const endpoint = process.argv[2];
const s3 = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true,
                          credentials: { accessKeyId: "test", secretAccessKey: "test" } });
const md5 = (b) => createHash("md5").update(b).digest("hex");
const bytes = async (body) => Buffer.from(await body.transformToByteArray());

await s3.send(new CreateBucketCommand({ Bucket: "js-bkt" }));

// A string body: x-amz-checksum-crc32 header.
await s3.send(new PutObjectCommand({ Bucket: "js-bkt", Key: "small", Body: "hello from js" }));
assert.equal((await bytes((await s3.send(new GetObjectCommand({ Bucket: "js-bkt", Key: "small" }))).Body)).toString(),
             "hello from js");

// A stream body of known length: aws-chunked with a trailing checksum.
const data = randomBytes(3 * 1024 * 1024 + 11);
await s3.send(new PutObjectCommand({ Bucket: "js-bkt", Key: "stream", ContentLength: data.length,
                                     Body: Readable.from([data.subarray(0, 100000), data.subarray(100000)]),
                                     ChecksumAlgorithm: "CRC32" }));
const head = await s3.send(new HeadObjectCommand({ Bucket: "js-bkt", Key: "stream", ChecksumMode: "ENABLED" }));
assert.equal(head.ContentLength, data.length);
assert.equal(head.ETag, `"${md5(data)}"`);
assert.ok(head.ChecksumCRC32);
const got = await s3.send(new GetObjectCommand({ Bucket: "js-bkt", Key: "stream", Range: "bytes=5-99" }));
assert.deepEqual(await bytes(got.Body), data.subarray(5, 100));

// lib-storage: a multipart upload of a stream of unknown length.
const big = randomBytes(12 * 1024 * 1024 + 5);
const up = new Upload({ client: s3, params: { Bucket: "js-bkt", Key: "multi", Body: Readable.from([big]) },
                        partSize: 5 * 1024 * 1024, queueSize: 2 });
await up.done();
const all = await s3.send(new GetObjectCommand({ Bucket: "js-bkt", Key: "multi" }));
assert.equal(md5(await bytes(all.Body)), md5(big));
assert.match(all.ETag, /-3"$/);

const list = await s3.send(new ListObjectsV2Command({ Bucket: "js-bkt" }));
assert.deepEqual(list.Contents.map((c) => c.Key), ["multi", "small", "stream"]);
console.log("ok");
