/*
 * How large a request's body may be, decided from its head alone, before any of
 * the body is read: a streaming payload (S3 PutObject, UploadPart: the input's
 * payload member is a streaming blob in the spec) up to NIMBUS_MAX_BODY_SIZE;
 * a body that is parsed (JSON, XML, form, CBOR) up to its service's AWS limit
 * (NIMBUS_MAX_STRUCTURED_BODY_SIZE overrides them all), so that one too large is
 * refused unread and one accepted is parsed in bounded memory and time.
 */
#ifndef NB_GATEWAY_LIMITS_H
#define NB_GATEWAY_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "spec/spec.h"

typedef struct nb__body_limit {
    uint64_t max;        /* bytes */
    const char *code;    /* the service's error above it; NULL: a bare 413, as AWS's front end answers */
    int status;
    const char *message; /* printf format taking max as unsigned long long */
} nb__body_limit_t;

/* The limit for a request routed to spec/op (either may be NULL: not known from the head);
 * never above server_max, the server's own limit. */
void nb__body_limit(const nb__config_t *cfg, const nb__spec_t *spec, const nb__spec_op_t *op, uint64_t server_max,
                    nb__body_limit_t *out);

/* The error for a body above max under that limit: the service's code, status and message,
 * or RequestEntityTooLarge 413 when it has no code of its own (still in the service's format). */
void nb__body_limit_error(const nb__body_limit_t *limit, uint64_t max, const char **code, int *status, char *message,
                          size_t cap);

#endif
