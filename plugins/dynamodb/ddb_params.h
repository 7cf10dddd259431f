/* A request's expression parameters parsed into trees (ddb_expr.h), with AWS's errors answered:
 * ConditionExpression / Expected, FilterExpression / QueryFilter / ScanFilter, UpdateExpression /
 * AttributeUpdates, ProjectionExpression / AttributesToGet, KeyConditionExpression / KeyConditions,
 * and the ExpressionAttributeNames / Values they use. Trees are freed with the request. */
#ifndef DDB_PARAMS_H
#define DDB_PARAMS_H

#include "ddb.h"
#include "ddb_expr.h"

typedef struct ddb_params {
    ddb_cond_t *cond;
    ddb_cond_t *filter;
    ddb_update_t *update;
    ddb_proj_t *proj;
    ddb_keycond_t key;
    bool has_key;
} ddb_params_t;

/* `keys`: the key schema a KeyConditionExpression is checked against (Query), else NULL. */
/* *out lives in the request's memory: its trees are freed when the request ends. `operation` names
 * the messages' wording: NULL for the request's own, a transaction part's kind ("Put", "ConditionCheck"). */
nb_step_t ddb_params_parse(nb_req_t *req, const json_t *input, const char *operation, const ddb_keydef_t *keys,
                           ddb_params_t **out);
/* An error from ddb_expr as the client sees it. */
nb_result_t ddb_expr_error(nb_req_t *req, const ddb_err_t *err);
/* ReturnConsumedCapacity TOTAL or INDEXES: the ConsumedCapacity member for `units` on the table. */
json_t *ddb_consumed(const json_t *input, const char *table, double units);
/* Whether the request asks for ConsumedCapacity (ddb_consumed answers a value). */
bool ddb_consumed_wanted(const json_t *input);
/* The same summed per table into a list (batches and transactions answer one entry per table). */
void ddb_consumed_add(json_t *list, const json_t *input, const char *table, double units);

#endif
