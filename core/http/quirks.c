/* HTTP-layer quirks: the host names of the generated HTTPS certificate (tls_cert.c). They are the
 * names LocalStack's clients use for its service endpoints (S3 virtual hosts and websites, API
 * Gateway's execute-api, SQS's and Lambda function URLs' regional hosts), so they name services;
 * a service whose clients use another host form adds its row here. */
#include "http/tls_cert.h"

#include <stddef.h>

#define LS "localhost.localstack.cloud"

const char nb__tls_common_name[] = LS;

/* Regional names (sqs.<region>..., <bucket>.s3.<region>..., <id>.lambda-url.<region>...) need
 * a wildcard per region: one covers a single label. */
#define REGION_NAMES(r) "DNS:*." r "." LS, "DNS:*.s3." r "." LS, "DNS:*.lambda-url." r "." LS
const char *const nb__tls_default_names[] = {
    "DNS:localhost",
    "DNS:" LS,
    "DNS:*." LS,
    "DNS:*.s3." LS,
    "DNS:*.s3-website." LS,
    "DNS:*.execute-api." LS,
    REGION_NAMES("us-east-1"),
    REGION_NAMES("us-east-2"),
    REGION_NAMES("us-west-1"),
    REGION_NAMES("us-west-2"),
    REGION_NAMES("af-south-1"),
    REGION_NAMES("ap-east-1"),
    REGION_NAMES("ap-south-1"),
    REGION_NAMES("ap-south-2"),
    REGION_NAMES("ap-northeast-1"),
    REGION_NAMES("ap-northeast-2"),
    REGION_NAMES("ap-northeast-3"),
    REGION_NAMES("ap-southeast-1"),
    REGION_NAMES("ap-southeast-2"),
    REGION_NAMES("ap-southeast-3"),
    REGION_NAMES("ap-southeast-4"),
    REGION_NAMES("ap-southeast-5"),
    REGION_NAMES("ap-southeast-7"),
    REGION_NAMES("ca-central-1"),
    REGION_NAMES("ca-west-1"),
    REGION_NAMES("eu-central-1"),
    REGION_NAMES("eu-central-2"),
    REGION_NAMES("eu-west-1"),
    REGION_NAMES("eu-west-2"),
    REGION_NAMES("eu-west-3"),
    REGION_NAMES("eu-south-1"),
    REGION_NAMES("eu-south-2"),
    REGION_NAMES("eu-north-1"),
    REGION_NAMES("il-central-1"),
    REGION_NAMES("me-south-1"),
    REGION_NAMES("me-central-1"),
    REGION_NAMES("mx-central-1"),
    REGION_NAMES("sa-east-1"),
    REGION_NAMES("us-gov-east-1"),
    REGION_NAMES("us-gov-west-1"),
    REGION_NAMES("cn-north-1"),
    REGION_NAMES("cn-northwest-1"),
    "IP:127.0.0.1",
    "IP:::1",
    NULL,
};
