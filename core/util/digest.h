/* Digests for the core and the ABI (nimbus/util.h): MD5, SHA-1, SHA-256 and HMAC through
 * OpenSSL, CRC32 by carry-less multiplication (util/crc32_clmul.c) with zlib for the rest,
 * CRC32C and CRC64NVME by table. One implementation: S3's checksums, SQS's MD5s and the core's
 * Content-MD5 check all come here. */
#ifndef NB_UTIL_DIGEST_H
#define NB_UTIL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "nimbus/util.h"

int nb__digest_new(nb_digest_alg_t alg, nb_digest_t **d);
void nb__digest_update(nb_digest_t *d, const void *data, size_t len);
size_t nb__digest_final(nb_digest_t *d, unsigned char out[NB_DIGEST_MAX]);
void nb__digest_free(nb_digest_t *d);
size_t nb__digest_size(nb_digest_alg_t alg);
size_t nb__digest(nb_digest_alg_t alg, const void *data, size_t len, unsigned char out[NB_DIGEST_MAX]);
size_t nb__hmac(nb_digest_alg_t alg, const void *key, size_t key_len, const void *data, size_t len,
                unsigned char out[NB_DIGEST_MAX]);
/* HMAC with the key's pads hashed once (nb__hmac_key_new: 0, NB_EINVAL for a CRC, NB_ENOMEM):
 * each nb__hmac_with costs the message's blocks and the outer one only. The message is a then b
 * (b may be empty), so a caller can sign a prefix and a suffix without joining them. */
typedef struct nb_hmac_key nb_hmac_key_t;
int nb__hmac_key_new(nb_digest_alg_t alg, const void *key, size_t key_len, nb_hmac_key_t **out);
void nb__hmac_key_free(nb_hmac_key_t *k);
size_t nb__hmac_with(const nb_hmac_key_t *k, const void *a, size_t alen, const void *b, size_t blen,
                     unsigned char out[NB_DIGEST_MAX]);
uint32_t nb__crc32(uint32_t crc, const void *data, size_t len);
uint32_t nb__crc32c(uint32_t crc, const void *data, size_t len);
uint64_t nb__crc64nvme(uint64_t crc, const void *data, size_t len);

#endif
