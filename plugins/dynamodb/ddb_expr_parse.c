/* Shared parsing for the expression grammars: tokens, AWS's syntax error form, document paths and
 * :values resolved through the request's context, and the semantic errors kept by category. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_int.h"

/* AWS's limits: expression text in bytes, document path depth. */
#define EXPR_MAX_BYTES 4096
#define PATH_MAX_ELEMS 32

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_part(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int push_tok(ddb_parser_t *p, size_t *cap, ddb_tok_type_t type, size_t start, size_t len)
{
    if (p->ntoks == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        ddb_tok_t *t = realloc(p->toks, ncap * sizeof *t);
        if (!t)
            return -1;
        p->toks = t;
        *cap = ncap;
    }
    p->toks[p->ntoks++] = (ddb_tok_t){type, (uint32_t)start, (uint32_t)len};
    return 0;
}

static int tokenize(ddb_parser_t *p)
{
    const char *s = p->text;
    size_t n = strlen(s), i = 0, cap = 0;
    while (i < n) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
            continue;
        }
        size_t start = i;
        ddb_tok_type_t type;
        if (is_ident_start(c)) {
            while (i < n && is_ident_part(s[i]))
                i++;
            type = TK_IDENT;
        } else if (c == '#' || c == ':') {
            i++;
            while (i < n && is_ident_part(s[i]))
                i++;
            type = c == '#' ? TK_NAME : TK_VALUE;
        } else if (c >= '0' && c <= '9') {
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
            type = TK_NUMBER;
        } else {
            i++;
            switch (c) {
            case '(': type = TK_LPAREN; break;
            case ')': type = TK_RPAREN; break;
            case '[': type = TK_LBRACK; break;
            case ']': type = TK_RBRACK; break;
            case ',': type = TK_COMMA; break;
            case '.': type = TK_DOT; break;
            case '+': type = TK_PLUS; break;
            case '-': type = TK_MINUS; break;
            case '=': type = TK_EQ; break;
            case '<':
                type = TK_LT;
                if (i < n && s[i] == '=') {
                    type = TK_LE;
                    i++;
                } else if (i < n && s[i] == '>') {
                    type = TK_NE;
                    i++;
                }
                break;
            case '>':
                type = TK_GT;
                if (i < n && s[i] == '=') {
                    type = TK_GE;
                    i++;
                }
                break;
            default:
                type = TK_OTHER;
                /* one token per UTF-8 character */
                while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
                    i++;
                break;
            }
        }
        if (push_tok(p, &cap, type, start, i - start) != 0)
            return -1;
    }
    return push_tok(p, &cap, TK_EOF, n, 0);
}

int ddb_parser_init(ddb_parser_t *p, ddb_expr_kind_t kind, const char *text, ddb_ctx_t *ctx,
                    ddb_arena_t *arena, ddb_err_t *err)
{
    memset(p, 0, sizeof *p);
    p->text = text ? text : "";
    p->kind = kind;
    p->ctx = ctx;
    p->arena = arena;
    p->err = err;
    size_t bytes = strlen(p->text);
    if (bytes > EXPR_MAX_BYTES) {
        ddb_err_set(err, "Invalid %s: Expression size has exceeded the maximum allowed size; expression size: %zu",
                    ddb_kind_param(kind), bytes);
        return -1;
    }
    if (tokenize(p) != 0) {
        ddb_err_oom(err);
        return -1;
    }
    if (p->ntoks == 1) {
        ddb_err_set(err, "Invalid %s: The expression can not be empty;", ddb_kind_param(kind));
        return -1;
    }
    return 0;
}

int ddb_parser_finish(ddb_parser_t *p, const ddb_errcat_t *order, size_t norder)
{
    if (p->failed)
        return -1;
    for (size_t i = 0; i < norder; i++) {
        if (p->cat_msg[order[i]]) {
            ddb_err_set(p->err, "Invalid %s: %s", ddb_kind_param(p->kind), p->cat_msg[order[i]]);
            return -1;
        }
    }
    return 0;
}

void ddb_parser_done(ddb_parser_t *p)
{
    free(p->toks);
    for (int i = 0; i < DDB_E_COUNT; i++)
        free(p->cat_msg[i]);
    p->toks = NULL;
}

const ddb_tok_t *ddb_peek(const ddb_parser_t *p, size_t ahead)
{
    size_t i = p->pos + ahead;
    return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

const ddb_tok_t *ddb_next(ddb_parser_t *p)
{
    const ddb_tok_t *t = ddb_peek(p, 0);
    if (p->pos < p->ntoks - 1)
        p->pos++;
    return t;
}

bool ddb_tok_is_word(const ddb_parser_t *p, const ddb_tok_t *t, const char *word)
{
    size_t n = strlen(word);
    if (t->type != TK_IDENT || t->len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p->text[t->start + i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (c != word[i])
            return false;
    }
    return true;
}

bool ddb_tok_is_keyword(const ddb_parser_t *p, const ddb_tok_t *t)
{
    static const char *const cond_words[] = {"AND", "OR", "NOT", "BETWEEN", "IN"};
    static const char *const update_words[] = {"SET", "REMOVE", "ADD", "DELETE"};
    if (t->type != TK_IDENT)
        return false;
    if (p->kind == DDB_EXPR_UPDATE) {
        for (size_t i = 0; i < 4; i++)
            if (ddb_tok_is_word(p, t, update_words[i]))
                return true;
        return false;
    }
    if (p->kind == DDB_EXPR_PROJECTION)
        return false;
    for (size_t i = 0; i < 5; i++)
        if (ddb_tok_is_word(p, t, cond_words[i]))
            return true;
    return false;
}

void *ddb_syntax_error(ddb_parser_t *p, size_t at)
{
    if (p->failed)
        return NULL;
    p->failed = true;
    const ddb_tok_t *t = &p->toks[at];
    const ddb_tok_t *first = at > 0 ? &p->toks[at - 1] : t;
    const ddb_tok_t *last = (t->type != TK_EOF && p->toks[at + 1].type != TK_EOF) ? &p->toks[at + 1] : t;
    if (t->type == TK_EOF)
        last = first;
    size_t near_start = first->start, near_end = last->start + last->len;
    if (t->type == TK_EOF) {
        ddb_err_set(p->err, "Invalid %s: Syntax error; token: \"<EOF>\", near: \"%.*s\"", ddb_kind_param(p->kind),
                    (int)(near_end - near_start), p->text + near_start);
    } else {
        ddb_err_set(p->err, "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.*s\"", ddb_kind_param(p->kind),
                    (int)t->len, p->text + t->start, (int)(near_end - near_start), p->text + near_start);
    }
    return NULL;
}

void ddb_semantic(ddb_parser_t *p, ddb_errcat_t cat, const char *fmt, ...)
{
    if (p->cat_msg[cat])
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t n = strlen(buf) + 1;
    p->cat_msg[cat] = malloc(n);
    if (p->cat_msg[cat])
        memcpy(p->cat_msg[cat], buf, n);
}

bool ddb_has_semantic(const ddb_parser_t *p, ddb_errcat_t cat)
{
    return p->cat_msg[cat] != NULL;
}

static bool oom(ddb_parser_t *p)
{
    if (!p->failed) {
        p->failed = true;
        ddb_err_oom(p->err);
    }
    return false;
}

/* One path element from an IDENT or #name token. */
static bool path_name(ddb_parser_t *p, const ddb_tok_t *t, ddb_pelem_t *e)
{
    const char *s = p->text + t->start;
    if (t->type == TK_IDENT) {
        if (ddb_tok_is_keyword(p, t))
            return ddb_syntax_error(p, (size_t)(t - p->toks)), false;
        if (ddb_is_reserved_word(s, t->len))
            ddb_semantic(p, DDB_E_RESERVED, "Attribute name is a reserved keyword; reserved keyword: %.*s",
                         (int)t->len, s);
        e->name = ddb_arena_strndup(p->arena, s, t->len);
        e->len = t->len;
        return e->name ? true : oom(p);
    }
    if (t->type != TK_NAME)
        return ddb_syntax_error(p, (size_t)(t - p->toks)), false;
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)t->len, s);
    json_t *name = p->ctx && p->ctx->names ? json_object_get(p->ctx->names, key) : NULL;
    if (!json_is_string(name)) {
        ddb_semantic(p, DDB_E_ATTR_NAME,
                     "An expression attribute name used in the document path is not defined; attribute name: %s",
                     key);
        e->name = ddb_arena_strndup(p->arena, key, strlen(key)); /* keeps parsing; never evaluated */
        e->len = (uint32_t)strlen(key);
        return e->name ? true : oom(p);
    }
    if (p->ctx)
        json_object_set_new(p->ctx->used_names, key, json_true());
    e->name = ddb_arena_strndup(p->arena, json_string_value(name), json_string_length(name));
    e->len = (uint32_t)json_string_length(name);
    return e->name ? true : oom(p);
}

bool ddb_parse_path(ddb_parser_t *p, ddb_path_t *out)
{
    ddb_pelem_t elems[PATH_MAX_ELEMS];
    uint16_t n = 0;
    memset(elems, 0, sizeof elems[0]);
    if (!path_name(p, ddb_next(p), &elems[n++]))
        return false;
    for (;;) {
        const ddb_tok_t *t = ddb_peek(p, 0);
        if (t->type != TK_LBRACK && t->type != TK_DOT)
            break;
        if (n == PATH_MAX_ELEMS) {
            /* count the whole path for the message, as AWS does */
            uint32_t depth = n;
            size_t i = p->pos;
            while (i < p->ntoks && (p->toks[i].type == TK_LBRACK || p->toks[i].type == TK_DOT)) {
                depth++;
                i += p->toks[i].type == TK_LBRACK ? 3 : 2; /* [ n ]  or  . name */
            }
            if (!p->failed) {
                p->failed = true;
                ddb_err_set(p->err, "Invalid %s: The document path has too many nesting levels; nesting levels: %u",
                            ddb_kind_param(p->kind), depth);
            }
            return false;
        }
        ddb_next(p);
        memset(&elems[n], 0, sizeof elems[n]);
        if (t->type == TK_DOT) {
            if (!path_name(p, ddb_next(p), &elems[n++]))
                return false;
            continue;
        }
        const ddb_tok_t *num = ddb_next(p);
        if (num->type != TK_NUMBER)
            return ddb_syntax_error(p, (size_t)(num - p->toks)), false;
        uint64_t v = 0;
        for (uint32_t i = 0; i < num->len && v <= UINT32_MAX; i++)
            v = v * 10 + (uint64_t)(p->text[num->start + i] - '0');
        if (v > INT32_MAX)
            return ddb_syntax_error(p, (size_t)(num - p->toks)), false;
        elems[n].index = (uint32_t)v;
        n++;
        const ddb_tok_t *close = ddb_next(p);
        if (close->type != TK_RBRACK)
            return ddb_syntax_error(p, (size_t)(close - p->toks)), false;
    }
    out->e = ddb_arena_alloc(p->arena, n * sizeof *out->e);
    if (!out->e)
        return oom(p);
    memcpy(out->e, elems, n * sizeof *out->e);
    out->n = n;
    return true;
}

ddb_opnd_t *ddb_opnd_new(ddb_parser_t *p, ddb_opnd_kind_t kind)
{
    ddb_opnd_t *o = ddb_arena_alloc(p->arena, sizeof *o);
    if (!o)
        return oom(p), NULL;
    o->kind = kind;
    return o;
}

ddb_opnd_t *ddb_parse_value(ddb_parser_t *p)
{
    const ddb_tok_t *t = ddb_next(p);
    if (t->type != TK_VALUE)
        return ddb_syntax_error(p, (size_t)(t - p->toks));
    ddb_opnd_t *o = ddb_opnd_new(p, OPND_VALUE);
    if (!o)
        return NULL;
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)t->len, p->text + t->start);
    json_t *v = p->ctx && p->ctx->values ? json_object_get(p->ctx->values, key) : NULL;
    if (!v) {
        ddb_semantic(p, DDB_E_ATTR_VALUE,
                     "An expression attribute value used in expression is not defined; attribute value: %s", key);
        return o; /* type NONE; never evaluated */
    }
    json_object_set_new(p->ctx->used_values, key, json_true());
    if (!ddb_arena_keep(p->arena, v))
        return oom(p), NULL;
    o->av = v;
    json_t *payload;
    o->type = ddb_value_type(v, &payload);
    if (o->type == DDB_T_N && json_is_string(payload)) {
        ddb_num_t n;
        if (ddb_num_parse(json_string_value(payload), json_string_length(payload), &n) == DDB_NUM_OK) {
            o->num = ddb_arena_alloc(p->arena, sizeof *o->num);
            if (!o->num)
                return oom(p), NULL;
            *o->num = n;
        }
    }
    return o;
}
