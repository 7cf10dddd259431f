/* What the item operations share with batches and transactions. */
#ifndef DDB_ITEM_H
#define DDB_ITEM_H

#include "ddb_key.h"
#include "ddb_params.h"

/* Checks an item to be written (values, key, index keys, 400 KB) and computes its key and size. */
nb_step_t ddb_item_validate(nb_req_t *req, const ddb_table_t *t, json_t *item, ddb_keybytes_t *key, size_t *size);
/* ConditionalCheckFailedException, with the old item when ReturnValuesOnConditionCheckFailure is ALL_OLD. */
nb_result_t ddb_condition_failed(nb_req_t *req, const json_t *input, const json_t *old);
/* The item an update produces from `old` (or the key attributes when there is none). */
nb_step_t ddb_update_build(nb_req_t *req, const ddb_table_t *t, const ddb_params_t *p, const json_t *keyattrs,
                           const json_t *old, json_t **out);

#endif
