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

#endif
