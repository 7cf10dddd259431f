/* ENFORCE_IAM=1's signature check (sigcheck.c), in the authenticate stage: SigV4 requests signed
 * with a key in the credential registry verified against its secret, session token, expiration
 * and the request's time; keys of AWS's form nobody issued refused; the root account's keys pass. */
#ifndef NB_GATEWAY_SIGCHECK_H
#define NB_GATEWAY_SIGCHECK_H

#include <stdbool.h>

#include "gateway/request.h"

/* true: the request goes on (the setting is off, the key is not checked, or the signature
 * holds); false: req->err says why not, in the service's words (SignatureDoesNotMatch,
 * ExpiredToken, InvalidClientTokenId / InvalidAccessKeyId, RequestTimeTooSkewed, ...).
 * head_only: no body yet (a 100-continue head): a signature over the body's hash waits for
 * the request's full pass. */
bool nb__sigcheck(nb_req_t *req, bool head_only);

#endif
