/* S3's object model: bucket rows and object versions in the store (their bodies in blobs, or
 * inline in the row when small), as S3's versioning states keep them. */
#include "s3_plugin.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- buckets */

/* s into out (cut to fit, NUL-terminated; NULL as ""): a bucket is read on every request, and
 * snprintf("%s") costs more than the rest of copying its row. */
static void copy_text(char *out, size_t cap, const char *s) {
    size_t n = s ? strnlen(s, cap - 1) : 0;
    memcpy(out, s ? s : "", n);
    out[n] = '\0';
}

int s3_bucket_find(const char *name, s3_bucket_t *b) {
    if (s3_bucket_cache_get(name, b))
        return 1;
    sqlite3_stmt *s = nb_store_stmt(&s3_store,
        "SELECT account, region, created, versioning,"
                   " NOT EXISTS(SELECT 1 FROM bucket_config WHERE name = ?1 AND kind = 'logging'),"
                   " NOT EXISTS(SELECT 1 FROM bucket_config WHERE name = ?1 AND kind = 'notification')"
                   " FROM buckets WHERE name = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, name ? name : "", -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return 0;
    }
    memset(b, 0, sizeof *b);
    copy_text(b->name, sizeof b->name, name);
    copy_text(b->account, sizeof b->account, (const char *)sqlite3_column_text(s, 0));
    copy_text(b->region, sizeof b->region, (const char *)sqlite3_column_text(s, 1));
    b->created = sqlite3_column_double(s, 2);
    b->versioning = sqlite3_column_int(s, 3);
    b->lacks = (sqlite3_column_int(s, 4) ? S3_LACKS_LOGGING : 0) | (sqlite3_column_int(s, 5) ? S3_LACKS_NOTIFICATION : 0);
    sqlite3_reset(s);
    s3_bucket_cache_put(name, b);
    return 1;
}

/* --------------------------------------------------------------- objects */

void s3_object_clear(s3_object_t *o) {
    free(o->key);
    free(o->version_id);
    free(o->etag);
    free(o->blob);
    json_decref(o->attrs);
    if (o->body)
        nb_body_free(o->body);
    memset(o, 0, sizeof *o);
}

static char *col_dup(sqlite3_stmt *s, int i) {
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

static int load(const char *bucket, const char *key, const char *version_id, s3_object_t *o, bool with_body) {
    memset(o, 0, sizeof *o);
    /* data (column 11) only when the body is wanted: SQLite would read an inline body's
     * overflow pages for every HEAD and condition check otherwise. */
    static const char *const sql[2][2] = {
        {"SELECT id, key, version_id, etag, blob, size, modified, delete_marker, latest, parts, attrs FROM objects"
         " WHERE bucket = ?1 AND key = ?2 AND latest = 1",
         "SELECT id, key, version_id, etag, blob, size, modified, delete_marker, latest, parts, attrs FROM objects"
         " WHERE bucket = ?1 AND key = ?2 AND version_id = ?3"},
        {"SELECT id, key, version_id, etag, blob, size, modified, delete_marker, latest, parts, attrs, data FROM objects"
         " WHERE bucket = ?1 AND key = ?2 AND latest = 1",
         "SELECT id, key, version_id, etag, blob, size, modified, delete_marker, latest, parts, attrs, data FROM objects"
         " WHERE bucket = ?1 AND key = ?2 AND version_id = ?3"},
    };
    sqlite3_stmt *s = nb_store_stmt(&s3_store, sql[with_body][version_id != NULL]);
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
    o->attrs = s3_json_load_object(attrs, (size_t)sqlite3_column_bytes(s, 10));
    if (with_body && o->blob == NULL && !o->delete_marker) {
        const void *d = sqlite3_column_blob(s, 11);
        o->body = nb_body_from_mem_new(d ? d : "", (size_t)sqlite3_column_bytes(s, 11));
    }
    sqlite3_reset(s);
    return 1;
}

int s3_object_load(const char *bucket, const char *key, const char *version_id, s3_object_t *o) {
    return load(bucket, key, version_id, o, false);
}

int s3_object_load_with_body(const char *bucket, const char *key, const char *version_id, s3_object_t *o) {
    return load(bucket, key, version_id, o, true);
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

/* Binds o's columns to a statement whose ?1..?13 are account, region, bucket, key, version_id,
 * delete_marker, size, etag, modified, blob, parts, attrs (o->attrs as text, printed once by the
 * caller) and data, as INSERT and UPDATE name them. */
static void bind_object(sqlite3_stmt *s, const s3_bucket_t *b, const s3_object_t *o, const char *attrs) {
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
    sqlite3_bind_text(s, 12, attrs, -1, SQLITE_STATIC);
    if (o->data)
        sqlite3_bind_blob64(s, 13, o->data, (sqlite3_uint64)o->size, SQLITE_STATIC);
}

typedef struct null_version {
    long long id;
    bool latest, delete_marker;
    char *blob; /* removed at commit by the caller, or NULL */
} null_version_t;

/* The "null" version of a key: 1 (v filled in), 0 when there is none, or NB_ESTORE. */
static int find_null_version(const char *bucket, const char *key, null_version_t *v) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT id, latest, delete_marker, blob FROM objects WHERE bucket = ?1"
                                               " AND key = ?2 AND version_id = 'null'");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        v->id = sqlite3_column_int64(s, 0);
        v->latest = sqlite3_column_int(s, 1) != 0;
        v->delete_marker = sqlite3_column_int(s, 2) != 0;
        v->blob = col_dup(s, 3);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : NB_ESTORE;
}

/* Rewrites the row of old with o: the overwrite of a latest "null" version, which stays the key's
 * newest row (its id the highest of the key's, as a new row's would be). The columns that
 * cannot differ (scope, bucket, key, version id) are left alone, and delete_marker unless it
 * changes, so that SQLite leaves the indexes on them untouched. */
static int rewrite_row(const null_version_t *old, const s3_bucket_t *b, const s3_object_t *o, const char *attrs) {
    /* ?1-?6 that a statement does not name are bound all the same: SQLite leaves gaps unused. */
    sqlite3_stmt *s =
        old->delete_marker == o->delete_marker
            ? nb_store_stmt(&s3_store, "UPDATE objects SET size = ?7, etag = ?8, modified = ?9, blob = ?10, parts = ?11,"
                                       " attrs = ?12, data = ?13 WHERE id = ?14")
            : nb_store_stmt(&s3_store, "UPDATE objects SET delete_marker = ?6, size = ?7, etag = ?8, modified = ?9,"
                                       " blob = ?10, parts = ?11, attrs = ?12, data = ?13 WHERE id = ?14");
    if (s == NULL)
        return NB_ESTORE;
    bind_object(s, b, o, attrs);
    sqlite3_bind_int64(s, 14, old->id);
    return nb_store_run(s);
}

static int delete_row(long long id) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "DELETE FROM objects WHERE id = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    return nb_store_run(s);
}

static int store_row(const s3_bucket_t *b, s3_object_t *o, const char *attrs) {
    char vid[33] = "null";
    if (b->versioning == S3_VER_ENABLED)
        s3_version_id(vid);
    free(o->version_id);
    o->version_id = strdup(vid);
    if (b->versioning != S3_VER_ENABLED) {
        /* The overwrite of a latest "null" version with its body in the row (small objects, the
         * common case): one statement, as the row holds no blob to remove. */
        sqlite3_stmt *s = nb_store_stmt(&s3_store, "UPDATE objects SET size = ?7, etag = ?8, modified = ?9, blob = ?10,"
                                                   " parts = ?11, attrs = ?12, data = ?13 WHERE bucket = ?3 AND key = ?4"
                                                   " AND version_id = 'null' AND latest = 1 AND delete_marker = ?6"
                                                   " AND blob IS NULL");
        if (s == NULL)
            return NB_ESTORE;
        bind_object(s, b, o, attrs);
        if (nb_store_run(s) != 0)
            return NB_ESTORE;
        if (sqlite3_changes(s3_store.db) == 1)
            return 0;
        /* Else the key's "null" version is replaced: in place when it is the latest (two
         * statements), else removed before the new row is added. */
        null_version_t old = {0};
        int found = find_null_version(b->name, o->key, &old);
        if (found < 0)
            return NB_ESTORE;
        int rc = found == 0 ? 0 : old.latest ? rewrite_row(&old, b, o, attrs) : delete_row(old.id);
        if (rc == 0 && old.blob) /* the row goes only if the request commits: so does the body */
            nb_blob_remove_at_commit(s3_self, old.blob);
        free(old.blob);
        if (rc != 0)
            return NB_ESTORE;
        if (found && old.latest)
            return 0;
    }
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
    bind_object(s, b, o, attrs);
    return nb_store_run(s);
}

int s3_object_store(const s3_bucket_t *b, s3_object_t *o) {
    char *attrs = s3_json_text(o->attrs);
    int rc = store_row(b, o, attrs);
    free(attrs);
    return rc;
}

int s3_object_store_new(nb_req_t *req, const s3_bucket_t *b, s3_object_t *o) {
    if (s3_object_store(b, o) != 0) {
        if (o->blob)
            nb_blob_remove(s3_self, o->blob);
        s3_object_clear(o);
        return NB_ESTORE;
    }
    s3_notify_created(req, b, o);
    return 0;
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
