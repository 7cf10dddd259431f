/* S3's parts that need no request: checksums (over the core's digests), aws-chunked decoding,
 * ranges, ETags. The CRCs' own check values are test_util_digest's. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../core_util.h"

#include "../../../plugins/s3/s3_codec.c"

Test(s3_checksum, hash_gives_md5_and_base64_checksums) {
    s3_hash_t *h = s3_hash_new(S3_CK_BIT(S3_CK_CRC32) | S3_CK_BIT(S3_CK_CRC32C) | S3_CK_BIT(S3_CK_CRC64NVME) |
                               S3_CK_BIT(S3_CK_SHA1) | S3_CK_BIT(S3_CK_SHA256));
    cr_assert_not_null(h);
    s3_hash_update(h, "ab", 2);
    s3_hash_update(h, "c", 1);
    unsigned char md5[16];
    char b64[S3_CK__COUNT][64], etag[40];
    s3_hash_final(h, md5, b64);
    s3_hash_free(h);
    s3_etag_format(md5, etag);
    cr_assert_str_eq(etag, "\"900150983cd24fb0d6963f7d28e17f72\"");
    cr_assert_str_eq(b64[S3_CK_SHA256], "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    cr_assert_str_eq(b64[S3_CK_SHA1], "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
    /* CRC32 as zlib computes it (0x352441c2), big-endian base64. */
    cr_assert_str_eq(b64[S3_CK_CRC32], "NSRBwg==");
    cr_assert_eq(strlen(b64[S3_CK_CRC64NVME]), 12);
}

Test(s3_checksum, names_and_header_values) {
    cr_assert_eq(s3_ck_from_name("crc64nvme"), S3_CK_CRC64NVME);
    cr_assert_eq(s3_ck_from_name("MD5"), -1);
    cr_assert_str_eq(s3_ck_header(S3_CK_SHA1), "x-amz-checksum-sha1");
    /* a header value is base64 of exactly the algorithm's digest */
    cr_assert(s3_ck_value_valid(S3_CK_CRC32, "NSRBwg=="));
    cr_assert_not(s3_ck_value_valid(S3_CK_CRC64NVME, "NSRBwg=="), "4 bytes are no CRC64");
    cr_assert_not(s3_ck_value_valid(S3_CK_CRC32, "NSRBwg="));
    cr_assert_not(s3_ck_value_valid(S3_CK_CRC32, "NS!Bwg=="));
    cr_assert_not(s3_ck_value_valid(S3_CK_CRC32, ""));
    cr_assert_not(s3_ck_value_valid(S3_CK_CRC32, "AAAAAAAAAAAA"), "9 bytes");
    cr_assert(s3_ck_value_valid(S3_CK_SHA256, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="));
}

/* ----------------------------------------------------------- aws-chunked */

typedef struct collected {
    char data[4096];
    size_t len;
} collected_t;

static int collect(void *ud, const void *d, size_t n) {
    collected_t *c = ud;
    if (c->len + n > sizeof c->data)
        return 1;
    memcpy(c->data + c->len, d, n);
    c->len += n;
    return 0;
}

static const char signed_body[] = "5;chunk-signature=aaaa\r\nhello\r\n6;chunk-signature=bbbb\r\n world\r\n"
                                  "0;chunk-signature=cccc\r\n\r\n";
static const char trailer_body[] = "9\r\nstreamed \r\n4\r\nbody\r\n0\r\nx-amz-checksum-crc32:z7Y9bA==\r\n"
                                   "x-amz-trailer-signature:abc\r\n\r\n";

Test(s3_chunked, signed_chunks_decode) {
    collected_t c = {0};
    s3_chunked_t d;
    s3_chunked_init(&d, collect, &c);
    cr_assert_eq(s3_chunked_feed(&d, signed_body, strlen(signed_body)), 0);
    cr_assert(s3_chunked_done(&d));
    cr_assert_eq(c.len, 11);
    cr_assert_eq(memcmp(c.data, "hello world", 11), 0);
    cr_assert_eq(d.decoded, 11);
}

Test(s3_chunked, trailers_are_read_and_bytewise_feeding_gives_the_same) {
    collected_t c = {0};
    s3_chunked_t d;
    s3_chunked_init(&d, collect, &c);
    for (size_t i = 0; i < strlen(trailer_body); i++)
        cr_assert_eq(s3_chunked_feed(&d, trailer_body + i, 1), 0);
    cr_assert(s3_chunked_done(&d));
    cr_assert_eq(c.len, 13);
    cr_assert_eq(memcmp(c.data, "streamed body", 13), 0);
    char v[64];
    cr_assert(s3_chunked_trailer(&d, "x-amz-checksum-crc32", v, sizeof v));
    cr_assert_str_eq(v, "z7Y9bA==");
    cr_assert(s3_chunked_trailer(&d, "x-amz-trailer-signature", v, sizeof v));
    cr_assert_not(s3_chunked_trailer(&d, "x-amz-checksum-sha1", v, sizeof v));
}

Test(s3_chunked, truncated_and_malformed_bodies) {
    collected_t c = {0};
    s3_chunked_t d;
    s3_chunked_init(&d, collect, &c);
    cr_assert_eq(s3_chunked_feed(&d, "5\r\nhel", 6), 0);
    cr_assert_not(s3_chunked_done(&d));
    s3_chunked_init(&d, collect, &c);
    cr_assert_eq(s3_chunked_feed(&d, "zz\r\n", 4), -1);
    s3_chunked_init(&d, collect, &c);
    cr_assert_eq(s3_chunked_feed(&d, "3\r\nabcX\r\n", 9), -1); /* data longer than its size */
    s3_chunked_init(&d, collect, &c);
    cr_assert_eq(s3_chunked_feed(&d, "ffffffffffffffffff\r\n", 20), -1); /* size overflow */
    s3_chunked_init(&d, collect, &c);
    char longline[600];
    memset(longline, '1', sizeof longline);
    cr_assert_eq(s3_chunked_feed(&d, longline, sizeof longline), -1);
}

/* ------------------------------------------------------------------ ranges */

Test(s3_range, forms_and_limits) {
    int64_t a, b;
    cr_assert_eq(s3_range_parse("bytes=0-9", 100, &a, &b), 1);
    cr_assert(a == 0 && b == 9);
    cr_assert_eq(s3_range_parse("bytes=90-", 100, &a, &b), 1);
    cr_assert(a == 90 && b == 99);
    cr_assert_eq(s3_range_parse("bytes=-10", 100, &a, &b), 1);
    cr_assert(a == 90 && b == 99);
    cr_assert_eq(s3_range_parse("bytes=-1000", 100, &a, &b), 1);
    cr_assert(a == 0 && b == 99);
    cr_assert_eq(s3_range_parse("bytes=50-1000", 100, &a, &b), 1);
    cr_assert(a == 50 && b == 99);
    cr_assert_eq(s3_range_parse("bytes=100-", 100, &a, &b), -1);
    cr_assert_eq(s3_range_parse("bytes=-0", 100, &a, &b), -1);
    cr_assert_eq(s3_range_parse("bytes=0-", 0, &a, &b), -1);
    /* Ignored like S3: the whole object. */
    cr_assert_eq(s3_range_parse(NULL, 100, &a, &b), 0);
    cr_assert_eq(s3_range_parse("bytes=9-1", 100, &a, &b), 0);
    cr_assert_eq(s3_range_parse("bytes=0-1,5-6", 100, &a, &b), 0);
    cr_assert_eq(s3_range_parse("items=0-1", 100, &a, &b), 0);
    cr_assert_eq(s3_range_parse("bytes=a-b", 100, &a, &b), 0);
}

/* ------------------------------------------------------------------- ETags */

Test(s3_etag, multipart_etag_is_md5_of_part_md5s) {
    /* Parts "a" and "b": md5s 0cc175b9c0f1b6a831c399e269772661 and 92eb5ffee6ae2fec3ad71c777531578f. */
    unsigned char md5s[32];
    cr_assert(s3_etag_md5("\"0cc175b9c0f1b6a831c399e269772661\"", md5s));
    cr_assert(s3_etag_md5("92eb5ffee6ae2fec3ad71c777531578f", md5s + 16));
    char etag[64];
    s3_etag_multipart(md5s, 2, etag);
    /* md5(md5("a") || md5("b")), also checked with Python hashlib below */
    cr_assert_str_eq(etag, "\"96e024ba2074fe77e8e965ba43a704be-2\"");
    cr_assert_not(s3_etag_md5("\"xyz\"", md5s));
    cr_assert_not(s3_etag_md5("0cc175b9c0f1b6a831c399e269772661-2", md5s));
}

/* ----------------------------------------------------------------- listing */

#include <sqlite3.h>

/* What S3 lists for `keys` (already in byte order): "k:<key>" and "p:<prefix>" entries. */
static int run_lister(const char *const *keys, size_t n, const char *prefix, const char *delim, int max,
                      const char *marker, char out[][64], s3_lister_t *l) {
    s3_lister_init(l, prefix, delim, max, marker);
    int got = 0;
    for (size_t i = 0; i < n; i++) {
        if (marker && strcmp(keys[i], marker) <= 0)
            continue;
        if (strncmp(keys[i], l->prefix, l->plen) != 0)
            continue;
        int t = s3_lister_take(l, keys[i]);
        if (t < 0)
            break;
        if (t == 1)
            snprintf(out[got++], 64, "k:%s", keys[i]);
        else if (t == 2)
            snprintf(out[got++], 64, "p:%s", l->last_cp);
    }
    return got;
}

static const char *const sorted_keys[] = {"Z", "a-", "a/1", "a/2", "b", "c/x/y", "c/z", "d", "\xc3\xa9"};

Test(s3_list, sqlite_binary_collation_is_s3_byte_order) {
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t(k TEXT)", NULL, NULL, NULL);
    /* Inserted shuffled; S3 lists UTF-8 bytes in order: upper case first, '-' (0x2d) before '/' (0x2f), é last. */
    const char *const shuffled[] = {"c/z", "\xc3\xa9", "a/2", "Z", "d", "a-", "c/x/y", "b", "a/1"};
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?1)", -1, &ins, NULL);
    for (size_t i = 0; i < 9; i++) {
        sqlite3_bind_text(ins, 1, shuffled[i], -1, SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_stmt *sel;
    sqlite3_prepare_v2(db, "SELECT k FROM t ORDER BY k", -1, &sel, NULL);
    for (size_t i = 0; i < 9; i++) {
        cr_assert_eq(sqlite3_step(sel), SQLITE_ROW);
        cr_assert_str_eq((const char *)sqlite3_column_text(sel, 0), sorted_keys[i]);
    }
    sqlite3_finalize(sel);
    sqlite3_close(db);
}

Test(s3_list, delimiter_folds_common_prefixes_once) {
    char out[16][64];
    s3_lister_t l;
    int n = run_lister(sorted_keys, 9, "", "/", 1000, NULL, out, &l);
    const char *want[] = {"k:Z", "k:a-", "p:a/", "k:b", "p:c/", "k:d", "k:\xc3\xa9"};
    cr_assert_eq(n, 7);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(out[i], want[i]);
    cr_assert_not(l.truncated);
    s3_lister_free(&l);
    n = run_lister(sorted_keys, 9, "c/", "/", 1000, NULL, out, &l);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(out[0], "p:c/x/");
    cr_assert_str_eq(out[1], "k:c/z");
    s3_lister_free(&l);
}

Test(s3_list, max_keys_truncates_and_a_prefix_marker_skips_its_keys) {
    char out[16][64];
    s3_lister_t l;
    int n = run_lister(sorted_keys, 9, "", "/", 3, NULL, out, &l);
    cr_assert_eq(n, 3);
    cr_assert(l.truncated);
    cr_assert_str_eq(l.next, "a/"); /* NextMarker: the last entry, a common prefix */
    char marker[64];
    snprintf(marker, sizeof marker, "%s", l.next);
    s3_lister_free(&l);
    n = run_lister(sorted_keys, 9, "", "/", 3, marker, out, &l);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(out[0], "k:b"); /* a/1 and a/2 are not listed again */
    cr_assert_str_eq(out[1], "p:c/");
    cr_assert_str_eq(out[2], "k:d");
    s3_lister_free(&l);
    n = run_lister(sorted_keys, 9, "", NULL, 0, NULL, out, &l);
    cr_assert_eq(n, 0);
    s3_lister_free(&l);
}
