/* GetRandomPassword: every character drawn uniformly, without modulo bias, from the core's
 * cryptographic generator (nb_random_bytes: OpenSSL's CSPRNG). */
#include <string.h>

#include <openssl/crypto.h>

#include "sm.h"

#define SM_PUNCTUATION "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

typedef struct rng {
    unsigned char buf[256];
    size_t pos;
} rng_t;

static int next_byte(rng_t *r, unsigned char *out) {
    if (r->pos == 0 || r->pos >= sizeof r->buf) {
        if (nb_random_bytes(r->buf, sizeof r->buf) != 0)
            return NB_EIO;
        r->pos = 0;
    }
    *out = r->buf[r->pos++];
    return 0;
}

/* A uniform index below n (1 to 256). */
static int uniform(rng_t *r, size_t n, size_t *out) {
    unsigned limit = 256u - 256u % (unsigned)n;
    unsigned char b;
    do {
        if (next_byte(r, &b) != 0)
            return NB_EIO;
    } while (b >= limit);
    *out = b % n;
    return 0;
}

/* The characters of set that exclude does not name, into out (NUL-terminated). */
static size_t keep(const char *set, const char *exclude, char *out) {
    size_t n = 0;
    for (const char *p = set; *p; p++) {
        if (exclude == NULL || strchr(exclude, *p) == NULL)
            out[n++] = *p;
    }
    out[n] = '\0';
    return n;
}

nb_result_t secretsmanager_get_random_password(nb_req_t *req, const json_t *input) {
    json_int_t length = nb_json_int(input, "PasswordLength", 32);
    const char *exclude = nb_json_str(input, "ExcludeCharacters");
    const struct {
        const char *chars, *option;
        int dflt;
    } types[] = {
        {"abcdefghijklmnopqrstuvwxyz", "ExcludeLowercase", 0},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "ExcludeUppercase", 0},
        {"0123456789", "ExcludeNumbers", 0},
        {SM_PUNCTUATION, "ExcludePunctuation", 0},
        {" ", "IncludeSpace", 1}, /* the one type that is opt-in */
    };
    char sets[5][40];
    char all[128];
    size_t nsets = 0, nall = 0;
    for (size_t i = 0; i < 5; i++) {
        bool on = types[i].dflt ? nb_json_bool(input, types[i].option, 0) : !nb_json_bool(input, types[i].option, 0);
        if (!on)
            continue;
        size_t n = keep(types[i].chars, exclude, sets[nsets]);
        if (n == 0)
            continue;
        memcpy(all + nall, sets[nsets], n);
        nall += n;
        nsets++;
    }
    all[nall] = '\0';
    if (nall == 0)
        return nb_error(req, "InvalidParameterException",
                        "The password can't be generated: every character type is excluded.");
    bool each = nb_json_bool(input, "RequireEachIncludedType", 1);
    if (each && (size_t)length < nsets)
        return nb_error(req, "InvalidParameterException",
                        "The password length is too short to include a character of each included type.");
    char *pw = nb_req_alloc(req, (size_t)length + 1);
    if (pw == NULL)
        return NB_FAILED(NB_ENOMEM);
    rng_t r = {.pos = 0};
    size_t k;
    size_t i = 0;
    if (each) {
        for (; i < nsets; i++) { /* one of each type first, then shuffled in with the rest */
            if (uniform(&r, strlen(sets[i]), &k) != 0)
                return NB_FAILED(NB_EIO);
            pw[i] = sets[i][k];
        }
    }
    for (; i < (size_t)length; i++) {
        if (uniform(&r, nall, &k) != 0)
            return NB_FAILED(NB_EIO);
        pw[i] = all[k];
    }
    for (size_t j = (size_t)length; j > 1; j--) { /* Fisher-Yates: the required characters anywhere */
        size_t pick = 0;
        if (j <= 256) {
            if (uniform(&r, j, &pick) != 0)
                return NB_FAILED(NB_EIO);
        } else {
            unsigned char b[4];
            uint32_t v, limit = UINT32_MAX - UINT32_MAX % (uint32_t)j;
            do {
                if (nb_random_bytes(b, 4) != 0)
                    return NB_FAILED(NB_EIO);
                v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
            } while (v >= limit);
            pick = v % j;
        }
        char t = pw[j - 1];
        pw[j - 1] = pw[pick];
        pw[pick] = t;
    }
    pw[length] = '\0';
    json_t *out = json_pack("{s:s}", "RandomPassword", pw);
    OPENSSL_cleanse(pw, (size_t)length);
    return nb_reply_new(req, out);
}
