/*
 * aws-chunked framing of a request body (SigV4 streaming uploads): "<hex size>[;chunk-signature=..]
 * CRLF data CRLF" pieces up to a zero-size one, then optional trailers and CRLF. Unframed here for
 * the bodies the core parses; the signatures are not checked (Nimbus accepts any credentials).
 */
#ifndef NB_HTTP_AWS_CHUNKED_H
#define NB_HTTP_AWS_CHUNKED_H

#include <stdint.h>

#include "nimbus/plugin.h"

/* The payload of an aws-chunked body in a new in-memory body *out, which is never larger than
 * the input. 0; NB_EPROTO for bad framing; NB_ELIMIT for an input above max; NB_ENOMEM. */
int nb__aws_chunked_unframe(nb_body_t *in, uint64_t max, nb_body_t **out);

#endif
