/* CreateTable, DescribeTable, UpdateTable, DeleteTable, ListTables. */
#include <stdio.h>
#include <string.h>

#include "ddb.h"
#include "ddb_index.h"
#include "ddb_stream.h"

static json_t *throughput_desc(const json_t *pt, bool on_demand) {
    json_int_t r = on_demand ? 0 : nb_json_int(pt, "ReadCapacityUnits", 0);
    json_int_t w = on_demand ? 0 : nb_json_int(pt, "WriteCapacityUnits", 0);
    return json_pack("{s:i,s:I,s:I}", "NumberOfDecreasesToday", 0, "ReadCapacityUnits", r, "WriteCapacityUnits", w);
}

static bool attr_defined(const json_t *attrs, const char *name) {
    size_t i;
    const json_t *a;
    json_array_foreach(attrs, i, a) {
        if (nb_json_str_eq(a, "AttributeName", name))
            return true;
    }
    return false;
}

/* AWS lists every key attribute and every definition when one key is not defined. */
static nb_step_t check_key_schema(nb_req_t *req, const json_t *schema, const json_t *attrs, const char *what) {
    size_t i;
    const json_t *e;
    json_array_foreach(schema, i, e) {
        if (i == 0 && !nb_json_str_eq(e, "KeyType", "HASH"))
            return nb_stop(ddb_invalid(req, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
        if (i == 1 && !nb_json_str_eq(e, "KeyType", "RANGE"))
            return nb_stop(ddb_invalid(req, "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"));
    }
    json_array_foreach(schema, i, e) {
        if (!attr_defined(attrs, nb_json_str(e, "AttributeName"))) {
            char keys[1024] = "", defs[1024] = "";
            size_t kl = 0, dl = 0, j;
            const json_t *x;
            json_array_foreach(schema, j, x)
                kl += (size_t)snprintf(keys + kl, kl < sizeof keys ? sizeof keys - kl : 0, "%s%s", j ? ", " : "",
                                       nb_json_str(x, "AttributeName"));
            json_array_foreach(attrs, j, x)
                dl += (size_t)snprintf(defs + dl, dl < sizeof defs ? sizeof defs - dl : 0, "%s%s", j ? ", " : "",
                                       nb_json_str(x, "AttributeName"));
            return nb_stop(ddb_invalid(req,
                                       "One or more parameter values were invalid: Some %s key attributes are not "
                                       "defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
                                       what, keys, defs));
        }
    }
    return NB_GO_ON;
}

static nb_step_t check_billing(nb_req_t *req, const char *mode, const json_t *pt, const char *index) {
    bool on_demand = mode != NULL && strcmp(mode, "PAY_PER_REQUEST") == 0;
    if (on_demand && pt != NULL)
        return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                                        "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
    if (!on_demand && pt == NULL)
        return nb_stop(index ? ddb_invalid(req,
                                           "One or more parameter values were invalid: ProvisionedThroughput must be "
                                           "specified for index: %s",
                                           index)
                             : ddb_invalid(req, "One or more parameter values were invalid: ReadCapacityUnits and "
                                                "WriteCapacityUnits must both be specified when BillingMode is "
                                                "PROVISIONED"));
    return NB_GO_ON;
}

/* A GSI or LSI of the request as DescribeTable shows it. */
static nb_step_t index_desc(nb_req_t *req, const json_t *in, const json_t *attrs, const char *table_arn,
                            bool global, bool on_demand, json_t **out) {
    const char *name = nb_json_str(in, "IndexName");
    NB_TRY_STEP(check_key_schema(req, json_object_get(in, "KeySchema"), attrs, "index"));
    if (global)
        NB_TRY_STEP(check_billing(req, on_demand ? "PAY_PER_REQUEST" : "PROVISIONED",
                                  json_object_get(in, "ProvisionedThroughput"), name));
    const json_t *proj = json_object_get(in, "Projection");
    const char *ptype = nb_json_str(proj, "ProjectionType");
    if (ptype == NULL)
        return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: Unknown ProjectionType: null"));
    if (strcmp(ptype, "INCLUDE") != 0 && json_object_get(proj, "NonKeyAttributes") != NULL)
        return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: ProjectionType is %s, but "
                                        "NonKeyAttributes is specified", ptype));
    json_t *d = json_pack("{s:s,s:O,s:O,s:s}", "IndexName", name, "KeySchema", json_object_get(in, "KeySchema"),
                          "Projection", proj, "IndexArn", nb_req_printf(req, "%s/index/%s", table_arn, name));
    if (global) {
        json_object_set_new(d, "IndexStatus", json_string("ACTIVE"));
        json_object_set_new(d, "ProvisionedThroughput",
                            throughput_desc(json_object_get(in, "ProvisionedThroughput"), on_demand));
    }
    *out = d;
    return NB_GO_ON;
}

static nb_step_t check_attr_count(nb_req_t *req, const json_t *in) {
    /* every definition must be used by the table's or an index's key schema */
    const json_t *attrs = json_object_get(in, "AttributeDefinitions");
    size_t i;
    const json_t *a;
    json_array_foreach(attrs, i, a) {
        const char *name = nb_json_str(a, "AttributeName");
        bool used = false;
        const char *lists[] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
        size_t j, k;
        const json_t *e, *ix;
        json_array_foreach(json_object_get(in, "KeySchema"), j, e) used |= nb_json_str_eq(e, "AttributeName", name);
        for (int l = 0; l < 2; l++)
            json_array_foreach(json_object_get(in, lists[l]), k, ix)
                json_array_foreach(json_object_get(ix, "KeySchema"), j, e) used |=
                    nb_json_str_eq(e, "AttributeName", name);
        if (!used)
            return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: Number of attributes in "
                                            "KeySchema does not exactly match number of attributes defined in "
                                            "AttributeDefinitions"));
    }
    return NB_GO_ON;
}

static json_t *sse_desc(nb_req_t *req, const json_t *sse) {
    if (!nb_json_bool(sse, "Enabled", false))
        return NULL;
    const char *key = nb_json_str(sse, "KMSMasterKeyId");
    char arn[512];
    if (key == NULL || strncmp(key, "arn:", 4) != 0) {
        nb_arn_format(&(nb_arn_t){.service = "kms", .region = nb_req_region(req), .account = nb_req_account(req),
                                  .resource = nb_req_printf(req, "key/%s", key ? key : "aws/dynamodb")},
                      arn, sizeof arn);
        key = arn;
    }
    return json_pack("{s:s,s:s,s:s}", "Status", "ENABLED", "SSEType", "KMS", "KMSMasterKeyArn", key);
}

nb_result_t dynamodb_create_table(nb_req_t *req, const json_t *input) {
    const char *name = nb_json_str(input, "TableName");
    const json_t *attrs = json_object_get(input, "AttributeDefinitions");
    const char *mode = nb_json_str(input, "BillingMode");
    bool on_demand = mode != NULL && strcmp(mode, "PAY_PER_REQUEST") == 0;
    NB_TRY(ddb_check_name(req, name, "tableName"));
    ddb_table_t *existing;
    int rc = ddb_table_find(req, name, &existing);
    if (rc == 0)
        return nb_error(req, "ResourceInUseException", "Table already exists: %s", name);
    if (rc != NB_ENOENT)
        return NB_FAILED(rc);
    NB_TRY(check_key_schema(req, json_object_get(input, "KeySchema"), attrs, "index"));
    NB_TRY(check_billing(req, mode, json_object_get(input, "ProvisionedThroughput"), NULL));
    NB_TRY(check_attr_count(req, input));

    const char *arn = ddb_table_arn(req, name);
    char id[NB_UUID_SIZE];
    nb_uuid(id);
    double now = nb_now();
    json_t *def = json_pack("{s:O,s:s,s:O,s:s,s:f,s:o,s:s,s:s}", "AttributeDefinitions", attrs, "TableName", name,
                            "KeySchema", json_object_get(input, "KeySchema"), "TableStatus", "ACTIVE",
                            "CreationDateTime", now, "ProvisionedThroughput",
                            throughput_desc(json_object_get(input, "ProvisionedThroughput"), on_demand), "TableArn",
                            arn, "TableId", id);
    if (def == NULL)
        return NB_FAILED(NB_ENOMEM);
    nb_req_on_free(req, (void (*)(void *))json_decref, def);
    if (on_demand)
        json_object_set_new(def, "BillingModeSummary",
                            json_pack("{s:s,s:f}", "BillingMode", "PAY_PER_REQUEST",
                                      "LastUpdateToPayPerRequestDateTime", now));
    const char *lists[2] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    for (int l = 0; l < 2; l++) {
        const json_t *in = json_object_get(input, lists[l]);
        if (in == NULL)
            continue;
        json_t *out = json_array();
        json_object_set_new(def, lists[l], out);
        size_t i;
        const json_t *e;
        json_array_foreach(in, i, e) {
            json_t *d;
            if (l == 1 && !nb_json_str_eq(json_array_get(json_object_get(e, "KeySchema"), 0), "AttributeName",
                                          nb_json_str(json_array_get(json_object_get(input, "KeySchema"), 0),
                                                      "AttributeName")))
                return ddb_invalid(req, "One or more parameter values were invalid: Index KeySchema does not have the "
                                        "same leading hash key as table KeySchema for index: %s. index hash key: %s, "
                                        "table hash key: %s",
                                   nb_json_str(e, "IndexName"),
                                   nb_json_str(json_array_get(json_object_get(e, "KeySchema"), 0), "AttributeName"),
                                   nb_json_str(json_array_get(json_object_get(input, "KeySchema"), 0),
                                               "AttributeName"));
            NB_TRY(index_desc(req, e, attrs, arn, l == 0, on_demand, &d));
            size_t j;
            const json_t *prev;
            json_array_foreach(out, j, prev) {
                if (nb_json_str_eq(prev, "IndexName", nb_json_str(d, "IndexName"))) {
                    json_decref(d);
                    return ddb_invalid(req, "One or more parameter values were invalid: Duplicate index name: %s",
                                       nb_json_str(e, "IndexName"));
                }
            }
            json_array_append_new(out, d);
        }
    }
    if (json_object_get(input, "LocalSecondaryIndexes") != NULL &&
        json_array_size(json_object_get(input, "KeySchema")) < 2)
        return ddb_invalid(req, "One or more parameter values were invalid: Table KeySchema does not have a range key, "
                                "which is required when specifying a LocalSecondaryIndex");
    NB_TRY(ddb_stream_configure(req, def, json_object_get(input, "StreamSpecification"), true));
    json_t *sse = sse_desc(req, json_object_get(input, "SSESpecification"));
    if (sse != NULL)
        json_object_set_new(def, "SSEDescription", sse);
    if (nb_json_str(input, "TableClass") != NULL)
        json_object_set_new(def, "TableClassSummary",
                            json_pack("{s:s}", "TableClass", nb_json_str(input, "TableClass")));
    json_object_set_new(def, "DeletionProtectionEnabled",
                        json_boolean(nb_json_bool(input, "DeletionProtectionEnabled", false)));
    if (json_object_get(input, "OnDemandThroughput") != NULL)
        json_object_set(def, "OnDemandThroughput", (json_t *)json_object_get(input, "OnDemandThroughput"));
    json_t *tags = json_object();
    size_t i;
    const json_t *tag;
    json_array_foreach(json_object_get(input, "Tags"), i, tag)
        json_object_set(tags, nb_json_str(tag, "Key"), json_object_get(tag, "Value"));
    json_object_set_new(def, "_Tags", tags);
    if (json_object_get(input, "ResourcePolicy") != NULL)
        json_object_set(def, "_ResourcePolicy", (json_t *)json_object_get(input, "ResourcePolicy"));

    ddb_table_t t = {.name = name, .def = def};
    if ((rc = ddb_table_insert(req, name, def, &t.tid)) != 0)
        return NB_FAILED(rc);
    if ((rc = ddb_table_parse_def(req, &t)) != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:o}", "TableDescription", ddb_table_describe(req, &t)));
}

/* DescribeTable, UpdateTable and DeleteTable name the missing table in their message. */
static nb_step_t load_named(nb_req_t *req, const json_t *input, ddb_table_t **t) {
    const char *name = nb_json_str(input, "TableName");
    return ddb_table_load(req, name,
                          nb_req_printf(req, "Requested resource not found: Table: %s not found",
                                        ddb_table_name_of(name)),
                          t);
}

nb_result_t dynamodb_describe_table(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(load_named(req, input, &t));
    return nb_reply_new(req, json_pack("{s:o}", "Table", ddb_table_describe(req, t)));
}

static int delete_rows(int64_t tid) {
    static const char *const sqls[] = {"DELETE FROM items WHERE tid = ?1", "DELETE FROM _index_items WHERE tid = ?1",
                                       "DELETE FROM tables WHERE tid = ?1"};
    for (size_t i = 0; i < sizeof sqls / sizeof *sqls; i++) {
        sqlite3_stmt *s = nb_store_stmt(&ddb.store, sqls[i]);
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_int64(s, 1, tid);
        int rc = nb_store_run(s);
        if (rc != 0)
            return rc;
    }
    return 0;
}

nb_result_t dynamodb_delete_table(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(load_named(req, input, &t));
    if (nb_json_bool(t->def, "DeletionProtectionEnabled", false))
        return nb_error(req, "ResourceInUseException",
                        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion "
                        "protection first.");
    json_t *d = ddb_table_describe(req, t);
    json_object_set_new(d, "TableStatus", json_string("DELETING"));
    int rc = delete_rows(t->tid);
    if (rc == 0)
        rc = ddb_stream_table_deleted(t);
    if (rc != 0) {
        json_decref(d);
        return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_pack("{s:o}", "TableDescription", d));
}

nb_result_t dynamodb_list_tables(nb_req_t *req, const json_t *input) {
    json_int_t limit = nb_json_int(input, "Limit", 100);
    const char *start = nb_json_str(input, "ExclusiveStartTableName");
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT name FROM tables WHERE name > ?1 AND account = :account"
                                      " AND region = :region ORDER BY name LIMIT :limit");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_text(s, 1, start ? start : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":limit"), limit + 1);
    json_t *names = json_array();
    json_t *out = json_pack("{s:o}", "TableNames", names);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(s, 0);
        if ((json_int_t)json_array_size(names) == limit) {
            json_object_set(out, "LastEvaluatedTableName", json_array_get(names, json_array_size(names) - 1));
            break;
        }
        json_array_append_new(names, json_string(n));
    }
    sqlite3_reset(s);
    return nb_reply_new(req, out);
}

/* GlobalSecondaryIndexUpdates: one Create, Update or Delete per element. */
static nb_step_t gsi_update(nb_req_t *req, ddb_table_t *t, const json_t *u, bool on_demand) {
    json_t *gsis = json_object_get(t->def, "GlobalSecondaryIndexes");
    const json_t *c = json_object_get(u, "Create"), *up = json_object_get(u, "Update"),
                 *del = json_object_get(u, "Delete");
    const char *name = nb_json_str(c ? c : up ? up : del, "IndexName");
    size_t pos = (size_t)-1, i;
    const json_t *e;
    json_array_foreach(gsis, i, e) {
        if (nb_json_str_eq(e, "IndexName", name))
            pos = i;
    }
    if (c != NULL) {
        if (pos != (size_t)-1)
            return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: Index %s already exists", name));
        json_t *d;
        NB_TRY_STEP(index_desc(req, c, json_object_get(t->def, "AttributeDefinitions"), nb_json_str(t->def, "TableArn"),
                               true, on_demand, &d));
        if (gsis == NULL) {
            gsis = json_array();
            json_object_set_new(t->def, "GlobalSecondaryIndexes", gsis);
        }
        json_array_append_new(gsis, d);
        int rc = ddb_table_parse_def(req, t);
        if (rc == 0)
            rc = ddb_index_backfill(t, ddb_table_index(t, name));
        return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
    }
    if (pos == (size_t)-1)
        return nb_stop(nb_error(req, "ResourceNotFoundException", "Requested resource not found: Index: %s not found "
                                                                  "for table: %s", name, t->name));
    if (up != NULL) {
        json_object_set_new(json_array_get(gsis, pos), "ProvisionedThroughput",
                            throughput_desc(json_object_get(up, "ProvisionedThroughput"), on_demand));
        return NB_GO_ON;
    }
    int rc = ddb_index_drop(t, name);
    if (rc != 0)
        return nb_stop(NB_FAILED(rc));
    json_array_remove(gsis, pos);
    if (json_array_size(gsis) == 0)
        json_object_del(t->def, "GlobalSecondaryIndexes");
    rc = ddb_table_parse_def(req, t);
    return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
}

/* New attribute definitions (for new GSIs) are merged by name. */
static void merge_attrs(json_t *def, const json_t *attrs) {
    json_t *have = json_object_get(def, "AttributeDefinitions");
    size_t i;
    const json_t *a;
    json_array_foreach(attrs, i, a) {
        if (!attr_defined(have, nb_json_str(a, "AttributeName")))
            json_array_append(have, (json_t *)a);
    }
}

nb_result_t dynamodb_update_table(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(load_named(req, input, &t));
    const char *mode = nb_json_str(input, "BillingMode");
    bool was_on_demand = nb_json_str_eq(json_object_get(t->def, "BillingModeSummary"), "BillingMode",
                                        "PAY_PER_REQUEST");
    bool on_demand = mode ? strcmp(mode, "PAY_PER_REQUEST") == 0 : was_on_demand;
    const json_t *pt = json_object_get(input, "ProvisionedThroughput");
    if (on_demand && pt != NULL)
        return ddb_invalid(req, "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                                "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    if (mode != NULL && !on_demand && was_on_demand && pt == NULL)
        return ddb_invalid(req, "One or more parameter values were invalid: ProvisionedThroughput must be specified "
                                "when BillingMode is PROVISIONED");
    if (mode != NULL) {
        if (on_demand)
            json_object_set_new(t->def, "BillingModeSummary",
                                json_pack("{s:s,s:f}", "BillingMode", "PAY_PER_REQUEST",
                                          "LastUpdateToPayPerRequestDateTime", nb_now()));
        else
            json_object_set_new(t->def, "BillingModeSummary", json_pack("{s:s}", "BillingMode", "PROVISIONED"));
    }
    if (pt != NULL || (mode != NULL && on_demand != was_on_demand))
        json_object_set_new(t->def, "ProvisionedThroughput", throughput_desc(pt, on_demand));
    merge_attrs(t->def, json_object_get(input, "AttributeDefinitions"));
    size_t i;
    const json_t *u;
    json_array_foreach(json_object_get(input, "GlobalSecondaryIndexUpdates"), i, u)
        NB_TRY(gsi_update(req, t, u, on_demand));
    NB_TRY(ddb_stream_configure(req, t->def, json_object_get(input, "StreamSpecification"), false));
    if (json_object_get(input, "SSESpecification") != NULL) {
        json_t *sse = sse_desc(req, json_object_get(input, "SSESpecification"));
        if (sse != NULL)
            json_object_set_new(t->def, "SSEDescription", sse);
        else
            json_object_del(t->def, "SSEDescription");
    }
    if (nb_json_str(input, "TableClass") != NULL)
        json_object_set_new(t->def, "TableClassSummary",
                            json_pack("{s:s}", "TableClass", nb_json_str(input, "TableClass")));
    if (json_object_get(input, "DeletionProtectionEnabled") != NULL)
        json_object_set(t->def, "DeletionProtectionEnabled", (json_t *)json_object_get(input, "DeletionProtectionEnabled"));
    if (json_object_get(input, "OnDemandThroughput") != NULL)
        json_object_set(t->def, "OnDemandThroughput", (json_t *)json_object_get(input, "OnDemandThroughput"));
    int rc = ddb_table_save_def(t);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:o}", "TableDescription", ddb_table_describe(req, t)));
}
