/* The all-or-nothing write of TransactWriteItems, shared with PartiQL's ExecuteTransaction. */
#ifndef DDB_TXN_H
#define DDB_TXN_H

#include "ddb_item.h"

typedef struct ddb_txn_op {
    const char *kind;  /* "Put", "Update", "Delete", "ConditionCheck" */
    const json_t *in;  /* the part's input: Key (Update), ReturnValuesOnConditionCheckFailure */
    ddb_table_t *t;
    ddb_params_t *p;   /* p->cond must hold on the item, p->update makes an Update's new item */
    int must_exist;    /* PartiQL: 1 the item must exist (ConditionalCheckFailed), -1 must not (DuplicateItem) */
    ddb_keybytes_t key;
    json_t *old, *item; /* old: the stored item (NULL: none); item: a Put's new item */
    size_t old_size, size;
} ddb_txn_op_t;

/* Checks every op's condition against its `old` (loaded by the caller), computes the new items, then writes
 * them all; TransactionCanceledException with CancellationReasons when a condition fails. */
nb_result_t ddb_txn_write(nb_req_t *req, const json_t *input, ddb_txn_op_t *ops, size_t n);

#endif
