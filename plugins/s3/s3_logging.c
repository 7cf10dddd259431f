/* S3 server access logging (PutBucketLogging). */
#include "s3_plugin.h"
