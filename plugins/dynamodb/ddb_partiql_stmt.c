/* PartiQL statements: SELECT, INSERT, UPDATE and DELETE parsed into a ddb_pq_stmt_t, with ? bound. */
#include <stdlib.h>
#include <string.h>

#include "ddb_partiql_int.h"

#define MAX_ACTIONS 256

/* Table or index name: an identifier or a "quoted identifier". SELECT's FROM takes any expression there
 * (errors of a term); the other statements a simple path. */
static char *target_name(pq_parser_t *p, bool select)
{
    const pq_tok_t *t = pq_peek(p, 0);
    if (t->type != PQ_IDENT && t->type != PQ_QIDENT) {
        if (!select)
            ddb_err_set(p->err, PQ_MALFORMED "Expected identifier for simple path");
        else if (t->type == PQ_STRING || t->type == PQ_NUMBER)
            ddb_err_set(p->err, "Unexpected from source");
        else
            pq_term_error(p);
        return NULL;
    }
    if (t->len == 0) {
        ddb_err_set(p->err, "Path component cannot be an empty string");
        return NULL;
    }
    pq_next(p);
    char *s = strndup(t->text, t->len);
    if (!s)
        ddb_err_oom(p->err);
    return s;
}

/* "Table" or "Table"."Index" (an index is refused by ddb_pq_plan where the statement cannot use one); an
 * alias after it is refused as DynamoDB refuses it. */
static int target(pq_parser_t *p, ddb_pq_stmt_t *st, bool select)
{
    if (!(st->table = target_name(p, select)))
        return -1;
    if (pq_accept(p, PQ_DOT) && !(st->index = target_name(p, select)))
        return -1;
    const pq_tok_t *t = pq_peek(p, 0);
    if (t->type == PQ_DOT) {
        ddb_err_set(p->err, "A path may contain at most 2 components in the FROM clause");
        return -1;
    }
    if (t->type == PQ_LBRACK) {
        char at[64];
        pq_pos(t, at, sizeof at);
        ddb_err_set(p->err, "Unexpected path component at %s", at);
        return -1;
    }
    if (st->kind != DDB_PQ_INSERT && (t->type == PQ_IDENT || t->type == PQ_QIDENT || pq_tok_is(t, "as"))) {
        ddb_err_set(p->err, "Aliasing is not supported");
        return -1;
    }
    return 0;
}

/* [WHERE condition]: UPDATE and DELETE without one are refused by ddb_pq_plan (no key equalities). */
static int where(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    if (!pq_accept_word(p, "where"))
        return 0;
    pq_node_t *root = pq_parse_condition(p);
    if (!root)
        return -1;
    st->where_ast->root = root;
    pq_gen_t g;
    pq_gen_init(&g);
    pq_gen_cond(&g, root);
    st->where = pq_gen_to_cond(&g, p->err);
    pq_gen_done(&g);
    return st->where ? 0 : -1;
}

/* SELECT's list: * alone, or paths (a function there is not a path). */
static int projection(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    bool star = false;
    pq_gen_t g;
    pq_gen_init(&g);
    do {
        const pq_tok_t *t = pq_peek(p, 0);
        if (t->type == PQ_STAR) {
            pq_next(p);
            star = true;
            continue;
        }
        if ((t->type == PQ_IDENT || t->type == PQ_KEYWORD) && pq_peek(p, 1)->type == PQ_LPAREN) {
            char at[64];
            pq_pos(t, at, sizeof at);
            ddb_err_set(p->err, "Unexpected path component at %s", at);
            pq_gen_done(&g);
            return -1;
        }
        pq_path_t path;
        if (pq_parse_path(p, &path, false) != 0) {
            pq_gen_done(&g);
            return -1;
        }
        pq_gen_str(&g, g.len ? ", " : "");
        pq_gen_path(&g, &path);
    } while (pq_accept(p, PQ_COMMA));
    if (star && g.len) {
        ddb_err_set(p->err, "Other attributes should not be present in the projection when '*' is used.");
        pq_gen_done(&g);
        return -1;
    }
    if (g.len)
        st->proj = pq_gen_to_proj(&g, p->err);
    pq_gen_done(&g);
    return star || st->proj ? 0 : -1;
}

static int select_stmt(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    st->kind = DDB_PQ_SELECT;
    if (projection(p, st) != 0 || pq_expect_word(p, "from") != 0 || target(p, st, true) != 0 ||
        where(p, st) != 0)
        return -1;
    if (pq_accept_word(p, "order")) {
        pq_path_t path;
        if (pq_expect_word(p, "by") != 0 || pq_parse_path(p, &path, false) != 0)
            return -1;
        if (path.n != 1 || !path.e[0].name) {
            ddb_err_set(p->err, "Argument to ORDER BY must be of type VariableReference. Type: Path");
            return -1;
        }
        if (!(st->order_by = strndup(path.e[0].name, path.e[0].len))) {
            ddb_err_oom(p->err);
            return -1;
        }
        st->order_desc = pq_accept_word(p, "desc");
        if (!st->order_desc)
            pq_accept_word(p, "asc");
    }
    return 0;
}

/* EXISTS(SELECT ...): a transaction's condition check on one item. */
static int exists_stmt(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    if (pq_expect(p, PQ_LPAREN) != 0 || pq_expect_word(p, "select") != 0 || select_stmt(p, st) != 0 ||
        pq_expect(p, PQ_RPAREN) != 0)
        return -1;
    st->kind = DDB_PQ_EXISTS;
    return 0;
}

static int insert_stmt(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    st->kind = DDB_PQ_INSERT;
    if (pq_expect_word(p, "into") != 0 || target(p, st, false) != 0)
        return -1;
    if (pq_tok_is(pq_peek(p, 0), "values")) {
        ddb_err_set(p->err, "Unsupported operation: Inserting multiple items in a single statement is not "
                            "supported, use \"INSERT INTO tableName VALUE item\" instead");
        return -1;
    }
    if (!pq_accept_word(p, "value")) {
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected token after expression");
        return -1;
    }
    pq_tok_type_t first = pq_peek(p, 0)->type;
    if (first != PQ_LBRACE && first != PQ_PARAM) {
        if (pq_at_literal(p)) {
            ddb_err_set(p->err, "Unsupported format in item expression. Please use struct format {...} to express "
                                "item values for insert statement.");
            return -1;
        }
        return pq_term_error(p);
    }
    p->lit_path[0] = '\0';
    json_t *payload, *v = pq_parse_literal(p);
    if (!v)
        return -1;
    if (ddb_value_type(v, &payload) != DDB_T_M) {
        ddb_err_set(p->err, "Unsupported format in item expression. Please use struct format {...} to express "
                            "item values for insert statement.");
        json_decref(v);
        return -1;
    }
    st->item = json_incref(payload);
    json_decref(v);
    if (pq_tok_is(pq_peek(p, 0), "returning")) {
        ddb_err_set(p->err, "RETURNING is not supported in INSERT");
        return -1;
    }
    return 0;
}

typedef struct update_action {
    const char *clause; /* "SET", "REMOVE", "ADD", "DELETE" */
    pq_path_t path;
    const pq_node_t *value; /* SET: the value; ADD / DELETE: the set operand */
} update_action_t;

/* SET path = value: set_add(path, <<..>>) and set_delete(path, <<..>>) are DynamoDB's ADD and DELETE. */
static int set_action(pq_parser_t *p, update_action_t *a)
{
    if (pq_parse_path(p, &a->path, true) != 0 || pq_expect(p, PQ_EQ) != 0)
        return -1;
    const pq_node_t *v = pq_parse_set_value(p, &a->path);
    if (!v)
        return -1;
    a->clause = "SET";
    a->value = v;
    if (v->kind == PN_CALL && (strcmp(v->fname, "set_add") == 0 || strcmp(v->fname, "set_delete") == 0)) {
        a->clause = v->fname[4] == 'a' ? "ADD" : "DELETE";
        a->value = v->args[1];
    }
    return 0;
}

/* The update's actions grouped by clause as an UpdateExpression. */
static ddb_update_t *update_tree(const update_action_t *acts, size_t n, ddb_err_t *err)
{
    static const char *const CLAUSES[] = {"SET", "REMOVE", "ADD", "DELETE"};
    pq_gen_t g;
    pq_gen_init(&g);
    for (size_t c = 0; c < 4; c++) {
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(acts[i].clause, CLAUSES[c]) != 0)
                continue;
            pq_gen_str(&g, first ? (g.len ? " " : "") : ", ");
            if (first) {
                pq_gen_str(&g, CLAUSES[c]);
                pq_gen_str(&g, " ");
            }
            first = false;
            pq_gen_path(&g, &acts[i].path);
            if (acts[i].value) {
                pq_gen_str(&g, c == 0 ? " = " : " ");
                pq_gen_cond(&g, acts[i].value);
            }
        }
    }
    ddb_update_t *u = pq_gen_to_update(&g, err);
    pq_gen_done(&g);
    return u;
}

static int returning(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    if (!pq_accept_word(p, "returning"))
        return 0;
    bool all = pq_accept_word(p, "all");
    if (!all && pq_expect_word(p, "modified") != 0)
        return -1;
    bool old = pq_accept_word(p, "old");
    if (!old && pq_expect_word(p, "new") != 0)
        return -1;
    if (!pq_accept(p, PQ_STAR)) {
        ddb_err_set(p->err, "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause");
        return -1;
    }
    st->returning = all ? (old ? DDB_PQ_RET_ALL_OLD : DDB_PQ_RET_ALL_NEW)
                        : (old ? DDB_PQ_RET_MODIFIED_OLD : DDB_PQ_RET_MODIFIED_NEW);
    if (st->kind == DDB_PQ_DELETE && st->returning != DDB_PQ_RET_ALL_OLD) {
        ddb_err_set(p->err, "Invalid returning clause: RETURNING %s %s *. Only RETURNING ALL OLD * is allowed "
                            "in DELETE statements.", all ? "ALL" : "MODIFIED", old ? "OLD" : "NEW");
        return -1;
    }
    return 0;
}

static int update_stmt(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    st->kind = DDB_PQ_UPDATE;
    if (target(p, st, false) != 0)
        return -1;
    update_action_t *acts = malloc(MAX_ACTIONS * sizeof *acts);
    if (!acts) {
        ddb_err_oom(p->err);
        return -1;
    }
    size_t n = 0;
    int rc = 0;
    while (rc == 0 && (pq_tok_is(pq_peek(p, 0), "set") || pq_tok_is(pq_peek(p, 0), "remove"))) {
        bool set = pq_tok_is(pq_next(p), "set");
        do {
            if (n == MAX_ACTIONS) {
                ddb_err_set(p->err, "An UPDATE statement may hold at most %d actions", MAX_ACTIONS);
                rc = -1;
                break;
            }
            update_action_t *a = &acts[n++];
            memset(a, 0, sizeof *a);
            a->clause = "REMOVE";
            rc = set ? set_action(p, a) : pq_parse_path(p, &a->path, true);
        } while (rc == 0 && pq_accept(p, PQ_COMMA));
    }
    if (rc == 0 && n == 0)
        rc = pq_unexpected(p);
    if (rc == 0)
        rc = (st->update = update_tree(acts, n, p->err)) ? 0 : -1;
    free(acts);
    if (rc != 0 || where(p, st) != 0)
        return -1;
    return returning(p, st);
}

static int delete_stmt(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    st->kind = DDB_PQ_DELETE;
    if (pq_expect_word(p, "from") != 0 || target(p, st, false) != 0 || where(p, st) != 0)
        return -1;
    return returning(p, st);
}

static int statement(pq_parser_t *p, ddb_pq_stmt_t *st)
{
    const pq_tok_t *t = pq_next(p);
    int rc;
    if (pq_tok_is(t, "select"))
        rc = select_stmt(p, st);
    else if (pq_tok_is(t, "insert"))
        rc = insert_stmt(p, st);
    else if (pq_tok_is(t, "update"))
        rc = update_stmt(p, st);
    else if (pq_tok_is(t, "delete"))
        rc = delete_stmt(p, st);
    else if (pq_tok_is(t, "exists") && t->type == PQ_KEYWORD)
        rc = exists_stmt(p, st);
    else {
        ddb_err_set(p->err, PQ_MALFORMED "Expected data manipulation");
        return -1;
    }
    pq_accept(p, PQ_SEMI);
    if (rc == 0 && pq_peek(p, 0)->type != PQ_EOF) {
        ddb_err_set(p->err, PQ_MALFORMED "Unexpected token after expression");
        rc = -1;
    }
    return rc;
}

int ddb_pq_parse(const char *text, const json_t *params, ddb_pq_stmt_t **out, ddb_err_t *err)
{
    *out = NULL;
    ddb_pq_stmt_t *st = calloc(1, sizeof *st);
    if (st)
        st->where_ast = calloc(1, sizeof *st->where_ast);
    if (!st || !st->where_ast) {
        ddb_pq_free(st);
        ddb_err_oom(err);
        return -1;
    }
    pq_lexer_t lx;
    if (pq_lex(text, &st->where_ast->arena, &lx, err) != 0) {
        ddb_pq_free(st);
        return -1;
    }
    int rc = -1;
    /* DynamoDB refuses too few values; values beyond the last ? are ignored */
    if (lx.nparams > (json_is_array(params) ? json_array_size(params) : 0)) {
        ddb_err_set(err, "Number of parameters in request and statement don't match.");
    } else {
        pq_parser_t p = {.toks = lx.toks, .ntoks = lx.ntoks, .params = params,
                         .arena = &st->where_ast->arena, .err = err};
        rc = statement(&p, st);
    }
    pq_lex_done(&lx);
    if (rc != 0) {
        ddb_pq_free(st);
        return -1;
    }
    *out = st;
    return 0;
}

void ddb_pq_free(ddb_pq_stmt_t *st)
{
    if (!st)
        return;
    free(st->table);
    free(st->index);
    free(st->order_by);
    ddb_proj_free(st->proj);
    ddb_cond_free(st->where);
    ddb_update_free(st->update);
    json_decref(st->item);
    if (st->where_ast) {
        ddb_arena_free(&st->where_ast->arena);
        free(st->where_ast);
    }
    free(st);
}
