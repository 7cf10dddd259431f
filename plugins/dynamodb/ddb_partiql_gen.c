/* PartiQL syntax trees written out as DynamoDB expression text with #name / :value placeholders, then
 * parsed by ddb_expr: a statement evaluates exactly as the equivalent expression parameters would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_partiql_int.h"

void pq_gen_init(pq_gen_t *g)
{
    memset(g, 0, sizeof *g);
    g->names = json_object();
    g->values = json_object();
    g->oom = !g->names || !g->values;
}

void pq_gen_done(pq_gen_t *g)
{
    free(g->buf);
    json_decref(g->names);
    json_decref(g->values);
    memset(g, 0, sizeof *g);
}

static void gen_mem(pq_gen_t *g, const char *s, size_t n)
{
    if (g->oom)
        return;
    if (g->len + n + 1 > g->cap) {
        size_t cap = (g->len + n + 1) * 2;
        char *b = realloc(g->buf, cap);
        if (!b) {
            g->oom = true;
            return;
        }
        g->buf = b;
        g->cap = cap;
    }
    memcpy(g->buf + g->len, s, n);
    g->len += n;
    g->buf[g->len] = '\0';
}

void pq_gen_str(pq_gen_t *g, const char *s)
{
    gen_mem(g, s, strlen(s));
}

/* The #placeholder of an attribute name, one per distinct name. */
static void gen_name(pq_gen_t *g, const char *name, size_t len)
{
    const char *key;
    json_t *v;
    json_object_foreach(g->names, key, v) {
        if (json_string_length(v) == len && memcmp(json_string_value(v), name, len) == 0) {
            pq_gen_str(g, key);
            return;
        }
    }
    char ph[24];
    snprintf(ph, sizeof ph, "#p%u", g->nnames++);
    if (json_object_set_new(g->names, ph, json_stringn(name, len)) != 0)
        g->oom = true;
    pq_gen_str(g, ph);
}

void pq_gen_path(pq_gen_t *g, const pq_path_t *path)
{
    for (size_t i = 0; i < path->n; i++) {
        const pq_pelem_t *e = &path->e[i];
        if (e->name) {
            if (i)
                pq_gen_str(g, ".");
            gen_name(g, e->name, e->len);
        } else {
            char idx[24];
            snprintf(idx, sizeof idx, "[%u]", e->index);
            pq_gen_str(g, idx);
        }
    }
}

void pq_gen_value(pq_gen_t *g, json_t *av)
{
    char ph[24];
    snprintf(ph, sizeof ph, ":v%u", g->nvalues++);
    if (json_object_set(g->values, ph, av) != 0)
        g->oom = true;
    pq_gen_str(g, ph);
}

static void gen_operand(pq_gen_t *g, const pq_node_t *n)
{
    switch (n->kind) {
    case PN_PATH:
        pq_gen_path(g, &n->path);
        return;
    case PN_VALUE:
        pq_gen_value(g, n->value);
        return;
    case PN_PLUS: case PN_MINUS:
        gen_operand(g, n->args[0]);
        pq_gen_str(g, n->kind == PN_PLUS ? " + " : " - ");
        gen_operand(g, n->args[1]);
        return;
    case PN_CALL:
        pq_gen_str(g, n->fname);
        pq_gen_str(g, "(");
        for (size_t i = 0; i < n->nargs; i++) {
            if (i)
                pq_gen_str(g, ", ");
            gen_operand(g, n->args[i]);
        }
        pq_gen_str(g, ")");
        return;
    default:
        pq_gen_cond(g, n);
        return;
    }
}

/* A child of AND / OR / NOT, parenthesized when its operator binds less tightly than the parent's. */
static void gen_child(pq_gen_t *g, const pq_node_t *parent, const pq_node_t *child)
{
    bool parens = (child->kind == PN_OR && parent->kind != PN_OR) ||
                  (child->kind == PN_AND && parent->kind == PN_NOT);
    pq_gen_str(g, parens ? "(" : "");
    pq_gen_cond(g, child);
    pq_gen_str(g, parens ? ")" : "");
}

void pq_gen_cond(pq_gen_t *g, const pq_node_t *n)
{
    switch (n->kind) {
    case PN_AND: case PN_OR:
        gen_child(g, n, n->args[0]);
        pq_gen_str(g, n->kind == PN_AND ? " AND " : " OR ");
        gen_child(g, n, n->args[1]);
        return;
    case PN_NOT:
        pq_gen_str(g, "NOT ");
        gen_child(g, n, n->args[0]);
        return;
    case PN_CMP:
        gen_operand(g, n->args[0]);
        pq_gen_str(g, " ");
        pq_gen_str(g, n->op);
        pq_gen_str(g, " ");
        gen_operand(g, n->args[1]);
        return;
    case PN_BETWEEN:
        gen_operand(g, n->args[0]);
        pq_gen_str(g, " BETWEEN ");
        gen_operand(g, n->args[1]);
        pq_gen_str(g, " AND ");
        gen_operand(g, n->args[2]);
        return;
    case PN_IN:
        gen_operand(g, n->args[0]);
        pq_gen_str(g, " IN (");
        for (size_t i = 1; i < n->nargs; i++) {
            pq_gen_str(g, i > 1 ? ", " : "");
            gen_operand(g, n->args[i]);
        }
        pq_gen_str(g, ")");
        return;
    case PN_MISSING: case PN_NOT_MISSING:
        pq_gen_str(g, n->kind == PN_MISSING ? "attribute_not_exists(" : "attribute_exists(");
        pq_gen_path(g, &n->path);
        pq_gen_str(g, ")");
        return;
    default:
        gen_operand(g, n);
        return;
    }
}

/* ddb_expr's messages name the expression parameter; a PartiQL user wrote none, so the prefix goes. */
static void strip_prefix(ddb_err_t *err, const char *param)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "Invalid %s: ", param);
    size_t n = strlen(prefix);
    if (strncmp(err->msg, prefix, n) == 0)
        memmove(err->msg, err->msg + n, strlen(err->msg + n) + 1);
}

/* Parse the generated text with one of ddb_expr's parsers. */
static void *gen_parse(pq_gen_t *g, ddb_expr_kind_t kind, ddb_err_t *err)
{
    if (g->oom || !g->buf) {
        ddb_err_oom(err);
        return NULL;
    }
    ddb_ctx_t ctx;
    ddb_ctx_init(&ctx, json_object_size(g->names) ? g->names : NULL, json_object_size(g->values) ? g->values : NULL);
    void *tree = kind == DDB_EXPR_UPDATE       ? (void *)ddb_update_parse(g->buf, &ctx, err)
                 : kind == DDB_EXPR_PROJECTION ? (void *)ddb_proj_parse(g->buf, &ctx, err)
                                               : (void *)ddb_cond_parse(kind, g->buf, &ctx, err);
    ddb_ctx_done(&ctx);
    if (!tree)
        strip_prefix(err, ddb_kind_param(kind));
    return tree;
}

ddb_cond_t *pq_gen_to_cond(pq_gen_t *g, ddb_err_t *err)
{
    return gen_parse(g, DDB_EXPR_CONDITION, err);
}

ddb_update_t *pq_gen_to_update(pq_gen_t *g, ddb_err_t *err)
{
    return gen_parse(g, DDB_EXPR_UPDATE, err);
}

ddb_proj_t *pq_gen_to_proj(pq_gen_t *g, ddb_err_t *err)
{
    return gen_parse(g, DDB_EXPR_PROJECTION, err);
}
