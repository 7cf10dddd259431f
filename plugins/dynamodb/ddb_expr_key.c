/* KeyConditionExpression (and legacy KeyConditions): the partition key's equality and the sort key's
 * range, checked against the key schema of the table or index queried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_int.h"

static const char *const err_one_per_key = "KeyConditionExpressions must only contain one condition per key";
static const char *const err_not_supported = "Query key condition not supported";
static const char *const err_schema_type =
    "One or more parameter values were invalid: Condition parameter type does not match schema type";

/* One condition on one key attribute, whichever grammar it came from. */
typedef struct key_term {
    const char *name;
    size_t len;
    ddb_keyop_t op;
    json_t *values[2];
    size_t nvalues;
} key_term_t;

static bool name_is(const key_term_t *t, const char *name)
{
    return name && strlen(name) == t->len && memcmp(t->name, name, t->len) == 0;
}

static bool type_matches(const json_t *v, char type)
{
    if (!type)
        return true;
    const char want[2] = {type, 0};
    return strcmp(ddb_type_name(ddb_value_type(v, NULL)), want) == 0;
}

/* Sort the terms onto the schema and fill `out`. */
static int assign_terms(const key_term_t *terms, size_t n, const char *hash_name, char hash_type,
                        const char *range_name, char range_type, ddb_keycond_t *out, ddb_err_t *err)
{
    const key_term_t *hash = NULL, *range = NULL;
    bool other = false;
    for (size_t i = 0; i < n; i++) {
        const key_term_t *t = &terms[i];
        if (name_is(t, hash_name)) {
            if (hash) {
                ddb_err_set(err, "%s", err_one_per_key);
                return -1;
            }
            hash = t;
        } else if (name_is(t, range_name)) {
            if (range) {
                ddb_err_set(err, "%s", err_one_per_key);
                return -1;
            }
            range = t;
        } else {
            other = true;
        }
    }
    if (!hash) {
        ddb_err_set(err, "Query condition missed key schema element: %s", hash_name);
        return -1;
    }
    if (other) {
        if (range_name && !range)
            ddb_err_set(err, "Query condition missed key schema element: %s", range_name);
        else
            ddb_err_set(err, "%s", err_not_supported);
        return -1;
    }
    if (hash->op != DDB_KEY_EQ) {
        ddb_err_set(err, "%s", err_not_supported);
        return -1;
    }
    if (!type_matches(hash->values[0], hash_type)) {
        ddb_err_set(err, "%s", err_schema_type);
        return -1;
    }
    for (size_t i = 0; range && i < range->nvalues; i++) {
        if (!type_matches(range->values[i], range_type)) {
            ddb_err_set(err, "%s", err_schema_type);
            return -1;
        }
    }
    if (range && range->op == DDB_KEY_BEGINS_WITH && range_type == 'N') {
        ddb_err_set(err, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                         "operator or function: begins_with, operand type: N");
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->hash_value = json_incref(hash->values[0]);
    if (range) {
        out->range_op = range->op;
        for (size_t i = 0; i < range->nvalues; i++)
            out->range_values[i] = json_incref(range->values[i]);
    }
    return 0;
}

static const char *node_operator(const ddb_cnode_t *n)
{
    switch (n->kind) {
    case CN_OR: return "OR";
    case CN_NOT: return "NOT";
    case CN_IN: return "IN";
    case CN_EXISTS: return "attribute_exists";
    case CN_NOT_EXISTS: return "attribute_not_exists";
    case CN_TYPE: return "attribute_type";
    case CN_CONTAINS: return "contains";
    case CN_CMP: return n->op == CMP_NE ? "<>" : NULL;
    default: return NULL;
    }
}

/* One conjunct as a term: a key attribute on one side, values on the other. */
static int to_term(const ddb_cnode_t *n, key_term_t *t, ddb_err_t *err)
{
    const char *bad = node_operator(n);
    if (bad) {
        ddb_err_set(err, "Invalid operator used in KeyConditionExpression: %s", bad);
        return -1;
    }
    memset(t, 0, sizeof *t);
    const ddb_opnd_t *key = n->args[0];
    size_t first_value = 1;
    if (n->kind == CN_CMP && key->kind == OPND_VALUE && n->args[1]->kind == OPND_PATH) {
        key = n->args[1]; /* :v = pk */
        first_value = 0;
    }
    if (key->kind != OPND_PATH) {
        ddb_err_set(err, "%s", err_not_supported);
        return -1;
    }
    if (key->path.n != 1) {
        ddb_err_set(err, "KeyConditionExpressions cannot have conditions on nested attributes");
        return -1;
    }
    t->name = key->path.e[0].name;
    t->len = key->path.e[0].len;
    for (size_t i = 0; i < n->nargs; i++) {
        if (n->args[i] == key)
            continue;
        if (n->args[i]->kind != OPND_VALUE || !n->args[i]->av) {
            ddb_err_set(err, "%s", err_not_supported);
            return -1;
        }
        t->values[t->nvalues++] = n->args[i]->av;
    }
    static const ddb_keyop_t from_cmp[] = {DDB_KEY_EQ, DDB_KEY_NONE, DDB_KEY_LT, DDB_KEY_LE, DDB_KEY_GT, DDB_KEY_GE};
    static const ddb_keyop_t reversed[] = {DDB_KEY_EQ, DDB_KEY_NONE, DDB_KEY_GT, DDB_KEY_GE, DDB_KEY_LT, DDB_KEY_LE};
    switch (n->kind) {
    case CN_CMP:
        t->op = first_value ? from_cmp[n->op] : reversed[n->op];
        return 0;
    case CN_BETWEEN:
        t->op = DDB_KEY_BETWEEN;
        return 0;
    case CN_BEGINS_WITH:
        t->op = DDB_KEY_BEGINS_WITH;
        return 0;
    default:
        ddb_err_set(err, "%s", err_not_supported);
        return -1;
    }
}

static int collect(const ddb_cnode_t *n, key_term_t *terms, size_t *count, ddb_err_t *err)
{
    if (n->kind == CN_AND) {
        if (collect(n->l, terms, count, err) != 0)
            return -1;
        return collect(n->r, terms, count, err);
    }
    key_term_t t;
    if (to_term(n, &t, err) != 0)
        return -1;
    if (*count == 2) {
        ddb_err_set(err, "%s", err_one_per_key);
        return -1;
    }
    terms[(*count)++] = t;
    return 0;
}

int ddb_keycond_parse(const char *text, ddb_ctx_t *ctx, const char *hash_name, char hash_type,
                      const char *range_name, char range_type, ddb_keycond_t *out, ddb_err_t *err)
{
    memset(out, 0, sizeof *out);
    ddb_cond_t *c = ddb_cond_parse(DDB_EXPR_KEY, text, ctx, err);
    if (!c)
        return -1;
    key_term_t terms[2];
    size_t n = 0;
    int rc = collect(c->root, terms, &n, err);
    if (rc == 0)
        rc = assign_terms(terms, n, hash_name, hash_type, range_name, range_type, out, err);
    ddb_cond_free(c);
    return rc;
}

int ddb_keycond_from_legacy(const json_t *key_conditions, const char *hash_name, char hash_type,
                            const char *range_name, char range_type, ddb_keycond_t *out, ddb_err_t *err)
{
    static const struct {
        const char *name;
        ddb_keyop_t op;
        size_t nargs;
    } ops[] = {
        {"EQ", DDB_KEY_EQ, 1}, {"LT", DDB_KEY_LT, 1}, {"LE", DDB_KEY_LE, 1}, {"GT", DDB_KEY_GT, 1},
        {"GE", DDB_KEY_GE, 1}, {"BETWEEN", DDB_KEY_BETWEEN, 2}, {"BEGINS_WITH", DDB_KEY_BEGINS_WITH, 1},
    };
    memset(out, 0, sizeof *out);
    size_t count = json_object_size(key_conditions);
    if (count < 1 || count > 2) {
        ddb_err_set(err, "Conditions can be of length 1 or 2 only");
        return -1;
    }
    key_term_t terms[2];
    size_t n = 0;
    const char *attr;
    json_t *cond;
    json_object_foreach((json_t *)key_conditions, attr, cond) {
        const char *op = json_string_value(json_object_get(cond, "ComparisonOperator"));
        json_t *list = json_object_get(cond, "AttributeValueList");
        size_t k = 0;
        while (op && k < sizeof ops / sizeof ops[0] && strcmp(ops[k].name, op) != 0)
            k++;
        if (!op || k == sizeof ops / sizeof ops[0]) {
            ddb_err_set(err, "Attempted conditional constraint is not an indexable operation");
            return -1;
        }
        if (json_array_size(list) != ops[k].nargs) {
            ddb_err_set(err, "One or more parameter values were invalid: Invalid number of argument(s) for the %s "
                             "ComparisonOperator", op);
            return -1;
        }
        key_term_t *t = &terms[n++];
        memset(t, 0, sizeof *t);
        t->name = attr;
        t->len = strlen(attr);
        t->op = ops[k].op;
        for (size_t i = 0; i < ops[k].nargs; i++)
            t->values[t->nvalues++] = json_array_get(list, i);
    }
    return assign_terms(terms, n, hash_name, hash_type, range_name, range_type, out, err);
}

bool ddb_keycond_range_match(const ddb_keycond_t *kc, const json_t *v)
{
    int c;
    switch (kc->range_op) {
    case DDB_KEY_NONE:
        return true;
    case DDB_KEY_EQ:
        return ddb_value_compare(v, kc->range_values[0], &c) == 0 && c == 0;
    case DDB_KEY_LT:
        return ddb_value_compare(v, kc->range_values[0], &c) == 0 && c < 0;
    case DDB_KEY_LE:
        return ddb_value_compare(v, kc->range_values[0], &c) == 0 && c <= 0;
    case DDB_KEY_GT:
        return ddb_value_compare(v, kc->range_values[0], &c) == 0 && c > 0;
    case DDB_KEY_GE:
        return ddb_value_compare(v, kc->range_values[0], &c) == 0 && c >= 0;
    case DDB_KEY_BETWEEN:
        return ddb_value_compare(v, kc->range_values[0], &c) == 0 && c >= 0 &&
               ddb_value_compare(v, kc->range_values[1], &c) == 0 && c <= 0;
    case DDB_KEY_BEGINS_WITH: {
        json_t *pv, *pp;
        ddb_type_t tv = ddb_value_type(v, &pv), tp = ddb_value_type(kc->range_values[0], &pp);
        if (tv != tp || !json_is_string(pv) || !json_is_string(pp))
            return false;
        if (tv == DDB_T_S)
            return json_string_length(pv) >= json_string_length(pp) &&
                   memcmp(json_string_value(pv), json_string_value(pp), json_string_length(pp)) == 0;
        if (tv == DDB_T_B)
            return ddb_bytes_prefix(json_string_value(pv), json_string_length(pv), json_string_value(pp),
                                    json_string_length(pp));
        return false;
    }
    }
    return false;
}

void ddb_keycond_done(ddb_keycond_t *kc)
{
    json_decref(kc->hash_value);
    json_decref(kc->range_values[0]);
    json_decref(kc->range_values[1]);
    memset(kc, 0, sizeof *kc);
}
