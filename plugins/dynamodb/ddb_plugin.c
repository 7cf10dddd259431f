/* The DynamoDB plugin's descriptor: its store schema, init/fini and the operations table.
 * Operations without a handler yet answer 501 through the weak stubs below. */
#include "ddb.h"
#include <string.h>

#include "ddb_authz.h"
#include "ddb_stream.h"
#include "ddb_ttl.h"
#include "ddb_table_cache.h"

ddb_state_t ddb;

/* Every operation answers 501 until the provider defines it: these weak stubs give way
 * to the provider's definitions, and cover operations a newer spec adds. */
#define STUB(fn) \
    __attribute__((weak)) nb_result_t fn(nb_req_t *req, const json_t *input) { \
        (void)req, (void)input; \
        return NB_NOT_IMPLEMENTED; \
    }

STUB(dynamodb_batch_execute_statement)
STUB(dynamodb_batch_get_item)
STUB(dynamodb_batch_write_item)
STUB(dynamodb_create_backup)
STUB(dynamodb_create_global_table)
STUB(dynamodb_create_table)
STUB(dynamodb_delete_backup)
STUB(dynamodb_delete_item)
STUB(dynamodb_delete_resource_policy)
STUB(dynamodb_delete_table)
STUB(dynamodb_describe_backup)
STUB(dynamodb_describe_continuous_backups)
STUB(dynamodb_describe_contributor_insights)
STUB(dynamodb_describe_endpoints)
STUB(dynamodb_describe_export)
STUB(dynamodb_describe_global_table)
STUB(dynamodb_describe_global_table_settings)
STUB(dynamodb_describe_import)
STUB(dynamodb_describe_kinesis_streaming_destination)
STUB(dynamodb_describe_limits)
STUB(dynamodb_describe_table)
STUB(dynamodb_describe_table_replica_auto_scaling)
STUB(dynamodb_describe_time_to_live)
STUB(dynamodb_disable_kinesis_streaming_destination)
STUB(dynamodb_enable_kinesis_streaming_destination)
STUB(dynamodb_execute_statement)
STUB(dynamodb_execute_transaction)
STUB(dynamodb_export_table_to_point_in_time)
STUB(dynamodb_get_item)
STUB(dynamodb_get_resource_policy)
STUB(dynamodb_import_table)
STUB(dynamodb_list_backups)
STUB(dynamodb_list_contributor_insights)
STUB(dynamodb_list_exports)
STUB(dynamodb_list_global_tables)
STUB(dynamodb_list_imports)
STUB(dynamodb_list_tables)
STUB(dynamodb_list_tags_of_resource)
STUB(dynamodb_put_item)
STUB(dynamodb_put_resource_policy)
STUB(dynamodb_query)
STUB(dynamodb_restore_table_from_backup)
STUB(dynamodb_restore_table_to_point_in_time)
STUB(dynamodb_scan)
STUB(dynamodb_tag_resource)
STUB(dynamodb_transact_get_items)
STUB(dynamodb_transact_write_items)
STUB(dynamodb_untag_resource)
STUB(dynamodb_update_continuous_backups)
STUB(dynamodb_update_contributor_insights)
STUB(dynamodb_update_global_table)
STUB(dynamodb_update_global_table_settings)
STUB(dynamodb_update_item)
STUB(dynamodb_update_kinesis_streaming_destination)
STUB(dynamodb_update_table)
STUB(dynamodb_update_table_replica_auto_scaling)
STUB(dynamodb_update_time_to_live)


static const char *const ddb_schema[] = {
    /* 1 */
    "CREATE TABLE tables(tid INTEGER PRIMARY KEY, " NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, def TEXT NOT NULL,"
    " item_count INTEGER NOT NULL DEFAULT 0, size_bytes INTEGER NOT NULL DEFAULT 0, UNIQUE(account, region, name));"
    /* keys are memcmp-ordered bytes: SQLite compares BLOBs with memcmp, so a partition is one range of
     * the primary key and a Query reads only it */
    "CREATE TABLE items(tid INTEGER NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, item BLOB NOT NULL,"
    " size INTEGER NOT NULL, expires INTEGER, PRIMARY KEY(tid, pk, sk)) WITHOUT ROWID;"
    "CREATE INDEX items_expires ON items(expires) WHERE expires IS NOT NULL;"
    "CREATE TABLE _index_items(tid INTEGER NOT NULL, idx TEXT NOT NULL, ipk BLOB NOT NULL, isk BLOB NOT NULL,"
    " pk BLOB NOT NULL, sk BLOB NOT NULL, PRIMARY KEY(tid, idx, ipk, isk, pk, sk)) WITHOUT ROWID;"
    "CREATE TABLE _txn_tokens(token TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,"
    " digest TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY(account, region, token));"
    "CREATE TABLE backups(" NB_STORE_SCOPE_COLUMNS ", arn TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " table_name TEXT NOT NULL, created REAL NOT NULL, def TEXT NOT NULL, item_count INTEGER NOT NULL,"
    " size_bytes INTEGER NOT NULL);"
    "CREATE TABLE _backup_items(arn TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, item BLOB NOT NULL,"
    " size INTEGER NOT NULL, PRIMARY KEY(arn, pk, sk)) WITHOUT ROWID;"
    /* global tables (version 2017) belong to the account, in no region */
    "CREATE TABLE global_tables(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, def TEXT NOT NULL,"
    " PRIMARY KEY(account, region, name));"
    /* exports and imports: their description, updated when their S3 work ends */
    "CREATE TABLE jobs(" NB_STORE_SCOPE_COLUMNS ", arn TEXT PRIMARY KEY, kind TEXT NOT NULL,"
    " table_arn TEXT NOT NULL, def TEXT NOT NULL);",
    /* 2 */
    ddb_stream_schema,
};

static int ddb_init(nb_plugin_t *self) {
    char *err = NULL;
    memset(&ddb, 0, sizeof ddb);
    ddb.self = self;
    nb_store_init(&ddb.store, nb_store_db(self));
    if (nb_store_migrate(ddb.store.db, ddb_schema, NB_STORE_COUNT(ddb_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    ddb_ttl_start(self);
    ddb_stream_start(self);
    return 0;
}

static void ddb_fini(nb_plugin_t *self) {
    (void)self;
    ddb_ttl_stop();
    ddb_stream_stop();
    nb_store_fini(&ddb.store);
    ddb_table_cache_clear();
}

static const nb_op_t dynamodb_ops[] = {
    {"BatchExecuteStatement", dynamodb_batch_execute_statement, 0},
    {"BatchGetItem", dynamodb_batch_get_item, 0},
    {"BatchWriteItem", dynamodb_batch_write_item, 0},
    {"CreateBackup", dynamodb_create_backup, 0},
    {"CreateGlobalTable", dynamodb_create_global_table, 0},
    {"CreateTable", dynamodb_create_table, 0},
    {"DeleteBackup", dynamodb_delete_backup, 0},
    {"DeleteItem", dynamodb_delete_item, 0},
    {"DeleteResourcePolicy", dynamodb_delete_resource_policy, 0},
    {"DeleteTable", dynamodb_delete_table, 0},
    {"DescribeBackup", dynamodb_describe_backup, 0},
    {"DescribeContinuousBackups", dynamodb_describe_continuous_backups, 0},
    {"DescribeContributorInsights", dynamodb_describe_contributor_insights, 0},
    {"DescribeEndpoints", dynamodb_describe_endpoints, 0},
    {"DescribeExport", dynamodb_describe_export, 0},
    {"DescribeGlobalTable", dynamodb_describe_global_table, 0},
    {"DescribeGlobalTableSettings", dynamodb_describe_global_table_settings, 0},
    {"DescribeImport", dynamodb_describe_import, 0},
    {"DescribeKinesisStreamingDestination", dynamodb_describe_kinesis_streaming_destination, 0},
    {"DescribeLimits", dynamodb_describe_limits, 0},
    {"DescribeTable", dynamodb_describe_table, 0},
    {"DescribeTableReplicaAutoScaling", dynamodb_describe_table_replica_auto_scaling, 0},
    {"DescribeTimeToLive", dynamodb_describe_time_to_live, 0},
    {"DisableKinesisStreamingDestination", dynamodb_disable_kinesis_streaming_destination, 0},
    {"EnableKinesisStreamingDestination", dynamodb_enable_kinesis_streaming_destination, 0},
    {"ExecuteStatement", dynamodb_execute_statement, 0},
    {"ExecuteTransaction", dynamodb_execute_transaction, 0},
    {"ExportTableToPointInTime", dynamodb_export_table_to_point_in_time, 0},
    {"GetItem", dynamodb_get_item, 0},
    {"GetResourcePolicy", dynamodb_get_resource_policy, 0},
    {"ImportTable", dynamodb_import_table, 0},
    {"ListBackups", dynamodb_list_backups, 0},
    {"ListContributorInsights", dynamodb_list_contributor_insights, 0},
    {"ListExports", dynamodb_list_exports, 0},
    {"ListGlobalTables", dynamodb_list_global_tables, 0},
    {"ListImports", dynamodb_list_imports, 0},
    {"ListTables", dynamodb_list_tables, 0},
    {"ListTagsOfResource", dynamodb_list_tags_of_resource, 0},
    {"PutItem", dynamodb_put_item, 0},
    {"PutResourcePolicy", dynamodb_put_resource_policy, 0},
    {"Query", dynamodb_query, 0},
    {"RestoreTableFromBackup", dynamodb_restore_table_from_backup, 0},
    {"RestoreTableToPointInTime", dynamodb_restore_table_to_point_in_time, 0},
    {"Scan", dynamodb_scan, 0},
    {"TagResource", dynamodb_tag_resource, 0},
    {"TransactGetItems", dynamodb_transact_get_items, 0},
    {"TransactWriteItems", dynamodb_transact_write_items, 0},
    {"UntagResource", dynamodb_untag_resource, 0},
    {"UpdateContinuousBackups", dynamodb_update_continuous_backups, 0},
    {"UpdateContributorInsights", dynamodb_update_contributor_insights, 0},
    {"UpdateGlobalTable", dynamodb_update_global_table, 0},
    {"UpdateGlobalTableSettings", dynamodb_update_global_table_settings, 0},
    {"UpdateItem", dynamodb_update_item, 0},
    {"UpdateKinesisStreamingDestination", dynamodb_update_kinesis_streaming_destination, 0},
    {"UpdateTable", dynamodb_update_table, 0},
    {"UpdateTableReplicaAutoScaling", dynamodb_update_table_replica_auto_scaling, 0},
    {"UpdateTimeToLive", dynamodb_update_time_to_live, 0},
    {NULL, NULL, 0},
};

NB_PLUGIN_DEFINE(.name = "dynamodb", .service = "dynamodb", .api_version = "2012-08-10", .ops = dynamodb_ops,
                 .init = ddb_init, .fini = ddb_fini, .settings = ddb_ttl_settings,
                 .also_serves = ddb_stream_services, .authz_actions = ddb_actions,
                 .resource_policy = ddb_resource_policy, .authz_denied_code = "AccessDeniedException");
