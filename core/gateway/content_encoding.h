/*
 * Content-Encoding of the bodies the core parses (JSON, XML, form, CBOR): gzip, as SDKs
 * send when request compression is on (CloudWatch PutMetricData), alone or inside aws-chunked
 * framing. The decoded body is held to the same limit as one sent uncompressed. A streaming
 * payload (S3 PutObject) is the handler's and stays as sent: S3 keeps Content-Encoding as
 * the object's metadata.
 */
#ifndef NB_GATEWAY_CONTENT_ENCODING_H
#define NB_GATEWAY_CONTENT_ENCODING_H

#include <stdbool.h>

#include "gateway/request.h"

/* The body to parse: *decoded a new body (the caller frees it) when the request's is encoded,
 * else NULL (parse the body as received). 1 to go on, 0 when req->err says why not: the
 * operation's too-large error past its limit, a 400 for a body that does not decode. */
int nb__decode_content_encoding(nb_req_t *req, nb_body_t **decoded);

#endif
