/*
 * Quirk table: routing hints per service (see quirks.h for what each field does).
 * The only place in core/router/ that names a service; tests/e2e/test_core_names_no_service.py
 * keeps it so. The predicates are LocalStack's rules, kept beside the row they belong to.
 */
#include "router/quirks.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "router/rest_match.h"

static bool is_digits(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return len > 0;
}

/* Queue URL paths: /<12-digit account>/<queue> and /queue/<region>/<account>/<queue>. */
static bool sqs_queue_path(const char *path) {
    const char *seg[5];
    size_t len[5], n = 0;
    const char *p = path;
    if (*p != '/')
        return false;
    p++;
    while (n < 5) {
        size_t l = strcspn(p, "/");
        seg[n] = p;
        len[n] = l;
        n++;
        if (p[l] == '\0')
            break;
        p += l + 1;
    }
    if (n > 0 && len[n - 1] == 0) /* trailing slash */
        n--;
    if (n == 2 && len[0] == 12 && is_digits(seg[0], 12) && len[1] > 0)
        return true;
    return n == 4 && len[0] == 5 && memcmp(seg[0], "queue", 5) == 0 && len[2] == 12 && is_digits(seg[2], 12) &&
           len[3] > 0;
}

/* LocalStack's last resort: what looks like S3 is S3. */
static bool looks_like_s3(const nb__http_request_t *req) {
    const char *path = req->path ? req->path : "/";
    const char *m = req->method ? req->method : "";
    while (*path == '/')
        path++;
    size_t plen = strlen(path);
    while (plen && path[plen - 1] == '/')
        plen--;
    bool one_segment = plen && memchr(path, '/', plen) == NULL;
    if ((strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) && plen)
        return true;
    /* As LocalStack: an unsigned GET / is S3's ListBuckets (an anonymous caller, which S3
     * answers AccessDenied once access control is enforced); a query Action names a query
     * service instead. Nimbus's own endpoints (/_localstack/..., /_nimbus/...) are answered
     * before routing. */
    if (strcmp(m, "GET") == 0 && plen == 0 &&
        !(req->query && nb__query_has(req->query, strlen(req->query), "Action")))
        return true;
    /* a browser's preflight for a bucket or an object (the S3 plugin answers it as LocalStack's
     * S3 CORS handler does, permissively when no such bucket exists) */
    if (strcmp(m, "OPTIONS") == 0 && plen)
        return true;
    /* beyond LocalStack's rules: unsigned deletes of buckets and objects */
    if ((strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0) && plen)
        return true;
    if (strcmp(m, "POST") == 0 && one_segment) {
        const char *ct = nb__headers_get(&req->headers, "Content-Type");
        if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0)
            return true; /* browser-based upload */
    }
    const char *ua = nb__headers_get(&req->headers, "User-Agent");
    if (ua && strstr(ua, "aws-cli/"))
        return true; /* --no-sign-request */
    if (req->query) {
        size_t qlen = strlen(req->query);
        if (nb__query_has(req->query, qlen, "AWSAccessKeyId") || nb__query_has(req->query, qlen, "Signature"))
            return true; /* presigned (SigV2) */
        if (strcmp(m, "POST") == 0 && nb__query_has(req->query, qlen, "delete"))
            return true;
        /* a bucket's metadata configuration (S3 metadata tables, 2025) */
        if (strcmp(m, "POST") == 0 && one_segment &&
            (nb__query_has(req->query, qlen, "metadataConfiguration") || nb__query_has(req->query, qlen, "metadataTable")))
            return true;
        /* multipart uploads, restores and selects on an object */
        if (strcmp(m, "POST") == 0 && plen && !one_segment &&
            (nb__query_has(req->query, qlen, "uploads") || nb__query_has(req->query, qlen, "uploadId") ||
             nb__query_has(req->query, qlen, "restore") || nb__query_has(req->query, qlen, "select")))
            return true;
    }
    const char *auth = nb__headers_get(&req->headers, "Authorization");
    return auth && strncmp(auth, "AWS ", 4) == 0;
}

const nb__route_quirks_t nb__route_quirks[] = {
    /* <bucket>.s3[.<region>].<domain>; and LocalStack's last resort */
    {.service = "s3", .vhost_label = "s3", .claims_unrouted = looks_like_s3},
    /* operations sent to a queue's URL */
    {.service = "sqs", .resource_path = sqs_queue_path},
};
const size_t nb__route_quirks_len = sizeof nb__route_quirks / sizeof *nb__route_quirks;

/* Signing names some clients use that are not any spec's metadata.signingName. */
static const struct {
    const char *signing_name, *endpoint_prefix;
} signing_aliases[] = {
    {"s3-object-lambda", "s3"}, /* S3 WriteGetObjectResponse (endpoint ruleset) */
};

const nb__route_quirks_t *nb__route_vhost_quirks(void) {
    for (size_t i = 0; i < nb__route_quirks_len; i++)
        if (nb__route_quirks[i].vhost_label)
            return &nb__route_quirks[i];
    return NULL;
}

const char *nb__route_signing_alias(const char *signing_name) {
    for (size_t i = 0; i < sizeof signing_aliases / sizeof *signing_aliases; i++)
        if (strcmp(signing_name, signing_aliases[i].signing_name) == 0)
            return signing_aliases[i].endpoint_prefix;
    return signing_name;
}
