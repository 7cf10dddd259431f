/* Test helper: an nb__http_request_t from raw HTTP/1.1 text (request line,
 * headers, blank line, body). Header-only so each test executable has it. */
#ifndef NB_TEST_RAW_REQUEST_H
#define NB_TEST_RAW_REQUEST_H

#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "http/message.h"

/* 0 on success; the request is freed with nb__http_request_free(). Lines end
 * with "\r\n" or "\n". */
static inline int nb_test_parse_request(const char *raw, size_t len, nb__http_request_t *req) {
    memset(req, 0, sizeof *req);
    const char *p = raw, *end = raw + len;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL)
        return -1;
    size_t ll = (size_t)(eol - p);
    if (ll && p[ll - 1] == '\r')
        ll--;
    const char *sp1 = memchr(p, ' ', ll);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(p + ll - sp1 - 1)) : NULL;
    if (sp1 == NULL || sp2 == NULL)
        return -1;
    req->method = strndup(p, (size_t)(sp1 - p));
    req->target = strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    const char *qm = strchr(req->target, '?');
    req->path = qm ? strndup(req->target, (size_t)(qm - req->target)) : strdup(req->target);
    req->query = qm ? strdup(qm + 1) : NULL;
    p = eol + 1;
    for (;;) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            break;
        ll = (size_t)(eol - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        if (ll == 0) {
            p = eol + 1;
            break;
        }
        const char *colon = memchr(p, ':', ll);
        if (colon) {
            const char *v = colon + 1;
            while (v < p + ll && (*v == ' ' || *v == '\t'))
                v++;
            nb__headers_addn(&req->headers, p, (size_t)(colon - p), v, (size_t)(p + ll - v));
        }
        p = eol + 1;
    }
    if (p > end)
        p = end;
    req->body = nb__body_from_mem(p, (size_t)(end - p));
    return req->body ? 0 : -1;
}

static inline int nb_test_request(const char *raw, nb__http_request_t *req) {
    return nb_test_parse_request(raw, strlen(raw), req);
}

#endif
