/*
 * The CBOR codec (RFC 8949) the smithy-rpc-v2-cbor binding (cbor.c) reads and writes
 * with; it knows CBOR data items and JSON values, nothing of shapes or protocols.
 *
 * Decoding drives libcbor's streaming decoder one data item head at a time: the
 * caller reads a head (nb__cbor_next) and decides what to build from it, so no
 * intermediate tree is made, nesting depth stays bounded, and every malformed input
 * is an error (the first one kept in the decoder's msg) rather than a crash.
 * Encoding writes item heads with libcbor's encoders, always with definite lengths,
 * into an nb__buf_t; a failure (out of memory) is kept in the encoder's failed flag.
 */
#ifndef NB_PROTO_CBOR_CODEC_H
#define NB_PROTO_CBOR_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "util/buf.h"

/* Deeper than any AWS shape nests; keeps recursion on hostile input bounded. */
#define NB_CBOR_MAX_DEPTH 100

/* ---- decoding ---- */

typedef enum nb__cbor_kind {
    NB_CBOR_NONE, /* no callback fired: an unassigned simple value */
    NB_CBOR_UINT,
    NB_CBOR_NEGINT, /* value is -1 - u */
    NB_CBOR_BYTES,
    NB_CBOR_BYTES_INDEF,
    NB_CBOR_TEXT,
    NB_CBOR_TEXT_INDEF,
    NB_CBOR_ARRAY,
    NB_CBOR_ARRAY_INDEF,
    NB_CBOR_MAP,
    NB_CBOR_MAP_INDEF,
    NB_CBOR_TAG,
    NB_CBOR_FLOAT,
    NB_CBOR_BOOL,
    NB_CBOR_NULL, /* null and undefined */
    NB_CBOR_BREAK,
} nb__cbor_kind_t;

typedef struct nb__cbor_tok {
    nb__cbor_kind_t kind;
    uint64_t u;              /* integer, tag, collection length */
    double d;                /* float */
    bool b;                  /* boolean */
    const unsigned char *s;  /* definite string bytes (point into the body) */
    size_t len;              /* definite string length */
} nb__cbor_tok_t;

typedef struct nb__cbor_dec {
    const unsigned char *start, *p, *end;
    char msg[160]; /* the first failure */
    bool failed;
} nb__cbor_dec_t;

/* Iterates the entries of an array or map whose head t was read: more() returns
 * true while there is one more element (for a map, one more key) to read. */
typedef struct nb__cbor_coll {
    bool indef;
    uint64_t left;
    nb__cbor_tok_t head; /* the next element's head, already read for indefinite lengths */
    bool have_head;
} nb__cbor_coll_t;

/* Records the first failure (later ones keep it): printf-formatted into d->msg. */
void nb__cbor_fail(nb__cbor_dec_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads the next item head into t; false (d failed) at the end of the data or on an invalid item. */
bool nb__cbor_next(nb__cbor_dec_t *d, nb__cbor_tok_t *t);
/* "integer", "map", ...: for messages. */
const char *nb__cbor_kind_name(nb__cbor_kind_t k);
/* The bytes of a (text or byte) string whose head is t: a definite string points
 * into the data, an indefinite one is its chunks joined into *tmp. */
bool nb__cbor_read_string(nb__cbor_dec_t *d, const nb__cbor_tok_t *t, nb__buf_t *tmp, const unsigned char **s,
                          size_t *len);
/* Skips the rest of an item whose head t was read / a whole item. */
bool nb__cbor_skip_after(nb__cbor_dec_t *d, const nb__cbor_tok_t *t, int depth);
bool nb__cbor_skip_value(nb__cbor_dec_t *d, int depth);

void nb__cbor_coll_init(nb__cbor_coll_t *c, const nb__cbor_tok_t *t);
bool nb__cbor_coll_more(nb__cbor_dec_t *d, nb__cbor_coll_t *c);
/* The head of the current element. */
bool nb__cbor_coll_head(nb__cbor_dec_t *d, nb__cbor_coll_t *c, nb__cbor_tok_t *t);
/* The current element of a map, which must be a text string key: its bytes as
 * nb__cbor_read_string gives them; what names the map in the message ("map key"). */
bool nb__cbor_read_key(nb__cbor_dec_t *d, nb__cbor_coll_t *c, const char *what, nb__buf_t *tmp,
                       const unsigned char **s, size_t *len);
/* The same key as a NUL-terminated copy (malloc'd) for a JSON object; NULL (d failed)
 * when it is not a text string or holds a NUL. */
char *nb__cbor_read_map_key(nb__cbor_dec_t *d, nb__cbor_coll_t *c, nb__buf_t *tmp);

/* The string whose head is t as a JSON string: text must be valid UTF-8, bytes are kept as
 * they are (json_stringn_nocheck). */
json_t *nb__cbor_decode_string(nb__cbor_dec_t *d, const nb__cbor_tok_t *t, bool text);
/* An integer or float head as a double. */
bool nb__cbor_number(const nb__cbor_tok_t *t, double *v);
/* The item whose head is t as JSON, with no shape to follow (documents). NULL: d failed. */
json_t *nb__cbor_decode_any(nb__cbor_dec_t *d, const nb__cbor_tok_t *t, int depth);

/* ---- encoding ---- */

typedef struct nb__cbor_enc {
    nb__buf_t *out;
    bool failed;
} nb__cbor_enc_t;

void nb__cbor_put_map_start(nb__cbor_enc_t *e, size_t n);
void nb__cbor_put_array_start(nb__cbor_enc_t *e, size_t n);
void nb__cbor_put_tag(nb__cbor_enc_t *e, uint64_t tag);
void nb__cbor_put_bool(nb__cbor_enc_t *e, bool v);
void nb__cbor_put_null(nb__cbor_enc_t *e);
void nb__cbor_put_text(nb__cbor_enc_t *e, const char *s, size_t len);
void nb__cbor_put_bytes(nb__cbor_enc_t *e, const char *s, size_t len);
void nb__cbor_put_int(nb__cbor_enc_t *e, json_int_t v);
/* single: as single precision when that loses nothing (a float shape). */
void nb__cbor_put_float(nb__cbor_enc_t *e, double v, bool single);
/* A JSON value with no shape to follow (documents): JSON types map onto CBOR's. */
void nb__cbor_put_any(nb__cbor_enc_t *e, const json_t *v, int depth);

#endif
