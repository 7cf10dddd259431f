/*
 * The content codings of a request body that Nimbus decodes before parsing it: gzip (SDKs'
 * request compression), aws-chunked (SigV4 streaming framing), and both together.
 */
#ifndef NB_HTTP_CONTENT_DECODE_H
#define NB_HTTP_CONTENT_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "http/message.h"

typedef struct nb__content_codings {
    bool gzip, aws_chunked;
} nb__content_codings_t;

/* The codings a request's Content-Encoding lists (comma-separated, any case, spaces around)
 * that Nimbus decodes. Others (identity, or a label of the client's own) leave the body as sent. */
nb__content_codings_t nb__content_codings(const nb__http_request_t *http);

/* The request's body decoded: *out a new body (the caller's), or NULL when it has no coding
 * to decode. 0; NB_ELIMIT once the decoded body would pass max bytes (decoding stops there);
 * NB_EPROTO for a body that does not decode; NB_ENOMEM, NB_EIO. */
int nb__content_decode(const nb__http_request_t *http, uint64_t max, nb_body_t **out);

/* A copy of the headers as they stand once the body is decoded: Content-Encoding lists only
 * the codings left (a client's own, "custom" of "custom, gzip"), and is gone when none is.
 * 0 or NB_ENOMEM; *out is the caller's to free (nb__headers_free). */
int nb__content_decoded_headers(const nb__headers_t *in, nb__headers_t *out);

#endif
