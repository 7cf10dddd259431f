/*
 * Request context: who (account, access key) and where (region) a request is
 * for, read from its SigV4 credential as LocalStack does, and request ids.
 */
#ifndef NB_ROUTER_CONTEXT_H
#define NB_ROUTER_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "http/message.h"
#include "spec/spec.h"

#define NB_DEFAULT_ACCOUNT "000000000000"
#define NB_DEFAULT_REGION "us-east-1"

typedef struct nb__req_context {
    char account[16];     /* 12 digits */
    char region[32];      /* "us-east-1" */
    char access_key[128]; /* "" when the request carries none */
} nb__req_context_t;

/* Account: the access key id when it is exactly 12 digits, else the account of a key in the
 * credential registry (gateway/credentials.h: one hash lookup), else the default account
 * (000000000000, NIMBUS_DEFAULT_ACCOUNT). Region: from the credential scope, else the default
 * region (us-east-1, DEFAULT_REGION). Never fails. */
void nb__context_from_request(const nb__http_request_t *req, nb__req_context_t *ctx);

/* The account and region of requests that name none (set once at start; NULL keeps one). */
void nb__context_set_defaults(const char *account, const char *region);
const char *nb__context_default_account(void);
const char *nb__context_default_region(void);

/* A fresh UUID v4 in text form ("8-4-4-4-12", lower case, NUL-terminated). */
void nb__request_id_new(char out[37]);

/* The parts of a SigV4 credential, `AKID/20261124/us-east-1/sqs/aws4_request`,
 * from the Authorization header or a presigned X-Amz-Credential query
 * parameter; SigV2 (`AWS AKID:sig`, `AWSAccessKeyId=`) gives the access key
 * only. Each part is NUL-terminated and truncated to fit. */
typedef struct nb__credential {
    char access_key[128];
    char date[16];
    char region[32];
    char service[64];
    bool sigv4; /* a whole SigV4 scope was found */
} nb__credential_t;

/* "AKID/DATE/REGION/SERVICE/aws4_request" (len bytes) cut at its first four slashes: up to
 * five parts (the last one is the rest, slashes and all), not copied, not terminated; the
 * number found. context.c reads a scope leniently from them, gateway/sigcheck.c strictly. */
typedef struct nb__scope_parts {
    const char *part[5];
    size_t len[5];
} nb__scope_parts_t;
size_t nb__scope_split(const char *s, size_t len, nb__scope_parts_t *out);

/* len bytes of src into dst, cut to fit cap and NUL-terminated (a part of a scope, a header's
 * value): also gateway/sigv4_params.c's and sigcheck.c's. */
void nb__copy_part(char *dst, size_t cap, const char *src, size_t len);

/* true when the request carries an access key at all. */
bool nb__credential_parse(const nb__http_request_t *req, nb__credential_t *cred);

#endif
