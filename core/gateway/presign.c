/*
 * Presigned URLs' signatures, checked as LocalStack checks them when told to
 * (S3_SKIP_SIGNATURE_VALIDATION=0): query-string SigV4 (X-Amz-Algorithm, -Credential, -Date,
 * -Expires, -SignedHeaders, -Signature) and SigV2 (AWSAccessKeyId, Expires, Signature), with
 * AWS's error bodies. Only for services with a row in nb__quirks_presign_checked whose setting
 * is false; a request signed in its headers is not this file's. The expiry is the service's to
 * check, whatever the setting (S3: s3_check_presigned), as it was before this check existed.
 */
#include "gateway/presign.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "gateway/credentials.h"
#include "gateway/quirks.h"
#include "util/buf.h"
#include "util/codec.h"
#include "util/digest.h"
#include "util/signing.h"

/* LocalStack signs with its test credentials' secret whatever the access key; a key a service
 * issued (the credential registry) signs with its own. */
static const char *presign_secret(const char *akid) {
    nb__cred_view_t cred;
    return nb__credentials_find(akid, &cred) ? cred.secret : "test";
}

static const char signature_mismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

/* ---- The query, decoded ----
 * Not proto/form.h's pairs: those decode '+' as a space and lose the difference between a bare
 * "k" and "k=", which SigV2's resource string keeps. */

typedef struct qparam {
    char *key, *value; /* percent-decoded ('+' kept: SDKs send a space as %20) */
    bool has_value;    /* "k=v" or "k=", not a bare "k" */
} qparam_t;

typedef struct query {
    qparam_t *items;
    size_t len;
} query_t;

static char *decode(const char *s, size_t len) {
    char *out = nb__url_decode(s, len, false, NULL);
    if (out == NULL && (out = malloc(len + 1)) != NULL) { /* a bad escape: kept as sent, it cannot match */
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

static void query_free(query_t *q) {
    for (size_t i = 0; i < q->len; i++) {
        free(q->items[i].key);
        free(q->items[i].value);
    }
    free(q->items);
}

static bool query_parse(const char *raw, query_t *q) {
    memset(q, 0, sizeof *q);
    size_t n = 1;
    for (const char *p = raw; *p; p++)
        n += *p == '&';
    if ((q->items = calloc(n, sizeof *q->items)) == NULL)
        return false;
    for (const char *p = raw; *p;) {
        size_t seg = strcspn(p, "&");
        if (seg > 0) {
            const char *eq = memchr(p, '=', seg);
            size_t klen = eq ? (size_t)(eq - p) : seg;
            qparam_t *it = &q->items[q->len++];
            it->has_value = eq != NULL;
            it->key = decode(p, klen);
            it->value = eq ? decode(eq + 1, seg - klen - 1) : strdup("");
            if (it->key == NULL || it->value == NULL)
                return false;
        }
        p += seg + (p[seg] == '&');
    }
    return true;
}

static const char *query_get(const query_t *q, const char *key) {
    for (size_t i = 0; i < q->len; i++)
        if (strcmp(q->items[i].key, key) == 0)
            return q->items[i].value;
    return NULL;
}

static size_t count_present(const query_t *q, const char *const *names, size_t n) {
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        found += query_get(q, names[i]) != NULL;
    return found;
}

/* ---- Errors ---- */

static void fail_query_auth(nb_req_t *req, const char *message) {
    nb__req_set_error(req, "AuthorizationQueryParametersError", 400, NULL, "%s", message);
}

/* "41 57 53 34": each byte in hex, as AWS shows the text it signed. */
static json_t *hex_bytes(const char *s) {
    size_t n = strlen(s);
    char *out = malloc(n ? 3 * n : 1);
    if (out == NULL)
        return NULL;
    static const char digits[] = "0123456789abcdef";
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i)
            out[j++] = ' ';
        out[j++] = digits[c >> 4];
        out[j++] = digits[c & 15];
    }
    out[j] = '\0';
    json_t *v = json_string(out);
    free(out);
    return v;
}

/* SignatureDoesNotMatch with what AWS puts beside it: the access key, the text signed and the
 * signature sent (and SigV4's canonical request), so a client can see where it differs. */
void nb__sig_fail_mismatch(nb_req_t *req, const char *access_key, const char *string_to_sign, const char *sent,
                           const char *canonical_request) {
    json_t *f = json_object();
    json_object_set_new(f, "AWSAccessKeyId", json_string(access_key));
    json_object_set_new(f, "StringToSign", json_string(string_to_sign));
    json_object_set_new(f, "SignatureProvided", json_string(sent));
    json_object_set_new(f, "StringToSignBytes", hex_bytes(string_to_sign));
    if (canonical_request) {
        json_object_set_new(f, "CanonicalRequest", json_string(canonical_request));
        json_object_set_new(f, "CanonicalRequestBytes", hex_bytes(canonical_request));
    }
    nb__req_set_error(req, "SignatureDoesNotMatch", 403, f, "%s", signature_mismatch);
}

/* ---- Shared pieces of the two versions ---- */

static bool starts_with_amz(const char *name) { return strncasecmp(name, "x-amz-", 6) == 0; }

static char *lower_dup(const char *s) {
    char *out = strdup(s);
    for (char *p = out; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* A header value as signed: surrounding blanks trimmed, inner runs of blanks as one space. */
static void put_trimmed(nb__buf_t *b, const char *v) {
    /* a run of non-blanks at a time: a byte at a time cost more than hashing the text */
    for (bool first = true;; first = false) {
        v += strspn(v, " \t");
        size_t run = strcspn(v, " \t");
        if (run == 0)
            return;
        if (!first)
            nb__buf_putc(b, ' ');
        nb__buf_append(b, v, run);
        v += run;
    }
}

/* Every value of a request header, comma-joined as signers join them; false if it has none. */
static bool put_header_values(nb__buf_t *b, const nb__headers_t *h, const char *name) {
    bool any = false;
    for (size_t i = 0; i < h->len; i++)
        if (strcasecmp(h->items[i].name, name) == 0) {
            if (any)
                nb__buf_putc(b, ',');
            put_trimmed(b, h->items[i].value);
            any = true;
        }
    return any;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- SigV4 ---- */

static const char *const sigv4_params[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                           "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"};
#define SIGV4_PARAMS (sizeof sigv4_params / sizeof sigv4_params[0])

/* Headers clients add after signing that AWS does not hold against them. */
static bool unsigned_allowed(const char *lname) {
    return strcmp(lname, "x-amz-content-sha256") == 0 || strcmp(lname, "x-amz-user-agent") == 0 ||
           strcmp(lname, "x-id") == 0;
}

bool nb__sigv4_signs_header(const char *signed_headers, const char *lname) {
    size_t n = strlen(lname);
    for (const char *p = signed_headers; *p;) {
        size_t seg = strcspn(p, ";");
        if (seg == n && strncasecmp(p, lname, n) == 0)
            return true;
        p += seg + (p[seg] == ';');
    }
    return false;
}

/* x-amz-* headers sent but not signed: AccessDenied, naming them. true if there are none. */
static bool check_unsigned_headers(nb_req_t *req, const char *signed_headers) {
    nb__buf_t names = NB__BUF_INIT;
    const nb__headers_t *h = &req->http->headers;
    for (size_t i = 0; i < h->len; i++) {
        char *lname = lower_dup(h->items[i].name);
        if (lname && starts_with_amz(lname) && !unsigned_allowed(lname) &&
            !nb__sigv4_signs_header(signed_headers, lname))
            nb__buf_printf(&names, "%s%s", names.len ? ", " : "", lname);
        free(lname);
    }
    if (names.len == 0) {
        nb__buf_free(&names);
        return true;
    }
    json_t *f = json_object();
    json_object_set_new(f, "HeadersNotSigned", json_string(names.data));
    nb__buf_free(&names);
    nb__req_set_error(req, "AccessDenied", 403, f, "There were headers present in the request which were not signed");
    return false;
}

/* The path as AWS canonicalizes it: decoded, then each byte but unreserved ones and '/' encoded
 * (S3's); encode_twice: the path as sent, encoded once more (every other service's signers). */
static void put_canonical_uri(nb__buf_t *b, const char *raw_path, bool encode_twice) {
    const char *sent = raw_path && *raw_path ? raw_path : "/";
    char *path = encode_twice ? strdup(sent) : decode(sent, strlen(sent));
    char *enc = path ? nb__url_encode(path, strlen(path), true) : NULL;
    nb__buf_puts(b, enc ? enc : "/");
    free(enc);
    free(path);
}

typedef struct encoded_pair {
    char *key, *value;
} encoded_pair_t;

static int cmp_pair(const void *a, const void *b) {
    const encoded_pair_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* Every parameter but the signature, key and value encoded, sorted by key then value, '&'-joined. */
static void put_canonical_query(nb__buf_t *b, const query_t *q) {
    encoded_pair_t *pairs = calloc(q->len + 1, sizeof *pairs);
    size_t n = 0;
    for (size_t i = 0; pairs && i < q->len; i++) {
        if (strcmp(q->items[i].key, "X-Amz-Signature") == 0)
            continue;
        pairs[n].key = nb__url_encode(q->items[i].key, strlen(q->items[i].key), false);
        pairs[n].value = nb__url_encode(q->items[i].value, strlen(q->items[i].value), false);
        if (pairs[n].key && pairs[n].value)
            n++;
        else {
            free(pairs[n].key);
            free(pairs[n].value);
        }
    }
    if (pairs)
        qsort(pairs, n, sizeof *pairs, cmp_pair);
    for (size_t i = 0; i < n; i++) {
        if (i)
            nb__buf_putc(b, '&');
        nb__buf_puts(b, pairs[i].key);
        nb__buf_putc(b, '=');
        nb__buf_puts(b, pairs[i].value);
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
}

/* name:value lines of the signed headers, in the order the list gives (signers sort it). A signed
 * header the request lacks may ride in the query (some SDKs put x-amz-* ones there). */
static void put_canonical_headers(nb__buf_t *b, const nb__http_request_t *http, const query_t *q,
                                  const char *signed_headers) {
    for (const char *p = signed_headers; *p;) {
        size_t seg = strcspn(p, ";");
        char name[128];
        if (seg > 0 && seg < sizeof name) {
            memcpy(name, p, seg);
            name[seg] = '\0';
            nb__buf_puts(b, name);
            nb__buf_putc(b, ':');
            if (!put_header_values(b, &http->headers, name))
                for (size_t i = 0; i < q->len; i++)
                    if (strcasecmp(q->items[i].key, name) == 0) {
                        put_trimmed(b, q->items[i].value);
                        break;
                    }
            nb__buf_putc(b, '\n');
        }
        p += seg + (p[seg] == ';');
    }
}

/* The payload's hash as signed: presigned URLs sign none, unless the header was signed. */
static const char *payload_hash(const nb__http_request_t *http, const char *signed_headers) {
    const char *sent = nb__headers_get(&http->headers, "x-amz-content-sha256");
    return sent && nb__sigv4_signs_header(signed_headers, "x-amz-content-sha256") ? sent : "UNSIGNED-PAYLOAD";
}

/* The canonical request and the string to sign (both malloc'd): 0, or NB_ENOMEM. */
static int build_sigv4_texts(const nb__http_request_t *http, const query_t *q, const char *signed_headers,
                             const char *payload, bool encode_path_twice, const char *amz_date, const char *scope,
                             char **canonical, char **to_sign) {
    nb__buf_t creq = NB__BUF_INIT, text = NB__BUF_INIT;
    /* puts, not printf, and room reserved once: this runs on every verified request (sigcheck.c) */
    nb__buf_reserve(&creq, 1024);
    nb__buf_puts(&creq, http->method);
    nb__buf_putc(&creq, '\n');
    put_canonical_uri(&creq, http->path, encode_path_twice);
    nb__buf_putc(&creq, '\n');
    put_canonical_query(&creq, q);
    nb__buf_putc(&creq, '\n');
    put_canonical_headers(&creq, http, q, signed_headers);
    nb__buf_putc(&creq, '\n');
    nb__buf_puts(&creq, signed_headers);
    nb__buf_putc(&creq, '\n');
    nb__buf_puts(&creq, payload);

    unsigned char digest[NB_DIGEST_MAX];
    size_t dlen = nb__digest(NB_DIGEST_SHA256, creq.data ? creq.data : "", creq.len, digest);
    char hex[NB_HEX_SIZE(NB_DIGEST_MAX)];
    nb__hex_encode_to(digest, dlen, 0, hex, sizeof hex);
    const char *const lines[] = {"AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n", hex};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        nb__buf_puts(&text, lines[i]);
    *canonical = nb__buf_steal(&creq, NULL);
    *to_sign = nb__buf_steal(&text, NULL);
    if (*canonical == NULL || *to_sign == NULL) {
        free(*canonical);
        free(*to_sign);
        return NB_ENOMEM;
    }
    return 0;
}

int nb__sigv4_texts(const nb__http_request_t *http, const char *signed_headers, const char *payload,
                    bool encode_path_twice, const char *amz_date, const char *scope, char **canonical,
                    char **to_sign) {
    query_t q;
    int rc = query_parse(http->query ? http->query : "", &q)
                 ? build_sigv4_texts(http, &q, signed_headers, payload, encode_path_twice, amz_date, scope,
                                     canonical, to_sign)
                 : NB_ENOMEM;
    query_free(&q);
    return rc;
}

static bool check_sigv4(nb_req_t *req, const query_t *q) {
    if (count_present(q, sigv4_params, SIGV4_PARAMS) < SIGV4_PARAMS) {
        fail_query_auth(req, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                             "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
        return false;
    }
    if (strcmp(query_get(q, "X-Amz-Algorithm"), "AWS4-HMAC-SHA256") != 0) {
        fail_query_auth(req, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
        return false;
    }
    const char *amz_date = query_get(q, "X-Amz-Date"), *sent = query_get(q, "X-Amz-Signature");
    const char *signed_headers = query_get(q, "X-Amz-SignedHeaders");
    char akid[128], date[16], region[64], service[64], tail[16];
    if (sscanf(query_get(q, "X-Amz-Credential"), "%127[^/]/%15[^/]/%63[^/]/%63[^/]/%15s", akid, date, region,
               service, tail) != 5 ||
        strcmp(tail, "aws4_request") != 0) {
        fail_query_auth(req, "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
                             "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
        return false;
    }
    if (!check_unsigned_headers(req, signed_headers))
        return false;

    char scope[256], *creq = NULL, *to_sign = NULL;
    snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, region, service);
    if (build_sigv4_texts(req->http, q, signed_headers, payload_hash(req->http, signed_headers), false, amz_date,
                          scope, &creq, &to_sign) != 0) {
        nb__req_set_error(req, "InternalFailure", 500, NULL, "out of memory");
        return false;
    }
    char want[NB_SIGNATURE_SIZE] = "";
    nb__sigv4_signature(presign_secret(akid), date, region, service, to_sign, want, sizeof want);
    bool ok = strcmp(want, sent) == 0;
    if (!ok)
        nb__sig_fail_mismatch(req, akid, to_sign, sent, creq);
    free(creq);
    free(to_sign);
    return ok;
}

/* ---- SigV2 ---- */

static const char *const sigv2_params[] = {"AWSAccessKeyId", "Signature", "Expires"};
#define SIGV2_PARAMS (sizeof sigv2_params / sizeof sigv2_params[0])

/* The query parameters SigV2 signs as part of the resource (S3's sub-resources and response
 * overrides); the rest are not signed. */
static const char *const sigv2_subresources[] = {
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle", "location",
    "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment",
    "response-cache-control", "response-content-disposition", "response-content-encoding",
    "response-content-language", "response-content-type", "response-expires", "restore", "select", "select-type",
    "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
};

static bool is_subresource(const char *key) {
    for (size_t i = 0; i < sizeof sigv2_subresources / sizeof sigv2_subresources[0]; i++)
        if (strcmp(sigv2_subresources[i], key) == 0)
            return true;
    return false;
}

/* A standard header SigV2 signs: the request's, else the query's copy (signers move it there). */
static const char *standard_header(const nb__http_request_t *http, const query_t *q, const char *lname) {
    const char *v = nb__headers_get(&http->headers, lname);
    if (v == NULL) {
        for (size_t i = 0; i < q->len && v == NULL; i++)
            if (strcasecmp(q->items[i].key, lname) == 0)
                v = q->items[i].value;
    }
    return v ? v : "";
}

/* "x-amz-name:value\n" lines, sorted: the request's x-amz-* headers and the query's copies. */
static void put_amz_headers(nb__buf_t *b, const nb__http_request_t *http, const query_t *q) {
    size_t cap = http->headers.len + q->len, n = 0;
    char **lines = calloc(cap + 1, sizeof *lines);
    for (size_t i = 0; lines && i < http->headers.len; i++) {
        char *lname = lower_dup(http->headers.items[i].name);
        if (lname && starts_with_amz(lname)) {
            nb__buf_t line = NB__BUF_INIT;
            nb__buf_printf(&line, "%s:", lname);
            put_header_values(&line, &http->headers, lname);
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++)
                dup = strcmp(lines[j], line.data) == 0;
            if (dup)
                nb__buf_free(&line);
            else
                lines[n++] = nb__buf_steal(&line, NULL);
        }
        free(lname);
    }
    for (size_t i = 0; lines && i < q->len; i++) {
        if (!starts_with_amz(q->items[i].key) || nb__headers_get(&http->headers, q->items[i].key))
            continue;
        char *lname = lower_dup(q->items[i].key);
        if (lname && asprintf(&lines[n], "%s:%s", lname, q->items[i].value) >= 0)
            n++;
        free(lname);
    }
    if (lines)
        qsort(lines, n, sizeof *lines, cmp_str);
    for (size_t i = 0; i < n; i++) {
        nb__buf_printf(b, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
}

/* The resource: "/bucket/key" as sent, then the signed sub-resources sorted, values decoded. */
static void put_resource(nb__buf_t *b, const char *label_path, const query_t *q) {
    nb__buf_puts(b, label_path && *label_path ? label_path : "/");
    char **subs = calloc(q->len + 1, sizeof *subs);
    size_t n = 0;
    for (size_t i = 0; subs && i < q->len; i++)
        if (is_subresource(q->items[i].key) &&
            asprintf(&subs[n], "%s%s%s", q->items[i].key, q->items[i].has_value ? "=" : "", q->items[i].value) >= 0)
            n++;
    if (subs)
        qsort(subs, n, sizeof *subs, cmp_str);
    for (size_t i = 0; i < n; i++) {
        nb__buf_printf(b, "%c%s", i ? '&' : '?', subs[i]);
        free(subs[i]);
    }
    free(subs);
}

static bool check_sigv2(nb_req_t *req, const query_t *q, const char *label_path) {
    if (count_present(q, sigv2_params, SIGV2_PARAMS) < SIGV2_PARAMS) {
        nb__req_set_error(req, "AccessDenied", 403, NULL,
                          "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
        return false;
    }
    const char *expires_text = query_get(q, "Expires"), *akid = query_get(q, "AWSAccessKeyId");
    const nb__http_request_t *http = req->http;
    nb__buf_t to_sign = NB__BUF_INIT;
    nb__buf_printf(&to_sign, "%s\n%s\n", http->method, standard_header(http, q, "content-md5"));
    nb__buf_printf(&to_sign, "%s\n%s\n", standard_header(http, q, "content-type"), expires_text);
    put_amz_headers(&to_sign, http, q);
    put_resource(&to_sign, label_path, q);

    const char *sent = query_get(q, "Signature");
    char want[NB_SIGNATURE_SIZE] = "";
    nb__sigv2_signature(presign_secret(akid), to_sign.data ? to_sign.data : "", want, sizeof want);
    bool ok = strcmp(want, sent) == 0;
    if (!ok)
        nb__sig_fail_mismatch(req, akid, to_sign.data ? to_sign.data : "", sent, NULL);
    nb__buf_free(&to_sign);
    return ok;
}

/* ---- The stage's check ---- */

/* Whether the setting that governs the service's presigned URLs asks for the check, or
 * the check of issued keys' signatures for one of them (sigcheck.c checked its session already). */
static bool check_wanted(const nb_req_t *req) {
    nb__cred_view_t cred;
    if (req->gw->cfg->check_issued_keys && nb__credentials_find(req->ctx.access_key, &cred))
        return true;
    const char *setting = nb__quirk_setting(nb__quirks_presign_checked, req->route.spec->service);
    bool skip = true;
    return setting && !(nb__config_parse_bool(nb__config_get(req->gw->cfg, setting), &skip) && skip);
}

static bool has_any(const char *query, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        for (const char *p = query; p; p = strchr(p, '&')) {
            p += *p == '&';
            if (strncmp(p, names[i], len) == 0 && (p[len] == '=' || p[len] == '&' || p[len] == '\0'))
                return true;
        }
    }
    return false;
}

bool nb__presign_check(nb_req_t *req, const char *label_path) {
    const char *raw = req->http->query;
    /* signed in its headers: not a presigned URL, whatever its query holds */
    if (raw == NULL || req->route.spec == NULL || nb__http_request_header(req->http, "Authorization"))
        return true;
    bool v2 = has_any(raw, sigv2_params, SIGV2_PARAMS), v4 = !v2 && has_any(raw, sigv4_params, SIGV4_PARAMS);
    if ((!v2 && !v4) || !check_wanted(req))
        return true;
    query_t q;
    bool ok;
    if (!query_parse(raw, &q)) {
        nb__req_set_error(req, "InternalFailure", 500, NULL, "out of memory");
        ok = false;
    } else {
        ok = v2 ? check_sigv2(req, &q, label_path) : check_sigv4(req, &q);
    }
    query_free(&q);
    return ok;
}
