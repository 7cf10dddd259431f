/* The PartiQL grammar below statements: token helpers, document paths, operands (literals, paths,
 * function calls), WHERE conditions and SET values, into the syntax tree of ddb_partiql_int.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_partiql_int.h"

/* ---- tokens ---- */

const pq_tok_t *pq_peek(const pq_parser_t *p, size_t ahead)
{
    size_t i = p->pos + ahead;
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

const pq_tok_t *pq_next(pq_parser_t *p)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if (p->pos < p->ntoks - 1)
        p->pos++;
    return t;
}

bool pq_accept(pq_parser_t *p, pq_tok_type_t type)
{
    if (pq_peek(p, 0)->type != type)
        return false;
    pq_next(p);
    return true;
}

bool pq_accept_word(pq_parser_t *p, const char *word)
{
    if (!pq_tok_is(pq_peek(p, 0), word))
        return false;
    pq_next(p);
    return true;
}

int pq_unexpected(pq_parser_t *p)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if (t->type == PQ_EOF)
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected end of statement");
    else if (t->type == PQ_KEYWORD)
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected keyword");
    else
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected token at %u:%u", t->line, t->col);
    return -1;
}

int pq_expect(pq_parser_t *p, pq_tok_type_t type)
{
    return pq_accept(p, type) ? 0 : pq_unexpected(p);
}

int pq_expect_word(pq_parser_t *p, const char *word)
{
    return pq_accept_word(p, word) ? 0 : pq_unexpected(p);
}

pq_node_t *pq_node_new(pq_parser_t *p, pq_node_kind_t kind, size_t nargs)
{
    pq_node_t *n = ddb_arena_alloc(p->arena, sizeof *n);
    if (n && nargs)
        n->args = ddb_arena_alloc(p->arena, nargs * sizeof *n->args);
    if (!n || (nargs && !n->args)) {
        ddb_err_oom(p->err);
        return NULL;
    }
    n->kind = kind;
    n->nargs = nargs;
    return n;
}

/* ---- paths ---- */

/* The first element of a path or a name after '.': an identifier or a "quoted identifier". */
static int path_name(pq_parser_t *p, pq_pelem_t *e)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if (t->type == PQ_STRING) {
        ddb_err_set(p->err, PQ_MALFORMED "Expected identifier for simple path");
        return -1;
    }
    if (t->type != PQ_IDENT && t->type != PQ_QIDENT)
        return pq_unexpected(p);
    pq_next(p);
    e->name = ddb_arena_strndup(p->arena, t->text, t->len);
    e->len = t->len;
    if (!e->name) {
        ddb_err_oom(p->err);
        return -1;
    }
    return 0;
}

int pq_parse_path(pq_parser_t *p, pq_path_t *out)
{
    pq_pelem_t elems[32];
    size_t n = 0;
    if (path_name(p, &elems[n++]) != 0)
        return -1;
    for (;;) {
        pq_tok_type_t type = pq_peek(p, 0)->type;
        if (type != PQ_DOT && type != PQ_LBRACK)
            break;
        if (n == sizeof elems / sizeof elems[0]) {
            ddb_err_set(p->err, "The document path has too many nesting levels; nesting levels: %zu", n + 1);
            return -1;
        }
        pq_next(p);
        pq_pelem_t *e = &elems[n++];
        memset(e, 0, sizeof *e);
        if (type == PQ_DOT) {
            if (path_name(p, e) != 0)
                return -1;
            continue;
        }
        const pq_tok_t *t = pq_peek(p, 0);
        if (t->type == PQ_STRING) { /* a['b'] names a member like a.b */
            e->name = ddb_arena_strndup(p->arena, t->text, t->len);
            e->len = t->len;
            if (!e->name) {
                ddb_err_oom(p->err);
                return -1;
            }
        } else {
            bool digits = t->type == PQ_NUMBER && t->len <= 9;
            for (size_t i = 0; digits && i < t->len; i++)
                digits = isdigit((unsigned char)t->text[i]);
            if (!digits) {
                ddb_err_set(p->err, PQ_MALFORMED "Unexpected path component at %u:%u", t->line, t->col);
                return -1;
            }
            e->index = (uint32_t)strtoul(t->text, NULL, 10);
        }
        pq_next(p);
        if (pq_expect(p, PQ_RBRACK) != 0)
            return -1;
    }
    out->e = ddb_arena_alloc(p->arena, n * sizeof *out->e);
    if (!out->e) {
        ddb_err_oom(p->err);
        return -1;
    }
    memcpy(out->e, elems, n * sizeof *out->e);
    out->n = n;
    return 0;
}

bool pq_path_is_attr(const pq_path_t *path, const char *name)
{
    return path->n == 1 && path->e[0].name && path->e[0].len == strlen(name) &&
           memcmp(path->e[0].name, name, path->e[0].len) == 0;
}

/* ---- operands ---- */

/* Functions of the WHERE clause and of SET values, with their argument counts. */
static const struct { const char *name; size_t nargs; bool condition; } FUNCTIONS[] = {
    {"attribute_exists", 1, true}, {"attribute_not_exists", 1, true}, {"attribute_type", 2, true},
    {"begins_with", 2, true}, {"contains", 2, true}, {"size", 1, false},
    {"list_append", 2, false}, {"if_not_exists", 2, false}, {"set_add", 2, false}, {"set_delete", 2, false},
};

static pq_node_t *operand(pq_parser_t *p);

static pq_node_t *call(pq_parser_t *p)
{
    const pq_tok_t *t = pq_next(p);
    size_t f = 0, nf = sizeof FUNCTIONS / sizeof FUNCTIONS[0];
    for (; f < nf; f++)
        if (pq_tok_is(t, FUNCTIONS[f].name))
            break;
    if (f == nf) {
        ddb_err_set(p->err, "Unsupported function: %.*s", (int)t->len, t->text);
        return NULL;
    }
    pq_next(p); /* ( */
    pq_node_t *n = pq_node_new(p, PN_CALL, FUNCTIONS[f].nargs);
    if (!n)
        return NULL;
    n->fname = FUNCTIONS[f].name;
    for (size_t i = 0; i < n->nargs; i++) {
        if (i && pq_expect(p, PQ_COMMA) != 0)
            return NULL;
        if (!(n->args[i] = operand(p)))
            return NULL;
    }
    if (pq_peek(p, 0)->type == PQ_COMMA) {
        ddb_err_set(p->err, "Incorrect number of arguments for function %s: %zu expected", n->fname, n->nargs);
        return NULL;
    }
    return pq_expect(p, PQ_RPAREN) == 0 ? n : NULL;
}

/* operand := literal | function '(' operand, .. ')' | path */
static pq_node_t *operand(pq_parser_t *p)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if ((t->type == PQ_IDENT) && pq_peek(p, 1)->type == PQ_LPAREN)
        return call(p);
    if (pq_at_literal(p)) {
        pq_node_t *n = pq_node_new(p, PN_VALUE, 0);
        json_t *v = n ? pq_parse_literal(p) : NULL;
        if (!v)
            return NULL;
        n->value = ddb_arena_keep(p->arena, v);
        json_decref(v);
        if (!n->value) {
            ddb_err_oom(p->err);
            return NULL;
        }
        return n;
    }
    pq_node_t *n = pq_node_new(p, PN_PATH, 0);
    if (!n || pq_parse_path(p, &n->path) != 0)
        return NULL;
    return n;
}

pq_node_t *pq_parse_set_value(pq_parser_t *p)
{
    pq_node_t *a = operand(p);
    if (!a)
        return NULL;
    pq_tok_type_t type = pq_peek(p, 0)->type;
    if (type != PQ_PLUS && type != PQ_MINUS)
        return a;
    pq_next(p);
    pq_node_t *n = pq_node_new(p, type == PQ_PLUS ? PN_PLUS : PN_MINUS, 2);
    if (!n)
        return NULL;
    n->args[0] = a;
    return (n->args[1] = operand(p)) ? n : NULL;
}

/* ---- conditions ---- */

static pq_node_t *binary(pq_parser_t *p, pq_node_kind_t kind, pq_node_t *l, pq_node_t *r)
{
    pq_node_t *n = pq_node_new(p, kind, r ? 2 : 1);
    if (!n)
        return NULL;
    n->args[0] = l;
    if (r)
        n->args[1] = r;
    return n;
}

/* a IN [v, ..] or a IN (v, ..): the values are literals. */
static pq_node_t *in_list(pq_parser_t *p, pq_node_t *a)
{
    pq_tok_type_t close = pq_accept(p, PQ_LBRACK) ? PQ_RBRACK : PQ_RPAREN;
    if (close == PQ_RPAREN && pq_expect(p, PQ_LPAREN) != 0)
        return NULL;
    pq_node_t *vals[101];
    size_t n = 0;
    do {
        if (n == 100) {
            ddb_err_set(p->err, "The IN operator accepts at most 100 values");
            return NULL;
        }
        if (!pq_at_literal(p)) {
            pq_unexpected(p);
            return NULL;
        }
        if (!(vals[n++] = operand(p)))
            return NULL;
    } while (pq_accept(p, PQ_COMMA));
    if (pq_expect(p, close) != 0)
        return NULL;
    pq_node_t *in = pq_node_new(p, PN_IN, n + 1);
    if (!in)
        return NULL;
    in->args[0] = a;
    memcpy(in->args + 1, vals, n * sizeof *vals);
    return in;
}

static pq_node_t *value_node(pq_parser_t *p, const char *type, const char *payload)
{
    pq_node_t *n = pq_node_new(p, PN_VALUE, 0);
    json_t *v = n ? json_pack("{ss}", type, payload) : NULL;
    if (n && v)
        n->value = ddb_arena_keep(p->arena, v);
    json_decref(v);
    if (!n || !n->value) {
        ddb_err_oom(p->err);
        return NULL;
    }
    return n;
}

/* a IS [NOT] MISSING | a IS [NOT] NULL (NULL: the attribute holds DynamoDB's NULL type). */
static pq_node_t *is_test(pq_parser_t *p, pq_node_t *a)
{
    bool negate = pq_accept_word(p, "not");
    pq_node_t *n;
    if (a->kind != PN_PATH) {
        pq_unexpected(p);
        return NULL;
    }
    if (pq_accept_word(p, "missing")) {
        if (!(n = pq_node_new(p, negate ? PN_NOT_MISSING : PN_MISSING, 0)))
            return NULL;
        n->path = a->path;
        return n;
    }
    if (pq_expect_word(p, "null") != 0 || !(n = pq_node_new(p, PN_CALL, 2)))
        return NULL;
    n->fname = "attribute_type";
    n->args[0] = a;
    if (!(n->args[1] = value_node(p, "S", "NULL")))
        return NULL;
    return negate ? binary(p, PN_NOT, n, NULL) : n;
}

static const struct { pq_tok_type_t type; const char *op; } CMP_OPS[] = {
    {PQ_EQ, "="}, {PQ_NE, "<>"}, {PQ_LT, "<"}, {PQ_LE, "<="}, {PQ_GT, ">"}, {PQ_GE, ">="},
};

static pq_node_t *predicate(pq_parser_t *p)
{
    if (pq_accept(p, PQ_LPAREN)) {
        pq_node_t *c = pq_parse_condition(p);
        return c && pq_expect(p, PQ_RPAREN) == 0 ? c : NULL;
    }
    pq_node_t *a = operand(p);
    if (!a)
        return NULL;
    const pq_tok_t *t = pq_peek(p, 0);
    for (size_t i = 0; i < sizeof CMP_OPS / sizeof CMP_OPS[0]; i++) {
        if (t->type != CMP_OPS[i].type)
            continue;
        pq_next(p);
        pq_node_t *b = operand(p);
        pq_node_t *n = b ? binary(p, PN_CMP, a, b) : NULL;
        if (n)
            n->op = CMP_OPS[i].op;
        return n;
    }
    if (pq_accept_word(p, "between")) {
        pq_node_t *n = pq_node_new(p, PN_BETWEEN, 3);
        if (!n || !(n->args[1] = operand(p)) || pq_expect_word(p, "and") != 0 || !(n->args[2] = operand(p)))
            return NULL;
        n->args[0] = a;
        return n;
    }
    if (pq_tok_is(t, "not") && pq_tok_is(pq_peek(p, 1), "in")) {
        p->pos += 2;
        pq_node_t *in = in_list(p, a);
        return in ? binary(p, PN_NOT, in, NULL) : NULL;
    }
    if (pq_accept_word(p, "in"))
        return in_list(p, a);
    if (pq_accept_word(p, "is"))
        return is_test(p, a);
    if (a->kind == PN_CALL) {
        for (size_t f = 0; f < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; f++)
            if (FUNCTIONS[f].condition && strcmp(FUNCTIONS[f].name, a->fname) == 0)
                return a;
    }
    pq_unexpected(p);
    return NULL;
}

static pq_node_t *not_cond(pq_parser_t *p)
{
    if (!pq_accept_word(p, "not"))
        return predicate(p);
    pq_node_t *c = not_cond(p);
    return c ? binary(p, PN_NOT, c, NULL) : NULL;
}

static pq_node_t *and_cond(pq_parser_t *p)
{
    pq_node_t *l = not_cond(p);
    while (l && pq_accept_word(p, "and")) {
        pq_node_t *r = not_cond(p);
        l = r ? binary(p, PN_AND, l, r) : NULL;
    }
    return l;
}

pq_node_t *pq_parse_condition(pq_parser_t *p)
{
    pq_node_t *l = and_cond(p);
    while (l && pq_accept_word(p, "or")) {
        pq_node_t *r = and_cond(p);
        l = r ? binary(p, PN_OR, l, r) : NULL;
    }
    return l;
}

size_t pq_and_terms(const pq_node_t *n, const pq_node_t **out, size_t cap)
{
    if (n->kind != PN_AND) {
        if (cap)
            out[0] = n;
        return 1;
    }
    size_t k = pq_and_terms(n->args[0], out, cap);
    return k + pq_and_terms(n->args[1], out + (k < cap ? k : cap), k < cap ? cap - k : 0);
}
