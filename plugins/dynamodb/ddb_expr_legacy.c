/* The legacy parameters as expression trees: Expected, QueryFilter/ScanFilter (ComparisonOperator,
 * AttributeValueList, Exists/Value, ConditionalOperator) and AttributeUpdates; and AWS's refusal of
 * requests mixing legacy and expression parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_int.h"

#define INVALID "One or more parameter values were invalid: "

typedef struct legacy_op {
    const char *name;
    int min, max;     /* AttributeValueList length */
    const char *types; /* allowed value types, space separated; NULL: any */
} legacy_op_t;

static const legacy_op_t legacy_ops[] = {
    {"EQ", 1, 1, NULL},          {"NE", 1, 1, NULL},          {"LE", 1, 1, "S N B"},
    {"LT", 1, 1, "S N B"},       {"GE", 1, 1, "S N B"},       {"GT", 1, 1, "S N B"},
    {"NOT_NULL", 0, 0, NULL},    {"NULL", 0, 0, NULL},        {"CONTAINS", 1, 1, "S N B"},
    {"NOT_CONTAINS", 1, 1, "S N B"}, {"BEGINS_WITH", 1, 1, "S B"}, {"IN", 1, 1000000, "S N B"},
    {"BETWEEN", 2, 2, "S N B"},
};

static bool type_allowed(const char *types, ddb_type_t t)
{
    if (!types)
        return true;
    const char *name = ddb_type_name(t);
    size_t len = strlen(name);
    for (const char *p = types; *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0)
            return true;
        p += n + (end ? 1 : 0);
    }
    return false;
}

static ddb_opnd_t *value_opnd(ddb_arena_t *a, json_t *v)
{
    ddb_opnd_t *o = ddb_arena_alloc(a, sizeof *o);
    if (!o || !ddb_arena_keep(a, v))
        return NULL;
    o->kind = OPND_VALUE;
    o->av = v;
    json_t *payload;
    o->type = ddb_value_type(v, &payload);
    if (o->type == DDB_T_N && json_is_string(payload)) {
        ddb_num_t n;
        if (ddb_num_parse(json_string_value(payload), json_string_length(payload), &n) == DDB_NUM_OK &&
            (o->num = ddb_arena_alloc(a, sizeof *o->num)))
            *o->num = n;
    }
    return o;
}

static ddb_opnd_t *attr_opnd(ddb_arena_t *a, const char *name)
{
    ddb_opnd_t *o = ddb_arena_alloc(a, sizeof *o);
    ddb_pelem_t *e = ddb_arena_alloc(a, sizeof *e);
    if (!o || !e || !(e->name = ddb_arena_strndup(a, name, strlen(name))))
        return NULL;
    e->len = (uint32_t)strlen(name);
    o->kind = OPND_PATH;
    o->path = (ddb_path_t){e, 1};
    return o;
}

static ddb_cnode_t *cnode(ddb_arena_t *a, ddb_cnode_kind_t kind, size_t nargs)
{
    ddb_cnode_t *n = ddb_arena_alloc(a, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    if (nargs && !(n->args = ddb_arena_alloc(a, nargs * sizeof *n->args)))
        return NULL;
    n->nargs = (uint16_t)nargs;
    return n;
}

static ddb_cnode_t *join(ddb_arena_t *a, ddb_cnode_kind_t kind, ddb_cnode_t *l, ddb_cnode_t *r)
{
    ddb_cnode_t *n = cnode(a, kind, 0);
    if (n) {
        n->l = l;
        n->r = r;
    }
    return n;
}

/* The node for `attr <op> values`; NULL with err on a validation error (or out of memory). */
static ddb_cnode_t *comparison(ddb_arena_t *a, const char *attr, const char *opname, json_t *const *vals, size_t nv,
                               ddb_err_t *err)
{
    size_t k = 0;
    while (k < sizeof legacy_ops / sizeof legacy_ops[0] && strcmp(legacy_ops[k].name, opname) != 0)
        k++;
    if (k == sizeof legacy_ops / sizeof legacy_ops[0]) {
        ddb_err_set(err, "1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy "
                         "constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, "
                         "GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]", opname);
        return NULL;
    }
    const legacy_op_t *op = &legacy_ops[k];
    if ((int)nv < op->min || (int)nv > op->max) {
        ddb_err_set(err, INVALID "Invalid number of argument(s) for the %s ComparisonOperator", opname);
        return NULL;
    }
    for (size_t i = 0; i < nv; i++) {
        ddb_type_t t = ddb_value_type(vals[i], NULL);
        if (!type_allowed(op->types, t)) {
            ddb_err_set(err, INVALID "ComparisonOperator %s is not valid for %s AttributeValue type", opname,
                        ddb_type_name(t));
            return NULL;
        }
    }
    if (op->min == 2) {
        int c;
        if (ddb_value_type(vals[0], NULL) != ddb_value_type(vals[1], NULL)) {
            ddb_err_set(err, INVALID "AttributeValues inside AttributeValueList must be of same type");
            return NULL;
        }
        if (ddb_value_compare(vals[0], vals[1], &c) == 0 && c > 0) {
            ddb_err_set(err, "The BETWEEN condition was provided a range where the lower bound is greater than the "
                             "upper bound");
            return NULL;
        }
    }
    ddb_opnd_t *path = attr_opnd(a, attr);
    ddb_cnode_t *n = NULL;
    if (!path)
        goto oom;
    if (strcmp(opname, "NOT_NULL") == 0 || strcmp(opname, "NULL") == 0) {
        if (!(n = cnode(a, opname[0] == 'N' && opname[1] == 'O' ? CN_EXISTS : CN_NOT_EXISTS, 1)))
            goto oom;
        n->args[0] = path;
        return n;
    }
    ddb_cnode_kind_t kind = CN_CMP;
    if (strcmp(opname, "CONTAINS") == 0 || strcmp(opname, "NOT_CONTAINS") == 0)
        kind = CN_CONTAINS;
    else if (strcmp(opname, "BEGINS_WITH") == 0)
        kind = CN_BEGINS_WITH;
    else if (strcmp(opname, "IN") == 0)
        kind = CN_IN;
    else if (strcmp(opname, "BETWEEN") == 0)
        kind = CN_BETWEEN;
    if (!(n = cnode(a, kind, nv + 1)))
        goto oom;
    n->args[0] = path;
    for (size_t i = 0; i < nv; i++)
        if (!(n->args[i + 1] = value_opnd(a, vals[i])))
            goto oom;
    if (kind == CN_CMP) {
        static const char *const cmp_names[] = {"EQ", "NE", "LT", "LE", "GT", "GE"};
        for (int i = 0; i < 6; i++)
            if (strcmp(opname, cmp_names[i]) == 0)
                n->op = (ddb_cmp_op_t)i;
    }
    if (strcmp(opname, "NOT_CONTAINS") == 0) {
        /* the attribute must be there and not hold the value */
        ddb_cnode_t *exists = cnode(a, CN_EXISTS, 1), *not = cnode(a, CN_NOT, 0);
        if (!exists || !not)
            goto oom;
        exists->args[0] = path;
        not->l = n;
        return join(a, CN_AND, exists, not);
    }
    return n;
oom:
    ddb_err_oom(err);
    return NULL;
}

static ddb_cond_t *legacy_conditions(const json_t *map, const char *conditional_operator, bool expected, ddb_err_t *err)
{
    bool use_or = false;
    if (conditional_operator) {
        if (strcmp(conditional_operator, "OR") == 0) {
            use_or = true;
        } else if (strcmp(conditional_operator, "AND") != 0) {
            ddb_err_set(err, "1 validation error detected: Value '%s' at 'conditionalOperator' failed to satisfy "
                             "constraint: Member must satisfy enum value set: [OR, AND]", conditional_operator);
            return NULL;
        }
    }
    if (conditional_operator && json_object_size(map) == 0) {
        ddb_err_set(err, "ConditionalOperator cannot be used without Filter or Expected");
        return NULL;
    }
    if (conditional_operator && json_object_size(map) == 1) {
        ddb_err_set(err, "ConditionalOperator can only be used when Filter or Expected has two or more elements");
        return NULL;
    }
    ddb_cond_t *c = calloc(1, sizeof *c);
    if (!c) {
        ddb_err_oom(err);
        return NULL;
    }
    const char *attr;
    json_t *cond;
    json_object_foreach((json_t *)map, attr, cond) {
        json_t *opj = json_object_get(cond, "ComparisonOperator");
        json_t *list = json_object_get(cond, "AttributeValueList");
        json_t *value = json_object_get(cond, "Value");
        json_t *exists = json_object_get(cond, "Exists");
        ddb_cnode_t *n = NULL;
        if (opj) {
            if (expected && exists) {
                ddb_err_set(err, INVALID "Exists and ComparisonOperator cannot be used together for Attribute: %s",
                            attr);
                goto fail;
            }
            if (expected && value && list) {
                ddb_err_set(err, INVALID "Value and AttributeValueList cannot be used together for Attribute: %s",
                            attr);
                goto fail;
            }
            const char *opname = json_is_string(opj) ? json_string_value(opj) : "";
            if (expected && !value && !list && strcmp(opname, "NULL") != 0 && strcmp(opname, "NOT_NULL") != 0) {
                ddb_err_set(err, INVALID "Value or AttributeValueList must be used with ComparisonOperator: %s for "
                                 "Attribute: %s", opname, attr);
                goto fail;
            }
            json_t *one[1] = {value};
            json_t **vals = list ? NULL : one;
            size_t nv = list ? json_array_size(list) : (expected && value ? 1 : 0);
            json_t *stack[8];
            json_t **tmp = NULL;
            if (list) {
                vals = nv <= 8 ? stack : (tmp = calloc(nv, sizeof *tmp));
                if (!vals)
                    goto fail;
                for (size_t i = 0; i < nv; i++)
                    vals[i] = json_array_get(list, i);
            }
            n = comparison(&c->arena, attr, opname, vals, nv, err);
            free(tmp);
            if (!n)
                goto fail;
        } else if (list) {
            ddb_err_set(err, INVALID "AttributeValueList can only be used with a ComparisonOperator for Attribute: %s",
                        attr);
            goto fail;
        } else {
            bool want = !exists || json_is_true(exists);
            if (want && !value) {
                ddb_err_set(err, INVALID "Value must be provided when Exists is %s for Attribute: %s",
                            exists ? "true" : "null", attr);
                goto fail;
            }
            if (!want && value) {
                ddb_err_set(err, INVALID "Value cannot be used when Exists is false for Attribute: %s", attr);
                goto fail;
            }
            json_t *one[1] = {value};
            n = comparison(&c->arena, attr, want ? "EQ" : "NULL", one, want ? 1 : 0, err);
            if (!n)
                goto fail;
        }
        c->root = c->root ? join(&c->arena, use_or ? CN_OR : CN_AND, c->root, n) : n;
        if (!c->root)
            goto fail;
    }
    if (!c->root && !(c->root = cnode(&c->arena, CN_TRUE, 0)))
        goto fail;
    return c;
fail:
    ddb_cond_free(c);
    return NULL;
}

ddb_cond_t *ddb_cond_from_expected(const json_t *expected, const char *conditional_operator, ddb_err_t *err)
{
    return legacy_conditions(expected, conditional_operator, true, err);
}

ddb_cond_t *ddb_cond_from_filter(const json_t *filter, const char *conditional_operator, ddb_err_t *err)
{
    return legacy_conditions(filter, conditional_operator, false, err);
}

ddb_update_t *ddb_update_from_attribute_updates(const json_t *updates, ddb_err_t *err)
{
    ddb_update_t *u = calloc(1, sizeof *u);
    size_t n = json_object_size(updates);
    if (!u || !(u->acts = ddb_arena_alloc(&u->arena, (n ? n : 1) * sizeof *u->acts))) {
        ddb_update_free(u);
        ddb_err_oom(err);
        return NULL;
    }
    const char *attr;
    json_t *upd;
    json_object_foreach((json_t *)updates, attr, upd) {
        json_t *actj = json_object_get(upd, "Action");
        const char *action = json_is_string(actj) ? json_string_value(actj) : "PUT";
        json_t *value = json_object_get(upd, "Value");
        ddb_uact_t a = {0};
        ddb_opnd_t *path = attr_opnd(&u->arena, attr);
        if (!path)
            goto oom;
        a.path = path->path;
        ddb_type_t t = ddb_value_type(value, NULL);
        bool is_set = t == DDB_T_SS || t == DDB_T_NS || t == DDB_T_BS;
        if (strcmp(action, "PUT") == 0) {
            if (!value) {
                ddb_err_set(err, INVALID "Only DELETE action is allowed when no attribute value is specified");
                goto fail;
            }
            a.kind = UA_SET;
        } else if (strcmp(action, "DELETE") == 0) {
            a.kind = value ? UA_DELETE : UA_REMOVE;
            if (value && !is_set) {
                ddb_err_set(err, INVALID "DELETE action with value is not supported for the type %s",
                            ddb_type_name(t));
                goto fail;
            }
        } else if (strcmp(action, "ADD") == 0) {
            if (!value) {
                ddb_err_set(err, INVALID "Only DELETE action is allowed when no attribute value is specified");
                goto fail;
            }
            if (t != DDB_T_N && !is_set && t != DDB_T_L) {
                ddb_err_set(err, INVALID "ADD action is not supported for the type %s", ddb_type_name(t));
                goto fail;
            }
            a.kind = t == DDB_T_L ? UA_APPEND : UA_ADD;
        } else {
            ddb_err_set(err, "1 validation error detected: Value '%s' at 'attributeUpdates.%s.member.action' failed to "
                             "satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]", action,
                        attr);
            goto fail;
        }
        if (value && !(a.val = value_opnd(&u->arena, value)))
            goto oom;
        u->acts[u->nacts++] = a;
    }
    return u;
oom:
    ddb_err_oom(err);
fail:
    ddb_update_free(u);
    return NULL;
}

/* "{A, B}" of the members of `request` named in `names` (NULL-terminated) that are present. */
static size_t present_members(const json_t *request, const char *const *names, char *buf, size_t size)
{
    size_t n = 0, k = 0;
    buf[0] = 0;
    for (size_t i = 0; names[i]; i++) {
        json_t *v = json_object_get(request, names[i]);
        if (!v || json_is_null(v))
            continue;
        k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "%s%s", n++ ? ", " : "", names[i]);
    }
    return n;
}

int ddb_legacy_check_mix(const json_t *request, ddb_err_t *err)
{
    /* AWS's own order; KeyConditions counts only beside a KeyConditionExpression */
    static const char *const legacy[] = {"AttributeUpdates", "AttributesToGet", "Expected", "QueryFilter",
                                         "ScanFilter", "ConditionalOperator", NULL, NULL};
    static const char *const legacy_keys[] = {"AttributeUpdates", "AttributesToGet", "Expected", "QueryFilter",
                                              "ScanFilter", "ConditionalOperator", "KeyConditions", NULL};
    static const char *const modern[] = {"UpdateExpression", "ProjectionExpression", "ConditionExpression",
                                         "FilterExpression", "KeyConditionExpression", NULL};
    char l[256], m[256];
    bool key_expr = json_object_get(request, "KeyConditionExpression") != NULL;
    size_t nl = present_members(request, key_expr ? legacy_keys : legacy, l, sizeof l);
    size_t nm = present_members(request, modern, m, sizeof m);
    if (nl && nm) {
        ddb_err_set(err, "Can not use both expression and non-expression parameters in the same request: "
                         "Non-expression parameters: {%s} Expression parameters: {%s}", l, m);
        return -1;
    }
    return 0;
}
