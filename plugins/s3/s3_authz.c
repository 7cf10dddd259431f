/* S3 under ENFORCE_IAM=1 (nimbus/authz.h): the IAM action and resource of each operation, and
 * the bucket policy that is the resource policy of a bucket and its objects. Bucket names are
 * global, so a request from another account reaches the owner's bucket and its policy. */
#include <string.h>

#include "s3_plugin.h"

#define BUCKET "arn:{partition}:s3:::{Bucket}"
#define OBJECT "arn:{partition}:s3:::{Bucket}/{Key}"
#define LIST_KEYS "s3:prefix=Prefix,s3:delimiter=Delimiter,s3:max-keys=MaxKeys"

/* The actions of AWS's "Actions defined by Amazon S3" table; deletes of a configuration are
 * authorized as its Put, as S3 does. */
const nb_authz_action_t s3_actions[] = {
    {"CreateBucket", "s3:CreateBucket", BUCKET, NULL, NULL},
    {"DeleteBucket", "s3:DeleteBucket", BUCKET, NULL, NULL},
    {"HeadBucket", "s3:ListBucket", BUCKET, NULL, NULL},
    {"ListBuckets", "s3:ListAllMyBuckets", NULL, NULL, NULL},
    {"GetBucketLocation", "s3:GetBucketLocation", BUCKET, NULL, NULL},
    {"PutBucketVersioning", "s3:PutBucketVersioning", BUCKET, NULL, NULL},
    {"GetBucketVersioning", "s3:GetBucketVersioning", BUCKET, NULL, NULL},
    {"PutBucketTagging", "s3:PutBucketTagging", BUCKET, NULL, NULL},
    {"GetBucketTagging", "s3:GetBucketTagging", BUCKET, NULL, NULL},
    {"DeleteBucketTagging", "s3:PutBucketTagging", BUCKET, NULL, NULL},
    {"PutBucketCors", "s3:PutBucketCORS", BUCKET, NULL, NULL},
    {"GetBucketCors", "s3:GetBucketCORS", BUCKET, NULL, NULL},
    {"DeleteBucketCors", "s3:PutBucketCORS", BUCKET, NULL, NULL},
    {"PutBucketPolicy", "s3:PutBucketPolicy", BUCKET, NULL, NULL},
    {"GetBucketPolicy", "s3:GetBucketPolicy", BUCKET, NULL, NULL},
    {"DeleteBucketPolicy", "s3:DeleteBucketPolicy", BUCKET, NULL, NULL},
    {"PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", BUCKET, NULL, NULL},
    {"GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", BUCKET, NULL, NULL},
    {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", BUCKET, NULL, NULL},
    {"PutBucketEncryption", "s3:PutEncryptionConfiguration", BUCKET, NULL, NULL},
    {"GetBucketEncryption", "s3:GetEncryptionConfiguration", BUCKET, NULL, NULL},
    {"DeleteBucketEncryption", "s3:PutEncryptionConfiguration", BUCKET, NULL, NULL},
    {"PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", BUCKET, NULL, NULL},
    {"GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", BUCKET, NULL, NULL},
    {"DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", BUCKET, NULL, NULL},
    {"PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", BUCKET, NULL, NULL},
    {"GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", BUCKET, NULL, NULL},
    {"DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock", BUCKET, NULL, NULL},
    {"PutBucketNotificationConfiguration", "s3:PutBucketNotification", BUCKET, NULL, NULL},
    {"GetBucketNotificationConfiguration", "s3:GetBucketNotification", BUCKET, NULL, NULL},
    {"PutBucketWebsite", "s3:PutBucketWebsite", BUCKET, NULL, NULL},
    {"GetBucketWebsite", "s3:GetBucketWebsite", BUCKET, NULL, NULL},
    {"DeleteBucketWebsite", "s3:DeleteBucketWebsite", BUCKET, NULL, NULL},
    {"PutBucketLogging", "s3:PutBucketLogging", BUCKET, NULL, NULL},
    {"GetBucketLogging", "s3:GetBucketLogging", BUCKET, NULL, NULL},
    {"PutBucketRequestPayment", "s3:PutBucketRequestPayment", BUCKET, NULL, NULL},
    {"GetBucketRequestPayment", "s3:GetBucketRequestPayment", BUCKET, NULL, NULL},
    {"PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration", BUCKET, NULL, NULL},
    {"GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration", BUCKET, NULL, NULL},
    {"GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", BUCKET, NULL, NULL},
    {"GetBucketAcl", "s3:GetBucketAcl", BUCKET, NULL, NULL},
    {"PutBucketAcl", "s3:PutBucketAcl", BUCKET, NULL, NULL},
    {"PutObject", "s3:PutObject", OBJECT, NULL, NULL},
    {"GetObject", "s3:GetObject", OBJECT, NULL, NULL},
    {"HeadObject", "s3:GetObject", OBJECT, NULL, NULL},
    {"DeleteObject", "s3:DeleteObject", OBJECT, NULL, NULL},
    /* each key is authorized by itself (s3_authz_object): a denied one is an entry of Errors */
    {"DeleteObjects", NULL, NULL, NULL, NULL},
    {"CopyObject", "s3:PutObject", OBJECT, NULL, NULL},
    {"GetObjectAttributes", "s3:GetObjectAttributes", OBJECT, NULL, NULL},
    {"GetObjectTagging", "s3:GetObjectTagging", OBJECT, NULL, NULL},
    {"PutObjectTagging", "s3:PutObjectTagging", OBJECT, NULL, NULL},
    {"DeleteObjectTagging", "s3:DeleteObjectTagging", OBJECT, NULL, NULL},
    {"GetObjectAcl", "s3:GetObjectAcl", OBJECT, NULL, NULL},
    {"PutObjectAcl", "s3:PutObjectAcl", OBJECT, NULL, NULL},
    {"ListObjects", "s3:ListBucket", BUCKET, LIST_KEYS, NULL},
    {"ListObjectsV2", "s3:ListBucket", BUCKET, LIST_KEYS, NULL},
    {"ListObjectVersions", "s3:ListBucketVersions", BUCKET, LIST_KEYS, NULL},
    {"CreateMultipartUpload", "s3:PutObject", OBJECT, NULL, NULL},
    {"UploadPart", "s3:PutObject", OBJECT, NULL, NULL},
    {"UploadPartCopy", "s3:PutObject", OBJECT, NULL, NULL},
    {"CompleteMultipartUpload", "s3:PutObject", OBJECT, NULL, NULL},
    {"AbortMultipartUpload", "s3:AbortMultipartUpload", OBJECT, NULL, NULL},
    {"ListParts", "s3:ListMultipartUploadParts", OBJECT, NULL, NULL},
    {"ListMultipartUploads", "s3:ListBucketMultipartUploads", BUCKET, NULL, NULL},
    {"PostObject", "s3:PutObject", OBJECT, NULL, NULL},
    {"RestoreObject", "s3:RestoreObject", OBJECT, NULL, NULL},
    /* CORS preflights carry no credentials: nothing to authorize */
    {"PreflightBucket", NULL, NULL, NULL, NULL},
    {"PreflightObject", NULL, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* Stored policies (JSON strings) to their text: decoding one with json_loads costs microseconds,
 * and a bucket's policy is read on every request to it. Bounded; started over when full. */
static json_t *decoded;

static const char *policy_text(const char *stored) {
    const char *hit = json_string_value(json_object_get(decoded, stored));
    if (hit)
        return hit;
    if (decoded == NULL || json_object_size(decoded) >= 256) {
        json_decref(decoded);
        decoded = json_object();
    }
    json_t *text = json_loads(stored, JSON_DECODE_ANY, NULL);
    if (!json_is_string(text) || json_object_set_new(decoded, stored, text) != 0) {
        json_decref(text);
        return NULL;
    }
    return json_string_value(text);
}

/* Each bucket's owner and stored policy as the last read found them ({"owner", "stored"}; {} for no
 * such bucket), kept as long as the bucket rows cache keeps its rows (s3_bucket_cache_epoch: until a
 * write to buckets or bucket_config, committed or rolled back, or a reset): a registered key's
 * request to a bucket reads them before its handler, and the read cost as much as the rest of the
 * authorization. Bounded: started over when full. */
static json_t *buckets;
static uint64_t buckets_epoch;

/* One statement for the owner and the policy: s3_bucket_find reads more than it needs. A new
 * reference ({} when there is no such bucket), NULL when the store failed. */
static json_t *bucket_policy_row(const char *name) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT b.account, c.value FROM buckets b"
                                               " LEFT JOIN bucket_config c ON c.name = b.name AND c.kind = 'policy'"
                                               " WHERE b.name = ?1");
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    json_t *row = rc == SQLITE_ROW || rc == SQLITE_DONE ? json_object() : NULL;
    if (row && rc == SQLITE_ROW) {
        json_object_set_new(row, "owner", json_string((const char *)sqlite3_column_text(s, 0)));
        const char *stored = (const char *)sqlite3_column_text(s, 1); /* a JSON string: the policy's text */
        if (stored)
            json_object_set_new(row, "stored", json_string(stored));
    }
    sqlite3_reset(s);
    return row;
}

int s3_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out) {
    (void)self;
    (void)req;
    const char *name = nb_json_str(in, "Bucket");
    if (name == NULL)
        return 0;
    uint64_t epoch = 0; /* never a kept epoch (the first is 1): rows read now are not reused */
    bool cacheable = s3_bucket_cache_epoch(&epoch);
    if (buckets == NULL || !cacheable || epoch != buckets_epoch || json_object_size(buckets) >= 1024) {
        json_decref(buckets);
        buckets = json_object();
        buckets_epoch = epoch;
    }
    json_t *row = json_object_get(buckets, name);
    if (row == NULL) {
        if ((row = bucket_policy_row(name)) == NULL)
            return NB_ESTORE;
        json_object_set_new(buckets, name, row); /* not kept (out of memory): row is gone with it */
        if ((row = json_object_get(buckets, name)) == NULL)
            return NB_ENOMEM;
    }
    /* none: no such bucket, and the handler answers NoSuchBucket if allowed to look */
    const char *owner = json_string_value(json_object_get(row, "owner"));
    const char *stored = json_string_value(json_object_get(row, "stored"));
    const char *text = stored ? policy_text(stored) : NULL;
    /* borrowed from the caches (authz.h): nothing changes them before the core is done, and a
     * copy on the request's memory would create its arena for an allowed GetObject alone */
    out->owner_account = owner;
    out->document = text;
    return 0;
}

void s3_authz_free(void) {
    json_decref(decoded);
    decoded = NULL;
    json_decref(buckets);
    buckets = NULL;
}

bool s3_authz_object(nb_req_t *req, const char *action, const char *bucket, const char *key) {
    if (!NB_API_HAS(authz_check))
        return true;
    json_t *in = json_pack("{s:s}", "Bucket", bucket); /* what s3_resource_policy reads */
    const char *arn = nb_req_printf(req, "arn:%s:s3:::%s/%s", nb_partition(nb_req_region(req)), bucket, key);
    bool allowed = in == NULL || arn == NULL ? false : nb_authz_check(req, action, arn, in) == 1;
    json_decref(in);
    return allowed;
}
