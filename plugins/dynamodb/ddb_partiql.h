/* DynamoDB's PartiQL subset (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction): a statement is
 * parsed once, with its ? parameters bound, into a ddb_pq_stmt_t; once the plugin knows the key schema of
 * the table (or index) named, ddb_pq_plan says how to read or write: a single-item key lookup, a Query of
 * one or more partitions, or a Scan.
 *
 * The WHERE clause, the SET/REMOVE list and the projection become the trees of ddb_expr.h (ddb_cond_t,
 * ddb_update_t, ddb_proj_t), so evaluation is exactly that of the expression parameters. Values are
 * DynamoDB JSON (jansson) typed values, {"S": "x"}.
 *
 * Error texts are DynamoDB's (ValidationException unless ddb_err_t.code says otherwise), e.g.
 * "Statement wasn't well formed, can't be processed: Expected data manipulation",
 * "Number of parameters in request and statement don't match.",
 * "Where clause does not contain a mandatory equality on all key attributes".
 *
 * How the plugin runs each kind (after looking up `table`; ResourceNotFoundException otherwise):
 *   SELECT  ddb_pq_plan(st, hash, range, flags, &plan, &err) with the key schema of `index` when it is set,
 *           else of the table. plan.access:
 *             DDB_PQ_GET   GetItem of plan.key (an object {hash: av[, range: av]}); never for an index,
 *                          whose key names no single item (a Query with an = sort condition instead);
 *             DDB_PQ_QUERY one Query per plan.queries[i] (partition value + optional sort key condition,
 *                          as ddb_keycond_t), in that order, sort order from plan.forward;
 *             DDB_PQ_SCAN  a Scan. In ExecuteTransaction / BatchExecuteStatement pass DDB_PQ_IN_TRANSACTION /
 *                          DDB_PQ_IN_BATCH: only DDB_PQ_GET then comes back, with AWS's errors otherwise.
 *           Every item read is kept only if ddb_cond_eval(st->where, item) (NULL: all), then projected
 *           through st->proj (NULL: the whole item). Limit/NextToken are the plugin's.
 *   INSERT  st->item is the item (a DynamoDB JSON object); the plugin validates keys/attributes as PutItem does
 *           and answers DuplicateItemException "Duplicate primary key exists in table" if the key exists.
 *   UPDATE  ddb_pq_plan gives plan.key (the item to update) and plan.cond (the rest of WHERE, NULL if none).
 *           The item must exist and satisfy plan.cond, else ConditionalCheckFailedException "The conditional
 *           request failed". Apply st->update with ddb_update_apply (refuse key attributes with
 *           ddb_update_touches as UpdateItem does). Answer the item per st->returning: ALL OLD / ALL NEW the
 *           whole item before / after, MODIFIED OLD / NEW projected through ddb_update_paths(st->update).
 *   DELETE  plan.key and plan.cond likewise: a missing item is not an error (nothing deleted); an existing
 *           item failing plan.cond is ConditionalCheckFailedException. RETURNING ALL OLD * answers the old item.
 *   EXISTS  (ExecuteTransaction only, DDB_PQ_IN_TRANSACTION) a ConditionCheck: plan.key names the item and
 *           plan.cond (never NULL) must hold on it, else the transaction is cancelled (ConditionalCheckFailed).
 * Errors that need the table are the plugin's, in AWS's words: an unknown index "The table does not have the
 * specified index"; ConsistentRead on a GSI "Strongly consistent read is not supported on Global Secondary
 * Indexes"; a key value of the wrong type "Key attribute's data type should match its data type in table's
 * schema"; index filters on attributes not projected "One or more parameter values were invalid: Secondary
 * index <I> does not project one or more filter attributes: [<a>]"; INSERT on an existing key
 * DuplicateItemException "Duplicate primary key exists in table".
 * The plugin prefixes messages where AWS does ("Validation failed in TransactStatements[0]: ..." in
 * ExecuteTransaction; BatchExecuteStatement reports them per statement with Code "ValidationError").
 *
 * Depends only on jansson, libc and the ddb_expr / ddb_num files, so unit tests compile it directly. */
#ifndef DDB_PARTIQL_H
#define DDB_PARTIQL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ddb_expr.h"

typedef enum ddb_pq_kind {
    DDB_PQ_SELECT, DDB_PQ_INSERT, DDB_PQ_UPDATE, DDB_PQ_DELETE,
    DDB_PQ_EXISTS, /* EXISTS(SELECT ...): a condition check, only in ExecuteTransaction */
} ddb_pq_kind_t;

/* RETURNING clause: UPDATE accepts all four, DELETE only ALL OLD * (checked by the parser). */
typedef enum ddb_pq_returning {
    DDB_PQ_RET_NONE = 0, DDB_PQ_RET_ALL_OLD, DDB_PQ_RET_ALL_NEW, DDB_PQ_RET_MODIFIED_OLD, DDB_PQ_RET_MODIFIED_NEW,
} ddb_pq_returning_t;

typedef struct ddb_pq_where ddb_pq_where_t; /* the WHERE clause as parsed (internal, for ddb_pq_plan) */

typedef struct ddb_pq_stmt {
    ddb_pq_kind_t kind;
    char *table;                  /* FROM / INTO / UPDATE / DELETE FROM target, as written (case-sensitive) */
    char *index;                  /* SELECT ... FROM "T"."I": the index name, else NULL */
    ddb_proj_t *proj;             /* SELECT list, NULL for SELECT * (nested paths keep the item's shape) */
    ddb_cond_t *where;            /* the whole WHERE as a filter (SELECT, and for reference UPDATE/DELETE); NULL if none */
    json_t *item;                 /* INSERT: the item {"attr": {"S": ..}, ..} */
    ddb_update_t *update;         /* UPDATE: SET / REMOVE (set_add / set_delete as ADD / DELETE) */
    ddb_pq_returning_t returning; /* UPDATE / DELETE */
    char *order_by;               /* SELECT ... ORDER BY <attr>: the attribute, else NULL */
    bool order_desc;              /* ORDER BY ... DESC */
    ddb_pq_where_t *where_ast;    /* internal */
} ddb_pq_stmt_t;

/* Parse `text` with `params` (a JSON array of AttributeValues, the request's Parameters, or NULL), binding
 * each ? in order (too few values: "Number of parameters in request and statement don't match."; values
 * beyond the last ? are ignored, as DynamoDB does). Returns 0 and *out (free with ddb_pq_free), or -1 with
 * err. Everything that needs no key schema is checked here: syntax, literals (number limits, bags), functions,
 * RETURNING forms. */
int ddb_pq_parse(const char *text, const json_t *params, ddb_pq_stmt_t **out, ddb_err_t *err);
void ddb_pq_free(ddb_pq_stmt_t *st);

/* ---- planning against a key schema ---- */

typedef enum ddb_pq_access {
    DDB_PQ_GET,   /* one item by its full key */
    DDB_PQ_QUERY, /* partitions by partition key value (= or IN), with an optional sort key condition */
    DDB_PQ_SCAN,  /* everything, filtered by st->where */
} ddb_pq_access_t;

/* Flags of ddb_pq_plan: where the statement runs. In both a SELECT must name one full key and nothing else
 * ("Select statements
 * within ExecuteTransaction must specify the primary key in the where clause.", BatchExecuteStatement
 * likewise); a transaction refuses index reads and RETURNING, and is the only place EXISTS may appear. */
#define DDB_PQ_IN_TRANSACTION 1u
#define DDB_PQ_IN_BATCH 2u
#define DDB_PQ_SINGLE_ITEM DDB_PQ_IN_TRANSACTION /* the first name of DDB_PQ_IN_TRANSACTION */

typedef struct ddb_pq_plan {
    ddb_pq_access_t access;
    json_t *key;              /* DDB_PQ_GET, and UPDATE / DELETE: {hash_name: av[, range_name: av]} (owned) */
    ddb_keycond_t *queries;   /* DDB_PQ_QUERY: one per partition value, in the order written (owned) */
    size_t nqueries;
    bool forward;             /* DDB_PQ_QUERY: ascending sort key order (ORDER BY ... DESC makes it false) */
    ddb_cond_t *cond;         /* UPDATE / DELETE: WHERE without the key equalities, NULL when nothing is left */
} ddb_pq_plan_t;

/* Decide how to run `st` against a key schema (range_name NULL for a hash-only schema); for SELECT on an
 * index pass the index's key schema. A SELECT's WHERE is read as OR branches of AND terms: each branch
 * naming partitions (`k = v` or `k IN [..]` on the partition key) with an optional sort key condition
 * (`=, <, <=, >, >=, BETWEEN, begins_with`) becomes Query reads; branches reading the same items twice are
 * refused as DynamoDB refuses them ("Overlapping conditions with range keys are not supported in where
 * clause"); a partition named by several branches is read once, whole. UPDATE and
 * DELETE need `=` on every key attribute ("Where clause does not contain a mandatory equality on all key
 * attributes"), so does SELECT with DDB_PQ_SINGLE_ITEM. ORDER BY must name a key attribute and needs a Query.
 * Returns 0 (free with ddb_pq_plan_done) or -1 with err. */
int ddb_pq_plan(const ddb_pq_stmt_t *st, const char *hash_name, const char *range_name, unsigned flags,
                ddb_pq_plan_t *out, ddb_err_t *err);
void ddb_pq_plan_done(ddb_pq_plan_t *plan);

#endif
