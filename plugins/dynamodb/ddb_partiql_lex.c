/* PartiQL tokens: identifiers (keywords recognised case-insensitively), "quoted identifiers", 'strings'
 * (a doubled quote stands for itself), numbers, ? parameters and punctuation including << and >>;
 * line (--) and block comments are skipped. DynamoDB reports a statement it cannot even tokenize with nothing
 * after "can't be processed: ". */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddb_partiql_int.h"

bool pq_tok_is(const pq_tok_t *t, const char *word)
{
    return (t->type == PQ_KEYWORD || t->type == PQ_IDENT) && strlen(word) == t->len &&
           strncasecmp(word, t->text, t->len) == 0;
}

static int push(pq_lexer_t *lx, size_t *cap, const pq_tok_t *t)
{
    if (lx->ntoks == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        pq_tok_t *n = realloc(lx->toks, ncap * sizeof *n);
        if (!n)
            return -1;
        lx->toks = n;
        *cap = ncap;
    }
    lx->toks[lx->ntoks++] = *t;
    return 0;
}

/* A quoted string or identifier starting at text[i] (the quote); doubled quotes are one quote. */
static int quoted(const char *text, size_t *i, ddb_arena_t *arena, pq_tok_t *t)
{
    char q = text[*i];
    size_t j = *i + 1, n = 0;
    for (;; j++) {
        if (!text[j])
            return -1;
        if (text[j] == q) {
            if (text[j + 1] != q)
                break;
            j++;
        }
        n++;
    }
    char *s = ddb_arena_alloc(arena, n + 1);
    if (!s)
        return -2;
    n = 0;
    for (size_t k = *i + 1; k < j; k++) {
        s[n++] = text[k];
        if (text[k] == q)
            k++;
    }
    t->text = s;
    t->len = n;
    *i = j + 1;
    return 0;
}

int pq_lex(const char *text, ddb_arena_t *arena, pq_lexer_t *out, ddb_err_t *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0, i = 0;
    unsigned line = 1, col = 1;
    size_t line_start = 0;
    for (;;) {
        for (;;) {
            if (text[i] && isspace((unsigned char)text[i])) {
                if (text[i] == '\n') {
                    line++;
                    line_start = i + 1;
                }
                i++;
            } else if (text[i] == '-' && text[i + 1] == '-') {
                while (text[i] && text[i] != '\n')
                    i++;
            } else if (text[i] == '/' && text[i + 1] == '*') {
                const char *close = strstr(text + i + 2, "*/");
                if (!close)
                    goto malformed;
                for (; text + i < close + 2; i++) {
                    if (text[i] == '\n') {
                        line++;
                        line_start = i + 1;
                    }
                }
            } else {
                break;
            }
        }
        col = (unsigned)(i - line_start) + 1;
        pq_tok_t t = {.type = PQ_EOF, .text = text + i, .len = 0, .line = line, .col = col};
        unsigned char c = (unsigned char)text[i];
        size_t start = i;
        if (!c) {
            if (push(out, &cap, &t) != 0)
                goto oom;
            return 0;
        }
        if (isalpha(c) || c == '_' || c == '$') {
            while (isalnum((unsigned char)text[i]) || text[i] == '_' || text[i] == '$')
                i++;
            t.len = i - start;
            t.type = pq_is_keyword(t.text, t.len) ? PQ_KEYWORD : PQ_IDENT;
        } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)text[i + 1]))) {
            while (isdigit((unsigned char)text[i]) || text[i] == '.')
                i++;
            if ((text[i] == 'e' || text[i] == 'E') &&
                (isdigit((unsigned char)text[i + 1]) ||
                 ((text[i + 1] == '+' || text[i + 1] == '-') && isdigit((unsigned char)text[i + 2])))) {
                i += 2;
                while (isdigit((unsigned char)text[i]))
                    i++;
            }
            t.type = PQ_NUMBER;
            t.len = i - start;
        } else if (c == '\'' || c == '"') {
            int rc = quoted(text, &i, arena, &t);
            if (rc == -2)
                goto oom;
            if (rc != 0)
                goto malformed;
            t.type = c == '\'' ? PQ_STRING : PQ_QIDENT;
        } else {
            static const struct { const char *s; pq_tok_type_t type; } PUNCT[] = {
                {"<<", PQ_LSET}, {">>", PQ_RSET}, {"<=", PQ_LE}, {">=", PQ_GE}, {"<>", PQ_NE}, {"!=", PQ_NE},
                {"(", PQ_LPAREN}, {")", PQ_RPAREN}, {"[", PQ_LBRACK}, {"]", PQ_RBRACK}, {"{", PQ_LBRACE},
                {"}", PQ_RBRACE}, {",", PQ_COMMA}, {";", PQ_SEMI}, {".", PQ_DOT}, {":", PQ_COLON}, {"*", PQ_STAR},
                {"+", PQ_PLUS}, {"-", PQ_MINUS}, {"=", PQ_EQ}, {"<", PQ_LT}, {">", PQ_GT}, {"?", PQ_PARAM},
            };
            size_t k = 0, n = sizeof PUNCT / sizeof PUNCT[0];
            for (; k < n; k++)
                if (strncmp(text + i, PUNCT[k].s, strlen(PUNCT[k].s)) == 0)
                    break;
            if (k == n)
                goto malformed;
            t.type = PUNCT[k].type;
            t.len = strlen(PUNCT[k].s);
            i += t.len;
            if (t.type == PQ_PARAM)
                t.param = out->nparams++;
        }
        t.srclen = i - start;
        if (push(out, &cap, &t) != 0)
            goto oom;
    }
malformed:
    pq_lex_done(out);
    ddb_err_set(err, PQ_MALFORMED);
    return -1;
oom:
    pq_lex_done(out);
    ddb_err_oom(err);
    return -1;
}

void pq_lex_done(pq_lexer_t *lx)
{
    free(lx->toks);
    lx->toks = NULL;
    lx->ntoks = 0;
}
