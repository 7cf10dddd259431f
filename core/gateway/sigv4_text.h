/*
 * The texts AWS signatures are computed over: a request's query decoded once, SigV4's canonical
 * request and string to sign. The canonical request is written into its SHA-256 as it is made
 * (a staging block on the stack, no text built) unless the caller asks to keep it (the
 * SignatureDoesNotMatch report shows it). Shared by the check of issued keys (sigcheck.c) and
 * presigned URLs (presign.c); SigV2's string to sign (presign.c) reuses the header lines.
 */
#ifndef NB_GATEWAY_SIGV4_TEXT_H
#define NB_GATEWAY_SIGV4_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "http/message.h"
#include "util/buf.h"
#include "util/digest.h"

/* ---- The query, decoded ----
 * Not proto/form.h's pairs: those decode '+' as a space and lose the difference between a bare
 * "k" and "k=", which SigV2's resource string keeps. */
typedef struct nb__qparam {
    char *key, *value; /* percent-decoded ('+' kept: SDKs send a space as %20) */
    bool has_value;    /* "k=v" or "k=", not a bare "k" */
} nb__qparam_t;

typedef struct nb__query {
    nb__qparam_t *items;
    size_t len;
} nb__query_t;

/* raw NULL or "" gives no items and allocates nothing. false when out of memory (q freed). */
bool nb__query_parse(const char *raw, nb__query_t *q);
void nb__query_free(nb__query_t *q);
const char *nb__query_value(const nb__query_t *q, const char *key); /* NULL if absent */

/* ---- Where a text goes: its hash, a kept copy, or both ---- */
typedef struct nb__text_sink {
    nb_digest_t *hash; /* NULL: not hashed */
    nb__buf_t *keep;   /* NULL: not kept */
    size_t staged;
    char stage[768]; /* hashed a block at a time: one digest update per block, not per piece */
} nb__text_sink_t;

void nb__sink_put(nb__text_sink_t *s, const char *data, size_t len);

/* Every value of a request header, blanks trimmed and inner runs as one space, comma-joined as
 * signers join them; false if it has none. */
bool nb__sink_header_values(nb__text_sink_t *s, const nb__headers_t *h, const char *name);

/* SigV4's string to sign of a request into to_sign (cap bytes; NB_SIGV4_TO_SIGN_MAX fits any
 * scope of sigv4_params.h): the canonical request (method, the path canonicalized, the query
 * sorted without X-Amz-Signature, the SignedHeaders' lines, from the query when a header is
 * absent, the list, payload) hashed as written. encode_path_twice: the path as sent, encoded
 * again (every service but S3). canonical: NULL, or a buffer that also receives the canonical
 * request's text. 0, NB_ENOMEM, NB_ELIMIT. */
#define NB_SIGV4_TO_SIGN_MAX 384
int nb__sigv4_string_to_sign(const nb__http_request_t *http, const nb__query_t *q, const char *signed_headers,
                             const char *payload, bool encode_path_twice, const char *amz_date, const char *scope,
                             char *to_sign, size_t cap, nb__buf_t *canonical);

/* Whether a SignedHeaders list ("host;x-amz-date") names the header (lower case). */
bool nb__sigv4_signs_header(const char *signed_headers, const char *lname);

#endif
