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

/* The request as its parse sees it: view, a copy of req->http, gets the decoded body and the
 * headers it leaves (Content-Encoding without the codings taken off) when the body is encoded;
 * else it stays as is. 1 to go on (release the view with nb__decoded_view_release), 0 when
 * req->err says why not: the operation's too-large error past its limit, a 400 for a body
 * that does not decode. */
int nb__decoded_view(nb_req_t *req, nb__http_request_t *view);
void nb__decoded_view_release(const nb_req_t *req, nb__http_request_t *view);

#endif
