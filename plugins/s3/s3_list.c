/* ListObjects, ListObjectsV2 and ListObjectVersions, in S3's byte order (SQLite's BINARY collation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_plugin.h"

/* encoding-type=url: everything but unreserved characters and '/' percent-encoded. */
static json_t *enc(const char *s, bool url) {
    if (s == NULL)
        return json_null();
    if (!url)
        return json_string(s);
    size_t n = strlen(s);
    char *o = malloc(NB_URL_ENCODED_SIZE(n));
    if (o == NULL)
        return json_null();
    nb_url_encode(s, n, NB_URL_KEEP_SLASH, o, NB_URL_ENCODED_SIZE(n));
    json_t *j = json_string(o);
    free(o);
    return j ? j : json_null();
}

typedef struct lister {
    s3_lister_t b;
    bool url;
    json_t *cps;
} lister_t;

static int lister_take(lister_t *l, const char *key) {
    int t = s3_lister_take(&l->b, key);
    if (t == 2)
        json_array_append_new(l->cps, json_pack("{s:o}", "Prefix", enc(l->b.last_cp, l->url)));
    return t;
}

/* A negative max-keys or max-uploads is refused as S3 refuses it; above 1000 means 1000. */
static bool max_arg_valid(nb_req_t *req, const json_t *in, const char *member, const char *arg) {
    const json_t *v = json_object_get(in, member);
    if (!json_is_integer(v) || json_integer_value(v) >= 0)
        return true;
    nb_error(req, "InvalidArgument", "Argument %s must be an integer between 0 and 2147483647", arg);
    return false;
}

static void lister_init(lister_t *l, const json_t *in, const char *marker) {
    const json_t *mk = json_object_get(in, "MaxKeys");
    int max = json_is_integer(mk) ? (int)json_integer_value(mk) : 1000;
    if (max < 0 || max > 1000)
        max = 1000;
    s3_lister_init(&l->b, nb_json_str(in, "Prefix"), nb_json_str(in, "Delimiter"), max, marker);
    const char *et = nb_json_str(in, "EncodingType");
    l->url = et && strcmp(et, "url") == 0;
    l->cps = json_array();
}

static void lister_free(lister_t *l) {
    s3_lister_free(&l->b);
    json_decref(l->cps);
}

/* Listings with several rows per key (versions, multipart uploads), paged by a key marker
 * and a second one (version id, upload id): KeyMarker alone skips the key, with the second
 * marker the rows up to it. Every row of a key counts, a common prefix once. */
typedef struct multi_pager {
    const char *key_marker, *sub_marker;
    bool skipping;
    char *prev_key;
    char *next_sub; /* the second marker of the last row listed; NULL after a common prefix */
} multi_pager_t;

static void multi_pager_init(multi_pager_t *p, const char *key_marker, const char *sub_marker) {
    p->key_marker = key_marker;
    p->sub_marker = sub_marker;
    p->skipping = key_marker != NULL;
    p->prev_key = p->next_sub = NULL;
}

static void multi_pager_free(multi_pager_t *p) {
    free(p->prev_key);
    free(p->next_sub);
}

/* One row: 1 list it (key and sub become the next markers), 0 skip it, -1 the page is full. */
static int multi_pager_row(lister_t *l, multi_pager_t *p, const char *key, const char *sub) {
    if (p->skipping && strcmp(key, p->key_marker) == 0) {
        if (p->sub_marker && strcmp(sub, p->sub_marker) == 0)
            p->skipping = false;
        return 0;
    }
    p->skipping = false;
    bool same_key = p->prev_key && strcmp(p->prev_key, key) == 0;
    bool folded = l->b.delimiter && *l->b.delimiter && strstr(key + l->b.plen, l->b.delimiter);
    int t = 1;
    if (same_key && !folded) {
        if (l->b.count >= l->b.max) {
            l->b.truncated = true;
            return -1;
        }
        l->b.count++;
    } else if ((t = lister_take(l, key)) < 0) {
        return -1;
    }
    free(p->prev_key);
    p->prev_key = strdup(key);
    if (t != 1) {
        if (t == 2) { /* the next marker is then the common prefix, with no second marker */
            free(p->next_sub);
            p->next_sub = NULL;
        }
        return 0;
    }
    free(l->b.next);
    l->b.next = strdup(key);
    free(p->next_sub);
    p->next_sub = strdup(sub);
    return 1;
}

static json_t *content_of(sqlite3_stmt *s, bool owner, bool url) {
    const char *attrs_text = (const char *)sqlite3_column_text(s, 4);
    json_t *attrs = s3_json_load(attrs_text, (size_t)sqlite3_column_bytes(s, 4));
    const char *sc = nb_json_str(attrs, "StorageClass");
    json_t *c = json_pack("{s:o,s:f,s:s,s:I,s:s}", "Key", enc((const char *)sqlite3_column_text(s, 0), url),
                          "LastModified", sqlite3_column_double(s, 3), "ETag",
                          (const char *)sqlite3_column_text(s, 1), "Size", (json_int_t)sqlite3_column_int64(s, 2),
                          "StorageClass", sc ? sc : "STANDARD");
    const char *alg = nb_json_str(attrs, "ChecksumAlgorithm");
    if (alg)
        json_object_set_new(c, "ChecksumAlgorithm", json_pack("[s]", alg));
    if (owner)
        json_object_set_new(c, "Owner", s3_owner(NULL));
    json_decref(attrs);
    return c;
}

/* Walks current objects after `after` (exclusive) under the prefix. */
static int walk(lister_t *l, const char *bucket, const char *after, bool owner, json_t *contents) {
    sqlite3_stmt *s = nb_store_stmt(&s3_store,
                                    "SELECT key, etag, size, modified, attrs FROM objects WHERE bucket = ?1 AND"
                                    " latest = 1 AND delete_marker = 0 AND key > ?2 AND key >= ?3 ORDER BY key");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, bucket, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, l->b.prefix, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(s, 0);
        if (strncmp(key, l->b.prefix, l->b.plen) != 0)
            break;
        int t = lister_take(l, key);
        if (t < 0)
            break;
        if (t == 1)
            json_array_append_new(contents, content_of(s, owner, l->url));
    }
    sqlite3_reset(s);
    return 0;
}

static void put_common(json_t *out, lister_t *l, const char *bucket) {
    json_object_set_new(out, "Name", json_string(bucket));
    json_object_set_new(out, "Prefix", enc(l->b.prefix, l->url));
    if (l->b.delimiter)
        json_object_set_new(out, "Delimiter", enc(l->b.delimiter, l->url));
    json_object_set_new(out, "MaxKeys", json_integer(l->b.max));
    json_object_set_new(out, "IsTruncated", json_boolean(l->b.truncated));
    if (json_array_size(l->cps))
        json_object_set(out, "CommonPrefixes", l->cps);
    if (l->url)
        json_object_set_new(out, "EncodingType", json_string("url"));
}

nb_result_t s3_list_objects(nb_req_t *req, const json_t *in) {
    if (!max_arg_valid(req, in, "MaxKeys", "maxKeys"))
        return NB_DONE;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *marker = nb_json_str(in, "Marker");
    lister_t l;
    lister_init(&l, in, marker);
    json_t *contents = json_array();
    int rc;
    if ((rc = walk(&l, b.name, marker, true, contents)) != 0) {
        json_decref(contents);
        lister_free(&l);
        return NB_FAILED(rc);
    }
    json_t *out = json_object();
    put_common(out, &l, b.name);
    json_object_set_new(out, "Marker", enc(marker ? marker : "", l.url));
    if (l.b.truncated && l.b.delimiter && l.b.next)
        json_object_set_new(out, "NextMarker", enc(l.b.next, l.url));
    if (json_array_size(contents))
        json_object_set(out, "Contents", contents);
    json_decref(contents);
    lister_free(&l);
    return nb_reply_new(req, out);
}

nb_result_t s3_list_objects_v2(nb_req_t *req, const json_t *in) {
    if (!max_arg_valid(req, in, "MaxKeys", "maxKeys"))
        return NB_DONE;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *token = nb_json_str(in, "ContinuationToken");
    const char *start_after = nb_json_str(in, "StartAfter");
    char after[2048] = "";
    if (token) {
        char raw[1536];
        ssize_t n = nb_base64_decode(token, strlen(token), 0, raw, sizeof raw - 1);
        if (n <= 0)
            return nb_error_fields(req, "InvalidArgument",
                                   json_pack("{s:s,s:s}", "ArgumentName", "continuation-token", "ArgumentValue", token),
                                   "The continuation token provided is incorrect");
        memcpy(after, raw, (size_t)n);
        after[n] = '\0';
    } else if (start_after) {
        snprintf(after, sizeof after, "%s", start_after);
    }
    lister_t l;
    lister_init(&l, in, after[0] ? after : NULL);
    json_t *contents = json_array();
    int rc;
    if ((rc = walk(&l, b.name, after, json_is_true(json_object_get(in, "FetchOwner")), contents)) != 0) {
        json_decref(contents);
        lister_free(&l);
        return NB_FAILED(rc);
    }
    json_t *out = json_object();
    put_common(out, &l, b.name);
    json_object_set_new(out, "KeyCount", json_integer(l.b.count));
    if (token)
        json_object_set_new(out, "ContinuationToken", json_string(token));
    if (start_after)
        json_object_set_new(out, "StartAfter", enc(start_after, l.url));
    if (l.b.truncated && l.b.next) {
        size_t n = strlen(l.b.next);
        char *tok = malloc(NB_BASE64_SIZE(n));
        if (tok) {
            nb_base64_encode(l.b.next, n, 0, tok, NB_BASE64_SIZE(n));
            json_object_set_new(out, "NextContinuationToken", json_string(tok));
            free(tok);
        }
    }
    if (json_array_size(contents))
        json_object_set(out, "Contents", contents);
    json_decref(contents);
    lister_free(&l);
    return nb_reply_new(req, out);
}

nb_result_t s3_list_object_versions(nb_req_t *req, const json_t *in) {
    if (!max_arg_valid(req, in, "MaxKeys", "maxKeys"))
        return NB_DONE;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *key_marker = nb_json_str(in, "KeyMarker");
    const char *vid_marker = nb_json_str(in, "VersionIdMarker");
    lister_t l;
    lister_init(&l, in, key_marker);
    sqlite3_stmt *s = nb_store_stmt(&s3_store,
                                    "SELECT key, etag, size, modified, attrs, version_id, latest, delete_marker FROM"
                                    " objects WHERE bucket = ?1 AND key >= ?2 AND key >= ?3 ORDER BY key, id DESC");
    if (s == NULL) {
        lister_free(&l);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, b.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key_marker ? key_marker : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, l.b.prefix, -1, SQLITE_STATIC);
    json_t *versions = json_array(), *markers = json_array();
    multi_pager_t pg;
    multi_pager_init(&pg, key_marker, vid_marker);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(s, 0);
        const char *vid = (const char *)sqlite3_column_text(s, 5);
        if (strncmp(key, l.b.prefix, l.b.plen) != 0)
            break;
        int r = multi_pager_row(&l, &pg, key, vid);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        json_t *v = json_pack("{s:o,s:s,s:b,s:f,s:o}", "Key", enc(key, l.url), "VersionId", vid, "IsLatest",
                              sqlite3_column_int(s, 6), "LastModified", sqlite3_column_double(s, 3), "Owner",
                              s3_owner(NULL));
        if (sqlite3_column_int(s, 7)) {
            json_array_append_new(markers, v);
        } else {
            json_object_set_new(v, "ETag", json_string((const char *)sqlite3_column_text(s, 1)));
            json_object_set_new(v, "Size", json_integer(sqlite3_column_int64(s, 2)));
            json_object_set_new(v, "StorageClass", json_string("STANDARD"));
            json_array_append_new(versions, v);
        }
    }
    sqlite3_reset(s);
    json_t *out = json_object();
    put_common(out, &l, b.name);
    json_object_set_new(out, "KeyMarker", enc(key_marker ? key_marker : "", l.url));
    json_object_set_new(out, "VersionIdMarker", json_string(vid_marker ? vid_marker : ""));
    if (l.b.truncated && l.b.next) {
        json_object_set_new(out, "NextKeyMarker", enc(l.b.next, l.url));
        if (pg.next_sub)
            json_object_set_new(out, "NextVersionIdMarker", json_string(pg.next_sub));
    }
    if (json_array_size(versions))
        json_object_set(out, "Versions", versions);
    if (json_array_size(markers))
        json_object_set(out, "DeleteMarkers", markers);
    json_decref(versions);
    json_decref(markers);
    multi_pager_free(&pg);
    lister_free(&l);
    return nb_reply_new(req, out);
}

/* Uploads in key order, those of one key oldest first; KeyMarker alone skips the key,
 * with UploadIdMarker the key's uploads up to and including that one. */
nb_result_t s3_list_multipart_uploads(nb_req_t *req, const json_t *in) {
    if (!max_arg_valid(req, in, "MaxUploads", "max-uploads"))
        return NB_DONE;
    s3_bucket_t b;
    NB_TRY(s3_bucket_load(req, nb_json_str(in, "Bucket"), &b));
    const char *key_marker = nb_json_str(in, "KeyMarker");
    const char *id_marker = nb_json_str(in, "UploadIdMarker");
    if (key_marker && *key_marker == '\0')
        key_marker = NULL;
    if (id_marker && *id_marker == '\0')
        id_marker = NULL;
    json_t *mu = json_object_get(in, "MaxUploads");
    json_t *patched = json_deep_copy(in); /* the lister reads MaxKeys */
    if (json_is_integer(mu))
        json_object_set(patched, "MaxKeys", mu);
    else
        json_object_del(patched, "MaxKeys");
    lister_t l;
    lister_init(&l, patched, key_marker); /* borrows patched's Prefix and Delimiter */
    sqlite3_stmt *s = nb_store_stmt(&s3_store, "SELECT key, upload_id, initiated FROM uploads WHERE bucket = ?1 AND"
                                               " key >= ?2 AND key >= ?3 ORDER BY key, initiated, upload_id");
    if (s == NULL) {
        lister_free(&l);
        json_decref(patched);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, b.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key_marker ? key_marker : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, l.b.prefix, -1, SQLITE_STATIC);
    json_t *ups = json_array();
    multi_pager_t pg;
    multi_pager_init(&pg, key_marker, id_marker);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(s, 0);
        const char *id = (const char *)sqlite3_column_text(s, 1);
        if (strncmp(key, l.b.prefix, l.b.plen) != 0)
            break;
        int r = multi_pager_row(&l, &pg, key, id);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        json_array_append_new(ups, json_pack("{s:o,s:s,s:f,s:s,s:o,s:o}", "Key", enc(key, l.url), "UploadId", id,
                                             "Initiated", sqlite3_column_double(s, 2), "StorageClass", "STANDARD",
                                             "Owner", s3_owner(NULL), "Initiator", s3_owner(NULL)));
    }
    sqlite3_reset(s);
    json_t *out = json_object();
    json_object_set_new(out, "Bucket", json_string(b.name));
    json_object_set_new(out, "KeyMarker", enc(key_marker ? key_marker : "", l.url));
    json_object_set_new(out, "UploadIdMarker", json_string(id_marker ? id_marker : ""));
    if (l.b.truncated && l.b.next) {
        json_object_set_new(out, "NextKeyMarker", enc(l.b.next, l.url));
        json_object_set_new(out, "NextUploadIdMarker", json_string(pg.next_sub ? pg.next_sub : ""));
    }
    if (nb_json_str(in, "Prefix"))
        json_object_set_new(out, "Prefix", enc(l.b.prefix, l.url));
    if (l.b.delimiter)
        json_object_set_new(out, "Delimiter", enc(l.b.delimiter, l.url));
    json_object_set_new(out, "MaxUploads", json_integer(l.b.max));
    json_object_set_new(out, "IsTruncated", json_boolean(l.b.truncated));
    if (json_array_size(ups))
        json_object_set(out, "Uploads", ups);
    if (json_array_size(l.cps))
        json_object_set(out, "CommonPrefixes", l.cps);
    if (l.url)
        json_object_set_new(out, "EncodingType", json_string("url"));
    json_decref(ups);
    multi_pager_free(&pg);
    lister_free(&l);
    json_decref(patched);
    return nb_reply_new(req, out);
}
