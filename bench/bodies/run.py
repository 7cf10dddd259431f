#!/usr/bin/env python3
"""Body-limit benchmark (issue 24 item 3): for each large request, on a fresh server, the answer, its time,
the server's peak RSS (VmHWM) and its RSS once back within 4 MiB of where it was (or after 15 s), and the slowest of health probes sent every 10 ms meanwhile
(how long the loop was blocked).
    NIMBUS_BIN=build/nimbus python3 bench/bodies/run.py"""
import os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e"))
from test_body_limits import (DDB_AUTH, DDB_TARGET, S3_AUTH, MiB, Nimbus, Probe, final_answer,  # noqa: E402
                              proc_status_mib, raw_request, ddb_put_item)
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def ddb(body):
    return ("POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"
            "Authorization: %s\r\nContent-Length: %d\r\n\r\n" % (DDB_TARGET, DDB_AUTH, len(body))), body


def complete_mpu(upload, nparts, etag_len):
    etag = '"%s"' % ("e" * etag_len)
    xml = ("<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
        "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (i, etag) for i in range(1, nparts + 1))).encode()
    return ("POST /bench-bkt/mpu?uploadId=%s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n"
            % (upload, S3_AUTH, len(xml))), xml


CASES = [
    ("60 MB JSON (DynamoDB PutItem)", lambda up: ddb(ddb_put_item(10, pad=60 * MiB))),
    ("15 MB JSON, 1,600 attributes of 10 kB (PutItem)", lambda up: ddb(('{"TableName":"tbl","Item":{%s}}' % ",".join(
        '"attr%d":{"S":"%s"}' % (i, "%05d" % i * 2000) for i in range(1600))).encode())),
    ("16 MB JSON, 640k attributes (DynamoDB PutItem)", lambda up: ddb(ddb_put_item((16 * MiB - 65536) // 27))),
    ("38 MB XML (CompleteMultipartUpload, 10,000 parts)", lambda up: complete_mpu(up, 10000, 3900)),
    ("9.1 MB XML (CompleteMultipartUpload, 10,000 parts)", lambda up: complete_mpu(up, 10000, 900)),
]

for name, make in CASES:
    n = Nimbus(SERVICES="s3,dynamodb").start()
    try:
        s3 = boto3.client("s3", endpoint_url=n.url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test", config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket="bench-bkt")
        upload = s3.create_multipart_upload(Bucket="bench-bkt", Key="mpu")["UploadId"]
        head, body = make(upload)
        raw_request(n.port, ddb(ddb_put_item(10))[0], ddb(ddb_put_item(10))[1])  # the spec's shapes loaded
        rss0 = proc_status_mib(n.proc.pid, "VmRSS")
        with Probe(n.port) as probe:
            try:
                data, elapsed = raw_request(n.port, head, body, read_timeout=120)
                status = final_answer(data)[0] if data else "none (closed)"
            except (BrokenPipeError, ConnectionResetError) as e:
                status, elapsed = type(e).__name__, float("nan")
        hwm = proc_status_mib(n.proc.pid, "VmHWM")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 15 and proc_status_mib(n.proc.pid, "VmRSS") > rss0 + 4:
            time.sleep(0.1)
        rss = proc_status_mib(n.proc.pid, "VmRSS")
        print("%-52s -> %s in %.2f s; RSS %.0f MiB before, peak %.0f, %.0f after %.1f s; slowest probe %.0f ms"
              % (name, status, elapsed, rss0, hwm, rss, time.monotonic() - t0, probe.max_ms), flush=True)
    finally:
        n.stop()
