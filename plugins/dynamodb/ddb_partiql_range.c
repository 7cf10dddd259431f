/* Sort key ranges of the reads a SELECT decomposes into: the condition each branch puts on the sort key as
 * an interval, to refuse branches that would read the same items twice as DynamoDB refuses them. */
#include <stdlib.h>
#include <string.h>

#include "ddb_partiql_int.h"

/* A sort key condition: `k op v` (either side), BETWEEN, begins_with(k, v). */
ddb_keyop_t pq_range_condition(const pq_node_t *t, const char *name, json_t **vals)
{
    static const struct { const char *op; ddb_keyop_t key, flipped; } OPS[] = {
        {"=", DDB_KEY_EQ, DDB_KEY_EQ}, {"<", DDB_KEY_LT, DDB_KEY_GT}, {"<=", DDB_KEY_LE, DDB_KEY_GE},
        {">", DDB_KEY_GT, DDB_KEY_LT}, {">=", DDB_KEY_GE, DDB_KEY_LE},
    };
    if (t->kind == PN_CMP) {
        for (int side = 0; side < 2; side++) {
            const pq_node_t *a = t->args[side], *v = t->args[1 - side];
            if (a->kind != PN_PATH || v->kind != PN_VALUE || !pq_path_is_attr(&a->path, name))
                continue;
            for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
                if (strcmp(OPS[i].op, t->op) == 0) {
                    vals[0] = v->value;
                    return side == 0 ? OPS[i].key : OPS[i].flipped;
                }
            }
        }
        return DDB_KEY_NONE;
    }
    if (t->kind == PN_BETWEEN && t->args[0]->kind == PN_PATH && pq_path_is_attr(&t->args[0]->path, name) &&
        t->args[1]->kind == PN_VALUE && t->args[2]->kind == PN_VALUE) {
        vals[0] = t->args[1]->value;
        vals[1] = t->args[2]->value;
        return DDB_KEY_BETWEEN;
    }
    if (t->kind == PN_CALL && strcmp(t->fname, "begins_with") == 0 && t->args[0]->kind == PN_PATH &&
        pq_path_is_attr(&t->args[0]->path, name) && t->args[1]->kind == PN_VALUE) {
        vals[0] = t->args[1]->value;
        return DDB_KEY_BEGINS_WITH;
    }
    return DDB_KEY_NONE;
}

/* Whether a condition reads top-level attribute `name` anywhere. */
static bool mentions(const pq_node_t *n, const char *name)
{
    if ((n->kind == PN_PATH || n->kind == PN_MISSING || n->kind == PN_NOT_MISSING) && n->path.n &&
        n->path.e[0].name && n->path.e[0].len == strlen(name) && memcmp(n->path.e[0].name, name, n->path.e[0].len) == 0)
        return true;
    for (size_t i = 0; i < n->nargs; i++)
        if (mentions(n->args[i], name))
            return true;
    return false;
}

int pq_range_of(const pq_node_t **terms, size_t n, const char *range_name, pq_range_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; range_name && i < n; i++) {
        json_t *vals[2] = {NULL, NULL};
        ddb_keyop_t op = pq_range_condition(terms[i], range_name, vals);
        if (op == DDB_KEY_NONE) {
            /* a negated or <> sort key condition: DynamoDB does not count such a branch as overlapping */
            out->exempt |= mentions(terms[i], range_name);
            continue;
        }
        if (out->op != DDB_KEY_NONE)
            continue; /* the first sort key condition reads; the others filter */
        out->op = op;
        out->values[0] = vals[0];
        out->values[1] = vals[1];
    }
    switch (out->op) {
    case DDB_KEY_EQ: case DDB_KEY_BETWEEN:
        out->lo = out->values[0];
        out->hi = out->op == DDB_KEY_EQ ? out->values[0] : out->values[1];
        out->lo_incl = out->hi_incl = true;
        break;
    case DDB_KEY_LT: case DDB_KEY_LE:
        out->hi = out->values[0];
        out->hi_incl = out->op == DDB_KEY_LE;
        break;
    case DDB_KEY_GT: case DDB_KEY_GE:
        out->lo = out->values[0];
        out->lo_incl = out->op == DDB_KEY_GE;
        break;
    case DDB_KEY_BEGINS_WITH: {
        /* strings with prefix p lie in [p, p with its last byte raised) */
        out->lo = out->values[0];
        out->lo_incl = true;
        json_t *payload;
        if (ddb_value_type(out->values[0], &payload) == DDB_T_S && json_string_length(payload) > 0) {
            size_t len = json_string_length(payload);
            char *up = malloc(len);
            if (!up)
                return -1;
            memcpy(up, json_string_value(payload), len);
            if ((unsigned char)up[len - 1] < 0xFF) {
                up[len - 1]++;
                out->owned_hi = json_pack("{s:s%}", "S", up, len);
                if (!out->owned_hi) {
                    free(up);
                    return -1;
                }
                out->hi = out->owned_hi;
            }
            free(up);
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

void pq_range_done(pq_range_t *r)
{
    json_decref(r->owned_hi);
    r->owned_hi = NULL;
}

/* A lower bound below an upper bound (NULL: unbounded); values of different types never meet. */
static bool below(const json_t *lo, bool lo_incl, const json_t *hi, bool hi_incl)
{
    if (!lo || !hi)
        return true;
    int c;
    if (ddb_value_compare(lo, hi, &c) != 0)
        return false;
    return c < 0 || (c == 0 && lo_incl && hi_incl);
}

bool pq_ranges_overlap(const pq_range_t *a, const pq_range_t *b)
{
    if (a->exempt || b->exempt)
        return false;
    return below(a->lo, a->lo_incl, b->hi, b->hi_incl) && below(b->lo, b->lo_incl, a->hi, a->hi_incl);
}
