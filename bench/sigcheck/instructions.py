#!/usr/bin/env python3
"""ENFORCE_IAM's cost in instructions, which other load on a shared machine leaves alone: the server
under callgrind (bench/callgrind_count.py) over N requests after N uncounted ones, for ENFORCE_IAM=0
and 1. The request is bench/sigcheck/run.py's: SQS ListQueues (json) signed with an IAM user's key.
valgrind runs SHA-256 without the SHA extensions, so the hashing weighs more here than on the CPU.
    bench/sigcheck/instructions.py [N]    (NIMBUS_BIN: build/nimbus; valgrind on PATH; KEEP=1 keeps
                                           the callgrind files for callgrind_annotate)"""
import os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import run  # noqa: E402  (bench/sigcheck/run.py: the signed request)
from callgrind_count import CallgrindNimbus, raw_request  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
counts = {}
for enforce in ("0", "1"):
    with CallgrindNimbus(ENFORCE_IAM=enforce, SERVICES="sqs,iam,sts", LS_LOG="warn") as n:
        headers, body = run.signed_request(n)
        counts[enforce] = n.count(raw_request(n.port, "POST", "/", headers, body), N)
for enforce, c in counts.items():
    print("ENFORCE_IAM=%s: %.0f instructions per request (%d requests, callgrind)" % (enforce, c, N))
print("cost: %.1f%% instructions per request" % (100 * (counts["1"] / counts["0"] - 1)))
