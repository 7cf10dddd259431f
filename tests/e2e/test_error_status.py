"""Every error code a plugin or the core can answer carries AWS's HTTP status, so clients that
branch on the status take the right path.

AWS_STATUS is the reference, from AWS's documentation (S3 "List of error codes", the SQS and
STS API references, the common errors of every query/json service). The codes are read from
the sources (every nb_error* call, SQS's err_set, S3's per-subresource missing codes and the
core's nb__aws_error_set calls), so a new code without a status fails here. A code answered
without an explicit status gets whatever the core resolves (spec or overlay.json error shape,
else the core's common errors): nimbus-marshal runs that same resolution. Reachable codes are
also checked on the wire against a running server."""
import base64, glob, json, os, re, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(__file__))
from nimbus_server import BINARY_DIR, SOURCE_DIR, Nimbus  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

COMMON = {
    "InternalError": 500, "InternalFailure": 500, "InvalidParameterValue": 400, "MissingParameter": 400,
    "MalformedQueryString": 404, "RequestEntityTooLarge": 413, "SerializationException": 400,
    "InvalidParameter": 400, "ValidationException": 400, "ValidationError": 400, "ServiceUnavailable": 503,
    "NotImplemented": 501, "ThrottlingException": 400, "AccessDeniedException": 400,
}

AWS_STATUS = {
    "s3": dict(COMMON, **{
        "AccessDenied": 403, "AccessForbidden": 403, "AuthorizationQueryParametersError": 400, "BadDigest": 400,
        "BadRequest": 400, "BucketAlreadyExists": 409, "BucketAlreadyOwnedByYou": 409, "BucketNotEmpty": 409,
        "EntityTooLarge": 400, "EntityTooSmall": 400, "IllegalLocationConstraintException": 400,
        "IncompleteBody": 400, "InternalError": 500, "InvalidArgument": 400, "InvalidBucketName": 400,
        "InvalidBucketState": 409, "InvalidChunkSizeError": 403, "InvalidDigest": 400,
        "InvalidLocationConstraint": 400, "InvalidObjectState": 403, "InvalidPart": 400, "InvalidPartNumber": 416,
        "InvalidPartOrder": 400, "InvalidRange": 416, "InvalidRequest": 400, "KeyTooLongError": 400,
        "MalformedACLError": 400, "MalformedPOSTRequest": 400, "MalformedTrailerError": 400, "MalformedXML": 400,
        "MethodNotAllowed": 405, "MissingContentLength": 411, "MissingSecurityHeader": 400, "NoSuchBucket": 404,
        "NoSuchBucketPolicy": 404, "NoSuchCORSConfiguration": 404, "NoSuchKey": 404,
        "NoSuchLifecycleConfiguration": 404, "NoSuchPublicAccessBlockConfiguration": 404, "NoSuchTagSet": 404,
        "NoSuchUpload": 404, "NoSuchVersion": 404, "NoSuchWebsiteConfiguration": 404, "NotImplemented": 501,
        "NotModified": 304, "ObjectLockConfigurationNotFoundError": 404, "OperationAborted": 409,
        "OwnershipControlsNotFoundError": 404, "PreconditionFailed": 412, "RequestTimeout": 400,
        "ServerSideEncryptionConfigurationNotFoundError": 404, "ServiceUnavailable": 503,
        "SignatureDoesNotMatch": 403, "SlowDown": 503, "UnexpectedContent": 400,
        "AccessControlListNotSupported": 400, "CrossLocationLoggingProhibitted": 403, "InvalidPolicyDocument": 400,
        "InvalidStorageClass": 400, "InvalidTag": 400, "InvalidTargetBucketForLogging": 400, "MetadataTooLarge": 400,
        "RestoreAlreadyInProgress": 409, "XAmzContentSHA256Mismatch": 400,
    }),
    "sqs": dict(COMMON, **{
        "BatchEntryIdsNotDistinct": 400, "BatchRequestTooLong": 400, "EmptyBatchRequest": 400,
        "FailedPrecondition": 400, "InvalidAttributeName": 400, "InvalidAttributeValue": 400,
        "InvalidBatchEntryId": 400, "InvalidMessageContents": 400, "MessageNotInflight": 400, "OverLimit": 403,
        "PurgeQueueInProgress": 403, "QueueDoesNotExist": 400, "QueueNameExists": 400,
        "ReceiptHandleIsInvalid": 404, "ResourceNotFoundException": 404, "TooManyEntriesInBatchRequest": 400,
        "UnsupportedOperation": 400,
    }),
    "sts": dict(COMMON, **{
        "AccessDenied": 403, "ExpiredTokenException": 400, "IDPCommunicationError": 400, "IDPRejectedClaim": 403,
        "InvalidAuthorizationMessageException": 400, "InvalidIdentityToken": 400, "MalformedPolicyDocument": 400,
        "PackedPolicyTooLarge": 400, "RegionDisabledException": 403,
    }),
}

SPECS = {"s3": ("s3/2006-03-01", "GetObject"), "sqs": ("sqs/2012-11-05", "SendMessage"),
         "sts": ("sts/2011-06-15", "GetCallerIdentity")}

# codes answered with the status the core resolves
RESOLVED = [r'nb_error(?:_fields)?\(\s*req,\s*"([A-Za-z.]+)"', r'err_set\(\s*\w+,\s*"([A-Za-z.]+)"',
            r'"((?:NoSuch[A-Za-z]+)|(?:[A-Za-z]+NotFoundError))"']
# codes answered with an explicit status
EXPLICIT = r'(?:nb_error_code\(\s*req|nb__aws_error_set\([^;]*?)\s*,\s*"([A-Za-z.]+)",\s*(\d+)'


def sources(pattern):
    return "".join(open(f).read() for f in sorted(glob.glob(os.path.join(SOURCE_DIR, pattern))))


def resolved_statuses(service, codes):
    """The status the core gives each code answered without one (nimbus-marshal's serialize)."""
    spec, op = SPECS[service]
    lines = "".join(json.dumps({"cmd": "serialize", "operation": op, "error": c, "value": {}}) + "\n" for c in codes)
    out = subprocess.run([os.path.join(BINARY_DIR, "tools", "marshal", "nimbus-marshal"), "batch", "--spec",
                          os.path.join(SOURCE_DIR, "specs", spec, "service-2.json")],
                         input=lines, capture_output=True, text=True, check=True).stdout.splitlines()
    result = {}
    for code, line in zip(codes, out):
        answer = json.loads(line)
        assert answer["ok"], (code, answer)
        result[code] = int(base64.b64decode(answer["response"]).split(b" ", 2)[1])
    return result


class ErrorStatusTable(unittest.TestCase):
    def check_service(self, service, src):
        table = AWS_STATUS[service]
        codes = sorted({c for pat in RESOLVED for c in re.findall(pat, src)})
        self.assertTrue(codes)
        missing = [c for c in codes if c not in table]
        self.assertEqual(missing, [], f"{service} answers codes the reference table lacks")
        got = resolved_statuses(service, codes)
        wrong = {c: (got[c], table[c]) for c in codes if got[c] != table[c]}
        self.assertEqual(wrong, {}, f"{service}: code -> (answered, AWS) statuses")
        explicit = re.findall(EXPLICIT, src, re.S)
        wrong = {c: (int(s), table.get(c)) for c, s in explicit if int(s) != table.get(c)}
        self.assertEqual(wrong, {}, f"{service}: explicit statuses -> (given, AWS)")

    def test_s3_plugin_codes(self):
        self.check_service("s3", sources("plugins/s3/*.c"))

    def test_sqs_plugin_codes(self):
        self.check_service("sqs", sources("plugins/sqs/*.c"))

    def test_sts_plugin_codes(self):
        self.check_service("sts", sources("plugins/sts/*.c"))

    def test_core_codes(self):
        src = sources("core/*/*.c")
        explicit = re.findall(EXPLICIT, src, re.S)
        self.assertTrue(explicit)
        wrong = {c: (int(s), COMMON.get(c, AWS_STATUS["s3"].get(c))) for c, s in explicit
                 if int(s) != COMMON.get(c, AWS_STATUS["s3"].get(c))}
        self.assertEqual(wrong, {}, "core: explicit statuses -> (given, AWS)")
        # the common errors any plugin may answer without a status
        for service in SPECS:
            got = resolved_statuses(service, sorted(COMMON))
            self.assertEqual({c: s for c, s in got.items() if s != COMMON[c]}, {}, service)


class OnTheWire(unittest.TestCase):
    """Reachable errors answered by a running server carry the table's status."""

    @classmethod
    def setUpClass(cls):
        cls.n = Nimbus(SERVICES="s3,sqs").start()
        kw = dict(endpoint_url=cls.n.url, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test")
        cls.s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}), **kw)
        cls.sqs = boto3.client("sqs", **kw)

    @classmethod
    def tearDownClass(cls):
        cls.n.stop()

    def status_of(self, service, call, **kw):
        try:
            call(**kw)
        except ClientError as e:
            code = e.response["Error"]["Code"]
            return code, e.response["ResponseMetadata"]["HTTPStatusCode"]
        self.fail("no error")

    def assert_table(self, service, expected_code, call, **kw):
        code, status = self.status_of(service, call, **kw)
        if expected_code != "NotModified":  # a 304 has no body: botocore names it by its status
            self.assertEqual(code, expected_code)
        self.assertEqual(status, AWS_STATUS[service][expected_code], expected_code)

    def test_s3(self):
        s3 = self.s3
        s3.create_bucket(Bucket="status-bkt")
        put = s3.put_object(Bucket="status-bkt", Key="k", Body=b"0123456789")
        self.assert_table("s3", "NoSuchBucket", s3.get_object, Bucket="status-missing", Key="k")
        self.assert_table("s3", "NoSuchKey", s3.get_object, Bucket="status-bkt", Key="missing")
        self.assert_table("s3", "NoSuchUpload", s3.abort_multipart_upload, Bucket="status-bkt", Key="k", UploadId="x")
        self.assert_table("s3", "InvalidRange", s3.get_object, Bucket="status-bkt", Key="k", Range="bytes=100-200")
        self.assert_table("s3", "PreconditionFailed", s3.get_object, Bucket="status-bkt", Key="k", IfMatch='"nope"')
        self.assert_table("s3", "NotModified", s3.get_object, Bucket="status-bkt", Key="k", IfNoneMatch=put["ETag"])
        self.assert_table("s3", "BucketNotEmpty", s3.delete_bucket, Bucket="status-bkt")
        self.assert_table("s3", "BucketAlreadyOwnedByYou", s3.create_bucket, Bucket="status-bkt",
                          CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.assert_table("s3", "NoSuchCORSConfiguration", s3.get_bucket_cors, Bucket="status-bkt")
        self.assert_table("s3", "NoSuchTagSet", s3.get_bucket_tagging, Bucket="status-bkt")
        self.assert_table("s3", "NoSuchBucketPolicy", s3.get_bucket_policy, Bucket="status-bkt")
        self.assert_table("s3", "NoSuchLifecycleConfiguration", s3.get_bucket_lifecycle_configuration,
                          Bucket="status-bkt")
        self.assert_table("s3", "NoSuchWebsiteConfiguration", s3.get_bucket_website, Bucket="status-bkt")
        self.assert_table("s3", "ServerSideEncryptionConfigurationNotFoundError", s3.get_bucket_encryption,
                          Bucket="status-bkt")
        self.assert_table("s3", "InvalidBucketName", s3.create_bucket, Bucket="BAD")

    def test_sqs(self):
        sqs = self.sqs
        url = sqs.create_queue(QueueName="status-q")["QueueUrl"]
        code, status = self.status_of("sqs", sqs.get_queue_url, QueueName="status-missing")
        self.assertEqual((code, status), ("AWS.SimpleQueueService.NonExistentQueue", AWS_STATUS["sqs"]["QueueDoesNotExist"]))
        code, status = self.status_of("sqs", sqs.delete_message, QueueUrl=url, ReceiptHandle="x")
        self.assertEqual(status, AWS_STATUS["sqs"]["ReceiptHandleIsInvalid"], code)
        self.assert_table("sqs", "InvalidAttributeName", sqs.get_queue_attributes, QueueUrl=url,
                          AttributeNames=["Nope"])
        code, status = self.status_of("sqs", sqs.send_message, QueueUrl=url, MessageBody="")
        self.assertEqual((code, status), ("MissingParameter", AWS_STATUS["sqs"]["MissingParameter"]))
        code, status = self.status_of("sqs", sqs.send_message, QueueUrl=url, MessageBody="m", DelaySeconds=1000)
        self.assertEqual((code, status), ("InvalidParameterValue", AWS_STATUS["sqs"]["InvalidParameterValue"]))


if __name__ == "__main__":
    unittest.main()
