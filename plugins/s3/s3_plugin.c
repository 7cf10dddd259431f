/* S3's plugin descriptor: its store schema, operations table, init/fini and hooks. The
 * handlers are in s3_<concern>.c, the object model in s3_model.c, shared helpers in s3_helpers.c.
 *
 * The functions S3 calls unconditionally end with nb_partition (ABI 1.3): older cores refuse
 * it; access logs (nb_req_on_complete, 1.4) are left out on a 1.3 core. */
#define NB_PLUGIN_ABI_MINOR 3
#include "s3_plugin.h"

#include <stdlib.h>
#include <string.h>

nb_store_t s3_store;
nb_plugin_t *s3_self;
bool s3_payload_sha256_checked;

static const char *const s3_schema[] = {
    /* 1 */
    "CREATE TABLE buckets(" NB_STORE_SCOPE_COLUMNS ", name TEXT PRIMARY KEY, created REAL NOT NULL,"
    "  versioning INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE bucket_config(name TEXT NOT NULL REFERENCES buckets(name) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(name, kind));"
    "CREATE TABLE objects(" NB_STORE_SCOPE_COLUMNS ", id INTEGER PRIMARY KEY,"
    "  bucket TEXT NOT NULL REFERENCES buckets(name), key TEXT NOT NULL, version_id TEXT NOT NULL,"
    "  latest INTEGER NOT NULL, delete_marker INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,"
    "  etag TEXT, modified REAL NOT NULL, blob TEXT, parts INTEGER NOT NULL DEFAULT 0, attrs TEXT,"
    "  UNIQUE(bucket, key, version_id));"
    "CREATE INDEX objects_list ON objects(bucket, key) WHERE latest = 1 AND delete_marker = 0;"
    "CREATE TABLE uploads(" NB_STORE_SCOPE_COLUMNS ", upload_id TEXT PRIMARY KEY,"
    "  bucket TEXT NOT NULL REFERENCES buckets(name), key TEXT NOT NULL, initiated REAL NOT NULL, attrs TEXT);"
    "CREATE INDEX uploads_bucket ON uploads(bucket, key, initiated);"
    "CREATE TABLE parts(upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,"
    "  part_number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, blob TEXT NOT NULL,"
    "  modified REAL NOT NULL, checksums TEXT, PRIMARY KEY(upload_id, part_number));",
    /* 2: small objects inline */
    "ALTER TABLE objects ADD COLUMN data BLOB;",
    /* 3: completed multipart uploads, for a repeated CompleteMultipartUpload (s3_multipart.c) */
    "CREATE TABLE completed_uploads(upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL,"
    "  completed REAL NOT NULL, result TEXT NOT NULL);",
};

static const nb_op_t s3_ops[] = {
    {"CreateBucket", s3_create_bucket, 0},
    {"DeleteBucket", s3_delete_bucket, 0},
    {"HeadBucket", s3_head_bucket, 0},
    {"ListBuckets", s3_list_buckets, 0},
    {"GetBucketLocation", s3_get_bucket_location, 0},
    {"PutBucketVersioning", s3_put_bucket_versioning, 0},
    {"GetBucketVersioning", s3_get_bucket_versioning, 0},
    {"PutBucketTagging", s3_put_bucket_tagging, 0},
    {"GetBucketTagging", s3_config_get, 0},
    {"DeleteBucketTagging", s3_config_delete, 0},
    {"PutBucketCors", s3_config_put, 0},
    {"GetBucketCors", s3_config_get, 0},
    {"DeleteBucketCors", s3_config_delete, 0},
    {"PutBucketPolicy", s3_config_put, 0},
    {"GetBucketPolicy", s3_config_get, 0},
    {"DeleteBucketPolicy", s3_config_delete, 0},
    {"PutBucketLifecycleConfiguration", s3_config_put, 0},
    {"GetBucketLifecycleConfiguration", s3_config_get, 0},
    {"DeleteBucketLifecycle", s3_config_delete, 0},
    {"PutBucketEncryption", s3_config_put, 0},
    {"GetBucketEncryption", s3_config_get, 0},
    {"DeleteBucketEncryption", s3_config_delete, 0},
    {"PutBucketOwnershipControls", s3_config_put, 0},
    {"GetBucketOwnershipControls", s3_config_get, 0},
    {"DeleteBucketOwnershipControls", s3_config_delete, 0},
    {"PutPublicAccessBlock", s3_config_put, 0},
    {"GetPublicAccessBlock", s3_config_get, 0},
    {"DeletePublicAccessBlock", s3_config_delete, 0},
    {"PutBucketNotificationConfiguration", s3_put_bucket_notification, 0},
    {"GetBucketNotificationConfiguration", s3_config_get, 0},
    {"PutBucketWebsite", s3_config_put, 0},
    {"GetBucketWebsite", s3_config_get, 0},
    {"DeleteBucketWebsite", s3_config_delete, 0},
    {"PutBucketLogging", s3_put_bucket_logging, 0},
    {"GetBucketLogging", s3_config_get, 0},
    {"PutBucketRequestPayment", s3_config_put, 0},
    {"GetBucketRequestPayment", s3_config_get, 0},
    {"PutBucketAccelerateConfiguration", s3_config_put, 0},
    {"GetBucketAccelerateConfiguration", s3_config_get, 0},
    {"GetObjectLockConfiguration", s3_config_get, 0},
    {"GetBucketAcl", s3_get_bucket_acl, 0},
    {"PutBucketAcl", s3_put_acl, 0},
    {"PutObject", s3_put_object, 0},
    {"GetObject", s3_get_object, 0},
    {"HeadObject", s3_head_object, 0},
    {"DeleteObject", s3_delete_object, 0},
    {"DeleteObjects", s3_delete_objects, 0},
    {"CopyObject", s3_copy_object, 0},
    {"GetObjectAttributes", s3_get_object_attributes, 0},
    {"GetObjectTagging", s3_get_object_tagging, 0},
    {"PutObjectTagging", s3_put_object_tagging, 0},
    {"DeleteObjectTagging", s3_delete_object_tagging, 0},
    {"GetObjectAcl", s3_get_object_acl, 0},
    {"PutObjectAcl", s3_put_acl, 0},
    {"ListObjects", s3_list_objects, 0},
    {"ListObjectsV2", s3_list_objects_v2, 0},
    {"ListObjectVersions", s3_list_object_versions, 0},
    {"CreateMultipartUpload", s3_create_multipart_upload, 0},
    {"UploadPart", s3_upload_part, 0},
    {"UploadPartCopy", s3_upload_part_copy, 0},
    {"CompleteMultipartUpload", s3_complete_multipart_upload, 0},
    {"AbortMultipartUpload", s3_abort_multipart_upload, 0},
    {"ListParts", s3_list_parts, 0},
    {"ListMultipartUploads", s3_list_multipart_uploads, 0},
    {"PostObject", s3_post_object, 0},
    {"RestoreObject", s3_restore_object, 0},
    {"PreflightBucket", s3_preflight, 0},
    {"PreflightObject", s3_preflight, 0},
    {NULL, NULL, 0},
};

static int s3_init(nb_plugin_t *self) {
    char *err = NULL;
    s3_self = self;
    /* every function after ABI 1.0 that S3 calls without testing it first */
    if (!(NB_API_HAS(reply_status) && NB_API_HAS(blob_put_body) && NB_API_HAS(blob_body_new) &&
          NB_API_HAS(blob_remove) && NB_API_HAS(blob_writer_new) && NB_API_HAS(blob_write) &&
          NB_API_HAS(blob_writer_finish) && NB_API_HAS(blob_writer_abort) && NB_API_HAS(req_query) &&
          NB_API_HAS(work_queue) && NB_API_HAS(blob_remove_at_commit) && NB_API_HAS(call) && NB_API_HAS(partition))) {
        nb_log(self, NB_LOG_ERROR, "this core lacks functions of plugin ABI 1.3 (blobs, in-process calls, partitions)");
        return -1;
    }
    /* A hex x-amz-content-sha256 is what the signature covers in place of the body: with signatures
     * verified (ENFORCE_IAM) the body must match it; without, nothing relies on it (LocalStack does
     * not check it either) and hashing every body would cost more than the rest of a small upload. */
    s3_payload_sha256_checked = NB_API_HAS(authz_enforced) && nb_authz_enforced();
    nb_store_init(&s3_store, nb_store_db(self));
    if (nb_store_migrate(s3_store.db, s3_schema, NB_STORE_COUNT(s3_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    s3_bucket_cache_init();
    return 0;
}

/* Tables emptied by a reset may not have told the bucket cache. */
static void s3_reset(nb_plugin_t *self) {
    (void)self;
    s3_bucket_cache_reset();
}

static void s3_fini(nb_plugin_t *self) {
    (void)self;
    s3_logging_fini();
    s3_authz_free();
    nb_store_fini(&s3_store);
}

/* Every blob committed rows point to: object bodies and the parts of uploads in progress
 * (the core removes the others at start: a crash between a body's write and its row). */
static int s3_blob_keys(nb_plugin_t *self, void (*keep)(void *ctx, const char *key), void *ctx) {
    (void)self;
    sqlite3_stmt *s =
        nb_store_stmt(&s3_store, "SELECT blob FROM objects WHERE blob IS NOT NULL UNION ALL SELECT blob FROM parts");
    if (s == NULL)
        return NB_ESTORE;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        keep(ctx, (const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}

/* A client waiting on 100-continue hears at once what the upload's head already fails on
 * (NoSuchBucket, NoSuchUpload, ...), before it sends the body. */
static nb_result_t s3_precheck(nb_plugin_t *self, nb_req_t *req, const json_t *in) {
    (void)self;
    const char *op = nb_req_operation(req);
    nb_step_t step = NB_GO_ON;
    if (strcmp(op, "PutObject") == 0)
        step = s3_put_object_precheck(req, in);
    else if (strcmp(op, "UploadPart") == 0)
        step = s3_upload_part_precheck(req, in);
    return nb_step_result(step); /* its error, if it set one, is answered; a failure leaves it to the handler */
}

static const nb_setting_t s3_settings[] = {
    {"S3_RESTORE_DELAY", NB_SETTING_DURATION, "3",
     "How long an S3 RestoreObject of a GLACIER or DEEP_ARCHIVE object takes to complete"},
    {"S3_LOG_DELIVERY_INTERVAL", NB_SETTING_DURATION, "5",
     "How often S3 server access logs (PutBucketLogging) are delivered to their target buckets"},
    {NULL, 0, NULL, NULL},
};

/* A core before ABI 1.6 had these as its own settings, read with nb_config_get. */
double s3_setting_seconds(const char *name, double def) {
    if (NB_API_HAS(setting_seconds))
        return nb_setting_seconds(s3_self, name);
    const char *v = nb_config_get(name);
    char *end = NULL;
    double d = v ? strtod(v, &end) : -1;
    return v && end != v && d >= 0 ? d : def;
}

NB_PLUGIN_DEFINE(.name = "s3", .service = "s3", .api_version = "2006-03-01", .ops = s3_ops, .init = s3_init,
                 .fini = s3_fini, .reset = s3_reset, .blob_keys = s3_blob_keys, .precheck = s3_precheck,
                 .settings = s3_settings, .authz_actions = s3_actions, .resource_policy = s3_resource_policy,
                 .authz_denied_message = "Access Denied");
