/* Temporary credentials: key ids that encode their account as AWS's do, secrets, session tokens,
 * and their registration in the core's credential registry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_plugin.h"

static const char base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"; /* RFC 4648 */

/* AWS key ids after the 4-letter prefix are 10 bytes in base32: bits 7..46 of the first six
 * bytes (big-endian) are the account, so GetAccessKeyInfo can answer without state. */
static int key_id_new(const char *prefix, const char *account, char out[21]) {
    unsigned char b[10];
    if (nb_random_bytes(b, sizeof b) != 0)
        return NB_EIO;
    unsigned long long acct = strtoull(account, NULL, 10);
    unsigned long long z = ((unsigned long long)(b[0] & 0x80) << 40) | (acct << 7) | (b[5] & 0x7f);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(z >> (40 - 8 * i));
    memcpy(out, prefix, 4);
    unsigned long long acc = 0;
    int bits = 0, n = 4;
    for (size_t i = 0; i < sizeof b; i++) {
        acc = (acc << 8) | b[i];
        bits += 8;
        while (bits >= 5) {
            out[n++] = base32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    out[n] = '\0';
    return 0;
}

int sts_key_account(const char *akid, char account[STS_ACCOUNT_SIZE]) {
    if (strlen(akid) != 20 || (strncmp(akid, "AKIA", 4) != 0 && strncmp(akid, "ASIA", 4) != 0))
        return NB_EINVAL;
    unsigned long long z = 0;
    for (int i = 4; i < 14; i++) { /* 10 characters: the first 50 bits cover the 48 needed */
        const char *at = strchr(base32, akid[i]);
        if (at == NULL || *at == '\0')
            return NB_EINVAL;
        z = (z << 5) | (unsigned long long)(at - base32);
    }
    z >>= 2; /* the first 48 bits */
    snprintf(account, STS_ACCOUNT_SIZE, "%012llu", (z & 0x7fffffffff80ull) >> 7);
    return 0;
}

void sts_stable_id(const char *name, char out[18]) {
    unsigned char d[NB_DIGEST_MAX];
    nb_digest(NB_DIGEST_SHA256, name, strlen(name), d);
    static const char alnum[] = NB_ID_UPPER_ALNUM;
    for (int i = 0; i < 17; i++)
        out[i] = alnum[d[i] % 36];
    out[17] = '\0';
}

/* Secrets and tokens in the alphabet AWS's use. */
#define SECRET_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define TOKEN_LEN 356

nb_step_t sts_issue(nb_req_t *req, const sts_session_t *s, json_t **credentials) {
    char akid[21], secret[41], token[TOKEN_LEN + 1];
    /* IQoJb3JpZ2luX2Vj: the base64 start every STS session token shares */
    memcpy(token, "IQoJb3JpZ2luX2Vj", 16);
    if (key_id_new("ASIA", s->account, akid) != 0 || nb_random_id(SECRET_ALPHABET, 40, secret) != 0 ||
        nb_random_id(SECRET_ALPHABET, TOKEN_LEN - 16, token + 16) != 0)
        return nb_stop(NB_FAILED(NB_EIO));
    double expiration = (double)((long long)nb_now() + s->duration);
    nb_credentials_t c = {
        .access_key_id = akid,
        .secret_access_key = secret,
        .session_token = token,
        .account = s->account,
        .principal_arn = s->principal_arn,
        .user_id = s->user_id,
        .expiration = expiration,
    };
    int rc = nb_credentials_put(nb_req_plugin(req), &c);
    if (rc != 0)
        return nb_stop(NB_FAILED(rc));
    *credentials = json_pack("{s:s,s:s,s:s,s:f}", "AccessKeyId", akid, "SecretAccessKey", secret, "SessionToken",
                             token, "Expiration", expiration);
    return NB_GO_ON;
}
