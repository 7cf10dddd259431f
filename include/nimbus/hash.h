/*
 * nimbus/hash.h - FNV-1a, the string hash of the small direct-mapped caches plugins keep
 * (compiled filter policies, bucket rows): header-only, no ABI entry, safe from any thread.
 *
 *     size_t slot = nb_fnv1a(name) % SLOTS;
 *     uint32_t h = nb_fnv1a_more(nb_fnv1a(akid), scope);   (a key of several strings)
 */
#ifndef NIMBUS_HASH_H
#define NIMBUS_HASH_H

#include <stdint.h>

#define NB_FNV1A_INIT 2166136261u

/* h carried on over the bytes of s (up to its NUL). */
static inline uint32_t nb_fnv1a_more(uint32_t h, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The 32-bit FNV-1a hash of s. */
static inline uint32_t nb_fnv1a(const char *s) { return nb_fnv1a_more(NB_FNV1A_INIT, s); }

#endif
