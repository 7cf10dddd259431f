/* The plain run of JSON string text: bytes that need neither an escape nor a UTF-8 check,
 * found eight at a time (message bodies are mostly such text, and the reader and writer look
 * at every byte of them). */
#include <stdint.h>
#include <string.h>

#include "proto/jsonval.h"

static bool plain_byte(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

/* No byte of x is '"', '\\', below 0x20 or from 0x7f: a zero byte of x ^ '"' or x ^ '\\', a
 * borrow out of a byte below 0x20, a carry into the top bit from 0x7f, or the top bit itself
 * shows in that byte's top bit. A borrow may also mark the byte above a bad one, which only
 * sends a word the per-byte way. */
static bool plain_word(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t bad = ((q - ones) & ~q) | ((b - ones) & ~b) | (x - ones * 0x20) | (x + ones) | x;
    return (bad & highs) == 0;
}

size_t nb__json_plain_span(const char *s, size_t len) {
    size_t i = 0;
    for (uint64_t x; len - i >= 8 && (memcpy(&x, s + i, 8), plain_word(x)); i += 8)
        ;
    while (i < len && plain_byte((unsigned char)s[i]))
        i++;
    return i;
}
