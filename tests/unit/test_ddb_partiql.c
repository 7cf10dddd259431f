/* DynamoDB PartiQL: every statement form, literal kind, parameter binding, the plans chosen for a key
 * schema, and DynamoDB's error texts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_partiql.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    cr_assert_not_null(v, "bad JSON in test: %s (%s)", text, e.text);
    return v;
}

/* Assert that `v` equals the JSON text `want` (compared as JSON). */
static void assert_json(const json_t *v, const char *want)
{
    json_t *w = J(want);
    char *got = json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);
    cr_assert(json_equal(v, w), "got %s, want %s", got ? got : "(null)", want);
    free(got);
    json_decref(w);
}

static ddb_pq_stmt_t *parse_ok(const char *text, const char *params)
{
    json_t *p = params ? J(params) : NULL;
    ddb_pq_stmt_t *st = NULL;
    ddb_err_t err = {0};
    int rc = ddb_pq_parse(text, p, &st, &err);
    json_decref(p);
    cr_assert_eq(rc, 0, "parse of %s failed: %s", text, err.msg);
    cr_assert_not_null(st);
    return st;
}

/* The error message of a statement that must not parse. */
static const char *parse_err(const char *text, const char *params)
{
    static ddb_err_t err;
    json_t *p = params ? J(params) : NULL;
    ddb_pq_stmt_t *st = NULL;
    memset(&err, 0, sizeof err);
    int rc = ddb_pq_parse(text, p, &st, &err);
    json_decref(p);
    cr_assert_eq(rc, -1, "%s parsed but should not", text);
    cr_assert_null(st);
    return err.msg;
}

/* Does the WHERE of `text` select `item`? */
static bool selects(const char *text, const char *item)
{
    ddb_pq_stmt_t *st = parse_ok(text, NULL);
    json_t *it = J(item);
    bool r = ddb_cond_eval(st->where, it);
    json_decref(it);
    ddb_pq_free(st);
    return r;
}

static const char *plan_err(const char *text, const char *hash, const char *range, unsigned flags)
{
    static ddb_err_t err;
    memset(&err, 0, sizeof err);
    ddb_pq_stmt_t *st = parse_ok(text, NULL);
    ddb_pq_plan_t plan;
    int rc = ddb_pq_plan(st, hash, range, flags, &plan, &err);
    ddb_pq_free(st);
    cr_assert_eq(rc, -1, "%s planned but should not", text);
    return err.msg;
}

#define MALFORMED "Statement wasn't well formed, can't be processed: "

static const char *ITEM = "{\"pk\": {\"S\": \"k1\"}, \"sk\": {\"N\": \"5\"}, \"s\": {\"S\": \"hello\"}, "
                          "\"n\": {\"N\": \"10\"}, \"z\": {\"NULL\": true}, \"ss\": {\"SS\": [\"x\", \"y\"]}, "
                          "\"m\": {\"M\": {\"b\": {\"L\": [{\"S\": \"p\"}, {\"S\": \"q\"}]}}}, "
                          "\"Name\": {\"S\": \"upper\"}, \"we\\\"ird\": {\"S\": \"w\"}}";

/* ---- SELECT ---- */

Test(partiql_select, star_without_where_is_a_scan)
{
    ddb_pq_stmt_t *st = parse_ok("SELECT * FROM \"Music\"", NULL);
    cr_assert_eq(st->kind, DDB_PQ_SELECT);
    cr_assert_str_eq(st->table, "Music");
    cr_assert_null(st->index);
    cr_assert_null(st->proj);
    cr_assert_null(st->where);
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "pk", "sk", 0, &plan, &err), 0, "%s", err.msg);
    cr_assert_eq(plan.access, DDB_PQ_SCAN);
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
}

Test(partiql_select, keywords_any_case_unquoted_table_and_index)
{
    ddb_pq_stmt_t *st = parse_ok("select * from Music.ByArtist where pk = 'a'", NULL);
    cr_assert_str_eq(st->table, "Music");
    cr_assert_str_eq(st->index, "ByArtist");
    ddb_pq_free(st);
    st = parse_ok("SeLeCt * FrOm \"my-table\".\"my-index\"", NULL);
    cr_assert_str_eq(st->table, "my-table");
    cr_assert_str_eq(st->index, "my-index");
    ddb_pq_free(st);
}

Test(partiql_select, projection_list_with_nested_paths)
{
    ddb_pq_stmt_t *st = parse_ok("SELECT s, m.b[1], \"Name\" FROM T", NULL);
    cr_assert_not_null(st->proj);
    json_t *item = J(ITEM);
    json_t *out = ddb_proj_apply(st->proj, item);
    assert_json(out, "{\"s\": {\"S\": \"hello\"}, \"Name\": {\"S\": \"upper\"},"
                     " \"m\": {\"M\": {\"b\": {\"L\": [{\"S\": \"q\"}]}}}}");
    json_decref(out);
    json_decref(item);
    ddb_pq_free(st);
}

Test(partiql_select, comparisons)
{
    cr_assert(selects("SELECT * FROM T WHERE s = 'hello'", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE s = 'Hello'", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE s <> 'x'", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE s != 'x'", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE n < 10.5", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE n < 10", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE n <= 10", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE n > 9.99", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE n > 10", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE n >= 1e1", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE 10 = n", ITEM));
}

Test(partiql_select, between_in_and_or_not)
{
    cr_assert(selects("SELECT * FROM T WHERE n BETWEEN 1 AND 10", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE n BETWEEN 11 AND 20", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE s IN ['a', 'hello']", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE s IN ('a', 'hello')", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE s IN ['a', 'b']", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE s NOT IN ['a', 'b']", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE s = 'x' OR n = 10 AND pk = 'k1'", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE (s = 'x' OR n = 10) AND pk = 'k2'", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE NOT s = 'x'", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE NOT (s = 'hello' AND n = 10)", ITEM));
}

Test(partiql_select, missing_null_and_functions)
{
    cr_assert(selects("SELECT * FROM T WHERE nothere IS MISSING", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE s IS MISSING", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE s IS NOT MISSING", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE z IS NULL", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE s IS NOT NULL", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE attribute_exists(m.b[1])", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE attribute_exists(m.b[2])", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE attribute_not_exists(m.c)", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE begins_with(s, 'he')", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE BEGINS_WITH(s, 'lo')", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE contains(ss, 'y')", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE contains(s, 'ell')", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE size(s) = 5", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE size(m.b) > 1", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE attribute_type(n, 'N')", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE m.b[0] = 'p'", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE m['b'][1] = 'q'", ITEM));
}

Test(partiql_select, quoted_identifiers_are_case_sensitive)
{
    cr_assert(selects("SELECT * FROM T WHERE \"Name\" = 'upper'", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE Name = 'upper'", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE name = 'upper'", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE \"we\"\"ird\" = 'w'", ITEM));
    /* a reserved word of the expression language is fine as an attribute name */
    cr_assert(selects("SELECT * FROM T WHERE \"size\" IS MISSING", ITEM));
}

Test(partiql_plan, get_when_every_key_attribute_has_an_equality)
{
    ddb_pq_stmt_t *st = parse_ok("SELECT * FROM T WHERE pk = 'k1' AND n > 3 AND 5 = sk", NULL);
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "pk", "sk", 0, &plan, &err), 0, "%s", err.msg);
    cr_assert_eq(plan.access, DDB_PQ_GET);
    assert_json(plan.key, "{\"pk\": {\"S\": \"k1\"}, \"sk\": {\"N\": \"5\"}}");
    ddb_pq_plan_done(&plan);
    /* hash-only schema */
    cr_assert_eq(ddb_pq_plan(st, "pk", NULL, 0, &plan, &err), 0, "%s", err.msg);
    cr_assert_eq(plan.access, DDB_PQ_GET);
    assert_json(plan.key, "{\"pk\": {\"S\": \"k1\"}}");
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
}

Test(partiql_plan, query_of_in_partitions_with_sort_condition_and_order)
{
    ddb_pq_stmt_t *st = parse_ok("SELECT * FROM T WHERE pk IN ['a', 'c', 'b'] AND sk BETWEEN 1 AND 9", NULL);
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "pk", "sk", 0, &plan, &err), 0, "%s", err.msg);
    cr_assert_eq(plan.access, DDB_PQ_QUERY);
    cr_assert(plan.forward);
    cr_assert_eq(plan.nqueries, 3);
    assert_json(plan.queries[0].hash_value, "{\"S\": \"a\"}");
    assert_json(plan.queries[1].hash_value, "{\"S\": \"c\"}");
    cr_assert_eq(plan.queries[1].range_op, DDB_KEY_BETWEEN);
    assert_json(plan.queries[1].range_values[0], "{\"N\": \"1\"}");
    assert_json(plan.queries[1].range_values[1], "{\"N\": \"9\"}");
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
    /* ORDER BY the partition key: partitions in key order, descending here */
    st = parse_ok("SELECT * FROM T WHERE pk IN ['a', 'c', 'b'] ORDER BY pk DESC", NULL);
    cr_assert_str_eq(st->order_by, "pk");
    cr_assert(st->order_desc);
    cr_assert_eq(ddb_pq_plan(st, "pk", "sk", 0, &plan, &err), 0, "%s", err.msg);
    cr_assert_not(plan.forward);
    cr_assert_eq(plan.nqueries, 3);
    assert_json(plan.queries[0].hash_value, "{\"S\": \"c\"}");
    assert_json(plan.queries[1].hash_value, "{\"S\": \"b\"}");
    assert_json(plan.queries[2].hash_value, "{\"S\": \"a\"}");
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
}

Test(partiql_plan, an_index_is_queried_even_with_its_full_key)
{
    ddb_pq_stmt_t *st = parse_ok("SELECT * FROM \"T\".\"byCity\" WHERE city = 'Oslo' AND zip = 150", NULL);
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "city", "zip", 0, &plan, &err), 0, "%s", err.msg);
    cr_assert_eq(plan.access, DDB_PQ_QUERY);
    cr_assert_null(plan.key);
    cr_assert_eq(plan.nqueries, 1);
    assert_json(plan.queries[0].hash_value, "{\"S\": \"Oslo\"}");
    cr_assert_eq(plan.queries[0].range_op, DDB_KEY_EQ);
    assert_json(plan.queries[0].range_values[0], "{\"N\": \"150\"}");
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
}

Test(partiql_plan, query_sort_conditions)
{
    static const struct { const char *where; ddb_keyop_t op; const char *val; } CASES[] = {
        {"pk = 'a'", DDB_KEY_NONE, NULL},
        {"pk = 'a' AND sk < 3", DDB_KEY_LT, "{\"N\": \"3\"}"},
        {"pk = 'a' AND 3 < sk", DDB_KEY_GT, "{\"N\": \"3\"}"},
        {"sk <= 3 AND pk = 'a'", DDB_KEY_LE, "{\"N\": \"3\"}"},
        {"pk = 'a' AND sk >= 3", DDB_KEY_GE, "{\"N\": \"3\"}"},
        {"pk = 'a' AND begins_with(sk, 'x')", DDB_KEY_BEGINS_WITH, "{\"S\": \"x\"}"},
        {"pk = 'a' AND (sk = 1 OR sk = 2)", DDB_KEY_NONE, NULL},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "SELECT * FROM T WHERE %s ORDER BY sk ASC", CASES[i].where);
        ddb_pq_stmt_t *st = parse_ok(text, NULL);
        ddb_pq_plan_t plan;
        ddb_err_t err = {0};
        cr_assert_eq(ddb_pq_plan(st, "pk", "sk", 0, &plan, &err), 0, "%s: %s", text, err.msg);
        cr_assert_eq(plan.access, DDB_PQ_QUERY, "%s", text);
        cr_assert(plan.forward);
        cr_assert_eq(plan.nqueries, 1);
        cr_assert_eq(plan.queries[0].range_op, CASES[i].op, "%s", text);
        if (CASES[i].val)
            assert_json(plan.queries[0].range_values[0], CASES[i].val);
        ddb_pq_plan_done(&plan);
        ddb_pq_free(st);
    }
}

/* The plan of `where` on a pk/sk table: access and number of queries; -1 with the message in *msg. */
static int plan_of(const char *where, size_t *nq, ddb_keyop_t *op0, const char **msg)
{
    static ddb_err_t err;
    char text[512];
    snprintf(text, sizeof text, "SELECT * FROM T WHERE %s", where);
    ddb_pq_stmt_t *st = parse_ok(text, NULL);
    ddb_pq_plan_t plan;
    memset(&err, 0, sizeof err);
    int rc = ddb_pq_plan(st, "pk", "sk", 0, &plan, &err);
    ddb_pq_free(st);
    *msg = err.msg;
    if (rc != 0)
        return -1;
    int access = (int)plan.access;
    *nq = plan.nqueries;
    *op0 = plan.nqueries ? plan.queries[0].range_op : DDB_KEY_NONE;
    ddb_pq_plan_done(&plan);
    return access;
}

Test(partiql_plan, or_branches_become_queries)
{
    size_t nq;
    ddb_keyop_t op;
    const char *msg;
    cr_assert_eq(plan_of("pk = 'a' OR pk = 'b'", &nq, &op, &msg), DDB_PQ_QUERY, "%s", msg);
    cr_assert_eq(nq, 2);
    cr_assert_eq(plan_of("pk = 'a' AND sk = 1 OR pk = 'b' AND sk > 3", &nq, &op, &msg), DDB_PQ_QUERY, "%s", msg);
    cr_assert_eq(nq, 2);
    cr_assert_eq(op, DDB_KEY_EQ);
    /* one partition from two branches with disjoint ranges: read once, whole */
    cr_assert_eq(plan_of("pk = 'a' AND sk < 'm' OR pk = 'a' AND sk >= 'm'", &nq, &op, &msg), DDB_PQ_QUERY, "%s", msg);
    cr_assert_eq(nq, 1);
    cr_assert_eq(op, DDB_KEY_NONE);
    cr_assert_eq(plan_of("pk = 'r' AND begins_with(sk, 'ab') OR pk = 'r' AND sk = 'ac'", &nq, &op, &msg),
                 DDB_PQ_QUERY, "%s", msg);
    /* a negated sort key condition is not counted as overlapping, as in DynamoDB */
    cr_assert_eq(plan_of("pk = 'a' AND NOT sk = 1 OR pk = 'a' AND sk = 2", &nq, &op, &msg), DDB_PQ_QUERY, "%s", msg);
    cr_assert_eq(nq, 1);
    cr_assert_eq(plan_of("pk = 'a' AND sk <> 1 OR pk = 'a' AND sk = 2", &nq, &op, &msg), DDB_PQ_QUERY, "%s", msg);
    /* a branch without a partition: everything is read */
    cr_assert_eq(plan_of("pk = 'a' OR x = 1", &nq, &op, &msg), DDB_PQ_SCAN, "%s", msg);
    static const char *const OVERLAPPING[] = {
        "pk = 'a' AND x = '1' OR pk = 'a' AND sk = '2'",
        "pk = 'a' AND x <> '1' OR pk = 'a' AND sk = '2'",
        "pk = 'r' OR pk = 'r'",
        "pk IN ['r', 'r']",
        "pk = 'r' AND begins_with(sk, 'ab') OR pk = 'r' AND sk = 'abc'",
        "pk = 'r' AND sk BETWEEN 1 AND 5 OR pk = 'r' AND sk >= 5",
        "(pk = 'r' AND x = 1) OR (pk = 'r' AND x = 2)",
    };
    for (size_t i = 0; i < sizeof OVERLAPPING / sizeof OVERLAPPING[0]; i++) {
        cr_assert_eq(plan_of(OVERLAPPING[i], &nq, &op, &msg), -1, "%s planned", OVERLAPPING[i]);
        cr_assert_str_eq(msg, "Overlapping conditions with range keys are not supported in where clause", "%s",
                         OVERLAPPING[i]);
    }
    cr_assert_eq(plan_of("pk = 'r' AND sk BETWEEN 1 AND 5 OR pk = 'r' AND sk > 5", &nq, &op, &msg), DDB_PQ_QUERY,
                 "%s", msg);
}

Test(partiql_plan, errors)
{
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk = 'a'", "pk", "sk", DDB_PQ_IN_TRANSACTION),
                     "Select statements within ExecuteTransaction must specify the primary key in the where clause.");
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk = 'a' AND attribute_exists(x)", "pk", "sk", DDB_PQ_IN_BATCH),
                     "Select statements within BatchExecuteStatement must specify the primary key in the where "
                     "clause.");
    /* the full key alone is a transaction's read */
    ddb_pq_stmt_t *st = parse_ok("SELECT * FROM T WHERE 'k' = pk", NULL);
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "pk", NULL, DDB_PQ_IN_TRANSACTION, &plan, &err), 0, "%s", err.msg);
    cr_assert_eq(plan.access, DDB_PQ_GET);
    assert_json(plan.key, "{\"pk\": {\"S\": \"k\"}}");
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk = 'a' AND attribute_exists(ss)", "pk", NULL,
                              DDB_PQ_IN_TRANSACTION),
                     "Select statements within ExecuteTransaction must specify the primary key in the where clause.");
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk = 'a' AND n > 1", "pk", NULL, DDB_PQ_IN_BATCH),
                     "Select statements within BatchExecuteStatement must specify the primary key in the where "
                     "clause.");
    cr_assert_str_eq(plan_err("SELECT * FROM T.I WHERE pk = 'a'", "pk", NULL, DDB_PQ_IN_TRANSACTION),
                     "Reads on indices are not supported within transactions.");
    cr_assert_str_eq(plan_err("SELECT * FROM T.I WHERE h = 'a' AND r = 'm'", "h", "r", DDB_PQ_IN_BATCH),
                     "Select statements within BatchExecuteStatement must specify the primary key in the where "
                     "clause.");
    cr_assert_str_eq(plan_err("UPDATE T SET a = 1 WHERE pk = 'a'", "pk", "sk", 0),
                     "Where clause does not contain a mandatory equality on all key attributes");
    cr_assert_str_eq(plan_err("UPDATE T SET a = 1", "pk", NULL, 0),
                     "Where clause does not contain a mandatory equality on all key attributes");
    cr_assert_str_eq(plan_err("DELETE FROM T WHERE pk > 'a' AND sk = 1", "pk", "sk", 0),
                     "Where clause does not contain a mandatory equality on all key attributes");
    cr_assert_str_eq(plan_err("DELETE FROM T WHERE pk = 'a' AND pk <> 'b'", "pk", NULL, 0),
                     "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported");
    cr_assert_str_eq(plan_err("DELETE FROM \"T\".\"I\" WHERE pk = 'a'", "pk", NULL, 0),
                     "This operation is not supported on an index");
    cr_assert_str_eq(plan_err("UPDATE T SET a = 1 WHERE pk = 'a' RETURNING ALL NEW *", "pk", NULL,
                              DDB_PQ_IN_TRANSACTION),
                     "RETURNING clause is not supported in ExecuteTransaction.");
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk = true", "pk", NULL, 0),
                     "Key value must be of type S, N, or B. Key name: pk, Key type: BOOL");
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk = 'a' AND pk = 'b'", "pk", NULL, 0),
                     "Only single equality condition should be present on hash key pk");
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk IN ['r', 'r'] AND sk = '1'", "pk", "sk", 0),
                     "Overlapping conditions with range keys are not supported in where clause");
    cr_assert_str_eq(plan_err("SELECT * FROM T ORDER BY sk", "pk", "sk", 0),
                     "Must have WHERE clause in the statement when using ORDER BY clause.");
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk = 'a' ORDER BY n", "pk", "sk", 0),
                     "Variable reference n in ORDER BY clause must be part of the primary key");
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE n = 1 ORDER BY sk", "pk", "sk", 0),
                     "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY "
                     "clause.");
    cr_assert_str_eq(plan_err("SELECT * FROM T WHERE pk IN ['a', 'b'] ORDER BY sk", "pk", "sk", 0),
                     "Must have hash key in ORDER BY clause when more than one hash key condition specified in "
                     "WHERE clause.");
}

Test(partiql_plan, exists_condition_check)
{
    ddb_pq_stmt_t *st = parse_ok("EXISTS(SELECT * FROM \"T\" WHERE pk = 'k1' AND n > 3)", NULL);
    cr_assert_eq(st->kind, DDB_PQ_EXISTS);
    cr_assert_str_eq(st->table, "T");
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "pk", NULL, DDB_PQ_IN_TRANSACTION, &plan, &err), 0, "%s", err.msg);
    assert_json(plan.key, "{\"pk\": {\"S\": \"k1\"}}");
    json_t *item = J(ITEM);
    cr_assert(ddb_cond_eval(plan.cond, item));
    json_object_set_new(item, "n", J("{\"N\": \"2\"}"));
    cr_assert_not(ddb_cond_eval(plan.cond, item));
    json_decref(item);
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
    cr_assert_str_eq(plan_err("EXISTS(SELECT * FROM T WHERE pk = 'k1')", "pk", NULL, DDB_PQ_IN_TRANSACTION),
                     "EXISTS() must contain a single item read with additional condition");
    cr_assert_str_eq(plan_err("EXISTS(SELECT * FROM T WHERE n = 1)", "pk", NULL, DDB_PQ_IN_TRANSACTION),
                     "EXISTS() must contain a single item read with additional condition");
    cr_assert_str_eq(plan_err("EXISTS(SELECT * FROM T WHERE pk = 'k1' AND n = 1)", "pk", NULL, 0),
                     "EXISTS can only be used in ExecuteTransaction write requests.");
    cr_assert_str_eq(plan_err("EXISTS(SELECT * FROM T.I WHERE pk = 'k1' AND n = 1)", "pk", NULL,
                              DDB_PQ_IN_TRANSACTION),
                     "Operations on indices are not supported in transactions");
}

/* ---- INSERT ---- */

Test(partiql_insert, every_literal_kind)
{
    ddb_pq_stmt_t *st = parse_ok(
        "INSERT INTO \"T\" VALUE {'pk': 'a', 'n': 1, 'neg': -2.50, 'e': 1E3, 't': true, 'f': false, 'z': null,"
        " 'l': [1, 'x', [true]], 'm': {'a': <<'s1', 's2'>>, 'ns': <<1, 2.5>>}, 'q': 'it''s', 'empty': ''}",
        NULL);
    cr_assert_eq(st->kind, DDB_PQ_INSERT);
    cr_assert_str_eq(st->table, "T");
    assert_json(st->item,
                "{\"pk\": {\"S\": \"a\"}, \"n\": {\"N\": \"1\"}, \"neg\": {\"N\": \"-2.5\"}, \"e\": {\"N\": \"1000\"},"
                " \"t\": {\"BOOL\": true}, \"f\": {\"BOOL\": false}, \"z\": {\"NULL\": true},"
                " \"l\": {\"L\": [{\"N\": \"1\"}, {\"S\": \"x\"}, {\"L\": [{\"BOOL\": true}]}]},"
                " \"m\": {\"M\": {\"a\": {\"SS\": [\"s1\", \"s2\"]}, \"ns\": {\"NS\": [\"1\", \"2.5\"]}}},"
                " \"q\": {\"S\": \"it's\"}, \"empty\": {\"S\": \"\"}}");
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "pk", "n", 0, &plan, &err), 0, "%s", err.msg);
    assert_json(plan.key, "{\"pk\": {\"S\": \"a\"}, \"n\": {\"N\": \"1\"}}");
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
}

Test(partiql_insert, parameters_bound_in_order)
{
    ddb_pq_stmt_t *st = parse_ok("INSERT INTO T VALUE {'pk': ?, 'n': ?, 'bs': ?, 'l': [?]}",
                                 "[{\"S\": \"p\"}, {\"N\": \"7\"}, {\"BS\": [\"AQ==\", \"Ag==\"]},"
                                 " {\"M\": {\"x\": {\"BOOL\": true}}}]");
    assert_json(st->item, "{\"pk\": {\"S\": \"p\"}, \"n\": {\"N\": \"7\"}, \"bs\": {\"BS\": [\"AQ==\", \"Ag==\"]},"
                          " \"l\": {\"L\": [{\"M\": {\"x\": {\"BOOL\": true}}}]}}");
    ddb_pq_free(st);
    /* the whole item as one parameter */
    st = parse_ok("INSERT INTO T VALUE ?", "[{\"M\": {\"pk\": {\"S\": \"whole\"}}}]");
    assert_json(st->item, "{\"pk\": {\"S\": \"whole\"}}");
    ddb_pq_free(st);
    /* a ? inside a string is not a parameter; values beyond the last ? are ignored, as DynamoDB does */
    st = parse_ok("INSERT INTO T VALUE {'pk': 'why?'}", "[{\"S\": \"unused\"}]");
    assert_json(st->item, "{\"pk\": {\"S\": \"why?\"}}");
    ddb_pq_free(st);
}

Test(partiql_insert, errors)
{
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': ?}", NULL),
                     "Number of parameters in request and statement don't match.");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': ?, 'a': ?}", "[{\"S\": \"x\"}]"),
                     "Number of parameters in request and statement don't match.");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUES {'pk': 'a'}", NULL),
                     "Unsupported operation: Inserting multiple items in a single statement is not supported, use "
                     "\"INSERT INTO tableName VALUE item\" instead");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': 1, 'n': 123456789012345678901234567890123456789}", NULL),
                     "Attempting to store more than 38 significant digits in a Number under root");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': 1, 'm': {'x': 1E126}}", NULL),
                     "Number overflow. Attempting to store a number with magnitude larger than supported range "
                     "under root.x");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': 1, 'l': [1, 1e-131]}", NULL),
                     "Number underflow. Attempting to store a number with magnitude smaller than supported range "
                     "under root[1]");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': 1e2147483648}", NULL), MALFORMED);
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': 'a', 'm': {'k': 1, 'k': 2}}", NULL),
                     "Duplicate keys in tuple. Key: k under root");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'s': <<'a', 'b', 'a'>>}", NULL),
                     "One or more parameter values were invalid: Input collection [a, b, a] contains duplicates.");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'s': <<1, 1.0>>}", NULL),
                     "One or more parameter values were invalid: Input collection [1, 1] contains duplicates.");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'s': <<'a', 1>>}", NULL),
                     "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'s': <<?>>}", "[{\"B\": \"AQ==\"}]"),
                     "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'s': <<>>}", NULL), "Empty bags are not supported");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE 'x'", NULL),
                     "Unsupported format in item expression. Please use struct format {...} to express item values "
                     "for insert statement.");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': 'a'} RETURNING ALL OLD *", NULL),
                     "RETURNING is not supported in INSERT");
    cr_assert_str_eq(parse_err("INSERT INTO T t VALUE {'pk': 'a'}", NULL),
                     MALFORMED "Unexpected token after expression");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE {'pk': 'a'} foo", NULL),
                     MALFORMED "Unexpected token after expression");
    cr_assert_str_eq(parse_err("INSERT INTO T VALUE ?", "[{\"Q\": \"x\"}]"),
                     "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = ?", "[{\"N\": \"1e99999999999\"}]"),
                     "The parameter cannot be converted to a numeric value: 1e99999999999");
}

/* ---- UPDATE ---- */

Test(partiql_update, set_arithmetic_list_append_remove_and_returning)
{
    ddb_pq_stmt_t *st = parse_ok("UPDATE \"T\" SET a = 1, b = b + 2 SET c = list_append(c, [?]) REMOVE d, m.x "
                                 "WHERE pk = 'k' AND sk = 1 AND b > 0 RETURNING ALL NEW *",
                                 "[{\"S\": \"new\"}]");
    cr_assert_eq(st->kind, DDB_PQ_UPDATE);
    cr_assert_eq(st->returning, DDB_PQ_RET_ALL_NEW);
    json_t *item = J("{\"pk\": {\"S\": \"k\"}, \"sk\": {\"N\": \"1\"}, \"b\": {\"N\": \"40\"}, \"c\": {\"L\": []},"
                     " \"d\": {\"S\": \"gone\"}, \"m\": {\"M\": {\"x\": {\"N\": \"1\"}, \"y\": {\"N\": \"2\"}}}}");
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "pk", "sk", 0, &plan, &err), 0, "%s", err.msg);
    cr_assert_eq(plan.access, DDB_PQ_GET);
    assert_json(plan.key, "{\"pk\": {\"S\": \"k\"}, \"sk\": {\"N\": \"1\"}}");
    cr_assert_not_null(plan.cond);
    cr_assert(ddb_cond_eval(plan.cond, item));
    cr_assert_eq(ddb_update_apply(st->update, item, &err), 0, "%s", err.msg);
    assert_json(item, "{\"pk\": {\"S\": \"k\"}, \"sk\": {\"N\": \"1\"}, \"a\": {\"N\": \"1\"}, \"b\": {\"N\": \"42\"},"
                      " \"c\": {\"L\": [{\"S\": \"new\"}]}, \"m\": {\"M\": {\"y\": {\"N\": \"2\"}}}}");
    /* the condition is the rest of WHERE: false once b is not positive */
    json_object_set_new(item, "b", J("{\"N\": \"-1\"}"));
    cr_assert_not(ddb_cond_eval(plan.cond, item));
    cr_assert(ddb_update_touches(st->update, "b"));
    cr_assert_not(ddb_update_touches(st->update, "pk"));
    ddb_pq_plan_done(&plan);
    json_decref(item);
    ddb_pq_free(st);
}

Test(partiql_update, set_add_and_set_delete_and_returning_variants)
{
    ddb_pq_stmt_t *st = parse_ok("UPDATE T SET s = set_add(s, <<'c'>>) SET t = set_delete(t, <<1>>) "
                                 "WHERE pk = 'k' RETURNING MODIFIED OLD *", NULL);
    cr_assert_eq(st->returning, DDB_PQ_RET_MODIFIED_OLD);
    json_t *item = J("{\"pk\": {\"S\": \"k\"}, \"s\": {\"SS\": [\"a\"]}, \"t\": {\"NS\": [\"1\", \"2\"]}}");
    ddb_err_t err = {0};
    cr_assert_eq(ddb_update_apply(st->update, item, &err), 0, "%s", err.msg);
    assert_json(item, "{\"pk\": {\"S\": \"k\"}, \"s\": {\"SS\": [\"a\", \"c\"]}, \"t\": {\"NS\": [\"2\"]}}");
    ddb_pq_plan_t plan;
    cr_assert_eq(ddb_pq_plan(st, "pk", NULL, 0, &plan, &err), 0, "%s", err.msg);
    cr_assert_null(plan.cond, "only key equalities: no condition");
    ddb_pq_plan_done(&plan);
    json_decref(item);
    ddb_pq_free(st);
    static const struct { const char *ret; ddb_pq_returning_t want; } R[] = {
        {"ALL OLD", DDB_PQ_RET_ALL_OLD}, {"ALL NEW", DDB_PQ_RET_ALL_NEW},
        {"MODIFIED NEW", DDB_PQ_RET_MODIFIED_NEW}, {"modified old", DDB_PQ_RET_MODIFIED_OLD},
    };
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "UPDATE T SET a = 1 WHERE pk = 'k' RETURNING %s *", R[i].ret);
        st = parse_ok(text, NULL);
        cr_assert_eq(st->returning, R[i].want, "%s", text);
        ddb_pq_free(st);
    }
}

Test(partiql_update, if_not_exists_minus_and_list_append_first)
{
    ddb_pq_stmt_t *st = parse_ok("UPDATE T SET c = if_not_exists(c, 0) + 1, n = n - ?, l = list_append(['a'], l) "
                                 "WHERE pk = 'k'", "[{\"N\": \"0.5\"}]");
    json_t *item = J("{\"pk\": {\"S\": \"k\"}, \"n\": {\"N\": \"2\"}, \"l\": {\"L\": [{\"S\": \"b\"}]}}");
    ddb_err_t err = {0};
    cr_assert_eq(ddb_update_apply(st->update, item, &err), 0, "%s", err.msg);
    assert_json(item, "{\"pk\": {\"S\": \"k\"}, \"c\": {\"N\": \"1\"}, \"n\": {\"N\": \"1.5\"},"
                      " \"l\": {\"L\": [{\"S\": \"a\"}, {\"S\": \"b\"}]}}");
    /* what MODIFIED OLD / NEW project */
    ddb_proj_t *mod = ddb_update_paths(st->update);
    json_t *out = ddb_proj_apply(mod, item);
    assert_json(out, "{\"c\": {\"N\": \"1\"}, \"n\": {\"N\": \"1.5\"},"
                     " \"l\": {\"L\": [{\"S\": \"a\"}, {\"S\": \"b\"}]}}");
    json_decref(out);
    ddb_proj_free(mod);
    json_decref(item);
    ddb_pq_free(st);
}

Test(partiql_update, errors)
{
    cr_assert_str_eq(parse_err("UPDATE T WHERE pk = 'k'", NULL), MALFORMED "Unexpected keyword");
    cr_assert_str_eq(parse_err("UPDATE T SET 'a' = 1 WHERE pk = 'k'", NULL),
                     MALFORMED "Expected identifier for simple path");
    cr_assert_str_eq(parse_err("UPDATE T t SET a = 1 WHERE pk = 'k'", NULL), "Aliasing is not supported");
    cr_assert_str_eq(parse_err("UPDATE T SET a = nofunc(a) WHERE pk = 'k'", NULL),
                     "Unrecognized function: nofunc at 1:18:6");
    cr_assert(strstr(parse_err("UPDATE T SET a = 1, a = 2 WHERE pk = 'k'", NULL), "Two document paths overlap"));
    cr_assert_str_eq(parse_err("UPDATE T SET t = set_add(ss, <<'x'>>) WHERE pk = 'k'", NULL),
                     "The first argument to SET_ADD must equal the assignment value at 1:18:7");
    cr_assert_str_eq(parse_err("UPDATE T SET ss = set_add(ss, 'x') WHERE pk = 'k'", NULL),
                     "The second argument to SET_ADD must be a value with type SET at 1:27:2");
    cr_assert_str_eq(parse_err("UPDATE T SET ss = set_delete(ss) WHERE pk = 'k'", NULL),
                     "SET_DELETE must have exactly two arguments at 1:19:10");
    cr_assert_str_eq(parse_err("UPDATE T SET ss = set_add() WHERE pk = 'k'", NULL),
                     "SET_ADD must have exactly two arguments at 1:19:7");
    cr_assert_str_eq(parse_err("UPDATE T SET ss = set_add(ss, <<>>) WHERE pk = 'k'", NULL),
                     "Empty bags are not supported");
    cr_assert_str_eq(parse_err("UPDATE T SET a = 1e-131 WHERE pk = 'k'", NULL),
                     "Number underflow. Attempting to store a number with magnitude smaller than supported range "
                     "under root");
    cr_assert_str_eq(parse_err("UPDATE T SET a = 1 WHERE pk = 'k' RETURNING ALL OLD", NULL),
                     "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause");
    cr_assert_str_eq(parse_err("UPDATE T SET a = 9 WHERE pk = 1 foo", NULL), MALFORMED "Unexpected token after expression");
}

/* ---- DELETE ---- */

Test(partiql_delete, key_and_condition)
{
    ddb_pq_stmt_t *st = parse_ok("DELETE FROM \"T\" WHERE \"pk\" = ? AND n IS NOT MISSING RETURNING ALL OLD *",
                                 "[{\"S\": \"k1\"}]");
    cr_assert_eq(st->kind, DDB_PQ_DELETE);
    cr_assert_eq(st->returning, DDB_PQ_RET_ALL_OLD);
    ddb_pq_plan_t plan;
    ddb_err_t err = {0};
    cr_assert_eq(ddb_pq_plan(st, "pk", NULL, 0, &plan, &err), 0, "%s", err.msg);
    assert_json(plan.key, "{\"pk\": {\"S\": \"k1\"}}");
    json_t *item = J(ITEM);
    cr_assert(ddb_cond_eval(plan.cond, item));
    json_object_del(item, "n");
    cr_assert_not(ddb_cond_eval(plan.cond, item));
    json_decref(item);
    ddb_pq_plan_done(&plan);
    ddb_pq_free(st);
}

Test(partiql_delete, errors)
{
    cr_assert_str_eq(parse_err("DELETE FROM T WHERE pk = 'k' RETURNING ALL NEW *", NULL),
                     "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE "
                     "statements.");
    cr_assert_str_eq(parse_err("DELETE FROM T WHERE pk = 'k' RETURNING MODIFIED OLD *", NULL),
                     "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in "
                     "DELETE statements.");
    cr_assert_str_eq(parse_err("DELETE FROM", NULL), MALFORMED "Expected identifier for simple path");
    cr_assert_str_eq(parse_err("DELETE FROM;", NULL), MALFORMED "Expected identifier for simple path");
    cr_assert_str_eq(parse_err("DELETE FROM WHERE pk = 'a'", NULL), MALFORMED "Expected identifier for simple path");
    cr_assert_str_eq(parse_err("DELETE FROM \"T\" t WHERE pk = 'x'", NULL), "Aliasing is not supported");
    cr_assert_str_eq(parse_err("DELETE FROM T WHERE pk = 1 ORDER BY pk", NULL),
                     MALFORMED "Unexpected token after expression");
}

/* ---- syntax errors ---- */

Test(partiql_errors, statement_forms)
{
    cr_assert_str_eq(parse_err("", NULL), MALFORMED "Expected data manipulation");
    cr_assert_str_eq(parse_err("CREATE TABLE x", NULL), MALFORMED "Expected data manipulation");
    cr_assert_str_eq(parse_err("SELECT * FROM select", NULL), MALFORMED "Unexpected keyword");
    cr_assert_str_eq(parse_err("SELECT * FROM", NULL), MALFORMED "Unexpected term");
    cr_assert_str_eq(parse_err("SELECT * FROM 'T'", NULL), "Unexpected from source");
    cr_assert_str_eq(parse_err("SELECT * FROM \"T\".\"I\".\"x\"", NULL),
                     "A path may contain at most 2 components in the FROM clause");
    cr_assert_str_eq(parse_err("SELECT * FROM T[1]", NULL), "Unexpected path component at 1:16:1");
    cr_assert_str_eq(parse_err("SELECT * FROM \"T\" t WHERE pk = 'x'", NULL), "Aliasing is not supported");
    cr_assert_str_eq(parse_err("SELECT * FROM \"T\" AS t WHERE pk = 'x'", NULL), "Aliasing is not supported");
    cr_assert_str_eq(parse_err("SELECT * FROM \"\" WHERE pk = 'p'", NULL), "Path component cannot be an empty string");
    cr_assert_str_eq(parse_err("SELECT * FROM \"T\".\"\" WHERE pk = 'p'", NULL),
                     "Path component cannot be an empty string");
    cr_assert_str_eq(parse_err("SELECT pk FROM T WHERE pk = 'x' AND val < ?", "[{\"BOOL\": true}]"),
                     "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE a[x] = 1", NULL), "Unexpected path component at 1:25:1");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE s = 'open", NULL), MALFORMED);
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = 1 # note", NULL), MALFORMED);
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = 1 /* note", NULL), MALFORMED);
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = 1 e5", NULL), MALFORMED "Unexpected token after expression");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = 1)", NULL), MALFORMED "Unexpected token after expression");
    cr_assert_str_eq(parse_err("SELECT * FROM T ORDER BY pk WHERE pk = 1", NULL),
                     MALFORMED "Unexpected token after expression");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE", NULL), MALFORMED "Unexpected term");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE;", NULL), MALFORMED "Unexpected term");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE NOT", NULL), MALFORMED "Unexpected term");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE (", NULL), MALFORMED "Unexpected term");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE ORDER BY pk", NULL), MALFORMED "Unexpected keyword");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = 'p1' AND", NULL),
                     MALFORMED "Missing right-hand side expression of infix operator");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = 'p1' OR", NULL),
                     MALFORMED "Missing right-hand side expression of infix operator");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE IS NULL", NULL), MALFORMED "Unexpected operator");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = LIKE", NULL), MALFORMED "Unexpected operator");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pk = 'a' AND x IS FOO", NULL), MALFORMED "Expected type name");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE x IS INT4", NULL),
                     "Unsupported data type for IS operator: INT4. Supported data types are [MISSING, NULL, BOOLEAN, "
                     "BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE x = MISSING", NULL), "MISSING must be compared using IS operator");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE n = a + 1", NULL), MALFORMED "Unexpected token after expression");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE s", NULL),
                     "WHERE clause must contain an expression that resolves to a boolean");
    cr_assert_str_eq(parse_err("SELECT * FROM T\nWHERE s =\n  ?", "[]"),
                     "Number of parameters in request and statement don't match.");
    cr_assert_str_eq(parse_err("SELECT * FROM T\nWHERE s = ]", NULL), MALFORMED "Unexpected token");
    /* reserved words must be quoted: as names, and after a dot */
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE pad = 'none'", NULL), MALFORMED "Unexpected keyword");
    cr_assert_str_eq(parse_err("SELECT * FROM T WHERE attribute_exists(m.inner)", NULL),
                     MALFORMED "Invalid path dot component");
    cr_assert_str_eq(parse_err("SELECT payload.size FROM T", NULL), MALFORMED "Invalid path dot component");
}

Test(partiql_errors, functions_and_projection)
{
    const char *w = "SELECT * FROM T WHERE pk = 'k' AND ";
    char text[256];
    snprintf(text, sizeof text, "%sattribute_exists('ss')", w);
    cr_assert_str_eq(parse_err(text, NULL),
                     "Operator or function requires a document path; operator or function: attribute_exists");
    snprintf(text, sizeof text, "%sattribute_exists()", w);
    cr_assert_str_eq(parse_err(text, NULL), "Incorrect number of operands for operator or function; operator or "
                                            "function: attribute_exists, number of operands: 0");
    snprintf(text, sizeof text, "%sEXISTS(ss)", w);
    cr_assert_str_eq(parse_err(text, NULL), "Unrecognized function: exists at 1:36:6");
    snprintf(text, sizeof text, "%sset_add(ss, <<'x'>>) = ss", w);
    cr_assert_str_eq(parse_err(text, NULL), "Unrecognized function: set_add at 1:36:7");
    cr_assert_str_eq(parse_err("SELECT attribute_exists(ss) FROM T", NULL), "Unexpected path component at 1:8:16");
    cr_assert_str_eq(parse_err("SELECT COUNT(*) FROM T", NULL), "Unexpected path component at 1:8:5");
    cr_assert_str_eq(parse_err("SELECT *, a FROM T", NULL),
                     "Other attributes should not be present in the projection when '*' is used.");
}

Test(partiql_select, comments_semicolon_and_reserved_words_quoted)
{
    ddb_pq_stmt_t *st = parse_ok("-- leading comment\nSELECT /* the list */ * FROM \"T\"\n"
                                 "WHERE \"pad\" = 'x' AND \"size\" IS MISSING;", NULL);
    cr_assert_str_eq(st->table, "T");
    json_t *item = J("{\"pad\": {\"S\": \"x\"}}");
    cr_assert(ddb_cond_eval(st->where, item));
    json_decref(item);
    ddb_pq_free(st);
    st = parse_ok("SELECT payload.\"size\", $weird_name FROM T", NULL);
    item = J("{\"payload\": {\"M\": {\"size\": {\"N\": \"2\"}, \"x\": {\"N\": \"1\"}}}, \"$weird_name\": {\"S\": \"w\"}}");
    json_t *out = ddb_proj_apply(st->proj, item);
    assert_json(out, "{\"payload\": {\"M\": {\"size\": {\"N\": \"2\"}}}, \"$weird_name\": {\"S\": \"w\"}}");
    json_decref(out);
    json_decref(item);
    ddb_pq_free(st);
}

Test(partiql_select, is_type_tests)
{
    cr_assert(selects("SELECT * FROM T WHERE s IS STRING", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE n IS NUMERIC", ITEM));
    cr_assert_not(selects("SELECT * FROM T WHERE n IS STRING", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE n IS NOT STRING", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE m IS STRUCT AND m IS TUPLE", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE m.b IS LIST", ITEM));
    cr_assert(selects("SELECT * FROM T WHERE pk IS NOT BOOLEAN", ITEM));
}

