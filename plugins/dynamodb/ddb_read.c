/* Query and Scan: pages of items read in key order from the table's or an index's rows, with
 * Limit, the 1 MB page, ExclusiveStartKey / LastEvaluatedKey, filters, projections and Select. */
#include <string.h>

#include "ddb_codec.h"
#include "ddb_index.h"
#include "ddb_item_size.h"
#include "ddb_key.h"
#include "ddb_params.h"
#include "ddb_read.h"

#define PAGE_BYTES (1024 * 1024)
/* greater than every sort key (at most 1024 bytes): the open upper bound of a range */
#define SK_TOP_LEN 1100

typedef struct page {
    nb_req_t *req;
    const json_t *input;
    const ddb_table_t *t;
    const ddb_index_t *ix;
    const ddb_params_t *p;
    json_t *items;
    json_int_t count, scanned, limit;
    size_t bytes;
    bool count_only;
    json_t *last; /* the last item evaluated, for LastEvaluatedKey */
} page_t;

static void release(void *v) { json_decref(v); }

/* memcmp order, shorter first on a tie; an empty blob may come as NULL from SQLite */
static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl) {
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    return c != 0 ? c : (al > bl) - (al < bl);
}

/* One row read: counts towards the page; 1 when the page is full. */
static int page_add(page_t *pg, json_t *item, size_t size) {
    pg->scanned++;
    pg->bytes += size;
    json_t *seen = pg->ix ? ddb_index_project(pg->t, pg->ix, item) : json_incref(item);
    json_decref(pg->last);
    pg->last = json_incref(item);
    if (pg->p->filter == NULL || ddb_cond_eval(pg->p->filter, seen)) {
        pg->count++;
        if (!pg->count_only)
            json_array_append_new(pg->items, pg->p->proj ? ddb_proj_apply(pg->p->proj, seen) : json_incref(seen));
    }
    json_decref(seen);
    return (pg->limit > 0 && pg->scanned >= pg->limit) || pg->bytes >= PAGE_BYTES;
}

static json_t *last_key(const page_t *pg) {
    json_t *k = ddb_key_project(&pg->t->key, pg->last);
    if (pg->ix != NULL) {
        json_t *ik = ddb_key_project(&pg->ix->key, pg->last);
        json_object_update(k, ik);
        json_decref(ik);
    }
    return k;
}

static nb_result_t page_reply(page_t *pg, bool more) {
    json_t *out = json_pack("{s:I,s:I}", "Count", pg->count, "ScannedCount", pg->scanned);
    if (!pg->count_only)
        json_object_set(out, "Items", pg->items);
    if (more && pg->last != NULL)
        json_object_set_new(out, "LastEvaluatedKey", last_key(pg));
    json_t *c = ddb_consumed(pg->input, pg->t->name,
                             ddb_read_units(pg->bytes, nb_json_bool(pg->input, "ConsistentRead", false)));
    if (c != NULL)
        json_object_set_new(out, "ConsumedCapacity", c);
    json_decref(pg->last);
    pg->last = NULL;
    return nb_reply_new(pg->req, out);
}

/* IndexName, Select and ConsistentRead as AWS checks them; the page set up. */
static nb_step_t page_open(nb_req_t *req, const json_t *input, page_t *pg, bool query) {
    memset(pg, 0, sizeof *pg);
    pg->req = req;
    pg->input = input;
    NB_TRY_STEP(ddb_table_read(req, nb_json_str(input, "TableName"), (ddb_table_t **)&pg->t));
    const char *iname = nb_json_str(input, "IndexName");
    if (iname != NULL && (pg->ix = ddb_table_index(pg->t, iname)) == NULL)
        return nb_stop(ddb_invalid(req, "The table does not have the specified index: %s", iname));
    if (pg->ix != NULL && pg->ix->global && nb_json_bool(input, "ConsistentRead", false))
        return nb_stop(ddb_invalid(req, "Consistent reads are not supported on global secondary indexes"));
    const char *select = nb_json_str(input, "Select");
    if (select != NULL && strcmp(select, "ALL_PROJECTED_ATTRIBUTES") == 0 && pg->ix == NULL)
        return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: Select type "
                                        "ALL_PROJECTED_ATTRIBUTES is not supported for queries or scans on the "
                                        "base table"));
    if (select != NULL && strcmp(select, "SPECIFIC_ATTRIBUTES") != 0 &&
        (nb_json_str(input, "ProjectionExpression") || json_object_get(input, "AttributesToGet")))
        return nb_stop(ddb_invalid(req, "Cannot specify the AttributesToGet when choosing to get %s", select));
    pg->count_only = select != NULL && strcmp(select, "COUNT") == 0;
    pg->limit = nb_json_int(input, "Limit", 0);
    ddb_params_t *p;
    NB_TRY_STEP(ddb_params_parse(req, input, NULL, query ? (pg->ix ? &pg->ix->key : &pg->t->key) : NULL, &p));
    pg->p = p;
    pg->items = json_array();
    nb_req_on_free(req, release, pg->items);
    return NB_GO_ON;
}

/* ExclusiveStartKey as key bytes: the table key, and with an index the index key too. */
static nb_step_t start_key(page_t *pg, ddb_keybytes_t *tk, ddb_keybytes_t *ik, bool *has) {
    const json_t *esk = json_object_get(pg->input, "ExclusiveStartKey");
    *has = esk != NULL;
    if (esk == NULL)
        return NB_GO_ON;
    json_t *tkey = ddb_key_project(&pg->t->key, esk);
    nb_req_on_free(pg->req, release, tkey);
    NB_TRY_STEP(ddb_key_of_param(pg->req, pg->t, tkey, tk));
    if (pg->ix != NULL) {
        bool present;
        if (ddb_key_index_bytes(pg->ix, esk, ik, &present) != 0 || !present)
            return nb_stop(ddb_invalid(pg->req, "The provided starting key is invalid: The provided key element does "
                                                "not match the schema"));
    }
    return NB_GO_ON;
}

static void bind_bytes(sqlite3_stmt *s, int i, const uint8_t *b, size_t n) {
    sqlite3_bind_blob(s, i, n ? (const void *)b : "", (int)n, SQLITE_STATIC);
}

/* The row's position after the start key in the read's direction (table key, or index key then table key). */
static bool after_start(const page_t *pg, sqlite3_stmt *s, const ddb_keybytes_t *tk, const ddb_keybytes_t *ik,
                        bool forward, bool scan) {
    int c = 0;
    if (pg->ix != NULL) {
        if (scan)
            c = bytes_cmp(sqlite3_column_blob(s, 5), (size_t)sqlite3_column_bytes(s, 5), ik->pk, ik->pklen);
        if (c == 0)
            c = bytes_cmp(sqlite3_column_blob(s, 4), (size_t)sqlite3_column_bytes(s, 4), ik->sk, ik->sklen);
    }
    if (c == 0 && (scan || pg->ix != NULL))
        c = bytes_cmp(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), tk->pk, tk->pklen);
    if (c == 0)
        c = bytes_cmp(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), tk->sk, tk->sklen);
    return forward ? c > 0 : c < 0;
}

/* Steps through the rows (pk, sk, item, size[, isk, ipk]) of s; true when the page stopped early. */
static int page_fill(page_t *pg, sqlite3_stmt *s, const ddb_keybytes_t *tk, const ddb_keybytes_t *ik, bool has_start,
                     bool forward, bool scan, int segment, int segments, bool *more) {
    int rc;
    *more = false;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (has_start && !after_start(pg, s, tk, ik, forward, scan))
            continue;
        if (segments > 1) {
            /* a segment holds the partitions whose key hashes to it, as AWS splits a table */
            uint32_t h = nb_crc32(0, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
            if ((int)(h % (uint32_t)segments) != segment)
                continue;
        }
        json_t *item = ddb_item_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
        if (item == NULL) {
            rc = SQLITE_CORRUPT;
            break;
        }
        bool in = true;
        if (pg->p->has_key) { /* the SQL range is inclusive; the exact sort key condition decides */
            const char *rname = pg->ix ? pg->ix->key.range.name : pg->t->key.range.name;
            in = ddb_keycond_range_match(&pg->p->key, rname ? json_object_get(item, rname) : NULL);
        }
        int full = in ? page_add(pg, item, (size_t)sqlite3_column_int64(s, 3)) : 0;
        json_decref(item);
        if (full) {
            *more = true;
            break;
        }
    }
    int done = rc == SQLITE_ROW || rc == SQLITE_DONE;
    sqlite3_reset(s);
    return done ? 0 : NB_ESTORE;
}

/* The inclusive sort key bounds of a key condition (the exact test is ddb_keycond_range_match). */
static void range_bounds(nb_req_t *req, const ddb_keycond_t *kc, char type, const uint8_t **lo, size_t *lolen,
                         const uint8_t **hi, size_t *hilen) {
    static uint8_t top[SK_TOP_LEN];
    if (top[0] == 0)
        memset(top, 0xff, sizeof top);
    *lo = (const uint8_t *)"";
    *lolen = 0;
    *hi = top;
    *hilen = sizeof top;
    uint8_t *b0 = nb_req_alloc(req, DDB_NUM_KEY_MAX), *b1 = nb_req_alloc(req, DDB_NUM_KEY_MAX);
    const uint8_t *v0 = NULL, *v1 = NULL;
    size_t l0 = 0, l1 = 0;
    if (b0 == NULL || b1 == NULL || (kc->range_values[0] && ddb_key_bytes(kc->range_values[0], type, b0, &v0, &l0)))
        return;
    if (kc->range_values[1] && ddb_key_bytes(kc->range_values[1], type, b1, &v1, &l1))
        return;
    switch (kc->range_op) {
    case DDB_KEY_EQ:
        *lo = *hi = v0;
        *lolen = *hilen = l0;
        break;
    case DDB_KEY_GT:
    case DDB_KEY_GE:
        *lo = v0, *lolen = l0;
        break;
    case DDB_KEY_LT:
    case DDB_KEY_LE:
        *hi = v0, *hilen = l0;
        break;
    case DDB_KEY_BETWEEN:
        *lo = v0, *lolen = l0;
        *hi = v1, *hilen = l1;
        break;
    case DDB_KEY_BEGINS_WITH: {
        *lo = v0, *lolen = l0;
        /* the first key past every key starting with the prefix: the prefix with its last byte below
         * 0xff raised by one */
        size_t n = l0;
        while (n > 0 && v0[n - 1] == 0xff)
            n--;
        if (n > 0) {
            uint8_t *up = nb_req_alloc(req, n);
            if (up != NULL) {
                memcpy(up, v0, n);
                up[n - 1]++;
                *hi = up, *hilen = n;
            }
        }
        break;
    }
    default:
        break;
    }
}

/* Rows (pk, sk, item, size, isk) of one partition between two sort keys: ?1 tid, ?2 partition, ?3 / ?4 the
 * inclusive sort key bounds, ?5 the index name. */
static sqlite3_stmt *query_stmt(const ddb_index_t *ix, bool forward) {
    if (ix == NULL)
        return nb_store_stmt(&ddb.store, forward ? "SELECT pk, sk, item, size FROM items WHERE tid = ?1 AND pk = ?2"
                                                " AND sk >= ?3 AND sk <= ?4 ORDER BY sk"
                                              : "SELECT pk, sk, item, size FROM items WHERE tid = ?1 AND pk = ?2"
                                                " AND sk >= ?3 AND sk <= ?4 ORDER BY sk DESC");
    return nb_store_stmt(&ddb.store,
                          forward ? "SELECT x.pk, x.sk, i.item, i.size, x.isk FROM _index_items x JOIN items i"
                                    " ON i.tid = x.tid AND i.pk = x.pk AND i.sk = x.sk WHERE x.tid = ?1 AND x.idx = ?5"
                                    " AND x.ipk = ?2 AND x.isk >= ?3 AND x.isk <= ?4 ORDER BY x.isk, x.pk, x.sk"
                                  : "SELECT x.pk, x.sk, i.item, i.size, x.isk FROM _index_items x JOIN items i"
                                    " ON i.tid = x.tid AND i.pk = x.pk AND i.sk = x.sk WHERE x.tid = ?1 AND x.idx = ?5"
                                    " AND x.ipk = ?2 AND x.isk >= ?3 AND x.isk <= ?4"
                                    " ORDER BY x.isk DESC, x.pk DESC, x.sk DESC");
}

/* Rows (pk, sk, item, size[, isk, ipk]) of a whole table or index from partition ?2 on: ?1 tid, ?3 the index name. */
static sqlite3_stmt *scan_stmt(const ddb_index_t *ix) {
    if (ix == NULL)
        return nb_store_stmt(&ddb.store, "SELECT pk, sk, item, size FROM items WHERE tid = ?1 AND pk >= ?2"
                                      " ORDER BY pk, sk");
    return nb_store_stmt(&ddb.store, "SELECT x.pk, x.sk, i.item, i.size, x.isk, x.ipk FROM _index_items x JOIN items i"
                                      " ON i.tid = x.tid AND i.pk = x.pk AND i.sk = x.sk WHERE x.tid = ?1"
                                      " AND x.idx = ?3 AND x.ipk >= ?2 ORDER BY x.ipk, x.isk, x.pk, x.sk");
}

nb_result_t dynamodb_query(nb_req_t *req, const json_t *input) {
    page_t pg;
    NB_TRY(page_open(req, input, &pg, true));
    const ddb_params_t *p = pg.p;
    if (!p->has_key)
        return ddb_invalid(req, "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
                                "the request.");
    const ddb_keydef_t *kd = pg.ix ? &pg.ix->key : &pg.t->key;
    uint8_t hbuf[DDB_NUM_KEY_MAX];
    const uint8_t *pk;
    size_t pklen;
    if (ddb_key_bytes(p->key.hash_value, kd->hash.type, hbuf, &pk, &pklen) != 0)
        return ddb_invalid(req, "One or more parameter values were invalid: Condition parameter type does not match "
                                "schema type");
    const uint8_t *lo, *hi;
    size_t lolen, hilen;
    range_bounds(req, &p->key, kd->range.type, &lo, &lolen, &hi, &hilen);
    ddb_keybytes_t tk, ik;
    bool has_start;
    NB_TRY(start_key(&pg, &tk, &ik, &has_start));
    bool forward = nb_json_bool(input, "ScanIndexForward", true);
    sqlite3_stmt *s = query_stmt(pg.ix, forward);
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, pg.t->tid);
    bind_bytes(s, 2, pk, pklen);
    bind_bytes(s, 3, lo, lolen);
    bind_bytes(s, 4, hi, hilen);
    if (pg.ix != NULL)
        sqlite3_bind_text(s, 5, pg.ix->name, -1, SQLITE_STATIC);
    bool more;
    int rc = page_fill(&pg, s, &tk, &ik, has_start, forward, false, 0, 1, &more);
    if (rc != 0)
        return NB_FAILED(rc);
    return page_reply(&pg, more);
}

nb_result_t dynamodb_scan(nb_req_t *req, const json_t *input) {
    page_t pg;
    json_int_t segment = nb_json_int(input, "Segment", -1), segments = nb_json_int(input, "TotalSegments", -1);
    if ((segment >= 0) != (segments >= 0))
        return ddb_invalid(req, "The TotalSegments parameter is required but was not present in the request when "
                                "Segment parameter is present");
    if (segments > 0 && segment >= segments)
        return ddb_invalid(req, "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                                "Segment: %lld is not less than TotalSegments: %lld",
                           (long long)segment, (long long)segments);
    NB_TRY(page_open(req, input, &pg, false));
    ddb_keybytes_t tk, ik;
    bool has_start;
    NB_TRY(start_key(&pg, &tk, &ik, &has_start));
    sqlite3_stmt *s = scan_stmt(pg.ix);
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, pg.t->tid);
    if (has_start)
        bind_bytes(s, 2, pg.ix ? ik.pk : tk.pk, pg.ix ? ik.pklen : tk.pklen);
    else
        bind_bytes(s, 2, NULL, 0);
    if (pg.ix != NULL)
        sqlite3_bind_text(s, 3, pg.ix->name, -1, SQLITE_STATIC);
    bool more;
    int rc = page_fill(&pg, s, &tk, &ik, has_start, true, true, (int)segment, (int)segments, &more);
    if (rc != 0)
        return NB_FAILED(rc);
    return page_reply(&pg, more);
}

int ddb_read_each(nb_req_t *req, const ddb_table_t *t, const ddb_index_t *ix, const ddb_keycond_t *kc, bool forward,
                  ddb_read_fn fn, void *arg) {
    const ddb_keydef_t *kd = ix ? &ix->key : &t->key;
    sqlite3_stmt *s = kc ? query_stmt(ix, forward) : scan_stmt(ix);
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, t->tid);
    if (kc != NULL) {
        uint8_t hbuf[DDB_NUM_KEY_MAX];
        const uint8_t *pk, *lo, *hi;
        size_t pklen, lolen, hilen;
        if (ddb_key_bytes(kc->hash_value, kd->hash.type, hbuf, &pk, &pklen) != 0) {
            sqlite3_reset(s);
            return -1;
        }
        range_bounds(req, kc, kd->range.type, &lo, &lolen, &hi, &hilen);
        bind_bytes(s, 2, pk, pklen);
        bind_bytes(s, 3, lo, lolen);
        bind_bytes(s, 4, hi, hilen);
        if (ix != NULL)
            sqlite3_bind_text(s, 5, ix->name, -1, SQLITE_STATIC);
    } else {
        bind_bytes(s, 2, NULL, 0);
        if (ix != NULL)
            sqlite3_bind_text(s, 3, ix->name, -1, SQLITE_STATIC);
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        json_t *item = ddb_item_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
        if (item == NULL) {
            rc = SQLITE_CORRUPT;
            break;
        }
        /* the SQL range is inclusive; the exact sort key condition decides */
        bool in = kc == NULL || ddb_keycond_range_match(kc, kd->range.name ? json_object_get(item, kd->range.name) : NULL);
        int stop = in ? fn(arg, item, (size_t)sqlite3_column_int64(s, 3)) : 0;
        json_decref(item);
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}
