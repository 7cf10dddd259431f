#include "router/router.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "http/content_decode.h"
#include "http/gunzip.h"
#include "nimbus/errno.h"
#include "router/context.h"
#include "router/quirks.h"
#include "router/rest_match.h"

/* Form bodies larger than this are not read for routing (an Action is near the start). */
#define NB_ROUTER_FORM_MAX (16u << 20)
/* How much of a gzip'd form the router decodes to find its Action: routing stays cheap. */
#define NB_ROUTER_GZIP_FORM_HEAD (64u << 10)
/* At most this many services share one indicator (signing name, target prefix). */
#define MAX_CANDIDATES 32

typedef struct svc {
    const nb__spec_t *spec;
    nb__rest_table_t *rest; /* for specs that speak rest-json or rest-xml */
} svc_t;

/* First literal path segment of REST routes -> the one service using it. */
typedef struct head {
    char *seg;
    const svc_t *svc; /* NULL: several services start their paths with it */
} head_t;

typedef struct info {
    const nb__http_request_t *req;
    nb__credential_t cred;
    const char *signing_name; /* after aliases; NULL without a SigV4 scope */
    const char *target;       /* X-Amz-Target */
    size_t target_prefix_len; /* bytes before the '.', 0 when there is none */
    const char *target_op;
    bool cbor;            /* Smithy-Protocol: rpc-v2-cbor with a /service/X/operation/Y path */
    const char *cbor_svc; /* X, cbor_svc_len bytes */
    size_t cbor_svc_len;
    const char *cbor_op; /* Y, up to the end of the path */
    size_t cbor_op_len;
    char host[256]; /* lower case, without the port */
    char resource[256]; /* <resource>.<label>.<...>: a bucket */
    bool vhost_host;    /* <label>.<...> or <resource>.<label>.<...> (quirks.c) */
    /* Action and Version, from the query string or a form body (looked up once) */
    bool params_done;
    bool body_unread; /* a form without its Action in the query, routed before its body came */
    bool has_action, has_version;
    char action[128];
    char version[32];
    bool no_read;                /* route without reading a spec (nb__router_route_unread) */
    const nb__spec_t *unread;    /* the first stub routing needed read */
} info_t;

struct nb__router {
    svc_t *svcs; /* the shipped services (and those a plugin carries a spec for) */
    size_t n;
    svc_t *cat;  /* the catalogue's (spec->catalog): found only by what a request names (signing
                  * name, target, cbor service), and only when no service of svcs is meant */
    size_t ncat;
    bool heads_built; /* heads are built on the first request that needs them */
    head_t *heads;
    size_t nheads;
    char **hostnames; /* extra virtual-host domains, ".example.test" */
    size_t nhostnames;
    /* quirk_svcs[i]: the loaded service nb__route_quirks[i] is about, NULL when none is */
    const svc_t **quirk_svcs;
    const svc_t *vhost; /* the service virtual hosts address (quirks.c), NULL when not loaded */
    /* What the head of a form request said about itself (headers, path, credential scope) when
     * its Action may be in the body still to come: routing it again once the body is in reads
     * only the body's parameters (a query-protocol request is routed twice). */
    const nb__http_request_t *head_req;
    info_t head_info;
};

/* ---- building ---- */

static void add_head(void *arg, const char *seg, size_t len) {
    struct {
        nb__router_t *r;
        const svc_t *svc;
        int err;
    } *ctx = arg;
    nb__router_t *r = ctx->r;
    for (size_t i = 0; i < r->nheads; i++) {
        if (strlen(r->heads[i].seg) == len && memcmp(r->heads[i].seg, seg, len) == 0) {
            if (r->heads[i].svc != ctx->svc)
                r->heads[i].svc = NULL;
            return;
        }
    }
    head_t *grown = realloc(r->heads, (r->nheads + 1) * sizeof *grown);
    if (grown == NULL) {
        ctx->err = NB_ENOMEM;
        return;
    }
    r->heads = grown;
    r->heads[r->nheads].seg = strndup(seg, len);
    if (r->heads[r->nheads].seg == NULL) {
        ctx->err = NB_ENOMEM;
        return;
    }
    r->heads[r->nheads++].svc = ctx->svc;
}

static bool speaks(const nb__spec_t *spec, nb__protocol_t p) {
    unsigned ps = spec->protocols ? spec->protocols : NB_PROTO_BIT(spec->protocol);
    return (ps & NB_PROTO_BIT(p)) != 0;
}

/* ---- what a request says about itself ---- */


/* A service's operations and REST matcher, made on first use: its spec is a stub until then.
 * The router runs on the loop thread only, so filling them in through a const pointer is safe.
 * Asked not to read (in->no_read), a stub is left as it is and named in in->unread: the
 * caller has it read off the loop and routes again. */
static bool ensure_ops(const svc_t *cs, info_t *in) {
    svc_t *s = (svc_t *)cs;
    nb__spec_t *spec = (nb__spec_t *)s->spec;
    if (spec->stub && in && in->no_read) {
        if (in->unread == NULL)
            in->unread = spec;
        return false;
    }
    if (spec->stub) {
        char *err = NULL;
        int rc = nb__spec_load_shapes(spec, &err);
        free(err); /* the request gets the unknown-operation answer; the next one tries again */
        if (rc != 0)
            return false;
    }
    if (s->rest == NULL && (speaks(spec, NB_PROTO_REST_JSON) || speaks(spec, NB_PROTO_REST_XML)) &&
        (s->rest = nb__rest_table_new(spec)) == NULL)
        return false; /* out of memory: tried again on the next request */
    return true;
}

/* First literal path segments of every shipped REST service's routes (from the index for a spec
 * not read yet), on the first request routed by its path (no signing name, no target). */
static int ensure_heads(const nb__router_t *cr) {
    nb__router_t *r = (nb__router_t *)cr;
    if (r->heads_built)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        const svc_t *s = &r->svcs[i];
        struct {
            nb__router_t *r;
            const svc_t *svc;
            int err;
        } ctx = {r, s, 0};
        if (s->spec->stub) { /* the index has them: the spec stays unread */
            for (const char *h = s->spec->index_heads; h && *h && !ctx.err; h += strcspn(h, ",") + (h[strcspn(h, ",")] != 0))
                add_head(&ctx, h, strcspn(h, ","));
        } else if (s->rest) {
            nb__rest_table_literal_heads(s->rest, add_head, &ctx);
        }
        if (ctx.err)
            return ctx.err;
    }
    r->heads_built = true;
    return 0;
}

nb__router_t *nb__router_new(const nb__spec_set_t *specs) {
    nb__router_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    if (specs->len) {
        r->svcs = calloc(specs->len, sizeof *r->svcs);
        r->cat = calloc(specs->len, sizeof *r->cat);
        if (r->svcs == NULL || r->cat == NULL)
            goto fail;
    }
    r->quirk_svcs = calloc(nb__route_quirks_len, sizeof *r->quirk_svcs);
    if (r->quirk_svcs == NULL)
        goto fail;
    const nb__route_quirks_t *vhost = nb__route_vhost_quirks();
    for (size_t i = 0; i < specs->len; i++) {
        if (specs->items[i]->catalog) {
            r->cat[r->ncat++].spec = specs->items[i];
            continue;
        }
        svc_t *s = &r->svcs[r->n++];
        s->spec = specs->items[i];
        /* a spec loaded already (a test's, a plugin's carried one) gets its matcher now */
        if (!s->spec->stub && !ensure_ops(s, NULL))
            goto fail;
        const char *ep = s->spec->endpoint_prefix;
        for (size_t q = 0; ep && q < nb__route_quirks_len; q++) {
            if (r->quirk_svcs[q] == NULL && strcmp(ep, nb__route_quirks[q].service) == 0) {
                r->quirk_svcs[q] = s;
                if (&nb__route_quirks[q] == vhost)
                    r->vhost = s;
            }
        }
    }
    return r;
fail:
    nb__router_free(r);
    return NULL;
}

void nb__router_free(nb__router_t *r) {
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        nb__rest_table_free(r->svcs[i].rest);
    for (size_t i = 0; i < r->ncat; i++)
        nb__rest_table_free(r->cat[i].rest);
    free(r->svcs);
    free(r->cat);
    for (size_t i = 0; i < r->nheads; i++)
        free(r->heads[i].seg);
    free(r->heads);
    for (size_t i = 0; i < r->nhostnames; i++)
        free(r->hostnames[i]);
    free(r->hostnames);
    free(r->quirk_svcs);
    free(r);
}

int nb__router_add_hostname(nb__router_t *r, const char *hostname) {
    if (r == NULL || hostname == NULL)
        return NB_EINVAL;
    while (*hostname == '.')
        hostname++;
    size_t len = strcspn(hostname, ":/");
    if (len == 0 || len > 200)
        return NB_EINVAL;
    char **grown = realloc(r->hostnames, (r->nhostnames + 1) * sizeof *grown);
    if (grown == NULL)
        return NB_ENOMEM;
    r->hostnames = grown;
    char *h = malloc(len + 2);
    if (h == NULL)
        return NB_ENOMEM;
    h[0] = '.';
    for (size_t i = 0; i < len; i++)
        h[i + 1] = (char)tolower((unsigned char)hostname[i]);
    h[len + 1] = '\0';
    r->hostnames[r->nhostnames++] = h;
    return 0;
}

/* ---- what a request says about itself ---- */


static bool is_form(const nb__http_request_t *req) {
    const char *ct = nb__headers_get(&req->headers, "Content-Type");
    return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static void load_params(info_t *in) {
    if (in->params_done)
        return;
    in->params_done = true;
    const nb__http_request_t *req = in->req;
    if (req->query) {
        size_t qlen = strlen(req->query);
        in->has_action = nb__query_get(req->query, qlen, "Action", in->action, sizeof in->action) != NULL;
        in->has_version = nb__query_get(req->query, qlen, "Version", in->version, sizeof in->version) != NULL;
    }
    if (in->has_action || !is_form(req))
        return;
    if (req->body == NULL || nb__body_size(req->body) <= 0) {
        in->body_unread = true;
        return;
    }
    nb_body_t *body = req->body, *decoded = NULL;
    /* A gzip'd form (aws-chunked frames uploads, not forms): its head holds Action and Version,
     * which SDKs write first. */
    if (nb__content_codings(req).gzip && nb__gunzip_body(body, NB_ROUTER_GZIP_FORM_HEAD, true, &decoded) == 0)
        body = decoded;
    const char *form = nb__body_data(body, NB_ROUTER_FORM_MAX);
    if (form != NULL) {
        size_t flen = (size_t)nb__body_size(body);
        in->has_action = nb__query_get(form, flen, "Action", in->action, sizeof in->action) != NULL;
        if (!in->has_version)
            in->has_version = nb__query_get(form, flen, "Version", in->version, sizeof in->version) != NULL;
    }
    if (decoded)
        nb__body_free(decoded);
}

static const char *localstack_suffixes[] = {".localhost.localstack.cloud", ".amazonaws.com", ".localhost"};

/* Is label a region name ("us-east-1")? Letters, digits and dashes with a dash. */
static bool region_like(const char *s, size_t len) {
    bool dash = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '-')
            dash = true;
        else if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return false;
    }
    return dash && len > 0;
}

static size_t suffix_len(const char *host, size_t hlen, const char *suffix) {
    size_t l = strlen(suffix);
    return hlen > l && strcmp(host + hlen - l, suffix) == 0 ? l : 0;
}

/* <resource>.<label>[.<region>].<suffix> and <label>[.<region>].<suffix>, for the label of
 * the virtual-host quirk. */
static void parse_vhost_host(info_t *in, const nb__router_t *r) {
    const nb__route_quirks_t *vq = nb__route_vhost_quirks();
    if (vq == NULL)
        return;
    const char *label = vq->vhost_label;
    size_t llen = strlen(label);
    size_t hlen = strlen(in->host), slen = 0;
    for (size_t i = 0; r && i < r->nhostnames && slen == 0; i++)
        slen = suffix_len(in->host, hlen, r->hostnames[i]);
    for (size_t i = 0; i < sizeof localstack_suffixes / sizeof *localstack_suffixes && slen == 0; i++)
        slen = suffix_len(in->host, hlen, localstack_suffixes[i]);
    if (slen == 0)
        return;
    size_t plen = hlen - slen; /* the labels before the suffix */
    const char *h = in->host;
    size_t label_at;
    const char *dot = plen ? memrchr(h, '.', plen) : NULL;
    size_t last = dot ? (size_t)(dot - h) + 1 : 0; /* start of the last label */
    if (plen - last == llen && memcmp(h + last, label, llen) == 0) {
        label_at = last;
    } else if (last > 0 && region_like(h + last, plen - last)) {
        const char *dot2 = memrchr(h, '.', last - 1);
        size_t prev = dot2 ? (size_t)(dot2 - h) + 1 : 0;
        if (last - 1 - prev != llen || memcmp(h + prev, label, llen) != 0)
            return;
        label_at = prev;
    } else {
        return;
    }
    in->vhost_host = true;
    if (label_at > 1 && label_at - 1 < sizeof in->resource) {
        memcpy(in->resource, h, label_at - 1);
        in->resource[label_at - 1] = '\0';
    }
}

static void read_info(info_t *in, const nb__http_request_t *req, const nb__router_t *r) {
    memset(in, 0, sizeof *in);
    in->req = req;
    if (nb__credential_parse(req, &in->cred) && in->cred.sigv4 && in->cred.service[0]) {
        in->signing_name = nb__route_signing_alias(in->cred.service);
    }
    in->target = nb__headers_get(&req->headers, "X-Amz-Target");
    if (in->target && *in->target) {
        /* operation names have no dot; some target prefixes might */
        const char *dot = strrchr(in->target, '.');
        in->target_prefix_len = dot ? (size_t)(dot - in->target) : 0;
        in->target_op = dot ? dot + 1 : in->target;
    } else {
        in->target = NULL;
    }
    const char *smithy = nb__headers_get(&req->headers, "Smithy-Protocol");
    const char *path = req->path ? req->path : "/";
    if (smithy && strcasecmp(smithy, "rpc-v2-cbor") == 0 && strncmp(path, "/service/", 9) == 0) {
        const char *svc = path + 9;
        const char *op = strstr(svc, "/operation/");
        if (op && op > svc && memchr(svc, '/', (size_t)(op - svc)) == NULL && op[11] != '\0' &&
            strchr(op + 11, '/') == NULL) {
            in->cbor = true;
            in->cbor_svc = svc;
            in->cbor_svc_len = (size_t)(op - svc);
            in->cbor_op = op + 11;
            in->cbor_op_len = strlen(in->cbor_op);
        }
    }
    const char *host = nb__headers_get(&req->headers, "Host");
    if (host) {
        size_t n = 0;
        if (*host == '[') { /* IPv6 literal: keep the brackets, drop the port */
            const char *close = strchr(host, ']');
            n = close ? (size_t)(close - host) + 1 : strlen(host);
        } else {
            n = strcspn(host, ":");
        }
        if (n >= sizeof in->host)
            n = sizeof in->host - 1;
        for (size_t i = 0; i < n; i++)
            in->host[i] = (char)tolower((unsigned char)host[i]);
        in->host[n] = '\0';
        parse_vhost_host(in, r);
    }
}

/* ---- operations ---- */

static const nb__spec_op_t *op_by_name(const nb__spec_t *spec, const char *s, size_t len) {
    char buf[128];
    if (len == 0 || len >= sizeof buf)
        return NULL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return nb__spec_op(spec, buf);
}

/* "/<resource>" + path into buf (len bytes); the length, or 0 if it does not fit. */
static size_t vhost_path(const info_t *in, const char *path, size_t plen, char *buf, size_t len) {
    size_t blen = strlen(in->resource);
    if (blen + plen + 2 > len)
        return 0;
    buf[0] = '/';
    memcpy(buf + 1, in->resource, blen);
    size_t n = 1 + blen;
    if (!(plen == 1 && path[0] == '/')) {
        memcpy(buf + n, path, plen);
        n += plen;
    }
    buf[n] = '\0';
    return n;
}

static nb__rest_hit_t rest_op(const nb__router_t *r, const svc_t *s, const info_t *in, bool *used_vhost) {
    const nb__http_request_t *req = in->req;
    const char *path = req->path ? req->path : "/";
    size_t plen = strlen(path);
    nb__rest_hit_t hit = {NULL, false};
    *used_vhost = false;
    if (s == r->vhost && in->resource[0]) {
        /* virtual host: the resource from the Host goes in front of the path */
        char small[1024];
        size_t cap = strlen(in->resource) + plen + 2;
        char *buf = cap <= sizeof small ? small : malloc(cap);
        if (buf) {
            size_t n = vhost_path(in, path, plen, buf, cap);
            hit = nb__rest_match(s->rest, req->method, buf, n, req->query, &req->headers);
            if (buf != small)
                free(buf);
            *used_vhost = hit.op != NULL;
            if (hit.op && hit.complete)
                return hit;
        }
        /* a route without the resource (a host that names something else: WriteGetObjectResponse) */
        nb__rest_hit_t plain = nb__rest_match(s->rest, req->method, path, plen, req->query, &req->headers);
        if (plain.op && (plain.complete || hit.op == NULL)) {
            *used_vhost = false;
            return plain;
        }
        return hit;
    }
    return nb__rest_match(s->rest, req->method, path, plen, req->query, &req->headers);
}

static const nb__spec_op_t *find_op(const nb__router_t *r, const svc_t *s, info_t *in, nb__protocol_t proto) {
    if (!ensure_ops(s, in))
        return NULL;
    switch (proto) {
    case NB_PROTO_JSON:
        return in->target ? op_by_name(s->spec, in->target_op, strlen(in->target_op)) : NULL;
    case NB_PROTO_CBOR:
        return in->cbor ? op_by_name(s->spec, in->cbor_op, in->cbor_op_len) : NULL;
    case NB_PROTO_QUERY:
    case NB_PROTO_EC2:
        load_params(in);
        return in->has_action ? nb__spec_op(s->spec, in->action) : NULL;
    case NB_PROTO_REST_JSON:
    case NB_PROTO_REST_XML:
        if (s->rest == NULL)
            return NULL;
        bool used_vhost;
        return rest_op(r, s, in, &used_vhost).op;
    default:
        return NULL;
    }
}

static bool json_content(const nb__http_request_t *req) {
    const char *ct = nb__headers_get(&req->headers, "Content-Type");
    return ct && strncasecmp(ct, "application/x-amz-json-", 23) == 0;
}

static nb__protocol_t pick_protocol(const nb__spec_t *spec, info_t *in) {
    unsigned ps = spec->protocols ? spec->protocols : NB_PROTO_BIT(spec->protocol);
    if ((ps & (ps - 1)) == 0)
        return spec->protocol;
    if (in->cbor && (ps & NB_PROTO_BIT(NB_PROTO_CBOR)))
        return NB_PROTO_CBOR;
    if (in->target && json_content(in->req) && (ps & NB_PROTO_BIT(NB_PROTO_JSON)))
        return NB_PROTO_JSON;
    if (ps & (NB_PROTO_BIT(NB_PROTO_QUERY) | NB_PROTO_BIT(NB_PROTO_EC2))) {
        load_params(in);
        if (in->has_action)
            return (ps & NB_PROTO_BIT(NB_PROTO_QUERY)) ? NB_PROTO_QUERY : NB_PROTO_EC2;
    }
    if (in->target && (ps & NB_PROTO_BIT(NB_PROTO_JSON)))
        return NB_PROTO_JSON;
    return spec->protocol;
}

/* ---- services ---- */

typedef struct cands {
    const svc_t *items[MAX_CANDIDATES];
    size_t n;
} cands_t;

static void cands_add(cands_t *c, const svc_t *s) {
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i] == s)
            return;
    if (c->n < MAX_CANDIDATES)
        c->items[c->n++] = s;
}

/* Keeps the candidates keep() accepts, unless that would leave none. */
static void cands_filter(cands_t *c, bool (*keep)(const svc_t *, info_t *), info_t *in) {
    size_t kept = 0;
    for (size_t i = 0; i < c->n; i++)
        kept += keep(c->items[i], in);
    if (kept == 0 || kept == c->n)
        return;
    size_t j = 0;
    for (size_t i = 0; i < c->n; i++)
        if (keep(c->items[i], in))
            c->items[j++] = c->items[i];
    c->n = j;
}

static bool has_target_op(const svc_t *s, info_t *in) {
    return ensure_ops(s, in) && op_by_name(s->spec, in->target_op, strlen(in->target_op)) != NULL;
}

static bool prefix_eq(const char *prefix, const char *s, size_t len);

/* The X-Amz-Target prefix names the API (KinesisAnalytics_20150814 vs _20180523). */
static bool has_target_prefix(const svc_t *s, info_t *in) {
    return prefix_eq(s->spec->target_prefix, in->target, in->target_prefix_len);
}

/* Without X-Amz-Target a service that only speaks json or cbor cannot be meant. */
static bool needs_no_target(const svc_t *s, info_t *in) {
    (void)in;
    unsigned ps = s->spec->protocols ? s->spec->protocols : NB_PROTO_BIT(s->spec->protocol);
    return (ps & ~(NB_PROTO_BIT(NB_PROTO_JSON) | NB_PROTO_BIT(NB_PROTO_CBOR))) != 0;
}

static bool prefix_eq(const char *prefix, const char *s, size_t len) {
    return prefix && strlen(prefix) == len && memcmp(prefix, s, len) == 0;
}

static const svc_t *by_path_head(const nb__router_t *r, const char *path) {
    if (path[0] != '/' || ensure_heads(r) != 0)
        return NULL;
    size_t len = strcspn(path + 1, "/");
    for (size_t i = 0; i < r->nheads; i++)
        if (strlen(r->heads[i].seg) == len && memcmp(r->heads[i].seg, path + 1, len) == 0)
            return r->heads[i].svc;
    return NULL;
}

static const svc_t *by_host(const nb__router_t *r, const info_t *in) {
    if (in->vhost_host)
        return r->vhost;
    if (in->host[0] == '\0')
        return NULL;
    size_t len = strcspn(in->host, ".");
    if (in->host[len] != '.')
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (prefix_eq(r->svcs[i].spec->endpoint_prefix, in->host, len))
            return &r->svcs[i];
    return NULL;
}

static const svc_t *by_action(const nb__router_t *r, info_t *in) {
    load_params(in);
    if (!in->has_action)
        return NULL;
    const svc_t *first = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const nb__spec_t *spec = r->svcs[i].spec;
        if (!(speaks(spec, NB_PROTO_QUERY) || speaks(spec, NB_PROTO_EC2)) || !ensure_ops(&r->svcs[i], in) ||
            nb__spec_op(spec, in->action) == NULL)
            continue;
        if (in->has_version && spec->api_version && strcmp(spec->api_version, in->version) == 0)
            return &r->svcs[i];
        if (first == NULL)
            first = &r->svcs[i];
    }
    return first;
}

/* The service a request names: its signing name, X-Amz-Target prefix or cbor service, among
 * list (n services). NULL when none of them is named; *unknown_signer when the signing name
 * is none of theirs. */
static const svc_t *by_indicators(const nb__router_t *r, const svc_t *list, size_t n, info_t *in,
                                  bool *unknown_signer) {
    cands_t c = {.n = 0};
    *unknown_signer = false;
    if (in->signing_name) {
        for (size_t i = 0; i < n; i++)
            if (list[i].spec->signing_name && strcmp(list[i].spec->signing_name, in->signing_name) == 0)
                cands_add(&c, &list[i]);
        if (c.n == 1)
            return c.items[0];
        *unknown_signer = c.n == 0;
    }
    if (in->target && in->target_prefix_len) {
        cands_t t = {.n = 0};
        for (size_t i = 0; i < n; i++)
            if (prefix_eq(list[i].spec->target_prefix, in->target, in->target_prefix_len))
                cands_add(&t, &list[i]);
        if (c.n == 0 && t.n == 1)
            return t.items[0];
        for (size_t i = 0; i < t.n; i++)
            cands_add(&c, t.items[i]);
        cands_filter(&c, has_target_prefix, in);
        cands_filter(&c, has_target_op, in);
    } else if (c.n > 1) {
        cands_filter(&c, needs_no_target, in);
    }
    if (in->cbor) {
        cands_t t = {.n = 0};
        for (size_t i = 0; i < n; i++)
            if (speaks(list[i].spec, NB_PROTO_CBOR) &&
                prefix_eq(list[i].spec->target_prefix, in->cbor_svc, in->cbor_svc_len))
                cands_add(&t, &list[i]);
        if (c.n == 0 && t.n == 1)
            return t.items[0];
        for (size_t i = 0; i < t.n; i++)
            cands_add(&c, t.items[i]);
    }
    if (c.n == 1)
        return c.items[0];
    if (c.n > 1) {
        /* Still ambiguous (one signing name, several APIs: elb/elbv2, rds/neptune/docdb):
         * among those that know the operation, prefer the one whose API version the
         * query names, then the one named like the signing name, then the first. */
        load_params(in);
        const svc_t *best = NULL;
        int best_score = -1;
        for (size_t i = 0; i < c.n; i++) {
            const nb__spec_t *spec = c.items[i]->spec;
            if (!find_op(r, c.items[i], in, pick_protocol(spec, in)))
                continue;
            int score = 0;
            if (in->has_version && spec->api_version && strcmp(spec->api_version, in->version) == 0)
                score += 2;
            if (in->signing_name && strcmp(spec->service, in->signing_name) == 0)
                score += 1;
            if (score > best_score) {
                best = c.items[i];
                best_score = score;
            }
        }
        return best ? best : c.items[0];
    }
    return NULL;
}

static const svc_t *detect_service(const nb__router_t *r, info_t *in) {
    bool unknown_signer;
    const svc_t *s = by_indicators(r, r->svcs, r->n, in, &unknown_signer);
    if (s)
        return s;
    /* a service Nimbus does not ship, named by the request: its own protocol's 501 */
    bool ignored;
    if (r->ncat && (in->signing_name || in->target || in->cbor) &&
        (s = by_indicators(r, r->cat, r->ncat, in, &ignored)) != NULL)
        return s;
    const char *path = in->req->path ? in->req->path : "/";
    if (strcmp(path, "/") != 0) {
        /* a resource's URL with an Action or a target (quirks.c); without them the path may
         * be another service's that looks the same */
        for (size_t i = 0; i < nb__route_quirks_len; i++) {
            if (r->quirk_svcs[i] && nb__route_quirks[i].resource_path && nb__route_quirks[i].resource_path(path)) {
                load_params(in);
                if (in->target || in->has_action)
                    return r->quirk_svcs[i];
            }
        }
        s = by_path_head(r, path);
        if (s)
            return s;
    }
    s = by_host(r, in);
    if (s)
        return s;
    s = by_action(r, in);
    if (s)
        return s;
    for (size_t i = 0; !unknown_signer && i < nb__route_quirks_len; i++)
        if (r->quirk_svcs[i] && nb__route_quirks[i].claims_unrouted && nb__route_quirks[i].claims_unrouted(in->req))
            return r->quirk_svcs[i];
    return NULL;
}

/* Keeps what in read from the request's head, without what its body may change (the
 * parameters, looked up again) or this routing's own state. */
static void keep_head_info(nb__router_t *r, const info_t *in) {
    r->head_info = *in;
    info_t *k = &r->head_info;
    k->params_done = k->body_unread = k->has_action = k->has_version = false;
    k->action[0] = k->version[0] = '\0';
    k->no_read = false;
    k->unread = NULL;
    r->head_req = in->req;
}

void nb__router_forget_head(const nb__router_t *router) {
    if (router != NULL)
        ((nb__router_t *)router)->head_req = NULL;
}

static int route(const nb__router_t *router, const nb__http_request_t *req, nb__route_t *out, bool no_read,
                 const nb__spec_t **unread) {
    out->spec = NULL;
    out->op = NULL;
    out->protocol = NB_PROTO_NONE;
    out->body_unread = false;
    if (router == NULL || req == NULL || req->method == NULL)
        return NB_ENOENT;
    info_t in;
    nb__router_t *r = (nb__router_t *)router; /* loop thread only, as ensure_ops */
    if (r->head_req == req) {
        in = r->head_info;
        r->head_req = NULL;
        if (in.signing_name) /* it may point into the copied credential */
            in.signing_name = nb__route_signing_alias(in.cred.service);
    } else {
        read_info(&in, req, router);
    }
    in.no_read = no_read;
    const svc_t *s = detect_service(router, &in);
    if (s != NULL) {
        out->spec = s->spec;
        out->protocol = pick_protocol(s->spec, &in);
        out->op = find_op(router, s, &in, out->protocol);
    }
    out->body_unread = in.body_unread;
    if (no_read && in.body_unread)
        keep_head_info(r, &in);
    if (in.unread) { /* what was found may change once it is read */
        *unread = in.unread;
        out->spec = in.unread;
        out->protocol = pick_protocol(in.unread, &in);
        out->op = NULL;
        return NB_EAGAIN;
    }
    return out->op ? 0 : NB_ENOENT;
}

int nb__router_route(const nb__router_t *router, const nb__http_request_t *req, nb__route_t *out) {
    return route(router, req, out, false, NULL);
}

int nb__router_route_unread(const nb__router_t *router, const nb__http_request_t *req, nb__route_t *out,
                            const nb__spec_t **unread) {
    *unread = NULL;
    return route(router, req, out, true, unread);
}

const char *nb__router_match_path(const nb__router_t *router, const nb__http_request_t *req, const nb__route_t *route,
                                  char *buf, size_t len) {
    if (router == NULL || req == NULL || route == NULL || buf == NULL || len == 0)
        return NULL;
    const char *path = req->path ? req->path : "/";
    size_t plen = strlen(path);
    if (router->vhost && route->spec == router->vhost->spec && route->op &&
        (route->protocol == NB_PROTO_REST_XML || route->protocol == NB_PROTO_REST_JSON)) {
        info_t in;
        read_info(&in, req, router);
        bool used_vhost = false;
        if (in.resource[0])
            (void)rest_op(router, router->vhost, &in, &used_vhost);
        if (used_vhost)
            return vhost_path(&in, path, plen, buf, len) ? buf : NULL;
    }
    if (plen + 1 > len)
        return NULL;
    memcpy(buf, path, plen + 1);
    return buf;
}

/* ---- hint ---- */

const char *nb__router_service_hint(const nb__http_request_t *req, char *buf, size_t len) {
    if (req == NULL || buf == NULL || len == 0)
        return NULL;
    info_t in;
    read_info(&in, req, NULL);
    const char *name = NULL;
    size_t nlen = 0;
    if (in.signing_name) {
        name = in.signing_name;
        nlen = strlen(name);
    } else if (in.vhost_host) {
        name = nb__route_vhost_quirks()->service;
        nlen = strlen(name);
    } else if (in.target && in.target_prefix_len) {
        /* "DynamoDB_20120810" -> dynamodb, "AmazonSQS" -> sqs, "Kinesis_20131202" -> kinesis */
        name = in.target;
        nlen = in.target_prefix_len;
        const char *us = memchr(name, '_', nlen);
        if (us)
            nlen = (size_t)(us - name);
        if (nlen > 6 && strncmp(name, "Amazon", 6) == 0) {
            name += 6;
            nlen -= 6;
        } else if (nlen > 3 && strncmp(name, "AWS", 3) == 0) {
            name += 3;
            nlen -= 3;
        }
    } else if (in.host[0]) {
        const char *dot = strstr(in.host, ".localhost.localstack.cloud");
        if (dot && dot > in.host) {
            name = in.host;
            nlen = strcspn(in.host, ".");
        }
    }
    if (name == NULL || nlen == 0 || nlen >= len)
        return NULL;
    for (size_t i = 0; i < nlen; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[nlen] = '\0';
    return buf;
}
