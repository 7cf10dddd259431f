/*
 * Service quirks the gateway applies: the only place in core/gateway/ that names a service.
 * One table per concern; a service needing a new quirk adds a row, the pipeline stays
 * unchanged.
 */
#ifndef NB_GATEWAY_QUIRKS_H
#define NB_GATEWAY_QUIRKS_H

#include <jansson.h>

#include "gateway/request.h"

/* An error a service answers with its own code instead of the common one. */
typedef struct nb__quirk_error {
    const char *service; /* the spec's service name */
    const char *code;
    int status;
    const char *message;
} nb__quirk_error_t;

/* "Try again" (out of descriptors or memory for now): instead of ServiceUnavailable. */
extern const nb__quirk_error_t nb__quirks_unavailable[];
/* A REST request that matches no operation: instead of UnknownOperationException 404. */
extern const nb__quirk_error_t nb__quirks_unknown_rest_operation[];
/* The row of `service` in a table ending with a NULL service; NULL if it has none. */
const nb__quirk_error_t *nb__quirk_error(const nb__quirk_error_t *table, const char *service);

/* A service's setting that governs one behaviour of the pipeline. */
typedef struct nb__quirk_setting {
    const char *service; /* the spec's service name */
    const char *setting; /* the setting's name (core/config/quirks.c) */
} nb__quirk_setting_t;

/* Services whose presigned URLs have their signature checked when the setting is false
 * (LocalStack's S3_SKIP_SIGNATURE_VALIDATION=0; gateway/presign.c). */
extern const nb__quirk_setting_t nb__quirks_presign_checked[];
/* The setting of `service` in a table ending with a NULL service; NULL if it has none. */
const char *nb__quirk_setting(const nb__quirk_setting_t *table, const char *service);

/* Services that sign the path as sent (not encoded a second time) and word authentication
 * failures S3's way (InvalidAccessKeyId, InvalidToken, RequestTimeTooSkewed, SignatureDoesNotMatch
 * with the text signed): ENFORCE_IAM's signature check, gateway/sigcheck.c. NULL-terminated. */
extern const char *const nb__quirks_own_auth_words[];
/* Whether a NULL-terminated table of service names lists `service`. */
bool nb__quirk_listed(const char *const *table, const char *service);

/* Completes a parsed input the way the service's clients rely on (SQS: the queue URL taken
 * from the request path); most services have no rewrite. Runs before validation, possibly
 * on the thread pool: reads the request, writes only input. */
void nb__quirk_rewrite_input(nb_req_t *req, json_t *input);

/* The namespace of an account's root user's ARN (arn:PARTITION:<it>::ACCOUNT:root): AWS names
 * every principal of an account in IAM's, which is what a request signed by no registered key
 * acts as (credentials.c). */
extern const char nb__quirk_root_principal_service[];

#endif
