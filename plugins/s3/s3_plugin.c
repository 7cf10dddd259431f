/* The functions S3 calls unconditionally end with nb_partition (ABI 1.3): older cores refuse
 * it; access logs (nb_req_on_complete, 1.4) are left out on a 1.3 core. */
#define NB_PLUGIN_ABI_MINOR 3
#include "s3_plugin.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


nb_store_t s3_store;
nb_plugin_t *s3_self;

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
    nb_store_init(&s3_store, nb_store_db(self));
    if (nb_store_migrate(s3_store.db, s3_schema, NB_STORE_COUNT(s3_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static void s3_fini(nb_plugin_t *self) {
    (void)self;
    s3_logging_fini();
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
                 .fini = s3_fini, .blob_keys = s3_blob_keys, .precheck = s3_precheck,
                 .settings = s3_settings);

/* ---------------------------------------------------------------- helpers */

void s3_random_hex(char out[33]) { nb_random_id(NB_ID_HEX, 32, out); }

void s3_version_id(char out[33]) {
    nb_random_id("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._", 32, out);
}

double s3_http_date(const char *s) {
    double t;
    /* dates only: a bare number is no HTTP date (an If-Modified-Since of "12345" is ignored) */
    if (s == NULL || s[strspn(s, "0123456789.")] == '\0' || nb_time_parse(s, &t) != 0)
        return -1;
    return t;
}

json_t *s3_owner(const char *account) {
    return json_pack("{s:s,s:s}", "DisplayName", "webfile", "ID",
                     "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a");
    (void)account;
}

nb_result_t s3_err_no_bucket(nb_req_t *req, const char *name) {
    return nb_error_fields(req, "NoSuchBucket", json_pack("{s:s}", "BucketName", name ? name : ""),
                           "The specified bucket does not exist");
}

nb_result_t s3_err_no_key(nb_req_t *req, const char *key) {
    return nb_error_fields(req, "NoSuchKey", json_pack("{s:s}", "Key", key ? key : ""),
                           "The specified key does not exist.");
}

static void iso_time(double t, char out[32]) { nb_time_format(t, NB_TIME_ISO8601_SECONDS, out, 32); }

/* X-Amz-Date in its one form, 20240101T000000Z: -1 for any other text. */
static double amz_date(const char *s) {
    double t;
    char again[NB_TIME_SIZE];
    if (nb_time_parse(s, &t) != 0 || nb_time_format(t, NB_TIME_ISO8601_BASIC, again, sizeof again) < 0 ||
        strcmp(again, s) != 0)
        return -1;
    return t;
}

nb_step_t s3_check_presigned(nb_req_t *req) {
    char date[40], expires[40], now_s[32], end_s[32];
    double now = nb_now();
    if (nb_req_query(req, "X-Amz-Expires", expires, sizeof expires) >= 0 &&
        nb_req_query(req, "X-Amz-Date", date, sizeof date) >= 0) {
        double signed_at = amz_date(date);
        char *stop = NULL;
        long secs = strtol(expires, &stop, 10);
        if (signed_at < 0 || stop == expires || *stop != '\0' || secs < 0)
            return nb_stop(nb_error_code(req, "AuthorizationQueryParametersError", 400,
                                 "X-Amz-Expires should be a number and X-Amz-Date a date like 20240101T000000Z"));
        if (secs > 604800)
            return nb_stop(nb_error_code(req, "AuthorizationQueryParametersError", 400,
                                 "X-Amz-Expires must be less than a week (in seconds) that is 604800"));
        double until = signed_at + (double)secs;
        if (now > until) {
            iso_time(until, end_s);
            iso_time(now, now_s);
            return nb_stop(nb_error_fields(req, "AccessDenied",
                                   json_pack("{s:s,s:s,s:s}", "X-Amz-Expires", expires, "Expires", end_s,
                                             "ServerTime", now_s),
                                   "Request has expired"));
        }
    } else if (nb_req_query(req, "Signature", date, sizeof date) >= 0 &&
               nb_req_query(req, "Expires", expires, sizeof expires) >= 0) {
        double until = strtod(expires, NULL);
        if (now > until) {
            iso_time(until, end_s);
            iso_time(now, now_s);
            return nb_stop(nb_error_fields(req, "AccessDenied", json_pack("{s:s,s:s}", "Expires", end_s, "ServerTime", now_s),
                                   "Request has expired"));
        }
    }
    return NB_GO_ON;
}

int s3_bucket_find(const char *name, s3_bucket_t *b) {
    sqlite3_stmt *s =
        nb_store_stmt(&s3_store, "SELECT account, region, created, versioning FROM buckets WHERE name = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, name ? name : "", -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return 0;
    }
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    snprintf(b->account, sizeof b->account, "%s", (const char *)sqlite3_column_text(s, 0));
    snprintf(b->region, sizeof b->region, "%s", (const char *)sqlite3_column_text(s, 1));
    b->created = sqlite3_column_double(s, 2);
    b->versioning = sqlite3_column_int(s, 3);
    sqlite3_reset(s);
    return 1;
}

nb_step_t s3_bucket_load(nb_req_t *req, const char *name, s3_bucket_t *b) {
    NB_TRY_STEP(s3_check_presigned(req));
    NB_TRY_STEP(s3_check_small_body(req));
    int rc = s3_bucket_find(name, b);
    if (rc < 0)
        return nb_stop(NB_FAILED(rc));
    if (rc == 0)
        return nb_stop(s3_err_no_bucket(req, name));
    s3_cors_actual(req, b->name);
    s3_logging_watch(req, b);
    return NB_GO_ON;
}

/* --------------------------------------------------------------- objects */

void s3_object_clear(s3_object_t *o) {
    free(o->key);
    free(o->version_id);
    free(o->etag);
    free(o->blob);
    json_decref(o->attrs);
    memset(o, 0, sizeof *o);
}

static char *col_dup(sqlite3_stmt *s, int i) {
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

int s3_object_load(const char *bucket, const char *key, const char *version_id, s3_object_t *o) {
    memset(o, 0, sizeof *o);
    sqlite3_stmt *s =
        version_id
            ? nb_store_stmt(&s3_store, "SELECT id, key, version_id, etag, blob, size, modified, delete_marker, latest,"
                                       " parts, attrs FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3")
            : nb_store_stmt(&s3_store, "SELECT id, key, version_id, etag, blob, size, modified, delete_marker, latest,"
                                       " parts, attrs FROM objects WHERE bucket = ?1 AND key = ?2 AND latest = 1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    if (version_id)
        sqlite3_bind_text(s, 3, version_id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return 0;
    }
    o->id = sqlite3_column_int64(s, 0);
    o->key = col_dup(s, 1);
    o->version_id = col_dup(s, 2);
    o->etag = col_dup(s, 3);
    o->blob = col_dup(s, 4);
    o->size = sqlite3_column_int64(s, 5);
    o->modified = sqlite3_column_double(s, 6);
    o->delete_marker = sqlite3_column_int(s, 7) != 0;
    o->latest = sqlite3_column_int(s, 8) != 0;
    o->parts = sqlite3_column_int(s, 9);
    const char *attrs = (const char *)sqlite3_column_text(s, 10);
    o->attrs = attrs ? json_loads(attrs, 0, NULL) : NULL;
    if (o->attrs == NULL)
        o->attrs = json_object();
    sqlite3_reset(s);
    return 1;
}

/* Removes the blob of each row matching (bucket, key, version_id) and the rows. */
static int drop_version(const char *bucket, const char *key, const char *version_id) {
    sqlite3_stmt *s =
        nb_store_stmt(&s3_store, "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3 RETURNING blob");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, version_id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *blob = (const char *)sqlite3_column_text(s, 0);
        if (blob) /* the rows go only if the request commits: so does the body */
            nb_blob_remove_at_commit(s3_self, blob);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}

int s3_object_store(const s3_bucket_t *b, s3_object_t *o) {
    char vid[33] = "null";
    if (b->versioning == S3_VER_ENABLED)
        s3_version_id(vid);
    else if (drop_version(b->name, o->key, "null") != 0)
        return NB_ESTORE;
    free(o->version_id);
    o->version_id = strdup(vid);
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "UPDATE objects SET latest = 0 WHERE bucket = ?1 AND key = ?2 AND latest = 1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, b->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, o->key, -1, SQLITE_STATIC);
    if (nb_store_run(s) != 0)
        return NB_ESTORE;
    s = nb_store_stmt(&s3_store,
                      "INSERT INTO objects(account, region, bucket, key, version_id, latest, delete_marker, size, etag,"
                      " modified, blob, parts, attrs, data) VALUES(?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                      " ?13)");
    if (s == NULL)
        return NB_ESTORE;
    char *attrs = o->attrs ? json_dumps(o->attrs, JSON_COMPACT) : NULL;
    sqlite3_bind_text(s, 1, b->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, b->region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, b->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, o->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, o->version_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 6, o->delete_marker);
    sqlite3_bind_int64(s, 7, o->size);
    sqlite3_bind_text(s, 8, o->etag, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 9, o->modified);
    sqlite3_bind_text(s, 10, o->blob, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 11, o->parts);
    sqlite3_bind_text(s, 12, attrs, -1, free);
    if (o->data)
        sqlite3_bind_blob64(s, 13, o->data, (sqlite3_uint64)o->size, SQLITE_STATIC);
    return nb_store_run(s);
}

int s3_object_remove_version(const char *bucket, const char *key, const char *version_id) {
    if (drop_version(bucket, key, version_id) != 0)
        return NB_ESTORE;
    /* The newest remaining version becomes the current one. */
    sqlite3_stmt *s = nb_store_stmt(&s3_store,
                                    "UPDATE objects SET latest = 1 WHERE id = (SELECT max(id) FROM objects WHERE"
                                    " bucket = ?1 AND key = ?2) AND NOT EXISTS (SELECT 1 FROM objects WHERE"
                                    " bucket = ?1 AND key = ?2 AND latest = 1)");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    return nb_store_run(s);
}

nb_body_t *s3_object_body(const s3_object_t *o, int64_t first, int64_t len) {
    if (o->blob)
        return nb_blob_body_new(s3_self, o->blob, first, len);
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT data FROM objects WHERE id = ?1");
    if (s == NULL)
        return NULL;
    sqlite3_bind_int64(s, 1, o->id);
    nb_body_t *b = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *d = sqlite3_column_blob(s, 0);
        int64_t n = sqlite3_column_bytes(s, 0);
        if (first > n)
            first = n;
        if (len < 0 || first + len > n)
            len = n - first;
        b = nb_body_from_mem_new(d ? d + first : (const unsigned char *)"", (size_t)len);
    }
    sqlite3_reset(s);
    return b;
}

char *s3_location(nb_req_t *req, const char *bucket, const char *key) {
    const char *host = nb_req_host(req);
    if (host == NULL || *host == '\0')
        host = "localhost";
    size_t blen = strlen(bucket);
    /* virtual-host style: <bucket>.s3[.<region>].<domain>[:port] */
    bool vhost = strncmp(host, bucket, blen) == 0 && strncmp(host + blen, ".s3.", 4) == 0;
    size_t klen = strlen(key);
    char *enc = malloc(NB_URL_ENCODED_SIZE(klen));
    if (enc == NULL)
        return NULL;
    nb_url_encode(key, klen, NB_URL_KEEP_SLASH, enc, NB_URL_ENCODED_SIZE(klen));
    char *out = NULL;
    int n = vhost ? asprintf(&out, "http://%s/%s", host, enc) : asprintf(&out, "http://%s/%s/%s", host, bucket, enc);
    free(enc);
    return n < 0 ? NULL : out;
}
