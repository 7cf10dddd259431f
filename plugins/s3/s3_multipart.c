/* Multipart uploads: parts are blobs of their own, concatenated into the object at completion. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_plugin.h"

#define MIN_PART_SIZE (5 * 1024 * 1024)

static nb_step_t checksum_type_check(nb_req_t *req, int ck, const char **type);

typedef struct upload {
    char key[1100];
    double initiated;
    json_t *attrs;
} upload_t;

static nb_result_t no_upload(nb_req_t *req, const char *id) {
    return nb_error_fields(req, "NoSuchUpload", json_pack("{s:s}", "UploadId", id ? id : ""),
                           "The specified upload does not exist. The upload ID may be invalid, or the upload may "
                           "have been aborted or completed.");
}

/* 1 found (u->attrs owned by the caller), 0 NoSuchUpload set, < 0 failure. */
static nb_step_t upload_load(nb_req_t *req, const char *bucket, const char *key, const char *id, upload_t *u) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT key, initiated, attrs FROM uploads WHERE upload_id = ?1 AND"
                                               " bucket = ?2 AND key = ?3");
    if (s == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    sqlite3_bind_text(s, 1, id ? id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, key ? key : "", -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return nb_stop(no_upload(req, id));
    }
    snprintf(u->key, sizeof u->key, "%s", (const char *)sqlite3_column_text(s, 0));
    u->initiated = sqlite3_column_double(s, 1);
    const char *a = (const char *)sqlite3_column_text(s, 2);
    u->attrs = s3_json_load_object(a, (size_t)sqlite3_column_bytes(s, 2));
    sqlite3_reset(s);
    return NB_GO_ON;
}

/* Removes an upload's rows and its part blobs (all parts, or every part not in keep). */
static int upload_drop(const char *id, bool keep_blobs) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "DELETE FROM parts WHERE upload_id = ?1 RETURNING blob");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (!keep_blobs)
            nb_blob_remove_at_commit(s3_self, (const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return NB_ESTORE;
    s = nb_store_stmt(&s3_store, "DELETE FROM uploads WHERE upload_id = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    return nb_store_run(s);
}

/* S3 answers a CompleteMultipartUpload repeated after success with the same result, and an
 * AbortMultipartUpload of the completed upload with 204, for some hours (then NoSuchUpload);
 * AWS documents no length: Nimbus keeps completed uploads this long. */
#define COMPLETED_KEEP_SECONDS (6 * 3600)

/* The stored result of a completed upload still in the window (new reference), or NULL. */
static json_t *completed_load(const char *bucket, const char *key, const char *id) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT result FROM completed_uploads WHERE upload_id = ?1 AND"
                                               " bucket = ?2 AND key = ?3 AND completed >= ?4");
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, id ? id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, key ? key : "", -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, nb_now() - COMPLETED_KEEP_SECONDS);
    json_t *result = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        result = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
    sqlite3_reset(s);
    return result;
}

/* Records a completion (and forgets those past the window). */
static int completed_store(const char *bucket, const char *key, const char *id, const json_t *result) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "DELETE FROM completed_uploads WHERE completed < ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_double(s, 1, nb_now() - COMPLETED_KEEP_SECONDS);
    if (nb_store_run(s) != 0)
        return NB_ESTORE;
    s = nb_store_stmt(&s3_store, "INSERT OR REPLACE INTO completed_uploads(upload_id, bucket, key, completed, result)"
                                 " VALUES(?1, ?2, ?3, ?4, ?5)");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, nb_now());
    sqlite3_bind_text(s, 5, json_dumps(result, JSON_COMPACT), -1, free);
    return nb_store_run(s);
}

int s3_uploads_drop_bucket(const char *bucket) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT upload_id FROM uploads WHERE bucket = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    json_t *ids = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(ids, json_string((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    size_t i;
    json_t *id;
    int rc = 0;
    json_array_foreach(ids, i, id) {
        if (rc == 0)
            rc = upload_drop(json_string_value(id), false);
    }
    json_decref(ids);
    if (rc != 0)
        return NB_ESTORE;
    s = nb_store_stmt(&s3_store, "DELETE FROM completed_uploads WHERE bucket = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    return nb_store_run(s);
}

nb_result_t s3_create_multipart_upload(nb_req_t *req, const json_t *in) {
    nb_step_t step;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    NB_TRY(s3_check_key(req, nb_json_str(in, "Key")));
    NB_TRY(s3_check_new_object(req, in));
    json_t *grants = NULL;
    NB_TRY(s3_acl_from_input(req, in, b.account, false, &grants));
    json_decref(grants);
    char id[33];
    s3_random_hex(id);
    json_t *attrs = s3_attrs_from_input(req, in);
    s3_attrs_set_acl(attrs, in, b.account);
    const char *alg = nb_json_str(in, "ChecksumAlgorithm");
    if (alg == NULL)
        alg = nb_req_header(req, "x-amz-checksum-algorithm");
    int ck = alg ? s3_ck_from_name(alg) : -1;
    if (ck >= 0)
        json_object_set_new(attrs, "ChecksumAlgorithm", json_string(s3_ck_name(ck)));
    const char *type = nb_json_str(in, "ChecksumType");
    if (type == NULL)
        type = nb_req_header(req, "x-amz-checksum-type");
    if (nb_stopped(step = checksum_type_check(req, ck, &type))) {
        json_decref(attrs);
        return nb_step_result(step);
    }
    if (type)
        json_object_set_new(attrs, "ChecksumType", json_string(type));
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "INSERT INTO uploads(account, region, upload_id, bucket, key, initiated,"
                                               " attrs) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (s == NULL) {
        json_decref(attrs);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, b.account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, b.region, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, b.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, nb_json_str(in, "Key"), -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 6, nb_now());
    sqlite3_bind_text(s, 7, json_dumps(attrs, JSON_COMPACT), -1, free);
    if (nb_store_run(s) != 0) {
        json_decref(attrs);
        return NB_FAILED(NB_ESTORE);
    }
    json_t *out = json_pack("{s:s,s:s,s:s}", "Bucket", b.name, "Key", nb_json_str(in, "Key"), "UploadId", id);
    if (nb_json_str(attrs, "ChecksumAlgorithm"))
        json_object_set(out, "ChecksumAlgorithm", json_object_get(attrs, "ChecksumAlgorithm"));
    if (nb_json_str(attrs, "ChecksumType"))
        json_object_set(out, "ChecksumType", json_object_get(attrs, "ChecksumType"));
    json_decref(attrs);
    return nb_reply_new(req, out);
}

static int store_part(const char *id, int number, const s3_ingest_t *ing) {
    /* A part uploaded again replaces the earlier one. */
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "DELETE FROM parts WHERE upload_id = ?1 AND part_number = ?2 RETURNING blob");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, number);
    while (sqlite3_step(s) == SQLITE_ROW)
        nb_blob_remove_at_commit(s3_self, (const char *)sqlite3_column_text(s, 0));
    sqlite3_reset(s);
    json_t *cks = json_object();
    for (int a = 0; a < S3_CK__COUNT; a++)
        if (ing->algs & S3_CK_BIT(a))
            json_object_set_new(cks, s3_ck_member(a), json_string(ing->checksum[a]));
    s = nb_store_stmt(&s3_store, "INSERT INTO parts(upload_id, part_number, size, etag, blob, modified, checksums)"
                                 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (s == NULL) {
        json_decref(cks);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, number);
    sqlite3_bind_int64(s, 3, ing->size);
    sqlite3_bind_text(s, 4, ing->etag, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, ing->blob, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 6, (double)(long long)nb_now());
    sqlite3_bind_text(s, 7, json_dumps(cks, JSON_COMPACT), -1, free);
    json_decref(cks);
    return nb_store_run(s);
}

static nb_step_t part_number(nb_req_t *req, const json_t *in, int *n) {
    const json_t *v = json_object_get(in, "PartNumber");
    json_int_t pn = json_is_integer(v) ? json_integer_value(v) : 0;
    if (pn < 1 || pn > 10000)
        return nb_stop(nb_error_fields(req, "InvalidArgument",
                               json_pack("{s:s,s:I}", "ArgumentName", "partNumber", "ArgumentValue", pn),
                               "Part number must be an integer between 1 and 10000, inclusive"));
    *n = (int)pn;
    return NB_GO_ON;
}

/* The bucket, part number and upload of a part, checked again before it is stored: the
 * upload may be gone after an async ingest or copy. */
static nb_step_t part_target(nb_req_t *req, const json_t *in, s3_bucket_t *b, int *number) {
    NB_TRY_STEP(s3_bucket_load(req, nb_json_str(in, "Bucket"), b));
    NB_TRY_STEP(part_number(req, in, number));
    upload_t u;
    NB_TRY_STEP(upload_load(req, b->name, nb_json_str(in, "Key"), nb_json_str(in, "UploadId"), &u));
    json_decref(u.attrs);
    return NB_GO_ON;
}

/* Stores an ingested or copied part, its upload checked again (part_target): go on; or stop,
 * the part's blob removed. */
static nb_step_t part_store(nb_req_t *req, const json_t *in, s3_ingest_t *ing) {
    s3_bucket_t b;
    int number = 0;
    nb_step_t step = part_target(req, in, &b, &number);
    if (!nb_stopped(step) && store_part(nb_json_str(in, "UploadId"), number, ing) != 0)
        step = nb_stop(NB_FAILED(NB_ESTORE));
    if (nb_stopped(step))
        nb_blob_remove(s3_self, ing->blob);
    return step;
}

/* Stores an ingested part and answers its ETag and checksums. */
static nb_result_t part_finish(nb_req_t *req, const json_t *in, s3_ingest_t *ing) {
    NB_TRY(part_store(req, in, ing));
    json_t *out = json_pack("{s:s}", "ETag", ing->etag);
    json_t *cks = json_object();
    for (int a = 0; a < S3_CK__COUNT; a++)
        if (ing->algs & S3_CK_BIT(a))
            json_object_set_new(cks, s3_ck_member(a), json_string(ing->checksum[a]));
    s3_output_checksums(req, out, cks);
    json_decref(cks);
    return nb_reply_new(req, out);
}

/* What UploadPart checks before its body: go on, or stop (error set, or a failure). */
nb_step_t s3_upload_part_precheck(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    int number = 0;
    return part_target(req, in, &b, &number);
}

nb_result_t s3_upload_part(nb_req_t *req, const json_t *in) {
    NB_TRY(s3_upload_part_precheck(req, in));
    return s3_ingest_then(req, in, false, NULL, part_finish);
}

/* x-amz-copy-source-range: exactly bytes=first-last (else InvalidArgument), within the source
 * (a first byte past its end InvalidRange, a last one InvalidArgument, as S3 answers). */
static nb_step_t copy_range(nb_req_t *req, const char *range, int64_t size, int64_t *first, int64_t *last) {
    long long f = -1, l = -1;
    int used = 0;
    json_t *arg = json_pack("{s:s,s:s}", "ArgumentName", "x-amz-copy-source-range", "ArgumentValue", range);
    if (sscanf(range, "bytes=%lld-%lld%n", &f, &l, &used) != 2 || range[used] != '\0' || f < 0 || l < f ||
        !isdigit((unsigned char)range[6]))
        return nb_stop(nb_error_fields(req, "InvalidArgument", arg,
                               "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
                               "and last are the zero-based offsets of the first and last bytes to copy"));
    if (f >= size) {
        char actual[32];
        snprintf(actual, sizeof actual, "%lld", (long long)size);
        json_decref(arg);
        return nb_stop(nb_error_fields(req, "InvalidRange",
                               json_pack("{s:s,s:s}", "RangeRequested", range, "ActualObjectSize", actual),
                               "The requested range is not satisfiable"));
    }
    if (l >= size)
        return nb_stop(nb_error_fields(req, "InvalidArgument", arg,
                               "Range specified is not valid for source object of size: %lld", (long long)size));
    json_decref(arg);
    *first = f;
    *last = l;
    return NB_GO_ON;
}

/* Stores a copied part and answers its CopyPartResult. */
static nb_result_t part_copy_finish(nb_req_t *req, const json_t *in, s3_ingest_t *ing, void *ctx) {
    const char *source_version = ctx;
    NB_TRY(part_store(req, in, ing));
    json_t *out = json_pack("{s:{s:s,s:f}}", "CopyPartResult", "ETag", ing->etag, "LastModified",
                            (double)(long long)nb_now());
    json_t *result = json_object_get(out, "CopyPartResult");
    for (int a = 0; a < S3_CK__COUNT; a++)
        if (ing->algs & S3_CK_BIT(a))
            json_object_set_new(result, s3_ck_member(a), json_string(ing->checksum[a]));
    if (strcmp(source_version, "null") != 0)
        json_object_set_new(out, "CopySourceVersionId", json_string(source_version));
    return nb_reply_new(req, out);
}

nb_result_t s3_upload_part_copy(nb_req_t *req, const json_t *in) {
    nb_step_t step;
    s3_bucket_t b, sb;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    int number = 0;
    NB_TRY(part_number(req, in, &number));
    upload_t u;
    NB_TRY(upload_load(req, b.name, nb_json_str(in, "Key"), nb_json_str(in, "UploadId"), &u));
    /* The part's checksum is computed over the copied bytes in the upload's algorithm. */
    const char *alg_name = nb_json_str(u.attrs, "ChecksumAlgorithm");
    int alg = alg_name ? s3_ck_from_name(alg_name) : -1;
    json_decref(u.attrs);
    s3_object_t so;
    NB_TRY(s3_load_copy_source(req, in, &sb, &so));
    int64_t first = 0, last = so.size - 1;
    const char *range = nb_json_str(in, "CopySourceRange");
    if (range && nb_stopped(step = copy_range(req, range, so.size, &first, &last))) {
        s3_object_clear(&so);
        return nb_step_result(step);
    }
    nb_body_t *src = s3_object_body(&so, first, last - first + 1);
    char *version = strdup(so.version_id ? so.version_id : "null");
    s3_object_clear(&so);
    if (version == NULL) {
        if (src)
            nb_body_free(src);
        return NB_FAILED(NB_ENOMEM);
    }
    return s3_copy_then(req, in, src, alg >= 0 ? S3_CK_BIT(alg) : 0, false, part_copy_finish, version, free);
}

typedef struct part {
    int number;
    int64_t size;
    char etag[40];
    char blob[40];
    json_t *cks;
} part_t;

static void parts_free(part_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        json_decref(p[i].cks);
    free(p);
}

static bool etag_eq(const char *a, const char *b) {
    if (a == NULL)
        return false;
    size_t al = strlen(a), bl = strlen(b);
    if (al && a[0] == '"') {
        a++;
        al -= al >= 2 && a[al - 2] == '"' ? 2 : 1;
    }
    if (bl && b[0] == '"') {
        b++;
        bl -= bl >= 2 && b[bl - 2] == '"' ? 2 : 1;
    }
    return al == bl && strncmp(a, b, al) == 0;
}

typedef struct complete_job {
    part_t *parts;
    size_t n;
    json_t *attrs, *in;
    char blob[40];
    int alg;
    bool full; /* FULL_OBJECT: the object's checksum is the checksum of all its bytes */
    char full_ck[64];
    size_t rawlen;
    unsigned char *md5s, *cks;
    int64_t total;
    int rc;
} complete_job_t;

static void complete_job_free(complete_job_t *j) {
    parts_free(j->parts, j->n);
    json_decref(j->attrs);
    json_decref(j->in);
    free(j->md5s);
    free(j->cks);
    free(j);
}

/* Concatenates the parts into the new blob (any thread). */
static void complete_work(void *data) {
    complete_job_t *j = data;
    nb_blob_writer_t *w = NULL;
    unsigned char *buf = malloc(256 * 1024);
    int rc = buf ? nb_blob_writer_new(s3_self, j->blob, &w) : NB_ENOMEM;
    s3_hash_t *h = j->full ? s3_hash_new(S3_CK_BIT(j->alg)) : NULL;
    if (j->full && h == NULL)
        rc = NB_ENOMEM;
    j->total = 0;
    for (size_t i = 0; rc == 0 && i < j->n; i++) {
        nb_body_t *src = nb_blob_body_new(s3_self, j->parts[i].blob, 0, -1);
        if (src == NULL) {
            rc = NB_EIO;
            break;
        }
        int64_t size = nb_body_size(src);
        for (int64_t off = 0; rc == 0 && off < size;) {
            ssize_t got = nb_body_read(src, off, buf, 256 * 1024);
            if (got <= 0) {
                rc = NB_EIO;
                break;
            }
            rc = nb_blob_write(w, buf, (size_t)got);
            if (h)
                s3_hash_update(h, buf, (size_t)got);
            off += got;
        }
        j->total += size;
        nb_body_free(src);
    }
    free(buf);
    if (h) {
        unsigned char md5[16];
        char b64[S3_CK__COUNT][64];
        s3_hash_final(h, md5, b64);
        snprintf(j->full_ck, sizeof j->full_ck, "%s", b64[j->alg]);
        s3_hash_free(h);
    }
    if (rc == 0) {
        rc = nb_blob_writer_finish(w);
        w = NULL;
    }
    if (w)
        nb_blob_writer_abort(w);
    j->rc = rc;
}

/* Stores the completed object (loop): 0, or < 0. The upload is checked again: it may
 * have been aborted or completed while the parts were concatenated. */
static nb_result_t complete_finish(nb_req_t *req, complete_job_t *j) {
    const json_t *in = j->in;
    const char *key = nb_json_str(in, "Key"), *id = nb_json_str(in, "UploadId");
    if (j->rc != 0)
        return NB_FAILED(j->rc);
    s3_bucket_t b;
    upload_t u;
    nb_step_t step = s3_bucket_load(req, nb_json_str(in, "Bucket"), &b);
    if (!nb_stopped(step) && !nb_stopped(step = upload_load(req, b.name, key, id, &u)))
        json_decref(u.attrs);
    if (nb_stopped(step)) {
        nb_blob_remove(s3_self, j->blob);
        return nb_step_result(step);
    }
    char etag[64];
    s3_etag_multipart(j->md5s, j->n, etag);
    s3_object_t o = {0};
    o.key = strdup(key);
    o.etag = strdup(etag);
    o.blob = strdup(j->blob);
    o.size = j->total;
    o.parts = (int)j->n;
    o.modified = (double)(long long)nb_now();
    o.attrs = json_incref(j->attrs);
    json_t *sizes = json_array();
    for (size_t i = 0; i < j->n; i++)
        json_array_append_new(sizes, json_integer(j->parts[i].size));
    json_object_set_new(o.attrs, "PartSizes", sizes); /* for GetObject partNumber */
    json_t *plist = json_array();
    for (size_t i = 0; i < j->n; i++) {
        json_t *p = json_pack("{s:i,s:I}", "PartNumber", j->parts[i].number, "Size", (json_int_t)j->parts[i].size);
        if (j->alg >= 0 && nb_json_str(j->parts[i].cks, s3_ck_member(j->alg)))
            json_object_set(p, s3_ck_member(j->alg), json_object_get(j->parts[i].cks, s3_ck_member(j->alg)));
        json_array_append_new(plist, p);
    }
    json_object_set_new(o.attrs, "PartList", plist); /* for GetObjectAttributes ObjectParts */
    if (j->full) {
        /* The client may name the whole object's checksum: it must be the one computed. */
        const char *want = nb_json_str(in, s3_ck_member(j->alg));
        if (want && strcmp(want, j->full_ck) != 0) {
            nb_blob_remove(s3_self, j->blob);
            s3_object_clear(&o);
            char lower[16];
            size_t i = 0;
            for (const char *c = s3_ck_name(j->alg); *c && i + 1 < sizeof lower; c++)
                lower[i++] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
            lower[i] = '\0';
            nb_error(req, "BadDigest", "The %s you specified did not match the calculated checksum.", lower);
            return NB_DONE;
        }
        json_object_set_new(o.attrs, s3_ck_member(j->alg), json_string(j->full_ck));
    } else if (j->alg >= 0) {
        char comp[64], full[100];
        s3_ck_digest_b64(j->alg, j->cks, j->rawlen * j->n, comp);
        snprintf(full, sizeof full, "%s-%zu", comp, j->n);
        json_object_set_new(o.attrs, s3_ck_member(j->alg), json_string(full));
    }
    /* the upload goes in the same transaction: a failure below rolls it back */
    if (upload_drop(id, false) != 0) {
        nb_blob_remove(s3_self, j->blob);
        s3_object_clear(&o);
        return NB_FAILED(NB_ESTORE);
    }
    if (s3_object_store_new(req, &b, &o) != 0)
        return NB_FAILED(NB_ESTORE);
    char *location = s3_location(req, b.name, key);
    json_t *out = json_pack("{s:s,s:s,s:s,s:s}", "Location", location ? location : "", "Bucket", b.name, "Key", key,
                            "ETag", etag);
    free(location);
    if (b.versioning != S3_VER_OFF)
        json_object_set_new(out, "VersionId", json_string(o.version_id));
    for (int a = 0; a < S3_CK__COUNT; a++)
        if (nb_json_str(o.attrs, s3_ck_member(a)))
            json_object_set(out, s3_ck_member(a), json_object_get(o.attrs, s3_ck_member(a)));
    if (nb_json_str(o.attrs, "ChecksumType"))
        json_object_set(out, "ChecksumType", json_object_get(o.attrs, "ChecksumType"));
    s3_object_clear(&o);
    if (completed_store(b.name, key, id, out) != 0) {
        json_decref(out);
        return NB_FAILED(NB_ESTORE);
    }
    return nb_reply_new(req, out);
}

static void complete_done(nb_req_t *req, void *data) {
    complete_job_t *j = data;
    if (nb_result_error(complete_finish(req, j)) < 0)
        nb_error_code(req, "InternalError", 500, "We encountered an internal error. Please try again.");
    complete_job_free(j);
}

nb_result_t s3_complete_multipart_upload(nb_req_t *req, const json_t *in) {
    nb_step_t step;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *id = nb_json_str(in, "UploadId");
    const char *key = nb_json_str(in, "Key");
    json_t *done = completed_load(b.name, key, id);
    if (done) /* a retry of a completion that succeeded */
        return nb_reply_new(req, done);
    upload_t u;
    NB_TRY(upload_load(req, b.name, key, id, &u));
    if (nb_stopped(step = s3_write_conditions(req, b.name, key))) {
        json_decref(u.attrs);
        return nb_step_result(step);
    }
    const json_t *list = json_object_get(json_object_get(in, "MultipartUpload"), "Parts");
    size_t n = json_array_size(list);
    if (n == 0) {
        json_decref(u.attrs);
        return nb_error(req, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against our published schema");
    }
    part_t *parts = calloc(n, sizeof *parts);
    if (parts == NULL) {
        json_decref(u.attrs);
        return NB_FAILED(NB_ENOMEM);
    }
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT size, etag, blob, checksums FROM parts WHERE upload_id = ?1 AND part_number = ?2");
    int prev = 0;
    int rc = 1; /* 1 while the parts check out; 0 once an error is set; < 0 a failure */
    for (size_t i = 0; i < n && rc == 1; i++) {
        const json_t *p = json_array_get(list, i);
        int num = (int)json_integer_value(json_object_get(p, "PartNumber"));
        if (num <= prev) {
            nb_error(req, "InvalidPartOrder",
                     "The list of parts was not in ascending order. Parts must be ordered by part number.");
            rc = 0;
            break;
        }
        prev = num;
        if (s == NULL) {
            rc = NB_ESTORE;
            break;
        }
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, num);
        if (sqlite3_step(s) != SQLITE_ROW || !etag_eq(nb_json_str(p, "ETag"), (const char *)sqlite3_column_text(s, 1))) {
            nb_error_fields(req, "InvalidPart",
                            json_pack("{s:s,s:s,s:i}", "UploadId", id, "ETag", nb_json_str(p, "ETag") ? nb_json_str(p, "ETag") : "",
                                      "PartNumber", num),
                            "One or more of the specified parts could not be found.  The part may not have been "
                            "uploaded, or the specified entity tag may not match the part's entity tag.");
            rc = 0;
            break;
        }
        parts[i].number = num;
        parts[i].size = sqlite3_column_int64(s, 0);
        snprintf(parts[i].etag, sizeof parts[i].etag, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(parts[i].blob, sizeof parts[i].blob, "%s", (const char *)sqlite3_column_text(s, 2));
        const char *cks = (const char *)sqlite3_column_text(s, 3);
        parts[i].cks = cks ? json_loads(cks, 0, NULL) : NULL;
        if (parts[i].cks == NULL)
            parts[i].cks = json_object();
        /* A checksum the client lists for a part must be the part's. */
        for (int a = 0; a < S3_CK__COUNT && rc == 1; a++) {
            const char *listed = nb_json_str(p, s3_ck_member(a));
            const char *stored = nb_json_str(parts[i].cks, s3_ck_member(a));
            if (listed && (stored == NULL || strcmp(listed, stored) != 0)) {
                nb_error_fields(req, "InvalidPart",
                                json_pack("{s:s,s:s,s:i}", "UploadId", id, "ETag", nb_json_str(p, "ETag"), "PartNumber",
                                          num),
                                "One or more of the specified parts could not be found.  The part may not have "
                                "been uploaded, or the specified entity tag may not match the part's entity tag.");
                rc = 0;
            }
        }
    }
    if (s)
        sqlite3_reset(s);
    for (size_t i = 0; rc == 1 && i + 1 < n; i++) {
        if (parts[i].size < MIN_PART_SIZE) {
            nb_error_fields(req, "EntityTooSmall",
                            json_pack("{s:I,s:I,s:i,s:s}", "ProposedSize", (json_int_t)parts[i].size, "MinSizeAllowed",
                                      (json_int_t)MIN_PART_SIZE, "PartNumber", parts[i].number, "ETag", parts[i].etag),
                            "Your proposed upload is smaller than the minimum allowed size");
            rc = 0;
        }
    }
    if (rc != 1) {
        parts_free(parts, n);
        json_decref(u.attrs);
        return NB_FAILED(rc);
    }
    /* The object: the parts' bytes in order; its ETag: MD5 of the parts' binary MD5s, "-N". */
    complete_job_t *job = calloc(1, sizeof *job);
    if (job == NULL) {
        parts_free(parts, n);
        json_decref(u.attrs);
        return NB_FAILED(NB_ENOMEM);
    }
    job->parts = parts;
    job->n = n;
    job->attrs = u.attrs;
    job->in = json_incref((json_t *)in);
    char oid[33];
    s3_random_hex(oid);
    snprintf(job->blob, sizeof job->blob, "o/%s", oid);
    const char *alg_name = nb_json_str(u.attrs, "ChecksumAlgorithm");
    job->alg = alg_name ? s3_ck_from_name(alg_name) : -1;
    const char *type = nb_json_str(u.attrs, "ChecksumType");
    const char *asked = nb_json_str(in, "ChecksumType");
    job->full = job->alg >= 0 && type && strcmp(type, "FULL_OBJECT") == 0;
    if (job->alg >= 0 && type == NULL) /* an upload created before checksum types were kept */
        json_object_set_new(u.attrs, "ChecksumType", json_string("COMPOSITE"));
    if (asked && (type == NULL || strcmp(asked, type) != 0)) {
        complete_job_free(job);
        return nb_error(req, "InvalidRequest",
                        "The upload was created using the %s checksum mode. The complete request must use the same "
                        "checksum mode.",
                        type ? type : "null");
    }
    job->rawlen = job->alg >= 0 ? s3_ck_raw_len(job->alg) : 0;
    job->md5s = malloc(16 * n);
    job->cks = malloc(job->rawlen * n + 1);
    if (job->md5s == NULL || job->cks == NULL) {
        complete_job_free(job);
        return NB_FAILED(NB_ENOMEM);
    }
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += parts[i].size;
        if (!s3_etag_md5(parts[i].etag, job->md5s + 16 * i))
            memset(job->md5s + 16 * i, 0, 16);
        if (job->alg >= 0) {
            const char *v = nb_json_str(parts[i].cks, s3_ck_member(job->alg));
            if (v == NULL || nb_base64_decode(v, strlen(v), 0, job->cks + job->rawlen * i, job->rawlen) != (ssize_t)job->rawlen)
                memset(job->cks + job->rawlen * i, 0, job->rawlen);
        }
    }
    if (total >= S3_ASYNC_MIN && nb_work_queue(req, complete_work, complete_done, job) == 0)
        return NB_ASYNC;
    complete_work(job);
    nb_result_t res = complete_finish(req, job);
    complete_job_free(job);
    return res;
}

nb_result_t s3_abort_multipart_upload(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *id = nb_json_str(in, "UploadId");
    json_t *done = completed_load(b.name, nb_json_str(in, "Key"), id);
    if (done) { /* completed: nothing left to abort, the object stays */
        json_decref(done);
        return nb_reply_new(req, NULL);
    }
    upload_t u;
    NB_TRY(upload_load(req, b.name, nb_json_str(in, "Key"), id, &u));
    json_decref(u.attrs);
    if (upload_drop(id, false) != 0)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, NULL);
}

nb_result_t s3_list_parts(nb_req_t *req, const json_t *in) {
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *id = nb_json_str(in, "UploadId");
    upload_t u;
    NB_TRY(upload_load(req, b.name, nb_json_str(in, "Key"), id, &u));
    const json_t *mp = json_object_get(in, "MaxParts");
    int max = json_is_integer(mp) ? (int)json_integer_value(mp) : 1000;
    if (max < 0 || max > 1000)
        max = 1000;
    const json_t *pm = json_object_get(in, "PartNumberMarker");
    int marker = json_is_integer(pm) ? (int)json_integer_value(pm) : 0;
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT part_number, size, etag, modified, checksums FROM parts WHERE"
                                               " upload_id = ?1 AND part_number > ?2 ORDER BY part_number");
    if (s == NULL) {
        json_decref(u.attrs);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, marker);
    json_t *parts = json_array();
    bool truncated = false;
    int last = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if ((int)json_array_size(parts) >= max) {
            truncated = true;
            break;
        }
        last = sqlite3_column_int(s, 0);
        json_t *p = json_pack("{s:i,s:I,s:s,s:f}", "PartNumber", last, "Size", (json_int_t)sqlite3_column_int64(s, 1),
                              "ETag", (const char *)sqlite3_column_text(s, 2), "LastModified", sqlite3_column_double(s, 3));
        const char *cks = (const char *)sqlite3_column_text(s, 4);
        json_t *c = cks ? json_loads(cks, 0, NULL) : NULL;
        if (c) {
            for (int a = 0; a < S3_CK__COUNT; a++)
                if (a != S3_CK_CRC64NVME && json_object_get(c, s3_ck_member(a)))
                    json_object_set(p, s3_ck_member(a), json_object_get(c, s3_ck_member(a)));
            json_decref(c);
        }
        json_array_append_new(parts, p);
    }
    sqlite3_reset(s);
    json_t *out = json_pack("{s:s,s:s,s:s,s:i,s:i,s:b,s:o,s:o,s:o,s:s}", "Bucket", b.name, "Key", u.key, "UploadId", id,
                            "PartNumberMarker", marker, "MaxParts", max, "IsTruncated", truncated, "Parts", parts,
                            "Owner", s3_owner(NULL), "Initiator", s3_owner(NULL), "StorageClass", "STANDARD");
    if (last) /* S3 names the page's last part, truncated or not */
        json_object_set_new(out, "NextPartNumberMarker", json_integer(last));
    if (nb_json_str(u.attrs, "ChecksumAlgorithm"))
        json_object_set(out, "ChecksumAlgorithm", json_object_get(u.attrs, "ChecksumAlgorithm"));
    json_decref(u.attrs);
    return nb_reply_new(req, out);
}

/* x-amz-checksum-type against the upload's algorithm (ck, -1 for none); *type becomes the
 * effective type: COMPOSITE by default, FULL_OBJECT for CRC64NVME, NULL without an algorithm. */
static nb_step_t checksum_type_check(nb_req_t *req, int ck, const char **type) {
    const char *t = *type;
    if (t && strcmp(t, "COMPOSITE") != 0 && strcmp(t, "FULL_OBJECT") != 0)
        return nb_stop(nb_error(req, "InvalidRequest", "Value for x-amz-checksum-type header is invalid."));
    if (t && ck < 0)
        return nb_stop(nb_error(req, "InvalidRequest",
                        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."));
    if (ck < 0)
        return NB_GO_ON;
    bool crc = ck == S3_CK_CRC32 || ck == S3_CK_CRC32C || ck == S3_CK_CRC64NVME;
    if (t == NULL)
        t = ck == S3_CK_CRC64NVME ? "FULL_OBJECT" : "COMPOSITE";
    if ((strcmp(t, "FULL_OBJECT") == 0 && !crc) || (strcmp(t, "COMPOSITE") == 0 && ck == S3_CK_CRC64NVME)) {
        char lower[16];
        size_t i = 0;
        for (const char *c = s3_ck_name(ck); *c && i + 1 < sizeof lower; c++)
            lower[i++] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        lower[i] = '\0';
        return nb_stop(nb_error(req, "InvalidRequest", "The %s checksum type cannot be used with the %s checksum algorithm.", t,
                        lower));
    }
    *type = t;
    return NB_GO_ON;
}
