#ifndef NB_UTIL_CRC32_CLMUL_H
#define NB_UTIL_CRC32_CLMUL_H

#include <stddef.h>
#include <stdint.h>

/* Advances *state (the CRC-32 register: the complement of a CRC so far) over the longest prefix
 * of data it can fold with PCLMULQDQ, a multiple of 16 bytes (none when shorter than 64 bytes
 * or the CPU lacks the instructions), and returns that prefix's length: the caller takes the
 * rest by table. */
size_t nb__crc32_clmul(uint32_t *state, const void *data, size_t len);

#endif
