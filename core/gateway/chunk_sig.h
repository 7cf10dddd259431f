/*
 * ENFORCE_IAM=1 for bodies signed chunk by chunk (x-amz-content-sha256:
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD, and -TRAILER with an x-amz-trailer-signature): each
 * aws-chunked piece carries a chunk-signature chained from the request's seed signature, checked
 * here over the framed body as received (memory or its spill file, read a block at a time) before
 * the service decodes it. Called by sigcheck.c once the seed signature holds.
 */
#ifndef NB_GATEWAY_CHUNK_SIG_H
#define NB_GATEWAY_CHUNK_SIG_H

#include <stdbool.h>

#include "gateway/request.h"
#include "util/digest.h"

typedef enum nb__chunk_signing {
    NB_CHUNKS_UNSIGNED, /* any other payload line: nothing here to check */
    NB_CHUNKS_SIGNED,   /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    NB_CHUNKS_SIGNED_TRAILER /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
} nb__chunk_signing_t;

/* What the payload line of the canonical request (x-amz-content-sha256) says of the chunks. */
nb__chunk_signing_t nb__chunk_signing_of(const char *payload);

/* true when every chunk's signature (and the trailer's) holds; false with S3's
 * SignatureDoesNotMatch in req->err when one does not, or when the framing hides one.
 * key: the scope's signing key; seed: the request's signature. */
bool nb__chunk_sigs_verify(nb_req_t *req, const nb_hmac_key_t *key, nb__chunk_signing_t framing, const char *amz_date,
                           const char *scope, const char *seed);

#endif
