#include "ddb_item_store.h"

#include <stdlib.h>

#include "ddb_codec.h"
#include "ddb_index.h"
#include "ddb_item_text.h"
#include "ddb_num.h"
#include "ddb_expr.h"
#include "ddb_stream.h"

/* The row at key, stepped onto: 0 with the statement (reset it when done with its columns: item,
 * size), NB_ENOENT or NB_ESTORE. */
static int item_row(const ddb_table_t *t, const ddb_keybytes_t *key, sqlite3_stmt **out) {
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
    *out = s;
    return 0;
}

int ddb_item_get(const ddb_table_t *t, const ddb_keybytes_t *key, json_t **item, size_t *size) {
    sqlite3_stmt *s;
    int rc = item_row(t, key, &s);
    if (rc != 0)
        return rc;
    *item = ddb_item_decode(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
    *size = (size_t)sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return *item ? 0 : NB_ESTORE;
}

int ddb_item_get_text(const ddb_table_t *t, const ddb_keybytes_t *key, ddb_buf_t *text, size_t *size) {
    sqlite3_stmt *s;
    int rc = item_row(t, key, &s);
    if (rc != 0)
        return rc;
    rc = ddb_item_text(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), text) == 0 ? 0 : NB_ENOMEM;
    *size = (size_t)sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return rc;
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

int ddb_item_stored_size(const ddb_table_t *t, const ddb_keybytes_t *key, size_t *size) {
    sqlite3_stmt *s;
    int rc = item_row(t, key, &s);
    if (rc != 0)
        return rc;
    *size = (size_t)sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return 0;
}

bool ddb_item_plain_table(const ddb_table_t *t) {
    return t->nindexes == 0 && json_object_get(t->def, "_Stream") == NULL;
}

/* The row and the table's counts, what every write of an item does. *inserted: no row was there
 * to update after all (a caller's stale `existed`), so the item went in as a new one. */
static int put_row(const ddb_table_t *t, const ddb_keybytes_t *key, bool existed, size_t old_size,
                   const json_t *item, size_t size, bool *inserted) {
    ddb_buf_t buf = {0};
    if (ddb_item_encode(item, &buf) != 0) {
        ddb_buf_free(&buf);
        return NB_ENOMEM;
    }
    /* an UPDATE in place of an item there: INSERT OR REPLACE would delete the row and insert it again */
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, existed ? "UPDATE items SET item = ?4, size = ?5, expires = ?6"
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
    if (rc == 0 && existed && sqlite3_changes(ddb.store.db) == 0) {
        *inserted = true;
        return put_row(t, key, false, 0, item, size, inserted);
    }
    if (rc == 0)
        rc = ddb_table_count_add(t->tid, existed ? 0 : 1, (int64_t)size - (int64_t)old_size);
    return rc;
}

int ddb_item_put_plain(const ddb_table_t *t, const ddb_keybytes_t *key, bool existed, size_t old_size,
                       const json_t *item, size_t size) {
    bool inserted = false;
    return put_row(t, key, existed, old_size, item, size, &inserted);
}

int ddb_item_put(const ddb_table_t *t, const ddb_keybytes_t *key, const json_t *old, size_t old_size,
                 const json_t *item, size_t size) {
    bool inserted = false;
    int rc = put_row(t, key, old != NULL, old_size, item, size, &inserted);
    if (inserted)
        old = NULL;
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
