/* AWS request signatures from a secret: SigV4's derived key and hex HMAC-SHA256, SigV2's
 * base64 HMAC-SHA1. One implementation for the presigned-URL check (gateway/presign.c) and
 * the ABI (nb_sigv4_signature, nb_sigv2_signature: S3's POST policy check). */
#ifndef NB_UTIL_SIGNING_H
#define NB_UTIL_SIGNING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "nimbus/plugin.h" /* NB_SIGNATURE_SIZE: room for either signature */
#include "util/digest.h"

/* SigV4: hex(HMAC-SHA256(key, string_to_sign)), the key derived from "AWS4" + secret through
 * the scope's date (YYYYMMDD), region and service. The length written, NB_ELIMIT if cap is short. */
ssize_t nb__sigv4_signature(const char *secret, const char *date, const char *region, const char *service,
                            const char *string_to_sign, char *out, size_t cap);
/* SigV4 in two steps, for a caller that keeps the derived key (gateway/sigcheck.c caches it per
 * key and scope): the key (0, NB_EINVAL for a secret too long), then the hex signature with it. */
#define NB_SIGV4_KEY_SIZE 32
int nb__sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service,
                          unsigned char key[NB_SIGV4_KEY_SIZE]);
ssize_t nb__sigv4_sign(const unsigned char key[NB_SIGV4_KEY_SIZE], const char *string_to_sign, char *out,
                       size_t cap);
/* The hex signature of the text a then b (b may be empty) with a signing key's kept HMAC states
 * (digest.h): what a verifier that caches the key per scope signs with (gateway/sigcheck.c, the
 * chunks of a streaming upload in gateway/chunk_sig.c). false out of memory. */
bool nb__sigv4_sign_with(const nb_hmac_key_t *key, const char *a, size_t alen, const char *b, size_t blen,
                         char out[NB_HEX_SIZE(NB_DIGEST_MAX)]);
/* SigV2: base64(HMAC-SHA1(secret, string_to_sign)). */
ssize_t nb__sigv2_signature(const char *secret, const char *string_to_sign, char *out, size_t cap);

#endif
