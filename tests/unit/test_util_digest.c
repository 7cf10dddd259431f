/* nb_api->util digests: FIPS 180 / RFC 1321 examples, HMAC vectors of RFC 2202 and RFC 4231, AWS's
 * SigV4 signing-key example, the CRC catalogue's check values for "123456789". */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "util/util_api.h"

static const nb_util_api_t *u = &nb__util_api;

static const char *hex(const unsigned char *d, size_t n) {
    static char out[NB_HEX_SIZE(NB_DIGEST_MAX)];
    u->hex_encode(d, n, 0, out, sizeof out);
    return out;
}

static const char *digest_hex(nb_digest_alg_t alg, const char *s) {
    unsigned char d[NB_DIGEST_MAX];
    size_t n = u->digest(alg, s, strlen(s), d);
    cr_assert_eq(n, u->digest_size(alg));
    return hex(d, n);
}

Test(util_digest, hash_vectors) {
    cr_assert_str_eq(digest_hex(NB_DIGEST_MD5, ""), "d41d8cd98f00b204e9800998ecf8427e");
    cr_assert_str_eq(digest_hex(NB_DIGEST_MD5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
    cr_assert_str_eq(digest_hex(NB_DIGEST_SHA1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    cr_assert_str_eq(digest_hex(NB_DIGEST_SHA256, "abc"),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_str_eq(digest_hex(NB_DIGEST_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(util_digest, crc_check_values_big_endian) {
    cr_assert_eq(u->crc32(0, "123456789", 9), 0xCBF43926u);
    cr_assert_eq(u->crc32c(0, "123456789", 9), 0xE3069283u);
    cr_assert_eq(u->crc64nvme(0, "123456789", 9), 0xAE8B14860A799888ull);
    cr_assert_str_eq(digest_hex(NB_DIGEST_CRC32, "123456789"), "cbf43926");
    cr_assert_str_eq(digest_hex(NB_DIGEST_CRC32C, "123456789"), "e3069283");
    cr_assert_str_eq(digest_hex(NB_DIGEST_CRC64NVME, "123456789"), "ae8b14860a799888");
}

Test(util_digest, streaming_equals_one_shot_across_pieces) {
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    for (nb_digest_alg_t alg = NB_DIGEST_MD5; alg <= NB_DIGEST_CRC64NVME; alg++) {
        unsigned char whole[NB_DIGEST_MAX], parts[NB_DIGEST_MAX];
        size_t n = u->digest(alg, buf, sizeof buf, whole);
        nb_digest_t *d;
        cr_assert_eq(u->digest_new(alg, &d), 0);
        for (size_t off = 0; off < sizeof buf; off += 37)
            u->digest_update(d, buf + off, off + 37 > sizeof buf ? sizeof buf - off : 37);
        cr_assert_eq(u->digest_final(d, parts), n);
        cr_assert_eq(memcmp(whole, parts, n), 0, "alg %d", alg);
    }
    nb_digest_t *d = (nb_digest_t *)1;
    cr_assert_eq(u->digest_new((nb_digest_alg_t)99, &d), NB_EINVAL);
    cr_assert_null(d);
    cr_assert_eq(u->digest_new(NB_DIGEST_SHA1, &d), 0);
    u->digest_update(d, "x", 1);
    u->digest_free(d); /* abandoned: ASan sees nothing leak */
}

Test(util_digest, hmac_vectors) {
    static const char key[] = "Jefe", msg[] = "what do ya want for nothing?";
    unsigned char mac[NB_DIGEST_MAX];
    cr_assert_eq(u->hmac(NB_DIGEST_MD5, key, 4, msg, strlen(msg), mac), 16);
    cr_assert_str_eq(hex(mac, 16), "750c783e6ab0b503eaa86e310a5db738");
    cr_assert_eq(u->hmac(NB_DIGEST_SHA1, key, 4, msg, strlen(msg), mac), 20);
    cr_assert_str_eq(hex(mac, 20), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    cr_assert_eq(u->hmac(NB_DIGEST_SHA256, key, 4, msg, strlen(msg), mac), 32);
    cr_assert_str_eq(hex(mac, 32), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    cr_assert_eq(u->hmac(NB_DIGEST_CRC32, key, 4, msg, strlen(msg), mac), 0, "no HMAC of a CRC");
}

/* The signing key of AWS's SigV4 documentation: HMAC-SHA256 chained over date, region, service. */
Test(util_digest, sigv4_signing_key_example) {
    const char *steps[] = {"20150830", "us-east-1", "iam", "aws4_request"};
    unsigned char key[NB_DIGEST_MAX];
    size_t n = strlen("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    unsigned char first[64];
    memcpy(first, "AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", n);
    n = u->hmac(NB_DIGEST_SHA256, first, n, steps[0], strlen(steps[0]), key);
    for (int i = 1; i < 4; i++)
        n = u->hmac(NB_DIGEST_SHA256, key, n, steps[i], strlen(steps[i]), key);
    cr_assert_str_eq(hex(key, n), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

/* Keys longer than the 64-byte block are hashed first (RFC 2202 case 6, RFC 4231 case 6). */
Test(util_digest, hmac_long_key_vectors) {
    unsigned char key[131], mac[NB_DIGEST_MAX];
    memset(key, 0xaa, sizeof key);
    static const char msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    cr_assert_eq(u->hmac(NB_DIGEST_MD5, key, 80, msg, strlen(msg), mac), 16);
    cr_assert_str_eq(hex(mac, 16), "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
    cr_assert_eq(u->hmac(NB_DIGEST_SHA1, key, 80, msg, strlen(msg), mac), 20);
    cr_assert_str_eq(hex(mac, 20), "aa4ae5e15272d00e95705637ce8a3b55ed402112");
    cr_assert_eq(u->hmac(NB_DIGEST_SHA256, key, 131, msg, strlen(msg), mac), 32);
    cr_assert_str_eq(hex(mac, 32), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* A freed digest's context is kept for the next one: abandoned mid-way or finished, the next
 * digest of that algorithm starts clean, and more digests open at once than are kept all work. */
Test(util_digest, reused_contexts_start_clean) {
    for (int round = 0; round < 3; round++) {
        nb_digest_t *open[6];
        for (size_t i = 0; i < 6; i++) {
            cr_assert_eq(u->digest_new(NB_DIGEST_SHA256, &open[i]), 0);
            u->digest_update(open[i], "garbage", 7);
        }
        for (size_t i = 0; i < 6; i++)
            u->digest_free(open[i]);
        cr_assert_str_eq(digest_hex(NB_DIGEST_SHA256, "abc"),
                         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        cr_assert_str_eq(digest_hex(NB_DIGEST_MD5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
        cr_assert_str_eq(digest_hex(NB_DIGEST_CRC32C, "123456789"), "e3069283");
    }
}

static void *hash_many(void *arg) {
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        unsigned char d[NB_DIGEST_MAX];
        char h[NB_HEX_SIZE(NB_DIGEST_MAX)]; /* not hex(): its buffer is shared */
        u->digest(NB_DIGEST_SHA256, "abc", 3, d);
        u->hex_encode(d, 32, 0, h, sizeof h);
        if (strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") != 0)
            return (void *)1;
    }
    return NULL;
}

/* Threads hash at once (the thread pool does) and each one's contexts are its own. */
Test(util_digest, threads_hash_at_once) {
    pthread_t t[4];
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, hash_many, NULL), 0);
    for (size_t i = 0; i < 4; i++) {
        void *bad = (void *)1;
        pthread_join(t[i], &bad);
        cr_assert_null(bad, "thread %zu got a wrong digest", i);
    }
}

/* CRC-32 one bit at a time: the definition the folded (PCLMULQDQ) and table paths must match. */
static uint32_t crc32_bitwise(uint32_t crc, const unsigned char *p, size_t len) {
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return ~crc;
}

/* Every length from 0 to 300 at every alignment to 16 (the folded path takes 64-byte blocks and
 * 16-byte tails, the table the rest), a 1 MiB buffer, and a CRC continued across two calls. */
Test(util_digest, crc32_matches_bitwise_definition_at_every_length_and_alignment) {
    static unsigned char buf[(1 << 20) + 16];
    uint32_t x = 0x12345678u;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len <= 300; len++)
            cr_assert_eq(u->crc32(0, buf + off, len), crc32_bitwise(0, buf + off, len), "offset %zu length %zu", off,
                         len);
    uint32_t whole = crc32_bitwise(0, buf, 1 << 20);
    cr_assert_eq(u->crc32(0, buf, 1 << 20), whole);
    cr_assert_eq(u->crc32(u->crc32(0, buf, 1000), buf + 1000, (1 << 20) - 1000), whole);
    cr_assert_eq(u->crc32(0xDEADBEEFu, buf + 3, 4099), crc32_bitwise(0xDEADBEEFu, buf + 3, 4099));
}
