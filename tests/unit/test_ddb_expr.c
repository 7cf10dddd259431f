/* DynamoDB expression languages: condition/filter, key condition, update, projection, the legacy
 * parameters, and AWS's error texts for each. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    cr_assert_not_null(v, "bad JSON in test: %s (%s)", text, e.text);
    return v;
}

/* The item most tests read. */
static const char *ITEM =
    "{\"id\": {\"S\": \"k1\"}, \"n\": {\"N\": \"10\"}, \"neg\": {\"N\": \"-2.5\"}, \"s\": {\"S\": \"hello\"},"
    " \"b\": {\"B\": \"/w==\"}, \"t\": {\"BOOL\": true}, \"z\": {\"NULL\": true},"
    " \"ss\": {\"SS\": [\"x\", \"y\"]}, \"ns\": {\"NS\": [\"1\", \"2.50\"]}, \"bs\": {\"BS\": [\"AQ==\"]},"
    " \"l\": {\"L\": [{\"S\": \"a\"}, {\"N\": \"7\"}, {\"M\": {\"c\": {\"S\": \"deep\"}}}]},"
    " \"m\": {\"M\": {\"a\": {\"N\": \"1\"}, \"b\": {\"L\": [{\"S\": \"p\"}, {\"S\": \"q\"}]}}}}";

/* Parse `expr` (kind) with names/values JSON (or NULL); on success evaluate on `item`. Returns 1/0 for
 * the result, or -1 with the error message in `msg`. */
static int run_cond_ex(ddb_expr_kind_t kind, const char *expr, const char *names, const char *values,
                       const char *item, char *msg, bool check_unused)
{
    json_t *jn = names ? J(names) : NULL, *jv = values ? J(values) : NULL, *ji = item ? J(item) : NULL;
    ddb_ctx_t ctx;
    ddb_err_t err = {0};
    ddb_ctx_init(&ctx, jn, jv);
    ddb_cond_t *c = ddb_cond_parse(kind, expr, &ctx, &err);
    int rc = -1;
    if (c && (!check_unused || ddb_ctx_check_unused(&ctx, &err) == 0))
        rc = ddb_cond_eval(c, ji);
    if (rc < 0 && msg)
        strcpy(msg, err.msg);
    ddb_cond_free(c);
    ddb_ctx_done(&ctx);
    json_decref(jn);
    json_decref(jv);
    json_decref(ji);
    return rc;
}

static int run_cond(ddb_expr_kind_t kind, const char *expr, const char *names, const char *values, const char *item,
                    char *msg)
{
    return run_cond_ex(kind, expr, names, values, item, msg, true);
}

/* One shared values map serves many expressions here, so unused values are not checked. */
static bool holds(const char *expr, const char *values)
{
    char msg[1024] = "";
    int rc = run_cond_ex(DDB_EXPR_CONDITION, expr, NULL, values, ITEM, msg, false);
    cr_assert_geq(rc, 0, "%s: %s", expr, msg);
    return rc == 1;
}

static const char *cond_error(const char *expr, const char *names, const char *values)
{
    static char msg[1024];
    msg[0] = 0;
    int rc = run_cond(DDB_EXPR_CONDITION, expr, names, values, ITEM, msg);
    cr_assert_eq(rc, -1, "expected an error for %s", expr);
    return msg;
}

/* ---- comparisons ---- */

Test(ddb_cond, numbers_compare_numerically) {
    const char *v = "{\":nine\": {\"N\": \"9\"}, \":ten\": {\"N\": \"10.000\"}, \":m\": {\"N\": \"-3\"}}";
    cr_assert(holds("n > :nine", v), "10 > 9 although \"10\" < \"9\" as text");
    cr_assert(holds("n = :ten", v));
    cr_assert(holds("n >= :ten", v));
    cr_assert(holds("n <= :ten", v));
    cr_assert_not(holds("n < :ten", v));
    cr_assert(holds("n <> :nine", v));
    cr_assert(holds("neg > :m", v));
    cr_assert(holds(":m < neg", v));
}

Test(ddb_cond, strings_and_binary_compare_as_unsigned_bytes) {
    const char *v = "{\":h\": {\"S\": \"hello\"}, \":z\": {\"S\": \"z\"}, \":upper\": {\"S\": \"Hello\"},"
                    " \":one\": {\"B\": \"AQ==\"}, \":ff\": {\"B\": \"/w==\"}}";
    cr_assert(holds("s = :h", v));
    cr_assert(holds("s < :z", v));
    cr_assert(holds("s > :upper", v));
    cr_assert(holds("b > :one", v), "0xFF sorts after 0x01");
    cr_assert(holds("b = :ff", v));
    cr_assert_not(holds("b < :one", v));
}

Test(ddb_cond, mismatched_types_and_absent_attributes) {
    const char *v = "{\":ns\": {\"S\": \"10\"}, \":x\": {\"N\": \"1\"}}";
    cr_assert_not(holds("n = :ns", v), "N 10 is not S \"10\"");
    cr_assert(holds("n <> :ns", v));
    cr_assert_not(holds("n < :ns", v));
    cr_assert_not(holds("n > :ns", v));
    cr_assert_not(holds("absent = :x", v));
    cr_assert(holds("absent <> :x", v));
    cr_assert_not(holds("absent < :x", v));
}

Test(ddb_cond, sets_lists_and_maps_compare_for_equality) {
    const char *v = "{\":ss\": {\"SS\": [\"y\", \"x\"]}, \":ns\": {\"NS\": [\"2.5\", \"1.0\"]},"
                    " \":ss2\": {\"SS\": [\"x\"]},"
                    " \":l\": {\"L\": [{\"S\": \"a\"}, {\"N\": \"7.0\"}, {\"M\": {\"c\": {\"S\": \"deep\"}}}]},"
                    " \":m\": {\"M\": {\"b\": {\"L\": [{\"S\": \"p\"}, {\"S\": \"q\"}]}, \"a\": {\"N\": \"1\"}}},"
                    " \":bs\": {\"BS\": [\"AQ==\"]}}";
    cr_assert(holds("ss = :ss", v), "set order does not matter");
    cr_assert(holds("ns = :ns", v), "number sets compare numerically");
    cr_assert(holds("ss <> :ss2", v));
    cr_assert(holds("l = :l", v));
    cr_assert(holds("m = :m", v), "map member order does not matter");
    cr_assert(holds("bs = :bs", v));
    cr_assert_str_eq(cond_error("ss < :ss", NULL, "{\":ss\": {\"SS\": [\"x\"]}}"),
                     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
                     "function: <, operand type: SS");
}

Test(ddb_cond, between_and_in) {
    const char *v = "{\":a\": {\"N\": \"9\"}, \":b\": {\"N\": \"10\"}, \":c\": {\"N\": \"11\"}, \":s\": {\"S\": \"x\"},"
                    " \":h\": {\"S\": \"hello\"}}";
    cr_assert(holds("n BETWEEN :a AND :c", v));
    cr_assert(holds("n BETWEEN :b AND :b", v), "bounds are inclusive");
    cr_assert_not(holds("n BETWEEN :a AND :a", v));
    cr_assert(holds("n IN (:a, :b)", v));
    cr_assert_not(holds("n IN (:a, :c, :s)", v));
    cr_assert(holds("s IN (:h)", v));
    cr_assert(holds("n between :a and :c", v), "keywords are case-insensitive");
}

/* ---- logic ---- */

Test(ddb_cond, and_binds_tighter_than_or_and_not_tighter_than_and) {
    const char *v = "{\":yes\": {\"N\": \"10\"}, \":no\": {\"N\": \"0\"}}";
    /* true OR (false AND false) = true; (true OR false) AND false would be false */
    cr_assert(holds("n = :yes OR n = :no AND n = :no", v));
    cr_assert_not(holds("(n = :yes OR n = :no) AND n = :no", v));
    /* (NOT false) AND true */
    cr_assert(holds("NOT n = :no AND n = :yes", v));
    cr_assert_not(holds("NOT (n = :no OR n = :yes)", v));
    cr_assert(holds("NOT NOT n = :yes", v));
    cr_assert(holds("(n) = :yes", v), "a parenthesized operand");
}

/* ---- functions ---- */

Test(ddb_cond, attribute_exists_not_exists_and_type) {
    const char *v = "{\":S\": {\"S\": \"S\"}, \":N\": {\"S\": \"N\"}, \":L\": {\"S\": \"L\"}, \":NULL\": {\"S\": \"NULL\"}}";
    cr_assert(holds("attribute_exists(s) AND attribute_not_exists(nope)", NULL));
    cr_assert(holds("attribute_exists(m.b[1])", NULL));
    cr_assert_not(holds("attribute_exists(m.b[2])", NULL));
    cr_assert(holds("attribute_exists(l[2].c)", NULL));
    cr_assert(holds("attribute_type(s, :S) AND attribute_type(n, :N) AND attribute_type(l, :L)", v));
    cr_assert(holds("attribute_type(z, :NULL)", v));
    cr_assert_not(holds("attribute_type(s, :N)", v));
}

Test(ddb_cond, begins_with_and_contains) {
    const char *v = "{\":he\": {\"S\": \"he\"}, \":lo\": {\"S\": \"llo\"}, \":x\": {\"S\": \"x\"}, \":q\": {\"S\": \"q\"},"
                    " \":two\": {\"N\": \"2.5\"}, \":seven\": {\"N\": \"7\"}, \":bff\": {\"B\": \"/w==\"},"
                    " \":b01\": {\"B\": \"AQ==\"}, \":nope\": {\"S\": \"nope\"}}";
    cr_assert(holds("begins_with(s, :he)", v));
    cr_assert_not(holds("begins_with(s, :lo)", v));
    cr_assert(holds("begins_with(b, :bff)", v));
    cr_assert(holds("contains(s, :lo)", v));
    cr_assert(holds("contains(ss, :x)", v));
    cr_assert(holds("contains(ns, :two)", v), "2.50 in the set equals 2.5");
    cr_assert(holds("contains(bs, :b01)", v));
    cr_assert(holds("contains(l, :seven)", v));
    cr_assert(holds("contains(m.b, :q)", v));
    cr_assert_not(holds("contains(s, :nope)", v));
    cr_assert_not(holds("contains(n, :two)", v), "a number contains nothing");
}

Test(ddb_cond, size_of_each_type) {
    const char *v = "{\":0\": {\"N\": \"0\"}, \":1\": {\"N\": \"1\"}, \":2\": {\"N\": \"2\"}, \":3\": {\"N\": \"3\"},"
                    " \":5\": {\"N\": \"5\"}}";
    cr_assert(holds("size(s) = :5", v));
    cr_assert(holds("size(l) = :3", v));
    cr_assert(holds("size(m) = :2", v));
    cr_assert(holds("size(ss) = :2", v));
    cr_assert(holds("size(b) = :1", v));
    cr_assert(holds("size(m.b) > :1", v));
    cr_assert_not(holds("size(n) >= :0", v), "size of a number has no value");
    cr_assert_not(holds("size(absent) >= :0", v));
    char msg[1024];
    cr_assert_eq(run_cond(DDB_EXPR_FILTER, "size(u) = :six", NULL, "{\":six\": {\"N\": \"6\"}}",
                          "{\"u\": {\"S\": \"h\u00e9llo\"}}", msg), 1, "size() counts UTF-8 bytes: %s", msg);
}

Test(ddb_cond, names_resolve_in_paths) {
    char msg[1024];
    int rc = run_cond(DDB_EXPR_FILTER, "#st = :v AND #m.#b[0] = :p", "{\"#st\": \"s\", \"#m\": \"m\", \"#b\": \"b\"}",
                      "{\":v\": {\"S\": \"hello\"}, \":p\": {\"S\": \"p\"}}", ITEM, msg);
    cr_assert_eq(rc, 1, "%s", msg);
    /* a name holding a dot is one attribute, not a path */
    rc = run_cond(DDB_EXPR_FILTER, "attribute_exists(#d)", "{\"#d\": \"a.b\"}", NULL,
                  "{\"a.b\": {\"S\": \"x\"}}", msg);
    cr_assert_eq(rc, 1, "%s", msg);
}

Test(ddb_cond, no_item_is_an_empty_item) {
    char msg[1024];
    cr_assert_eq(run_cond(DDB_EXPR_CONDITION, "attribute_not_exists(id)", NULL, NULL, NULL, msg), 1);
    cr_assert_eq(run_cond(DDB_EXPR_CONDITION, "attribute_exists(id)", NULL, NULL, NULL, msg), 0);
}

/* ---- condition errors ---- */

Test(ddb_cond_errors, syntax_errors_name_the_token_and_its_neighbours) {
    cr_assert_str_eq(cond_error("a x b", NULL, NULL), "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"a x b\"");
    cr_assert_str_eq(cond_error("attribute_type()", NULL, NULL),
                     "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\"");
    cr_assert_str_eq(cond_error("a = :v AND", NULL, "{\":v\": {\"S\": \"x\"}}"),
                     "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
    cr_assert_str_eq(cond_error("!!!", NULL, NULL), "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"!!\"");
    cr_assert_str_eq(cond_error("a = = b", NULL, NULL),
                     "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = b\"");
    cr_assert_str_eq(cond_error("", NULL, NULL), "Invalid ConditionExpression: The expression can not be empty;");
    cr_assert_str_eq(cond_error("   ", NULL, NULL), "Invalid ConditionExpression: The expression can not be empty;");
    char msg[1024];
    run_cond(DDB_EXPR_FILTER, "a b", NULL, NULL, ITEM, msg);
    cr_assert_str_eq(msg, "Invalid FilterExpression: Syntax error; token: \"b\", near: \"a b\"");
}

Test(ddb_cond_errors, undefined_and_unused_names_and_values) {
    cr_assert_str_eq(cond_error("#n = :v", NULL, "{\":v\": {\"S\": \"x\"}}"),
                     "Invalid ConditionExpression: An expression attribute name used in the document path is not "
                     "defined; attribute name: #n");
    cr_assert_str_eq(cond_error("a = :v", NULL, NULL),
                     "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
                     "attribute value: :v");
    cr_assert_str_eq(cond_error("a = :v", "{\"#a\": \"a\"}", "{\":v\": {\"S\": \"x\"}}"),
                     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}");
    cr_assert_str_eq(cond_error("a = :v", NULL, "{\":v\": {\"S\": \"x\"}, \":w\": {\"S\": \"y\"}, \":u\": {\"N\": \"1\"}}"),
                     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w, :u}");
}

Test(ddb_cond_errors, reserved_words_must_use_names) {
    cr_assert_str_eq(cond_error("status = :v", NULL, "{\":v\": {\"S\": \"x\"}}"),
                     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status");
    cr_assert_str_eq(cond_error("a.Name = :v", NULL, "{\":v\": {\"S\": \"x\"}}"),
                     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Name");
    cr_assert(ddb_is_reserved_word("ABORT", 5) && ddb_is_reserved_word("zone", 4) && ddb_is_reserved_word("Ttl", 3));
    cr_assert_not(ddb_is_reserved_word("statuses", 8));
    cr_assert_not(ddb_is_reserved_word("id", 2));
}

Test(ddb_cond_errors, functions_are_checked) {
    const char *v = "{\":v\": {\"S\": \"x\"}, \":n\": {\"N\": \"1\"}, \":t\": {\"S\": \"STRING\"}}";
    cr_assert_str_eq(cond_error("foo(a)", NULL, NULL), "Invalid ConditionExpression: Invalid function name; function: foo");
    cr_assert_str_eq(cond_error("size(a)", NULL, NULL),
                     "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; "
                     "function: size");
    cr_assert_str_eq(cond_error("begins_with(a, :v) = :v", NULL, v),
                     "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; "
                     "function: begins_with");
    cr_assert_str_eq(cond_error("size(a, b) = :n", NULL, "{\":n\": {\"N\": \"1\"}}"),
                     "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or "
                     "function: size, number of operands: 2");
    cr_assert_str_eq(cond_error("attribute_exists(:v)", NULL, "{\":v\": {\"S\": \"x\"}}"),
                     "Invalid ConditionExpression: Operator or function requires a document path; operator or "
                     "function: attribute_exists");
    cr_assert_str_eq(cond_error("begins_with(a, :n)", NULL, "{\":n\": {\"N\": \"1\"}}"),
                     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
                     "function: begins_with, operand type: N");
    cr_assert_str_eq(cond_error("attribute_type(a, :t)", NULL, "{\":t\": {\"S\": \"STRING\"}}"),
                     "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: "
                     "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
    cr_assert_str_eq(cond_error("size(:n) > :n", NULL, "{\":n\": {\"N\": \"1\"}}"),
                     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
                     "function: size, operand type: N");
    cr_assert_str_eq(cond_error("a < :b", NULL, "{\":b\": {\"BOOL\": true}}"),
                     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
                     "function: <, operand type: BOOL");
}

Test(ddb_cond_errors, operands_and_bounds) {
    cr_assert_str_eq(cond_error("a = a", NULL, NULL),
                     "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for "
                     "this operator or function; operator: =, first operand: [a]");
    cr_assert_str_eq(cond_error("a BETWEEN :hi AND :lo", NULL, "{\":hi\": {\"N\": \"10\"}, \":lo\": {\"N\": \"1\"}}"),
                     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or "
                     "equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: "
                     "AttributeValue: {N:1}");
    cr_assert_str_eq(cond_error("a BETWEEN :n AND :s", NULL, "{\":n\": {\"N\": \"1\"}, \":s\": {\"S\": \"x\"}}"),
                     "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper "
                     "bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}");
    cr_assert_str_eq(cond_error("a BETWEEN :n AND :t", NULL, "{\":n\": {\"N\": \"1\"}, \":t\": {\"BOOL\": true}}"),
                     "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or "
                     "function: BETWEEN, operand type: BOOL");
    cr_assert_str_eq(cond_error("((a = :v))", NULL, "{\":v\": {\"S\": \"x\"}}"),
                     "Invalid ConditionExpression: The expression has redundant parentheses;");
}

Test(ddb_cond_errors, in_takes_at_most_100_operands) {
    char expr[4096] = "a IN (", values[8192] = "{";
    for (int i = 0; i < 101; i++) {
        sprintf(expr + strlen(expr), "%s:v%d", i ? ", " : "", i);
        sprintf(values + strlen(values), "%s\":v%d\": {\"N\": \"%d\"}", i ? ", " : "", i, i);
    }
    strcat(expr, ")");
    strcat(values, "}");
    cr_assert_str_eq(cond_error(expr, NULL, values),
                     "Invalid ConditionExpression: The IN operator is provided with too many operands; number of "
                     "operands: 101");
    /* 100 are fine */
    char *last = strrchr(expr, ',');
    strcpy(last, ")");
    char msg[1024];
    cr_assert_geq(run_cond(DDB_EXPR_CONDITION, expr, NULL, values, ITEM, msg), -1);
    cr_assert(strstr(msg, "too many operands") == NULL, "%s", msg);
}

/* ---- update ---- */

/* Apply `expr` to `item`; returns the new item as compact JSON (sorted keys), or the error message. */
static char *update(const char *expr, const char *names, const char *values, const char *item)
{
    json_t *jn = names ? J(names) : NULL, *jv = values ? J(values) : NULL, *ji = J(item);
    ddb_ctx_t ctx;
    ddb_err_t err = {0};
    ddb_ctx_init(&ctx, jn, jv);
    ddb_update_t *u = ddb_update_parse(expr, &ctx, &err);
    char *out;
    if (u && ddb_ctx_check_unused(&ctx, &err) == 0 && ddb_update_apply(u, ji, &err) == 0) {
        out = json_dumps(ji, JSON_COMPACT | JSON_SORT_KEYS);
    } else {
        out = malloc(strlen(err.msg) + 8);
        sprintf(out, "ERROR: %s", err.msg);
    }
    ddb_update_free(u);
    ddb_ctx_done(&ctx);
    json_decref(jn);
    json_decref(jv);
    json_decref(ji);
    return out;
}

#define UPDATE_EQ(expr, names, values, item, want)                                                               \
    do {                                                                                                         \
        char *got_ = update(expr, names, values, item);                                                          \
        cr_assert_str_eq(got_, want, "%s", expr);                                                                \
        free(got_);                                                                                              \
    } while (0)

Test(ddb_update, set_top_level_nested_and_list_elements) {
    UPDATE_EQ("SET a = :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}", "{\"a\":{\"S\":\"x\"}}");
    UPDATE_EQ("SET m.k = :v", NULL, "{\":v\": {\"N\": \"1\"}}", "{\"m\":{\"M\":{}}}", "{\"m\":{\"M\":{\"k\":{\"N\":\"1\"}}}}");
    UPDATE_EQ("SET l[1] = :v", NULL, "{\":v\": {\"S\": \"B\"}}", "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"b\"}]}}",
              "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"B\"}]}}");
    UPDATE_EQ("SET l[9] = :v", NULL, "{\":v\": {\"S\": \"c\"}}", "{\"l\":{\"L\":[{\"S\":\"a\"}]}}",
              "{\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"c\"}]}}");
    UPDATE_EQ("SET #a.#b[0].c = :v", "{\"#a\": \"a\", \"#b\": \"b\"}", "{\":v\": {\"BOOL\": false}}",
              "{\"a\":{\"M\":{\"b\":{\"L\":[{\"M\":{}}]}}}}",
              "{\"a\":{\"M\":{\"b\":{\"L\":[{\"M\":{\"c\":{\"BOOL\":false}}}]}}}}");
    UPDATE_EQ("set a = :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}", "{\"a\":{\"S\":\"x\"}}");
}

Test(ddb_update, operands_read_the_item_before_the_update) {
    UPDATE_EQ("SET a = b, b = a", NULL, NULL, "{\"a\":{\"N\":\"1\"},\"b\":{\"N\":\"2\"}}",
              "{\"a\":{\"N\":\"2\"},\"b\":{\"N\":\"1\"}}");
    UPDATE_EQ("SET c = m.k", NULL, NULL, "{\"m\":{\"M\":{\"k\":{\"S\":\"v\"}}}}",
              "{\"c\":{\"S\":\"v\"},\"m\":{\"M\":{\"k\":{\"S\":\"v\"}}}}");
}

Test(ddb_update, arithmetic_is_exact) {
    UPDATE_EQ("SET n = n + :d", NULL, "{\":d\": {\"N\": \"0.2\"}}", "{\"n\":{\"N\":\"0.1\"}}", "{\"n\":{\"N\":\"0.3\"}}");
    UPDATE_EQ("SET n = n - :d", NULL, "{\":d\": {\"N\": \"15\"}}", "{\"n\":{\"N\":\"10\"}}", "{\"n\":{\"N\":\"-5\"}}");
    UPDATE_EQ("SET n = :a + :b", NULL, "{\":a\": {\"N\": \"99999999999999999999999999999999999999\"}, \":b\": {\"N\": \"1\"}}",
              "{}", "{\"n\":{\"N\":\"100000000000000000000000000000000000000\"}}");
    UPDATE_EQ("SET n = (n + :d)", NULL, "{\":d\": {\"N\": \"1\"}}", "{\"n\":{\"N\":\"1\"}}", "{\"n\":{\"N\":\"2\"}}");
    UPDATE_EQ("SET n = n + :d", NULL, "{\":d\": {\"N\": \"1E-20\"}}", "{\"n\":{\"N\":\"1E+100\"}}",
              "ERROR: Attempting to store more than 38 significant digits in a Number");
    UPDATE_EQ("SET n = n + :d", NULL, "{\":d\": {\"N\": \"9E+125\"}}", "{\"n\":{\"N\":\"9E+125\"}}",
              "ERROR: Number overflow. Attempting to store a number with magnitude larger than supported range");
}

Test(ddb_update, if_not_exists_and_list_append) {
    const char *v = "{\":z\": {\"N\": \"0\"}, \":l\": {\"L\": [{\"S\": \"x\"}]}}";
    UPDATE_EQ("SET c = if_not_exists(c, :z)", NULL, "{\":z\": {\"N\": \"0\"}}", "{}", "{\"c\":{\"N\":\"0\"}}");
    UPDATE_EQ("SET c = if_not_exists(c, :z)", NULL, "{\":z\": {\"N\": \"0\"}}", "{\"c\":{\"N\":\"5\"}}", "{\"c\":{\"N\":\"5\"}}");
    UPDATE_EQ("SET l = list_append(l, :l), c = :z", NULL, v, "{\"l\":{\"L\":[{\"S\":\"a\"}]}}",
              "{\"c\":{\"N\":\"0\"},\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"x\"}]}}");
    UPDATE_EQ("SET l = list_append(:l, l), c = :z", NULL, v, "{\"l\":{\"L\":[{\"S\":\"a\"}]}}",
              "{\"c\":{\"N\":\"0\"},\"l\":{\"L\":[{\"S\":\"x\"},{\"S\":\"a\"}]}}");
    UPDATE_EQ("SET l = list_append(if_not_exists(l, :l), :l), c = :z", NULL, v, "{}",
              "{\"c\":{\"N\":\"0\"},\"l\":{\"L\":[{\"S\":\"x\"},{\"S\":\"x\"}]}}");
}

Test(ddb_update, remove_attributes_and_list_elements) {
    UPDATE_EQ("REMOVE a, m.k, nope", NULL, NULL, "{\"a\":{\"S\":\"x\"},\"m\":{\"M\":{\"k\":{\"S\":\"v\"},\"j\":{\"S\":\"w\"}}}}",
              "{\"m\":{\"M\":{\"j\":{\"S\":\"w\"}}}}");
    /* indexes name the elements of the list as it was */
    UPDATE_EQ("REMOVE l[0], l[2]", NULL, NULL, "{\"l\":{\"L\":[{\"N\":\"0\"},{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"}]}}",
              "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"3\"}]}}");
    UPDATE_EQ("REMOVE l[0] SET l[1] = :x", NULL, "{\":x\": {\"S\": \"x\"}}", "{\"l\":{\"L\":[{\"N\":\"0\"},{\"N\":\"1\"},{\"N\":\"2\"}]}}",
              "{\"l\":{\"L\":[{\"S\":\"x\"},{\"N\":\"2\"}]}}");
    UPDATE_EQ("REMOVE l[7]", NULL, NULL, "{\"l\":{\"L\":[{\"N\":\"0\"}]}}", "{\"l\":{\"L\":[{\"N\":\"0\"}]}}");
}

Test(ddb_update, add_numbers_and_sets) {
    UPDATE_EQ("ADD c :one", NULL, "{\":one\": {\"N\": \"1\"}}", "{}", "{\"c\":{\"N\":\"1\"}}");
    UPDATE_EQ("ADD c :one", NULL, "{\":one\": {\"N\": \"-1.5\"}}", "{\"c\":{\"N\":\"1\"}}", "{\"c\":{\"N\":\"-0.5\"}}");
    UPDATE_EQ("ADD s :s", NULL, "{\":s\": {\"SS\": [\"b\", \"c\"]}}", "{\"s\":{\"SS\":[\"a\",\"b\"]}}",
              "{\"s\":{\"SS\":[\"a\",\"b\",\"c\"]}}");
    UPDATE_EQ("ADD s :s", NULL, "{\":s\": {\"NS\": [\"1.0\", \"3\"]}}", "{\"s\":{\"NS\":[\"1\"]}}",
              "{\"s\":{\"NS\":[\"1\",\"3\"]}}");
    UPDATE_EQ("ADD s :s", NULL, "{\":s\": {\"SS\": [\"b\"]}}", "{}", "{\"s\":{\"SS\":[\"b\"]}}");
    UPDATE_EQ("ADD c :s", NULL, "{\":s\": {\"SS\": [\"b\"]}}", "{\"c\":{\"N\":\"1\"}}",
              "ERROR: An operand in the update expression has an incorrect data type");
}

Test(ddb_update, delete_from_sets) {
    UPDATE_EQ("DELETE s :s", NULL, "{\":s\": {\"SS\": [\"a\", \"z\"]}}", "{\"s\":{\"SS\":[\"a\",\"b\"]}}",
              "{\"s\":{\"SS\":[\"b\"]}}");
    UPDATE_EQ("DELETE s :s", NULL, "{\":s\": {\"SS\": [\"a\", \"b\"]}}", "{\"s\":{\"SS\":[\"a\",\"b\"]},\"k\":{\"S\":\"x\"}}",
              "{\"k\":{\"S\":\"x\"}}");
    UPDATE_EQ("DELETE s :s", NULL, "{\":s\": {\"NS\": [\"2.0\"]}}", "{\"s\":{\"NS\":[\"1\",\"2\"]}}", "{\"s\":{\"NS\":[\"1\"]}}");
    UPDATE_EQ("DELETE s :s", NULL, "{\":s\": {\"SS\": [\"a\"]}}", "{}", "{}");
}

Test(ddb_update, runtime_errors_leave_the_item_unchanged) {
    UPDATE_EQ("SET a = :v, b = nope", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: The provided expression refers to an attribute that does not exist in the item");
    UPDATE_EQ("SET a = nope + :v", NULL, "{\":v\": {\"N\": \"1\"}}", "{}",
              "ERROR: The provided expression refers to an attribute that does not exist in the item");
    UPDATE_EQ("SET m.k = :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: The document path provided in the update expression is invalid for update");
    UPDATE_EQ("SET m[0] = :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{\"m\":{\"M\":{}}}",
              "ERROR: The document path provided in the update expression is invalid for update");
    UPDATE_EQ("SET a = s + :v", NULL, "{\":v\": {\"N\": \"1\"}}", "{\"s\":{\"S\":\"x\"}}",
              "ERROR: An operand in the update expression has an incorrect data type");
    UPDATE_EQ("SET a = list_append(s, :v)", NULL, "{\":v\": {\"L\": []}}", "{\"s\":{\"S\":\"x\"}}",
              "ERROR: An operand in the update expression has an incorrect data type");
    /* the first action succeeded in phase one but nothing was written */
    json_t *item = J("{\"k\":{\"S\":\"x\"}}"), *vals = J("{\":v\": {\"S\": \"y\"}}");
    ddb_ctx_t ctx;
    ddb_err_t err;
    ddb_ctx_init(&ctx, NULL, vals);
    ddb_update_t *u = ddb_update_parse("SET a = :v, b = nope", &ctx, &err);
    cr_assert_not_null(u);
    cr_assert_eq(ddb_update_apply(u, item, &err), -1);
    cr_assert_eq(json_object_size(item), 1);
    ddb_update_free(u);
    ddb_ctx_done(&ctx);
    json_decref(item);
    json_decref(vals);
}

Test(ddb_update, parse_errors) {
    UPDATE_EQ("SET a = :v SET b = :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;");
    UPDATE_EQ("SET a = :v REMOVE a.b", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite "
              "one of these paths; path one: [a], path two: [a, b]");
    UPDATE_EQ("SET a.b = :v REMOVE a[1]", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite "
              "one of these paths; path one: [a, b], path two: [a, [1]]");
    UPDATE_EQ("ADD a :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, "
              "operand type: STRING");
    UPDATE_EQ("DELETE a :v", NULL, "{\":v\": {\"N\": \"1\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, "
              "operand type: NUMBER");
    UPDATE_EQ("SET a = b + :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Incorrect operand type for operator or function; operator or "
              "function: +, operand type: S");
    UPDATE_EQ("SET a = list_append(b, :v)", NULL, "{\":v\": {\"N\": \"1\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Incorrect operand type for operator or function; operator or "
              "function: list_append, operand type: N");
    UPDATE_EQ("SET a = if_not_exists(:v, b)", NULL, "{\":v\": {\"N\": \"1\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Operator or function requires a document path; operator or "
              "function: if_not_exists");
    UPDATE_EQ("SET a = size(b)", NULL, NULL, "{}", "ERROR: Invalid UpdateExpression: Invalid function name; function: size");
    UPDATE_EQ("SET a = :v", NULL, NULL, "{}",
              "ERROR: Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
              "attribute value: :v");
    UPDATE_EQ("SET #x = :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: An expression attribute name used in the document path is not "
              "defined; attribute name: #x");
    UPDATE_EQ("SET year = :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: year");
    UPDATE_EQ("SET a :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Syntax error; token: \":v\", near: \"a :v\"");
    UPDATE_EQ("PUT a = :v", NULL, "{\":v\": {\"S\": \"x\"}}", "{}",
              "ERROR: Invalid UpdateExpression: Syntax error; token: \"PUT\", near: \"PUT a\"");
    UPDATE_EQ("", NULL, NULL, "{}", "ERROR: Invalid UpdateExpression: The expression can not be empty;");
    UPDATE_EQ("SET a = :v", NULL, "{\":v\": {\"S\": \"x\"}, \":w\": {\"S\": \"y\"}}", "{}",
              "ERROR: Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}");
}

Test(ddb_update, touches_and_updated_paths) {
    json_t *vals = J("{\":v\": {\"S\": \"x\"}}");
    ddb_ctx_t ctx;
    ddb_err_t err;
    ddb_ctx_init(&ctx, NULL, vals);
    ddb_update_t *u = ddb_update_parse("SET m.k = :v REMOVE gone", &ctx, &err);
    cr_assert_not_null(u, "%s", err.msg);
    cr_assert(ddb_update_touches(u, "m"));
    cr_assert(ddb_update_touches(u, "gone"));
    cr_assert_not(ddb_update_touches(u, "k"));
    json_t *item = J("{\"id\":{\"S\":\"1\"},\"gone\":{\"N\":\"1\"},\"m\":{\"M\":{\"k\":{\"S\":\"old\"},\"j\":{\"S\":\"j\"}}}}");
    ddb_proj_t *paths = ddb_update_paths(u);
    json_t *old = ddb_proj_apply(paths, item);
    char *s = json_dumps(old, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(s, "{\"gone\":{\"N\":\"1\"},\"m\":{\"M\":{\"k\":{\"S\":\"old\"}}}}");
    free(s);
    cr_assert_eq(ddb_update_apply(u, item, &err), 0);
    json_t *new = ddb_proj_apply(paths, item);
    s = json_dumps(new, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(s, "{\"m\":{\"M\":{\"k\":{\"S\":\"x\"}}}}");
    free(s);
    json_decref(old);
    json_decref(new);
    json_decref(item);
    ddb_proj_free(paths);
    ddb_update_free(u);
    ddb_ctx_done(&ctx);
    json_decref(vals);
}

/* ---- projection ---- */

static char *project(const char *expr, const char *names, const char *item)
{
    json_t *jn = names ? J(names) : NULL, *ji = J(item);
    ddb_ctx_t ctx;
    ddb_err_t err = {0};
    ddb_ctx_init(&ctx, jn, NULL);
    ddb_proj_t *p = ddb_proj_parse(expr, &ctx, &err);
    char *out;
    if (p && ddb_ctx_check_unused(&ctx, &err) == 0) {
        json_t *r = ddb_proj_apply(p, ji);
        out = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(r);
    } else {
        out = malloc(strlen(err.msg) + 8);
        sprintf(out, "ERROR: %s", err.msg);
    }
    ddb_proj_free(p);
    ddb_ctx_done(&ctx);
    json_decref(jn);
    json_decref(ji);
    return out;
}

#define PROJECT_EQ(expr, names, item, want)                                                                      \
    do {                                                                                                         \
        char *got_ = project(expr, names, item);                                                                 \
        cr_assert_str_eq(got_, want, "%s", expr);                                                                \
        free(got_);                                                                                              \
    } while (0)

Test(ddb_proj, nested_paths_keep_their_shape) {
    PROJECT_EQ("s, n, nope", NULL, ITEM, "{\"n\":{\"N\":\"10\"},\"s\":{\"S\":\"hello\"}}");
    PROJECT_EQ("m.b[1], l[2].c", NULL, ITEM,
               "{\"l\":{\"L\":[{\"M\":{\"c\":{\"S\":\"deep\"}}}]},\"m\":{\"M\":{\"b\":{\"L\":[{\"S\":\"q\"}]}}}}");
    /* list elements come back compacted, in list order */
    PROJECT_EQ("l[2], l[0]", NULL, ITEM, "{\"l\":{\"L\":[{\"S\":\"a\"},{\"M\":{\"c\":{\"S\":\"deep\"}}}]}}");
    PROJECT_EQ("m.a, m.nope, s.x, l[9]", NULL, ITEM, "{\"m\":{\"M\":{\"a\":{\"N\":\"1\"}}}}");
    PROJECT_EQ("#st", "{\"#st\": \"s\"}", ITEM, "{\"s\":{\"S\":\"hello\"}}");
}

Test(ddb_proj, errors) {
    PROJECT_EQ("a, a.b", NULL, "{}",
               "ERROR: Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
               "rewrite one of these paths; path one: [a], path two: [a, b]");
    PROJECT_EQ("a.b, a[0]", NULL, "{}",
               "ERROR: Invalid ProjectionExpression: Two document paths conflict with each other; must remove or "
               "rewrite one of these paths; path one: [a, b], path two: [a, [0]]");
    PROJECT_EQ("name", NULL, "{}",
               "ERROR: Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name");
    PROJECT_EQ("a,", NULL, "{}", "ERROR: Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
    PROJECT_EQ("a b", NULL, "{}", "ERROR: Invalid ProjectionExpression: Syntax error; token: \"b\", near: \"a b\"");
    PROJECT_EQ("#x", NULL, "{}",
               "ERROR: Invalid ProjectionExpression: An expression attribute name used in the document path is not "
               "defined; attribute name: #x");
    PROJECT_EQ("a", "{\"#x\": \"x\"}", "{}",
               "ERROR: Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}");
}

/* ---- key conditions ---- */

static int keycond(const char *expr, const char *names, const char *values, const char *range, char rtype,
                   ddb_keycond_t *kc, char *msg)
{
    json_t *jn = names ? J(names) : NULL, *jv = values ? J(values) : NULL;
    ddb_ctx_t ctx;
    ddb_err_t err = {0};
    ddb_ctx_init(&ctx, jn, jv);
    int rc = ddb_keycond_parse(expr, &ctx, "pk", 'S', range, rtype, kc, &err);
    if (rc == 0 && ddb_ctx_check_unused(&ctx, &err) != 0) {
        ddb_keycond_done(kc);
        rc = -1;
    }
    if (rc != 0)
        strcpy(msg, err.msg);
    ddb_ctx_done(&ctx);
    json_decref(jn);
    json_decref(jv);
    return rc;
}

static const char *KV = "{\":p\": {\"S\": \"p1\"}, \":a\": {\"N\": \"5\"}, \":b\": {\"N\": \"10\"}, \":s\": {\"S\": \"x\"}}";

Test(ddb_key, partition_and_sort_conditions) {
    ddb_keycond_t kc;
    char msg[1024];
    cr_assert_eq(keycond("pk = :p", NULL, "{\":p\": {\"S\": \"p1\"}}", "sk", 'N', &kc, msg), 0, "%s", msg);
    cr_assert_str_eq(json_string_value(json_object_get(kc.hash_value, "S")), "p1");
    cr_assert_eq(kc.range_op, DDB_KEY_NONE);
    ddb_keycond_done(&kc);

    json_t *six = J("{\"N\": \"6\"}"), *ten = J("{\"N\": \"10.0\"}"), *eleven = J("{\"N\": \"11\"}");
    cr_assert_eq(keycond("pk = :p AND sk BETWEEN :a AND :b", NULL,
                         "{\":p\": {\"S\": \"p1\"}, \":a\": {\"N\": \"5\"}, \":b\": {\"N\": \"10\"}}", "sk", 'N', &kc, msg), 0, "%s", msg);
    cr_assert_eq(kc.range_op, DDB_KEY_BETWEEN);
    cr_assert(ddb_keycond_range_match(&kc, six) && ddb_keycond_range_match(&kc, ten));
    cr_assert_not(ddb_keycond_range_match(&kc, eleven));
    ddb_keycond_done(&kc);

    cr_assert_eq(keycond("sk < :b AND pk = :p", NULL, "{\":p\": {\"S\": \"p1\"}, \":b\": {\"N\": \"10\"}}", "sk", 'N', &kc, msg), 0);
    cr_assert_eq(kc.range_op, DDB_KEY_LT);
    cr_assert(ddb_keycond_range_match(&kc, six));
    cr_assert_not(ddb_keycond_range_match(&kc, ten));
    ddb_keycond_done(&kc);

    cr_assert_eq(keycond(":b > sk AND pk = :p", NULL, "{\":p\": {\"S\": \"p1\"}, \":b\": {\"N\": \"10\"}}", "sk", 'N', &kc, msg), 0);
    cr_assert_eq(kc.range_op, DDB_KEY_LT, "operands swapped: the operator turns round");
    ddb_keycond_done(&kc);

    json_t *abc = J("{\"S\": \"abc\"}"), *b = J("{\"S\": \"b\"}");
    cr_assert_eq(keycond("#k = :p AND begins_with(#r, :s)", "{\"#k\": \"pk\", \"#r\": \"sk\"}",
                         "{\":p\": {\"S\": \"p1\"}, \":s\": {\"S\": \"ab\"}}", "sk", 'S', &kc, msg), 0, "%s", msg);
    cr_assert_eq(kc.range_op, DDB_KEY_BEGINS_WITH);
    cr_assert(ddb_keycond_range_match(&kc, abc));
    cr_assert_not(ddb_keycond_range_match(&kc, b));
    ddb_keycond_done(&kc);
    json_decref(six);
    json_decref(ten);
    json_decref(eleven);
    json_decref(abc);
    json_decref(b);
}

static const char *key_error(const char *expr, const char *values, const char *range, char rtype)
{
    static char msg[1024];
    ddb_keycond_t kc;
    int rc = keycond(expr, NULL, values, range, rtype, &kc, msg);
    cr_assert_eq(rc, -1, "expected an error for %s", expr);
    return msg;
}

Test(ddb_key, errors) {
    cr_assert_str_eq(key_error("sk = :a", "{\":a\": {\"N\": \"5\"}}", "sk", 'N'),
                     "Query condition missed key schema element: pk");
    cr_assert_str_eq(key_error("pk > :p", "{\":p\": {\"S\": \"p1\"}}", "sk", 'N'), "Query key condition not supported");
    cr_assert_str_eq(key_error("begins_with(pk, :p)", "{\":p\": {\"S\": \"p1\"}}", "sk", 'N'), "Query key condition not supported");
    cr_assert_str_eq(key_error("pk = :p AND attr2 = :a", "{\":p\": {\"S\": \"p1\"}, \":a\": {\"N\": \"5\"}}", "sk", 'N'),
                     "Query condition missed key schema element: sk");
    cr_assert_str_eq(key_error("pk = :p AND sk > :a AND sk < :b", KV, "sk", 'N'),
                     "KeyConditionExpressions must only contain one condition per key");
    cr_assert_str_eq(key_error("pk = :p AND pk = :p", "{\":p\": {\"S\": \"p1\"}}", "sk", 'N'),
                     "KeyConditionExpressions must only contain one condition per key");
    cr_assert_str_eq(key_error("pk = :p OR sk = :a", "{\":p\": {\"S\": \"p1\"}, \":a\": {\"N\": \"5\"}}", "sk", 'N'),
                     "Invalid operator used in KeyConditionExpression: OR");
    cr_assert_str_eq(key_error("pk IN (:p)", "{\":p\": {\"S\": \"p1\"}}", "sk", 'N'),
                     "Invalid operator used in KeyConditionExpression: IN");
    cr_assert_str_eq(key_error("pk = :p AND attribute_exists(sk)", "{\":p\": {\"S\": \"p1\"}}", "sk", 'N'),
                     "Invalid operator used in KeyConditionExpression: attribute_exists");
    cr_assert_str_eq(key_error("pk = :a", "{\":a\": {\"N\": \"5\"}}", "sk", 'N'),
                     "One or more parameter values were invalid: Condition parameter type does not match schema type");
    cr_assert_str_eq(key_error("pk = :p AND sk = :s", "{\":p\": {\"S\": \"p1\"}, \":s\": {\"S\": \"x\"}}", "sk", 'N'),
                     "One or more parameter values were invalid: Condition parameter type does not match schema type");
    cr_assert_str_eq(key_error("pk = :p AND sk.x = :a", "{\":p\": {\"S\": \"p1\"}, \":a\": {\"N\": \"5\"}}", "sk", 'N'),
                     "KeyConditionExpressions cannot have conditions on nested attributes");
    cr_assert_str_eq(key_error("pk = :p AND", "{\":p\": {\"S\": \"p1\"}}", "sk", 'N'),
                     "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
    cr_assert_str_eq(key_error("pk = :p", "{\":p\": {\"S\": \"p1\"}, \":x\": {\"S\": \"p1\"}}", "sk", 'N'),
                     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}");
}

Test(ddb_key, legacy_key_conditions) {
    ddb_keycond_t kc;
    ddb_err_t err;
    json_t *k = J("{\"pk\": {\"ComparisonOperator\": \"EQ\", \"AttributeValueList\": [{\"S\": \"p1\"}]},"
                  " \"sk\": {\"ComparisonOperator\": \"GE\", \"AttributeValueList\": [{\"N\": \"3\"}]}}");
    cr_assert_eq(ddb_keycond_from_legacy(k, "pk", 'S', "sk", 'N', &kc, &err), 0, "%s", err.msg);
    cr_assert_eq(kc.range_op, DDB_KEY_GE);
    ddb_keycond_done(&kc);
    json_decref(k);
    k = J("{\"pk\": {\"ComparisonOperator\": \"NE\", \"AttributeValueList\": [{\"S\": \"p1\"}]}}");
    cr_assert_eq(ddb_keycond_from_legacy(k, "pk", 'S', NULL, 0, &kc, &err), -1);
    cr_assert_str_eq(err.msg, "Attempted conditional constraint is not an indexable operation");
    json_decref(k);
    k = J("{\"pk\": {\"ComparisonOperator\": \"EQ\", \"AttributeValueList\": []}}");
    cr_assert_eq(ddb_keycond_from_legacy(k, "pk", 'S', NULL, 0, &kc, &err), -1);
    cr_assert_str_eq(err.msg, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ "
                              "ComparisonOperator");
    json_decref(k);
    k = J("{}");
    cr_assert_eq(ddb_keycond_from_legacy(k, "pk", 'S', NULL, 0, &kc, &err), -1);
    cr_assert_str_eq(err.msg, "Conditions can be of length 1 or 2 only");
    json_decref(k);
}

/* ---- legacy parameters ---- */

static int expected(const char *exp, const char *op, const char *item, char *msg)
{
    json_t *e = J(exp), *i = item ? J(item) : NULL;
    ddb_err_t err = {0};
    ddb_cond_t *c = ddb_cond_from_expected(e, op, &err);
    int rc = c ? ddb_cond_eval(c, i) : -1;
    if (!c)
        strcpy(msg, err.msg);
    ddb_cond_free(c);
    json_decref(e);
    json_decref(i);
    return rc;
}

Test(ddb_legacy, expected_exists_and_value) {
    char msg[1024];
    cr_assert_eq(expected("{\"s\": {\"Exists\": false}}", NULL, NULL, msg), 1);
    cr_assert_eq(expected("{\"s\": {\"Exists\": false}}", NULL, ITEM, msg), 0);
    cr_assert_eq(expected("{\"s\": {\"Value\": {\"S\": \"hello\"}}}", NULL, ITEM, msg), 1);
    cr_assert_eq(expected("{\"s\": {\"Exists\": true, \"Value\": {\"S\": \"bye\"}}}", NULL, ITEM, msg), 0);
    cr_assert_eq(expected("{\"n\": {\"ComparisonOperator\": \"GT\", \"AttributeValueList\": [{\"N\": \"9\"}]}}", NULL, ITEM, msg), 1);
    cr_assert_eq(expected("{\"n\": {\"ComparisonOperator\": \"GT\", \"Value\": {\"N\": \"11\"}}}", NULL, ITEM, msg), 0);
    cr_assert_eq(expected("{\"s\": {\"ComparisonOperator\": \"NULL\"}, \"n\": {\"ComparisonOperator\": \"NOT_NULL\"}}",
                          "OR", ITEM, msg), 1);
    cr_assert_eq(expected("{\"s\": {\"ComparisonOperator\": \"NULL\"}, \"n\": {\"ComparisonOperator\": \"NOT_NULL\"}}",
                          "AND", ITEM, msg), 0);
    cr_assert_eq(expected("{\"ss\": {\"ComparisonOperator\": \"CONTAINS\", \"AttributeValueList\": [{\"S\": \"x\"}]}}", NULL, ITEM, msg), 1);
    cr_assert_eq(expected("{\"ss\": {\"ComparisonOperator\": \"NOT_CONTAINS\", \"AttributeValueList\": [{\"S\": \"x\"}]}}", NULL, ITEM, msg), 0);
    cr_assert_eq(expected("{\"s\": {\"ComparisonOperator\": \"BEGINS_WITH\", \"AttributeValueList\": [{\"S\": \"he\"}]}}", NULL, ITEM, msg), 1);
    cr_assert_eq(expected("{\"n\": {\"ComparisonOperator\": \"IN\", \"AttributeValueList\": [{\"N\": \"1\"}, {\"N\": \"10\"}]}}", NULL, ITEM, msg), 1);
    cr_assert_eq(expected("{\"n\": {\"ComparisonOperator\": \"BETWEEN\", \"AttributeValueList\": [{\"N\": \"1\"}, {\"N\": \"9\"}]}}", NULL, ITEM, msg), 0);
    cr_assert_eq(expected("{\"n\": {\"ComparisonOperator\": \"NE\", \"AttributeValueList\": [{\"N\": \"10\"}]}}", NULL, ITEM, msg), 0);
}

Test(ddb_legacy, expected_errors) {
    char msg[1024];
    cr_assert_eq(expected("{\"a\": {\"Exists\": true}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a");
    cr_assert_eq(expected("{\"a\": {}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a");
    cr_assert_eq(expected("{\"a\": {\"Exists\": false, \"Value\": {\"S\": \"x\"}}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a");
    cr_assert_eq(expected("{\"a\": {\"Exists\": true, \"ComparisonOperator\": \"EQ\"}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a");
    cr_assert_eq(expected("{\"a\": {\"AttributeValueList\": [{\"S\": \"x\"}]}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a");
    cr_assert_eq(expected("{\"a\": {\"ComparisonOperator\": \"EQ\"}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: Value or AttributeValueList must be used with "
                          "ComparisonOperator: EQ for Attribute: a");
    cr_assert_eq(expected("{\"a\": {\"ComparisonOperator\": \"EQ\", \"AttributeValueList\": [{\"S\": \"x\"}, {\"S\": \"y\"}]}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator");
    cr_assert_eq(expected("{\"a\": {\"ComparisonOperator\": \"BETWEEN\", \"AttributeValueList\": [{\"S\": \"x\"}, {\"SS\": [\"y\"]}]}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: ComparisonOperator BETWEEN is not valid for SS AttributeValue type");
    cr_assert_eq(expected("{\"a\": {\"ComparisonOperator\": \"BETWEEN\", \"AttributeValueList\": [{\"N\": \"9\"}, {\"N\": \"1\"}]}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound");
    cr_assert_eq(expected("{\"a\": {\"Exists\": false}}", "OR", NULL, msg), -1);
    cr_assert_str_eq(msg, "ConditionalOperator can only be used when Filter or Expected has two or more elements");
    cr_assert_eq(expected("{}", "AND", NULL, msg), -1);
    cr_assert_str_eq(msg, "ConditionalOperator cannot be used without Filter or Expected");
    cr_assert_eq(expected("{\"a\": {\"ComparisonOperator\": \"LT\", \"AttributeValueList\": [{\"BOOL\": true}]}}", NULL, NULL, msg), -1);
    cr_assert_str_eq(msg, "One or more parameter values were invalid: ComparisonOperator LT is not valid for BOOL AttributeValue type");
}

Test(ddb_legacy, scan_filter) {
    json_t *f = J("{\"n\": {\"ComparisonOperator\": \"LE\", \"AttributeValueList\": [{\"N\": \"10\"}]},"
                  " \"s\": {\"ComparisonOperator\": \"EQ\", \"AttributeValueList\": [{\"S\": \"nope\"}]}}");
    json_t *item = J(ITEM);
    ddb_err_t err;
    ddb_cond_t *c = ddb_cond_from_filter(f, "OR", &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_assert(ddb_cond_eval(c, item));
    ddb_cond_free(c);
    c = ddb_cond_from_filter(f, NULL, &err);
    cr_assert_not(ddb_cond_eval(c, item), "AND by default");
    ddb_cond_free(c);
    json_decref(f);
    json_decref(item);
}

Test(ddb_legacy, attribute_updates) {
    json_t *au = J("{\"a\": {\"Action\": \"PUT\", \"Value\": {\"S\": \"new\"}}, \"gone\": {\"Action\": \"DELETE\"},"
                   " \"c\": {\"Action\": \"ADD\", \"Value\": {\"N\": \"2\"}}, \"ss\": {\"Action\": \"DELETE\", \"Value\": {\"SS\": [\"x\"]}},"
                   " \"l\": {\"Action\": \"ADD\", \"Value\": {\"L\": [{\"S\": \"z\"}]}}, \"p\": {\"Value\": {\"N\": \"1\"}}}");
    json_t *item = J("{\"gone\": {\"S\": \"x\"}, \"c\": {\"N\": \"1\"}, \"ss\": {\"SS\": [\"x\", \"y\"]}, \"l\": {\"L\": [{\"S\": \"a\"}]}}");
    ddb_err_t err;
    ddb_update_t *u = ddb_update_from_attribute_updates(au, &err);
    cr_assert_not_null(u, "%s", err.msg);
    cr_assert_eq(ddb_update_apply(u, item, &err), 0, "%s", err.msg);
    char *s = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(s, "{\"a\":{\"S\":\"new\"},\"c\":{\"N\":\"3\"},\"l\":{\"L\":[{\"S\":\"a\"},{\"S\":\"z\"}]},"
                        "\"p\":{\"N\":\"1\"},\"ss\":{\"SS\":[\"y\"]}}");
    free(s);
    ddb_update_free(u);
    json_decref(au);
    json_decref(item);
    au = J("{\"a\": {\"Action\": \"PUT\"}}");
    cr_assert_null(ddb_update_from_attribute_updates(au, &err));
    cr_assert_str_eq(err.msg, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified");
    json_decref(au);
}

Test(ddb_legacy, attributes_to_get) {
    json_t *names = J("[\"s\", \"n\", \"nope\"]"), *item = J(ITEM);
    ddb_err_t err;
    ddb_proj_t *p = ddb_proj_from_attributes_to_get(names, &err);
    cr_assert_not_null(p);
    json_t *r = ddb_proj_apply(p, item);
    char *s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(s, "{\"n\":{\"N\":\"10\"},\"s\":{\"S\":\"hello\"}}");
    free(s);
    json_decref(r);
    ddb_proj_free(p);
    json_decref(names);
    json_decref(item);
}

Test(ddb_legacy, mixing_legacy_and_expression_parameters_is_refused) {
    ddb_err_t err;
    json_t *req = J("{\"TableName\": \"t\", \"AttributesToGet\": [\"a\"], \"ProjectionExpression\": \"a\"}");
    cr_assert_eq(ddb_legacy_check_mix(req, &err), -1);
    cr_assert_str_eq(err.msg, "Can not use both expression and non-expression parameters in the same request: "
                              "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}");
    json_decref(req);
    /* AWS's order of both lists; KeyConditions counts beside a KeyConditionExpression only */
    req = J("{\"KeyConditions\": {}, \"QueryFilter\": {}, \"AttributesToGet\": [], \"FilterExpression\": \"a = :v\","
            " \"ProjectionExpression\": \"a\"}");
    cr_assert_eq(ddb_legacy_check_mix(req, &err), -1);
    cr_assert_str_eq(err.msg, "Can not use both expression and non-expression parameters in the same request: "
                              "Non-expression parameters: {AttributesToGet, QueryFilter} Expression parameters: "
                              "{ProjectionExpression, FilterExpression}");
    json_decref(req);
    req = J("{\"KeyConditions\": {}, \"KeyConditionExpression\": \"a = :v\"}");
    cr_assert_eq(ddb_legacy_check_mix(req, &err), -1);
    cr_assert_str_eq(err.msg, "Can not use both expression and non-expression parameters in the same request: "
                              "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}");
    json_decref(req);
    req = J("{\"TableName\": \"t\", \"KeyConditionExpression\": \"a = :v\", \"FilterExpression\": \"a = :v\"}");
    cr_assert_eq(ddb_legacy_check_mix(req, &err), 0);
    json_decref(req);
}

/* ---- the context itself ---- */

Test(ddb_ctx, request_level_checks) {
    ddb_ctx_t ctx;
    ddb_err_t err;
    json_t *names = J("{\"#a\": \"a\"}"), *empty = J("{}"), *bad = J("{\"a\": \"a\"}"), *badv = J("{\"v\": {\"S\": \"x\"}}");
    ddb_ctx_init(&ctx, names, NULL);
    cr_assert_eq(ddb_ctx_validate(&ctx, false, &err), -1);
    cr_assert_str_eq(err.msg, "ExpressionAttributeNames can only be specified when using expressions");
    cr_assert_eq(ddb_ctx_validate(&ctx, true, &err), 0);
    ddb_ctx_done(&ctx);
    ddb_ctx_init(&ctx, NULL, empty);
    cr_assert_eq(ddb_ctx_validate(&ctx, true, &err), -1);
    cr_assert_str_eq(err.msg, "ExpressionAttributeValues must not be empty");
    ddb_ctx_done(&ctx);
    ddb_ctx_init(&ctx, bad, NULL);
    cr_assert_eq(ddb_ctx_validate(&ctx, true, &err), -1);
    cr_assert_str_eq(err.msg, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\"");
    ddb_ctx_done(&ctx);
    ddb_ctx_init(&ctx, NULL, badv);
    cr_assert_eq(ddb_ctx_validate(&ctx, true, &err), -1);
    cr_assert_str_eq(err.msg, "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\"");
    ddb_ctx_done(&ctx);
    json_decref(names);
    json_decref(empty);
    json_decref(bad);
    json_decref(badv);
}

Test(ddb_ctx, trees_outlive_the_request_maps) {
    json_t *vals = J("{\":v\": {\"S\": \"hello\"}}"), *item = J(ITEM);
    ddb_ctx_t ctx;
    ddb_err_t err;
    ddb_ctx_init(&ctx, NULL, vals);
    ddb_cond_t *c = ddb_cond_parse(DDB_EXPR_FILTER, "s = :v", &ctx, &err);
    ddb_ctx_done(&ctx);
    json_decref(vals); /* the tree keeps its own reference */
    cr_assert(ddb_cond_eval(c, item));
    cr_assert(ddb_cond_eval(c, item), "evaluates many times");
    ddb_cond_free(c);
    json_decref(item);
}

Test(ddb_ctx, request_checks_name_the_missing_expressions_per_operation) {
    ddb_ctx_t ctx;
    ddb_err_t err;
    json_t *vals = J("{\":v\": {\"S\": \"x\"}}"), *names = J("{\"#a\": \"a\"}");
    const struct {
        const char *op, *request, *want;
    } cases[] = {
        {"PutItem", "{}", "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"},
        {"UpdateItem", "{}", "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"},
        {"Query", "{\"ProjectionExpression\": \"a\"}", "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null"},
        {"Scan", "{\"ProjectionExpression\": \"a\"}", "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"},
        {"Query", "{\"KeyConditionExpression\": \"a = :v\"}", NULL},
        {"UpdateItem", "{\"ConditionExpression\": \"a = :v\"}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *req = J(cases[i].request);
        ddb_ctx_init(&ctx, NULL, vals);
        int rc = ddb_ctx_validate_request(&ctx, cases[i].op, req, &err);
        if (cases[i].want) {
            cr_assert_eq(rc, -1, "%s %s", cases[i].op, cases[i].request);
            cr_assert_str_eq(err.msg, cases[i].want);
        } else {
            cr_assert_eq(rc, 0, "%s %s: %s", cases[i].op, cases[i].request, err.msg);
        }
        ddb_ctx_done(&ctx);
        json_decref(req);
    }
    json_t *req = J("{}");
    ddb_ctx_init(&ctx, names, NULL);
    cr_assert_eq(ddb_ctx_validate_request(&ctx, "GetItem", req, &err), -1);
    cr_assert_str_eq(err.msg, "ExpressionAttributeNames can only be specified when using expressions");
    ddb_ctx_done(&ctx);
    json_decref(req);
    json_decref(vals);
    json_decref(names);
}

Test(ddb_cond, uses_attr_finds_top_level_names_anywhere) {
    json_t *vals = J("{\":v\": {\"S\": \"x\"}, \":n\": {\"N\": \"1\"}}");
    ddb_ctx_t ctx;
    ddb_err_t err;
    ddb_ctx_init(&ctx, NULL, vals);
    ddb_cond_t *c = ddb_cond_parse(DDB_EXPR_FILTER, "a = :v OR (NOT size(b.c) > :n AND contains(d[0], :v))", &ctx, &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_assert(ddb_cond_uses_attr(c, "a") && ddb_cond_uses_attr(c, "b") && ddb_cond_uses_attr(c, "d"));
    cr_assert_not(ddb_cond_uses_attr(c, "c"), "c is nested, not top-level");
    cr_assert_not(ddb_cond_uses_attr(c, "e"));
    ddb_cond_free(c);
    ddb_ctx_done(&ctx);
    json_decref(vals);
}

Test(ddb_update, applied_values_do_not_share_the_trees_values) {
    json_t *vals = J("{\":m\": {\"M\": {\"k\": {\"S\": \"v\"}}}, \":x\": {\"S\": \"x\"}}");
    json_t *item = J("{}"), *other = J("{}");
    ddb_ctx_t ctx;
    ddb_err_t err;
    ddb_ctx_init(&ctx, NULL, vals);
    ddb_update_t *set = ddb_update_parse("SET a = :m", &ctx, &err);
    ddb_update_t *nested = ddb_update_parse("SET a.k = :x", &ctx, &err);
    cr_assert(set && nested, "%s", err.msg);
    cr_assert_eq(ddb_update_apply(set, item, &err), 0);
    cr_assert_eq(ddb_update_apply(nested, item, &err), 0);
    /* the same tree applied again still writes the original value */
    cr_assert_eq(ddb_update_apply(set, other, &err), 0);
    char *s = json_dumps(other, JSON_COMPACT);
    cr_assert_str_eq(s, "{\"a\":{\"M\":{\"k\":{\"S\":\"v\"}}}}");
    free(s);
    ddb_update_free(set);
    ddb_update_free(nested);
    ddb_ctx_done(&ctx);
    json_decref(vals);
    json_decref(item);
    json_decref(other);
}

Test(ddb_limits, expression_size_and_path_depth) {
    char expr[5000], path[400];
    /* 4096 bytes are fine, 4097 are not */
    memset(expr, ' ', 4096);
    memcpy(expr, "a = :v", 6);
    expr[4096] = 0;
    char msg[1024];
    cr_assert_eq(run_cond(DDB_EXPR_CONDITION, expr, NULL, "{\":v\": {\"S\": \"x\"}}", ITEM, msg), 0, "%s", msg);
    expr[4096] = ' ';
    expr[4097] = 0;
    cr_assert_str_eq(cond_error(expr, NULL, "{\":v\": {\"S\": \"x\"}}"),
                     "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression "
                     "size: 4097");
    /* 32 levels are fine, 33 are not */
    strcpy(path, "a");
    for (int i = 1; i < 32; i++)
        strcat(path, i % 2 ? ".b" : "[0]");
    snprintf(expr, sizeof expr, "attribute_exists(%s)", path);
    cr_assert_eq(run_cond(DDB_EXPR_CONDITION, expr, NULL, NULL, ITEM, msg), 0, "%s", msg);
    strcat(path, ".c");
    snprintf(expr, sizeof expr, "attribute_exists(%s)", path);
    cr_assert_str_eq(cond_error(expr, NULL, NULL),
                     "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 33");
    strcat(path, "[1].d");
    snprintf(expr, sizeof expr, "attribute_exists(%s)", path);
    cr_assert_str_eq(cond_error(expr, NULL, NULL),
                     "Invalid ConditionExpression: The document path has too many nesting levels; nesting levels: 35");
}
