/* SNS filter policies, inside: the compiled form shared by the compiler (sns_filter.c), the policy reader
 * (sns_filter_lex.c) and the matcher (sns_filter_match.c). */
#ifndef SNS_FILTER_INT_H
#define SNS_FILTER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sns_filter.h"

typedef enum {
    SF_EXACT_STRING,   /* "text" */
    SF_EXACT_NUMBER,   /* 100 == 1e2 == 100.0 */
    SF_EXACT_TRUE,
    SF_EXACT_FALSE,
    SF_EXACT_NULL,
    SF_PREFIX,
    SF_SUFFIX,
    SF_EQUALS_IGNORE_CASE,
    SF_NUMERIC,        /* lo/hi bounds, each optional and open or closed */
    SF_EXISTS,
    SF_CIDR,
    SF_ANYTHING_BUT,   /* none of strings[] or numbers[] */
    SF_ANYTHING_BUT_PREFIX,
} sf_kind_t;

typedef struct {
    sf_kind_t kind;
    char *text;        /* exact string, prefix, suffix, equals-ignore-case, anything-but prefix */
    size_t text_len;
    double number;     /* exact number */
    /* numeric */
    int has_lo, lo_open, has_hi, hi_open;
    double lo, hi;
    /* exists */
    int exists;
    /* cidr: 4 or 16 address bytes and the mask length */
    int cidr_v6;
    uint8_t cidr_addr[16];
    int cidr_bits;
    /* anything-but values: all strings or all numbers */
    char **ab_strings;
    size_t *ab_string_lens;
    double *ab_numbers;
    size_t ab_count;
    int ab_numeric;
} sf_pattern_t;

/* One field of a branch: the dotted path ("a.b" for {"a":{"b":[...]}}) and the values any of which matches. */
typedef struct {
    const char *path;
    const sf_pattern_t *patterns;
    size_t npatterns;
} sf_field_t;

/* All fields of a branch must match; the policy matches when any branch does ($or forks branches). */
typedef struct {
    sf_field_t *fields;
    size_t nfields;
} sf_branch_t;

struct sns_filter {
    sf_branch_t *branches;
    size_t nbranches;
    int nested;
    /* everything the branches point to, freed together */
    void **owned;
    size_t nowned, owned_cap;
};

/* ---- the policy reader: tokens at the positions AWS's parser reports (sns_filter_lex.c) ---- */

typedef enum {
    SF_TOK_NONE, SF_TOK_START_OBJECT, SF_TOK_END_OBJECT, SF_TOK_START_ARRAY, SF_TOK_END_ARRAY,
    SF_TOK_FIELD_NAME, SF_TOK_STRING, SF_TOK_NUMBER, SF_TOK_TRUE, SF_TOK_FALSE, SF_TOK_NULL, SF_TOK_EOF,
} sf_tok_t;

typedef struct {
    const char *src;       /* the compact policy text (no whitespace outside strings) */
    size_t len;
    size_t pos;            /* next unread byte */
    sf_tok_t tok;          /* current token */
    size_t tok_start;      /* where the current token's text starts */
    size_t tok_end;        /* ... and ends (numbers, literals, field names: set at once; strings: when completed) */
    int string_pending;    /* the current string's body is not read yet (the pointer is after its quote) */
    sf_tok_t next;         /* a value token read ahead with its field name */
    size_t next_start, next_end;
    int next_pending;
    char ctx[256];          /* 'o' object, 'a' array: the open containers */
    int depth;
    int after_value;       /* a value ended in the current container: a ',' may follow */
    char *text;            /* decoded text of the current token (malloc'd) */
} sf_lex_t;

void sf_lex_init(sf_lex_t *lx, const char *compact, size_t len);
void sf_lex_done(sf_lex_t *lx);
sf_tok_t sf_lex_next(sf_lex_t *lx);
/* The current token's text (a string decoded and completed, a number's digits, "]" for END_ARRAY...). */
const char *sf_lex_text(sf_lex_t *lx);
/* The position AWS's parser names in its messages: 1-based column of the next unread character. */
size_t sf_lex_column(const sf_lex_t *lx);

/* ---- shared helpers ---- */

/* A number the way filter policies read it: the whole text must be a finite JSON-style number. */
int sf_parse_number(const char *s, size_t len, double *out);
/* An IPv4 or IPv6 address into 16 bytes (IPv4 in the first 4); 1 when it is one. */
int sf_parse_ip(const char *s, size_t len, uint8_t out[16], int *v6);

#endif
