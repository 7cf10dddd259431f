/* DynamoDB numbers: exact decimals of up to 38 significant digits, magnitude 1E-130 .. 9.99..E+125
 * (positive and negative), as DynamoDB stores them. No doubles anywhere: parse, canonical text,
 * compare, add/subtract and a memcmp-ordered key encoding all work on the decimal digits.
 *
 * Depends only on libc, so the unit tests compile it directly. */
#ifndef DDB_NUM_H
#define DDB_NUM_H

#include <stddef.h>
#include <stdint.h>

#define DDB_NUM_DIGITS 38
/* value = sign * 0.d0 d1 .. d(n-1) * 10^exp; these bound exp for the supported magnitudes */
#define DDB_NUM_EXP_MIN (-129) /* 1E-130 = 0.1 * 10^-129 */
#define DDB_NUM_EXP_MAX 126    /* 9.99..E+125 = 0.999.. * 10^126 */
/* longest canonical text: "-0." + 129 zeros + 38 digits, plus the NUL */
#define DDB_NUM_TEXT_MAX 176
/* longest key encoding: tag + exponent + 19 digit pairs + terminator */
#define DDB_NUM_KEY_MAX 22

/* A normalized number: zero has sign 0 and ndig 0; otherwise dig[0] and dig[ndig-1] are non-zero. */
typedef struct ddb_num {
    int8_t sign;   /* -1, 0, +1 */
    uint8_t ndig;  /* significant digits, 0..38 */
    int16_t exp;   /* decimal point position, DDB_NUM_EXP_MIN..DDB_NUM_EXP_MAX */
    uint8_t dig[DDB_NUM_DIGITS]; /* digit values 0..9 */
} ddb_num_t;

typedef enum ddb_num_status {
    DDB_NUM_OK = 0,
    DDB_NUM_ESYNTAX,    /* not a number */
    DDB_NUM_EDIGITS,    /* more than 38 significant digits */
    DDB_NUM_EOVERFLOW,  /* magnitude above 9.99..E+125 */
    DDB_NUM_EUNDERFLOW, /* non-zero magnitude below 1E-130 */
} ddb_num_status_t;

/* Parse DynamoDB number text ("12", "-1.50", "1e5", " 3 " is refused: no blanks, as AWS).
 * Leading '+' and '-', digits with an optional '.', optional exponent e/E[+-]digits. */
ddb_num_status_t ddb_num_parse(const char *text, size_t len, ddb_num_t *out);

/* AWS's message for a status (ValidationException text), e.g.
 * "Attempting to store more than 38 significant digits in a Number". For DDB_NUM_ESYNTAX the
 * caller usually words its own message around the offending text (see ddb_num_syntax_message). */
const char *ddb_num_message(ddb_num_status_t st);

/* The canonical text as DynamoDB returns it: no exponent, no leading/trailing zeros, "-0" as "0".
 * Writes at most DDB_NUM_TEXT_MAX bytes including the NUL; returns the length. */
size_t ddb_num_format(const ddb_num_t *n, char *buf);

/* Parse and format in one: the canonical text of `text`, or a status. */
ddb_num_status_t ddb_num_canonical(const char *text, size_t len, char *buf, size_t *out_len);

/* Numeric order: <0, 0, >0. */
int ddb_num_cmp(const ddb_num_t *a, const ddb_num_t *b);

/* Exact a+b and a-b. DDB_NUM_EDIGITS when the exact result needs more than 38 digits,
 * DDB_NUM_EOVERFLOW / DDB_NUM_EUNDERFLOW out of range. `out` may alias a or b. */
ddb_num_status_t ddb_num_add(const ddb_num_t *a, const ddb_num_t *b, ddb_num_t *out);
ddb_num_status_t ddb_num_sub(const ddb_num_t *a, const ddb_num_t *b, ddb_num_t *out);

/* From a small integer (size() results, counters). */
void ddb_num_from_int(int64_t v, ddb_num_t *out);

/* Key bytes whose memcmp order equals the numeric order (shorter prefix first); self-delimiting,
 * so the bytes may be followed by other key parts. Returns the length (<= DDB_NUM_KEY_MAX). */
size_t ddb_num_encode(const ddb_num_t *n, uint8_t *buf);
/* Inverse of ddb_num_encode; returns the bytes consumed, 0 if `buf` is not an encoding. */
size_t ddb_num_decode(const uint8_t *buf, size_t len, ddb_num_t *out);

#endif
