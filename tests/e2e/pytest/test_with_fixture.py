"""Tests as a project using the plugin writes them: each gets the session's server, with the state
of the tests before it gone. Run in this order (pytest keeps file order)."""
import os

ENDPOINTS = set()


def record(nimbus):
    ENDPOINTS.add(nimbus.endpoint_url)
    report = os.environ.get("NB_FIXTURE_REPORT")
    if report:
        with open(report, "w") as f:
            f.write(nimbus.endpoint_url)


def test_creates_a_bucket_and_a_queue(nimbus):
    record(nimbus)
    s3, sqs = nimbus.client("s3"), nimbus.client("sqs")
    s3.create_bucket(Bucket="fixture-bucket")
    s3.put_object(Bucket="fixture-bucket", Key="k", Body=b"v")
    sqs.create_queue(QueueName="fixture-queue")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["fixture-bucket"]
    assert len(sqs.list_queues()["QueueUrls"]) == 1


def test_sees_none_of_the_previous_tests_state(nimbus):
    record(nimbus)
    assert nimbus.client("s3").list_buckets()["Buckets"] == []
    assert nimbus.client("sqs").list_queues().get("QueueUrls", []) == []


def test_settings_reach_the_server(nimbus):
    record(nimbus)
    assert nimbus.client("sts").get_caller_identity()["Account"] == "000000000000"
    import botocore.exceptions
    try:
        nimbus.client("sns").list_topics()
    except botocore.exceptions.ClientError as e:  # SERVICES=s3,sqs,sts from conftest.py
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    else:
        raise AssertionError("sns answered although SERVICES leaves it out")


def test_one_server_for_the_session(nimbus):
    record(nimbus)
    assert len(ENDPOINTS) == 1
