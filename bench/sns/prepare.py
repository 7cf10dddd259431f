"""Prepare one server for bench/sns/run.py: topics, their SQS subscriptions, and the signed requests replayed.

For each fan-out F (1 and 10): topic `bench-fanout-F` with F queues subscribed (SNS envelope, not raw). Every
replayed request was made by a real SDK client (botocore, the newest: SQS speaks json) and sent once here, so
its answer is checked; it is kept as the exact bytes botocore signed (bench/ops/prepare.py's capture):
  - OUTDIR/publishF.lua: a wrk script replaying 16 Publish requests to the topic;
  - for the latency client, LAT_N Publish requests whose messages carry a token each ("lat-F-00042"), and a
    ReceiveMessage long poll (WaitTimeSeconds=2, 10 messages) per queue.
The captured publishes delivered their messages while being captured, so the queues are purged at the end.
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("ops_prepare", os.path.join(HERE, "..", "ops", "prepare.py"))
ops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ops)

FANOUTS = (1, 10)
WAIT_SECONDS = 2


def token(fanout, k):
    return f"lat-{fanout}-{k:05d}"


def prepare(endpoint, outdir, lat_n):
    """Sets the server up; returns {fanout: {"queues": [url], "publish": [raw], "receive": [raw]}}."""
    sns = ops.client("sns", endpoint)
    sqs = ops.client("sqs", endpoint)
    sns_cap = ops.Capture(sns)
    sqs_cap = ops.Capture(sqs)
    plan = {}
    for fanout in FANOUTS:
        topic = sns.create_topic(Name=f"bench-fanout-{fanout}")["TopicArn"]
        queues = []
        for q in range(fanout):
            url = sqs.create_queue(QueueName=f"bench-fanout-{fanout}-q{q}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
            queues.append(url)
        sns_cap.raw = sqs_cap.raw = None
        wrk_reqs = ops.replay(sns, sns_cap, ops.KEYS, lambda k: sns.publish(
            TopicArn=topic, Message=f"bench message {k} " + "x" * 64))
        ops.write_script(outdir, f"publish{fanout}", wrk_reqs, b"<MessageId>")
        lat_reqs = ops.replay(sns, sns_cap, lat_n, lambda k: sns.publish(TopicArn=topic, Message=token(fanout, k)))
        receives = []
        for url in queues:
            sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=WAIT_SECONDS)
            receives.append(sqs_cap.take())
        plan[fanout] = {"queues": queues, "publish": lat_reqs, "receive": receives}
    for fanout in FANOUTS:
        for url in plan[fanout]["queues"]:
            sqs.purge_queue(QueueUrl=url)
    return plan


def queued(endpoint, urls):
    """Messages the queues hold (visible and in flight)."""
    sqs = ops.client("sqs", endpoint)
    total = 0
    for url in urls:
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        total += int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])
    return total
