/* The PartiQL grammar below statements: token helpers, document paths, operands (literals, paths,
 * function calls), WHERE conditions and SET values, into the syntax tree of ddb_partiql_int.h. */
#include <ctype.h>
#include <stdio.h>
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

void pq_pos(const pq_tok_t *t, char *buf, size_t size)
{
    snprintf(buf, size, "%u:%u:%zu", t->line, t->col, t->srclen);
}

int pq_unexpected(pq_parser_t *p)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if (t->type == PQ_KEYWORD)
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected keyword");
    else if (t->type == PQ_EOF || t->type == PQ_SEMI)
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected term");
    else
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected token");
    return -1;
}

/* Words PartiQL parses as operators: where a term should start they are "Unexpected operator". */
static bool is_operator_word(const pq_tok_t *t)
{
    static const char *const OPS[] = {"and", "or", "is", "like", "in", "between", "not"};
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (t->type == PQ_KEYWORD && pq_tok_is(t, OPS[i]))
            return true;
    return false;
}

int pq_term_error(pq_parser_t *p)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if (is_operator_word(t) && !pq_tok_is(t, "not")) {
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected operator");
        return -1;
    }
    return pq_unexpected(p);
}

/* The right operand of an infix operator is missing when the statement ends right after it. */
static int rhs_error(pq_parser_t *p)
{
    pq_tok_type_t type = pq_peek(p, 0)->type;
    if (type == PQ_EOF || type == PQ_SEMI) {
        ddb_err_set(p->err, PQ_MALFORMED "Missing right-hand side expression of infix operator");
        return -1;
    }
    return pq_term_error(p);
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

/* One name of a path: an identifier or a "quoted identifier". The first name of a statement's target
 * (`simple`) or a name after '.' have errors of their own. */
static int path_name(pq_parser_t *p, pq_pelem_t *e, bool simple, bool after_dot)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if (t->type != PQ_IDENT && t->type != PQ_QIDENT) {
        if (after_dot)
            ddb_err_set(p->err, PQ_MALFORMED "Invalid path dot component");
        else if (simple)
            ddb_err_set(p->err, PQ_MALFORMED "Expected identifier for simple path");
        else
            return pq_term_error(p);
        return -1;
    }
    pq_next(p);
    e->name = ddb_arena_strndup(p->arena, t->text, t->len);
    e->len = t->len;
    if (!e->name) {
        ddb_err_oom(p->err);
        return -1;
    }
    return 0;
}

int pq_parse_path(pq_parser_t *p, pq_path_t *out, bool simple)
{
    pq_pelem_t elems[32];
    size_t n = 0;
    if (path_name(p, &elems[n++], simple, false) != 0)
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
            if (path_name(p, e, simple, true) != 0)
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
                char at[64];
                pq_pos(t, at, sizeof at);
                ddb_err_set(p->err, "Unexpected path component at %s", at);
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

/* Functions by where they may appear: a WHERE clause (conditions and size) or a SET value. Argument counts
 * and kinds are checked by ddb_expr, whose messages DynamoDB's are. */
static const char *const WHERE_FUNCTIONS[] = {
    "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size",
};
static const char *const SET_FUNCTIONS[] = {"list_append", "if_not_exists", "set_add", "set_delete"};

static bool is_function(const char *const *names, size_t n, const pq_tok_t *t)
{
    for (size_t i = 0; i < n; i++)
        if (pq_tok_is(t, names[i]))
            return true;
    return false;
}

static void node_at(pq_node_t *n, const pq_tok_t *t)
{
    n->line = t->line;
    n->col = t->col;
    n->srclen = t->srclen;
}

static pq_node_t *operand(pq_parser_t *p, bool in_set);

/* name '(' [operand (',' operand)*] ')' */
static pq_node_t *call(pq_parser_t *p, bool in_set)
{
    const pq_tok_t *t = pq_next(p);
    bool known = in_set ? is_function(SET_FUNCTIONS, sizeof SET_FUNCTIONS / sizeof SET_FUNCTIONS[0], t)
                        : is_function(WHERE_FUNCTIONS, sizeof WHERE_FUNCTIONS / sizeof WHERE_FUNCTIONS[0], t);
    if (!known) {
        char at[64], name[64];
        size_t n = t->len < sizeof name - 1 ? t->len : sizeof name - 1;
        for (size_t i = 0; i < n; i++)
            name[i] = (char)tolower((unsigned char)t->text[i]);
        name[n] = '\0';
        pq_pos(t, at, sizeof at);
        ddb_err_set(p->err, "Unrecognized function: %s at %s", name, at);
        return NULL;
    }
    pq_next(p); /* ( */
    pq_node_t *args[8];
    size_t nargs = 0;
    if (!pq_accept(p, PQ_RPAREN)) {
        do {
            if (nargs == sizeof args / sizeof args[0]) {
                pq_unexpected(p);
                return NULL;
            }
            if (!(args[nargs++] = operand(p, in_set)))
                return NULL;
        } while (pq_accept(p, PQ_COMMA));
        if (pq_expect(p, PQ_RPAREN) != 0)
            return NULL;
    }
    if (nargs == 0 && !pq_tok_is(t, "set_add") && !pq_tok_is(t, "set_delete")) {
        /* ddb_expr's grammar has no empty call; DynamoDB words it as an operand count */
        ddb_err_set(p->err, "Incorrect number of operands for operator or function; operator or function: %.*s, "
                            "number of operands: 0", (int)t->len, t->text);
        return NULL;
    }
    pq_node_t *n = pq_node_new(p, PN_CALL, nargs);
    if (!n)
        return NULL;
    char *fname = ddb_arena_strndup(p->arena, t->text, t->len);
    if (!fname) {
        ddb_err_oom(p->err);
        return NULL;
    }
    for (char *c = fname; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    n->fname = fname;
    node_at(n, t);
    if (nargs)
        memcpy(n->args, args, nargs * sizeof *args);
    return n;
}

/* operand := literal | function '(' operand, .. ')' | path */
static pq_node_t *operand(pq_parser_t *p, bool in_set)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if ((t->type == PQ_IDENT || t->type == PQ_KEYWORD) && pq_peek(p, 1)->type == PQ_LPAREN)
        return call(p, in_set);
    if (pq_tok_is(t, "missing") && t->type == PQ_KEYWORD) {
        ddb_err_set(p->err, "MISSING must be compared using IS operator");
        return NULL;
    }
    pq_node_t *n;
    if (pq_at_literal(p)) {
        n = pq_node_new(p, PN_VALUE, 0);
        snprintf(p->lit_path, sizeof p->lit_path, "root");
        json_t *v = n ? pq_parse_literal(p) : NULL;
        if (!v)
            return NULL;
        n->value = ddb_arena_keep(p->arena, v);
        json_decref(v);
        if (!n->value) {
            ddb_err_oom(p->err);
            return NULL;
        }
    } else {
        n = pq_node_new(p, PN_PATH, 0);
        if (!n || pq_parse_path(p, &n->path, false) != 0)
            return NULL;
    }
    node_at(n, t);
    return n;
}

/* set_add(path, <<..>>) / set_delete(path, <<..>>) as the value of SET path: DynamoDB's checks, with the
 * position of the function (of its first argument for the second one's type). */
static int set_function_check(pq_parser_t *p, const pq_node_t *v, const pq_path_t *target)
{
    const char *upper = strcmp(v->fname, "set_add") == 0 ? "SET_ADD" : "SET_DELETE";
    char at[64];
    snprintf(at, sizeof at, "%u:%u:%zu", v->line, v->col, v->srclen);
    if (v->nargs != 2) {
        ddb_err_set(p->err, "%s must have exactly two arguments at %s", upper, at);
        return -1;
    }
    const pq_node_t *a = v->args[0], *b = v->args[1];
    bool same = a->kind == PN_PATH && a->path.n == target->n;
    for (size_t i = 0; same && i < a->path.n; i++) {
        const pq_pelem_t *x = &a->path.e[i], *y = &target->e[i];
        same = (!x->name && !y->name && x->index == y->index) ||
               (x->name && y->name && x->len == y->len && memcmp(x->name, y->name, x->len) == 0);
    }
    if (!same) {
        ddb_err_set(p->err, "The first argument to %s must equal the assignment value at %s", upper, at);
        return -1;
    }
    ddb_type_t t = b->kind == PN_VALUE ? ddb_value_type(b->value, NULL) : DDB_T_NONE;
    if (t != DDB_T_SS && t != DDB_T_NS && t != DDB_T_BS) {
        snprintf(at, sizeof at, "%u:%u:%zu", a->line, a->col, a->srclen);
        ddb_err_set(p->err, "The second argument to %s must be a value with type SET at %s", upper, at);
        return -1;
    }
    return 0;
}

pq_node_t *pq_parse_set_value(pq_parser_t *p, const pq_path_t *target)
{
    pq_node_t *a = operand(p, true);
    if (!a)
        return NULL;
    if (a->kind == PN_CALL && strncmp(a->fname, "set_", 4) == 0 && set_function_check(p, a, target) != 0)
        return NULL;
    pq_tok_type_t type = pq_peek(p, 0)->type;
    if (type != PQ_PLUS && type != PQ_MINUS)
        return a;
    pq_next(p);
    pq_node_t *n = pq_node_new(p, type == PQ_PLUS ? PN_PLUS : PN_MINUS, 2);
    if (!n)
        return NULL;
    n->args[0] = a;
    if (pq_peek(p, 0)->type == PQ_EOF) {
        rhs_error(p);
        return NULL;
    }
    return (n->args[1] = operand(p, true)) ? n : NULL;
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

/* The right operand of an infix operator. */
static pq_node_t *rhs(pq_parser_t *p)
{
    pq_tok_type_t type = pq_peek(p, 0)->type;
    if (type == PQ_EOF || type == PQ_SEMI || is_operator_word(pq_peek(p, 0))) {
        rhs_error(p);
        return NULL;
    }
    return operand(p, false);
}

/* a IN [v, ..] or a IN (v, ..): the values are literals. */
static pq_node_t *in_list(pq_parser_t *p, pq_node_t *a)
{
    pq_tok_type_t close = pq_accept(p, PQ_LBRACK) ? PQ_RBRACK : PQ_RPAREN;
    if (close == PQ_RPAREN && !pq_accept(p, PQ_LPAREN)) {
        ddb_err_set(p->err, "IN operator must have a left hand argument of type Variable Reference and right hand "
                            "argument of type Seq with at least one member");
        return NULL;
    }
    pq_node_t *vals[101];
    size_t n = 0;
    do {
        if (n == 100) {
            ddb_err_set(p->err, "The IN operator accepts at most 100 values");
            return NULL;
        }
        if (!pq_at_literal(p)) {
            pq_term_error(p);
            return NULL;
        }
        if (!(vals[n++] = operand(p, false)))
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

/* IS [NOT] <type>: MISSING, or a type test on the DynamoDB type the PartiQL type name stands for. */
static pq_node_t *is_test(pq_parser_t *p, pq_node_t *a)
{
    static const struct { const char *name; const char *ddb; } TYPES[] = {
        {"null", "NULL"}, {"boolean", "BOOL"}, {"blob", "B"}, {"string", "S"}, {"numeric", "N"},
        {"struct", "M"}, {"tuple", "M"}, {"list", "L"},
    };
    /* type names PartiQL knows that DynamoDB has no type for */
    static const char *const OTHER_TYPES[] = {
        "bool", "int", "int2", "int4", "int8", "integer", "integer2", "integer4", "integer8", "bigint",
        "smallint", "real", "float", "double", "decimal", "dec", "char", "character", "varchar", "symbol",
        "clob", "sexp", "bag", "date", "time", "timestamp", "any",
    };
    bool negate = pq_accept_word(p, "not");
    const pq_tok_t *t = pq_peek(p, 0);
    pq_node_t *n;
    if (a->kind != PN_PATH) {
        ddb_err_set(p->err, "The left hand side argument to IS must be a Variable Reference, Literal, or Path");
        return NULL;
    }
    if (pq_accept_word(p, "missing")) {
        if (!(n = pq_node_new(p, negate ? PN_NOT_MISSING : PN_MISSING, 0)))
            return NULL;
        n->path = a->path;
        return n;
    }
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        if (!pq_tok_is(t, TYPES[i].name))
            continue;
        pq_next(p);
        if (!(n = pq_node_new(p, PN_CALL, 2)))
            return NULL;
        n->fname = "attribute_type";
        n->args[0] = a;
        if (!(n->args[1] = value_node(p, "S", TYPES[i].ddb)))
            return NULL;
        return negate ? binary(p, PN_NOT, n, NULL) : n;
    }
    for (size_t i = 0; i < sizeof OTHER_TYPES / sizeof OTHER_TYPES[0]; i++) {
        if (pq_tok_is(t, OTHER_TYPES[i])) {
            char upper[16];
            size_t len = strlen(OTHER_TYPES[i]);
            for (size_t k = 0; k <= len; k++)
                upper[k] = (char)toupper((unsigned char)OTHER_TYPES[i][k]);
            ddb_err_set(p->err, "Unsupported data type for IS operator: %s. Supported data types are [MISSING, "
                                "NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]", upper);
            return NULL;
        }
    }
    ddb_err_set(p->err, PQ_MALFORMED "Expected type name");
    return NULL;
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
    const pq_tok_t *t = pq_peek(p, 0);
    if (t->type == PQ_EOF || t->type == PQ_SEMI || is_operator_word(t)) {
        pq_term_error(p);
        return NULL;
    }
    pq_node_t *a = operand(p, false);
    if (!a)
        return NULL;
    t = pq_peek(p, 0);
    for (size_t i = 0; i < sizeof CMP_OPS / sizeof CMP_OPS[0]; i++) {
        if (t->type != CMP_OPS[i].type)
            continue;
        pq_next(p);
        pq_node_t *b = rhs(p);
        pq_node_t *n = b ? binary(p, PN_CMP, a, b) : NULL;
        if (n)
            n->op = CMP_OPS[i].op;
        return n;
    }
    if (pq_accept_word(p, "between")) {
        pq_node_t *n = pq_node_new(p, PN_BETWEEN, 3);
        if (!n || !(n->args[1] = rhs(p)) || pq_expect_word(p, "and") != 0 || !(n->args[2] = rhs(p)))
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
    /* a function call stands as a condition; ddb_expr refuses size() and the like there */
    if (a->kind == PN_CALL)
        return a;
    ddb_err_set(p->err, "WHERE clause must contain an expression that resolves to a boolean");
    return NULL;
}

static pq_node_t *not_cond(pq_parser_t *p)
{
    if (!pq_accept_word(p, "not"))
        return predicate(p);
    pq_node_t *c = not_cond(p);
    return c ? binary(p, PN_NOT, c, NULL) : NULL;
}

/* operand (word operand)*, left-associative: AND over NOT terms, OR over AND terms. */
static pq_node_t *chain(pq_parser_t *p, const char *word, pq_node_kind_t kind, pq_node_t *(*next)(pq_parser_t *))
{
    pq_node_t *l = next(p);
    while (l && pq_accept_word(p, word)) {
        if (pq_peek(p, 0)->type == PQ_EOF || pq_peek(p, 0)->type == PQ_SEMI) {
            rhs_error(p);
            return NULL;
        }
        pq_node_t *r = next(p);
        l = r ? binary(p, kind, l, r) : NULL;
    }
    return l;
}

static pq_node_t *and_cond(pq_parser_t *p)
{
    return chain(p, "and", PN_AND, not_cond);
}

pq_node_t *pq_parse_condition(pq_parser_t *p)
{
    return chain(p, "or", PN_OR, and_cond);
}

size_t pq_terms(const pq_node_t *n, pq_node_kind_t kind, const pq_node_t **out, size_t cap)
{
    if (n->kind != kind) {
        if (cap)
            out[0] = n;
        return 1;
    }
    size_t k = pq_terms(n->args[0], kind, out, cap);
    return k + pq_terms(n->args[1], kind, out + (k < cap ? k : cap), k < cap ? cap - k : 0);
}
