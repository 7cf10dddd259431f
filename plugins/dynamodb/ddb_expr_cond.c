/* ConditionExpression / FilterExpression: the grammar (OR < AND < NOT < comparisons, BETWEEN, IN and
 * functions), AWS's checks on it, and evaluation against an item. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_int.h"

#define MAX_OPERATORS 300
#define MAX_IN_OPERANDS 100

const ddb_errcat_t ddb_cond_error_order[] = {
    DDB_E_PARENS, DDB_E_UNKNOWN_FUNCTION, DDB_E_MISUSED_FUNCTION, DDB_E_RESERVED, DDB_E_ATTR_NAME,
    DDB_E_ATTR_VALUE, DDB_E_OPERAND_COUNT, DDB_E_DISTINCT, DDB_E_FUNCTION,
};
const size_t ddb_cond_error_order_len = sizeof ddb_cond_error_order / sizeof ddb_cond_error_order[0];

const char *ddb_cmp_op_text(ddb_cmp_op_t op)
{
    static const char *const text[] = {"=", "<>", "<", "<=", ">", ">="};
    return text[op];
}

/* ---- operands ---- */

static bool known_function(ddb_expr_kind_t kind, const char *name)
{
    static const char *const cond_fns[] = {"attribute_exists", "attribute_not_exists", "attribute_type",
                                           "begins_with", "contains", "size"};
    if (kind == DDB_EXPR_UPDATE)
        return strcmp(name, "if_not_exists") == 0 || strcmp(name, "list_append") == 0;
    for (size_t i = 0; i < sizeof cond_fns / sizeof cond_fns[0]; i++)
        if (strcmp(name, cond_fns[i]) == 0)
            return true;
    return false;
}

static ddb_opnd_t *parse_call(ddb_parser_t *p)
{
    const ddb_tok_t *name = ddb_next(p);
    ddb_next(p); /* '(' */
    p->nops++;
    ddb_opnd_t *args[MAX_IN_OPERANDS + 2];
    uint16_t n = 0;
    for (;;) {
        ddb_opnd_t *a = ddb_parse_operand(p);
        if (!a)
            return NULL;
        if (n < sizeof args / sizeof args[0])
            args[n] = a;
        n++;
        const ddb_tok_t *t = ddb_next(p);
        if (t->type == TK_RPAREN)
            break;
        if (t->type != TK_COMMA)
            return ddb_syntax_error(p, (size_t)(t - p->toks));
    }
    if (n > sizeof args / sizeof args[0])
        n = sizeof args / sizeof args[0];
    ddb_opnd_t *o = ddb_opnd_new(p, OPND_FUNCTION);
    if (!o)
        return NULL;
    o->fname = ddb_arena_strndup(p->arena, p->text + name->start, name->len);
    o->args = ddb_arena_alloc(p->arena, n * sizeof *o->args);
    if (!o->fname || !o->args)
        return NULL;
    memcpy(o->args, args, n * sizeof *o->args);
    o->nargs = n;
    if (!known_function(p->kind, o->fname))
        ddb_semantic(p, DDB_E_UNKNOWN_FUNCTION, "Invalid function name; function: %s", o->fname);
    if (p->kind != DDB_EXPR_UPDATE && strcmp(o->fname, "size") == 0) {
        o->kind = OPND_SIZE;
        o->a = args[0];
        if (n != 1)
            ddb_semantic(p, DDB_E_OPERAND_COUNT,
                         "Incorrect number of operands for operator or function; operator or function: size, "
                         "number of operands: %u", (unsigned)n);
        else if (args[0]->kind == OPND_VALUE &&
                 (args[0]->type == DDB_T_N || args[0]->type == DDB_T_BOOL || args[0]->type == DDB_T_NULL))
            ddb_semantic(p, DDB_E_FUNCTION,
                         "Incorrect operand type for operator or function; operator or function: size, operand "
                         "type: %s", ddb_type_name(args[0]->type));
    }
    return o;
}

/* The ')' after a parenthesized part, and AWS's error when that part was itself parenthesized. */
static bool close_group(ddb_parser_t *p, bool *parens)
{
    const ddb_tok_t *t = ddb_next(p);
    if (t->type != TK_RPAREN)
        return ddb_syntax_error(p, (size_t)(t - p->toks)), false;
    if (*parens)
        ddb_semantic(p, DDB_E_PARENS, "The expression has redundant parentheses;");
    *parens = true;
    return true;
}

ddb_opnd_t *ddb_parse_operand(ddb_parser_t *p)
{
    const ddb_tok_t *t = ddb_peek(p, 0);
    if (t->type == TK_LPAREN) {
        ddb_next(p);
        ddb_opnd_t *o = ddb_parse_operand(p);
        return o && close_group(p, &o->parens) ? o : NULL;
    }
    if (t->type == TK_VALUE)
        return ddb_parse_value(p);
    if (t->type == TK_IDENT && ddb_peek(p, 1)->type == TK_LPAREN && !ddb_tok_is_keyword(p, t))
        return parse_call(p);
    ddb_opnd_t *o = ddb_opnd_new(p, OPND_PATH);
    if (!o || !ddb_parse_path(p, &o->path))
        return NULL;
    return o;
}

/* ---- checks ---- */

static void check_misused(ddb_parser_t *p, ddb_opnd_t *const *args, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (args[i]->kind == OPND_FUNCTION)
            ddb_semantic(p, DDB_E_MISUSED_FUNCTION,
                         "The function is not allowed to be used this way in an expression; function: %s",
                         args[i]->fname);
}

static void check_distinct(ddb_parser_t *p, const char *op, ddb_opnd_t *a, ddb_opnd_t *b)
{
    if (a->kind != OPND_PATH || b->kind != OPND_PATH || !ddb_path_equal(&a->path, &b->path))
        return;
    char path[512];
    ddb_path_str(&a->path, path, sizeof path);
    ddb_semantic(p, DDB_E_DISTINCT,
                 "The first operand must be distinct from the remaining operands for this operator or function; "
                 "operator: %s, first operand: %s", op, path);
}

static void check_operand_type(ddb_parser_t *p, const char *op, const ddb_opnd_t *o, bool allow_n)
{
    if (o->kind != OPND_VALUE || o->type == DDB_T_NONE)
        return;
    if (o->type == DDB_T_S || o->type == DDB_T_B || (allow_n && o->type == DDB_T_N))
        return;
    ddb_semantic(p, DDB_E_FUNCTION,
                 "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op,
                 ddb_type_name(o->type));
}

static void check_between(ddb_parser_t *p, const ddb_opnd_t *lo, const ddb_opnd_t *hi)
{
    if (lo->kind != OPND_VALUE || hi->kind != OPND_VALUE || !lo->av || !hi->av)
        return;
    char a[300], b[300];
    int c;
    if (lo->type != hi->type) {
        ddb_av_str(lo->av, a, sizeof a);
        ddb_av_str(hi->av, b, sizeof b);
        ddb_semantic(p, DDB_E_FUNCTION,
                     "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: "
                     "%s, upper bound operand: %s", a, b);
    } else if (ddb_value_compare(lo->av, hi->av, &c) == 0 && c > 0) {
        ddb_av_str(lo->av, a, sizeof a);
        ddb_av_str(hi->av, b, sizeof b);
        ddb_semantic(p, DDB_E_FUNCTION,
                     "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower "
                     "bound operand: %s, upper bound operand: %s", a, b);
    }
}

static ddb_cnode_t *node_new(ddb_parser_t *p, ddb_cnode_kind_t kind, size_t nargs)
{
    ddb_cnode_t *n = ddb_arena_alloc(p->arena, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    if (nargs) {
        n->args = ddb_arena_alloc(p->arena, nargs * sizeof *n->args);
        if (!n->args)
            return NULL;
        n->nargs = (uint16_t)nargs;
    }
    return n;
}

static const char *const valid_types = "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}";

/* A function call standing as a condition. */
static ddb_cnode_t *function_node(ddb_parser_t *p, ddb_opnd_t *f)
{
    static const struct {
        const char *name;
        ddb_cnode_kind_t kind;
        uint16_t nargs;
    } fns[] = {
        {"attribute_exists", CN_EXISTS, 1}, {"attribute_not_exists", CN_NOT_EXISTS, 1},
        {"attribute_type", CN_TYPE, 2},     {"begins_with", CN_BEGINS_WITH, 2},
        {"contains", CN_CONTAINS, 2},
    };
    if (f->kind == OPND_SIZE) {
        ddb_semantic(p, DDB_E_MISUSED_FUNCTION,
                     "The function is not allowed to be used this way in an expression; function: size");
        return node_new(p, CN_TRUE, 0);
    }
    size_t i = 0;
    while (i < sizeof fns / sizeof fns[0] && strcmp(fns[i].name, f->fname) != 0)
        i++;
    if (i == sizeof fns / sizeof fns[0])
        return node_new(p, CN_TRUE, 0); /* unknown: reported by parse_call */
    check_misused(p, f->args, f->nargs);
    ddb_cnode_t *n = node_new(p, fns[i].kind, 0);
    if (!n)
        return NULL;
    n->args = f->args;
    n->nargs = f->nargs;
    if (f->nargs != fns[i].nargs) {
        ddb_semantic(p, DDB_E_OPERAND_COUNT,
                     "Incorrect number of operands for operator or function; operator or function: %s, number of "
                     "operands: %u", f->fname, (unsigned)f->nargs);
        n->kind = CN_TRUE;
        return n;
    }
    if (f->nargs == 2)
        check_distinct(p, f->fname, f->args[0], f->args[1]);
    switch (n->kind) {
    case CN_EXISTS:
    case CN_NOT_EXISTS:
        if (f->args[0]->kind != OPND_PATH)
            ddb_semantic(p, DDB_E_FUNCTION, "Operator or function requires a document path; operator or function: %s",
                         f->fname);
        break;
    case CN_TYPE: {
        if (f->args[0]->kind != OPND_PATH) {
            ddb_semantic(p, DDB_E_FUNCTION, "Operator or function requires a document path; operator or function: %s",
                         f->fname);
            break;
        }
        const ddb_opnd_t *t = f->args[1];
        if (t->kind != OPND_VALUE || t->type != DDB_T_S) {
            if (t->kind == OPND_VALUE && t->type != DDB_T_NONE)
                ddb_semantic(p, DDB_E_FUNCTION,
                             "Incorrect operand type for operator or function; operator or function: %s, operand "
                             "type: %s", f->fname, ddb_type_name(t->type));
            break;
        }
        json_t *payload;
        ddb_value_type(t->av, &payload);
        const char *want = json_string_value(payload);
        for (int k = DDB_T_S; k <= DDB_T_M; k++)
            if (strcmp(want, ddb_type_name((ddb_type_t)k)) == 0)
                n->want_type = (ddb_type_t)k;
        if (n->want_type == DDB_T_NONE)
            ddb_semantic(p, DDB_E_FUNCTION, "Invalid attribute type name found; type: %s, valid types: %s", want,
                         valid_types);
        break;
    }
    case CN_BEGINS_WITH:
        check_operand_type(p, f->fname, f->args[0], false);
        check_operand_type(p, f->fname, f->args[1], false);
        break;
    default:
        break;
    }
    return n;
}

static bool is_word(ddb_parser_t *p, const char *w)
{
    return ddb_tok_is_word(p, ddb_peek(p, 0), w);
}

static ddb_cnode_t *parse_comparison(ddb_parser_t *p)
{
    ddb_opnd_t *a = ddb_parse_operand(p);
    if (!a)
        return NULL;
    const ddb_tok_t *t = ddb_peek(p, 0);
    ddb_cnode_t *n;
    switch (t->type) {
    case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE: {
        ddb_next(p);
        p->nops++;
        ddb_opnd_t *b = ddb_parse_operand(p);
        if (!b || !(n = node_new(p, CN_CMP, 2)))
            return NULL;
        n->op = t->type == TK_EQ ? CMP_EQ : t->type == TK_NE ? CMP_NE : t->type == TK_LT ? CMP_LT
              : t->type == TK_LE ? CMP_LE : t->type == TK_GT ? CMP_GT : CMP_GE;
        n->args[0] = a;
        n->args[1] = b;
        check_misused(p, n->args, 2);
        check_distinct(p, ddb_cmp_op_text(n->op), a, b);
        if (n->op != CMP_EQ && n->op != CMP_NE) {
            check_operand_type(p, ddb_cmp_op_text(n->op), a, true);
            check_operand_type(p, ddb_cmp_op_text(n->op), b, true);
        }
        return n;
    }
    default:
        break;
    }
    if (is_word(p, "BETWEEN")) {
        ddb_next(p);
        p->nops++;
        ddb_opnd_t *lo = ddb_parse_operand(p);
        if (!lo)
            return NULL;
        if (!is_word(p, "AND"))
            return ddb_syntax_error(p, p->pos);
        ddb_next(p);
        ddb_opnd_t *hi = ddb_parse_operand(p);
        if (!hi || !(n = node_new(p, CN_BETWEEN, 3)))
            return NULL;
        n->args[0] = a;
        n->args[1] = lo;
        n->args[2] = hi;
        check_misused(p, n->args, 3);
        for (int i = 0; i < 3; i++)
            check_operand_type(p, "BETWEEN", n->args[i], true);
        check_between(p, lo, hi);
        return n;
    }
    if (is_word(p, "IN")) {
        ddb_next(p);
        p->nops++;
        const ddb_tok_t *open = ddb_next(p);
        if (open->type != TK_LPAREN)
            return ddb_syntax_error(p, (size_t)(open - p->toks));
        ddb_opnd_t *list[MAX_IN_OPERANDS + 1];
        size_t cnt = 0;
        for (;;) {
            ddb_opnd_t *v = ddb_parse_operand(p);
            if (!v)
                return NULL;
            if (cnt <= MAX_IN_OPERANDS)
                list[cnt] = v;
            cnt++;
            const ddb_tok_t *sep = ddb_next(p);
            if (sep->type == TK_RPAREN)
                break;
            if (sep->type != TK_COMMA)
                return ddb_syntax_error(p, (size_t)(sep - p->toks));
        }
        if (cnt > MAX_IN_OPERANDS) {
            ddb_semantic(p, DDB_E_OPERAND_COUNT,
                         "The IN operator is provided with too many operands; number of operands: %zu", cnt);
            cnt = MAX_IN_OPERANDS;
        }
        if (!(n = node_new(p, CN_IN, cnt + 1)))
            return NULL;
        n->args[0] = a;
        memcpy(n->args + 1, list, cnt * sizeof *list);
        check_misused(p, n->args, cnt + 1);
        return n;
    }
    if (a->kind == OPND_FUNCTION || a->kind == OPND_SIZE)
        return function_node(p, a);
    return ddb_syntax_error(p, p->pos);
}

/* Index of the ')' closing the '(' at `open`, or 0. */
static size_t matching_paren(const ddb_parser_t *p, size_t open)
{
    int depth = 0;
    for (size_t i = open; i < p->ntoks; i++) {
        if (p->toks[i].type == TK_LPAREN)
            depth++;
        else if (p->toks[i].type == TK_RPAREN && --depth == 0)
            return i;
    }
    return 0;
}

static ddb_cnode_t *parse_or(ddb_parser_t *p);

static ddb_cnode_t *parse_primary(ddb_parser_t *p)
{
    if (ddb_peek(p, 0)->type == TK_LPAREN) {
        size_t close = matching_paren(p, p->pos);
        const ddb_tok_t *after = close ? &p->toks[close + 1] : NULL;
        bool operand = after && (after->type == TK_EQ || after->type == TK_NE || after->type == TK_LT ||
                                 after->type == TK_LE || after->type == TK_GT || after->type == TK_GE ||
                                 ddb_tok_is_word(p, after, "BETWEEN") || ddb_tok_is_word(p, after, "IN"));
        if (!operand) {
            ddb_next(p);
            ddb_cnode_t *inner = parse_or(p);
            return inner && close_group(p, &inner->parens) ? inner : NULL;
        }
    }
    return parse_comparison(p);
}

static ddb_cnode_t *parse_not(ddb_parser_t *p)
{
    if (is_word(p, "NOT")) {
        ddb_next(p);
        p->nops++;
        ddb_cnode_t *c = parse_not(p);
        ddb_cnode_t *n = c ? node_new(p, CN_NOT, 0) : NULL;
        if (n)
            n->l = c;
        return n;
    }
    return parse_primary(p);
}

/* Left-associative chain of `sub` joined by `word` (AND over NOT-terms, OR over AND-terms). */
static ddb_cnode_t *parse_chain(ddb_parser_t *p, const char *word, ddb_cnode_kind_t kind,
                                ddb_cnode_t *(*sub)(ddb_parser_t *))
{
    ddb_cnode_t *l = sub(p);
    while (l && is_word(p, word)) {
        ddb_next(p);
        p->nops++;
        ddb_cnode_t *r = sub(p);
        ddb_cnode_t *n = r ? node_new(p, kind, 0) : NULL;
        if (!n)
            return NULL;
        n->l = l;
        n->r = r;
        l = n;
    }
    return l;
}

static ddb_cnode_t *parse_and(ddb_parser_t *p)
{
    return parse_chain(p, "AND", CN_AND, parse_not);
}

static ddb_cnode_t *parse_or(ddb_parser_t *p)
{
    return parse_chain(p, "OR", CN_OR, parse_and);
}

ddb_cnode_t *ddb_parse_condition(ddb_parser_t *p)
{
    ddb_cnode_t *root = parse_or(p);
    if (!root)
        return ddb_syntax_error(p, p->pos);
    if (ddb_peek(p, 0)->type != TK_EOF)
        return ddb_syntax_error(p, p->pos);
    if (p->nops > MAX_OPERATORS)
        ddb_semantic(p, DDB_E_PARENS, "The expression contains too many operators; operator count: %u", p->nops);
    return root;
}

ddb_cond_t *ddb_cond_parse(ddb_expr_kind_t kind, const char *text, ddb_ctx_t *ctx, ddb_err_t *err)
{
    ddb_cond_t *c = calloc(1, sizeof *c);
    if (!c) {
        ddb_err_oom(err);
        return NULL;
    }
    ddb_parser_t p;
    if (ddb_parser_init(&p, kind, text, ctx, &c->arena, err) != 0) {
        ddb_parser_done(&p);
        ddb_cond_free(c);
        return NULL;
    }
    c->root = ddb_parse_condition(&p);
    int rc = ddb_parser_finish(&p, ddb_cond_error_order, ddb_cond_error_order_len);
    ddb_parser_done(&p);
    if (rc != 0 || !c->root) {
        ddb_cond_free(c);
        return NULL;
    }
    return c;
}

void ddb_cond_free(ddb_cond_t *c)
{
    if (!c)
        return;
    ddb_arena_free(&c->arena);
    free(c);
}

/* ---- evaluation ---- */

static bool ev_equal(const ddb_ev_t *a, const ddb_ev_t *b)
{
    if (a->type == DDB_T_NONE || a->type != b->type)
        return false;
    if (a->type == DDB_T_N) {
        ddb_num_t sa, sb;
        const ddb_num_t *x = ddb_ev_num(a, &sa), *y = ddb_ev_num(b, &sb);
        return x && y && ddb_num_cmp(x, y) == 0;
    }
    return a->av && b->av && ddb_value_equal(a->av, b->av);
}

/* Order of two values of one type S, N or B; false when they cannot be ordered. */
static bool ev_order(const ddb_ev_t *a, const ddb_ev_t *b, int *cmp)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case DDB_T_N: {
        ddb_num_t sa, sb;
        const ddb_num_t *x = ddb_ev_num(a, &sa), *y = ddb_ev_num(b, &sb);
        if (!x || !y)
            return false;
        *cmp = ddb_num_cmp(x, y);
        return true;
    }
    case DDB_T_S:
    case DDB_T_B:
        return ddb_value_compare(a->av, b->av, cmp) == 0;
    default:
        return false;
    }
}

static bool str_contains(const json_t *h, const json_t *n)
{
    size_t hl = json_string_length(h), nl = json_string_length(n);
    const char *hs = json_string_value(h), *ns = json_string_value(n);
    if (nl == 0)
        return true;
    for (size_t i = 0; i + nl <= hl; i++)
        if (hs[i] == ns[0] && memcmp(hs + i, ns, nl) == 0)
            return true;
    return false;
}

static bool eval_contains(const ddb_ev_t *a, const ddb_ev_t *b)
{
    switch (a->type) {
    case DDB_T_S:
        return b->type == DDB_T_S && str_contains(a->payload, b->payload);
    case DDB_T_B:
        return b->type == DDB_T_B &&
               ddb_bytes_contains(json_string_value(a->payload), json_string_length(a->payload),
                                  json_string_value(b->payload), json_string_length(b->payload));
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
    case DDB_T_L: {
        ddb_type_t elem = a->type == DDB_T_SS ? DDB_T_S : a->type == DDB_T_NS ? DDB_T_N : DDB_T_B;
        if (a->type != DDB_T_L && b->type != elem)
            return false;
        size_t i;
        json_t *x;
        json_array_foreach(a->payload, i, x) {
            ddb_ev_t e = {0};
            if (a->type == DDB_T_L) {
                e.av = x;
                e.type = ddb_value_type(x, &e.payload);
            } else {
                e.type = elem;
                e.payload = x;
                if (elem != DDB_T_N) {
                    /* compare the raw payloads: the element has no typed wrapper */
                    if (json_is_string(x) && json_is_string(b->payload) &&
                        (elem == DDB_T_S ? json_equal(x, b->payload)
                                         : ddb_bytes_compare(json_string_value(x), json_string_length(x),
                                                             json_string_value(b->payload),
                                                             json_string_length(b->payload)) == 0))
                        return true;
                    continue;
                }
            }
            if (ev_equal(&e, b))
                return true;
        }
        return false;
    }
    default:
        return false;
    }
}

bool ddb_cnode_eval(const ddb_cnode_t *n, const json_t *item)
{
    ddb_ev_t a, b, c;
    int cmp;
    switch (n->kind) {
    case CN_AND:
        return ddb_cnode_eval(n->l, item) && ddb_cnode_eval(n->r, item);
    case CN_OR:
        return ddb_cnode_eval(n->l, item) || ddb_cnode_eval(n->r, item);
    case CN_NOT:
        return !ddb_cnode_eval(n->l, item);
    case CN_TRUE:
        return true;
    case CN_CMP:
        ddb_opnd_eval(n->args[0], item, &a);
        ddb_opnd_eval(n->args[1], item, &b);
        switch (n->op) {
        case CMP_EQ:
            return ev_equal(&a, &b);
        case CMP_NE:
            return !ev_equal(&a, &b);
        case CMP_LT:
            return ev_order(&a, &b, &cmp) && cmp < 0;
        case CMP_LE:
            return ev_order(&a, &b, &cmp) && cmp <= 0;
        case CMP_GT:
            return ev_order(&a, &b, &cmp) && cmp > 0;
        case CMP_GE:
            return ev_order(&a, &b, &cmp) && cmp >= 0;
        }
        return false;
    case CN_BETWEEN:
        ddb_opnd_eval(n->args[0], item, &a);
        ddb_opnd_eval(n->args[1], item, &b);
        ddb_opnd_eval(n->args[2], item, &c);
        if (!ev_order(&a, &b, &cmp) || cmp < 0)
            return false;
        return ev_order(&a, &c, &cmp) && cmp <= 0;
    case CN_IN:
        ddb_opnd_eval(n->args[0], item, &a);
        for (uint16_t i = 1; i < n->nargs; i++) {
            ddb_opnd_eval(n->args[i], item, &b);
            if (ev_equal(&a, &b))
                return true;
        }
        return false;
    case CN_EXISTS:
        return ddb_path_get(item, &n->args[0]->path) != NULL;
    case CN_NOT_EXISTS:
        return ddb_path_get(item, &n->args[0]->path) == NULL;
    case CN_TYPE:
        ddb_opnd_eval(n->args[0], item, &a);
        return a.type != DDB_T_NONE && a.type == n->want_type;
    case CN_BEGINS_WITH:
        ddb_opnd_eval(n->args[0], item, &a);
        ddb_opnd_eval(n->args[1], item, &b);
        if (a.type != b.type || !json_is_string(a.payload) || !json_is_string(b.payload))
            return false;
        if (a.type == DDB_T_S)
            return json_string_length(a.payload) >= json_string_length(b.payload) &&
                   memcmp(json_string_value(a.payload), json_string_value(b.payload),
                          json_string_length(b.payload)) == 0;
        if (a.type == DDB_T_B)
            return ddb_bytes_prefix(json_string_value(a.payload), json_string_length(a.payload),
                                    json_string_value(b.payload), json_string_length(b.payload));
        return false;
    case CN_CONTAINS:
        ddb_opnd_eval(n->args[0], item, &a);
        ddb_opnd_eval(n->args[1], item, &b);
        return eval_contains(&a, &b);
    }
    return false;
}

bool ddb_cond_eval(const ddb_cond_t *cond, const json_t *item)
{
    return cond && cond->root ? ddb_cnode_eval(cond->root, item) : true;
}

static bool opnd_uses(const ddb_opnd_t *o, const char *name, size_t len)
{
    if (!o)
        return false;
    if ((o->kind == OPND_PATH || o->kind == OPND_IF_NOT_EXISTS) && o->path.n && o->path.e[0].len == len &&
        memcmp(o->path.e[0].name, name, len) == 0)
        return true;
    for (uint16_t i = 0; i < o->nargs; i++)
        if (opnd_uses(o->args[i], name, len))
            return true;
    return opnd_uses(o->a, name, len) || opnd_uses(o->b, name, len);
}

static bool cnode_uses(const ddb_cnode_t *n, const char *name, size_t len)
{
    if (!n)
        return false;
    for (uint16_t i = 0; i < n->nargs; i++)
        if (opnd_uses(n->args[i], name, len))
            return true;
    return cnode_uses(n->l, name, len) || cnode_uses(n->r, name, len);
}

bool ddb_cond_uses_attr(const ddb_cond_t *cond, const char *name)
{
    return cond && cnode_uses(cond->root, name, strlen(name));
}
