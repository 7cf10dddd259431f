/* Presigned URLs' signatures, checked in the authenticate stage when the service's setting asks
 * for it (LocalStack's S3_SKIP_SIGNATURE_VALIDATION=0; presign.c). Their expiry is the service's. */
#ifndef NB_GATEWAY_PRESIGN_H
#define NB_GATEWAY_PRESIGN_H

#include <stdbool.h>

#include "gateway/request.h"
#include "gateway/sigv4_params.h"

/* true: the request goes on (no presigned query, the check is off, or the URL holds); false:
 * req->err says why not (SignatureDoesNotMatch, AccessDenied for unsigned x-amz-* headers,
 * AuthorizationQueryParametersError, ...).
 * label_path: the path with the bucket for a virtual-host request, which SigV2 signs. */
bool nb__presign_check(nb_req_t *req, const char *label_path);

/* AuthorizationQueryParametersError for a presigned URL's parameters as AWS words it: false,
 * or true for NB_SIGV4_QUERY_OK. Shared with the check of issued keys (sigcheck.c). */
bool nb__presign_fail_form(nb_req_t *req, nb__sigv4_query_form_t form);

/* S3's SignatureDoesNotMatch (403) with the fields AWS puts beside it: AWSAccessKeyId,
 * StringToSign, SignatureProvided, their bytes, and (canonical_request not NULL) SigV4's
 * CanonicalRequest. */
void nb__sig_fail_mismatch(nb_req_t *req, const char *access_key, const char *string_to_sign, const char *sent,
                           const char *canonical_request);

#endif
