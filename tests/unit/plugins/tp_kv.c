/*
 * A minimal DynamoDB-like key/value plugin ("dynamodb-kv", serving "dynamodb")
 * for the state store's end-to-end tests and the HTTP benchmark: tables and
 * items live in the plugin's store, scoped by account and region, with a schema
 * that took three migrations to reach.
 *
 *   CreateTable, DescribeTable (ItemCount kept in the table row), ListTables,
 *   DeleteTable, PutItem, GetItem, DeleteItem, Scan (every item, no filter),
 *   UpdateTimeToLive (answers asynchronously, after TP_KV_ASYNC_MS, default 20).
 *
 * A PutItem writes two rows (the item and the table's count): a crash between
 * them would show as a count that disagrees with Scan.
 *
 * The plugin caches which tables exist; the reset hook drops that cache. A
 * plugin without the hook would accept PutItem into a table that a state reset
 * removed, which is what the reset test looks for.
 *
 * The linker leaves sqlite3_* undefined: the server process provides them.
 */
#include <stdlib.h>
#include <string.h>

#include <nimbus/plugin.h>
#include <nimbus/store.h>

static const char *const schema[] = {
    /* 1 */
    "CREATE TABLE tables(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, hash_key TEXT NOT NULL,"
    " created REAL NOT NULL, PRIMARY KEY(account, region, name));",
    /* 2 */
    "CREATE TABLE items(" NB_STORE_SCOPE_COLUMNS ", tbl TEXT NOT NULL, pk TEXT NOT NULL, item TEXT NOT NULL,"
    " PRIMARY KEY(account, region, tbl, pk),"
    " FOREIGN KEY(account, region, tbl) REFERENCES tables(account, region, name) ON DELETE CASCADE);",
    /* 3 */
    "ALTER TABLE tables ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE _ttl(" NB_STORE_SCOPE_COLUMNS ", tbl TEXT NOT NULL, attribute TEXT NOT NULL,"
    " PRIMARY KEY(account, region, tbl));",
};

static nb_store_t store;

/* Tables known to exist: account, region, name -> hash key. */
typedef struct cached {
    struct cached *next;
    char *account, *region, *name, *hash_key;
} cached_t;
static cached_t *cache;

static void cache_clear(void) {
    while (cache) {
        cached_t *c = cache;
        cache = c->next;
        free(c->account);
        free(c->region);
        free(c->name);
        free(c->hash_key);
        free(c);
    }
}

static cached_t **cache_find(const char *account, const char *region, const char *name) {
    for (cached_t **c = &cache; *c; c = &(*c)->next)
        if (strcmp((*c)->account, account) == 0 && strcmp((*c)->region, region) == 0 && strcmp((*c)->name, name) == 0)
            return c;
    return NULL;
}

static void cache_add(const char *account, const char *region, const char *name, const char *hash_key) {
    cached_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return;
    c->account = strdup(account);
    c->region = strdup(region);
    c->name = strdup(name);
    c->hash_key = strdup(hash_key);
    if (!c->account || !c->region || !c->name || !c->hash_key) {
        c->next = NULL;
        cached_t *keep = cache;
        cache = c;
        cache_clear();
        cache = keep;
        return;
    }
    c->next = cache;
    cache = c;
}

static void cache_remove(const char *account, const char *region, const char *name) {
    cached_t **c = cache_find(account, region, name);
    if (c == NULL)
        return;
    cached_t *gone = *c;
    *c = gone->next;
    gone->next = NULL;
    cached_t *keep = cache;
    cache = gone;
    cache_clear();
    cache = keep;
}

static nb_result_t store_failed(nb_req_t *req) {
    return nb_error_code(req, "InternalError", 500, "state store: %s", sqlite3_errmsg(store.db));
}

static nb_result_t not_found(nb_req_t *req, const char *table) {
    return nb_error(req, "ResourceNotFoundException", "Requested resource not found: Table: %s not found", table);
}

/* The table's hash key name (borrowed from the cache), or NULL if it does not exist. *failed on a store error. */
static const char *table_key(nb_req_t *req, const char *name, int *failed) {
    *failed = 0;
    const char *account = nb_req_account(req), *region = nb_req_region(req);
    cached_t **c = cache_find(account, region, name);
    if (c != NULL)
        return (*c)->hash_key;
    sqlite3_stmt *s =
        nb_store_scoped(&store, req, "SELECT hash_key FROM tables WHERE name = ?1 AND account = :account AND region = :region");
    if (s == NULL) {
        *failed = 1;
        return NULL;
    }
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        cache_add(account, region, name, (const char *)sqlite3_column_text(s, 0));
        sqlite3_reset(s);
        c = cache_find(account, region, name);
        return c ? (*c)->hash_key : NULL;
    }
    sqlite3_reset(s);
    *failed = rc != SQLITE_DONE;
    return NULL;
}

/* The table's description, or NULL: not found, or *failed on a store error. */
static json_t *describe(nb_req_t *req, const char *name, int *failed) {
    *failed = 0;
    sqlite3_stmt *s = nb_store_scoped(
        &store, req,
        "SELECT hash_key, created, item_count FROM tables WHERE name = ?1 AND account = :account AND region = :region");
    if (s == NULL) {
        *failed = 1;
        return NULL;
    }
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    json_t *out = NULL;
    int rc = sqlite3_step(s);
    *failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
    if (rc == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(s, 0);
        out = json_pack("{s:s,s:s,s:f,s:I,s:[{s:s,s:s}],s:[{s:s,s:s}],s:s}", "TableName", name, "TableStatus",
                        "ACTIVE", "CreationDateTime", sqlite3_column_double(s, 1), "ItemCount",
                        (json_int_t)sqlite3_column_int64(s, 2), "KeySchema", "AttributeName", key, "KeyType", "HASH",
                        "AttributeDefinitions", "AttributeName", key, "AttributeType", "S", "TableArn", "arn:aws:dynamodb");
    }
    sqlite3_reset(s);
    return out;
}

static const char *str(const json_t *in, const char *name) { return json_string_value(json_object_get(in, name)); }

static nb_result_t create_table(nb_req_t *req, const json_t *in) {
    const char *name = str(in, "TableName");
    const char *key = NULL;
    size_t i;
    json_t *ks;
    json_array_foreach(json_object_get(in, "KeySchema"), i, ks) {
        if (strcmp(str(ks, "KeyType") ? str(ks, "KeyType") : "", "HASH") == 0)
            key = str(ks, "AttributeName");
    }
    if (key == NULL)
        return nb_error(req, "ValidationException", "KeySchema needs a HASH key");
    int failed;
    if (table_key(req, name, &failed) != NULL)
        return nb_error(req, "ResourceInUseException", "Table already exists: %s", name);
    if (failed)
        return store_failed(req);
    sqlite3_stmt *s = nb_store_scoped(&store, req,
                                      "INSERT INTO tables(name, hash_key, created, account, region)"
                                      " VALUES (?1, ?2, ?3, :account, :region)");
    if (s == NULL)
        return store_failed(req);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 3, nb_now());
    if (nb_store_run(s) != 0)
        return store_failed(req);
    json_t *d = describe(req, name, &failed);
    if (d == NULL)
        return store_failed(req);
    return nb_reply_new(req, json_pack("{s:o}", "TableDescription", d));
}

static nb_result_t describe_table(nb_req_t *req, const json_t *in) {
    const char *name = str(in, "TableName");
    int failed;
    json_t *d = describe(req, name, &failed);
    if (d == NULL)
        return failed ? store_failed(req) : not_found(req, name);
    return nb_reply_new(req, json_pack("{s:o}", "Table", d));
}

static nb_result_t list_tables(nb_req_t *req, const json_t *in) {
    (void)in;
    sqlite3_stmt *s =
        nb_store_scoped(&store, req, "SELECT name FROM tables WHERE account = :account AND region = :region ORDER BY name");
    if (s == NULL)
        return store_failed(req);
    json_t *names = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        json_array_append_new(names, json_string((const char *)sqlite3_column_text(s, 0)));
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        json_decref(names);
        return store_failed(req);
    }
    return nb_reply_new(req, json_pack("{s:o}", "TableNames", names));
}

static nb_result_t delete_table(nb_req_t *req, const json_t *in) {
    const char *name = str(in, "TableName");
    int failed;
    json_t *d = describe(req, name, &failed);
    if (d == NULL)
        return failed ? store_failed(req) : not_found(req, name);
    sqlite3_stmt *s =
        nb_store_scoped(&store, req, "DELETE FROM tables WHERE name = ?1 AND account = :account AND region = :region");
    if (s == NULL) {
        json_decref(d);
        return store_failed(req);
    }
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if (nb_store_run(s) != 0) {
        json_decref(d);
        return store_failed(req);
    }
    cache_remove(nb_req_account(req), nb_req_region(req), name);
    json_object_set_new(d, "TableStatus", json_string("DELETING"));
    return nb_reply_new(req, json_pack("{s:o}", "TableDescription", d));
}

/* The key's value as text: "S" or "N". */
static const char *key_value(const json_t *attrs, const char *key) {
    const json_t *v = json_object_get(attrs, key);
    const char *s = str(v, "S");
    return s ? s : str(v, "N");
}

static nb_result_t put_item(nb_req_t *req, const json_t *in) {
    const char *name = str(in, "TableName");
    int failed;
    const char *key = table_key(req, name, &failed);
    if (key == NULL)
        return failed ? store_failed(req) : not_found(req, name);
    const json_t *item = json_object_get(in, "Item");
    const char *pk = key_value(item, key);
    if (pk == NULL)
        return nb_error(req, "ValidationException",
                        "One or more parameter values were invalid: Missing the key %s in the item", key);
    char *text = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return nb_error(req, "ValidationException", "The item cannot be stored");
    /* Two rows, one request: the count moves only with a new key. */
    sqlite3_stmt *s = nb_store_scoped(&store, req,
                                      "UPDATE tables SET item_count = item_count + 1 WHERE name = ?1 AND NOT EXISTS"
                                      " (SELECT 1 FROM items WHERE tbl = ?1 AND pk = ?2 AND account = :account AND"
                                      " region = :region) AND account = :account AND region = :region");
    int rc = s ? 0 : NB_ESTORE;
    if (s) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, pk, -1, SQLITE_STATIC);
        rc = nb_store_run(s);
    }
    if (rc == 0) {
        s = nb_store_scoped(&store, req,
                            "INSERT INTO items(tbl, pk, item, account, region) VALUES (?1, ?2, ?3, :account, :region)"
                            " ON CONFLICT(account, region, tbl, pk) DO UPDATE SET item = excluded.item");
        rc = s ? 0 : NB_ESTORE;
        if (s) {
            sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, pk, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
            rc = nb_store_run(s);
        }
    }
    free(text);
    if (rc != 0)
        return store_failed(req);
    return nb_reply_new(req, json_object());
}

static nb_result_t get_item(nb_req_t *req, const json_t *in) {
    const char *name = str(in, "TableName");
    int failed;
    const char *key = table_key(req, name, &failed);
    if (key == NULL)
        return failed ? store_failed(req) : not_found(req, name);
    const char *pk = key_value(json_object_get(in, "Key"), key);
    if (pk == NULL)
        return nb_error(req, "ValidationException", "The provided key element does not match the schema");
    sqlite3_stmt *s = nb_store_scoped(
        &store, req, "SELECT item FROM items WHERE tbl = ?1 AND pk = ?2 AND account = :account AND region = :region");
    if (s == NULL)
        return store_failed(req);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, pk, -1, SQLITE_STATIC);
    json_t *out = json_object();
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        json_t *item = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        if (item)
            json_object_set_new(out, "Item", item);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        json_decref(out);
        return store_failed(req);
    }
    return nb_reply_new(req, out);
}

static nb_result_t delete_item(nb_req_t *req, const json_t *in) {
    const char *name = str(in, "TableName");
    int failed;
    const char *key = table_key(req, name, &failed);
    if (key == NULL)
        return failed ? store_failed(req) : not_found(req, name);
    const char *pk = key_value(json_object_get(in, "Key"), key);
    if (pk == NULL)
        return nb_error(req, "ValidationException", "The provided key element does not match the schema");
    sqlite3_stmt *s = nb_store_scoped(
        &store, req, "DELETE FROM items WHERE tbl = ?1 AND pk = ?2 AND account = :account AND region = :region");
    int rc = s ? 0 : NB_ESTORE;
    if (s) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, pk, -1, SQLITE_STATIC);
        rc = nb_store_run(s);
    }
    if (rc == 0 && sqlite3_changes(store.db) > 0) {
        s = nb_store_scoped(&store, req,
                            "UPDATE tables SET item_count = item_count - 1 WHERE name = ?1 AND"
                            " account = :account AND region = :region");
        rc = s ? 0 : NB_ESTORE;
        if (s) {
            sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
            rc = nb_store_run(s);
        }
    }
    if (rc != 0)
        return store_failed(req);
    return nb_reply_new(req, json_object());
}

static nb_result_t scan(nb_req_t *req, const json_t *in) {
    const char *name = str(in, "TableName");
    int failed;
    if (table_key(req, name, &failed) == NULL)
        return failed ? store_failed(req) : not_found(req, name);
    sqlite3_stmt *s = nb_store_scoped(
        &store, req, "SELECT item FROM items WHERE tbl = ?1 AND account = :account AND region = :region ORDER BY pk");
    if (s == NULL)
        return store_failed(req);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    json_t *items = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *item = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        if (item)
            json_array_append_new(items, item);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        json_decref(items);
        return store_failed(req);
    }
    size_t n = json_array_size(items);
    return nb_reply_new(req, json_pack("{s:o,s:I,s:I}", "Items", items, "Count", (json_int_t)n, "ScannedCount",
                                       (json_int_t)n));
}

/* UpdateTimeToLive writes in its handler and answers later, from a timer: the
 * core must have committed its write at once, not kept the transaction open
 * across the requests that come in meanwhile. */
typedef struct pending {
    nb_req_t *req;
} pending_t;

static void ttl_answer(nb_timer_t *t, void *data) {
    pending_t *p = data;
    nb_timer_stop(t);
    nb_finish(p->req);
    free(p);
}

static nb_result_t update_ttl(nb_req_t *req, const json_t *in) {
    const char *name = str(in, "TableName");
    const json_t *spec = json_object_get(in, "TimeToLiveSpecification");
    int failed;
    if (table_key(req, name, &failed) == NULL)
        return failed ? store_failed(req) : not_found(req, name);
    sqlite3_stmt *s = nb_store_scoped(&store, req,
                                      "INSERT OR REPLACE INTO _ttl(tbl, attribute, account, region)"
                                      " VALUES (?1, ?2, :account, :region)");
    if (s == NULL)
        return store_failed(req);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, str(spec, "AttributeName"), -1, SQLITE_STATIC);
    if (nb_store_run(s) != 0)
        return store_failed(req);
    pending_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NB_FAILED(NB_ENOMEM);
    p->req = req;
    const char *ms = getenv("TP_KV_ASYNC_MS");
    nb_reply_new(req, json_pack("{s:O}", "TimeToLiveSpecification", spec));
    if (nb_timer_start(nb_req_plugin(req), ms ? strtoull(ms, NULL, 10) : 20, 0, ttl_answer, p) == NULL) {
        free(p);
        return NB_DONE; /* answer now */
    }
    return NB_ASYNC;
}

static int kv_init(nb_plugin_t *self) {
    char *err = NULL;
    nb_store_init(&store, nb_store_db(self));
    if (nb_store_migrate(store.db, schema, NB_STORE_COUNT(schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err ? err : "migration failed");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static void kv_fini(nb_plugin_t *self) {
    (void)self;
    cache_clear();
    nb_store_fini(&store);
}

static void kv_reset(nb_plugin_t *self) {
    nb_log(self, NB_LOG_INFO, "state reset: dropping the table cache");
    cache_clear();
}

static const nb_op_t ops[] = {
    {"CreateTable", create_table, 0}, {"DescribeTable", describe_table, 0}, {"ListTables", list_tables, 0},
    {"DeleteTable", delete_table, 0}, {"PutItem", put_item, 0},             {"GetItem", get_item, 0},
    {"DeleteItem", delete_item, 0},   {"Scan", scan, 0},                    {"UpdateTimeToLive", update_ttl, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "dynamodb-kv", .service = "dynamodb", .api_version = "2012-08-10", .ops = ops,
                 .init = kv_init, .fini = kv_fini, .reset = kv_reset);
