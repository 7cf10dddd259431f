/* The entities table: one JSON document per (account, kind, name); IAM has no region. */
#include <stdio.h>

#include "iam.h"

static nb_store_t store;

static const char *const iam_schema[] = {
    /* 1 */
    "CREATE TABLE entities(" NB_STORE_SCOPE_COLUMNS ", kind TEXT NOT NULL, name TEXT NOT NULL,"
    " doc TEXT NOT NULL, PRIMARY KEY(account, region, kind, name));",
};

int iam_store_open(nb_plugin_t *self) {
    char *err = NULL;
    nb_store_init(&store, nb_store_db(self));
    if (nb_store_migrate(store.db, iam_schema, NB_STORE_COUNT(iam_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

void iam_store_close(void) { nb_store_fini(&store); }

sqlite3 *iam_db(void) { return store.db; }

json_t *iam_load(nb_req_t *req, const char *kind, const char *name) {
    sqlite3_stmt *s = nb_store_stmt(&store, "SELECT doc FROM entities WHERE account = ?1 AND region = '' AND kind = ?2"
                                            " AND name = ?3");
    if (s == NULL || name == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, iam_account(req), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    json_t *doc = NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        doc = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
    sqlite3_reset(s);
    return doc;
}

int iam_save(nb_req_t *req, const char *kind, const char *name, const json_t *doc) {
    char *text = json_dumps(doc, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_stmt(&store, "INSERT OR REPLACE INTO entities(account, region, kind, name, doc)"
                                            " VALUES(?1, '', ?2, ?3, ?4)");
    if (s == NULL || text == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, iam_account(req), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, text, -1, free);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}

int iam_remove(nb_req_t *req, const char *kind, const char *name) {
    return iam_exec(req, "DELETE FROM entities WHERE account = ?1 AND region = '' AND kind = ?2 AND name = ?3", kind,
                    name);
}

json_t *iam_list(nb_req_t *req, const char *kind, const char *where, const char *arg) {
    const char *sql = nb_req_printf(req,
                                    "SELECT doc FROM entities WHERE account = ?2 AND region = '' AND kind = ?3%s%s"
                                    " ORDER BY name",
                                    where ? " AND " : "", where ? where : "");
    sqlite3_stmt *s = sql ? nb_store_stmt(&store, sql) : NULL;
    json_t *out = json_array();
    if (s == NULL || out == NULL) {
        json_decref(out);
        return NULL;
    }
    if (where != NULL)
        sqlite3_bind_text(s, 1, arg ? arg : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, iam_account(req), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(out, json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL));
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        json_decref(out);
        return NULL;
    }
    return out;
}

long iam_count(nb_req_t *req, const char *kinds, const char *where, const char *arg) {
    const char *sql = nb_req_printf(req,
                                    "SELECT count(*) FROM entities WHERE account = ?2 AND region = '' AND kind IN (%s)"
                                    " AND %s",
                                    kinds, where);
    sqlite3_stmt *s = sql ? nb_store_stmt(&store, sql) : NULL;
    if (s == NULL)
        return -1;
    sqlite3_bind_text(s, 1, arg ? arg : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, iam_account(req), -1, SQLITE_STATIC);
    long n = sqlite3_step(s) == SQLITE_ROW ? (long)sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return n;
}

int iam_exec(nb_req_t *req, const char *sql, const char *a, const char *b) {
    sqlite3_stmt *s = nb_store_stmt(&store, sql);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, iam_account(req), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}
