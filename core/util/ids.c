#include "util/ids.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "nimbus/errno.h"

/* RAND_bytes costs a getpid() (OpenSSL's fork check) and several thousand instructions a
 * call, and every request draws ids: bytes are drawn in blocks into a per-thread pool and
 * handed out once each. A forked child empties its pool so it never repeats its parent's. */
#define RANDOM_POOL_BYTES 4096
static _Thread_local struct random_pool {
    unsigned char bytes[RANDOM_POOL_BYTES];
    size_t left; /* not handed out yet: the last `left` bytes (0, a new thread's: empty) */
} rnd;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void pool_forget(void) {
    explicit_bzero(rnd.bytes, sizeof rnd.bytes);
    rnd.left = 0;
}
static void pool_atfork(void) { pthread_atfork(NULL, NULL, pool_forget); }

int nb__random_bytes(void *out, size_t len) {
    if (len == 0)
        return 0;
    if (len > RANDOM_POOL_BYTES / 4)
        return RAND_bytes(out, (int)len) == 1 ? 0 : NB_EIO;
    if (rnd.left < len) {
        pthread_once(&atfork_once, pool_atfork); /* before the first bytes are handed out */
        if (RAND_bytes(rnd.bytes, RANDOM_POOL_BYTES) != 1)
            return NB_EIO;
        rnd.left = RANDOM_POOL_BYTES;
    }
    unsigned char *next = rnd.bytes + RANDOM_POOL_BYTES - rnd.left;
    memcpy(out, next, len);
    memset(next, 0, len); /* handed out once */
    rnd.left -= len;
    return 0;
}

void nb__uuid_format(unsigned char b[16], char out[NB_UUID_SIZE]) {
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

void nb__uuid(char out[NB_UUID_SIZE]) {
    unsigned char b[16];
    if (nb__random_bytes(b, sizeof b) != 0)
        memset(b, 0, sizeof b); /* no entropy: still a well-formed id */
    nb__uuid_format(b, out);
}

int nb__random_id(const char *alphabet, size_t len, char *out) {
    size_t n = alphabet ? strlen(alphabet) : 0;
    if (n < 2 || n > 256)
        return NB_EINVAL;
    /* bytes at or above the largest multiple of n would favour the first characters: drawn again */
    unsigned limit = 256 - 256 % (unsigned)n;
    unsigned char pool[64];
    size_t used = sizeof pool;
    for (size_t i = 0; i < len;) {
        if (used == sizeof pool) {
            if (nb__random_bytes(pool, sizeof pool) != 0)
                return NB_EIO;
            used = 0;
        }
        unsigned char r = pool[used++];
        if (r < limit)
            out[i++] = alphabet[r % n];
    }
    out[len] = '\0';
    return 0;
}
