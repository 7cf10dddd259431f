/*
 * What a SigV4 request says it signed, read once: the Authorization header's Credential,
 * SignedHeaders and Signature, or a presigned URL's X-Amz-* parameters (from the query decoded
 * once, sigv4_text.h). The credential scope is read strictly here (five parts, none empty, the
 * last aws4_request); router/context.c reads it leniently for the account and region. Shared by
 * the check of issued keys (sigcheck.c) and of presigned URLs (presign.c).
 */
#ifndef NB_GATEWAY_SIGV4_PARAMS_H
#define NB_GATEWAY_SIGV4_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/sigv4_text.h"

typedef struct nb__sigv4_params {
    char akid[128], date[16], region[64], service[64];
    char scope[192]; /* "DATE/REGION/SERVICE/aws4_request" */
    char signed_headers[1024], signature[80], amz_date[32];
    bool presigned; /* from the query */
} nb__sigv4_params_t;

/* "AKID/DATE/REGION/SERVICE/aws4_request" (n bytes) into s: false unless it has those five
 * parts, none empty, each fitting. */
bool nb__sigv4_split_credential(const char *v, size_t n, nb__sigv4_params_t *s);

typedef enum nb__sigv4_header_form {
    NB_SIGV4_HEADER_OK,
    NB_SIGV4_HEADER_MALFORMED, /* AWS4-HMAC-SHA256 with a part missing or a bad Credential */
    NB_SIGV4_HEADER_OTHER      /* SigV2, SigV4a, ...: not this parser's */
} nb__sigv4_header_form_t;
/* "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." (X-Amz-Date is not here). */
nb__sigv4_header_form_t nb__sigv4_from_header(const char *auth, nb__sigv4_params_t *s);

typedef enum nb__sigv4_query_form {
    NB_SIGV4_QUERY_OK,
    NB_SIGV4_QUERY_MISSING,    /* one of the six X-Amz-* parameters is absent */
    NB_SIGV4_QUERY_ALGORITHM,  /* X-Amz-Algorithm is not AWS4-HMAC-SHA256 */
    NB_SIGV4_QUERY_CREDENTIAL, /* X-Amz-Credential is not a whole scope */
} nb__sigv4_query_form_t;
/* The parameters of a presigned URL, in that order. */
#define NB_SIGV4_QUERY_PARAMS 6
extern const char *const nb__sigv4_query_params[NB_SIGV4_QUERY_PARAMS];
/* A presigned URL's X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature. */
nb__sigv4_query_form_t nb__sigv4_from_query(const nb__query_t *q, nb__sigv4_params_t *s);

#endif
