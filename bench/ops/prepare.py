"""Prepare one server for bench/ops/run.sh and write a wrk script per operation.

    prepare.py ENDPOINT OUTDIR OPS...

OPS are send_json, send_query, receive, put, get. Every request a script replays was made by a
real SDK client: it is sent once to ENDPOINT here (so its answer is checked), captured as the
exact bytes botocore signed (SigV4 over this endpoint's host and port), and written to
OUTDIR/<op>.lua. The json protocol comes from the newest botocore (SQS switched to json in
1.31); the query protocol from an older botocore (< 1.31, Debian's), run by this same file as a
child (`prepare.py --query ENDPOINT OUTDIR`). ReceiveMessage uses VisibilityTimeout=0 on a
pre-filled queue, so every replayed receive gets a real message.
"""
import os
import sys

import boto3
import botocore.config

KEYS = 16  # distinct requests replayed per operation (different keys and bodies)
PREFILL = 200
OBJECT = bytes((i * 7 + 3) % 256 for i in range(1024))


def client(service, endpoint):
    cfg = botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0})
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=cfg)


class Capture:
    """Records the signed request botocore sends, as raw HTTP/1.1 bytes."""

    def __init__(self, c):
        self.raw = None
        c.meta.events.register("before-send", self.on_send)

    def on_send(self, request, **_):
        body = request.body or b""
        if hasattr(body, "read"):
            pos = body.tell()
            data = body.read()
            body.seek(pos)
            body = data
        if isinstance(body, str):
            body = body.encode()
        url = request.url.split("://", 1)[1]
        host, _, path = url.partition("/")
        lines = [f"{request.method} /{path} HTTP/1.1", f"Host: {host}"]
        for k, v in request.headers.items():
            # Expect: 100-continue makes the server send an interim answer that a replaying load
            # generator cannot wait for; SDKs other than botocore send 1 KiB bodies without it.
            if k.lower() in ("host", "content-length", "transfer-encoding", "expect"):
                continue
            v = v.decode() if isinstance(v, bytes) else v
            lines.append(f"{k}: {v}")
        lines.append("Accept-Encoding: identity")
        if body or request.method in ("PUT", "POST"):
            lines.append(f"Content-Length: {len(body)}")
        self.raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def take(self):
        raw, self.raw = self.raw, None
        if raw is None:
            sys.exit("prepare: no request captured")
        return raw


def lua_string(b):
    return '"' + "".join(chr(x) if 32 <= x < 127 and x not in (34, 92) else "\\%03d" % x for x in b) + '"'


def write_script(outdir, op, requests, expect, pattern=False):
    """A wrk script replaying `requests` in turn. `expect` is a string every answer's body holds
    (checked only in the verification run, `wrk ... -- check`, to keep the timed run's client cheap);
    with `pattern`, a Lua pattern instead (for servers that space their JSON differently)."""
    with open(os.path.join(outdir, op + ".lua"), "w") as f:
        f.write("local reqs = {\n")
        for r in requests:
            f.write("  " + lua_string(r) + ",\n")
        f.write("}\n")
        f.write(f"local expect = {lua_string(expect)}\n")
        f.write(f"local plain = {'false' if pattern else 'true'}\n")
        f.write(BODY_LUA)


BODY_LUA = r"""
local i = 0
bad = 0
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
init = function(args)
  if args[1] == "check" then
    response = function(status, headers, body)
      if status ~= 200 or not string.find(body or "", expect, 1, plain) then
        bad = bad + 1
        if bad == 1 then io.stderr:write("unexpected answer " .. status .. ": " .. (body or "") .. "\n") end
      end
    end
  end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("bad_bodies %d\n", b))
end
"""


def queue_url(c, name):
    return c.create_queue(QueueName=name)["QueueUrl"]


def replay(c, cap, n, call):
    out = []
    for k in range(n):
        call(k)
        out.append(cap.take())
    return out


def prepare_query(endpoint, outdir):
    c = client("sqs", endpoint)
    cap = Capture(c)
    url = queue_url(c, "bench-send")
    cap.take()
    reqs = replay(c, cap, KEYS, lambda k: c.send_message(QueueUrl=url, MessageBody=f"query message {k} " + "x" * 64))
    write_script(outdir, "send_query", reqs, b"MessageId")


def main():
    if sys.argv[1] == "--query":
        prepare_query(sys.argv[2], sys.argv[3])
        return
    endpoint, outdir, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
    sqs = client("sqs", endpoint)
    sqs_cap = Capture(sqs)
    s3 = client("s3", endpoint)
    s3_cap = Capture(s3)
    if "send_json" in ops:
        url = queue_url(sqs, "bench-send")
        sqs_cap.take()
        reqs = replay(sqs, sqs_cap, KEYS,
                      lambda k: sqs.send_message(QueueUrl=url, MessageBody=f"json message {k} " + "x" * 64))
        write_script(outdir, "send_json", reqs, b"MessageId")
    if "receive" in ops:
        url = queue_url(sqs, "bench-receive")
        sqs_cap.take()
        for start in range(0, PREFILL, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(j), "MessageBody": f"prefill {start + j}"}
                                                           for j in range(10)])
            sqs_cap.take()

        def receive(_):
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=0)
            if not got.get("Messages"):
                sys.exit("prepare: ReceiveMessage got no message from the pre-filled queue")
        reqs = replay(sqs, sqs_cap, 1, receive)
        write_script(outdir, "receive", reqs, b"ReceiptHandle")
    if "put" in ops or "get" in ops:
        s3.create_bucket(Bucket="bench-ops")
        s3_cap.take()
        reqs = replay(s3, s3_cap, KEYS, lambda k: s3.put_object(Bucket="bench-ops", Key=f"obj-{k}", Body=OBJECT))
        write_script(outdir, "put", reqs, b"")

        def get(k):
            if s3.get_object(Bucket="bench-ops", Key=f"obj-{k}")["Body"].read() != OBJECT:
                sys.exit("prepare: GetObject answered other bytes than were put")
        reqs = replay(s3, s3_cap, KEYS, get)
        write_script(outdir, "get", reqs, OBJECT[:64])


if __name__ == "__main__":
    main()
