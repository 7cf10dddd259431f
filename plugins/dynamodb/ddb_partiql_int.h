/* Internals shared by the ddb_partiql*.c files: tokens, the syntax tree of WHERE clauses and SET values,
 * literal conversion and the translation into ddb_expr trees. Not part of the API (see ddb_partiql.h). */
#ifndef DDB_PARTIQL_INT_H
#define DDB_PARTIQL_INT_H

#include "ddb_expr_int.h"
#include "ddb_partiql.h"

/* Prefix of every syntax error, as DynamoDB words it. */
#define PQ_MALFORMED "Statement wasn't well formed, can't be processed: "

/* ---- tokens ---- */

typedef enum pq_tok_type {
    PQ_EOF, PQ_IDENT, PQ_QIDENT, PQ_KEYWORD, PQ_STRING, PQ_NUMBER, PQ_PARAM,
    PQ_LPAREN, PQ_RPAREN, PQ_LBRACK, PQ_RBRACK, PQ_LBRACE, PQ_RBRACE, PQ_LSET, PQ_RSET,
    PQ_COMMA, PQ_DOT, PQ_COLON, PQ_SEMI, PQ_STAR, PQ_PLUS, PQ_MINUS,
    PQ_EQ, PQ_NE, PQ_LT, PQ_LE, PQ_GT, PQ_GE,
} pq_tok_type_t;

typedef struct pq_tok {
    pq_tok_type_t type;
    const char *text; /* IDENT / KEYWORD as written, QIDENT and STRING unquoted, NUMBER as written */
    size_t len;
    unsigned line, col; /* 1-based */
    size_t srclen;      /* characters in the statement, quotes included (error positions name it) */
    unsigned param;     /* PQ_PARAM: its index in the Parameters array */
} pq_tok_t;

typedef struct pq_lexer {
    pq_tok_t *toks;
    size_t ntoks;
    unsigned nparams;
} pq_lexer_t;

/* Split `text` into tokens (strings and names live in `arena`). -1 with err on a bad character or an
 * unterminated quote. */
int pq_lex(const char *text, ddb_arena_t *arena, pq_lexer_t *out, ddb_err_t *err);
void pq_lex_done(pq_lexer_t *lx);
/* PartiQL's reserved words (case-insensitive). */
bool pq_is_keyword(const char *s, size_t len);
/* Case-insensitive comparison of a token's text with a word. */
bool pq_tok_is(const pq_tok_t *t, const char *word);

/* ---- syntax tree ---- */

typedef struct pq_pelem {
    const char *name; /* NULL for a list index */
    size_t len;
    uint32_t index;
} pq_pelem_t;

typedef struct pq_path {
    pq_pelem_t *e;
    size_t n;
} pq_path_t;

typedef enum pq_node_kind {
    PN_PATH, PN_VALUE, PN_CALL,             /* operands */
    PN_PLUS, PN_MINUS,                      /* SET values */
    PN_CMP, PN_AND, PN_OR, PN_NOT, PN_BETWEEN, PN_IN, PN_MISSING, PN_NOT_MISSING, /* conditions */
} pq_node_kind_t;

typedef struct pq_node pq_node_t;
struct pq_node {
    pq_node_kind_t kind;
    pq_path_t path;     /* PN_PATH, PN_MISSING, PN_NOT_MISSING */
    json_t *value;      /* PN_VALUE: the typed value (reference held by the arena) */
    const char *fname;  /* PN_CALL: lower-cased function name */
    const char *op;     /* PN_CMP: "=", "<>", "<", "<=", ">", ">=" */
    pq_node_t **args;   /* PN_CALL, PN_CMP (2), PN_BETWEEN (3), PN_IN (1 + values), AND/OR (2), NOT (1), +/- (2) */
    size_t nargs;
    unsigned line, col; /* where the node starts, for the errors that name a position */
    size_t srclen;      /* length of that first token */
};

struct ddb_pq_where {
    ddb_arena_t arena;
    pq_node_t *root;
};

/* ---- parser state ---- */

typedef struct pq_parser {
    const pq_tok_t *toks;
    size_t ntoks, pos;
    const json_t *params;
    ddb_arena_t *arena; /* nodes, paths and values of the statement's syntax tree */
    ddb_err_t *err;
    char lit_path[256]; /* where inside a literal the parser is: "root", "root.m", "root[1]" */
} pq_parser_t;

/* "line:column:length" of a token, as DynamoDB names positions in its messages. */
void pq_pos(const pq_tok_t *t, char *buf, size_t size);

const pq_tok_t *pq_peek(const pq_parser_t *p, size_t ahead);
const pq_tok_t *pq_next(pq_parser_t *p);
bool pq_accept(pq_parser_t *p, pq_tok_type_t type);
bool pq_accept_word(pq_parser_t *p, const char *word);
/* The syntax error for the token at the current position: "Unexpected keyword", "Unexpected term" (the
 * statement ended), "Unexpected token". */
int pq_unexpected(pq_parser_t *p);
/* The same where an expression term must start: an operator word there is "Unexpected operator". */
int pq_term_error(pq_parser_t *p);
int pq_expect(pq_parser_t *p, pq_tok_type_t type);
int pq_expect_word(pq_parser_t *p, const char *word);
pq_node_t *pq_node_new(pq_parser_t *p, pq_node_kind_t kind, size_t nargs);

/* literal := 'str' | number | true | false | null | [..] | {'k': literal, ..} | <<..>> | ?  -> typed value
 * (a new reference), NULL with p->err. `-` before a number is part of it. */
json_t *pq_parse_literal(pq_parser_t *p);
bool pq_at_literal(const pq_parser_t *p);

/* path := name ( '.' name | '[' integer ']' | '[' 'str' ']' )*, name an identifier or "quoted".
 * `simple`: the target of a statement, where anything else is "Expected identifier for simple path". */
int pq_parse_path(pq_parser_t *p, pq_path_t *out, bool simple);
/* WHERE condition (OR > AND > NOT > predicates). */
pq_node_t *pq_parse_condition(pq_parser_t *p);
/* SET value of `target`: operand (('+' | '-') operand)? with operand a literal, a path or a function call
 * (set_add / set_delete checked against the target). */
pq_node_t *pq_parse_set_value(pq_parser_t *p, const pq_path_t *target);

/* ---- translation into ddb_expr trees ---- */

/* Expression text with #names and :values maps under construction. */
typedef struct pq_gen {
    char *buf;
    size_t len, cap;
    json_t *names, *values;
    unsigned nnames, nvalues;
    bool oom;
} pq_gen_t;

void pq_gen_init(pq_gen_t *g);
void pq_gen_done(pq_gen_t *g);
void pq_gen_str(pq_gen_t *g, const char *s);
void pq_gen_path(pq_gen_t *g, const pq_path_t *path);
void pq_gen_value(pq_gen_t *g, json_t *av);
/* A condition tree (or the AND of `terms`) as a ConditionExpression. */
void pq_gen_cond(pq_gen_t *g, const pq_node_t *n);
/* Parse what was generated into a condition / update / projection tree; NULL with err. */
ddb_cond_t *pq_gen_to_cond(pq_gen_t *g, ddb_err_t *err);
ddb_update_t *pq_gen_to_update(pq_gen_t *g, ddb_err_t *err);
ddb_proj_t *pq_gen_to_proj(pq_gen_t *g, ddb_err_t *err);

/* ---- sort key ranges of a SELECT's reads ---- */

typedef struct pq_range {
    ddb_keyop_t op;         /* the first sort key condition of the branch (DDB_KEY_NONE: none) */
    json_t *values[2];      /* its operands (borrowed from the syntax tree) */
    const json_t *lo, *hi;  /* the interval it selects, NULL for unbounded */
    bool lo_incl, hi_incl;
    bool exempt;            /* the branch also has a negated or <> sort key condition */
    json_t *owned_hi;       /* begins_with's upper bound (owned) */
} pq_range_t;

/* A sort key condition: `k op v` (either side), BETWEEN, begins_with(k, v); DDB_KEY_NONE otherwise. */
ddb_keyop_t pq_range_condition(const pq_node_t *t, const char *name, json_t **vals);
/* The range one branch (its AND terms) reads; -1 when out of memory. Free with pq_range_done. */
int pq_range_of(const pq_node_t **terms, size_t n, const char *range_name, pq_range_t *out);
void pq_range_done(pq_range_t *r);
/* Whether two reads of one partition would meet (DynamoDB refuses such a statement). */
bool pq_ranges_overlap(const pq_range_t *a, const pq_range_t *b);

/* The operands of a chain of `kind` (PN_AND: the AND terms, PN_OR: the OR branches; the node itself when it
 * is not one), into `out` (cap entries); returns how many there are (may exceed cap). */
size_t pq_terms(const pq_node_t *n, pq_node_kind_t kind, const pq_node_t **out, size_t cap);
/* A path of one plain attribute name equal to `name`. */
bool pq_path_is_attr(const pq_path_t *path, const char *name);

#endif
