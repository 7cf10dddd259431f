#!/usr/bin/python3
"""SIGTERM to exit with an idle consumer (issue 24, item 5): a server with one SQS consumer
blocked in a 20 s long poll gets SIGTERM; prints each run's time to process exit and the median.
    /usr/bin/python3 bench/shutdown/shutdown.py [runs]      (uses build/nimbus, or $NIMBUS_BIN)"""
import os, signal, statistics, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
from test_shutdown import LongPollConsumer, sqs_client  # noqa: E402
from nimbus_server import Nimbus  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
times = []
for _ in range(runs):
    n = Nimbus(SERVICES="sqs").start()
    queue_url = sqs_client(n.url).create_queue(QueueName="jobs")["QueueUrl"]
    consumer = LongPollConsumer(n.url, queue_url).start()
    start = time.monotonic()
    n.proc.send_signal(signal.SIGTERM)
    n.proc.wait()
    times.append((time.monotonic() - start) * 1000)
    consumer.thread.join(5)
    n.stop()
    print(f"exit {times[-1]:.1f} ms, long poll answered: {consumer.answer is not None and consumer.error is None}")
print(f"median {statistics.median(times):.1f} ms over {runs} runs")
