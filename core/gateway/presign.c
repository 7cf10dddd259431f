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
#include "gateway/sigv4_params.h"
#include "gateway/sigv4_text.h"
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

static size_t count_present(const nb__query_t *q, const char *const *names, size_t n) {
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        found += nb__query_value(q, names[i]) != NULL;
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

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- SigV4 ---- */


/* Headers clients add after signing that AWS does not hold against them. */
static bool unsigned_allowed(const char *lname) {
    return strcmp(lname, "x-amz-content-sha256") == 0 || strcmp(lname, "x-amz-user-agent") == 0 ||
           strcmp(lname, "x-id") == 0;
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

/* The payload's hash as signed: presigned URLs sign none, unless the header was signed. */
static const char *payload_hash(const nb__http_request_t *http, const char *signed_headers) {
    const char *sent = nb__headers_get(&http->headers, "x-amz-content-sha256");
    return sent && nb__sigv4_signs_header(signed_headers, "x-amz-content-sha256") ? sent : "UNSIGNED-PAYLOAD";
}

bool nb__presign_fail_form(nb_req_t *req, nb__sigv4_query_form_t form) {
    switch (form) {
    case NB_SIGV4_QUERY_OK: return true;
    case NB_SIGV4_QUERY_MISSING:
        fail_query_auth(req, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                             "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
        return false;
    case NB_SIGV4_QUERY_ALGORITHM:
        fail_query_auth(req, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
        return false;
    case NB_SIGV4_QUERY_CREDENTIAL:
        fail_query_auth(req, "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
                             "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
        return false;
    }
    return false;
}

static bool check_sigv4(nb_req_t *req, const nb__query_t *q) {
    nb__sigv4_params_t s;
    if (!nb__presign_fail_form(req, nb__sigv4_from_query(q, &s)) || !check_unsigned_headers(req, s.signed_headers))
        return false;
    char to_sign[NB_SIGV4_TO_SIGN_MAX], want[NB_SIGNATURE_SIZE] = "";
    if (nb__sigv4_string_to_sign(req->http, q, s.signed_headers, payload_hash(req->http, s.signed_headers), false,
                                 s.amz_date, s.scope, to_sign, sizeof to_sign, NULL) != 0) {
        nb__req_set_error(req, "InternalFailure", 500, NULL, "out of memory");
        return false;
    }
    nb__sigv4_signature(presign_secret(s.akid), s.date, s.region, s.service, to_sign, want, sizeof want);
    if (strcmp(want, s.signature) == 0)
        return true;
    /* the report shows the canonical request: made again, kept this time */
    nb__buf_t creq = NB__BUF_INIT;
    nb__sigv4_string_to_sign(req->http, q, s.signed_headers, payload_hash(req->http, s.signed_headers), false,
                             s.amz_date, s.scope, to_sign, sizeof to_sign, &creq);
    nb__sig_fail_mismatch(req, s.akid, to_sign, s.signature, creq.data ? creq.data : "");
    nb__buf_free(&creq);
    return false;
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
static const char *standard_header(const nb__http_request_t *http, const nb__query_t *q, const char *lname) {
    const char *v = nb__headers_get(&http->headers, lname);
    if (v == NULL) {
        for (size_t i = 0; i < q->len && v == NULL; i++)
            if (strcasecmp(q->items[i].key, lname) == 0)
                v = q->items[i].value;
    }
    return v ? v : "";
}

/* "x-amz-name:value\n" lines, sorted: the request's x-amz-* headers and the query's copies. */
static void put_amz_headers(nb__buf_t *b, const nb__http_request_t *http, const nb__query_t *q) {
    size_t cap = http->headers.len + q->len, n = 0;
    char **lines = calloc(cap + 1, sizeof *lines);
    for (size_t i = 0; lines && i < http->headers.len; i++) {
        char *lname = lower_dup(http->headers.items[i].name);
        if (lname && starts_with_amz(lname)) {
            nb__buf_t line = NB__BUF_INIT;
            nb__buf_printf(&line, "%s:", lname);
            nb__text_sink_t sink = {.keep = &line};
            nb__sink_header_values(&sink, &http->headers, lname);
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
static void put_resource(nb__buf_t *b, const char *label_path, const nb__query_t *q) {
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

static bool check_sigv2(nb_req_t *req, const nb__query_t *q, const char *label_path) {
    if (count_present(q, sigv2_params, SIGV2_PARAMS) < SIGV2_PARAMS) {
        nb__req_set_error(req, "AccessDenied", 403, NULL,
                          "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
        return false;
    }
    const char *expires_text = nb__query_value(q, "Expires"), *akid = nb__query_value(q, "AWSAccessKeyId");
    const nb__http_request_t *http = req->http;
    nb__buf_t to_sign = NB__BUF_INIT;
    nb__buf_printf(&to_sign, "%s\n%s\n", http->method, standard_header(http, q, "content-md5"));
    nb__buf_printf(&to_sign, "%s\n%s\n", standard_header(http, q, "content-type"), expires_text);
    put_amz_headers(&to_sign, http, q);
    put_resource(&to_sign, label_path, q);

    const char *sent = nb__query_value(q, "Signature");
    char want[NB_SIGNATURE_SIZE] = "";
    nb__sigv2_signature(presign_secret(akid), to_sign.data ? to_sign.data : "", want, sizeof want);
    bool ok = strcmp(want, sent) == 0;
    if (!ok)
        nb__sig_fail_mismatch(req, akid, to_sign.data ? to_sign.data : "", sent, NULL);
    nb__buf_free(&to_sign);
    return ok;
}

/* ---- The stage's check ---- */

/* Whether the setting that governs the service's presigned URLs asks for the check, or the key
 * is one a service issued (its secret signs). */
static bool check_wanted(const nb_req_t *req, bool issued_checked) {
    if (issued_checked)
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
    bool v2 = has_any(raw, sigv2_params, SIGV2_PARAMS), v4 = !v2 && has_any(raw, nb__sigv4_query_params, NB_SIGV4_QUERY_PARAMS);
    nb__cred_view_t cred;
    bool registered = (v2 || v4) && nb__credentials_find(req->ctx.access_key, &cred);
    /* ENFORCE_IAM's check verified a SigV4 URL of an issued key already (sigcheck.c) */
    if ((!v2 && !v4) || (v4 && registered && req->gw->cfg->check_issued_keys) || !check_wanted(req, registered && req->gw->cfg->check_issued_keys))
        return true;
    nb__query_t q;
    if (!nb__query_parse(raw, &q)) {
        nb__req_set_error(req, "InternalFailure", 500, NULL, "out of memory");
        return false;
    }
    bool ok = v2 ? check_sigv2(req, &q, label_path) : check_sigv4(req, &q);
    nb__query_free(&q);
    return ok;
}
