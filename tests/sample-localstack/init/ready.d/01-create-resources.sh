#!/bin/bash
# Runs once LocalStack is ready (mounted at /etc/localstack/init/ready.d): the bucket and the
# queue the tests expect.
set -euo pipefail

awslocal s3 mb s3://sample-uploads
awslocal sqs create-queue --queue-name sample-jobs
echo "sample resources created"
