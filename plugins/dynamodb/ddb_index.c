#include "ddb_index.h"

#include <string.h>

#include "ddb_codec.h"

nb_step_t ddb_index_check(nb_req_t *req, const ddb_table_t *t, const json_t *item) {
    for (size_t i = 0; i < t->nindexes; i++) {
        ddb_keybytes_t k;
        bool present;
        NB_TRY_STEP(ddb_key_of_index(req, &t->indexes[i], item, &k, &present));
    }
    return NB_GO_ON;
}

static int rows_write(const ddb_table_t *t, const ddb_index_t *ix, const ddb_keybytes_t *key,
                      const json_t *item, bool insert) {
    ddb_keybytes_t k;
    bool present;
    if (ddb_key_index_bytes(ix, item, &k, &present) != 0 || !present)
        return 0; /* an old item no longer valid for the index was never in it */
    sqlite3_stmt *s = nb_store_stmt(&ddb.store,
                                    insert ? "INSERT OR REPLACE INTO _index_items(tid, idx, ipk, isk, pk, sk)"
                                             " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
                                           : "DELETE FROM _index_items WHERE tid = ?1 AND idx = ?2 AND ipk = ?3"
                                             " AND isk = ?4 AND pk = ?5 AND sk = ?6");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, t->tid);
    sqlite3_bind_text(s, 2, ix->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, k.pk, (int)k.pklen, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, k.sk, (int)k.sklen, SQLITE_STATIC);
    sqlite3_bind_blob(s, 5, key->pk, (int)key->pklen, SQLITE_STATIC);
    sqlite3_bind_blob(s, 6, key->sk, (int)key->sklen, SQLITE_STATIC);
    return nb_store_run(s);
}

int ddb_index_update(const ddb_table_t *t, const ddb_keybytes_t *key, const json_t *old,
                     const json_t *item) {
    for (size_t i = 0; i < t->nindexes; i++) {
        int rc = old ? rows_write(t, &t->indexes[i], key, old, false) : 0;
        if (rc == 0 && item)
            rc = rows_write(t, &t->indexes[i], key, item, true);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int ddb_index_backfill(const ddb_table_t *t, const ddb_index_t *ix) {
    /* a statement of our own: rows_write uses the cached ones while this one steps */
    sqlite3_stmt *s = NULL;
    if (ix == NULL ||
        sqlite3_prepare_v2(ddb.store.db, "SELECT pk, sk, item FROM items WHERE tid = ?1", -1, &s, NULL) != SQLITE_OK)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, t->tid);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        ddb_keybytes_t key = {.pk = sqlite3_column_blob(s, 0), .sk = sqlite3_column_blob(s, 1),
                              .pklen = (size_t)sqlite3_column_bytes(s, 0), .sklen = (size_t)sqlite3_column_bytes(s, 1)};
        if (key.sk == NULL)
            key.sk = (const uint8_t *)"";
        json_t *item = ddb_item_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
        rc = item ? rows_write(t, ix, &key, item, true) : NB_ESTORE;
        json_decref(item);
    }
    sqlite3_finalize(s);
    return rc;
}

int ddb_index_drop(const ddb_table_t *t, const char *name) {
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "DELETE FROM _index_items WHERE tid = ?1 AND idx = ?2");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, t->tid);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
    return nb_store_run(s);
}

static void copy_attr(json_t *out, const json_t *item, const char *name) {
    const json_t *v = name ? json_object_get(item, name) : NULL;
    if (v != NULL)
        json_object_set(out, name, (json_t *)v);
}

json_t *ddb_index_project(const ddb_table_t *t, const ddb_index_t *ix, const json_t *item) {
    if (strcmp(ix->projection, "ALL") == 0)
        return json_incref((json_t *)item);
    json_t *out = json_object();
    copy_attr(out, item, t->key.hash.name);
    copy_attr(out, item, t->key.range.name);
    copy_attr(out, item, ix->key.hash.name);
    copy_attr(out, item, ix->key.range.name);
    size_t i;
    const json_t *a;
    json_array_foreach(ix->non_key, i, a) copy_attr(out, item, json_string_value(a));
    return out;
}
