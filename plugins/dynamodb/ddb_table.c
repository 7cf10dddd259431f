/* The table model: a table's stored definition read for one request, its ARN, its description. */
#include <stdlib.h>
#include <string.h>

#include "ddb.h"
#include "ddb_table_cache.h"

const char *ddb_table_name_of(const char *name_or_arn) {
    if (name_or_arn != NULL && strncmp(name_or_arn, "arn:", 4) == 0) {
        const char *slash = strstr(name_or_arn, ":table/");
        if (slash != NULL)
            return slash + 7;
    }
    return name_or_arn;
}

char *ddb_table_arn(nb_req_t *req, const char *name) {
    char arn[512];
    const char *resource = nb_req_printf(req, "table/%s", name);
    if (nb_arn_format(&(nb_arn_t){.service = "dynamodb", .region = nb_req_region(req), .account = nb_req_account(req),
                                  .resource = resource},
                      arn, sizeof arn) < 0)
        return NULL;
    return nb_req_strdup(req, arn);
}

static void keydef_read(const json_t *schema, const json_t *attrs, ddb_keydef_t *k) {
    memset(k, 0, sizeof *k);
    size_t i, j;
    const json_t *e, *a;
    json_array_foreach(schema, i, e) {
        ddb_keyattr_t *ka = nb_json_str_eq(e, "KeyType", "HASH") ? &k->hash : &k->range;
        ka->name = nb_json_str(e, "AttributeName");
        json_array_foreach(attrs, j, a) {
            if (ka->name != NULL && nb_json_str_eq(a, "AttributeName", ka->name)) {
                const char *type = nb_json_str(a, "AttributeType");
                ka->type = type ? type[0] : 'S';
            }
        }
    }
}

static void release_def(void *def) { json_decref(def); }

int ddb_table_parse_def(nb_req_t *req, ddb_table_t *t) {
    const json_t *attrs = json_object_get(t->def, "AttributeDefinitions");
    keydef_read(json_object_get(t->def, "KeySchema"), attrs, &t->key);
    const json_t *g = json_object_get(t->def, "GlobalSecondaryIndexes");
    const json_t *l = json_object_get(t->def, "LocalSecondaryIndexes");
    t->nindexes = json_array_size(g) + json_array_size(l);
    /* a request's table lives in its memory; the TTL sweep's (req NULL) is freed by the sweep */
    t->indexes = t->nindexes == 0 ? NULL
                 : req != NULL    ? nb_req_alloc(req, t->nindexes * sizeof *t->indexes)
                                  : calloc(t->nindexes, sizeof *t->indexes);
    if (t->nindexes && t->indexes == NULL)
        return NB_ENOMEM;
    size_t n = 0, i;
    const json_t *e;
    const json_t *lists[2] = {g, l};
    for (int k = 0; k < 2; k++) {
        json_array_foreach(lists[k], i, e) {
            ddb_index_t *ix = &t->indexes[n++];
            ix->global = k == 0;
            ix->name = nb_json_str(e, "IndexName");
            keydef_read(json_object_get(e, "KeySchema"), attrs, &ix->key);
            const json_t *p = json_object_get(e, "Projection");
            ix->projection = nb_json_str(p, "ProjectionType") ? nb_json_str(p, "ProjectionType") : "ALL";
            ix->non_key = json_object_get(p, "NonKeyAttributes");
        }
    }
    const json_t *ttl = json_object_get(t->def, "_TimeToLive");
    t->ttl_attr = nb_json_str_eq(ttl, "TimeToLiveStatus", "ENABLED") ? nb_json_str(ttl, "AttributeName") : NULL;
    return 0;
}

/* The table row named `name` in the request's account and region, its definition parsed into
 * *out: a private copy (`shared` false, for callers that change the definition) or the cached one
 * shared with other requests (read-only). */
static int table_find(nb_req_t *req, const char *name, bool shared, ddb_table_t **out) {
    name = ddb_table_name_of(name);
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT tid, def, item_count, size_bytes FROM tables"
                                      " WHERE name = ?1 AND account = :account AND region = :region");
    if (s == NULL || name == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? NB_ENOENT : NB_ESTORE;
    }
    ddb_table_t *t = nb_req_alloc(req, sizeof *t);
    int64_t tid = sqlite3_column_int64(s, 0);
    const char *text = (const char *)sqlite3_column_text(s, 1);
    size_t len = (size_t)sqlite3_column_bytes(s, 1);
    const ddb_table_t *cached = shared ? ddb_table_cache_get(tid, text, len) : NULL;
    json_t *def = cached ? json_incref(cached->def) : shared ? NULL : json_loadb(text, len, 0, NULL);
    if (t == NULL || def == NULL) {
        json_decref(def);
        sqlite3_reset(s);
        return NB_ENOMEM;
    }
    t->item_count = sqlite3_column_int64(s, 2);
    t->size_bytes = sqlite3_column_int64(s, 3);
    sqlite3_reset(s);
    nb_req_on_free(req, release_def, def);
    if (cached != NULL) {
        /* the entry may be replaced by a later lookup in this request: the indexes are copied, their
         * names stay valid through the reference on def */
        int64_t count = t->item_count, bytes = t->size_bytes;
        *t = *cached;
        t->item_count = count;
        t->size_bytes = bytes;
        if (t->nindexes > 0) {
            t->indexes = nb_req_alloc(req, t->nindexes * sizeof *t->indexes);
            if (t->indexes == NULL)
                return NB_ENOMEM;
            memcpy(t->indexes, cached->indexes, t->nindexes * sizeof *t->indexes);
        }
        *out = t;
        return 0;
    }
    t->tid = tid;
    t->def = def;
    t->name = nb_json_str(def, "TableName");
    int prc = ddb_table_parse_def(req, t);
    if (prc != 0)
        return prc;
    *out = t;
    return 0;
}

int ddb_table_find(nb_req_t *req, const char *name, ddb_table_t **out) { return table_find(req, name, false, out); }

/* The spec's pattern for table and index names, which the core does not check. */
nb_step_t ddb_check_name(nb_req_t *req, const char *name, const char *member) {
    if (name == NULL || strncmp(name, "arn:", 4) == 0)
        return NB_GO_ON;
    for (const char *c = name; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '.' || *c == '-'))
            return nb_stop(nb_error(req, "ValidationException",
                                    "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "
                                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                                    name, member));
    }
    return NB_GO_ON;
}

static nb_step_t table_load(nb_req_t *req, const char *name, const char *missing_msg, bool shared,
                            ddb_table_t **out) {
    NB_TRY_STEP(ddb_check_name(req, name, "tableName"));
    int rc = table_find(req, name, shared, out);
    if (rc == NB_ENOENT)
        return nb_stop(missing_msg ? nb_error(req, "ResourceNotFoundException", "%s", missing_msg)
                                   : ddb_not_found(req));
    if (rc != 0)
        return nb_stop(NB_FAILED(rc));
    return NB_GO_ON;
}

nb_step_t ddb_table_load(nb_req_t *req, const char *name, const char *missing_msg, ddb_table_t **out) {
    return table_load(req, name, missing_msg, false, out);
}

nb_step_t ddb_table_read(nb_req_t *req, const char *name, ddb_table_t **out) {
    return table_load(req, name, NULL, true, out);
}

const ddb_index_t *ddb_table_index(const ddb_table_t *t, const char *name) {
    for (size_t i = 0; name != NULL && i < t->nindexes; i++)
        if (strcmp(t->indexes[i].name, name) == 0)
            return &t->indexes[i];
    return NULL;
}

int ddb_table_save_def(const ddb_table_t *t) {
    char *text = json_dumps(t->def, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "UPDATE tables SET def = ?2 WHERE tid = ?1");
    if (text == NULL || s == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_int64(s, 1, t->tid);
    sqlite3_bind_text(s, 2, text, -1, free);
    return nb_store_run(s);
}

int ddb_table_count_add(int64_t tid, int64_t dcount, int64_t dbytes) {
    if (dcount == 0 && dbytes == 0)
        return 0;
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "UPDATE tables SET item_count = item_count + ?2,"
                                                " size_bytes = size_bytes + ?3 WHERE tid = ?1");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, tid);
    sqlite3_bind_int64(s, 2, dcount);
    sqlite3_bind_int64(s, 3, dbytes);
    return nb_store_run(s);
}

/* Index counts are read when described: a COUNT over the index's own rows, which the
 * (tid, idx, ...) primary key keeps to that index. */
static void index_counts(const ddb_table_t *t, const char *name, json_t *desc) {
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "SELECT count(*), COALESCE(sum(i.size), 0) FROM _index_items x"
                                                " JOIN items i ON i.tid = x.tid AND i.pk = x.pk AND i.sk = x.sk"
                                                " WHERE x.tid = ?1 AND x.idx = ?2");
    json_int_t count = 0, bytes = 0;
    if (s != NULL) {
        sqlite3_bind_int64(s, 1, t->tid);
        sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            count = sqlite3_column_int64(s, 0);
            bytes = sqlite3_column_int64(s, 1);
        }
        sqlite3_reset(s);
    }
    json_object_set_new(desc, "ItemCount", json_integer(count));
    json_object_set_new(desc, "IndexSizeBytes", json_integer(bytes));
}

json_t *ddb_table_describe(nb_req_t *req, const ddb_table_t *t) {
    (void)req;
    json_t *d = json_deep_copy(t->def);
    if (d == NULL)
        return NULL;
    /* members starting with "_" are the plugin's own records (TTL, PITR, tags), not the description */
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(d, tmp, k, v) {
        if (k[0] == '_')
            json_object_del(d, k);
    }
    if (json_object_get(d, "TableStatus") == NULL)
        json_object_set_new(d, "TableStatus", json_string("ACTIVE"));
    json_object_set_new(d, "ItemCount", json_integer(t->item_count));
    json_object_set_new(d, "TableSizeBytes", json_integer(t->size_bytes));
    size_t i;
    json_array_foreach(json_object_get(d, "GlobalSecondaryIndexes"), i, v)
        index_counts(t, nb_json_str(v, "IndexName"), v);
    json_array_foreach(json_object_get(d, "LocalSecondaryIndexes"), i, v)
        index_counts(t, nb_json_str(v, "IndexName"), v);
    return d;
}

int ddb_table_insert(nb_req_t *req, const char *name, const json_t *def, int64_t *tid) {
    char *text = json_dumps(def, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "INSERT INTO tables(name, def, account, region) VALUES(?1, ?2, :account, :region)");
    if (s == NULL || text == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, text, -1, free);
    int rc = nb_store_run(s);
    *tid = sqlite3_last_insert_rowid(ddb.store.db);
    return rc;
}
