#include "ddb_ttl.h"

#include <stdlib.h>

#include "ddb_codec.h"
#include "ddb_item_store.h"
#include "ddb_stream.h"

#define TTL_BATCH 100

const nb_setting_t ddb_ttl_settings[] = {
    {"DYNAMODB_REMOVE_EXPIRED_ITEMS", NB_SETTING_BOOL, "1",
     "1: items past their TTL attribute are deleted in the background (LocalStack's name); 0: kept"},
    {"DYNAMODB_TTL_INTERVAL", NB_SETTING_DURATION, "1s", "How often expired items (and stream records) are looked for"},
    {"DYNAMODB_STREAM_RETENTION", NB_SETTING_DURATION, "24h", "How long stream records are kept (AWS: 24 hours)"},
    {NULL, 0, NULL, NULL},
};

/* The table of a row, read without a request (the sweep runs on a timer). */
static int table_by_tid(int64_t tid, ddb_table_t *t) {
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "SELECT def FROM tables WHERE tid = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, tid);
    int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : NB_ENOENT;
    if (rc == 0) {
        t->tid = tid;
        t->def = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        rc = t->def ? ddb_table_parse_def(NULL, t) : NB_ENOMEM;
    }
    sqlite3_reset(s);
    return rc;
}

static void sweep(nb_timer_t *timer, void *data) {
    (void)timer, (void)data;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(ddb.store.db,
                           "SELECT tid, pk, sk, item, size FROM items WHERE expires IS NOT NULL AND expires <= ?1"
                           " ORDER BY expires LIMIT ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)nb_now());
    sqlite3_bind_int(s, 2, TTL_BATCH);
    ddb_table_t t = {.tid = -1};
    int rc = 0;
    ddb_stream_by_service(true); /* AWS's TTL deletions are the service's in the stream */
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        int64_t tid = sqlite3_column_int64(s, 0);
        if (tid != t.tid) {
            free(t.indexes);
            json_decref(t.def);
            t = (ddb_table_t){.tid = -1};
            if (table_by_tid(tid, &t) != 0)
                break;
        }
        ddb_keybytes_t key = {.pk = sqlite3_column_blob(s, 1), .sk = sqlite3_column_blob(s, 2),
                              .pklen = (size_t)sqlite3_column_bytes(s, 1), .sklen = (size_t)sqlite3_column_bytes(s, 2)};
        if (key.sk == NULL)
            key.sk = (const uint8_t *)"";
        json_t *old = ddb_item_decode(sqlite3_column_blob(s, 3), (size_t)sqlite3_column_bytes(s, 3));
        rc = old ? ddb_item_remove(&t, &key, old, (size_t)sqlite3_column_int64(s, 4)) : NB_ESTORE;
        json_decref(old);
    }
    ddb_stream_by_service(false);
    free(t.indexes);
    json_decref(t.def);
    sqlite3_finalize(s);
}

void ddb_ttl_start(nb_plugin_t *self) {
    if (!nb_setting_bool(self, "DYNAMODB_REMOVE_EXPIRED_ITEMS"))
        return;
    double every = nb_setting_seconds(self, "DYNAMODB_TTL_INTERVAL");
    uint64_t ms = every > 0.01 ? (uint64_t)(every * 1000) : 10;
    ddb.ttl_timer = nb_timer_start(self, ms, ms, sweep, NULL);
}

void ddb_ttl_stop(void) {
    if (ddb.ttl_timer != NULL)
        nb_timer_stop(ddb.ttl_timer);
    ddb.ttl_timer = NULL;
}

int ddb_ttl_reindex(const ddb_table_t *t) {
    sqlite3_stmt *s = NULL, *u = NULL;
    if (sqlite3_prepare_v2(ddb.store.db, "SELECT pk, sk, item FROM items WHERE tid = ?1", -1, &s, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ddb.store.db, "UPDATE items SET expires = ?4 WHERE tid = ?1 AND pk = ?2 AND sk = ?3", -1,
                           &u, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return NB_ESTORE;
    }
    sqlite3_bind_int64(s, 1, t->tid);
    int rc = 0;
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
        json_t *item = ddb_item_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
        int64_t exp = item ? ddb_item_expiry(item, t->ttl_attr) : 0;
        json_decref(item);
        sqlite3_bind_int64(u, 1, t->tid);
        sqlite3_bind_value(u, 2, sqlite3_column_value(s, 0));
        sqlite3_bind_value(u, 3, sqlite3_column_value(s, 1));
        if (exp > 0)
            sqlite3_bind_int64(u, 4, exp);
        else
            sqlite3_bind_null(u, 4);
        rc = nb_store_run(u);
    }
    sqlite3_finalize(s);
    sqlite3_finalize(u);
    return rc;
}
