/* S3: the plugin's shared state and helpers. */
#ifndef NB_S3_PLUGIN_H
#define NB_S3_PLUGIN_H

#include <stdbool.h>
#include <nimbus/plugin.h>
#include <nimbus/store.h>

#include "s3_codec.h"

extern nb_store_t s3_store;
extern nb_plugin_t *s3_self;
/* Bodies are checked against a hex x-amz-content-sha256 (ENFORCE_IAM=1 only, s3_init says why). */
extern bool s3_payload_sha256_checked;

enum { S3_VER_OFF = 0, S3_VER_ENABLED, S3_VER_SUSPENDED };

typedef struct s3_bucket {
    char name[64];
    char account[32];
    char region[32];
    double created;
    int versioning;
    /* Configurations (bucket_config kinds) s3_bucket_find saw the bucket lacks, read with its
     * row, so that every request need not look each up: S3_LACKS_* bits; 0 (a bucket filled
     * in elsewhere) means "not known", and the configuration is looked up. */
    unsigned lacks;
} s3_bucket_t;
enum { S3_LACKS_LOGGING = 1u << 0, S3_LACKS_NOTIFICATION = 1u << 1 };

/* vals[i]: in's member names[i], or NULL, found in one pass over in's members. A request's input
 * holds a few members and a handler may ask for twenty: a lookup each costs more. */
void s3_input_pick(const json_t *in, const char *const *names, size_t n, const json_t **vals);

/* A bucket by name, without a request: 1 found, 0 absent, < 0 store failure. */
int s3_bucket_find(const char *name, s3_bucket_t *b);
/* The rows s3_bucket_find read, kept until a bucket write's transaction ends (s3_bucket_cache.c).
 * init: after the store is migrated; reset: after a state reset. get: true with *b filled in. */
void s3_bucket_cache_init(void);
void s3_bucket_cache_reset(void);
bool s3_bucket_cache_get(const char *name, s3_bucket_t *b);
void s3_bucket_cache_put(const char *name, const s3_bucket_t *b);
/* What other caches of bucket rows key on: false while a bucket write's transaction is open (or
 * nothing may be cached), else *out, which moves whenever kept rows are dropped. */
bool s3_bucket_cache_epoch(uint64_t *out);
/* The bucket a request names, after the checks every handler runs (presigned URL, small
 * body): go on, or stop with NoSuchBucket (or the check's error) set, or a store failure. */
nb_step_t s3_bucket_load(nb_req_t *req, const char *name, s3_bucket_t *b);
/* Go on, or stop with AccessDenied set when a presigned URL has expired. Every handler runs it. */
nb_step_t s3_check_presigned(nb_req_t *req);
nb_result_t s3_err_no_bucket(nb_req_t *req, const char *name);
nb_result_t s3_err_no_key(nb_req_t *req, const char *key);

/* A fresh random id: hex (32 chars) for blobs and uploads. out: 33 bytes. */
void s3_random_hex(char out[33]);
/* A version id like S3's (32 URL-safe chars). out: 33 bytes. */
void s3_version_id(char out[33]);
/* "Wed, 12 Oct 2009 17:50:00 GMT" -> epoch; -1 if not a date. */
double s3_http_date(const char *s);

/* Go on, or stop with InvalidArgument/KeyTooLongError set. */
nb_step_t s3_check_key(nb_req_t *req, const char *key);
/* If-None-Match: * / If-Match on writes: go on, or stop (error set, or a failure). */
nb_step_t s3_write_conditions(nb_req_t *req, const char *bucket, const char *key);


/* The stored representation of one object version. */
typedef struct s3_object {
    long long id;
    char *key, *version_id, *etag, *blob;
    int64_t size;
    double modified;
    bool delete_marker, latest;
    int parts;
    json_t *attrs; /* output members: ContentType, Metadata, checksums, ... (owned) */
    const unsigned char *data; /* inline bytes to store (borrowed; s3_object_store only) */
    nb_body_t *body; /* the whole inline bytes, from s3_object_load_with_body (owned), or NULL */
} s3_object_t;

void s3_object_clear(s3_object_t *o);
/* Forgets the statements s3_model.c keeps (before nb_store_fini finalizes them). */
/* Loads the latest version (version_id NULL) or the given one. 1 found, 0 not, < 0 error. */
int s3_object_load(const char *bucket, const char *key, const char *version_id, s3_object_t *o);
/* The same, with an inline object's bytes in o->body (read in the same statement: GetObject);
 * o->body stays NULL for a body kept in a blob, or when out of memory. */
int s3_object_load_with_body(const char *bucket, const char *key, const char *version_id, s3_object_t *o);
/* Replaces/adds a version as S3 does for the bucket's versioning state;
 * o->version_id is set to "null" or a new id. Blobs no longer referenced are removed. */
int s3_object_store(const s3_bucket_t *b, s3_object_t *o);
/* Removes one version row and its blob; promotes the next newest to latest. */
int s3_object_remove_version(const char *bucket, const char *key, const char *version_id);
/* Stores o (its body written: o->blob or o->data) as the newest version of its key in b, as
 * s3_object_store does, and announces it (event notifications): 0; or NB_ESTORE, with o's
 * blob removed and o cleared. PutObject, CopyObject, POST uploads, CompleteMultipartUpload. */
int s3_object_store_new(nb_req_t *req, const s3_bucket_t *b, s3_object_t *o);

/* Reads a request body into a new blob, decoding aws-chunked framing and checking
 * Content-MD5 and x-amz-checksum-*. Go on with the result fields set, or stop (an error
 * set on req, or an internal failure). */
/* Objects up to this size live in the database row instead of a file of their own:
 * creating a file per small PUT costs more than the rest of the request. */
#define S3_INLINE_MAX (64 * 1024)

typedef struct s3_ingest {
    char blob[40];         /* "" when the bytes are inline in data */
    unsigned char *data;   /* malloc'd inline bytes (size of them), or NULL */
    int64_t size;
    unsigned char md5[16];
    char etag[40]; /* quoted hex MD5 */
    unsigned algs; /* checksums computed */
    char checksum[S3_CK__COUNT][64];
    char sha256_hex[65]; /* the body's SHA-256 when x-amz-content-sha256 named one */
    const s3_bucket_t *bucket; /* the caller's, given to s3_ingest_then, when the body was read in the
                                * handler's own transaction; NULL after an async ingest (load it again) */
} s3_ingest_t;
nb_step_t s3_ingest_body(nb_req_t *req, const json_t *in, bool allow_inline, s3_ingest_t *out);

/* The same in three steps, for bodies hashed off the event loop: prepare (loop: headers),
 * run (any thread: 0, < 0 failure, or an S3_INGEST_* error), error (loop: sets it). */
typedef struct s3_plan {
    nb_body_t *body;
    bool streaming, allow_inline, check_md5, check_sha256;
    unsigned algs;
    int trailer_alg;
    int64_t decoded_length;
    unsigned char want_md5[16];
    char expect[S3_CK__COUNT][64];
    char want_sha256[65]; /* x-amz-content-sha256 when it is a hash (lower-case hex) */
} s3_plan_t;
enum { S3_INGEST_BAD_MD5 = 1, S3_INGEST_BAD_CHUNK, S3_INGEST_INCOMPLETE, S3_INGEST_BAD_TRAILER,
       S3_INGEST_BAD_SHA256, S3_INGEST_BAD_CHECKSUM /* + alg */ };
/* Bodies above this are hashed and moved on the thread pool. */
#define S3_ASYNC_MIN (8 * 1024 * 1024)
nb_step_t s3_ingest_prepare(nb_req_t *req, bool allow_inline, s3_plan_t *plan);
int s3_ingest_run(const s3_plan_t *plan, s3_ingest_t *out);
nb_result_t s3_ingest_error(nb_req_t *req, int rc, const s3_ingest_t *ing);
/* The body of a request that is not an upload (XML: DeleteObjects, PutBucketTagging, ...) against
 * x-amz-content-sha256 and x-amz-checksum-*: go on, or stop with the error set. s3_bucket_load runs it. */
nb_step_t s3_check_small_body(nb_req_t *req);
/* Ingests the request body (on the thread pool when large, then returns NB_ASYNC) and
 * hands the result to finish, which owns it and replies (or sets an error) or fails (NB_FAILED).
 * checked (may be NULL): the bucket the handler loaded, handed on as ing->bucket when the body
 * is read at once, so finish need not read it again. */
typedef nb_result_t (*s3_ingest_finish_fn)(nb_req_t *req, const json_t *in, s3_ingest_t *ing);
nb_result_t s3_ingest_then(nb_req_t *req, const json_t *in, bool allow_inline, const s3_bucket_t *checked,
                           s3_ingest_finish_fn finish);
/* Drops an ingested body that will not be stored (its blob, or its inline bytes). */
void s3_ingest_discard(s3_ingest_t *ing);
/* Stores an ingested body as o (key and attrs set by the caller; ETag, body, size and modified
 * time come from ing) with s3_object_store_new, and releases ing's bytes either way. 0 with o
 * stored (the caller clears it), or NB_ESTORE with o cleared and the body removed. */
int s3_object_store_ingested(nb_req_t *req, const s3_bucket_t *b, s3_object_t *o, s3_ingest_t *ing);
/* The same for a copy from src (owned): finish gets ctx, which ctx_free releases afterwards. */
typedef nb_result_t (*s3_copy_finish_fn)(nb_req_t *req, const json_t *in, s3_ingest_t *ing, void *ctx);
nb_result_t s3_copy_then(nb_req_t *req, const json_t *in, nb_body_t *src, unsigned algs, bool allow_inline,
                         s3_copy_finish_fn finish, void *ctx, void (*ctx_free)(void *ctx));
/* The bytes [first, first + len) of a version (its blob or its inline data); NULL on failure. */
nb_body_t *s3_object_body(const s3_object_t *o, int64_t first, int64_t len);
/* Copies a body into a new blob (or inline data when allowed and small), hashing it. */
int s3_copy_body(nb_body_t *src, unsigned algs, bool allow_inline, s3_ingest_t *out);
/* The object's attributes (metadata, content headers, checksums) a write request sets. */
json_t *s3_attrs_from_input(nb_req_t *req, const json_t *in);
/* The checksum members of a response for an object's stored attributes. */
void s3_output_checksums(nb_req_t *req, json_t *out, const json_t *attrs);
/* The source object a copy names (x-amz-copy-source), with its bucket's checks and conditions. */
nb_step_t s3_load_copy_source(nb_req_t *req, const json_t *in, s3_bucket_t *sb, s3_object_t *so);

/* Handlers. */
nb_result_t s3_create_bucket(nb_req_t *req, const json_t *in);
nb_result_t s3_delete_bucket(nb_req_t *req, const json_t *in);
nb_result_t s3_head_bucket(nb_req_t *req, const json_t *in);
nb_result_t s3_list_buckets(nb_req_t *req, const json_t *in);
nb_result_t s3_get_bucket_location(nb_req_t *req, const json_t *in);
nb_result_t s3_put_bucket_versioning(nb_req_t *req, const json_t *in);
nb_result_t s3_get_bucket_versioning(nb_req_t *req, const json_t *in);
nb_result_t s3_config_put(nb_req_t *req, const json_t *in);
nb_result_t s3_config_get(nb_req_t *req, const json_t *in);
nb_result_t s3_config_delete(nb_req_t *req, const json_t *in);
nb_result_t s3_get_bucket_acl(nb_req_t *req, const json_t *in);
nb_result_t s3_put_acl(nb_req_t *req, const json_t *in);

nb_result_t s3_put_object(nb_req_t *req, const json_t *in);
nb_result_t s3_get_object(nb_req_t *req, const json_t *in);
nb_result_t s3_head_object(nb_req_t *req, const json_t *in);
nb_result_t s3_delete_object(nb_req_t *req, const json_t *in);
nb_result_t s3_delete_objects(nb_req_t *req, const json_t *in);
nb_result_t s3_copy_object(nb_req_t *req, const json_t *in);
nb_result_t s3_get_object_attributes(nb_req_t *req, const json_t *in);
nb_result_t s3_get_object_tagging(nb_req_t *req, const json_t *in);
nb_result_t s3_put_object_tagging(nb_req_t *req, const json_t *in);
nb_result_t s3_delete_object_tagging(nb_req_t *req, const json_t *in);
nb_result_t s3_get_object_acl(nb_req_t *req, const json_t *in);

nb_result_t s3_list_objects(nb_req_t *req, const json_t *in);
nb_result_t s3_list_objects_v2(nb_req_t *req, const json_t *in);
nb_result_t s3_list_object_versions(nb_req_t *req, const json_t *in);

nb_result_t s3_create_multipart_upload(nb_req_t *req, const json_t *in);
nb_result_t s3_upload_part(nb_req_t *req, const json_t *in);
/* The checks of PutObject and UploadPart that need no body (the precheck hook): go on,
 * or stop (error set, or a failure). */
nb_step_t s3_put_object_precheck(nb_req_t *req, const json_t *in);
nb_step_t s3_upload_part_precheck(nb_req_t *req, const json_t *in);
nb_result_t s3_upload_part_copy(nb_req_t *req, const json_t *in);
nb_result_t s3_complete_multipart_upload(nb_req_t *req, const json_t *in);
nb_result_t s3_abort_multipart_upload(nb_req_t *req, const json_t *in);
nb_result_t s3_list_parts(nb_req_t *req, const json_t *in);
nb_result_t s3_list_multipart_uploads(nb_req_t *req, const json_t *in);
/* Discards a bucket's unfinished uploads (their part blobs) and its completed-upload records. */
int s3_uploads_drop_bucket(const char *bucket);
nb_result_t s3_post_object(nb_req_t *req, const json_t *in);
/* CORS (s3_cors.c): preflights, and the matching rule's headers on actual requests. */
nb_result_t s3_preflight(nb_req_t *req, const json_t *in);
void s3_cors_actual(nb_req_t *req, const char *bucket);

/* ACLs (s3_acl.c). From the input's ACL / Grant* / AccessControlPolicy members: go on
 * with *grants the new Grants list, or NULL when the request names none; or stop, the error
 * set (req NULL: only checks, sets nothing). */
nb_step_t s3_acl_from_input(nb_req_t *req, const json_t *in, const char *account, bool bucket, json_t **grants);
/* The owner's FULL_CONTROL alone (new reference). */
json_t *s3_acl_default(const char *account);
/* The Get*Acl output for stored grants (borrowed; NULL: the default). */
json_t *s3_acl_output(const char *account, const json_t *grants);
void s3_attrs_set_acl(json_t *attrs, const json_t *in, const char *account);
int s3_bucket_acl_store(const char *bucket, json_t *grants_new);
/* A bucket's stored subresource (new reference) or NULL. */
json_t *s3_config_load(const char *bucket, const char *kind);
/* ENFORCE_IAM=1 (s3_authz.c): the action table and the bucket policy as the resource policy. */
extern const nb_authz_action_t s3_actions[];
int s3_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out);
void s3_authz_free(void); /* its cache of decoded policies, at fini */
/* Under ENFORCE_IAM=1, whether the request's signer may do action on the object BUCKET/KEY (with
 * the bucket's policy): DeleteObjects' keys, a copy's source. true when nothing is enforced. */
bool s3_authz_object(nb_req_t *req, const char *action, const char *bucket, const char *key);
/* Writes o->attrs back to its row. */
int s3_object_update_attrs(const s3_object_t *o);

/* The Location of an object as S3 answers it (PostObject, CompleteMultipartUpload): the request's
 * host, then the bucket unless it is the virtual host, then the URL-encoded key. malloc'd. */
char *s3_location(nb_req_t *req, const char *bucket, const char *key);

/* Stored JSON (object attributes, bucket configurations) read and written through the core's
 * one-pass reader and printer (ABI 1.9), jansson's on an older core. load: NULL if not JSON;
 * load_object: an empty object then, or for any other value; text: malloc'd, NULL for NULL. */
json_t *s3_json_load(const char *text, size_t len);
json_t *s3_json_load_object(const char *text, size_t len);
char *s3_json_text(const json_t *v);

/* A duration setting S3 declares (S3_RESTORE_DELAY), in seconds; def on an old core without it. */
double s3_setting_seconds(const char *name, double def);

/* Object events on the core's event bus (s3_events.c), for other plugins of the process:
 * "s3:" + event ("s3:ObjectCreated:Put") with a detail shaped like EventBridge's S3 events;
 * deletion_type ("Permanently Deleted", "Delete Marker Created") only for removals. */
void s3_events_publish(nb_req_t *req, const s3_bucket_t *b, const char *event, const char *key, const s3_object_t *o,
                       const char *deletion_type);
/* An event's sequencer: grows with each event, 16 hex digits. */
void s3_event_sequencer(char out[17]);
/* An ETag as events carry it, without its quotes. */
void s3_etag_unquoted(const char *etag, char out[64]);

/* Event notifications (s3_notify.c): SQS deliveries after the request's commit. */
nb_result_t s3_put_bucket_notification(nb_req_t *req, const json_t *in);
json_t *s3_config_load(const char *bucket, const char *kind); /* stored subresource, new reference, or NULL */
/* After an object version was stored: the event follows the operation (Put, Post, Copy, CompleteMultipartUpload). */
void s3_notify_created(nb_req_t *req, const s3_bucket_t *b, const s3_object_t *o);
/* After a delete of key (asked_vid: the version asked for, or NULL); result as DeleteObject(s)
 * answers it (VersionId, DeleteMarker, DeleteMarkerVersionId). */
void s3_notify_removed(nb_req_t *req, const s3_bucket_t *b, const char *key, const char *asked_vid,
                       const json_t *result);

/* Tag and new-object rules (s3_object.c). Go on, or stop with AWS's error set. */
nb_step_t s3_check_tags(nb_req_t *req, const json_t *tagset, bool bucket); /* 10 per object, 50 per bucket */
/* StorageClass, user metadata (2 KB) and x-amz-tagging of a PutObject-like input. */
nb_step_t s3_check_new_object(nb_req_t *req, const json_t *in);
nb_result_t s3_put_bucket_tagging(nb_req_t *req, const json_t *in);

/* The version a request names (NoSuchKey, NoSuchVersion, a delete marker's 405 set when there is
 * none): go on (found), or stop (error set, or a failure). */
nb_step_t s3_find_version(nb_req_t *req, const s3_bucket_t *b, const char *key, const char *vid, s3_object_t *o);

/* Archived objects (s3_restore.c). */
enum { S3_RESTORE_NONE /* not archived */, S3_RESTORE_ARCHIVED, S3_RESTORE_ONGOING, S3_RESTORE_DONE };
int s3_restore_state(const json_t *attrs);
/* Go on when the version's bytes may be read (GET) or copied; else stop with InvalidObjectState set. */
nb_step_t s3_check_readable(nb_req_t *req, const s3_object_t *o, bool copy_source);
/* The Restore member (x-amz-restore) of a Get/Head output, when a restore was asked for. */
void s3_restore_output(json_t *out, const json_t *attrs);
/* Forgets a restore (a copy of the object is a new object). */
void s3_restore_drop(json_t *attrs);
nb_result_t s3_restore_object(nb_req_t *req, const json_t *in);

/* Server access logs (s3_logging.c). */
nb_result_t s3_put_bucket_logging(nb_req_t *req, const json_t *in);
/* Records the request in b's access log, if b has logging enabled, once it is answered. */
void s3_logging_watch(nb_req_t *req, const s3_bucket_t *b);
/* Writes the records still waiting (the plugin stops). */
void s3_logging_fini(void);

/* Owner element of listings and ACLs. */
json_t *s3_owner(const char *account);

#endif
