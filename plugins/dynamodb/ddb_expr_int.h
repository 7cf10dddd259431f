/* Internals shared by the ddb_expr*.c files: the arena trees live in, tokens, document paths,
 * operands, condition nodes, and the error/parse helpers. Not part of the API (see ddb_expr.h). */
#ifndef DDB_EXPR_INT_H
#define DDB_EXPR_INT_H

#include <stdint.h>

#include "ddb_expr.h"

/* ---- arena: every node of one tree, freed at once ---- */

typedef struct ddb_arena_block ddb_arena_block_t;
typedef struct ddb_arena {
    ddb_arena_block_t *head;
    json_t **refs; /* values the tree holds a reference to */
    size_t nrefs, caprefs;
} ddb_arena_t;

void *ddb_arena_alloc(ddb_arena_t *a, size_t size); /* zeroed; NULL only when out of memory */
char *ddb_arena_strndup(ddb_arena_t *a, const char *s, size_t len);
json_t *ddb_arena_keep(ddb_arena_t *a, json_t *v); /* takes a new reference, released with the arena */
void ddb_arena_free(ddb_arena_t *a);

/* ---- errors ---- */

const char *ddb_kind_param(ddb_expr_kind_t kind); /* "ConditionExpression", ... */
void ddb_err_set(ddb_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ddb_err_oom(ddb_err_t *err); /* InternalServerError: out of memory */

/* Semantic errors found while parsing are kept by category and the first one of the most important
 * category is reported once the whole text parsed (syntax errors stop the parse at once). */
typedef enum ddb_errcat {
    DDB_E_PARENS, DDB_E_UNKNOWN_FUNCTION, DDB_E_MISUSED_FUNCTION, DDB_E_RESERVED, DDB_E_SECTION,
    DDB_E_ATTR_NAME, DDB_E_ATTR_VALUE, DDB_E_OVERLAP, DDB_E_CONFLICT, DDB_E_OPERAND_COUNT, DDB_E_DISTINCT,
    DDB_E_OPERAND_TYPE, DDB_E_FUNCTION, DDB_E_COUNT
} ddb_errcat_t;

/* ---- tokens ---- */

typedef enum ddb_tok_type {
    TK_EOF, TK_IDENT, TK_NAME, TK_VALUE, TK_NUMBER, TK_LPAREN, TK_RPAREN, TK_LBRACK, TK_RBRACK, TK_COMMA,
    TK_DOT, TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_PLUS, TK_MINUS, TK_OTHER
} ddb_tok_type_t;

typedef struct ddb_tok {
    ddb_tok_type_t type;
    uint32_t start, len;
} ddb_tok_t;

/* ---- document paths and operands ---- */

typedef struct ddb_pelem {
    const char *name; /* NULL for a list index */
    uint32_t len;     /* name length */
    uint32_t index;
} ddb_pelem_t;

typedef struct ddb_path {
    ddb_pelem_t *e;
    uint16_t n;
} ddb_path_t;

typedef enum ddb_opnd_kind {
    OPND_PATH, OPND_VALUE, OPND_SIZE,            /* conditions */
    OPND_IF_NOT_EXISTS, OPND_LIST_APPEND, OPND_PLUS, OPND_MINUS, /* update values */
    OPND_FUNCTION                                /* a condition function used as an operand (refused) */
} ddb_opnd_kind_t;

typedef struct ddb_opnd ddb_opnd_t;
struct ddb_opnd {
    ddb_opnd_kind_t kind;
    ddb_path_t path;      /* OPND_PATH, OPND_IF_NOT_EXISTS (its path) */
    json_t *av;           /* OPND_VALUE: the typed value (reference kept by the arena) */
    ddb_type_t type;      /* OPND_VALUE: its type */
    ddb_num_t *num;       /* OPND_VALUE of type N: parsed once */
    ddb_opnd_t *a, *b;    /* OPND_SIZE (a), OPND_IF_NOT_EXISTS (b = default), list_append, +, - */
    const char *fname;    /* OPND_FUNCTION: the name as written */
    ddb_opnd_t **args;    /* OPND_FUNCTION: its arguments */
    uint16_t nargs;
    bool parens;          /* written inside parentheses */
};

/* The value an operand has for one item, without allocating: a typed value of the item or the
 * expression, or a number computed into `tmp` (size()). */
typedef struct ddb_ev {
    ddb_type_t type;      /* DDB_T_NONE: missing */
    json_t *av;           /* typed value, NULL for a computed number */
    json_t *payload;
    const ddb_num_t *num; /* numbers already parsed (constants, size()) or NULL */
    ddb_num_t tmp;
} ddb_ev_t;

/* Value at `path` in `item` (an object of attributes), or NULL. */
json_t *ddb_path_get(const json_t *item, const ddb_path_t *path);
/* "[a, b, [2], c]" as AWS prints paths in errors. */
void ddb_path_str(const ddb_path_t *path, char *buf, size_t size);
bool ddb_path_equal(const ddb_path_t *a, const ddb_path_t *b);
/* 0: independent; 1: one is a prefix of the other (overlap); 2: a name and an index at the same place */
int ddb_path_relation(const ddb_path_t *a, const ddb_path_t *b);

void ddb_opnd_eval(const ddb_opnd_t *o, const json_t *item, ddb_ev_t *ev);
/* Number of an evaluated N value (parsing the item's text into `scratch` when needed); NULL if invalid. */
const ddb_num_t *ddb_ev_num(const ddb_ev_t *ev, ddb_num_t *scratch);

/* ---- condition nodes ---- */

typedef enum ddb_cnode_kind {
    CN_AND, CN_OR, CN_NOT, CN_CMP, CN_BETWEEN, CN_IN,
    CN_EXISTS, CN_NOT_EXISTS, CN_TYPE, CN_BEGINS_WITH, CN_CONTAINS, CN_TRUE
} ddb_cnode_kind_t;

typedef enum ddb_cmp_op { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } ddb_cmp_op_t;

typedef struct ddb_cnode ddb_cnode_t;
struct ddb_cnode {
    ddb_cnode_kind_t kind;
    ddb_cmp_op_t op;
    ddb_cnode_t *l, *r;     /* AND, OR, NOT (l) */
    ddb_opnd_t **args;      /* CMP (2), BETWEEN (3), IN (1 + n), functions */
    uint16_t nargs;
    ddb_type_t want_type;   /* CN_TYPE */
    bool parens;
};

struct ddb_cond {
    ddb_arena_t arena;
    ddb_cnode_t *root;
};

bool ddb_cnode_eval(const ddb_cnode_t *n, const json_t *item);
const char *ddb_cmp_op_text(ddb_cmp_op_t op);

/* ---- update actions ---- */

typedef enum ddb_uact_kind { UA_SET, UA_REMOVE, UA_ADD, UA_DELETE, UA_APPEND } ddb_uact_kind_t;

typedef struct ddb_uact {
    ddb_uact_kind_t kind; /* UA_APPEND: legacy AttributeUpdates ADD of a list */
    ddb_path_t path;
    ddb_opnd_t *val;      /* SET: the value expression; ADD/DELETE/APPEND: the operand */
} ddb_uact_t;

struct ddb_update {
    ddb_arena_t arena;
    ddb_uact_t *acts;
    size_t nacts;
};

/* ---- projections ---- */

struct ddb_proj {
    ddb_arena_t arena;
    ddb_path_t *paths;
    size_t npaths;
};

/* ---- parser state shared by the expression grammars ---- */

typedef struct ddb_parser {
    const char *text;
    ddb_tok_t *toks;
    size_t ntoks, pos;
    ddb_expr_kind_t kind;
    ddb_ctx_t *ctx;
    ddb_arena_t *arena;
    ddb_err_t *err;
    bool failed;                     /* a syntax error (or out of memory) was reported */
    unsigned nops;                   /* operators and functions, limited as AWS limits them */
    char *cat_msg[DDB_E_COUNT];      /* first message of each semantic category (malloc'd) */
} ddb_parser_t;

/* Tokenize `text`; fills err with the empty-expression error when there are no tokens. */
int ddb_parser_init(ddb_parser_t *p, ddb_expr_kind_t kind, const char *text, ddb_ctx_t *ctx,
                    ddb_arena_t *arena, ddb_err_t *err);
/* The semantic error to report, by the order given (first category with a message), into p->err. */
int ddb_parser_finish(ddb_parser_t *p, const ddb_errcat_t *order, size_t norder);
void ddb_parser_done(ddb_parser_t *p);

const ddb_tok_t *ddb_peek(const ddb_parser_t *p, size_t ahead);
const ddb_tok_t *ddb_next(ddb_parser_t *p);
bool ddb_tok_is_word(const ddb_parser_t *p, const ddb_tok_t *t, const char *word); /* IDENT, case-insensitive */
bool ddb_tok_is_keyword(const ddb_parser_t *p, const ddb_tok_t *t); /* a word of the grammar (AND, SET, ...) */
/* Report "Syntax error; token: \"x\", near: \"a x b\"" at token index `at`; always returns NULL. */
void *ddb_syntax_error(ddb_parser_t *p, size_t at);
void ddb_semantic(ddb_parser_t *p, ddb_errcat_t cat, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool ddb_has_semantic(const ddb_parser_t *p, ddb_errcat_t cat);

/* path := (IDENT | #name) ( '[' NUMBER ']' | '.' (IDENT | #name) )*  ; reserved words and undefined
 * names are semantic errors. Returns false after a syntax error. */
bool ddb_parse_path(ddb_parser_t *p, ddb_path_t *out);
/* :value resolved from the context (its type and number parsed once); NULL after an error. */
ddb_opnd_t *ddb_parse_value(ddb_parser_t *p);
ddb_opnd_t *ddb_opnd_new(ddb_parser_t *p, ddb_opnd_kind_t kind);

/* operand := '(' operand ')' | name '(' operand (',' operand)* ')' | :value | path
 * A call comes back as OPND_FUNCTION (OPND_SIZE for size()); the grammar using it checks the names. */
ddb_opnd_t *ddb_parse_operand(ddb_parser_t *p);

/* Condition grammar (OR > AND > NOT > comparisons and functions), used by condition and key expressions. */
ddb_cnode_t *ddb_parse_condition(ddb_parser_t *p);
extern const ddb_errcat_t ddb_cond_error_order[];
extern const size_t ddb_cond_error_order_len;

/* Exact type of a typed value given in an error, "AttributeValue: {N:10}". */
void ddb_av_str(const json_t *av, char *buf, size_t size);

/* ---- base64 (B, BS) without allocating: a byte stream over the text ---- */

typedef struct ddb_b64 {
    const char *s;
    size_t len, pos;
    uint8_t buf[3];
    int n, i;
} ddb_b64_t;

void ddb_b64_init(ddb_b64_t *it, const char *s, size_t len);
int ddb_b64_next(ddb_b64_t *it); /* next byte, -1 at the end */
int ddb_bytes_compare(const char *a, size_t alen, const char *b, size_t blen); /* base64 texts as bytes */
bool ddb_bytes_prefix(const char *s, size_t slen, const char *prefix, size_t plen);
bool ddb_bytes_contains(const char *s, size_t slen, const char *needle, size_t nlen);
size_t ddb_bytes_len(const char *s, size_t len);

#endif
