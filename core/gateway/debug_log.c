/* DEBUG=1: each request and its response written to the log, without the secrets.
 *
 * A developer pastes this log into issues and chat, so what would let someone act as them
 * or read their data never appears in it:
 * - credentials: the signature of `Authorization` (the access key id and signed headers
 *   stay, they help debugging), `X-Amz-Security-Token`, SSE-C keys, cookies, and the same
 *   values in a presigned URL's query string;
 * - values the spec marks `sensitive` (KMS plaintexts, Secrets Manager values, SSM
 *   SecureStrings, STS secret keys, Lambda environment variables, ...): the header that
 *   carries one is masked, and a body that may carry one is left out whole (its size is
 *   shown), in the request and in the response. The spec is the one source: a service that
 *   lands later is covered by its spec's traits, without a list here to keep up to date. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/request.h"
#include "http/body.h"
#include "proto/shape.h"

#define BODY_SHOWN 2048
#define REDACTED "<redacted>"

/* Headers that hold a credential or a key whatever the service. */
static const char *const secret_headers[] = {
    "x-amz-security-token",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "cookie",
    "set-cookie",
    "proxy-authorization",
    NULL,
};

/* Query parameters that hold a credential (presigned URLs, SigV2 query signing). */
static const char *const secret_params[] = {
    "X-Amz-Signature", "X-Amz-Security-Token", "Signature", "SecurityToken", NULL,
};

/* ---- What the spec marks sensitive ---- */

typedef struct seen {
    const json_t **items;
    size_t len, cap;
} seen_t;

static bool seen_add(seen_t *s, const json_t *shape) {
    for (size_t i = 0; i < s->len; i++)
        if (s->items[i] == shape)
            return false;
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        const json_t **items = realloc(s->items, cap * sizeof *items);
        if (items == NULL)
            return true; /* walk it again rather than miss a secret */
        s->items = items;
        s->cap = cap;
    }
    s->items[s->len++] = shape;
    return true;
}

/* Whether a value of this member (ref + its shape) may hold something sensitive. */
static bool ref_sensitive(const nb__spec_t *spec, const json_t *ref, seen_t *seen, int depth) {
    const json_t *shape = nb__spec_ref_shape(spec, ref);
    if (nb__trait_bool(ref, shape, "sensitive"))
        return true;
    if (shape == NULL || depth > 64 || !seen_add(seen, shape))
        return false;
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE: {
        const char *name;
        const json_t *member;
        json_object_foreach((json_t *)json_object_get(shape, "members"), name, member) {
            if (ref_sensitive(spec, member, seen, depth + 1))
                return true;
        }
        return false;
    }
    case NB_SHAPE_LIST:
        return ref_sensitive(spec, json_object_get(shape, "member"), seen, depth + 1);
    case NB_SHAPE_MAP:
        return ref_sensitive(spec, json_object_get(shape, "key"), seen, depth + 1) ||
               ref_sensitive(spec, json_object_get(shape, "value"), seen, depth + 1);
    default:
        return false;
    }
}

/* Where an operation's input or output may carry a sensitive value: the names of the
 * headers that may (in *headers, up to max), and whether the body or the query string may. */
typedef struct exposure {
    const char *headers[16];
    size_t nheaders;
    bool all_headers, body, query, path;
} exposure_t;

static void exposure_of(const nb__spec_t *spec, const json_t *structure, exposure_t *e) {
    memset(e, 0, sizeof *e);
    if (spec == NULL || structure == NULL)
        return;
    seen_t seen = {0};
    nb__member_iter_t it;
    nb__member_t m;
    for (nb__member_iter_init(&it, spec, structure); nb__member_next(&it, &m);) {
        seen.len = 0;
        if (!ref_sensitive(spec, m.ref, &seen, 0))
            continue;
        const char *loc = nb__member_location(&m);
        if (loc && strcmp(loc, "header") == 0 && e->nheaders < sizeof e->headers / sizeof *e->headers)
            e->headers[e->nheaders++] = nb__member_location_name(&m);
        else if (loc && strcmp(loc, "header") == 0)
            e->all_headers = true;
        else if (loc && strcmp(loc, "querystring") == 0)
            e->query = true;
        else if (loc && strcmp(loc, "uri") == 0)
            e->path = e->query = true;
        else if (loc && strcmp(loc, "headers") == 0) /* a prefixed header map: any header may be one */
            e->all_headers = true;
        else
            e->body = true;
    }
    free(seen.items);
}

/* ---- Writing it out ---- */

static bool in_list(const char *const *list, const char *name) {
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(list[i], name) == 0)
            return true;
    return false;
}

static void print_header(FILE *f, char dir, const char *name, const char *value, const exposure_t *e) {
    bool secret = e->all_headers || in_list(secret_headers, name);
    for (size_t i = 0; !secret && i < e->nheaders; i++)
        secret = strcasecmp(e->headers[i], name) == 0;
    if (secret) {
        fprintf(f, "    %c %s: " REDACTED "\n", dir, name);
        return;
    }
    /* AWS4-HMAC-SHA256 Credential=AKID/..., SignedHeaders=..., Signature=<hex>; also SigV2's
     * "AWS AKID:signature": everything after the marker is the secret part. */
    const char *cut = NULL;
    if (strcasecmp(name, "authorization") == 0) {
        cut = strstr(value, "Signature=");
        cut = cut ? cut + strlen("Signature=") : strchr(value, ':') ? strchr(value, ':') + 1 : value;
    }
    if (cut)
        fprintf(f, "    %c %s: %.*s" REDACTED "\n", dir, name, (int)(cut - value), value);
    else
        fprintf(f, "    %c %s: %s\n", dir, name, value);
}

/* The request line with the values of credential parameters (or of every parameter,
 * when the query may carry a sensitive member, and the path when a label may) masked. */
static void print_request_line(FILE *f, const char *method, const char *target, const exposure_t *e) {
    const char *q = strchr(target, '?');
    if (q == NULL)
        q = target + strlen(target);
    if (e->path)
        fprintf(f, "    > %s " REDACTED, method);
    else
        fprintf(f, "    > %s %.*s", method, (int)(q - target), target);
    bool mask_all = e->query;
    const char *p = q;
    while (*p) {
        /* p is at '?' or '&': one parameter up to the next '&' */
        const char *end = strchr(p + 1, '&');
        if (end == NULL)
            end = p + strlen(p);
        const char *eq = memchr(p + 1, '=', (size_t)(end - p - 1));
        bool secret = false;
        if (eq) {
            secret = mask_all;
            for (size_t i = 0; !secret && secret_params[i]; i++)
                secret = (size_t)(eq - p - 1) == strlen(secret_params[i]) &&
                         strncasecmp(p + 1, secret_params[i], (size_t)(eq - p - 1)) == 0;
        }
        if (secret)
            fprintf(f, "%.*s" REDACTED, (int)(eq + 1 - p), p);
        else
            fprintf(f, "%.*s", (int)(end - p), p);
        p = end;
    }
    fputc('\n', f);
}

/* A body cut at BODY_SHOWN bytes, or only its size when it may carry a sensitive value. */
static void print_body(FILE *f, char dir, const char *data, int64_t size, bool secret, const char *op) {
    if (size <= 0)
        return;
    if (secret)
        fprintf(f, "    %c " REDACTED " (%lld bytes: %s carries sensitive values)\n", dir, (long long)size, op);
    else if (data && *data)
        fprintf(f, "    %c %.*s\n", dir, (int)(size < BODY_SHOWN ? size : BODY_SHOWN), data);
}

void nb__debug_log_exchange(FILE *f, const nb_req_t *req, const nb__http_response_t *resp) {
    const nb__http_request_t *h = req->http;
    const nb__spec_t *spec = req->route.spec;
    const nb__spec_op_t *op = req->route.op;
    const char *op_name = op ? op->name : "the operation";
    exposure_t in, out;
    exposure_of(spec, op ? op->input : NULL, &in);
    exposure_of(spec, op ? op->output : NULL, &out);
    /* query and ec2 read their parameters from the query string as well as the body */
    if (in.body && (req->route.protocol == NB_PROTO_QUERY || req->route.protocol == NB_PROTO_EC2))
        in.query = true;

    print_request_line(f, h->method, h->target, &in);
    for (size_t i = 0; i < h->headers.len; i++)
        print_header(f, '>', h->headers.items[i].name, h->headers.items[i].value, &in);
    print_body(f, '>', nb__body_data(h->body, BODY_SHOWN), nb__body_size(h->body), in.body, op_name);

    fprintf(f, "    < %d\n", resp->status);
    for (size_t i = 0; i < resp->headers.len; i++)
        print_header(f, '<', resp->headers.items[i].name, resp->headers.items[i].value, &out);
    print_body(f, '<', resp->body.data, (int64_t)resp->body.len, out.body && !req->has_error, op_name);
    if (req->has_error && req->err.message)
        fprintf(f, "    error: %s\n", req->err.message);
}
