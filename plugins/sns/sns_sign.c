/* Message signatures: an RSA key and a self-signed certificate made once and kept in the store
 * (so a verifier that cached the certificate keeps working across restarts), SHA1withRSA for
 * SignatureVersion 1 and SHA256withRSA for 2, as SNS signs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "sns.h"

static EVP_PKEY *sign_key;
static char *sign_cert;
/* The last text signed and its signature: a message fanned out to N subscribers is signed once,
 * since the string to sign leaves out what differs between them (UnsubscribeURL). An RSA signature
 * costs far more than a delivery otherwise. */
static struct {
    char *text, *sig;
    int version;
} last;


/* A new key and its certificate, as PEM texts (malloc'd): 0 or -1. RSA of 1024 bits, not AWS's 2048:
 * every notification delivered in its envelope costs a signature, and a 2048-bit one (about 250 us
 * here) was two thirds of a publish's CPU; verifiers check the signature, not the key's size, and
 * nothing here needs the strength. */
static int make_key(char **key_pem, char **cert_pem) {
    EVP_PKEY *pkey = EVP_RSA_gen(1024);
    X509 *x = X509_new();
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    int rc = -1;
    if (pkey && x && kb && cb) {
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), (long)nb_now());
        X509_gmtime_adj(X509_getm_notBefore(x), -86400);
        X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400);
        X509_set_pubkey(x, pkey);
        X509_NAME *name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sns.amazonaws.com", -1, -1, 0);
        X509_set_issuer_name(x, name);
        if (X509_sign(x, pkey, EVP_sha256()) > 0 && PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) &&
            PEM_write_bio_X509(cb, x)) {
            char *p;
            long n = BIO_get_mem_data(kb, &p);
            *key_pem = strndup(p, (size_t)n);
            n = BIO_get_mem_data(cb, &p);
            *cert_pem = strndup(p, (size_t)n);
            rc = *key_pem && *cert_pem ? 0 : -1;
        }
    }
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}

int sns_sign_load(void) {
    sqlite3_stmt *s = nb_store_stmt(&sns.store, "SELECT key_pem, cert_pem FROM _signing WHERE id = 1");
    if (s == NULL)
        return NB_ESTORE;
    char *key_pem = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        key_pem = strdup((const char *)sqlite3_column_text(s, 0));
        sign_cert = strdup((const char *)sqlite3_column_text(s, 1));
    }
    sqlite3_reset(s);
    if (key_pem == NULL) {
        if (make_key(&key_pem, &sign_cert) != 0)
            return NB_EIO;
        s = nb_store_stmt(&sns.store, "INSERT OR REPLACE INTO _signing(id, key_pem, cert_pem) VALUES(1, ?1, ?2)");
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_text(s, 1, key_pem, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, sign_cert, -1, SQLITE_STATIC);
        if (nb_store_run(s) != 0) {
            free(key_pem);
            return NB_ESTORE;
        }
    }
    BIO *b = BIO_new_mem_buf(key_pem, -1);
    sign_key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    free(key_pem);
    return sign_key && sign_cert ? 0 : NB_EIO;
}

void sns_sign_free(void) {
    free(last.text);
    free(last.sig);
    memset(&last, 0, sizeof last);
    EVP_PKEY_free(sign_key);
    free(sign_cert);
    sign_key = NULL;
    sign_cert = NULL;
}

const char *sns_sign_cert_pem(void) { return sign_cert ? sign_cert : ""; }

char *sns_sign(const char *text, int version) {
    if (last.text && last.version == version && strcmp(last.text, text) == 0)
        return strdup(last.sig);
    char *sig = sns_sign_uncached(text, version);
    if (sig) {
        char *t = strdup(text), *c = strdup(sig);
        if (t && c) {
            free(last.text);
            free(last.sig);
            last.text = t;
            last.sig = c;
            last.version = version;
        } else {
            free(t);
            free(c);
        }
    }
    return sig;
}

/* Reads the key only: OpenSSL lets threads sign with one EVP_PKEY at once. */
char *sns_sign_uncached(const char *text, int version) {
    if (sign_key == NULL)
        return NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t n = sizeof sig;
    char *out = NULL;
    if (ctx && EVP_DigestSignInit(ctx, NULL, version == 2 ? EVP_sha256() : EVP_sha1(), NULL, sign_key) == 1 &&
        EVP_DigestSign(ctx, sig, &n, (const unsigned char *)text, strlen(text)) == 1) {
        out = malloc(NB_BASE64_SIZE(n));
        if (out && nb_base64_encode(sig, n, 0, out, NB_BASE64_SIZE(n)) < 0) {
            free(out);
            out = NULL;
        }
    }
    EVP_MD_CTX_free(ctx);
    return out;
}

const char *sns_base_url(char *buf, size_t cap) {
    const char *host = nb_config_get("LOCALSTACK_HOST");
    snprintf(buf, cap, "http://%s", host && *host ? host : "localhost.localstack.cloud:4566");
    return buf;
}
