/* CRC-32 (the IEEE polynomial, reflected) by carry-less multiplication: the folding method of
 * Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ" (Gopal et al., 2009).
 * S3 clients send x-amz-checksum-crc32 with every upload, so each body is checked once: zlib's
 * table-driven crc32 spends about 4 instructions a byte there, folding about a tenth of that.
 * x86-64 only, and only where the CPU has PCLMULQDQ and SSE4.1 (checked once, at run time);
 * nb__crc32_clmul reports how many bytes it took so the caller finishes the tail with zlib. */
#include "util/crc32_clmul.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>
#include <stdbool.h>

/* Folding constants for P(x) = 0x104C11DB7, bit-reflected: x^(4*128+32), x^(4*128-32) mod P
 * (fold by 64 bytes), x^(128+32), x^(128-32) mod P (fold by 16 bytes), x^64 mod P (128 to 64
 * bits), then P' and mu = floor(x^64 / P) for Barrett's reduction to 32 bits. */
#define K_FOLD64_A 0x0154442bd4ull /* multiplies a lane's low half */
#define K_FOLD64_B 0x01c6e41596ull /* and its high half */
#define K_FOLD16_A 0x01751997d0ull
#define K_FOLD16_B 0x00ccaa009eull
#define K_FOLD8 0x0163cd6124ull
#define K_POLY 0x01db710641ull
#define K_MU 0x01f7011641ull

#define TARGET __attribute__((target("pclmul,sse4.1")))

/* acc * x^k folded onto next: the low and high halves multiplied by their constants. */
TARGET static inline __m128i fold(__m128i acc, __m128i k, __m128i next) {
    __m128i lo = _mm_clmulepi64_si128(acc, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(acc, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

/* The state after blocks of 64 bytes, then tail16 more blocks of 16. */
TARGET static uint32_t crc32_fold(uint32_t state, const unsigned char *p, size_t blocks, size_t tail16) {
    /* four lanes of 16 bytes each, the running state mixed into the first */
    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)state));
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(p + 48));
    p += 64;
    const __m128i k64 = _mm_set_epi64x((long long)K_FOLD64_B, (long long)K_FOLD64_A);
    for (size_t i = 1; i < blocks; i++, p += 64) {
        a = fold(a, k64, _mm_loadu_si128((const __m128i *)p));
        b = fold(b, k64, _mm_loadu_si128((const __m128i *)(p + 16)));
        c = fold(c, k64, _mm_loadu_si128((const __m128i *)(p + 32)));
        d = fold(d, k64, _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    /* the four lanes into one */
    const __m128i k16 = _mm_set_epi64x((long long)K_FOLD16_B, (long long)K_FOLD16_A);
    a = fold(a, k16, b);
    a = fold(a, k16, c);
    a = fold(a, k16, d);
    for (size_t i = 0; i < tail16; i++, p += 16)
        a = fold(a, k16, _mm_loadu_si128((const __m128i *)p));
    /* 128 bits to 64: the low half times x^64 onto the high half, then the low 32 bits of
     * that times x^32 (K_FOLD8) onto the rest */
    const __m128i mask32 = _mm_setr_epi32(-1, 0, -1, 0);
    __m128i t = _mm_clmulepi64_si128(a, k16, 0x10);
    a = _mm_xor_si128(_mm_srli_si128(a, 8), t);
    t = _mm_srli_si128(a, 4);
    a = _mm_and_si128(a, mask32);
    a = _mm_clmulepi64_si128(a, _mm_set_epi64x(0, (long long)K_FOLD8), 0x00);
    a = _mm_xor_si128(a, t);
    /* Barrett: q = (low32 * mu) mod x^32, then a ^= q * P leaves the remainder in bits 32..63 */
    const __m128i pm = _mm_set_epi64x((long long)K_MU, (long long)K_POLY);
    t = _mm_and_si128(a, mask32);
    t = _mm_clmulepi64_si128(t, pm, 0x10);
    t = _mm_and_si128(t, mask32);
    t = _mm_clmulepi64_si128(t, pm, 0x00);
    a = _mm_xor_si128(a, t);
    return (uint32_t)_mm_extract_epi32(a, 1);
}

size_t nb__crc32_clmul(uint32_t *state, const void *data, size_t len) {
    static int usable = -1; /* a benign race: every thread computes the same answer */
    if (usable < 0) {
        __builtin_cpu_init();
        usable = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    }
    if (!usable || len < 64)
        return 0;
    size_t blocks = len / 64, tail16 = len % 64 / 16;
    *state = crc32_fold(*state, data, blocks, tail16);
    return blocks * 64 + tail16 * 16;
}

#else

size_t nb__crc32_clmul(uint32_t *state, const void *data, size_t len) {
    (void)state;
    (void)data;
    (void)len;
    return 0;
}

#endif
