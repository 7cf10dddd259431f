/*
 * The parts of S3 that need no request (unit-tested on their own): the five
 * checksums S3 knows plus MD5 in one streaming pass (the core's digests,
 * nimbus/util.h), the aws-chunked decoder, Range headers and listings.
 */
#ifndef NB_S3_CODEC_H
#define NB_S3_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------- checksums */

enum {
    S3_CK_CRC32 = 0,
    S3_CK_CRC32C,
    S3_CK_CRC64NVME,
    S3_CK_SHA1,
    S3_CK_SHA256,
    S3_CK__COUNT,
};
#define S3_CK_BIT(a) (1u << (a))

/* "CRC32" -> S3_CK_CRC32 (case-insensitive); -1 if unknown. */
int s3_ck_from_name(const char *name);
const char *s3_ck_name(int alg);   /* "CRC32" */
const char *s3_ck_header(int alg); /* "x-amz-checksum-crc32" */
const char *s3_ck_member(int alg); /* "ChecksumCRC32" */

typedef struct s3_hash s3_hash_t;
/* MD5 always, plus every checksum in `algs` (S3_CK_BIT mask). NULL: out of memory. */
s3_hash_t *s3_hash_new(unsigned algs);
void s3_hash_update(s3_hash_t *h, const void *data, size_t len);
/* Finishes: md5 (16 bytes) and, per requested alg, its base64 value in b64[alg]. */
void s3_hash_final(s3_hash_t *h, unsigned char md5[16], char b64[S3_CK__COUNT][64]);
void s3_hash_free(s3_hash_t *h);

/* One-shot digest of a whole buffer as base64 (for composite checksums). */
void s3_ck_digest_b64(int alg, const void *data, size_t len, char out[64]);
/* Raw bytes of a checksum's value: 4 (crc32/c), 8 (crc64), 20, 32. */
size_t s3_ck_raw_len(int alg);

/* A single-part ETag: the quoted hex MD5. */
void s3_etag_format(const unsigned char md5[16], char out[40]);
/* Whether an x-amz-checksum-* value is base64 of the algorithm's digest size. */
bool s3_ck_value_valid(int alg, const char *b64);
/* A multipart object's ETag from its parts' binary MD5s (n * 16 bytes): "\"<md5 of them>-n\"". */
void s3_etag_multipart(const unsigned char *md5s, size_t n, char out[64]);
/* A hex MD5 ETag (quotes optional) to 16 bytes; false if malformed. */
bool s3_etag_md5(const char *etag, unsigned char md5[16]);

/* ------------------------------------------------------------ aws-chunked */

typedef int (*s3_chunk_data_cb)(void *ud, const void *data, size_t len);

typedef struct s3_chunked {
    int state;
    uint64_t remaining;   /* bytes left in the current chunk */
    char line[512];       /* a size line or a trailer line being read */
    size_t line_len;
    uint64_t decoded;     /* data bytes emitted */
    char trailers[1024];  /* "name:value\n" lines, names lower-cased */
    size_t trailers_len;
    s3_chunk_data_cb cb;
    void *ud;
} s3_chunked_t;

void s3_chunked_init(s3_chunked_t *c, s3_chunk_data_cb cb, void *ud);
/* Feeds framed bytes; 0, -1 on malformed framing, or the callback's non-zero value. */
int s3_chunked_feed(s3_chunked_t *c, const void *data, size_t len);
/* True once the final zero-size chunk and its trailers were read. */
bool s3_chunked_done(const s3_chunked_t *c);
/* A trailer's value (name lower-case), copied to out; false if absent. */
bool s3_chunked_trailer(const s3_chunked_t *c, const char *name, char *out, size_t cap);

/* ---------------------------------------------------------------- listing */

/*
 * Delimiter grouping and max-keys for keys fed in S3's byte order: each key is either
 * listed, folded into a common prefix (listed once), or the listing stops (truncated).
 */
typedef struct s3_lister {
    const char *prefix, *delimiter; /* borrowed; prefix never NULL */
    size_t plen;
    int max, count;
    bool truncated;
    char *last_cp; /* the common prefix being folded (malloc'd) */
    char *next;    /* the last entry listed: NextMarker (malloc'd) */
} s3_lister_t;

/* A marker that is itself a common prefix folds everything under it. */
void s3_lister_init(s3_lister_t *l, const char *prefix, const char *delimiter, int max, const char *marker);
/* 1: list the key; 2: a new common prefix (l->last_cp); 0: folded; -1: stop, truncated. */
int s3_lister_take(s3_lister_t *l, const char *key);
void s3_lister_free(s3_lister_t *l);

/* ----------------------------------------------------------------- ranges */

/*
 * Parses a Range header against an object of `size` bytes.
 * 1: a satisfiable range [*first, *last]; 0: no usable range (absent, malformed
 * or several: the whole object is served, as S3 does); -1: unsatisfiable (416).
 */
int s3_range_parse(const char *header, int64_t size, int64_t *first, int64_t *last);

#endif
