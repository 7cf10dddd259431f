/* Global tables of version 2017 (CreateGlobalTable and friends) and replica auto scaling, recorded:
 * the replication group is kept per account and described back; nothing is replicated between
 * regions. */
#include <stdlib.h>
#include <string.h>

#include "ddb.h"

static void release(void *v) { json_decref(v); }

static json_t *global_load(nb_req_t *req, const char *name) {
    sqlite3_stmt *s = nb_store_scoped_global(&ddb.store, req,
                                             "SELECT def FROM global_tables WHERE name = ?1 AND account = :account"
                                             " AND region = :region");
    if (s == NULL || name == NULL)
        return NULL;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    json_t *def = sqlite3_step(s) == SQLITE_ROW ? json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL) : NULL;
    sqlite3_reset(s);
    if (def != NULL)
        nb_req_on_free(req, release, def);
    return def;
}

static int global_save(nb_req_t *req, const char *name, const json_t *def) {
    char *text = json_dumps(def, JSON_COMPACT);
    sqlite3_stmt *s = nb_store_scoped_global(&ddb.store, req,
                                             "INSERT OR REPLACE INTO global_tables(name, def, account, region)"
                                             " VALUES(?1, ?2, :account, :region)");
    if (s == NULL || text == NULL) {
        free(text);
        return NB_ESTORE;
    }
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, text, -1, free);
    return nb_store_run(s);
}

/* Whether the account has a table `name` in `region` (AWS requires one in every replica region). */
static bool table_in_region(nb_req_t *req, const char *name, const char *region) {
    sqlite3_stmt *s = nb_store_stmt_scoped(&ddb.store,
                                           "SELECT 1 FROM tables WHERE name = ?1 AND account = :account"
                                           " AND region = :region",
                                           nb_req_account(req), region);
    if (s == NULL)
        return false;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    bool found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return found;
}

static bool in_group(const json_t *group, const char *region) {
    size_t i;
    const json_t *r;
    json_array_foreach(group, i, r) {
        if (nb_json_str_eq(r, "RegionName", region))
            return true;
    }
    return false;
}

static nb_result_t describe(nb_req_t *req, json_t *def, const char *member) {
    json_t *d = json_deep_copy(def);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(d, "ReplicationGroup"), i, r)
        json_object_set_new(r, "ReplicaStatus", json_string("ACTIVE"));
    return nb_reply_new(req, json_pack("{s:o}", member, d));
}

nb_result_t dynamodb_create_global_table(nb_req_t *req, const json_t *input) {
    const char *name = nb_json_str(input, "GlobalTableName");
    NB_TRY(ddb_check_name(req, name, "globalTableName"));
    if (global_load(req, name) != NULL)
        return nb_error(req, "GlobalTableAlreadyExistsException", "Global table with this name already exists");
    json_t *group = json_array();
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(input, "ReplicationGroup"), i, r) {
        const char *region = nb_json_str(r, "RegionName");
        if (!table_in_region(req, name, region)) {
            json_decref(group);
            return nb_error(req, "TableNotFoundException", "Table not found: %s in region %s", name, region);
        }
        json_array_append_new(group, json_pack("{s:s}", "RegionName", region));
    }
    char arn[512];
    nb_arn_format(&(nb_arn_t){.service = "dynamodb", .region = "", .account = nb_req_account(req),
                              .resource = nb_req_printf(req, "global-table/%s", name),
                              .partition = nb_partition(nb_req_region(req))},
                  arn, sizeof arn);
    json_t *def = json_pack("{s:o,s:s,s:f,s:s,s:s}", "ReplicationGroup", group, "GlobalTableArn", arn,
                            "CreationDateTime", nb_now(), "GlobalTableStatus", "ACTIVE", "GlobalTableName", name);
    nb_req_on_free(req, release, def);
    int rc = global_save(req, name, def);
    return rc == 0 ? describe(req, def, "GlobalTableDescription") : NB_FAILED(rc);
}

static nb_step_t global_of(nb_req_t *req, const json_t *input, json_t **def) {
    *def = global_load(req, nb_json_str(input, "GlobalTableName"));
    if (*def == NULL)
        return nb_stop(nb_error(req, "GlobalTableNotFoundException", "Global table not found"));
    return NB_GO_ON;
}

nb_result_t dynamodb_describe_global_table(nb_req_t *req, const json_t *input) {
    json_t *def;
    NB_TRY(global_of(req, input, &def));
    return describe(req, def, "GlobalTableDescription");
}

nb_result_t dynamodb_update_global_table(nb_req_t *req, const json_t *input) {
    json_t *def;
    NB_TRY(global_of(req, input, &def));
    const char *name = nb_json_str(def, "GlobalTableName");
    json_t *group = json_object_get(def, "ReplicationGroup");
    size_t i;
    const json_t *u;
    json_array_foreach(json_object_get(input, "ReplicaUpdates"), i, u) {
        const char *add = nb_json_str(json_object_get(u, "Create"), "RegionName");
        const char *del = nb_json_str(json_object_get(u, "Delete"), "RegionName");
        if (add != NULL) {
            if (in_group(group, add))
                return nb_error(req, "ReplicaAlreadyExistsException", "Replica already exists in region %s", add);
            if (!table_in_region(req, name, add))
                return nb_error(req, "TableNotFoundException", "Table not found: %s in region %s", name, add);
            json_array_append_new(group, json_pack("{s:s}", "RegionName", add));
        } else if (del != NULL) {
            if (!in_group(group, del))
                return nb_error(req, "ReplicaNotFoundException", "Replica not found in region %s", del);
            for (size_t j = 0; j < json_array_size(group); j++)
                if (nb_json_str_eq(json_array_get(group, j), "RegionName", del))
                    json_array_remove(group, j--);
        }
    }
    int rc = global_save(req, name, def);
    return rc == 0 ? describe(req, def, "GlobalTableDescription") : NB_FAILED(rc);
}

nb_result_t dynamodb_list_global_tables(nb_req_t *req, const json_t *input) {
    const char *start = nb_json_str(input, "ExclusiveStartGlobalTableName");
    const char *region = nb_json_str(input, "RegionName");
    json_int_t limit = nb_json_int(input, "Limit", 100);
    sqlite3_stmt *s = nb_store_scoped_global(&ddb.store, req,
                                             "SELECT def FROM global_tables WHERE name > ?1 AND account = :account"
                                             " AND region = :region ORDER BY name");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, start ? start : "", -1, SQLITE_TRANSIENT);
    json_t *list = json_array(), *out = json_pack("{s:o}", "GlobalTables", list);
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *def = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        if (def == NULL || (region != NULL && !in_group(json_object_get(def, "ReplicationGroup"), region))) {
            json_decref(def);
            continue;
        }
        if ((json_int_t)json_array_size(list) == limit) {
            json_object_set(out, "LastEvaluatedGlobalTableName",
                            json_object_get(json_array_get(list, json_array_size(list) - 1), "GlobalTableName"));
            json_decref(def);
            break;
        }
        json_array_append_new(list, json_pack("{s:O,s:O}", "GlobalTableName", json_object_get(def, "GlobalTableName"),
                                              "ReplicationGroup", json_object_get(def, "ReplicationGroup")));
        json_decref(def);
    }
    sqlite3_reset(s);
    return nb_reply_new(req, out);
}

static nb_result_t settings(nb_req_t *req, json_t *def) {
    json_t *list = json_array();
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(def, "ReplicationGroup"), i, r)
        json_array_append_new(list, json_pack("{s:O,s:s,s:{s:s}}", "RegionName", json_object_get(r, "RegionName"),
                                              "ReplicaStatus", "ACTIVE", "ReplicaBillingModeSummary", "BillingMode",
                                              "PAY_PER_REQUEST"));
    return nb_reply_new(req, json_pack("{s:O,s:o}", "GlobalTableName", json_object_get(def, "GlobalTableName"),
                                       "ReplicaSettings", list));
}

nb_result_t dynamodb_describe_global_table_settings(nb_req_t *req, const json_t *input) {
    json_t *def;
    NB_TRY(global_of(req, input, &def));
    return settings(req, def);
}

nb_result_t dynamodb_update_global_table_settings(nb_req_t *req, const json_t *input) {
    json_t *def;
    NB_TRY(global_of(req, input, &def));
    return settings(req, def);
}

static nb_result_t auto_scaling(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, nb_json_str(input, "TableName"), NULL, &t));
    return nb_reply_new(req, json_pack("{s:{s:s,s:s,s:[]}}", "TableAutoScalingDescription", "TableName", t->name,
                                       "TableStatus", "ACTIVE", "Replicas"));
}

nb_result_t dynamodb_describe_table_replica_auto_scaling(nb_req_t *req, const json_t *input) {
    return auto_scaling(req, input);
}

nb_result_t dynamodb_update_table_replica_auto_scaling(nb_req_t *req, const json_t *input) {
    return auto_scaling(req, input);
}
