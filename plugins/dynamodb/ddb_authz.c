/* DynamoDB under ENFORCE_IAM=1 (nimbus/authz.h): each operation's IAM action, as the Service
 * Authorization Reference names it, and the table ARN it acts on; the table's resource policy
 * (PutResourcePolicy) as its resource policy.
 *
 * An operation on an index (Query, Scan with IndexName) is authorized on its table. The batch
 * and transaction reads name several tables: each is checked (nb_authz_check) and the request is
 * authorized on the first one denied, else on the first one, so it runs only when every table
 * allows it. ExecuteStatement, BatchExecuteStatement, ExecuteTransaction and TransactWriteItems
 * have rows with no action (the gateway checks nothing): their action depends on each statement's
 * verb (dynamodb:PartiQLSelect/Insert/Update/Delete, on the statement's table, or its index's ARN
 * for a SELECT on an index, as AWS's PartiQL IAM guide says) or each item's kind (PutItem,
 * UpdateItem, DeleteItem, ConditionCheckItem on its table), so the handlers check each one with
 * ddb_authz_statement / ddb_authz_txn_item once they know it, before anything is written.
 * BatchExecuteStatement answers a denied statement in Responses, as the spec's BatchStatementError
 * codes (AccessDenied among them) say, and runs the others: its statements are not atomic. */
#include "ddb_authz.h"

#include <stdio.h>
#include <string.h>

#include "ddb.h"

#define RES_ARN "{ResourceArn}"
#define GLOBAL_TABLE "arn:{partition}:dynamodb::{account}:global-table/{GlobalTableName}"

/* A table's name from a name or an ARN of the table or of something under it
 * ("table/T/index/I", "table/T/stream/S"): on req memory. */
static const char *table_name(nb_req_t *req, const char *name_or_arn) {
    const char *name = ddb_table_name_of(name_or_arn);
    if (name == NULL)
        return NULL;
    const char *slash = strchr(name, '/');
    return slash ? nb_req_printf(req, "%.*s", (int)(slash - name), name) : name;
}

/* The tables a request names, in the input's order: TableName, the keys of RequestItems
 * (BatchGetItem, BatchWriteItem), each TransactItems entry's TableName, ResourceArn's table,
 * ImportTable's new table. Returns how many were put in names (at most max). */
static size_t tables_of(nb_req_t *req, const json_t *in, const char **names, size_t max) {
    size_t n = 0;
    const char *one = nb_json_str(in, "TableName");
    if (one == NULL)
        one = nb_json_str(in, "ResourceArn");
    if (one == NULL)
        one = nb_json_str(in, "SourceTableName");
    if (one == NULL)
        one = nb_json_str(json_object_get(in, "TableCreationParameters"), "TableName");
    if (one != NULL && n < max)
        names[n++] = table_name(req, one);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(in, "RequestItems"), key, v) {
        if (n < max)
            names[n++] = key;
    }
    size_t i;
    json_array_foreach(json_object_get(in, "TransactItems"), i, v) {
        const char *kind;
        const json_t *item;
        json_object_foreach((json_t *)v, kind, item) {
            const char *t = nb_json_str(item, "TableName");
            if (t != NULL && n < max)
                names[n++] = table_name(req, t);
        }
    }
    return n;
}

#define MAX_TABLES 100 /* TransactItems' limit; BatchGetItem names at most 100 keys */

/* The table ARN an operation acts on: the table the request names, or for a request naming
 * several, the first one this principal may not act on (so the request is denied naming it),
 * else the first. NULL: none ("*"). */
static const char *table_resource(nb_req_t *req, const json_t *in) {
    const char *names[MAX_TABLES];
    size_t n = tables_of(req, in, names, MAX_TABLES);
    if (n == 0 || names[0] == NULL)
        return NULL;
    if (n > 1) {
        const char *op = nb_req_operation(req);
        const char *action = strcmp(op, "BatchGetItem") == 0    ? "dynamodb:BatchGetItem"
                             : strcmp(op, "BatchWriteItem") == 0 ? "dynamodb:BatchWriteItem"
                                                                 : "dynamodb:GetItem";
        for (size_t i = 0; i < n; i++) {
            if (names[i] == NULL)
                continue;
            const char *arn = ddb_table_arn(req, ddb_table_name_of(names[i]));
            json_t *one = json_pack("{s:s}", "TableName", names[i]);
            int allowed = one && arn ? nb_authz_check(req, action, arn, one) : 1;
            json_decref(one);
            if (!allowed)
                return arn;
        }
    }
    return ddb_table_arn(req, ddb_table_name_of(names[0]));
}

#define TABLE_ROW(op) {#op, "dynamodb:" #op, NULL, NULL, table_resource}
#define ARN_ROW(op, tpl) {#op, "dynamodb:" #op, tpl, NULL, NULL}
#define ANY_ROW(op) {#op, "dynamodb:" #op, NULL, NULL, NULL}
/* authorized by the handler, per statement or item */
#define ITEMS_ROW(op) {#op, NULL, NULL, NULL, NULL}

const nb_authz_action_t ddb_actions[] = {
    ITEMS_ROW(BatchExecuteStatement),
    TABLE_ROW(BatchGetItem),
    TABLE_ROW(BatchWriteItem),
    TABLE_ROW(CreateBackup),
    ARN_ROW(CreateGlobalTable, GLOBAL_TABLE),
    TABLE_ROW(CreateTable),
    ARN_ROW(DeleteBackup, "{BackupArn}"),
    TABLE_ROW(DeleteItem),
    TABLE_ROW(DeleteResourcePolicy),
    TABLE_ROW(DeleteTable),
    ARN_ROW(DescribeBackup, "{BackupArn}"),
    TABLE_ROW(DescribeContinuousBackups),
    TABLE_ROW(DescribeContributorInsights),
    ANY_ROW(DescribeEndpoints),
    ARN_ROW(DescribeExport, "{ExportArn}"),
    ARN_ROW(DescribeGlobalTable, GLOBAL_TABLE),
    ARN_ROW(DescribeGlobalTableSettings, GLOBAL_TABLE),
    ARN_ROW(DescribeImport, "{ImportArn}"),
    TABLE_ROW(DescribeKinesisStreamingDestination),
    ANY_ROW(DescribeLimits),
    TABLE_ROW(DescribeTable),
    TABLE_ROW(DescribeTableReplicaAutoScaling),
    TABLE_ROW(DescribeTimeToLive),
    TABLE_ROW(DisableKinesisStreamingDestination),
    TABLE_ROW(EnableKinesisStreamingDestination),
    ITEMS_ROW(ExecuteStatement),
    ITEMS_ROW(ExecuteTransaction),
    ARN_ROW(ExportTableToPointInTime, "{TableArn}"),
    TABLE_ROW(GetItem),
    TABLE_ROW(GetResourcePolicy),
    TABLE_ROW(ImportTable),
    ANY_ROW(ListBackups),
    ANY_ROW(ListContributorInsights),
    ANY_ROW(ListExports),
    ANY_ROW(ListGlobalTables),
    ANY_ROW(ListImports),
    ANY_ROW(ListTables),
    ARN_ROW(ListTagsOfResource, RES_ARN),
    TABLE_ROW(PutItem),
    TABLE_ROW(PutResourcePolicy),
    TABLE_ROW(Query),
    ARN_ROW(RestoreTableFromBackup, "{BackupArn}"),
    TABLE_ROW(RestoreTableToPointInTime),
    TABLE_ROW(Scan),
    ARN_ROW(TagResource, RES_ARN),
    /* each item is a GetItem, as AWS authorizes it */
    {"TransactGetItems", "dynamodb:GetItem", NULL, NULL, table_resource},
    ITEMS_ROW(TransactWriteItems),
    ARN_ROW(UntagResource, RES_ARN),
    TABLE_ROW(UpdateContinuousBackups),
    TABLE_ROW(UpdateContributorInsights),
    ARN_ROW(UpdateGlobalTable, GLOBAL_TABLE),
    ARN_ROW(UpdateGlobalTableSettings, GLOBAL_TABLE),
    TABLE_ROW(UpdateItem),
    TABLE_ROW(UpdateKinesisStreamingDestination),
    TABLE_ROW(UpdateTable),
    TABLE_ROW(UpdateTableReplicaAutoScaling),
    TABLE_ROW(UpdateTimeToLive),
    {NULL, NULL, NULL, NULL, NULL},
};

/* Whether the caller may do action on the table `table` names (a name or an ARN), or on its index
 * `index` (NULL: the table): NULL when it may, else the message of DynamoDB's AccessDeniedException
 * (req memory). nb_authz_check says no more than allowed or denied, so the reason is always the
 * usual one (no identity-based policy allows), also for a denial an explicit Deny made. */
static const char *denied(nb_req_t *req, const char *action, const char *table, const char *index) {
    const char *name = table_name(req, table);
    const char *arn = name ? ddb_table_arn(req, name) : NULL;
    if (arn != NULL && index != NULL)
        arn = nb_req_printf(req, "%s/index/%s", arn, index);
    json_t *in = json_pack("{s:s?}", "TableName", name); /* the table whose resource policy counts */
    int allowed = in == NULL || nb_authz_check(req, action, arn ? arn : "*", in);
    json_decref(in);
    if (allowed)
        return NULL;
    const char *who = nb_req_principal_arn(req);
    return nb_req_printf(req,
                         "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy "
                         "allows the %s action",
                         who ? who : "", action, arn ? arn : "*", action);
}

int ddb_authz_statement(nb_req_t *req, const ddb_pq_stmt_t *st, ddb_err_t *err) {
    /* EXISTS reads the item it checks: a SELECT's action (AWS names no other) */
    static const char *const actions[] = {
        [DDB_PQ_SELECT] = "dynamodb:PartiQLSelect", [DDB_PQ_INSERT] = "dynamodb:PartiQLInsert",
        [DDB_PQ_UPDATE] = "dynamodb:PartiQLUpdate", [DDB_PQ_DELETE] = "dynamodb:PartiQLDelete",
        [DDB_PQ_EXISTS] = "dynamodb:PartiQLSelect",
    };
    const char *msg = denied(req, actions[st->kind], st->table, st->index);
    if (msg == NULL)
        return 0;
    err->code = "AccessDeniedException";
    snprintf(err->msg, sizeof err->msg, "%s", msg);
    return -1;
}

nb_step_t ddb_authz_txn_item(nb_req_t *req, const char *kind, const char *table) {
    const char *action = strcmp(kind, "Put") == 0      ? "dynamodb:PutItem"
                         : strcmp(kind, "Update") == 0 ? "dynamodb:UpdateItem"
                         : strcmp(kind, "Delete") == 0 ? "dynamodb:DeleteItem"
                                                       : "dynamodb:ConditionCheckItem";
    const char *msg = table ? denied(req, action, table, NULL) : NULL;
    return msg ? nb_stop(nb_error(req, "AccessDeniedException", "%s", msg)) : NB_GO_ON;
}

/* The stream a GetRecords' ShardIterator reads: the ARN before its first '|' (the iterator is
 * "STREAM_ARN|SHARD|NEXT|ISSUED", ddb_stream_api.c). NULL: not an iterator we gave ("*"). */
static const char *iterator_stream(nb_req_t *req, const json_t *in) {
    const char *it = nb_json_str(in, "ShardIterator");
    const char *bar = it && strncmp(it, "arn:", 4) == 0 ? strchr(it, '|') : NULL;
    return bar ? nb_req_printf(req, "%.*s", (int)(bar - it), it) : NULL;
}

/* DynamoDB Streams' operations are IAM actions of DynamoDB, on the stream's ARN
 * ("arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE/stream/LABEL"). */
const nb_authz_action_t ddb_stream_actions[] = {
    ARN_ROW(DescribeStream, "{StreamArn}"),
    {"GetRecords", "dynamodb:GetRecords", NULL, NULL, iterator_stream},
    ARN_ROW(GetShardIterator, "{StreamArn}"),
    ANY_ROW(ListStreams),
    {NULL, NULL, NULL, NULL, NULL},
};

int ddb_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out) {
    (void)self;
    const char *names[1];
    ddb_table_t *t;
    if (tables_of(req, in, names, 1) == 0 || names[0] == NULL || ddb_table_find(req, names[0], &t) != 0)
        return 0; /* no table: the handler answers ResourceNotFoundException if it is allowed to look */
    const char *policy = nb_json_str(json_object_get(t->def, "_ResourcePolicy"), "Policy");
    out->document = policy ? nb_req_strdup(req, policy) : NULL;
    return 0;
}
