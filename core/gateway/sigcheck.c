/*
 * ENFORCE_IAM=1, the signature half: a SigV4 request (Authorization header, or a presigned URL's
 * X-Amz-Signature) whose access key a service issued (the credential registry: STS's ASIA...
 * sessions, IAM's AKIA... keys) is verified against the key's secret, its session token and its
 * expiration, with each service's wording of the failure. The root account's keys (`test`, an
 * account id, any key of no AWS form) stay unverified, as LocalStack leaves them; a key of AWS's
 * form that nobody issued is refused. Policy evaluation is not this file's.
 */
#include "gateway/sigcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/config.h"
#include "gateway/clock.h"
#include "gateway/credentials.h"
#include "gateway/chunk_sig.h"
#include "gateway/presign.h"
#include "gateway/sigv4_params.h"
#include "gateway/sigv4_text.h"
#include "router/context.h"
#include "gateway/quirks.h"
#include "http/body.h"
#include "nimbus/errno.h"
#include "router/rest_match.h"
#include "util/codec.h"
#include "util/digest.h"
#include "util/signing.h"

/* AWS's allowed clock difference between a client and the service (header-signed requests). */
#define MAX_SKEW_S (15 * 60)

/* S3 signs the path as sent and words its errors its own way (quirks.h). */
static bool words_its_own(const nb_req_t *req) {
    return nb__quirk_listed(nb__quirks_own_auth_words, req->route.spec->service);
}

/* ---- What the request signed ---- */

/* The request's time as signed ("20261207T150000Z"): X-Amz-Date, else Date (RFC 1123). */
static bool header_date(const nb__http_request_t *http, nb__sigv4_params_t *s) {
    const char *v = nb__http_request_header(http, "X-Amz-Date");
    if (v) {
        nb__copy_part(s->amz_date, sizeof s->amz_date, v, strlen(v));
        return true;
    }
    struct tm tm = {0};
    const char *end =
        (v = nb__http_request_header(http, "Date")) ? strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    return end && strftime(s->amz_date, sizeof s->amz_date, "%Y%m%dT%H%M%SZ", &tm) > 0;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian): timegm's arithmetic without its
 * normalisation and locking, which cost more than the rest of this parse. */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYYMMDDTHHMMSSZ" as epoch seconds. */
static bool parse_amz_date(const char *v, time_t *out) {
    static const char shape[] = "dddddddd"
                                "T"
                                "dddddd"
                                "Z";
    for (size_t i = 0; i < sizeof shape; i++)
        if (shape[i] == 'd' ? !(v[i] >= '0' && v[i] <= '9') : v[i] != shape[i])
            return false; /* also when v is shorter or longer (its NUL against shape's) */
    int f[6], at[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};
    for (size_t i = 0; i < 6; i++) {
        f[i] = 0;
        for (int j = 0; j < len[i]; j++)
            f[i] = f[i] * 10 + (v[at[i] + j] - '0');
    }
    /* out of range fields (month 13, hour 25) carry over, as timegm carries them */
    *out = (time_t)(days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5]);
    return true;
}

/* ---- Errors, in each service's words ---- */

/* An error as the services answer it, and as S3 words it. */
typedef struct auth_error {
    const char *code;
    int status;
    const char *message;
} auth_error_t;

static const auth_error_t unknown_key[2] = {
    {"InvalidClientTokenId", 403, "The security token included in the request is invalid."},
    {"InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."},
};
static const auth_error_t bad_token[2] = {
    {"InvalidClientTokenId", 403, "The security token included in the request is invalid."},
    {"InvalidToken", 400, "The provided token is malformed or otherwise invalid."},
};
static const auth_error_t expired[2] = {
    {"ExpiredToken", 400, "The security token included in the request is expired"},
    {"ExpiredToken", 400, "The provided token has expired."},
};

static const auth_error_t malformed[2] = {
    {"IncompleteSignature", 400,
     "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."},
    {"AuthorizationHeaderMalformed", 400, "The authorization header is malformed."},
};
static const auth_error_t no_date[2] = {
    {"IncompleteSignature", 400,
     "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."},
    {"AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header"},
};

/* own_fields: what S3 adds beside the message (taken; dropped for the others). */
static bool fail_as(nb_req_t *req, const auth_error_t which[2], json_t *own_fields) {
    const auth_error_t *e = &which[words_its_own(req)];
    if (!words_its_own(req)) {
        json_decref(own_fields);
        own_fields = NULL;
    }
    nb__req_set_error(req, e->code, e->status, own_fields, "%s", e->message);
    return false;
}

static void format_basic(time_t t, char out[32]) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y%m%dT%H%M%SZ", &tm);
}

static bool fail_skewed(nb_req_t *req, const char *amz_date, time_t sent, time_t now) {
    if (words_its_own(req)) {
        char server[32];
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(server, sizeof server, "%Y-%m-%dT%H:%M:%SZ", &tm);
        nb__req_set_error(req, "RequestTimeTooSkewed", 403,
                          json_pack("{s:s,s:s,s:s}", "RequestTime", amz_date, "ServerTime", server,
                                    "MaxAllowedSkewMilliseconds", "900000"),
                          "%s", "The difference between the request time and the current time is too large.");
        return false;
    }
    char now_s[32], bound[32];
    format_basic(now, now_s);
    if (sent < now) {
        format_basic(now - MAX_SKEW_S, bound);
        nb__req_set_error(req, "SignatureDoesNotMatch", 403, NULL,
                          "Signature expired: %s is now earlier than %s (%s - 15 min.)", amz_date, bound, now_s);
    } else {
        format_basic(now + MAX_SKEW_S, bound);
        nb__req_set_error(req, "SignatureDoesNotMatch", 403, NULL,
                          "Signature not yet current: %s is still later than %s (%s + 15 min.)", amz_date, bound,
                          now_s);
    }
    return false;
}

static bool fail_mismatch(nb_req_t *req, const nb__sigv4_params_t *s, const char *to_sign, const char *canonical) {
    if (words_its_own(req))
        nb__sig_fail_mismatch(req, s->akid, to_sign, s->signature, canonical);
    else
        nb__req_set_error(
            req, "SignatureDoesNotMatch", 403, NULL, "%s",
            "The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.");
    return false;
}

/* ---- The payload's hash ---- */

static bool hex_sha256_of_body(nb_body_t *body, char out[NB_HEX_SIZE(NB_DIGEST_MAX)]) {
    unsigned char digest[NB_DIGEST_MAX];
    size_t dlen;
    if (body == NULL) {
        dlen = nb__digest(NB_DIGEST_SHA256, "", 0, digest);
    } else if (nb__body_path(body) == NULL) {
        const char *data = nb__body_data(body, SIZE_MAX);
        if (data == NULL)
            return false;
        dlen = nb__digest(NB_DIGEST_SHA256, data, (size_t)nb__body_size(body), digest);
    } else { /* spilled to a file: read through */
        nb_digest_t *d;
        if (nb__digest_new(NB_DIGEST_SHA256, &d) != 0)
            return false;
        char buf[65536];
        ssize_t n;
        for (int64_t off = 0; (n = nb__body_read(body, off, buf, sizeof buf)) > 0; off += n)
            nb__digest_update(d, buf, (size_t)n);
        dlen = nb__digest_final(d, digest); /* frees d */
        if (n < 0)
            return false;
    }
    nb__hex_encode_to(digest, dlen, 0, out, NB_HEX_SIZE(NB_DIGEST_MAX));
    return true;
}

/* The payload line of the canonical request: x-amz-content-sha256 as sent (S3 checks it against
 * the body itself, and it names UNSIGNED-PAYLOAD and the STREAMING-* framings), a presigned S3
 * URL's UNSIGNED-PAYLOAD, else the body's SHA-256. NULL: the body is not here yet (checked from
 * its head) or could not be read. */
static const char *payload_line(nb_req_t *req, const nb__sigv4_params_t *s, bool head_only,
                                char hex[NB_HEX_SIZE(NB_DIGEST_MAX)]) {
    const char *sent = nb__http_request_header(req->http, "x-amz-content-sha256");
    if (sent && (!s->presigned || nb__sigv4_signs_header(s->signed_headers, "x-amz-content-sha256")))
        return sent;
    if (s->presigned && words_its_own(req))
        return "UNSIGNED-PAYLOAD";
    if (head_only)
        return NULL;
    return hex_sha256_of_body(req->http->body, hex) ? hex : NULL;
}

/* ---- Derived signing keys, cached per key and scope ---- */

#define KEY_CACHE_SLOTS 256

/* A scope's signing key as HMAC states with its pads absorbed: a verification is then one HMAC
 * of the string to sign from those states (digest.h). */
typedef struct key_slot {
    char akid[128], scope[192], secret[256]; /* any secret nb__sigv4_signing_key takes fits */
    nb_hmac_key_t *key;
} key_slot_t;

static key_slot_t key_cache[KEY_CACHE_SLOTS]; /* loop thread only */

static unsigned slot_of(const char *akid, const char *scope) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = akid; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (const char *p = scope; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % KEY_CACHE_SLOTS;
}

/* The key for the scope (owned by the cache: valid until the next call); the slot is keyed by
 * the secret too, so a key registered again with another secret derives anew. NULL for a secret
 * too long to sign with, or out of memory. */
static const nb_hmac_key_t *signing_key(const nb__sigv4_params_t *s, const char *secret) {
    key_slot_t *slot = &key_cache[slot_of(s->akid, s->scope)];
    if (slot->key && strcmp(slot->akid, s->akid) == 0 && strcmp(slot->scope, s->scope) == 0 &&
        strcmp(slot->secret, secret) == 0)
        return slot->key;
    unsigned char raw[NB_SIGV4_KEY_SIZE];
    nb_hmac_key_t *key;
    if (strlen(secret) >= sizeof slot->secret || nb__sigv4_signing_key(secret, s->date, s->region, s->service, raw) ||
        nb__hmac_key_new(NB_DIGEST_SHA256, raw, sizeof raw, &key) != 0)
        return NULL;
    nb__hmac_key_free(slot->key);
    slot->key = key;
    snprintf(slot->akid, sizeof slot->akid, "%s", s->akid);
    snprintf(slot->scope, sizeof slot->scope, "%s", s->scope);
    snprintf(slot->secret, sizeof slot->secret, "%s", secret);
    return key;
}

/* ---- The check ---- */

/* AKIA.../ASIA..., upper-case letters and digits: a key AWS would have issued. */
static bool aws_key_form(const char *akid) {
    size_t n = strlen(akid);
    if (n < 16 || n > 128 || (strncmp(akid, "AKIA", 4) != 0 && strncmp(akid, "ASIA", 4) != 0))
        return false;
    for (const char *p = akid; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

/* The session token sent (header, else the query's, as SigV2 URLs carry it) is the key's, and
 * the key has not expired. */
static bool check_session(nb_req_t *req, const nb__cred_view_t *cred) {
    char token[2048];
    const char *sent = nb__http_request_header(req->http, "X-Amz-Security-Token"), *query = req->http->query;
    if (sent == NULL && query) {
        size_t qlen = strlen(query);
        if ((sent = nb__query_get(query, qlen, "X-Amz-Security-Token", token, sizeof token)) == NULL)
            sent = nb__query_get(query, qlen, "x-amz-security-token", token, sizeof token);
    }
    if (strcmp(sent ? sent : "", cred->token) != 0)
        return fail_as(req, bad_token, NULL);
    if (cred->expiration > 0 && nb__clock_now() >= cred->expiration)
        return fail_as(req, expired, NULL);
    return true;
}

/* The canonical request again, kept this time, for the report of a mismatch. */
static bool fail_mismatch_again(nb_req_t *req, const nb__sigv4_params_t *s, const nb__query_t *q, const char *payload) {
    char to_sign[NB_SIGV4_TO_SIGN_MAX] = "";
    nb__buf_t canonical = NB__BUF_INIT;
    nb__sigv4_string_to_sign(req->http, q, s->signed_headers, payload, !words_its_own(req), s->amz_date, s->scope,
                             to_sign, sizeof to_sign, &canonical);
    fail_mismatch(req, s, to_sign, canonical.data ? canonical.data : "");
    nb__buf_free(&canonical);
    return false;
}

static bool verify(nb_req_t *req, const nb__sigv4_params_t *s, const nb__query_t *q, const nb__cred_view_t *cred,
                   bool head_only) {
    time_t now = (time_t)nb__clock_now();
    time_t sent;
    if (!parse_amz_date(s->amz_date, &sent)) {
        nb__req_set_error(
            req, "IncompleteSignature", 400, NULL,
            "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601",
            s->amz_date);
        return false;
    }
    if (!s->presigned && (sent > now + MAX_SKEW_S || sent < now - MAX_SKEW_S))
        return fail_skewed(req, s->amz_date, sent, now);
    char hex[NB_HEX_SIZE(NB_DIGEST_MAX)];
    const char *payload = payload_line(req, s, head_only, hex);
    if (payload == NULL && head_only)
        return true; /* no body yet: the request's full pass checks it */
    if (payload == NULL) {
        nb__req_set_error(req, "InternalError", 500, NULL, "%s", "We encountered an internal error. Please try again.");
        return false;
    }
    char to_sign[NB_SIGV4_TO_SIGN_MAX], want[NB_HEX_SIZE(NB_DIGEST_MAX)];
    if (nb__sigv4_string_to_sign(req->http, q, s->signed_headers, payload, !words_its_own(req), s->amz_date, s->scope,
                                 to_sign, sizeof to_sign, NULL) != 0) {
        nb__req_set_error(req, "InternalFailure", 500, NULL, "%s", "out of memory");
        return false;
    }
    const nb_hmac_key_t *key = signing_key(s, cred->secret);
    if (key == NULL || !nb__sigv4_sign_with(key, to_sign, strlen(to_sign), NULL, 0, want) ||
        strcmp(want, s->signature) != 0)
        return fail_mismatch_again(req, s, q, payload);
    /* a body signed chunk by chunk: each chunk's signature chains from this one (chunk_sig.c) */
    nb__chunk_signing_t framing = nb__chunk_signing_of(payload);
    if (framing == NB_CHUNKS_UNSIGNED || head_only)
        return true;
    return nb__chunk_sigs_verify(req, key, framing, s->amz_date, s->scope, s->signature);
}

bool nb__sigcheck(nb_req_t *req, bool head_only) {
    const char *akid = req->ctx.access_key;
    /* an in-process call carries its caller's key, checked when the caller's request came in */
    if (!req->gw->cfg->check_issued_keys || req->call || akid[0] == '\0')
        return true;
    nb__cred_view_t cred;
    if (!nb__credentials_find(akid, &cred)) {
        if (!aws_key_form(akid))
            return true; /* the root account's: unchecked */
        if (nb__credentials_expired(akid))
            return fail_as(req, expired, NULL);
        return fail_as(req, unknown_key, json_pack("{s:s}", "AWSAccessKeyId", akid));
    }
    if (!check_session(req, &cred))
        return false;
    nb__sigv4_params_t s;
    nb__query_t q;
    const char *auth = nb__http_request_header(req->http, "Authorization");
    if (auth) {
        switch (nb__sigv4_from_header(auth, &s)) {
        case NB_SIGV4_HEADER_OTHER: return true; /* SigV2, SigV4a: not verified (docs/settings.md) */
        case NB_SIGV4_HEADER_MALFORMED: return fail_as(req, malformed, NULL);
        case NB_SIGV4_HEADER_OK: break;
        }
        if (!header_date(req->http, &s))
            return fail_as(req, no_date, NULL);
    }
    /* the query decoded once: a presigned URL's parameters and the canonical query both come from it */
    if (!nb__query_parse(req->http->query, &q)) {
        nb__req_set_error(req, "InternalFailure", 500, NULL, "%s", "out of memory");
        return false;
    }
    bool ok;
    if (auth) {
        ok = verify(req, &s, &q, &cred, head_only);
    } else if (nb__query_value(&q, "X-Amz-Credential") == NULL) {
        ok = true; /* a SigV2 URL (AWSAccessKeyId): presign.c checks it with the key's secret */
    } else {
        ok = nb__presign_fail_form(req, nb__sigv4_from_query(&q, &s)) && verify(req, &s, &q, &cred, head_only);
    }
    nb__query_free(&q);
    return ok;
}
