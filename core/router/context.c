#include "router/context.h"
#include "util/arn.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "gateway/credentials.h"
#include "router/rest_match.h"
#include "util/ids.h"

static void copy_part(char *dst, size_t cap, const char *src, size_t len) {
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

void nb__copy_part(char *dst, size_t cap, const char *src, size_t len) { copy_part(dst, cap, src, len); }

size_t nb__scope_split(const char *s, size_t len, nb__scope_parts_t *out) {
    size_t n = 0;
    const char *p = s, *end = s + len;
    while (n < 5) {
        const char *slash = n < 4 ? memchr(p, '/', (size_t)(end - p)) : NULL;
        out->part[n] = p;
        out->len[n] = (size_t)((slash ? slash : end) - p);
        n++;
        if (slash == NULL)
            break;
        p = slash + 1;
    }
    return n;
}

/* "AKID/DATE/REGION/SERVICE/aws4_request" (len bytes) into cred. */
static bool split_scope(const char *s, size_t len, nb__credential_t *cred) {
    nb__scope_parts_t sp;
    size_t n = nb__scope_split(s, len, &sp);
    const char *const *part = sp.part;
    const size_t *plen = sp.len;
    if (n == 0 || plen[0] == 0)
        return false;
    copy_part(cred->access_key, sizeof cred->access_key, part[0], plen[0]);
    if (n == 5 && memchr(part[4], '/', plen[4]) == NULL) {
        copy_part(cred->date, sizeof cred->date, part[1], plen[1]);
        copy_part(cred->region, sizeof cred->region, part[2], plen[2]);
        copy_part(cred->service, sizeof cred->service, part[3], plen[3]);
        cred->sigv4 = true;
    } else if (n == 4 && plen[3] == 12 && memcmp(part[3], "aws4_request", 12) == 0) {
        /* SigV4a scopes have no region (it is in X-Amz-Region-Set) */
        copy_part(cred->date, sizeof cred->date, part[1], plen[1]);
        copy_part(cred->service, sizeof cred->service, part[2], plen[2]);
        cred->sigv4 = true;
    }
    return true;
}

static bool from_authorization(const char *auth, nb__credential_t *cred) {
    while (*auth == ' ')
        auth++;
    size_t alg = strncasecmp(auth, "AWS4-HMAC-SHA256", 16) == 0         ? 16
                 : strncasecmp(auth, "AWS4-ECDSA-P256-SHA256", 22) == 0 ? 22
                                                                        : 0;
    if (alg && (auth[alg] == ' ' || auth[alg] == '\t')) {
        /* Credential=..., SignedHeaders=..., Signature=... (commas, spaces, or both) */
        const char *p = auth + alg + 1;
        while (*p) {
            while (*p == ' ' || *p == ',' || *p == '\t')
                p++;
            size_t n = strcspn(p, ", \t");
            if (n > 11 && strncasecmp(p, "Credential=", 11) == 0)
                return split_scope(p + 11, n - 11, cred);
            p += n;
        }
        return false;
    }
    if (strncmp(auth, "AWS ", 4) == 0) { /* SigV2: "AWS AKID:signature" */
        const char *key = auth + 4;
        size_t n = strcspn(key, ":");
        if (n == 0 || key[n] != ':')
            return false;
        copy_part(cred->access_key, sizeof cred->access_key, key, n);
        return true;
    }
    return false;
}

bool nb__credential_parse(const nb__http_request_t *req, nb__credential_t *cred) {
    memset(cred, 0, sizeof *cred);
    const char *auth = nb__headers_get(&req->headers, "Authorization");
    if (auth && from_authorization(auth, cred))
        return true;
    if (req->query == NULL)
        return false;
    size_t qlen = strlen(req->query);
    char buf[512];
    const char *v = nb__query_get(req->query, qlen, "X-Amz-Credential", buf, sizeof buf);
    if (v && *v && split_scope(v, strlen(v), cred))
        return true;
    v = nb__query_get(req->query, qlen, "AWSAccessKeyId", buf, sizeof buf);
    if (v && *v) {
        copy_part(cred->access_key, sizeof cred->access_key, v, strlen(v));
        return true;
    }
    return false;
}

static char default_account[16] = NB_DEFAULT_ACCOUNT, default_region[32] = NB_DEFAULT_REGION;

void nb__context_set_defaults(const char *account, const char *region) {
    if (account)
        snprintf(default_account, sizeof default_account, "%s", account);
    if (region)
        snprintf(default_region, sizeof default_region, "%s", region);
}

const char *nb__context_default_account(void) { return default_account; }
const char *nb__context_default_region(void) { return default_region; }

void nb__context_from_request(const nb__http_request_t *req, nb__req_context_t *ctx) {
    nb__credential_t cred;
    memset(ctx, 0, sizeof *ctx);
    nb__credential_parse(req, &cred);
    copy_part(ctx->access_key, sizeof ctx->access_key, cred.access_key, strlen(cred.access_key));
    /* a 12-digit key names its account, the default `test` key none: neither is looked up */
    const char *account = default_account;
    if (nb__is_account_id(cred.access_key))
        account = cred.access_key;
    else if (cred.access_key[0] && strcmp(cred.access_key, "test") != 0) {
        const char *registered = nb__credentials_account(cred.access_key);
        if (*registered)
            account = registered;
    }
    copy_part(ctx->account, sizeof ctx->account, account, strlen(account));
    const char *region = nb__is_region_name(cred.region) ? cred.region : default_region;
    copy_part(ctx->region, sizeof ctx->region, region, strlen(region));
}

/* xoshiro256**, seeded once per thread from OpenSSL's generator: ids only need
 * to be unique, and a request should not pay for a CSPRNG call. */
static _Thread_local uint64_t rng[4];
static _Thread_local bool rng_seeded;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(void) {
    uint64_t result = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;
    rng[2] ^= rng[0];
    rng[3] ^= rng[1];
    rng[1] ^= rng[2];
    rng[0] ^= rng[3];
    rng[2] ^= t;
    rng[3] = rotl(rng[3], 45);
    return result;
}

static void rng_seed(void) {
    if (RAND_bytes((unsigned char *)rng, sizeof rng) != 1) {
        /* no entropy source: still distinct per process and moment */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        rng[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
        rng[1] = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
        rng[2] = (uintptr_t)&rng_seeded;
        rng[3] = 0x2545F4914F6CDD1Dull;
    }
    if ((rng[0] | rng[1] | rng[2] | rng[3]) == 0)
        rng[0] = 1;
    rng_seeded = true;
}

void nb__request_id_new(char out[37]) {
    if (!rng_seeded)
        rng_seed();
    uint8_t b[16];
    uint64_t a = rng_next(), c = rng_next();
    memcpy(b, &a, 8);
    memcpy(b + 8, &c, 8);
    nb__uuid_format(b, out);
}
