/* Presigned URLs' signatures, checked in the authenticate stage when the service's setting asks
 * for it (LocalStack's S3_SKIP_SIGNATURE_VALIDATION=0; presign.c). Their expiry is the service's. */
#ifndef NB_GATEWAY_PRESIGN_H
#define NB_GATEWAY_PRESIGN_H

#include <stdbool.h>

#include "gateway/request.h"

/* true: the request goes on (no presigned query, the check is off, or the URL holds); false:
 * req->err says why not (SignatureDoesNotMatch, AccessDenied for unsigned x-amz-* headers,
 * AuthorizationQueryParametersError, ...).
 * label_path: the path with the bucket for a virtual-host request, which SigV2 signs. */
bool nb__presign_check(nb_req_t *req, const char *label_path);

/* SigV4's canonical request and string to sign of a request (both malloc'd), shared with the
 * check of header-signed requests (sigcheck.c): the query sorted without X-Amz-Signature, the
 * SignedHeaders' values (from the query when a header is absent), payload as the last line;
 * encode_path_twice: the path as sent, encoded again (every service but S3). 0 or NB_ENOMEM. */
int nb__sigv4_texts(const nb__http_request_t *http, const char *signed_headers, const char *payload,
                    bool encode_path_twice, const char *amz_date, const char *scope, char **canonical,
                    char **to_sign);

/* Whether a SignedHeaders list ("host;x-amz-date") names the header (lower case). */
bool nb__sigv4_signs_header(const char *signed_headers, const char *lname);

/* S3's SignatureDoesNotMatch (403) with the fields AWS puts beside it: AWSAccessKeyId,
 * StringToSign, SignatureProvided, their bytes, and (canonical_request not NULL) SigV4's
 * CanonicalRequest. */
void nb__sig_fail_mismatch(nb_req_t *req, const char *access_key, const char *string_to_sign, const char *sent,
                           const char *canonical_request);

#endif
