/* A table's stream and its records. A stream is a row of `streams` (one shard each); every item
 * write of a table whose definition names its stream (`_Stream`: {sid, view}) adds a row to
 * `_stream_records` in the write's own transaction, so a record exists exactly when its write
 * committed, in commit order, and survives what the items survive. Records keep what differs per
 * write (event, time, key, images as the view type asks, size); eventID, awsRegion and the rest
 * are filled in when read (ddb_stream_api.c). */
#include "ddb_stream.h"

#include <stdlib.h>
#include <string.h>

#include "ddb_codec.h"
#include "ddb_item_size.h"
#include "ddb_stream_int.h"

const char ddb_stream_schema[] =
    "CREATE TABLE streams(sid INTEGER PRIMARY KEY, " NB_STORE_SCOPE_COLUMNS ", arn TEXT NOT NULL UNIQUE,"
    " table_name TEXT NOT NULL, label TEXT NOT NULL, view_type TEXT NOT NULL, key_schema TEXT NOT NULL,"
    " created REAL NOT NULL, shard TEXT NOT NULL, disabled REAL,"
    /* the last sequence number trimmed (0: none): the next record's follows it when none is left */
    " trimmed_seq INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX streams_table ON streams(account, region, table_name);"
    /* one row a record and no other index: a stream's records are one range of the key, in
     * sequence (and so time) order, which is all that reading and trimming need */
    "CREATE TABLE _stream_records(sid INTEGER NOT NULL, seq INTEGER NOT NULL, created REAL NOT NULL,"
    " event INTEGER NOT NULL, by_service INTEGER NOT NULL, keys BLOB NOT NULL, new_image BLOB, old_image BLOB,"
    " size INTEGER NOT NULL, PRIMARY KEY(sid, seq)) WITHOUT ROWID;";

static bool by_service;

void ddb_stream_by_service(bool on) { by_service = on; }

static bool spec_enabled(const json_t *def) {
    return nb_json_bool(json_object_get(def, "StreamSpecification"), "StreamEnabled", false);
}

static int stream_disable(int64_t sid) {
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "UPDATE streams SET disabled = ?2 WHERE sid = ?1 AND disabled IS NULL");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_double(s, 2, nb_now());
    return nb_store_run(s);
}

/* A new stream row for the table of `def`: its label is the creation time in milliseconds, a
 * millisecond later when one of the table's streams already has it (disabled and enabled again). */
static int stream_create(nb_req_t *req, json_t *def, const char *view, int64_t *sid, const char **arn,
                         const char **label) {
    char *keys = json_dumps(json_object_get(def, "KeySchema"), JSON_COMPACT);
    if (keys == NULL)
        return NB_ENOMEM;
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "INSERT OR IGNORE INTO streams(arn, table_name, label, view_type, key_schema,"
                                      " created, shard, account, region) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, :account,"
                                      " :region)");
    if (s == NULL) {
        free(keys);
        return NB_ESTORE;
    }
    int rc = NB_EEXIST;
    for (double at = nb_now(); rc == NB_EEXIST; at += 0.001) {
        char buf[NB_TIME_SIZE];
        nb_time_format(at, NB_TIME_ISO8601_MS, buf, sizeof buf);
        buf[strlen(buf) - 1] = '\0'; /* AWS's label: the ISO time without its Z */
        *label = nb_req_strdup(req, buf);
        *arn = nb_req_printf(req, "%s/stream/%s", nb_json_str(def, "TableArn"), *label);
        /* AWS's shard ids: "shardId-" 20 digits of the creation time, '-', 8 hex digits */
        const char *shard = nb_req_printf(req, "shardId-%020lld-%08x", (long long)(at * 1000),
                                          (unsigned)ddb_stream_mix((uint64_t)(at * 1000)) & 0xffffffffu);
        sqlite3_bind_text(s, 1, *arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, nb_json_str(def, "TableName"), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, *label, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, view, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, keys, -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 6, at);
        sqlite3_bind_text(s, 7, shard, -1, SQLITE_STATIC);
        rc = nb_store_run(s);
        if (rc == 0 && sqlite3_changes(ddb.store.db) == 0)
            rc = NB_EEXIST;
    }
    free(keys);
    *sid = sqlite3_last_insert_rowid(ddb.store.db);
    return rc;
}

nb_step_t ddb_stream_configure(nb_req_t *req, json_t *def, const json_t *spec, bool creating) {
    if (spec == NULL)
        return NB_GO_ON;
    const char *view = nb_json_str(spec, "StreamViewType");
    const char *name = nb_json_str(def, "TableName");
    if (!nb_json_bool(spec, "StreamEnabled", false)) {
        if (creating)
            return NB_GO_ON; /* StreamEnabled false at creation: as if no specification */
        if (!spec_enabled(def))
            return nb_stop(ddb_invalid(req, "Table does not have a stream to disable: TableName: %s", name));
        int rc = stream_disable(json_integer_value(json_object_get(json_object_get(def, "_Stream"), "sid")));
        if (rc != 0)
            return nb_stop(NB_FAILED(rc));
        /* the disabled stream stays the latest: DescribeTable still names it */
        json_object_del(def, "StreamSpecification");
        json_object_del(def, "_Stream");
        return NB_GO_ON;
    }
    if (view == NULL)
        return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: StreamViewType is required "
                                        "when StreamEnabled is true"));
    if (spec_enabled(def))
        return nb_stop(ddb_invalid(req, "Table already has an enabled stream: TableName: %s", name));
    int64_t sid;
    const char *arn, *label;
    int rc = stream_create(req, def, view, &sid, &arn, &label);
    if (rc != 0)
        return nb_stop(NB_FAILED(rc));
    json_object_set_new(def, "StreamSpecification",
                        json_pack("{s:b,s:s}", "StreamEnabled", 1, "StreamViewType", view));
    json_object_set_new(def, "LatestStreamLabel", json_string(label));
    json_object_set_new(def, "LatestStreamArn", json_string(arn));
    json_object_set_new(def, "_Stream", json_pack("{s:I,s:s}", "sid", (json_int_t)sid, "view", view));
    return NB_GO_ON;
}

int ddb_stream_table_deleted(const ddb_table_t *t) {
    const json_t *st = json_object_get(t->def, "_Stream");
    return st ? stream_disable(json_integer_value(json_object_get(st, "sid"))) : 0;
}

void ddb_stream_forget(json_t *def) {
    json_object_del(def, "_Stream");
    json_object_del(def, "StreamSpecification");
    json_object_del(def, "LatestStreamArn");
    json_object_del(def, "LatestStreamLabel");
}

/* The item's key attributes. */
static json_t *keys_of(const ddb_table_t *t, const json_t *item) {
    json_t *keys = json_object();
    json_object_set(keys, t->key.hash.name, json_object_get(item, t->key.hash.name));
    if (t->key.range.name != NULL)
        json_object_set(keys, t->key.range.name, json_object_get(item, t->key.range.name));
    return keys;
}

static void bind_image(sqlite3_stmt *s, int col, const json_t *image, bool wanted, size_t *size) {
    ddb_buf_t buf = {0};
    if (!wanted || image == NULL || ddb_item_encode(image, &buf) != 0) {
        ddb_buf_free(&buf);
        sqlite3_bind_null(s, col);
        return;
    }
    *size += ddb_item_size(image);
    sqlite3_bind_blob(s, col, buf.data, (int)buf.len, free);
}

int ddb_stream_record(const ddb_table_t *t, const json_t *old, const json_t *item) {
    const json_t *st = json_object_get(t->def, "_Stream");
    if (st == NULL)
        return 0;
    int64_t sid = json_integer_value(json_object_get(st, "sid"));
    const char *view = nb_json_str(st, "view");
    json_t *keys = keys_of(t, item ? item : old);
    ddb_buf_t kbuf = {0};
    sqlite3_stmt *s;
    /* the sequence number follows the stream's last record, or the last trimmed when none is left */
    if (keys == NULL || ddb_item_encode(keys, &kbuf) != 0 ||
        (s = nb_store_stmt(&ddb.store, "INSERT INTO _stream_records(sid, seq, created, event, by_service, keys,"
                                       " new_image, old_image, size) VALUES(?1, COALESCE((SELECT max(seq) FROM"
                                       " _stream_records WHERE sid = ?1), (SELECT trimmed_seq FROM streams WHERE"
                                       " sid = ?1)) + 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")) == NULL) {
        json_decref(keys);
        ddb_buf_free(&kbuf);
        return NB_ESTORE;
    }
    size_t size = ddb_item_size(keys);
    json_decref(keys);
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_double(s, 3, nb_now());
    sqlite3_bind_int(s, 4, old == NULL ? DDB_EVENT_INSERT : item == NULL ? DDB_EVENT_REMOVE : DDB_EVENT_MODIFY);
    sqlite3_bind_int(s, 5, by_service);
    sqlite3_bind_blob(s, 6, kbuf.data, (int)kbuf.len, free);
    bind_image(s, 7, item, strstr(view, "NEW") != NULL, &size);
    bind_image(s, 8, old, strstr(view, "OLD") != NULL, &size);
    sqlite3_bind_int64(s, 9, (sqlite3_int64)size);
    return nb_store_run(s);
}
