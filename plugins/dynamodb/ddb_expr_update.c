/* UpdateExpression: SET (with +, -, if_not_exists, list_append), REMOVE, ADD and DELETE on nested
 * paths; AWS's parse-time checks (sections once, overlapping paths, operand types) and the update
 * applied to an item, reading every operand from the item as it was before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_int.h"

static const ddb_errcat_t update_error_order[] = {
    DDB_E_PARENS, DDB_E_RESERVED, DDB_E_UNKNOWN_FUNCTION, DDB_E_SECTION, DDB_E_ATTR_NAME, DDB_E_ATTR_VALUE,
    DDB_E_OVERLAP, DDB_E_CONFLICT, DDB_E_OPERAND_TYPE, DDB_E_OPERAND_COUNT, DDB_E_FUNCTION,
};

static const char *const err_missing = "The provided expression refers to an attribute that does not exist in the item";
static const char *const err_bad_path = "The document path provided in the update expression is invalid for update";
static const char *const err_bad_type = "An operand in the update expression has an incorrect data type";

/* ---- parse ---- */

typedef struct acts_buf {
    ddb_uact_t *v;
    size_t n, cap;
} acts_buf_t;

static int acts_push(acts_buf_t *b, ddb_uact_t a)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        ddb_uact_t *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = a;
    return 0;
}

static const char *long_type_name(ddb_type_t t)
{
    switch (t) {
    case DDB_T_S: return "STRING";
    case DDB_T_N: return "NUMBER";
    case DDB_T_B: return "BINARY";
    case DDB_T_NULL: return "NULL";
    case DDB_T_BOOL: return "BOOLEAN";
    case DDB_T_L: return "LIST";
    case DDB_T_M: return "MAP";
    default: return NULL;
    }
}

static void check_value_type(ddb_parser_t *p, const char *op, const ddb_opnd_t *o, ddb_type_t want)
{
    if (o->kind != OPND_VALUE || o->type == DDB_T_NONE || o->type == want)
        return;
    ddb_semantic(p, DDB_E_FUNCTION,
                 "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op,
                 ddb_type_name(o->type));
}

/* Turn calls into update operands and check them (recursively through arguments). */
static void resolve_operand(ddb_parser_t *p, ddb_opnd_t *o)
{
    if (o->kind != OPND_FUNCTION)
        return;
    for (uint16_t i = 0; i < o->nargs; i++)
        resolve_operand(p, o->args[i]);
    bool ine = strcmp(o->fname, "if_not_exists") == 0, app = strcmp(o->fname, "list_append") == 0;
    if (!ine && !app)
        return; /* unknown: reported when parsed */
    if (o->nargs != 2) {
        ddb_semantic(p, DDB_E_OPERAND_COUNT,
                     "Incorrect number of operands for operator or function; operator or function: %s, number of "
                     "operands: %u", o->fname, (unsigned)o->nargs);
        return;
    }
    if (ine) {
        if (o->args[0]->kind != OPND_PATH) {
            ddb_semantic(p, DDB_E_FUNCTION, "Operator or function requires a document path; operator or function: %s",
                         o->fname);
            return;
        }
        o->kind = OPND_IF_NOT_EXISTS;
        o->path = o->args[0]->path;
        o->b = o->args[1];
    } else {
        check_value_type(p, o->fname, o->args[0], DDB_T_L);
        check_value_type(p, o->fname, o->args[1], DDB_T_L);
        o->kind = OPND_LIST_APPEND;
        o->a = o->args[0];
        o->b = o->args[1];
    }
}

/* True when the '(' at the current token encloses a top-level + or - (SET a = (b + :c)). */
static bool parens_hold_arithmetic(const ddb_parser_t *p)
{
    int depth = 0;
    for (size_t i = p->pos; i < p->ntoks; i++) {
        ddb_tok_type_t t = p->toks[i].type;
        if (t == TK_LPAREN)
            depth++;
        else if (t == TK_RPAREN && --depth == 0)
            return false;
        else if (depth == 1 && (t == TK_PLUS || t == TK_MINUS))
            return true;
    }
    return false;
}

static ddb_opnd_t *parse_set_value(ddb_parser_t *p)
{
    if (ddb_peek(p, 0)->type == TK_LPAREN && parens_hold_arithmetic(p)) {
        ddb_next(p);
        ddb_opnd_t *v = parse_set_value(p);
        if (!v)
            return NULL;
        const ddb_tok_t *t = ddb_next(p);
        if (t->type != TK_RPAREN)
            return ddb_syntax_error(p, (size_t)(t - p->toks));
        return v;
    }
    ddb_opnd_t *a = ddb_parse_operand(p);
    if (!a)
        return NULL;
    resolve_operand(p, a);
    const ddb_tok_t *t = ddb_peek(p, 0);
    if (t->type != TK_PLUS && t->type != TK_MINUS)
        return a;
    ddb_next(p);
    ddb_opnd_t *b = ddb_parse_operand(p);
    if (!b)
        return NULL;
    resolve_operand(p, b);
    ddb_opnd_t *o = ddb_opnd_new(p, t->type == TK_PLUS ? OPND_PLUS : OPND_MINUS);
    if (!o)
        return NULL;
    o->a = a;
    o->b = b;
    const char *op = t->type == TK_PLUS ? "+" : "-";
    check_value_type(p, op, a, DDB_T_N);
    check_value_type(p, op, b, DDB_T_N);
    return o;
}

static void check_set_operand(ddb_parser_t *p, const char *op, const ddb_opnd_t *v)
{
    if (v->kind != OPND_VALUE || v->type == DDB_T_NONE)
        return;
    bool ok = v->type == DDB_T_SS || v->type == DDB_T_NS || v->type == DDB_T_BS ||
              (v->type == DDB_T_N && strcmp(op, "ADD") == 0);
    if (!ok)
        ddb_semantic(p, DDB_E_OPERAND_TYPE,
                     "Incorrect operand type for operator or function; operator: %s, operand type: %s", op,
                     long_type_name(v->type));
}

static void check_paths(ddb_parser_t *p, const acts_buf_t *b)
{
    const ddb_path_t *np = &b->v[b->n - 1].path;
    for (size_t i = 0; i + 1 < b->n; i++) {
        int rel = ddb_path_relation(&b->v[i].path, np);
        if (rel == 0)
            continue;
        char one[512], two[512];
        ddb_path_str(&b->v[i].path, one, sizeof one);
        ddb_path_str(np, two, sizeof two);
        if (rel == 1)
            ddb_semantic(p, DDB_E_OVERLAP,
                         "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                         "path one: %s, path two: %s", one, two);
        else
            ddb_semantic(p, DDB_E_CONFLICT,
                         "Two document paths conflict with each other; must remove or rewrite one of these paths; "
                         "path one: %s, path two: %s", one, two);
        return;
    }
}

static bool parse_section(ddb_parser_t *p, ddb_uact_kind_t kind, acts_buf_t *b)
{
    static const char *const names[] = {"SET", "REMOVE", "ADD", "DELETE"};
    do {
        ddb_uact_t a = {.kind = kind};
        if (!ddb_parse_path(p, &a.path))
            return false;
        if (kind == UA_SET) {
            const ddb_tok_t *eq = ddb_next(p);
            if (eq->type != TK_EQ)
                return ddb_syntax_error(p, (size_t)(eq - p->toks)), false;
            if (!(a.val = parse_set_value(p)))
                return false;
        } else if (kind == UA_ADD || kind == UA_DELETE) {
            if (!(a.val = ddb_parse_value(p)))
                return false;
            check_set_operand(p, names[kind], a.val);
        }
        if (acts_push(b, a) != 0) {
            p->failed = true;
            ddb_err_oom(p->err);
            return false;
        }
        check_paths(p, b);
    } while (ddb_peek(p, 0)->type == TK_COMMA && ddb_next(p));
    return true;
}

/* Writing order: SET, REMOVE, ADD, DELETE, and within REMOVE the highest list index first, so list indexes
 * always name the elements of the list as it was (REMOVE l[0], l[2]; SET l[1] = :x REMOVE l[0]). */
static bool writes_before(const ddb_uact_t *a, const ddb_uact_t *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind;
    if (a->kind != UA_REMOVE)
        return false;
    const ddb_pelem_t *la = &a->path.e[a->path.n - 1], *lb = &b->path.e[b->path.n - 1];
    return !la->name && !lb->name && la->index > lb->index;
}

static void order_writes(ddb_uact_t *acts, size_t n)
{
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable, and updates are short */
        ddb_uact_t cur = acts[i];
        size_t j = i;
        while (j > 0 && writes_before(&cur, &acts[j - 1])) {
            acts[j] = acts[j - 1];
            j--;
        }
        acts[j] = cur;
    }
}

ddb_update_t *ddb_update_parse(const char *text, ddb_ctx_t *ctx, ddb_err_t *err)
{
    ddb_update_t *u = calloc(1, sizeof *u);
    if (!u) {
        ddb_err_oom(err);
        return NULL;
    }
    ddb_parser_t p;
    acts_buf_t b = {0};
    if (ddb_parser_init(&p, DDB_EXPR_UPDATE, text, ctx, &u->arena, err) != 0)
        goto fail;
    bool seen[4] = {false, false, false, false};
    static const char *const names[] = {"SET", "REMOVE", "ADD", "DELETE"};
    while (ddb_peek(&p, 0)->type != TK_EOF) {
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (ddb_tok_is_word(&p, ddb_peek(&p, 0), names[i]))
                k = i;
        if (k < 0) {
            ddb_syntax_error(&p, p.pos);
            goto fail;
        }
        ddb_next(&p);
        if (seen[k])
            ddb_semantic(&p, DDB_E_SECTION, "The \"%s\" section can only be used once in an update expression;",
                         names[k]);
        seen[k] = true;
        if (!parse_section(&p, (ddb_uact_kind_t)k, &b))
            goto fail;
    }
    if (ddb_parser_finish(&p, update_error_order, sizeof update_error_order / sizeof update_error_order[0]) != 0)
        goto fail;
    u->acts = ddb_arena_alloc(&u->arena, (b.n ? b.n : 1) * sizeof *u->acts);
    if (!u->acts) {
        ddb_err_oom(err);
        goto fail;
    }
    memcpy(u->acts, b.v, b.n * sizeof *u->acts);
    u->nacts = b.n;
    order_writes(u->acts, u->nacts);
    free(b.v);
    ddb_parser_done(&p);
    return u;
fail:
    free(b.v);
    ddb_parser_done(&p);
    ddb_update_free(u);
    return NULL;
}

void ddb_update_free(ddb_update_t *u)
{
    if (!u)
        return;
    ddb_arena_free(&u->arena);
    free(u);
}

bool ddb_update_touches(const ddb_update_t *u, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; u && i < u->nacts; i++) {
        const ddb_pelem_t *e = &u->acts[i].path.e[0];
        if (e->len == len && memcmp(e->name, name, len) == 0)
            return true;
    }
    return false;
}

/* ---- apply ---- */

static json_t *typed(const char *type, json_t *payload)
{
    json_t *v = json_object();
    if (v)
        json_object_set_new(v, type, payload);
    return v;
}

/* The value of a SET operand for `item`, as a new reference. `copy`: the value is written into the item, so it
 * must share nothing with the item or the tree (the item may be changed in place later); operands of +, - and
 * list_append are only read. */
static json_t *eval_value(const ddb_opnd_t *o, const json_t *item, bool copy, ddb_err_t *err)
{
    json_t *v, *a, *b;
    switch (o->kind) {
    case OPND_VALUE:
        return copy ? json_deep_copy(o->av) : json_incref(o->av);
    case OPND_PATH:
        v = ddb_path_get(item, &o->path);
        if (!v)
            ddb_err_set(err, "%s", err_missing);
        return !v ? NULL : copy ? json_deep_copy(v) : json_incref(v);
    case OPND_IF_NOT_EXISTS:
        v = ddb_path_get(item, &o->path);
        if (!v)
            return eval_value(o->b, item, copy, err);
        return copy ? json_deep_copy(v) : json_incref(v);
    case OPND_LIST_APPEND:
    case OPND_PLUS:
    case OPND_MINUS:
        break;
    default:
        ddb_err_set(err, "%s", err_bad_type);
        return NULL;
    }
    if (!(a = eval_value(o->a, item, false, err)))
        return NULL;
    if (!(b = eval_value(o->b, item, false, err))) {
        json_decref(a);
        return NULL;
    }
    json_t *pa, *pb, *out = NULL;
    ddb_type_t ta = ddb_value_type(a, &pa), tb = ddb_value_type(b, &pb);
    if (o->kind == OPND_LIST_APPEND) {
        if (ta != DDB_T_L || tb != DDB_T_L || !json_is_array(pa) || !json_is_array(pb)) {
            ddb_err_set(err, "%s", err_bad_type);
        } else {
            json_t *l = json_deep_copy(pa), *more = json_deep_copy(pb);
            json_array_extend(l, more);
            json_decref(more);
            out = typed("L", l);
        }
    } else {
        ddb_num_t x, y, r;
        if (ta != DDB_T_N || tb != DDB_T_N || !json_is_string(pa) || !json_is_string(pb) ||
            ddb_num_parse(json_string_value(pa), json_string_length(pa), &x) != DDB_NUM_OK ||
            ddb_num_parse(json_string_value(pb), json_string_length(pb), &y) != DDB_NUM_OK) {
            ddb_err_set(err, "%s", err_bad_type);
        } else {
            ddb_num_status_t st = o->kind == OPND_PLUS ? ddb_num_add(&x, &y, &r) : ddb_num_sub(&x, &y, &r);
            if (st != DDB_NUM_OK) {
                ddb_err_set(err, "%s", ddb_num_message(st));
            } else {
                char text[DDB_NUM_TEXT_MAX];
                ddb_num_format(&r, text);
                out = typed("N", json_string(text));
            }
        }
    }
    json_decref(a);
    json_decref(b);
    return out;
}

/* The container the last element of `path` lives in (an M's object or an L's array), or NULL when the
 * path cannot be written. */
static json_t *parent_of(json_t *item, const ddb_path_t *path)
{
    if (path->n == 1)
        return item;
    ddb_path_t up = {path->e, (uint16_t)(path->n - 1)};
    json_t *pv = ddb_path_get(item, &up), *payload;
    ddb_type_t t = ddb_value_type(pv, &payload);
    const ddb_pelem_t *last = &path->e[path->n - 1];
    if (last->name)
        return t == DDB_T_M && json_is_object(payload) ? payload : NULL;
    return t == DDB_T_L && json_is_array(payload) ? payload : NULL;
}

static void put(json_t *parent, const ddb_pelem_t *e, json_t *v)
{
    if (e->name) {
        json_object_setn_new(parent, e->name, e->len, v);
    } else if (e->index < json_array_size(parent)) {
        json_array_set_new(parent, e->index, v);
    } else {
        json_array_append_new(parent, v);
    }
}

static void drop(json_t *parent, const ddb_pelem_t *e)
{
    if (e->name)
        json_object_deln(parent, e->name, e->len);
    else if (e->index < json_array_size(parent)) {
        json_array_remove(parent, e->index);
    }
}

/* A set of the same kind: element equality by the set's type. */
static bool set_has(ddb_type_t t, const json_t *arr, const json_t *x)
{
    size_t i;
    json_t *y;
    json_array_foreach(arr, i, y) {
        if (t == DDB_T_NS) {
            ddb_num_t a, b;
            if (json_is_string(x) && json_is_string(y) &&
                ddb_num_parse(json_string_value(x), json_string_length(x), &a) == DDB_NUM_OK &&
                ddb_num_parse(json_string_value(y), json_string_length(y), &b) == DDB_NUM_OK &&
                ddb_num_cmp(&a, &b) == 0)
                return true;
        } else if (t == DDB_T_BS) {
            if (json_is_string(x) && json_is_string(y) &&
                ddb_bytes_compare(json_string_value(x), json_string_length(x), json_string_value(y),
                                  json_string_length(y)) == 0)
                return true;
        } else if (json_equal(x, y)) {
            return true;
        }
    }
    return false;
}

/* New value for ADD/DELETE/APPEND at a path currently holding `cur` (may be NULL); *out NULL: remove. */
static int combine(ddb_uact_kind_t kind, const json_t *cur, const json_t *operand, json_t **out, ddb_err_t *err)
{
    json_t *pc, *po;
    ddb_type_t to = ddb_value_type(operand, &po);
    *out = NULL;
    if (!cur) {
        if (kind != UA_DELETE)
            *out = json_deep_copy(operand);
        return 0;
    }
    ddb_type_t tc = ddb_value_type(cur, &pc);
    if (tc != to) {
        ddb_err_set(err, "%s", err_bad_type);
        return -1;
    }
    if (kind == UA_APPEND) {
        if (tc != DDB_T_L) {
            ddb_err_set(err, "%s", err_bad_type);
            return -1;
        }
        json_t *l = json_deep_copy(pc), *more = json_deep_copy(po);
        json_array_extend(l, more);
        json_decref(more);
        *out = typed("L", l);
        return 0;
    }
    if (tc == DDB_T_N && kind == UA_ADD) {
        ddb_num_t x, y, r;
        if (ddb_num_parse(json_string_value(pc), json_string_length(pc), &x) != DDB_NUM_OK ||
            ddb_num_parse(json_string_value(po), json_string_length(po), &y) != DDB_NUM_OK) {
            ddb_err_set(err, "%s", err_bad_type);
            return -1;
        }
        ddb_num_status_t st = ddb_num_add(&x, &y, &r);
        if (st != DDB_NUM_OK) {
            ddb_err_set(err, "%s", ddb_num_message(st));
            return -1;
        }
        char text[DDB_NUM_TEXT_MAX];
        ddb_num_format(&r, text);
        *out = typed("N", json_string(text));
        return 0;
    }
    if (tc != DDB_T_SS && tc != DDB_T_NS && tc != DDB_T_BS) {
        ddb_err_set(err, "%s", err_bad_type);
        return -1;
    }
    json_t *res = json_array();
    size_t i;
    json_t *x;
    if (kind == UA_ADD) {
        json_array_extend(res, pc);
        json_array_foreach(po, i, x) {
            if (!set_has(tc, res, x))
                json_array_append(res, x);
        }
    } else {
        json_array_foreach(pc, i, x) {
            if (!set_has(tc, po, x))
                json_array_append(res, x);
        }
    }
    if (json_array_size(res) == 0) {
        json_decref(res);
        return 0; /* an emptied set removes the attribute */
    }
    *out = typed(ddb_type_name(tc), res);
    return 0;
}

int ddb_update_apply(const ddb_update_t *u, json_t *item, ddb_err_t *err)
{
    if (!u || u->nacts == 0)
        return 0;
    json_t *stack[16];
    json_t **vals = u->nacts <= 16 ? stack : calloc(u->nacts, sizeof *vals);
    if (!vals) {
        ddb_err_oom(err);
        return -1;
    }
    size_t done = 0;
    int rc = 0;
    /* phase 1: every new value from the item as it was, and every target checked */
    for (; done < u->nacts; done++) {
        const ddb_uact_t *a = &u->acts[done];
        vals[done] = NULL;
        json_t *parent = parent_of(item, &a->path);
        if (!parent && (a->kind != UA_REMOVE)) {
            ddb_err_set(err, "%s", err_bad_path);
            rc = -1;
            break;
        }
        if (a->kind == UA_SET) {
            if (!(vals[done] = eval_value(a->val, item, true, err))) {
                rc = -1;
                break;
            }
        } else if (a->kind != UA_REMOVE) {
            if (combine(a->kind, ddb_path_get(item, &a->path), a->val->av, &vals[done], err) != 0) {
                rc = -1;
                break;
            }
        }
    }
    /* phase 2: write (cannot fail: paths do not overlap, so no write moves another's target) */
    if (rc == 0) {
        for (size_t i = 0; i < u->nacts; i++) {
            const ddb_uact_t *a = &u->acts[i];
            json_t *parent = parent_of(item, &a->path);
            const ddb_pelem_t *last = &a->path.e[a->path.n - 1];
            if (!parent)
                continue;
            if (vals[i]) {
                put(parent, last, vals[i]);
                vals[i] = NULL;
            } else if (a->kind != UA_SET) {
                drop(parent, last);
            }
        }
    }
    for (size_t i = 0; i < done && i < u->nacts; i++)
        json_decref(vals[i]);
    if (vals != stack)
        free(vals);
    return rc;
}
