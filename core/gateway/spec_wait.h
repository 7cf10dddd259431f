/*
 * A service's first request never reads its spec on the loop: the request parks (its
 * connection is not read meanwhile; others are served), the spec is read and parsed on
 * libuv's thread pool, and the parked requests resume on the loop once it is in. Requests
 * that arrive for a spec already being read join that read.
 */
#ifndef NB_GATEWAY_SPEC_WAIT_H
#define NB_GATEWAY_SPEC_WAIT_H

#include <stdbool.h>
#include <uv.h>

#include "spec/spec.h"

typedef struct nb_req nb_req_t;

/* Called on the loop once the read ended: read false when the spec could not be read. */
typedef void (*nb__spec_resume_fn)(nb_req_t *req, bool read);

/* Parks req until spec is read (a read is queued unless one is under way). false when it could
 * not be queued (no memory, the pool refused): the caller reads it now. */
bool nb__spec_wait(uv_loop_t *loop, const nb__spec_t *spec, nb_req_t *req, nb__spec_resume_fn resume);
/* Starts reading spec unless a read is under way, with no one waiting yet: a request's head
 * asks for its service's spec, which its body's arrival then hides. */
void nb__spec_prefetch(uv_loop_t *loop, const nb__spec_t *spec);

#endif
