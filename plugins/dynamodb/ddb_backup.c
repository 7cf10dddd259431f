/* On-demand backups and point-in-time restores: a backup copies the table's definition and items
 * in the store; a restore creates a new table from them and rebuilds its index rows. Point in
 * time restores the latest state (Nimbus keeps no history of writes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb.h"
#include "ddb_index.h"
#include "ddb_stream.h"

static void release(void *v) { json_decref(v); }

static json_t *details(const char *arn, const char *name, double created, json_int_t bytes, const char *status) {
    return json_pack("{s:s,s:s,s:I,s:s,s:s,s:f}", "BackupArn", arn, "BackupName", name, "BackupSizeBytes", bytes,
                     "BackupStatus", status, "BackupType", "USER", "BackupCreationDateTime", created);
}

typedef struct backup {
    const char *arn, *name, *table;
    double created;
    json_t *def;
    json_int_t count, bytes;
} backup_t;

static nb_step_t backup_load(nb_req_t *req, const char *arn, backup_t *b) {
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT name, table_name, created, def, item_count, size_bytes FROM backups"
                                      " WHERE arn = ?1 AND account = :account AND region = :region");
    if (s == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    sqlite3_bind_text(s, 1, arn ? arn : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_reset(s);
        return nb_stop(nb_error(req, "BackupNotFoundException", "Backup not found: %s", arn ? arn : ""));
    }
    b->arn = nb_req_strdup(req, arn);
    b->name = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 0));
    b->table = nb_req_strdup(req, (const char *)sqlite3_column_text(s, 1));
    b->created = sqlite3_column_double(s, 2);
    b->def = json_loads((const char *)sqlite3_column_text(s, 3), 0, NULL);
    b->count = sqlite3_column_int64(s, 4);
    b->bytes = sqlite3_column_int64(s, 5);
    sqlite3_reset(s);
    if (b->def == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    nb_req_on_free(req, release, b->def);
    return NB_GO_ON;
}

static json_t *description(const backup_t *b, const char *status) {
    const json_t *d = b->def;
    json_t *src = json_pack("{s:s,s:s,s:s,s:I,s:O,s:O,s:I,s:s}", "TableName", b->table, "TableId",
                            nb_json_str(d, "TableId"), "TableArn", nb_json_str(d, "TableArn"), "TableSizeBytes",
                            b->bytes, "KeySchema", json_object_get(d, "KeySchema"), "TableCreationDateTime",
                            json_object_get(d, "CreationDateTime"), "ItemCount", b->count, "BillingMode",
                            json_object_get(d, "BillingModeSummary") ? "PAY_PER_REQUEST" : "PROVISIONED");
    json_t *features = json_object();
    if (json_object_get(d, "GlobalSecondaryIndexes") != NULL)
        json_object_set(features, "GlobalSecondaryIndexes", json_object_get(d, "GlobalSecondaryIndexes"));
    if (json_object_get(d, "LocalSecondaryIndexes") != NULL)
        json_object_set(features, "LocalSecondaryIndexes", json_object_get(d, "LocalSecondaryIndexes"));
    return json_pack("{s:o,s:o,s:o}", "BackupDetails", details(b->arn, b->name, b->created, b->bytes, status),
                     "SourceTableDetails", src, "SourceTableFeatureDetails", features);
}

nb_result_t dynamodb_create_backup(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, nb_json_str(input, "TableName"), NULL, &t));
    char id[NB_HEX_SIZE(4)], stamp[32];
    unsigned char rnd[4];
    nb_random_bytes(rnd, sizeof rnd);
    nb_hex_encode(rnd, sizeof rnd, 0, id, sizeof id);
    double now = nb_now();
    snprintf(stamp, sizeof stamp, "%013lld", (long long)(now * 1000));
    const char *arn = nb_req_printf(req, "%s/backup/%s-%s", nb_json_str(t->def, "TableArn"), stamp, id);
    const char *name = nb_json_str(input, "BackupName");
    char *def = json_dumps(t->def, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "INSERT INTO backups(arn, name, table_name, created, def, item_count, size_bytes,"
                                      " account, region) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, :account, :region)");
    if (s == NULL || def == NULL) {
        free(def);
        return NB_FAILED(NB_ESTORE);
    }
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, t->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 4, now);
    sqlite3_bind_text(s, 5, def, -1, free);
    sqlite3_bind_int64(s, 6, t->item_count);
    sqlite3_bind_int64(s, 7, t->size_bytes);
    int rc = nb_store_run(s);
    if (rc == 0 && (s = nb_store_stmt(&ddb.store, "INSERT INTO _backup_items SELECT ?1, pk, sk, item, size FROM items"
                                                  " WHERE tid = ?2")) != NULL) {
        sqlite3_bind_text(s, 1, arn, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, t->tid);
        rc = nb_store_run(s);
    }
    if (rc != 0 || s == NULL)
        return NB_FAILED(NB_ESTORE);
    return nb_reply_new(req, json_pack("{s:o}", "BackupDetails",
                                       details(arn, name, now, t->size_bytes, "AVAILABLE")));
}

nb_result_t dynamodb_describe_backup(nb_req_t *req, const json_t *input) {
    backup_t b;
    NB_TRY(backup_load(req, nb_json_str(input, "BackupArn"), &b));
    return nb_reply_new(req, json_pack("{s:o}", "BackupDescription", description(&b, "AVAILABLE")));
}

nb_result_t dynamodb_delete_backup(nb_req_t *req, const json_t *input) {
    backup_t b;
    NB_TRY(backup_load(req, nb_json_str(input, "BackupArn"), &b));
    const char *sqls[2] = {"DELETE FROM backups WHERE arn = ?1", "DELETE FROM _backup_items WHERE arn = ?1"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s = nb_store_stmt(&ddb.store, sqls[i]);
        if (s == NULL)
            return NB_FAILED(NB_ESTORE);
        sqlite3_bind_text(s, 1, b.arn, -1, SQLITE_TRANSIENT);
        if (nb_store_run(s) != 0)
            return NB_FAILED(NB_ESTORE);
    }
    return nb_reply_new(req, json_pack("{s:o}", "BackupDescription", description(&b, "DELETED")));
}

nb_result_t dynamodb_list_backups(nb_req_t *req, const json_t *input) {
    const char *table = ddb_table_name_of(nb_json_str(input, "TableName"));
    const char *start = nb_json_str(input, "ExclusiveStartBackupArn");
    json_int_t limit = nb_json_int(input, "Limit", 100);
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT arn, name, table_name, created, def, size_bytes FROM backups"
                                      " WHERE (?1 IS NULL OR table_name = ?1) AND arn > ?2 AND account = :account"
                                      " AND region = :region ORDER BY arn");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    if (table != NULL)
        sqlite3_bind_text(s, 1, table, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, start ? start : "", -1, SQLITE_TRANSIENT);
    json_t *list = json_array(), *out = json_pack("{s:o}", "BackupSummaries", list);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if ((json_int_t)json_array_size(list) == limit) {
            json_object_set(out, "LastEvaluatedBackupArn",
                            json_object_get(json_array_get(list, json_array_size(list) - 1), "BackupArn"));
            break;
        }
        json_t *def = json_loads((const char *)sqlite3_column_text(s, 4), 0, NULL);
        json_t *e = details((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                            sqlite3_column_double(s, 3), sqlite3_column_int64(s, 5), "AVAILABLE");
        json_object_set_new(e, "TableName", json_string((const char *)sqlite3_column_text(s, 2)));
        json_object_set(e, "TableArn", json_object_get(def, "TableArn"));
        json_object_set(e, "TableId", json_object_get(def, "TableId"));
        json_decref(def);
        json_array_append_new(list, e);
    }
    sqlite3_reset(s);
    return nb_reply_new(req, out);
}

/* A new table `target` with `source`'s definition, filled by `fill_sql` (?1 the new table id, ?2 the source). */
static nb_result_t restore(nb_req_t *req, const char *target, const json_t *source_def, const char *fill_sql,
                           const char *source_key, sqlite3_int64 source_tid, json_t *summary) {
    NB_TRY(ddb_check_name(req, target, "targetTableName"));
    ddb_table_t *existing;
    int rc = ddb_table_find(req, target, &existing);
    if (rc == 0)
        return nb_error(req, "TableAlreadyExistsException", "Table already exists: %s", target);
    if (rc != NB_ENOENT)
        return NB_FAILED(rc);
    json_t *def = json_deep_copy(source_def);
    nb_req_on_free(req, release, def);
    char id[NB_UUID_SIZE];
    nb_uuid(id);
    json_object_set_new(def, "TableName", json_string(target));
    json_object_set_new(def, "TableArn", json_string(ddb_table_arn(req, target)));
    json_object_set_new(def, "TableId", json_string(id));
    json_object_set_new(def, "CreationDateTime", json_real(nb_now()));
    json_object_set_new(def, "RestoreSummary", summary);
    json_object_del(def, "_Tags");
    json_object_del(def, "_TimeToLive");
    json_object_del(def, "_PointInTimeRecovery");
    ddb_stream_forget(def);
    ddb_table_t t = {.name = target, .def = def};
    if ((rc = ddb_table_insert(req, target, def, &t.tid)) != 0 || (rc = ddb_table_parse_def(req, &t)) != 0)
        return NB_FAILED(rc);
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, fill_sql);
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, t.tid);
    if (source_key != NULL)
        sqlite3_bind_text(s, 2, source_key, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(s, 2, source_tid);
    if (nb_store_run(s) != 0 ||
        (s = nb_store_stmt(&ddb.store, "UPDATE tables SET item_count = (SELECT count(*) FROM items WHERE tid = ?1),"
                                       " size_bytes = (SELECT COALESCE(sum(size), 0) FROM items WHERE tid = ?1)"
                                       " WHERE tid = ?1")) == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, t.tid);
    if (nb_store_run(s) != 0)
        return NB_FAILED(NB_ESTORE);
    for (size_t i = 0; i < t.nindexes; i++)
        if ((rc = ddb_index_backfill(&t, &t.indexes[i])) != 0)
            return NB_FAILED(rc);
    ddb_table_t *loaded;
    if ((rc = ddb_table_find(req, target, &loaded)) != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:o}", "TableDescription", ddb_table_describe(req, loaded)));
}

nb_result_t dynamodb_restore_table_from_backup(nb_req_t *req, const json_t *input) {
    backup_t b;
    NB_TRY(backup_load(req, nb_json_str(input, "BackupArn"), &b));
    json_t *summary = json_pack("{s:s,s:O,s:f,s:b}", "SourceBackupArn", b.arn, "SourceTableArn",
                                json_object_get(b.def, "TableArn"), "RestoreDateTime", nb_now(), "RestoreInProgress",
                                0);
    return restore(req, nb_json_str(input, "TargetTableName"), b.def,
                   "INSERT INTO items(tid, pk, sk, item, size) SELECT ?1, pk, sk, item, size FROM _backup_items"
                   " WHERE arn = ?2",
                   b.arn, 0, summary);
}

nb_result_t dynamodb_restore_table_to_point_in_time(nb_req_t *req, const json_t *input) {
    const char *source = nb_json_str(input, "SourceTableName");
    if (source == NULL)
        source = nb_json_str(input, "SourceTableArn");
    ddb_table_t *t;
    int rc = ddb_table_find(req, source, &t);
    if (rc == NB_ENOENT)
        return nb_error(req, "TableNotFoundException", "Table not found: %s", ddb_table_name_of(source));
    if (rc != 0)
        return NB_FAILED(rc);
    if (!nb_json_bool(json_object_get(t->def, "_PointInTimeRecovery"), "Enabled", false))
        return nb_error(req, "PointInTimeRecoveryUnavailableException",
                        "Point in time recovery is not enabled for table '%s'", t->name);
    json_t *summary = json_pack("{s:O,s:f,s:b}", "SourceTableArn", json_object_get(t->def, "TableArn"),
                                "RestoreDateTime", nb_now(), "RestoreInProgress", 0);
    return restore(req, nb_json_str(input, "TargetTableName"), t->def,
                   "INSERT INTO items(tid, pk, sk, item, size) SELECT ?1, pk, sk, item, size FROM items WHERE tid = ?2",
                   NULL, t->tid, summary);
}
