/* Secondary index rows: one row per item in each index whose key attributes the item has
 * (sparse indexes), ordered by (index partition key, index sort key, table key). */
#ifndef DDB_INDEX_H
#define DDB_INDEX_H

#include "ddb_key.h"

/* AWS's errors for an item whose index key attribute has the wrong type or is empty. */
nb_step_t ddb_index_check(nb_req_t *req, const ddb_table_t *t, const json_t *item);
/* Replaces the index rows of the item at `key`: those of `old` go, those of `item` come (either may be NULL). */
int ddb_index_update(const ddb_table_t *t, const ddb_keybytes_t *key, const json_t *old,
                     const json_t *item);
/* Fills a new GSI from the table's items. */
int ddb_index_backfill(const ddb_table_t *t, const ddb_index_t *ix);
/* Removes every row of an index. */
int ddb_index_drop(const ddb_table_t *t, const char *name);
/* The attributes of `item` the index projects (a new object). */
json_t *ddb_index_project(const ddb_table_t *t, const ddb_index_t *ix, const json_t *item);

#endif
