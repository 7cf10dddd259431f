/* Chunk signatures of a streaming SigV4 upload (chunk_sig.h). */
#include "gateway/chunk_sig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/presign.h"
#include "http/body.h"
#include "util/codec.h"
#include "util/signing.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

nb__chunk_signing_t nb__chunk_signing_of(const char *payload) {
    if (strcmp(payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == 0)
        return NB_CHUNKS_SIGNED;
    if (strcmp(payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") == 0)
        return NB_CHUNKS_SIGNED_TRAILER;
    return NB_CHUNKS_UNSIGNED;
}

/* ---- The framed body, read forward ---- */

#define BLOCK 65536

typedef struct reader {
    nb_body_t *body;
    const char *mem; /* the whole body when it is in memory */
    int64_t size, off;
    char *block; /* a spilled body's bytes at off, read on demand */
} reader_t;

/* Up to want bytes at the reader's place (fewer at the end; *got 0 there), not consumed. */
static const char *peek(reader_t *r, size_t want, size_t *got) {
    int64_t left = r->size - r->off;
    size_t n = (int64_t)want < left ? want : (size_t)(left > 0 ? left : 0);
    if (r->mem) {
        *got = n;
        return r->mem + r->off;
    }
    if (n > BLOCK)
        n = BLOCK;
    ssize_t rd = n ? nb__body_read(r->body, r->off, r->block, n) : 0;
    *got = rd > 0 ? (size_t)rd : 0;
    return r->block;
}

/* The next line (CRLF or a bare LF ends it, as S3's decoder reads it) into out without its end;
 * false at the end of the body or for a line longer than out. */
static bool next_line(reader_t *r, char *out, size_t cap) {
    size_t got;
    const char *p = peek(r, cap, &got);
    const char *lf = got ? memchr(p, '\n', got) : NULL;
    if (lf == NULL)
        return false;
    size_t n = (size_t)(lf - p);
    r->off += (int64_t)n + 1;
    if (n && p[n - 1] == '\r')
        n--;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* n data bytes hashed into hex; false when the body ends first. */
static bool hash_data(reader_t *r, uint64_t n, char hex[NB_HEX_SIZE(NB_DIGEST_MAX)]) {
    nb_digest_t *d;
    if (nb__digest_new(NB_DIGEST_SHA256, &d) != 0)
        return false;
    while (n > 0) {
        size_t got;
        const char *p = peek(r, n < BLOCK ? (size_t)n : BLOCK, &got);
        if (got == 0) {
            nb__digest_free(d);
            return false;
        }
        nb__digest_update(d, p, got);
        r->off += (int64_t)got;
        n -= got;
    }
    unsigned char digest[NB_DIGEST_MAX];
    size_t dlen = nb__digest_final(d, digest);
    nb__hex_encode_to(digest, dlen, 0, hex, NB_HEX_SIZE(NB_DIGEST_MAX));
    return true;
}

/* The CRLF (or bare LF) after a chunk's data. */
static bool data_end(reader_t *r) {
    size_t got;
    const char *p = peek(r, 2, &got);
    size_t n = got >= 1 && p[0] == '\n' ? 1 : got == 2 && p[0] == '\r' && p[1] == '\n' ? 2 : 0;
    r->off += (int64_t)n;
    return n > 0;
}

/* "<hex size>;chunk-signature=<64 hex>": false for another shape (a signed upload signs each). */
static bool size_line(const char *line, uint64_t *size, char sig[NB_HEX_SIZE(NB_DIGEST_MAX)]) {
    uint64_t n = 0;
    int digits = 0;
    const char *p = line;
    for (; isxdigit((unsigned char)*p); p++, digits++) {
        if (digits >= 15)
            return false;
        n = n * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10);
    }
    static const char ext[] = ";chunk-signature=";
    if (digits == 0 || strncmp(p, ext, sizeof ext - 1) != 0 || strlen(p + sizeof ext - 1) != 64)
        return false;
    memcpy(sig, p + sizeof ext - 1, 65);
    *size = n;
    return true;
}

/* ---- The signatures ---- */

typedef struct chain {
    nb_req_t *req;
    const nb_hmac_key_t *key;
    const char *amz_date, *scope;
    char prev[NB_HEX_SIZE(NB_DIGEST_MAX)]; /* the seed, then each chunk's */
} chain_t;

/* "<algorithm>\n<date>\n<scope>\n<previous signature>\n[<empty hash>\n]<hash>" signed and
 * compared with the signature sent, which becomes the previous one. */
static bool link_holds(chain_t *c, const char *algorithm, bool empty_line, const char *hash, const char *sent) {
    char head[512];
    int n = snprintf(head, sizeof head, "%s\n%s\n%s\n%s\n%s", algorithm, c->amz_date, c->scope, c->prev,
                     empty_line ? EMPTY_SHA256 "\n" : "");
    char want[NB_HEX_SIZE(NB_DIGEST_MAX)];
    if (n < 0 || (size_t)n >= sizeof head || !nb__sigv4_sign_with(c->key, head, (size_t)n, hash, strlen(hash), want) ||
        strcmp(want, sent) != 0) {
        char to_sign[600];
        snprintf(to_sign, sizeof to_sign, "%s%s", n > 0 && (size_t)n < sizeof head ? head : "", hash);
        nb__sig_fail_mismatch(c->req, c->req->ctx.access_key, to_sign, sent, NULL);
        return false;
    }
    memcpy(c->prev, sent, sizeof c->prev);
    return true;
}

/* A chunk whose signature cannot be read is one that does not match. */
static bool fail_framing(chain_t *c) {
    nb__sig_fail_mismatch(c->req, c->req->ctx.access_key, "", "", NULL);
    return false;
}

/* Trailer lines up to the empty one: the x-amz-trailer-signature apart, the others
 * "name:value\n" (name lower-cased, value trimmed) as signed. */
static bool check_trailer(chain_t *c, reader_t *r) {
    char line[1024], sent[NB_HEX_SIZE(NB_DIGEST_MAX)] = "", text[4096];
    size_t len = 0;
    while (next_line(r, line, sizeof line) && line[0] != '\0') {
        char *colon = strchr(line, ':');
        if (colon == NULL)
            return fail_framing(c);
        *colon = '\0';
        for (char *q = line; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        char *v = colon + 1;
        v += strspn(v, " \t");
        size_t vlen = strlen(v);
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            v[--vlen] = '\0';
        if (strcmp(line, "x-amz-trailer-signature") == 0) {
            snprintf(sent, sizeof sent, "%s", v);
            continue;
        }
        size_t need = strlen(line) + 1 + vlen + 1;
        if (len + need >= sizeof text)
            return fail_framing(c);
        len += (size_t)snprintf(text + len, sizeof text - len, "%s:%s\n", line, v);
    }
    if (sent[0] == '\0')
        return fail_framing(c);
    unsigned char digest[NB_DIGEST_MAX];
    char hex[NB_HEX_SIZE(NB_DIGEST_MAX)];
    nb__hex_encode_to(digest, nb__digest(NB_DIGEST_SHA256, text, len, digest), 0, hex, sizeof hex);
    return link_holds(c, "AWS4-HMAC-SHA256-TRAILER", false, hex, sent);
}

static bool walk(chain_t *c, reader_t *r, nb__chunk_signing_t framing) {
    for (;;) {
        char line[256], sig[NB_HEX_SIZE(NB_DIGEST_MAX)], hex[NB_HEX_SIZE(NB_DIGEST_MAX)];
        uint64_t size;
        if (!next_line(r, line, sizeof line) || !size_line(line, &size, sig))
            return fail_framing(c);
        if (!hash_data(r, size, hex) || (size > 0 && !data_end(r)))
            return fail_framing(c);
        if (!link_holds(c, "AWS4-HMAC-SHA256-PAYLOAD", true, hex, sig))
            return false;
        if (size == 0) /* the last chunk */
            return framing == NB_CHUNKS_SIGNED_TRAILER ? check_trailer(c, r) : true;
    }
}

bool nb__chunk_sigs_verify(nb_req_t *req, const nb_hmac_key_t *key, nb__chunk_signing_t framing, const char *amz_date,
                           const char *scope, const char *seed) {
    chain_t c = {.req = req, .key = key, .amz_date = amz_date, .scope = scope};
    if (strlen(seed) != 64)
        return fail_framing(&c);
    memcpy(c.prev, seed, sizeof c.prev);
    nb_body_t *body = req->http->body;
    reader_t r = {.body = body, .size = body ? nb__body_size(body) : 0};
    if (body && nb__body_path(body) == NULL && (r.mem = nb__body_data(body, SIZE_MAX)) == NULL)
        return fail_framing(&c);
    if (body && r.mem == NULL && (r.block = malloc(BLOCK)) == NULL) {
        nb__req_set_error(req, "InternalError", 500, NULL, "%s", "We encountered an internal error. Please try again.");
        return false;
    }
    bool ok = walk(&c, &r, framing);
    free(r.block);
    return ok;
}
