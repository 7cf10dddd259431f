/* DynamoDB under ENFORCE_IAM=1 (ddb_authz.c): the action table and the resource_policy hook. */
#ifndef DDB_AUTHZ_H
#define DDB_AUTHZ_H

#include <nimbus/plugin.h>

#include "ddb_partiql.h"

extern const nb_authz_action_t ddb_actions[];
/* The dynamodbstreams operations' (ddb_stream_services). */
extern const nb_authz_action_t ddb_stream_actions[];
/* The table's resource policy (PutResourcePolicy's document) of the table the input names. */
int ddb_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out);

/* A PartiQL statement's action (dynamodb:PartiQLSelect, ...) on its table or index: 0 when the caller may
 * do it, else -1 with err set to AccessDeniedException and AWS's message. */
int ddb_authz_statement(nb_req_t *req, const ddb_pq_stmt_t *st, ddb_err_t *err);
/* A TransactWriteItems item's action (kind "Put": dynamodb:PutItem, "Update", "Delete", "ConditionCheck":
 * dynamodb:ConditionCheckItem) on `table` (a name or an ARN): NB_GO_ON when the caller may do it, else a
 * stop answering AccessDeniedException. */
nb_step_t ddb_authz_txn_item(nb_req_t *req, const char *kind, const char *table);

#endif
