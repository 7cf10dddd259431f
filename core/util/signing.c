/* AWS request signatures from a secret (signing.h). */
#include "util/signing.h"

#include <stdio.h>
#include <string.h>

#include "nimbus/errno.h"
#include "util/codec.h"
#include "util/digest.h"

static size_t hmac_text(nb_digest_alg_t alg, const void *key, size_t klen, const char *msg,
                        unsigned char out[NB_DIGEST_MAX]) {
    return nb__hmac(alg, key, klen, msg, strlen(msg), out);
}

int nb__sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service,
                          unsigned char key[NB_SIGV4_KEY_SIZE]) {
    char k0[256];
    int n = snprintf(k0, sizeof k0, "AWS4%s", secret);
    if (n < 0 || (size_t)n >= sizeof k0)
        return NB_EINVAL;
    unsigned char a[NB_DIGEST_MAX], b[NB_DIGEST_MAX];
    size_t len = hmac_text(NB_DIGEST_SHA256, k0, (size_t)n, date, a);
    len = hmac_text(NB_DIGEST_SHA256, a, len, region, b);
    len = hmac_text(NB_DIGEST_SHA256, b, len, service, a);
    hmac_text(NB_DIGEST_SHA256, a, len, "aws4_request", b);
    memcpy(key, b, NB_SIGV4_KEY_SIZE);
    return 0;
}

ssize_t nb__sigv4_sign(const unsigned char key[NB_SIGV4_KEY_SIZE], const char *string_to_sign, char *out,
                       size_t cap) {
    unsigned char mac[NB_DIGEST_MAX];
    size_t len = hmac_text(NB_DIGEST_SHA256, key, NB_SIGV4_KEY_SIZE, string_to_sign, mac);
    if (len == 0)
        return NB_ENOMEM;
    return nb__hex_encode_to(mac, len, 0, out, cap);
}

bool nb__sigv4_sign_with(const nb_hmac_key_t *key, const char *a, size_t alen, const char *b, size_t blen,
                         char out[NB_HEX_SIZE(NB_DIGEST_MAX)]) {
    unsigned char mac[NB_DIGEST_MAX];
    size_t n = nb__hmac_with(key, a, alen, b, blen, mac);
    return n > 0 && nb__hex_encode_to(mac, n, 0, out, NB_HEX_SIZE(NB_DIGEST_MAX)) > 0;
}

ssize_t nb__sigv4_signature(const char *secret, const char *date, const char *region, const char *service,
                            const char *string_to_sign, char *out, size_t cap) {
    unsigned char key[NB_DIGEST_MAX];
    int rc = nb__sigv4_signing_key(secret, date, region, service, key);
    return rc != 0 ? rc : nb__sigv4_sign(key, string_to_sign, out, cap);
}

ssize_t nb__sigv2_signature(const char *secret, const char *string_to_sign, char *out, size_t cap) {
    unsigned char mac[NB_DIGEST_MAX];
    size_t len = hmac_text(NB_DIGEST_SHA1, secret, strlen(secret), string_to_sign, mac);
    return nb__base64_encode_to(mac, len, 0, out, cap);
}
