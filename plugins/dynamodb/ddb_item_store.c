#include "ddb_item_store.h"

#include <stdlib.h>

#include "ddb_codec.h"
#include "ddb_index.h"
#include "ddb_num.h"
#include "ddb_expr.h"
#include "ddb_stream.h"

int ddb_item_get(const ddb_table_t *t, const ddb_keybytes_t *key, json_t **item, size_t *size) {
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "SELECT item, size FROM items WHERE tid = ?1 AND pk = ?2 AND sk = ?3");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, t->tid);
    sqlite3_bind_blob(s, 2, key->pk, (int)key->pklen, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, key->sk, (int)key->sklen, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? NB_ENOENT : NB_ESTORE;
    }
    *item = ddb_item_decode(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
    *size = (size_t)sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return *item ? 0 : NB_ESTORE;
}

/* AWS deletes items whose TTL attribute is a Number of epoch seconds; other types never expire. */
int64_t ddb_item_expiry(const json_t *item, const char *attr) {
    json_t *v;
    if (attr == NULL || ddb_value_type(json_object_get(item, attr), &v) != DDB_T_N)
        return 0;
    char *end;
    double secs = strtod(json_string_value(v), &end);
    return secs > 0 && secs < 9.2e18 ? (int64_t)secs : 0;
}

int ddb_item_put(const ddb_table_t *t, const ddb_keybytes_t *key, const json_t *old, size_t old_size,
                 const json_t *item, size_t size) {
    ddb_buf_t buf = {0};
    if (ddb_item_encode(item, &buf) != 0) {
        ddb_buf_free(&buf);
        return NB_ENOMEM;
    }
    /* an UPDATE in place of an item there: INSERT OR REPLACE would delete the row and insert it again */
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, old != NULL ? "UPDATE items SET item = ?4, size = ?5, expires = ?6"
                                                              " WHERE tid = ?1 AND pk = ?2 AND sk = ?3"
                                                            : "INSERT OR REPLACE INTO items(tid, pk, sk, item, size, expires)"
                                                              " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (s == NULL) {
        ddb_buf_free(&buf);
        return NB_ESTORE;
    }
    sqlite3_bind_int64(s, 1, t->tid);
    sqlite3_bind_blob(s, 2, key->pk, (int)key->pklen, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, key->sk, (int)key->sklen, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, buf.data, (int)buf.len, free);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)size);
    int64_t exp = ddb_item_expiry(item, t->ttl_attr);
    if (exp > 0)
        sqlite3_bind_int64(s, 6, exp);
    else
        sqlite3_bind_null(s, 6);
    int rc = nb_store_run(s);
    if (rc == 0 && old != NULL && sqlite3_changes(ddb.store.db) == 0) /* a caller's stale `old`: no row to update */
        return ddb_item_put(t, key, NULL, 0, item, size);
    if (rc == 0)
        rc = ddb_table_count_add(t->tid, old ? 0 : 1, (int64_t)size - (int64_t)old_size);
    if (rc == 0 && t->nindexes > 0)
        rc = ddb_index_update(t, key, old, item);
    if (rc == 0)
        rc = ddb_stream_record(t, old, item);
    return rc;
}

int ddb_item_remove(const ddb_table_t *t, const ddb_keybytes_t *key, const json_t *old,
                    size_t old_size) {
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "DELETE FROM items WHERE tid = ?1 AND pk = ?2 AND sk = ?3");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, t->tid);
    sqlite3_bind_blob(s, 2, key->pk, (int)key->pklen, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, key->sk, (int)key->sklen, SQLITE_STATIC);
    int rc = nb_store_run(s);
    if (rc == 0)
        rc = ddb_table_count_add(t->tid, -1, -(int64_t)old_size);
    if (rc == 0 && t->nindexes > 0)
        rc = ddb_index_update(t, key, old, NULL);
    if (rc == 0)
        rc = ddb_stream_record(t, old, NULL);
    return rc;
}
