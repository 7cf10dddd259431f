/*
 * nimbus/util.h - the helpers every service needs, once: base64 and hex, URL encoding,
 * AWS's date forms, ARNs, identifiers, digests (MD5, SHA-1, SHA-256, HMAC, CRC32, CRC32C,
 * CRC64NVME) and JSON member getters. Included by nimbus/plugin.h.
 *
 * Reached through nb_api->util (ABI 1.6; NB_API_HAS(util) for a plugin that declares an older
 * minor); the nb_xxx(...) macros at the end read like plain functions. The JSON getters are
 * inline functions of this header and need no core.
 *
 * Memory, as in libuv: every function writes into a buffer the caller owns and passes with its
 * size (`cap`, bytes, counting the terminating NUL for text). The NB_*_SIZE macros give a size
 * that always suffices. A buffer too small is NB_ELIMIT, nothing useful written; malformed
 * input is NB_EINVAL. The one allocation is nb_digest_new's context, freed by nb_digest_final
 * or nb_digest_free. Nothing keeps a pointer to its arguments.
 *
 * Threads: every function here is safe from any thread, also from a work() callback of
 * nb_work_queue (hashing a large body off the loop).
 */
#ifndef NIMBUS_UTIL_H
#define NIMBUS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <jansson.h>

#include "nimbus/errno.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ encodings */

/* Base64 flags. Default: RFC 4648 section 4, '+' '/' and '=' padding, as AWS's headers and
 * blobs use. */
#define NB_BASE64_URL 1u   /* RFC 4648 section 5 alphabet: '-' '_' */
#define NB_BASE64_NOPAD 2u /* encode without '='; decode accepts text without it */

/* Text size (with its NUL) of n bytes encoded: base64 and hex. */
#define NB_BASE64_SIZE(n) (4 * (((size_t)(n) + 2) / 3) + 1)
#define NB_HEX_SIZE(n) (2 * (size_t)(n) + 1)
/* Bytes decoded from n base64 characters at the most, and one for a NUL after them. */
#define NB_BASE64_DECODED_SIZE(n) (((size_t)(n) + 3) / 4 * 3 + 1)

#define NB_HEX_UPPER 1u /* hex encode: "0A1B" instead of "0a1b" */

/* URL flags. Encoding escapes every byte but RFC 3986's unreserved set (A-Z a-z 0-9 - _ . ~)
 * as %XX with upper-case hex: SigV4's canonical form. */
#define NB_URL_KEEP_SLASH 1u /* encode: leave '/' (an S3 key in a path) */
#define NB_URL_FORM 2u       /* decode: '+' is a space (application/x-www-form-urlencoded) */
#define NB_URL_LENIENT 4u    /* decode: a '%' without two hex digits stays as it is (WHATWG URL) */
#define NB_URL_ENCODED_SIZE(n) (3 * (size_t)(n) + 1)

/* ---------------------------------------------------------------------- dates */

/* AWS's date forms, all UTC. Times are epoch seconds as doubles (nb_now(), timestamp members). */
typedef enum nb_time_form {
    NB_TIME_ISO8601,         /* 2026-12-07T04:38:45Z, with .123 when not a whole second (AWS JSON/query) */
    NB_TIME_ISO8601_MS,      /* 2026-12-07T04:38:45.000Z: always milliseconds, as S3 writes */
    NB_TIME_RFC822,          /* Mon, 07 Dec 2026 04:38:45 GMT: HTTP dates (RFC 1123), whole seconds */
    NB_TIME_EPOCH,           /* 1796618325 or 1796618325.123 */
    NB_TIME_ISO8601_SECONDS, /* 2026-12-07T04:38:45Z: the second the instant falls in */
    NB_TIME_ISO8601_BASIC,   /* 20261207T043845Z: X-Amz-Date, SigV4 */
} nb_time_form_t;
#define NB_TIME_RFC1123 NB_TIME_RFC822
#define NB_TIME_SIZE 40 /* enough for every form */

/* ----------------------------------------------------------------------- ARNs */

/* arn:partition:service:region:account:resource. Built: partition NULL means the partition
 * of region (nb_partition); NULL region/account are empty ("arn:aws:s3:::bucket"). Parsed:
 * each field points into the caller's buffer. */
typedef struct nb_arn {
    const char *partition, *service, *region, *account, *resource;
} nb_arn_t;

/* ---------------------------------------------------------------- identifiers */

#define NB_UUID_SIZE 37 /* "8-4-4-4-12" and its NUL */
/* Alphabets for nb_random_id. */
#define NB_ID_UPPER_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" /* access key ids: "AKIA" + 16 */
#define NB_ID_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define NB_ID_HEX "0123456789abcdef"
#define NB_ID_UPPER_HEX "0123456789ABCDEF"

/* -------------------------------------------------------------------- digests */

typedef enum nb_digest_alg {
    NB_DIGEST_MD5,
    NB_DIGEST_SHA1,
    NB_DIGEST_SHA256,
    NB_DIGEST_CRC32,     /* zlib's (ISO-HDLC), as S3's x-amz-checksum-crc32 and DynamoDB's x-amz-crc32 */
    NB_DIGEST_CRC32C,    /* Castagnoli */
    NB_DIGEST_CRC64NVME, /* S3's x-amz-checksum-crc64nvme */
} nb_digest_alg_t;
#define NB_DIGEST_MAX 32 /* the largest digest, in bytes (SHA-256) */
/* A digest in progress, opaque. */
typedef struct nb_digest nb_digest_t;

/* ------------------------------------------------------------------ the table */

typedef struct nb_util_api {
    size_t size; /* grows at its end like nb_api_t: NB_UTIL_HAS(member) */

    /* Base64 of len bytes into out (NB_BASE64_SIZE(len)): the text's length. */
    ssize_t (*base64_encode)(const void *data, size_t len, unsigned flags, char *out, size_t cap);
    /* Strict: an alphabet other than the flags', bad padding or stray characters are NB_EINVAL.
     * The bytes' count (cap: at least that many; NB_BASE64_DECODED_SIZE(len) always does), and
     * a NUL after them when cap has room, so text decodes to a C string. */
    ssize_t (*base64_decode)(const char *text, size_t len, unsigned flags, void *out, size_t cap);
    ssize_t (*hex_encode)(const void *data, size_t len, unsigned flags, char *out, size_t cap);
    /* Either case; an odd length or a non-hex character is NB_EINVAL. The bytes' count. */
    ssize_t (*hex_decode)(const char *text, size_t len, void *out, size_t cap);
    /* Percent-encodes (NB_URL_ENCODED_SIZE(len)): the text's length. */
    ssize_t (*url_encode)(const char *s, size_t len, unsigned flags, char *out, size_t cap);
    /* Percent-decodes (out: len + 1 suffices; out may be s, decoding in place): the length; a '%'
     * without two hex digits is NB_EINVAL unless NB_URL_LENIENT. The result may hold NUL bytes. */
    ssize_t (*url_decode)(const char *s, size_t len, unsigned flags, char *out, size_t cap);

    /* Writes t in a form (out: NB_TIME_SIZE): the text's length. Milliseconds are the
     * precision kept; the forms of whole seconds give the second t falls in. */
    ssize_t (*time_format)(double t, nb_time_form_t form, char *out, size_t cap);
    /* Any form above (ISO 8601 also with other fractions and +hh:mm offsets; RFC 1123 without
     * the weekday) into *t: 0 or NB_EINVAL. */
    int (*time_parse)(const char *text, double *t);
    /* strftime(3) of t in UTC, for a service's own forms (S3's access log "[%d/%b/%Y:%H:%M:%S
     * +0000]"): the length, NB_ELIMIT if it does not fit. Whole seconds (floor). */
    ssize_t (*time_strftime)(double t, const char *fmt, char *out, size_t cap);

    /* "arn:partition:service:region:account:resource" (service and resource required): the length. */
    ssize_t (*arn_format)(const nb_arn_t *arn, char *out, size_t cap);
    /* Splits text at its first five ':' into *arn, copying it to buf (cap > strlen(text)): 0, or
     * NB_EINVAL unless it starts "arn:" and has a partition, a service and a resource. */
    int (*arn_parse)(const char *text, nb_arn_t *arn, char *buf, size_t cap);

    /* A random UUID (version 4), lower-case: "1b4e28ba-2fa1-41d2-883f-0016d3cca427". */
    void (*uuid)(char out[NB_UUID_SIZE]);
    /* A request id as the core gives x-amzn-RequestId (a UUID v4 from a fast generator): for
     * the ids a service answers that are not secrets. */
    void (*request_id)(char out[NB_UUID_SIZE]);
    /* len bytes from the system's cryptographic generator: 0 or NB_EIO. */
    int (*random_bytes)(void *out, size_t len);
    /* len characters drawn uniformly from alphabet (2 to 256 distinct characters) and a NUL
     * (out: len + 1), from the cryptographic generator: 0, NB_EINVAL, NB_EIO.
     * "AKIA" + nb_random_id(NB_ID_UPPER_ALNUM, 16, ...) is an access key id. */
    int (*random_id)(const char *alphabet, size_t len, char *out);

    /* A streaming digest: new, update any number of times, then final (writes nb_digest_size
     * bytes, big-endian for the CRCs as S3 sends them, and frees d) or free (abandons it).
     * new: 0, NB_EINVAL, NB_ENOMEM. */
    int (*digest_new)(nb_digest_alg_t alg, nb_digest_t **d);
    void (*digest_update)(nb_digest_t *d, const void *data, size_t len);
    size_t (*digest_final)(nb_digest_t *d, unsigned char out[NB_DIGEST_MAX]);
    void (*digest_free)(nb_digest_t *d); /* NULL is fine */
    size_t (*digest_size)(nb_digest_alg_t alg); /* 16, 20, 32, 4, 4, 8; 0 if unknown */
    /* One buffer's digest into out: its size (0: unknown alg). */
    size_t (*digest)(nb_digest_alg_t alg, const void *data, size_t len, unsigned char out[NB_DIGEST_MAX]);
    /* HMAC with MD5, SHA-1 or SHA-256 into out: its size (0 for a CRC). */
    size_t (*hmac)(nb_digest_alg_t alg, const void *key, size_t key_len, const void *data, size_t len,
                   unsigned char out[NB_DIGEST_MAX]);
    /* The CRCs as numbers, continued from crc (0 to start): crc(crc(0, a), b) = crc(0, ab). */
    uint32_t (*crc32)(uint32_t crc, const void *data, size_t len);
    uint32_t (*crc32c)(uint32_t crc, const void *data, size_t len);
    uint64_t (*crc64nvme)(uint64_t crc, const void *data, size_t len);
} nb_util_api_t;

/* ----------------------------------------------------------- JSON getters (inline) */

/* A member's string, NULL when absent or not a string: borrowed from obj. */
static inline const char *nb_json_str(const json_t *obj, const char *member) {
    return json_string_value(json_object_get(obj, member));
}
/* A member's integer, dflt when absent or not an integer. */
static inline json_int_t nb_json_int(const json_t *obj, const char *member, json_int_t dflt) {
    const json_t *v = json_object_get(obj, member);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}
/* A member's number (integer or real), dflt when absent or not a number. */
static inline double nb_json_num(const json_t *obj, const char *member, double dflt) {
    const json_t *v = json_object_get(obj, member);
    return json_is_number(v) ? json_number_value(v) : dflt;
}
/* A member's boolean, dflt when absent or not a boolean. */
static inline int nb_json_bool(const json_t *obj, const char *member, int dflt) {
    const json_t *v = json_object_get(obj, member);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}
/* Whether a member's string equals s (false when absent). */
static inline int nb_json_str_eq(const json_t *obj, const char *member, const char *s) {
    const char *v = nb_json_str(obj, member);
    return v != NULL && strcmp(v, s) == 0;
}

#ifndef NB_CORE_INTERNAL
/* Whether the core's util table has `member` (a field of nb_util_api_t). */
#define NB_UTIL_HAS(member) \
    (nb_api->util->size >= offsetof(nb_util_api_t, member) + sizeof nb_api->util->member)

#define nb_base64_encode(...) (nb_api->util->base64_encode(__VA_ARGS__))
#define nb_base64_decode(...) (nb_api->util->base64_decode(__VA_ARGS__))
#define nb_hex_encode(...) (nb_api->util->hex_encode(__VA_ARGS__))
#define nb_hex_decode(...) (nb_api->util->hex_decode(__VA_ARGS__))
#define nb_url_encode(...) (nb_api->util->url_encode(__VA_ARGS__))
#define nb_url_decode(...) (nb_api->util->url_decode(__VA_ARGS__))
#define nb_time_format(...) (nb_api->util->time_format(__VA_ARGS__))
#define nb_time_parse(...) (nb_api->util->time_parse(__VA_ARGS__))
#define nb_time_strftime(...) (nb_api->util->time_strftime(__VA_ARGS__))
#define nb_arn_format(...) (nb_api->util->arn_format(__VA_ARGS__))
#define nb_arn_parse(...) (nb_api->util->arn_parse(__VA_ARGS__))
#define nb_uuid(...) (nb_api->util->uuid(__VA_ARGS__))
#define nb_request_id(...) (nb_api->util->request_id(__VA_ARGS__))
#define nb_random_bytes(...) (nb_api->util->random_bytes(__VA_ARGS__))
#define nb_random_id(...) (nb_api->util->random_id(__VA_ARGS__))
#define nb_digest_new(...) (nb_api->util->digest_new(__VA_ARGS__))
#define nb_digest_update(...) (nb_api->util->digest_update(__VA_ARGS__))
#define nb_digest_final(...) (nb_api->util->digest_final(__VA_ARGS__))
#define nb_digest_free(...) (nb_api->util->digest_free(__VA_ARGS__))
#define nb_digest_size(...) (nb_api->util->digest_size(__VA_ARGS__))
#define nb_digest(...) (nb_api->util->digest(__VA_ARGS__))
#define nb_hmac(...) (nb_api->util->hmac(__VA_ARGS__))
#define nb_crc32(...) (nb_api->util->crc32(__VA_ARGS__))
#define nb_crc32c(...) (nb_api->util->crc32c(__VA_ARGS__))
#define nb_crc64nvme(...) (nb_api->util->crc64nvme(__VA_ARGS__))
#endif /* NB_CORE_INTERNAL */

#ifdef __cplusplus
}
#endif
#endif /* NIMBUS_UTIL_H */
