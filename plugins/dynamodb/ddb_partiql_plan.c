/* Planning a parsed statement against a key schema: the key equalities and sort key conditions found in
 * the top-level AND terms of WHERE pick GetItem, Query or Scan; UPDATE / DELETE get their key and the
 * rest of WHERE as a condition. */
#include <stdlib.h>
#include <string.h>

#include "ddb_partiql_int.h"

#define KEY_EQUALITY_MISSING "Where clause does not contain a mandatory equality on all key attributes"

/* The value a term compares attribute `name` with, for `name = v` or `v = name`. */
static json_t *equality(const pq_node_t *t, const char *name)
{
    if (t->kind != PN_CMP || strcmp(t->op, "=") != 0)
        return NULL;
    for (int side = 0; side < 2; side++) {
        const pq_node_t *a = t->args[side], *v = t->args[1 - side];
        if (a->kind == PN_PATH && v->kind == PN_VALUE && pq_path_is_attr(&a->path, name))
            return v->value;
    }
    return NULL;
}

static bool is_in_on(const pq_node_t *t, const char *name)
{
    return t->kind == PN_IN && t->args[0]->kind == PN_PATH && pq_path_is_attr(&t->args[0]->path, name);
}

/* Whether a term constrains top-level attribute `name` (a comparison, BETWEEN, IN or begins_with on it). */
static bool constrains(const pq_node_t *t, const char *name)
{
    switch (t->kind) {
    case PN_CMP:
        return (t->args[0]->kind == PN_PATH && pq_path_is_attr(&t->args[0]->path, name)) ||
               (t->args[1]->kind == PN_PATH && pq_path_is_attr(&t->args[1]->path, name));
    case PN_BETWEEN: case PN_IN:
        return t->args[0]->kind == PN_PATH && pq_path_is_attr(&t->args[0]->path, name);
    case PN_CALL:
        return strcmp(t->fname, "begins_with") == 0 && t->nargs == 2 && t->args[0]->kind == PN_PATH &&
               pq_path_is_attr(&t->args[0]->path, name);
    default:
        return false;
    }
}

static size_t count_constraints(const pq_node_t **terms, size_t n, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += constrains(terms[i], name);
    return k;
}

/* Key values must be scalars of a key type. */
static int key_type_check(const char *name, const json_t *v, ddb_err_t *err)
{
    ddb_type_t t = ddb_value_type(v, NULL);
    if (t == DDB_T_S || t == DDB_T_N || t == DDB_T_B)
        return 0;
    ddb_err_set(err, "Key value must be of type S, N, or B. Key name: %s, Key type: %s", name, ddb_type_name(t));
    return -1;
}

/* The AND of the terms not used as key equalities, as a condition tree (NULL when none are left). */
static int residual(const pq_node_t **terms, size_t n, const bool *used, ddb_cond_t **out, ddb_err_t *err)
{
    pq_gen_t g;
    pq_gen_init(&g);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (used[i])
            continue;
        pq_gen_str(&g, any ? " AND " : "");
        pq_gen_str(&g, terms[i]->kind == PN_OR ? "(" : "");
        pq_gen_cond(&g, terms[i]);
        pq_gen_str(&g, terms[i]->kind == PN_OR ? ")" : "");
        any = true;
    }
    *out = any ? pq_gen_to_cond(&g, err) : NULL;
    pq_gen_done(&g);
    return any && !*out ? -1 : 0;
}

static int key_set(json_t *key, const char *name, json_t *v, ddb_err_t *err)
{
    if (json_object_set(key, name, v) == 0)
        return 0;
    ddb_err_oom(err);
    return -1;
}

/* The full key from equalities on every key attribute; marks the terms used. */
static int full_key(const pq_node_t **terms, size_t n, bool *used, const char *hash_name, const char *range_name,
                    const char *missing, ddb_pq_plan_t *out, ddb_err_t *err)
{
    const char *names[2] = {hash_name, range_name};
    if (!(out->key = json_object())) {
        ddb_err_oom(err);
        return -1;
    }
    for (int k = 0; k < 2 && names[k]; k++) {
        size_t i = 0;
        json_t *v = NULL;
        for (; i < n && !(v = equality(terms[i], names[k])); i++)
            ;
        if (!v) {
            ddb_err_set(err, "%s", missing);
            return -1;
        }
        if (count_constraints(terms, n, names[k]) > 1) {
            ddb_err_set(err, "Multiple conditions on same key %s. Only single item Update/Insert/Delete are supported",
                        names[k]);
            return -1;
        }
        used[i] = true;
        if (key_type_check(names[k], v, err) != 0 || key_set(out->key, names[k], v, err) != 0)
            return -1;
    }
    return 0;
}

/* Partitions read in ORDER BY the partition key: by their value, in the direction asked. */
static void sort_queries(ddb_pq_plan_t *out)
{
    for (size_t i = 1; i < out->nqueries; i++) {
        for (size_t j = i; j > 0; j--) {
            int c = 0;
            ddb_value_compare(out->queries[j - 1].hash_value, out->queries[j].hash_value, &c);
            if ((out->forward ? c : -c) <= 0)
                break;
            ddb_keycond_t tmp = out->queries[j];
            out->queries[j] = out->queries[j - 1];
            out->queries[j - 1] = tmp;
        }
    }
}

/* One read of a SELECT: a partition and the sort key range of the branch naming it. */
typedef struct pq_read {
    json_t *hash;
    pq_range_t range;
} pq_read_t;

typedef struct pq_reads {
    pq_read_t *r;
    size_t n, cap;
} pq_reads_t;

static void reads_done(pq_reads_t *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        pq_range_done(&rs->r[i].range);
    free(rs->r);
}

/* The reads of one branch: its partition values (= or IN) with its sort key range. 1: the branch names no
 * partition (the statement is a Scan), 0: added, -1: error. */
static int branch_reads(const pq_node_t *branch, const char *hash_name, const char *range_name, pq_reads_t *rs,
                        ddb_err_t *err)
{
    size_t n = pq_terms(branch, PN_AND, NULL, 0);
    const pq_node_t **terms = calloc(n, sizeof *terms);
    if (!terms) {
        ddb_err_oom(err);
        return -1;
    }
    pq_terms(branch, PN_AND, terms, n);
    const pq_node_t *hash_term = NULL;
    size_t nhash = 0;
    for (size_t i = 0; i < n; i++) {
        if (equality(terms[i], hash_name) || is_in_on(terms[i], hash_name)) {
            hash_term = hash_term ? hash_term : terms[i];
            nhash++;
        }
    }
    int rc = 1;
    if (nhash > 1) {
        ddb_err_set(err, "Only single equality condition should be present on hash key %s", hash_name);
        rc = -1;
    }
    json_t *eq = hash_term ? equality(hash_term, hash_name) : NULL;
    size_t nvals = !hash_term ? 0 : eq ? 1 : hash_term->nargs - 1;
    for (size_t v = 0; rc == 1 && v < nvals; v++)
        if (key_type_check(hash_name, eq ? eq : hash_term->args[v + 1]->value, err) != 0)
            rc = -1;
    if (rc == 1 && hash_term) {
        if (rs->n + nvals > rs->cap) {
            size_t cap = (rs->n + nvals) * 2;
            pq_read_t *r = realloc(rs->r, cap * sizeof *r);
            if (!r) {
                ddb_err_oom(err);
                free(terms);
                return -1;
            }
            rs->r = r;
            rs->cap = cap;
        }
        for (size_t v = 0; rc == 1 && v < nvals; v++) {
            pq_read_t *r = &rs->r[rs->n];
            r->hash = eq ? eq : hash_term->args[v + 1]->value;
            if (pq_range_of(terms, n, range_name, &r->range) != 0) {
                ddb_err_oom(err);
                rc = -1;
                break;
            }
            rs->n++;
        }
        if (rc == 1)
            rc = 0;
    }
    free(terms);
    return rc;
}

/* SELECT: every OR branch names partitions (= or IN) -> GetItem for one full key, else one Query per
 * partition (a partition named by several branches is read once, whole: the filter keeps what each asked);
 * any branch without one -> Scan. */
static int select_plan(const pq_node_t *root, const char *hash_name, const char *range_name, bool index,
                       ddb_pq_plan_t *out, ddb_err_t *err)
{
    out->access = DDB_PQ_SCAN;
    if (!root)
        return 0;
    size_t nb = pq_terms(root, PN_OR, NULL, 0);
    const pq_node_t **branches = calloc(nb, sizeof *branches);
    pq_reads_t rs = {0};
    int rc = -1;
    if (!branches) {
        ddb_err_oom(err);
        return -1;
    }
    pq_terms(root, PN_OR, branches, nb);
    bool scan = false;
    for (size_t b = 0; b < nb && !scan; b++) {
        int r = branch_reads(branches[b], hash_name, range_name, &rs, err);
        if (r < 0)
            goto done;
        scan = r == 1;
    }
    if (scan) {
        rc = 0;
        goto done;
    }
    for (size_t i = 0; i < rs.n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (ddb_value_equal(rs.r[i].hash, rs.r[j].hash) && pq_ranges_overlap(&rs.r[i].range, &rs.r[j].range)) {
                ddb_err_set(err, "Overlapping conditions with range keys are not supported in where clause");
                goto done;
            }
        }
    }
    /* an index key names no single item: an index is always queried */
    if (rs.n == 1 && nb == 1 && !index && (!range_name || rs.r[0].range.op == DDB_KEY_EQ)) {
        out->access = DDB_PQ_GET;
        if (!(out->key = json_object()) || key_set(out->key, hash_name, rs.r[0].hash, err) != 0 ||
            (range_name && key_set(out->key, range_name, rs.r[0].range.values[0], err) != 0)) {
            ddb_err_oom(err);
            goto done;
        }
        rc = 0;
        goto done;
    }
    out->access = DDB_PQ_QUERY;
    if (!(out->queries = calloc(rs.n, sizeof *out->queries))) {
        ddb_err_oom(err);
        goto done;
    }
    for (size_t i = 0; i < rs.n; i++) {
        ddb_keycond_t *seen = NULL;
        for (size_t q = 0; q < out->nqueries && !seen; q++)
            if (ddb_value_equal(out->queries[q].hash_value, rs.r[i].hash))
                seen = &out->queries[q];
        if (seen) { /* read the partition whole once */
            json_t *h = json_incref(seen->hash_value);
            ddb_keycond_done(seen);
            seen->hash_value = h;
            continue;
        }
        ddb_keycond_t *kc = &out->queries[out->nqueries++];
        kc->hash_value = json_incref(rs.r[i].hash);
        kc->range_op = rs.r[i].range.op;
        for (int k = 0; k < 2; k++)
            kc->range_values[k] = json_incref(rs.r[i].range.values[k]);
    }
    rc = 0;
done:
    reads_done(&rs);
    free(branches);
    return rc;
}

/* ORDER BY: a key attribute, of a statement with a WHERE. */
static int order_check(const ddb_pq_stmt_t *st, const char *hash_name, const char *range_name, ddb_err_t *err)
{
    if (!st->where_ast->root) {
        ddb_err_set(err, "Must have WHERE clause in the statement when using ORDER BY clause.");
        return -1;
    }
    if (strcmp(st->order_by, hash_name) != 0 && (!range_name || strcmp(st->order_by, range_name) != 0)) {
        ddb_err_set(err, "Variable reference %s in ORDER BY clause must be part of the primary key", st->order_by);
        return -1;
    }
    return 0;
}

/* ORDER BY over the reads planned: partitions must be named, and named in ORDER BY when there are several. */
static int order_plan(const ddb_pq_stmt_t *st, const char *hash_name, ddb_pq_plan_t *out, ddb_err_t *err)
{
    if (out->access == DDB_PQ_SCAN) {
        ddb_err_set(err, "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY "
                         "clause.");
        return -1;
    }
    if (out->nqueries > 1 && strcmp(st->order_by, hash_name) != 0) {
        ddb_err_set(err, "Must have hash key in ORDER BY clause when more than one hash key condition specified in "
                         "WHERE clause.");
        return -1;
    }
    sort_queries(out);
    return 0;
}

/* What the statement kind and the request it came in allow, before any key is looked at. */
static int context_check(const ddb_pq_stmt_t *st, unsigned flags, ddb_err_t *err)
{
    bool tx = flags & DDB_PQ_IN_TRANSACTION;
    if (st->kind == DDB_PQ_EXISTS && !tx) {
        ddb_err_set(err, "EXISTS can only be used in ExecuteTransaction write requests.");
        return -1;
    }
    if (st->index && st->kind == DDB_PQ_SELECT && tx) {
        ddb_err_set(err, "Reads on indices are not supported within transactions.");
        return -1;
    }
    if (st->index && st->kind == DDB_PQ_EXISTS) {
        ddb_err_set(err, "Operations on indices are not supported in transactions");
        return -1;
    }
    if (st->index && st->kind != DDB_PQ_SELECT) {
        ddb_err_set(err, "This operation is not supported on an index");
        return -1;
    }
    if (tx && st->returning != DDB_PQ_RET_NONE) {
        ddb_err_set(err, "RETURNING clause is not supported in ExecuteTransaction.");
        return -1;
    }
    return 0;
}

int ddb_pq_plan(const ddb_pq_stmt_t *st, const char *hash_name, const char *range_name, unsigned flags,
                ddb_pq_plan_t *out, ddb_err_t *err)
{
    memset(out, 0, sizeof *out);
    out->forward = !st->order_desc;
    if (context_check(st, flags, err) != 0)
        return -1;
    if (st->kind == DDB_PQ_INSERT) { /* the key of the item, for the duplicate check */
        out->access = DDB_PQ_GET;
        if (!(out->key = json_object())) {
            ddb_err_oom(err);
            return -1;
        }
        const char *names[2] = {hash_name, range_name};
        for (int k = 0; k < 2 && names[k]; k++) {
            json_t *v = json_object_get(st->item, names[k]);
            if (v && key_set(out->key, names[k], v, err) != 0) {
                ddb_pq_plan_done(out);
                return -1;
            }
        }
        return 0;
    }
    const pq_node_t *root = st->where_ast->root;
    size_t n = root ? pq_terms(root, PN_AND, NULL, 0) : 0;
    const pq_node_t **terms = calloc(n ? n : 1, sizeof *terms);
    bool *used = calloc(n ? n : 1, sizeof *used);
    int rc = -1;
    if (!terms || !used) {
        ddb_err_oom(err);
        goto done;
    }
    if (root)
        pq_terms(root, PN_AND, terms, n);
    if (st->kind != DDB_PQ_SELECT || (flags & (DDB_PQ_IN_TRANSACTION | DDB_PQ_IN_BATCH))) {
        const char *missing = KEY_EQUALITY_MISSING;
        if (st->kind == DDB_PQ_SELECT && st->index) { /* a batch reads items by their table key only */
            ddb_err_set(err, "Select statements within BatchExecuteStatement must specify the primary key in the "
                             "where clause.");
            goto done;
        }
        if (st->kind == DDB_PQ_SELECT)
            missing = (flags & DDB_PQ_IN_TRANSACTION)
                          ? "Select statements within ExecuteTransaction must specify the primary key in the where "
                            "clause."
                          : "Select statements within BatchExecuteStatement must specify the primary key in the "
                            "where clause.";
        else if (st->kind == DDB_PQ_EXISTS)
            missing = "EXISTS() must contain a single item read with additional condition";
        if (full_key(terms, n, used, hash_name, range_name, missing, out, err) != 0)
            goto done;
        out->access = DDB_PQ_GET;
        if (st->kind == DDB_PQ_SELECT) { /* a read of a batch or transaction holds key equalities only */
            for (size_t i = 0; i < n; i++) {
                if (!used[i]) {
                    ddb_err_set(err, "%s", missing);
                    goto done;
                }
            }
            rc = 0;
        } else {
            rc = residual(terms, n, used, &out->cond, err);
        }
        if (rc == 0 && st->kind == DDB_PQ_EXISTS && !out->cond) {
            ddb_err_set(err, "EXISTS() must contain a single item read with additional condition");
            rc = -1;
        }
        goto done;
    }
    if (st->order_by && order_check(st, hash_name, range_name, err) != 0)
        goto done;
    rc = select_plan(root, hash_name, range_name, st->index != NULL, out, err);
    if (rc == 0 && st->order_by)
        rc = order_plan(st, hash_name, out, err);
done:
    free(terms);
    free(used);
    if (rc != 0)
        ddb_pq_plan_done(out);
    return rc;
}

void ddb_pq_plan_done(ddb_pq_plan_t *plan)
{
    json_decref(plan->key);
    for (size_t i = 0; i < plan->nqueries; i++)
        ddb_keycond_done(&plan->queries[i]);
    free(plan->queries);
    ddb_cond_free(plan->cond);
    memset(plan, 0, sizeof *plan);
}
