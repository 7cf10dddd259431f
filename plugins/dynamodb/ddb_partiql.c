/* PartiQL's ExecuteStatement and ExecuteTransaction run on the parser and planner of ddb_partiql.h: each
 * statement is parsed with its parameters, planned against the key schema of its table (or index), and run
 * on the plugin's item store, so indexes, counts, TTL and sizes stay as the item operations keep them.
 * BatchExecuteStatement runs each statement on its own and reports each one's result or error in Responses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_authz.h"
#include "ddb_index.h"
#include "ddb_item.h"
#include "ddb_item_size.h"
#include "ddb_item_store.h"
#include "ddb_partiql.h"
#include "ddb_read.h"
#include "ddb_txn.h"

#define TXN_STATEMENTS_MAX 100
#define BATCH_STATEMENTS_MAX 25

static const char DUPLICATE_MSG[] = "Duplicate primary key exists in table";
static const char KEY_TYPE_MSG[] = "Key attribute's data type should match its data type in table's schema";

static void release(void *v) { json_decref(v); }
static void stmt_free(void *st) { ddb_pq_free(st); }
static void plan_free(void *plan) { ddb_pq_plan_done(plan); }

/* A new reference kept until the request ends. */
static json_t *keep(nb_req_t *req, json_t *v) {
    if (v != NULL)
        nb_req_on_free(req, release, v);
    return v;
}

/* An error of the parser or planner, with the transaction's prefix when `prefix` is set. */
static nb_result_t pq_error(nb_req_t *req, const ddb_err_t *err, const char *prefix) {
    if (prefix == NULL || err->code != NULL)
        return ddb_expr_error(req, err);
    return nb_error(req, err->code ? err->code : "ValidationException", "%s%s", prefix, err->msg);
}

/* One statement parsed and planned against its table: what every kind starts with. A run that meets a
 * condition failure or a duplicate key sets `failed` (the exception's name) instead of answering, so a batch can
 * report it per statement; `out` is the answer otherwise. */
typedef struct pq_run {
    ddb_pq_stmt_t *st;
    ddb_table_t *t;
    const ddb_index_t *ix;
    ddb_pq_plan_t *plan;
    const char *failed;
    json_t *old; /* the item a failed condition saw */
    json_t *out;
} pq_run_t;

/* Parse, find the table and plan, without answering: 0, or -1 with err (err->code the exception, NULL for
 * ValidationException); a store failure is NB_ESTORE. */
static int pq_plan_run(nb_req_t *req, const json_t *input, unsigned flags, pq_run_t *r, ddb_err_t *err) {
    const char *text = nb_json_str(input, "Statement");
    if (ddb_pq_parse(text ? text : "", json_object_get(input, "Parameters"), &r->st, err) != 0)
        return -1;
    nb_req_on_free(req, stmt_free, r->st);
    if (ddb_authz_statement(req, r->st, err) != 0)
        return -1;
    int rc = ddb_table_find(req, r->st->table, &r->t);
    if (rc == NB_ENOENT) {
        err->code = "ResourceNotFoundException";
        snprintf(err->msg, sizeof err->msg, "Requested resource not found");
        return -1;
    }
    if (rc != 0)
        return rc;
    const ddb_keydef_t *kd = &r->t->key;
    if (r->st->index != NULL) {
        if ((r->ix = ddb_table_index(r->t, r->st->index)) == NULL) {
            snprintf(err->msg, sizeof err->msg, "The table does not have the specified index");
            return -1;
        }
        if (r->ix->global && nb_json_bool(input, "ConsistentRead", false)) {
            snprintf(err->msg, sizeof err->msg, "Strongly consistent read is not supported on Global Secondary Indexes");
            return -1;
        }
        kd = &r->ix->key;
    }
    r->plan = nb_req_alloc(req, sizeof *r->plan);
    if (r->plan == NULL)
        return NB_ENOMEM;
    if (ddb_pq_plan(r->st, kd->hash.name, kd->range.name, flags, r->plan, err) != 0)
        return -1;
    nb_req_on_free(req, plan_free, r->plan);
    const ddb_keyattr_t *ka[2] = {&r->t->key.hash, &r->t->key.range};
    for (int i = 0; i < 2 && r->plan->key != NULL; i++) {
        uint8_t buf[DDB_NUM_KEY_MAX];
        const uint8_t *bytes;
        size_t n;
        const json_t *v = ka[i]->name ? json_object_get(r->plan->key, ka[i]->name) : NULL;
        if (v != NULL && ddb_key_bytes(v, ka[i]->type, buf, &bytes, &n) != 0) {
            snprintf(err->msg, sizeof err->msg, "%s", KEY_TYPE_MSG);
            return -1;
        }
    }
    return 0;
}

static nb_step_t pq_prepare(nb_req_t *req, const json_t *input, unsigned flags, const char *prefix, pq_run_t *r) {
    ddb_err_t err = {0};
    int rc = pq_plan_run(req, input, flags, r, &err);
    if (rc > 0)
        return nb_stop(NB_FAILED(rc));
    return rc < 0 ? nb_stop(pq_error(req, &err, prefix)) : NB_GO_ON;
}

/* The item plan.key names: its key bytes and the stored item (NULL when none, kept until the request ends). */
static nb_step_t pq_target(nb_req_t *req, const pq_run_t *r, ddb_keybytes_t *key, json_t **old, size_t *old_size) {
    NB_TRY_STEP(ddb_key_of_param(req, r->t, r->plan->key, key));
    *old = NULL;
    *old_size = 0;
    int rc = ddb_item_get(r->t, key, old, old_size);
    if (rc != 0 && rc != NB_ENOENT)
        return nb_stop(NB_FAILED(rc));
    keep(req, *old);
    return NB_GO_ON;
}

/* ---- SELECT ---- */

/* The items a SELECT evaluates, in order, up to `want` of them (0: all), as the index projects them. */
typedef struct collect {
    const pq_run_t *r;
    json_t *items;
    size_t want;
    size_t bytes;
} collect_t;

static int collect_one(void *arg, const json_t *item, size_t size) {
    collect_t *c = arg;
    json_array_append_new(c->items, c->r->ix ? ddb_index_project(c->r->t, c->r->ix, item) : json_incref((json_t *)item));
    c->bytes += size;
    return c->want > 0 && json_array_size(c->items) >= c->want;
}

/* NextToken is the number of items evaluated by the pages before. */
static nb_step_t page_start(nb_req_t *req, const json_t *input, size_t *offset) {
    const char *token = nb_json_str(input, "NextToken");
    *offset = 0;
    if (token == NULL)
        return NB_GO_ON;
    char *end;
    unsigned long long v = strtoull(token, &end, 10);
    if (token[0] < '0' || token[0] > '9' || *end != '\0')
        return nb_stop(ddb_invalid(req, "Invalid NextToken"));
    *offset = (size_t)v;
    return NB_GO_ON;
}

static nb_step_t run_select(nb_req_t *req, const json_t *input, pq_run_t *r) {
    size_t offset, limit = (size_t)nb_json_int(input, "Limit", 0);
    NB_TRY_STEP(page_start(req, input, &offset));
    collect_t c = {.r = r, .items = keep(req, json_array()), .want = limit ? offset + limit + 1 : 0};
    const ddb_pq_plan_t *plan = r->plan;
    if (plan->access == DDB_PQ_GET) {
        ddb_keybytes_t key;
        json_t *old;
        size_t size;
        NB_TRY_STEP(pq_target(req, r, &key, &old, &size));
        if (old != NULL)
            collect_one(&c, old, size);
    } else {
        size_t nq = plan->access == DDB_PQ_QUERY ? plan->nqueries : 1;
        for (size_t i = 0; i < nq && !(c.want > 0 && json_array_size(c.items) >= c.want); i++) {
            const ddb_keycond_t *kc = plan->access == DDB_PQ_QUERY ? &plan->queries[i] : NULL;
            int rc = ddb_read_each(req, r->t, r->ix, kc, plan->forward, collect_one, &c);
            if (rc < 0)
                return nb_stop(ddb_invalid(req, "%s", KEY_TYPE_MSG));
            if (rc != 0)
                return nb_stop(NB_FAILED(rc));
        }
    }
    json_t *items = json_array();
    json_t *out = r->out = keep(req, json_pack("{s:o}", "Items", items));
    size_t n = json_array_size(c.items), end = limit && offset + limit < n ? offset + limit : n;
    for (size_t i = offset; i < end; i++) {
        const json_t *item = json_array_get(c.items, i);
        if (r->st->where == NULL || ddb_cond_eval(r->st->where, item))
            json_array_append_new(items, r->st->proj ? ddb_proj_apply(r->st->proj, item) : json_incref((json_t *)item));
    }
    if (end < n)
        json_object_set_new(out, "NextToken", json_string(nb_req_printf(req, "%zu", end)));
    json_t *consumed = ddb_consumed(input, r->t->name, ddb_read_units(c.bytes, nb_json_bool(input, "ConsistentRead", false)));
    if (consumed != NULL)
        json_object_set_new(out, "ConsumedCapacity", consumed);
    return NB_GO_ON;
}

/* ---- INSERT, UPDATE, DELETE ---- */

/* A write's answer: Items holds what RETURNING asked for (`item`, a new reference, or NULL). */
static nb_step_t answer_items(nb_req_t *req, pq_run_t *r, json_t *item) {
    json_t *items = json_array();
    if (item != NULL && json_object_size(item) > 0)
        json_array_append(items, item);
    json_decref(item);
    r->out = keep(req, json_pack("{s:o}", "Items", items));
    return NB_GO_ON;
}

static nb_step_t condition_failed(pq_run_t *r, json_t *old) {
    r->failed = "ConditionalCheckFailedException";
    r->old = old;
    return NB_GO_ON;
}

static nb_step_t run_insert(nb_req_t *req, pq_run_t *r) {
    json_t *item = keep(req, json_deep_copy(r->st->item));
    ddb_keybytes_t key;
    size_t size, old_size;
    NB_TRY_STEP(ddb_item_validate(req, r->t, item, &key, &size));
    json_t *old = NULL;
    int rc = ddb_item_get(r->t, &key, &old, &old_size);
    if (rc == 0) {
        json_decref(old);
        r->failed = "DuplicateItemException";
        return NB_GO_ON;
    }
    if (rc != NB_ENOENT || (rc = ddb_item_put(r->t, &key, NULL, 0, item, size)) != 0)
        return nb_stop(NB_FAILED(rc));
    return answer_items(req, r, NULL);
}

/* The update's tree as the item operations take it. */
static ddb_params_t *update_params(nb_req_t *req, const pq_run_t *r) {
    ddb_params_t *p = nb_req_alloc(req, sizeof *p);
    if (p != NULL) {
        p->cond = r->plan->cond;
        p->update = r->st->update;
    }
    return p;
}

static nb_step_t run_update(nb_req_t *req, pq_run_t *r) {
    ddb_keybytes_t key, newkey;
    json_t *old, *item;
    size_t old_size, size;
    NB_TRY_STEP(pq_target(req, r, &key, &old, &old_size));
    if (old == NULL || (r->plan->cond != NULL && !ddb_cond_eval(r->plan->cond, old)))
        return condition_failed(r, old);
    ddb_params_t *p = update_params(req, r);
    if (p == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    NB_TRY_STEP(ddb_update_build(req, r->t, p, r->plan->key, old, &item));
    NB_TRY_STEP(ddb_item_validate(req, r->t, item, &newkey, &size));
    int rc = ddb_item_put(r->t, &key, old, old_size, item, size);
    if (rc != 0)
        return nb_stop(NB_FAILED(rc));
    ddb_pq_returning_t ret = r->st->returning;
    if (ret == DDB_PQ_RET_NONE)
        return answer_items(req, r, NULL);
    const json_t *src = ret == DDB_PQ_RET_ALL_OLD || ret == DDB_PQ_RET_MODIFIED_OLD ? old : item;
    if (ret == DDB_PQ_RET_ALL_OLD || ret == DDB_PQ_RET_ALL_NEW)
        return answer_items(req, r, json_incref((json_t *)src));
    ddb_proj_t *paths = ddb_update_paths(r->st->update);
    json_t *attrs = paths ? ddb_proj_apply(paths, src) : NULL;
    ddb_proj_free(paths);
    return answer_items(req, r, attrs);
}

static nb_step_t run_delete(nb_req_t *req, pq_run_t *r) {
    ddb_keybytes_t key;
    json_t *old;
    size_t old_size;
    NB_TRY_STEP(pq_target(req, r, &key, &old, &old_size));
    if (old == NULL)
        return answer_items(req, r, NULL);
    if (r->plan->cond != NULL && !ddb_cond_eval(r->plan->cond, old))
        return condition_failed(r, old);
    int rc = ddb_item_remove(r->t, &key, old, old_size);
    if (rc != 0)
        return nb_stop(NB_FAILED(rc));
    return answer_items(req, r, r->st->returning == DDB_PQ_RET_ALL_OLD ? json_incref(old) : NULL);
}

/* Runs a prepared statement: r->out, or r->failed. */
static nb_step_t pq_run(nb_req_t *req, const json_t *input, pq_run_t *r) {
    switch (r->st->kind) {
    case DDB_PQ_SELECT:
        return run_select(req, input, r);
    case DDB_PQ_INSERT:
        return run_insert(req, r);
    case DDB_PQ_UPDATE:
        return run_update(req, r);
    case DDB_PQ_DELETE:
        return run_delete(req, r);
    default: /* the parser refuses EXISTS outside a transaction */
        return nb_stop(ddb_invalid(req, "Statement wasn't well formed, can't be processed: Unexpected keyword"));
    }
}

nb_result_t dynamodb_execute_statement(nb_req_t *req, const json_t *input) {
    pq_run_t r = {0};
    NB_TRY(pq_prepare(req, input, 0, NULL, &r));
    NB_TRY(pq_run(req, input, &r));
    if (r.failed != NULL && strcmp(r.failed, "DuplicateItemException") == 0)
        return nb_error(req, r.failed, DUPLICATE_MSG);
    if (r.failed != NULL)
        return ddb_condition_failed(req, input, r.old);
    return nb_reply_new(req, json_incref(r.out));
}

/* ---- ExecuteTransaction ---- */

/* All SELECTs of one item each: TransactGetItems' answer, one response per statement. */
static nb_result_t transact_reads(nb_req_t *req, pq_run_t *runs, size_t n) {
    json_t *responses = json_array();
    json_t *out = keep(req, json_pack("{s:o}", "Responses", responses));
    for (size_t i = 0; i < n; i++) {
        ddb_keybytes_t key;
        json_t *old;
        size_t size;
        NB_TRY(pq_target(req, &runs[i], &key, &old, &size));
        json_t *resp = json_object();
        if (old != NULL)
            json_object_set_new(resp, "Item", runs[i].st->proj ? ddb_proj_apply(runs[i].st->proj, old) : json_incref(old));
        json_array_append_new(responses, resp);
    }
    return nb_reply_new(req, json_incref(out));
}

/* All writes (and EXISTS checks): TransactWriteItems' all-or-nothing, with its CancellationReasons. */
static nb_result_t transact_writes(nb_req_t *req, const json_t *input, const json_t *statements, pq_run_t *runs,
                                   size_t n) {
    ddb_txn_op_t *ops = nb_req_alloc(req, (n + 1) * sizeof *ops);
    if (ops == NULL)
        return NB_FAILED(NB_ENOMEM);
    for (size_t i = 0; i < n; i++) {
        pq_run_t *r = &runs[i];
        ddb_txn_op_t *op = &ops[i];
        op->t = r->t;
        op->p = update_params(req, r);
        if (op->p == NULL)
            return NB_FAILED(NB_ENOMEM);
        op->in = json_array_get(statements, i);
        switch (r->st->kind) {
        case DDB_PQ_INSERT:
            op->kind = "Put";
            op->must_exist = -1;
            op->item = keep(req, json_deep_copy(r->st->item));
            NB_TRY(ddb_item_validate(req, r->t, op->item, &op->key, &op->size));
            break;
        case DDB_PQ_UPDATE:
            op->kind = "Update";
            op->must_exist = 1;
            /* the statement with the Key an update starts from (ReturnValuesOnConditionCheckFailure kept) */
            json_t *in = keep(req, json_deep_copy(op->in));
            json_object_set(in, "Key", r->plan->key);
            op->in = in;
            break;
        case DDB_PQ_DELETE:
            op->kind = "Delete";
            break;
        default:
            op->kind = "ConditionCheck";
            break;
        }
        if (r->st->kind == DDB_PQ_INSERT) {
            int rc = ddb_item_get(r->t, &op->key, &op->old, &op->old_size);
            if (rc != 0 && rc != NB_ENOENT)
                return NB_FAILED(rc);
            keep(req, op->old);
        } else {
            NB_TRY(pq_target(req, r, &op->key, &op->old, &op->old_size));
        }
    }
    return ddb_txn_write(req, input, ops, n);
}

nb_result_t dynamodb_execute_transaction(nb_req_t *req, const json_t *input) {
    const json_t *statements = json_object_get(input, "TransactStatements");
    size_t n = json_array_size(statements);
    if (n > TXN_STATEMENTS_MAX)
        return ddb_too_long(req, "transactStatements", TXN_STATEMENTS_MAX);
    pq_run_t *runs = nb_req_alloc(req, (n + 1) * sizeof *runs);
    if (runs == NULL)
        return NB_FAILED(NB_ENOMEM);
    size_t reads = 0;
    for (size_t i = 0; i < n; i++) {
        char *prefix = nb_req_printf(req, "Validation failed in TransactStatements[%zu]: ", i);
        NB_TRY(pq_prepare(req, json_array_get(statements, i), DDB_PQ_IN_TRANSACTION, prefix, &runs[i]));
        reads += runs[i].st->kind == DDB_PQ_SELECT;
    }
    if (reads > 0 && reads < n)
        return ddb_invalid(req, "Transaction statements must be all reads or all writes");
    return reads ? transact_reads(req, runs, n) : transact_writes(req, input, statements, runs, n);
}

/* ---- BatchExecuteStatement ---- */

/* A statement's error as BatchStatementError names it: the exception's name without "Exception", except
 * ValidationException's "ValidationError". */
static json_t *batch_error(const char *exception, const char *msg) {
    const char *code = exception ? exception : "ValidationException";
    size_t n = strlen(code);
    json_t *e = strcmp(code, "ValidationException") == 0
                    ? json_string("ValidationError")
                    : json_stringn(code, n > 9 && strcmp(code + n - 9, "Exception") == 0 ? n - 9 : n);
    return json_pack("{s:{s:o,s:s}}", "Error", "Code", e, "Message", msg);
}

nb_result_t dynamodb_batch_execute_statement(nb_req_t *req, const json_t *input) {
    const json_t *statements = json_object_get(input, "Statements");
    size_t n = json_array_size(statements);
    if (n > BATCH_STATEMENTS_MAX)
        return ddb_too_long(req, "statements", BATCH_STATEMENTS_MAX);
    json_t *responses = json_array();
    json_t *out = keep(req, json_pack("{s:o}", "Responses", responses));
    for (size_t i = 0; i < n; i++) {
        const json_t *stmt = json_array_get(statements, i);
        pq_run_t r = {0};
        ddb_err_t err = {0};
        int rc = pq_plan_run(req, stmt, DDB_PQ_IN_BATCH, &r, &err);
        if (rc > 0)
            return NB_FAILED(rc);
        if (rc < 0) {
            json_array_append_new(responses, batch_error(err.code, err.msg));
            continue;
        }
        NB_TRY(pq_run(req, stmt, &r));
        json_t *resp;
        if (r.failed != NULL) {
            bool dup = strcmp(r.failed, "DuplicateItemException") == 0;
            resp = batch_error(r.failed, dup ? DUPLICATE_MSG : "The conditional request failed");
            if (!dup && r.old != NULL && nb_json_str_eq(stmt, "ReturnValuesOnConditionCheckFailure", "ALL_OLD"))
                json_object_set(json_object_get(resp, "Error"), "Item", r.old);
        } else {
            resp = json_object();
            json_t *item = json_array_get(json_object_get(r.out, "Items"), 0);
            if (r.st->kind == DDB_PQ_SELECT && item != NULL)
                json_object_set(resp, "Item", item);
        }
        json_object_set_new(resp, "TableName", json_string(r.t->name));
        json_array_append_new(responses, resp);
    }
    return nb_reply_new(req, json_incref(out));
}
