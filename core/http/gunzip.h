/*
 * gzip content coding of request bodies (RFC 9110 8.4.1.3), decoded in bounded memory:
 * the output never grows past the caller's limit, so a small body that inflates without
 * end (a gzip bomb) costs at most that limit, not what it would expand to.
 */
#ifndef NB_HTTP_GUNZIP_H
#define NB_HTTP_GUNZIP_H

#include <stdbool.h>
#include <stdint.h>

#include "nimbus/plugin.h"

/* The body in, inflated into a new in-memory body *out (owned by the caller). One or more
 * gzip members back to back, as RFC 1952 allows. 0; NB_ELIMIT once the output would pass
 * max bytes (decoding stops there); NB_EPROTO for a body that is not gzip, or is cut short;
 * NB_ENOMEM, NB_EIO. With prefix, no NB_ELIMIT: the first max bytes decoded are the answer
 * (for a look at the head of a body, as the router's at a form's Action). */
int nb__gunzip_body(nb_body_t *in, uint64_t max, bool prefix, nb_body_t **out);

#endif
