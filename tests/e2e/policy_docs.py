"""What the ENFORCE_IAM tests share: policy documents and clients with one attempt per call (a
denied call is answered once, not retried)."""
import json

import boto3
from botocore.config import Config


def doc(*statements):
    """A policy document of these statements, as IAM takes it (JSON text)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def client(url, service, key="test", secret="test", token=None, verify=None):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token, verify=verify,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
