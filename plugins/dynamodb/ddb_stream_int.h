/* Between the stream files: the stored event codes, sequence numbers as text, ids. */
#ifndef DDB_STREAM_INT_H
#define DDB_STREAM_INT_H

#include <stdbool.h>
#include <stdint.h>

enum { DDB_EVENT_INSERT = 1, DDB_EVENT_MODIFY = 2, DDB_EVENT_REMOVE = 3 };

/* AWS's sequence numbers are decimal strings of 21 to 40 digits: a stream's n-th record is "1"
 * and n in 20 digits, so they sort as text and as numbers alike. */
#define DDB_SEQ_SIZE 24

/* splitmix64's finaliser: a bijection, so distinct inputs give distinct ids. */
static inline uint64_t ddb_stream_mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

#endif
