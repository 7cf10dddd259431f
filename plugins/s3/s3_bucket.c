/* Buckets and their stored subresources. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "s3_plugin.h"

/* AWS's naming rules for general purpose buckets. */
static bool bucket_name_valid(const char *n) {
    size_t len = n ? strlen(n) : 0;
    if (len < 3 || len > 63)
        return false;
    if (!isalnum((unsigned char)n[0]) || !isalnum((unsigned char)n[len - 1]))
        return false;
    int dots = 0, digits_only = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)n[i];
        if (!(islower(c) || isdigit(c) || c == '.' || c == '-'))
            return false;
        if (c == '.' && (n[i + 1] == '.' || n[i + 1] == '-' || (i && n[i - 1] == '-')))
            return false;
        if (c == '.')
            dots++;
        else if (!isdigit(c))
            digits_only = 0;
    }
    if (dots == 3 && digits_only) /* an IP address */
        return false;
    if (strncmp(n, "xn--", 4) == 0 || strncmp(n, "sthree-", 7) == 0)
        return false;
    if (len > 8 && strcmp(n + len - 8, "-s3alias") == 0)
        return false;
    return true;
}

nb_result_t s3_create_bucket(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Bucket");
    NB_TRY(s3_check_presigned(req));
    if (!bucket_name_valid(name))
        return nb_error_fields(req, "InvalidBucketName", json_pack("{s:s}", "BucketName", name ? name : ""),
                               "The specified bucket is not valid.");
    const char *region = nb_req_region(req);
    const char *constraint = nb_json_str(json_object_get(in, "CreateBucketConfiguration"), "LocationConstraint");
    if (constraint && *constraint) {
        if (strcmp(constraint, "us-east-1") == 0)
            return nb_error(req, "InvalidLocationConstraint", "The specified location-constraint is not valid");
        if (strcmp(constraint, region) != 0 && strcmp(region, "us-east-1") != 0)
            return nb_error_code(req, "IllegalLocationConstraintException", 400,
                                 "The %s location constraint is incompatible for the region specific endpoint this "
                                 "request was sent to.",
                                 constraint);
        region = constraint;
    } else if (strcmp(region, "us-east-1") != 0) {
        return nb_error_code(req, "IllegalLocationConstraintException", 400,
                             "The unspecified location constraint is incompatible for the region specific endpoint "
                             "this request was sent to.");
    }
    json_t *grants = NULL;
    NB_TRY(s3_acl_from_input(req, in, nb_req_account(req), true, &grants));
    s3_bucket_t b;
    int rc = s3_bucket_find(name, &b);
    if (rc != 0)
        json_decref(grants);
    if (rc < 0)
        return NB_FAILED(rc);
    if (rc == 1) {
        if (strcmp(b.account, nb_req_account(req)) != 0)
            return nb_error_fields(req, "BucketAlreadyExists", json_pack("{s:s}", "BucketName", name),
                                   "The requested bucket name is not available. The bucket namespace is shared by all "
                                   "users of the system. Please select a different name and try again.");
        /* us-east-1 answers a repeated create of one's own bucket with success. */
        if (strcmp(b.region, "us-east-1") != 0 || strcmp(region, "us-east-1") != 0)
            return nb_error_fields(req, "BucketAlreadyOwnedByYou", json_pack("{s:s}", "BucketName", name),
                                   "Your previous request to create the named bucket succeeded and you already own "
                                   "it.");
    } else {
        sqlite3_stmt *s = nb_store_stmt(
            &s3_store, "INSERT INTO buckets(account, region, name, created) VALUES(?1, ?2, ?3, ?4)");
        if (s == NULL) {
            json_decref(grants);
            return NB_FAILED(NB_ESTORE);
        }
        sqlite3_bind_text(s, 1, nb_req_account(req), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 4, (double)(long long)nb_now());
        if (nb_store_run(s) != 0) {
            json_decref(grants);
            return NB_FAILED(NB_ESTORE);
        }
        if (s3_bucket_acl_store(name, grants) != 0)
            return NB_FAILED(NB_ESTORE);
    }
    char loc[80];
    snprintf(loc, sizeof loc, "/%s", name);
    return nb_reply_new(req, json_pack("{s:s}", "Location", loc));
}

nb_result_t s3_delete_bucket(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Bucket");
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, name, &b));
    /* Versions and delete markers keep a bucket; unfinished multipart uploads do not: S3
     * discards them with the bucket. */
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT EXISTS(SELECT 1 FROM objects WHERE bucket = ?1)");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int busy = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    if (busy)
        return nb_error_fields(req, "BucketNotEmpty", json_pack("{s:s}", "BucketName", name),
                               "The bucket you tried to delete is not empty");
    if (s3_uploads_drop_bucket(name) != 0)
        return NB_FAILED(NB_ESTORE);
    s = nb_store_stmt(&s3_store, "DELETE FROM buckets WHERE name = ?1");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (nb_store_run(s) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t s3_head_bucket(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    nb_reply_header(req, "x-amz-bucket-region", b.region);
    nb_reply_header(req, "x-amz-access-point-alias", "false");
    nb_reply_header(req, "Content-Type", "application/xml"); /* as S3 labels its empty answer */
    return nb_reply_new(req, NULL);
}

/* Newer SDKs page with max-buckets / continuation-token (the token: the last name returned). */
nb_result_t s3_list_buckets(nb_req_t *req, const json_t *in) {
    NB_TRY(s3_check_presigned(req));
    const char *prefix = nb_json_str(in, "Prefix"), *token = nb_json_str(in, "ContinuationToken");
    const char *region = nb_json_str(in, "BucketRegion");
    const json_t *mb = json_object_get(in, "MaxBuckets");
    json_int_t max = json_is_integer(mb) ? json_integer_value(mb) : 10000;
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT name, created, region FROM buckets WHERE account = ?1 AND"
                                               " name > ?2 AND name >= ?3 ORDER BY name");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, nb_req_account(req), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, token ? token : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, prefix ? prefix : "", -1, SQLITE_STATIC);
    json_t *list = json_array();
    const char *last = NULL;
    bool more = false;
    size_t plen = prefix ? strlen(prefix) : 0;
    char last_name[64] = "";
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        const char *r = (const char *)sqlite3_column_text(s, 2);
        if (plen && strncmp(name, prefix, plen) != 0)
            break;
        if (region && strcmp(region, r) != 0)
            continue;
        if ((json_int_t)json_array_size(list) >= max) {
            more = true;
            break;
        }
        json_array_append_new(list, json_pack("{s:s,s:f,s:s}", "Name", name, "CreationDate",
                                              sqlite3_column_double(s, 1), "BucketRegion", r));
        snprintf(last_name, sizeof last_name, "%s", name);
        last = last_name;
    }
    sqlite3_reset(s);
    json_t *out = json_pack("{s:o,s:o}", "Buckets", list, "Owner", s3_owner(nb_req_account(req)));
    if (more && last)
        json_object_set_new(out, "ContinuationToken", json_string(last));
    if (prefix)
        json_object_set_new(out, "Prefix", json_string(prefix));
    return nb_reply_new(req, out);
}

nb_result_t s3_get_bucket_location(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    /* us-east-1 is the empty constraint. */
    if (strcmp(b.region, "us-east-1") == 0)
        return nb_reply_new(req, json_object());
    return nb_reply_new(req, json_pack("{s:s}", "LocationConstraint", b.region));
}

nb_result_t s3_put_bucket_versioning(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *status = nb_json_str(json_object_get(in, "VersioningConfiguration"), "Status");
    int v;
    if (status && strcmp(status, "Enabled") == 0)
        v = S3_VER_ENABLED;
    else if (status && strcmp(status, "Suspended") == 0)
        v = S3_VER_SUSPENDED;
    else
        return nb_error(req, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against our published schema");
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "UPDATE buckets SET versioning = ?2 WHERE name = ?1");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, b.name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, v);
    if (nb_store_run(s) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t s3_get_bucket_versioning(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    if (b.versioning == S3_VER_OFF)
        return nb_reply_new(req, json_object());
    return nb_reply_new(req, json_pack("{s:s}", "Status", b.versioning == S3_VER_ENABLED ? "Enabled" : "Suspended"));
}

/* ------------------------------------------------ stored configurations */

/* One subresource: the input member stored on Put, how Get answers it, what
 * Get says when it was never set (code NULL: an empty configuration). */
typedef struct config_kind {
    const char *kind, *put_op, *get_op, *delete_op;
    const char *in_member;  /* the member of the Put input that is stored */
    const char *out_member; /* NULL: the stored structure is the Get output */
    const char *missing_code, *missing_msg;
    const char *missing_json; /* with no missing_code: the Get output when never set (NULL: {}) */
} config_kind_t;

static const config_kind_t config_kinds[] = {
    {"tagging", "PutBucketTagging", "GetBucketTagging", "DeleteBucketTagging", "Tagging", NULL, "NoSuchTagSet",
     "The TagSet does not exist", NULL},
    {"cors", "PutBucketCors", "GetBucketCors", "DeleteBucketCors", "CORSConfiguration", NULL,
     "NoSuchCORSConfiguration", "The CORS configuration does not exist", NULL},
    {"policy", "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "Policy", "Policy", "NoSuchBucketPolicy",
     "The bucket policy does not exist", NULL},
    {"lifecycle", "PutBucketLifecycleConfiguration", "GetBucketLifecycleConfiguration", "DeleteBucketLifecycle",
     "LifecycleConfiguration", NULL, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", NULL},
    {"encryption", "PutBucketEncryption", "GetBucketEncryption", "DeleteBucketEncryption",
     "ServerSideEncryptionConfiguration", "ServerSideEncryptionConfiguration",
     "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", NULL},
    {"ownership", "PutBucketOwnershipControls", "GetBucketOwnershipControls", "DeleteBucketOwnershipControls",
     "OwnershipControls", "OwnershipControls", "OwnershipControlsNotFoundError",
     "The bucket ownership controls were not found", NULL},
    {"public-access-block", "PutPublicAccessBlock", "GetPublicAccessBlock", "DeletePublicAccessBlock",
     "PublicAccessBlockConfiguration", "PublicAccessBlockConfiguration", "NoSuchPublicAccessBlockConfiguration",
     "The public access block configuration was not found", NULL},
    {"notification", "PutBucketNotificationConfiguration", "GetBucketNotificationConfiguration", NULL,
     "NotificationConfiguration", NULL, NULL, NULL, NULL},
    {"website", "PutBucketWebsite", "GetBucketWebsite", "DeleteBucketWebsite", "WebsiteConfiguration", NULL,
     "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", NULL},
    /* Stored and answered; logging is acted on in s3_logging.c, acceleration and payer are not. */
    {"logging", "PutBucketLogging", "GetBucketLogging", NULL, "BucketLoggingStatus", NULL, NULL, NULL, NULL},
    {"request-payment", "PutBucketRequestPayment", "GetBucketRequestPayment", NULL, "RequestPaymentConfiguration", NULL,
     NULL, NULL, "{\"Payer\":\"BucketOwner\"}"},
    {"accelerate", "PutBucketAccelerateConfiguration", "GetBucketAccelerateConfiguration", NULL,
     "AccelerateConfiguration", NULL, NULL, NULL, NULL},
    {"object-lock", NULL, "GetObjectLockConfiguration", NULL, "ObjectLockConfiguration", "ObjectLockConfiguration",
     "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", NULL},
};

typedef enum { CONFIG_PUT, CONFIG_GET, CONFIG_DELETE } config_verb_t;

static const config_kind_t *config_of(const char *op, config_verb_t verb) {
    for (size_t i = 0; op && i < sizeof config_kinds / sizeof config_kinds[0]; i++) {
        const config_kind_t *k = &config_kinds[i];
        const char *name = verb == CONFIG_PUT ? k->put_op : verb == CONFIG_GET ? k->get_op : k->delete_op;
        if (name && strcmp(name, op) == 0)
            return k;
    }
    return NULL;
}

/* The config handlers' opening: the subresource the operation is about and its bucket. Go on, or
 * stop with 501 (an operation the table lacks) or the bucket's error. */
static nb_step_t config_open(nb_req_t *req, const json_t *in, config_verb_t verb, const config_kind_t **k,
                             s3_bucket_t *b) {
    *k = config_of(nb_req_operation(req), verb);
    if (*k == NULL)
        return nb_stop(NB_NOT_IMPLEMENTED);
    return s3_bucket_load(req, nb_json_str(in, "Bucket"), b);
}

/* Stores a bucket's subresource as JSON text (taken): 0, or NB_ESTORE. */
static int config_store(const char *bucket, const char *kind, char *text) {
    sqlite3_stmt *s =
        nb_store_stmt(&s3_store, "INSERT OR REPLACE INTO bucket_config(name, kind, value) VALUES(?1, ?2, ?3)");
    if (s == NULL || text == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, text, -1, free);
    return nb_store_run(s) == 0 ? 0 : NB_ESTORE;
}

nb_result_t s3_config_put(nb_req_t *req, const json_t *in) {
    const config_kind_t *k;
    s3_bucket_t b;
    NB_TRY(config_open(req, in, CONFIG_PUT, &k, &b));
    json_t *v = json_object_get(in, k->in_member);
    if (config_store(b.name, k->kind, json_dumps(v ? v : json_null(), JSON_COMPACT | JSON_ENCODE_ANY)) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

/* The stored value of a bucket's subresource (new reference) or NULL. */
json_t *s3_config_load(const char *bucket, const char *kind) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT value FROM bucket_config WHERE name = ?1 AND kind = ?2");
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    json_t *v = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(s, 0);
        v = s3_json_load(text, (size_t)sqlite3_column_bytes(s, 0));
    }
    sqlite3_reset(s);
    return v;
}

nb_result_t s3_config_get(nb_req_t *req, const json_t *in) {
    const config_kind_t *k;
    s3_bucket_t b;
    NB_TRY(config_open(req, in, CONFIG_GET, &k, &b));
    json_t *v = s3_config_load(b.name, k->kind);
    if (v == NULL || json_is_null(v)) {
        json_decref(v);
        if (k->missing_code == NULL)
            return nb_reply_new(req, k->missing_json ? json_loads(k->missing_json, 0, NULL) : json_object());
        return nb_error_fields(req, k->missing_code, json_pack("{s:s}", "BucketName", b.name), "%s", k->missing_msg);
    }
    if (k->out_member)
        return nb_reply_new(req, json_pack("{s:o}", k->out_member, v));
    return nb_reply_new(req, v);
}

nb_result_t s3_config_delete(nb_req_t *req, const json_t *in) {
    const config_kind_t *k;
    s3_bucket_t b;
    NB_TRY(config_open(req, in, CONFIG_DELETE, &k, &b));
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "DELETE FROM bucket_config WHERE name = ?1 AND kind = ?2");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, b.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, k->kind, -1, SQLITE_STATIC);
    if (nb_store_run(s) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t s3_get_bucket_acl(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    json_t *grants = s3_config_load(b.name, "acl");
    json_t *out = s3_acl_output(b.account, json_is_array(grants) ? grants : NULL);
    json_decref(grants);
    return nb_reply_new(req, out);
}

/* Stores a bucket's grants (an owned array; NULL stores nothing). */
int s3_bucket_acl_store(const char *bucket, json_t *grants) {
    if (grants == NULL)
        return 0;
    char *text = json_dumps(grants, JSON_COMPACT);
    json_decref(grants);
    return config_store(bucket, "acl", text);
}

/* PutBucketAcl / PutObjectAcl: a canned ACL, grant headers or an AccessControlPolicy body. */
nb_result_t s3_put_acl(nb_req_t *req, const json_t *in) {
    nb_step_t step;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *key = nb_json_str(in, "Key");
    s3_object_t o = {0};
    if (key) {
        int rc = s3_object_load(b.name, key, nb_json_str(in, "VersionId"), &o);
        if (rc < 0)
            return NB_FAILED(rc);
        if (rc == 0 || o.delete_marker) {
            s3_object_clear(&o);
            return s3_err_no_key(req, key);
        }
    }
    json_t *grants = NULL;
    if (nb_stopped(step = s3_acl_from_input(req, in, b.account, key == NULL, &grants))) {
        s3_object_clear(&o);
        return nb_step_result(step);
    }
    if (grants == NULL) {
        s3_object_clear(&o);
        return nb_error(req, "MissingSecurityHeader", "Your request was missing a required header");
    }
    int rc;
    if (key) {
        json_object_set_new(o.attrs, "Grants", grants);
        rc = s3_object_update_attrs(&o);
        s3_object_clear(&o);
    } else {
        rc = s3_bucket_acl_store(b.name, grants);
    }
    if (rc != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t s3_get_object_acl(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    s3_object_t o;
    const char *key = nb_json_str(in, "Key");
    int rc = s3_object_load(b.name, key, nb_json_str(in, "VersionId"), &o);
    if (rc < 0)
        return NB_FAILED(rc);
    bool found = rc == 1 && !o.delete_marker;
    json_t *out = found ? s3_acl_output(b.account, json_object_get(o.attrs, "Grants")) : NULL;
    s3_object_clear(&o);
    if (!found)
        return s3_err_no_key(req, key);
    return nb_reply_new(req, out);
}
