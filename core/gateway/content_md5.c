/* The Content-MD5 check of operations that require a checksum (gateway.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/md5.h>

#include "gateway/request.h"
#include "http/body.h"
#include "util/codec.h"
#include "util/digest.h"

/* Operations whose spec requires a checksum (httpChecksumRequired, or httpChecksum's
 * requestChecksumRequired: S3 DeleteObjects, PutBucketCors, ...) get their Content-MD5
 * checked against the body, as AWS does (the upload operations, which stream, check theirs
 * in the plugin).
 * 1 when the request may go on, 0 when req->err says why not. */
int nb__check_content_md5(nb_req_t *req) {
    const char *want = req->route.op->checksum_required ? nb__http_request_header(req->http, "Content-MD5") : NULL;
    if (want == NULL)
        return 1;
    const nb__spec_t *spec = req->route.spec;
    const nb__spec_op_t *op = req->route.op;
    size_t len = 0;
    unsigned char *digest = nb__base64_decode(want, strlen(want), &len);
    if (digest == NULL || len != MD5_DIGEST_LENGTH) {
        free(digest);
        nb__aws_error_set(&req->err, spec, op, "InvalidDigest", 400, "The Content-MD5 you specified was not valid.");
        return 0;
    }
    unsigned char got[NB_DIGEST_MAX], buf[65536];
    nb_digest_t *ctx;
    int ok = nb__digest_new(NB_DIGEST_MD5, &ctx) == 0;
    int64_t off = 0, size = nb__body_size(req->http->body);
    while (ok && off < size) {
        ssize_t n = nb__body_read(req->http->body, off, buf, sizeof buf);
        ok = n > 0;
        if (ok)
            nb__digest_update(ctx, buf, (size_t)n);
        off += n > 0 ? n : 0;
    }
    if (ok)
        nb__digest_final(ctx, got);
    else
        nb__digest_free(ctx); /* NULL when new failed */
    int same = ok && memcmp(got, digest, MD5_DIGEST_LENGTH) == 0;
    free(digest);
    if (!ok) {
        nb__aws_error_set(&req->err, spec, op, "InternalError", 500, "We encountered an internal error. Please try again.");
        return 0;
    }
    if (!same) {
        nb__aws_error_set(&req->err, spec, op, "BadDigest", 400,
                          "The Content-MD5 you specified did not match what we received.");
        return 0;
    }
    return 1;
}
