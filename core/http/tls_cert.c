/* The generated CA and server certificate (see tls_cert.h). */
#include "http/tls_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/buf.h"

#define CA_DAYS 3650
/* Apple's clients refuse a server certificate valid for longer than 825 days. */
#define SERVER_DAYS 825
#define RENEW_BEFORE_DAYS 30

static int fail(char **err, const char *what, const char *path) {
    char detail[256] = "";
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, detail, sizeof detail);
    else if (errno)
        snprintf(detail, sizeof detail, "%s", strerror(errno));
    ERR_clear_error();
    *err = nb__strdup_printf("%s%s%s%s%s", what, path ? " " : "", path ? path : "", detail[0] ? ": " : "", detail);
    return -1;
}

/* ---- reading what an earlier start made ---- */

/* The first certificate (cert non-NULL) and the private key (key non-NULL) of a PEM file, each
 * NULL when the file lacks it: PEM reading skips the blocks of other kinds. */
static void read_pem(const char *path, X509 **cert, EVP_PKEY **key) {
    FILE *f = fopen(path, "r");
    if (cert)
        *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        rewind(f);
    if (key)
        *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
}

/* Still valid RENEW_BEFORE_DAYS from now. */
static bool lasts(const X509 *x) {
    time_t later = time(NULL) + (time_t)RENEW_BEFORE_DAYS * 86400;
    return X509_cmp_time(X509_get0_notAfter(x), &later) > 0 && X509_cmp_current_time(X509_get0_notBefore(x)) < 0;
}

/* Whether x's subjectAltName holds exactly these names ("DNS:..." / "IP:..."). */
static bool has_names(X509 *x, const char *const *names) {
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (gens == NULL)
        return false;
    int count = 0;
    bool all = true;
    for (const char *const *n = names; *n && all; n++, count++) {
        bool ip = strncmp(*n, "IP:", 3) == 0;
        const char *v = *n + (ip ? 3 : 4);
        ASN1_OCTET_STRING *want = ip ? a2i_IPADDRESS(v) : NULL;
        bool found = false;
        for (int i = 0; i < sk_GENERAL_NAME_num(gens) && !found; i++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
            if (ip && g->type == GEN_IPADD && want)
                found = ASN1_STRING_cmp(g->d.iPAddress, want) == 0;
            else if (!ip && g->type == GEN_DNS)
                found = (size_t)ASN1_STRING_length(g->d.dNSName) == strlen(v) &&
                        memcmp(ASN1_STRING_get0_data(g->d.dNSName), v, strlen(v)) == 0;
        }
        ASN1_OCTET_STRING_free(want);
        all = found;
    }
    all = all && count == sk_GENERAL_NAME_num(gens);
    GENERAL_NAMES_free(gens);
    return all;
}

/* ---- making them ---- */

static int add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value) {
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);
    if (e == NULL)
        return -1;
    int rc = X509_add_ext(x, e, -1) == 1 ? 0 : -1;
    X509_EXTENSION_free(e);
    return rc;
}

static int random_serial(X509 *x) {
    BIGNUM *bn = BN_new();
    int rc = bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
                     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL
                 ? 0
                 : -1;
    BN_free(bn);
    return rc;
}

/* A certificate for key, signed by issuer (NULL: self-signed, the CA). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, const char *san) {
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    bool ca = issuer == NULL;
    X509_NAME *name = X509_get_subject_name(x);
    X509V3_CTX v3;
    int bad = X509_set_version(x, 2) != 1 || random_serial(x) != 0 ||
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL || /* clocks a little behind */
              X509_gmtime_adj(X509_getm_notAfter(x), (long)(ca ? CA_DAYS : SERVER_DAYS) * 86400) == NULL ||
              X509_set_pubkey(x, key) != 1 ||
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Nimbus", -1, -1, 0) != 1 ||
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1 ||
              X509_set_issuer_name(x, ca ? name : X509_get_subject_name(issuer)) != 1;
    if (!bad) {
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, ca ? x : issuer, x, NULL, NULL, 0);
        /* What strict verifiers (Python 3.13's VERIFY_X509_STRICT, Go, Apple) require. */
        bad = add_ext(x, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE") ||
              add_ext(x, &v3, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") ||
              add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
              add_ext(x, &v3, NID_authority_key_identifier, "keyid:always") ||
              (!ca && add_ext(x, &v3, NID_ext_key_usage, "serverAuth")) ||
              (san && add_ext(x, &v3, NID_subject_alt_name, san)) ||
              X509_sign(x, ca ? key : issuer_key, EVP_sha256()) == 0;
    }
    if (bad) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Writes the PEM file path in one step (a temp file renamed over it): a server reading it
 * meanwhile sees the old file or the new one. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert, X509 *chain) {
    char *tmp = nb__strdup_printf("%s.tmp.%d", path, (int)getpid());
    if (tmp == NULL)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        if (fd >= 0)
            close(fd);
        free(tmp);
        return -1;
    }
    int ok = (!key || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1) &&
             (!cert || PEM_write_X509(f, cert) == 1) && (!chain || PEM_write_X509(f, chain) == 1);
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

/* "DNS:a,DNS:b,IP:..." for OpenSSL's subjectAltName. */
static char *san_value(const char *const *names) {
    nb__buf_t b = NB__BUF_INIT;
    int rc = 0;
    for (const char *const *n = names; *n; n++)
        rc |= nb__buf_printf(&b, "%s%s", b.len ? "," : "", *n);
    if (rc != 0) {
        nb__buf_free(&b);
        return NULL;
    }
    return nb__buf_steal(&b, NULL);
}

/* The names the certificate must hold: the defaults, then extra without repeats. */
static const char **wanted_names(const char *const *extra) {
    size_t n = 0, m = 0;
    while (nb__tls_default_names[n])
        n++;
    while (extra && extra[m])
        m++;
    const char **all = calloc(n + m + 1, sizeof *all);
    if (all == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        all[k++] = nb__tls_default_names[i];
    for (size_t i = 0; i < m; i++) {
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++)
            dup = strcasecmp(all[j], extra[i]) == 0;
        if (!dup)
            all[k++] = extra[i];
    }
    return all;
}

typedef struct paths {
    char *ca_crt, *ca_key, *server, *lock;
} paths_t;

static void paths_free(paths_t *p) {
    free(p->ca_crt);
    free(p->ca_key);
    free(p->server);
    free(p->lock);
}

/* The CA, read back or made anew (the server certificate must then be made too). */
static int ensure_ca(const paths_t *p, X509 **ca, EVP_PKEY **ca_key, bool *made, char **err) {
    read_pem(p->ca_crt, ca, NULL);
    read_pem(p->ca_key, NULL, ca_key);
    ERR_clear_error();
    if (*ca && *ca_key && X509_check_private_key(*ca, *ca_key) == 1 && lasts(*ca)) {
        *made = false;
        return 0;
    }
    X509_free(*ca);
    EVP_PKEY_free(*ca_key);
    *made = true;
    if ((*ca_key = EVP_EC_gen("P-256")) == NULL)
        return fail(err, "cannot make the CA's key", NULL);
    char cn[128];
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(cn, sizeof cn, "Nimbus local CA (%s)", host[0] ? host : "localhost");
    if ((*ca = make_cert(*ca_key, cn, NULL, NULL, NULL)) == NULL)
        return fail(err, "cannot make the CA's certificate", NULL);
    if (write_pem(p->ca_key, 0600, *ca_key, NULL, NULL) != 0)
        return fail(err, "cannot write", p->ca_key);
    if (write_pem(p->ca_crt, 0644, NULL, *ca, NULL) != 0)
        return fail(err, "cannot write", p->ca_crt);
    return 0;
}

/* The server certificate in server.pem still serves: our CA's, for these names, not expiring. */
static bool server_reusable(const char *path, X509 *ca, const char *const *names) {
    X509 *leaf;
    EVP_PKEY *key;
    read_pem(path, &leaf, &key);
    EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
    bool ok = leaf && key && ca_pub && X509_check_private_key(leaf, key) == 1 && X509_verify(leaf, ca_pub) == 1 &&
              lasts(leaf) && has_names(leaf, names);
    X509_free(leaf);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok;
}

static int ensure_server(const paths_t *p, X509 *ca, EVP_PKEY *ca_key, const char *const *names, bool ca_made,
                         bool *made, char **err) {
    *made = false;
    if (!ca_made && server_reusable(p->server, ca, names))
        return 0;
    *made = true;
    char *san = san_value(names);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *leaf = key && san ? make_cert(key, nb__tls_common_name, ca, ca_key, san) : NULL;
    int rc = 0;
    if (leaf == NULL)
        rc = fail(err, "cannot make the server certificate", NULL);
    else if (write_pem(p->server, 0600, key, leaf, ca) != 0)
        rc = fail(err, "cannot write", p->server);
    X509_free(leaf);
    EVP_PKEY_free(key);
    free(san);
    return rc;
}

int nb__tls_cert_ensure(const char *dir, const char *const *extra, nb__tls_files_t *out, char **err) {
    memset(out, 0, sizeof *out);
    *err = NULL;
    paths_t p = {
        .ca_crt = nb__strdup_printf("%s/ca.crt", dir),
        .ca_key = nb__strdup_printf("%s/ca.key", dir),
        .server = nb__strdup_printf("%s/server.pem", dir),
        .lock = nb__strdup_printf("%s/.lock", dir),
    };
    const char **names = wanted_names(extra);
    if (!p.ca_crt || !p.ca_key || !p.server || !p.lock || !names) {
        paths_free(&p);
        free(names);
        *err = nb__strdup_printf("out of memory");
        return -1;
    }
    /* Servers starting together on one DATA_DIR must not each make a CA: the second would
     * sign with a key the first one's ca.crt does not match. */
    errno = 0;
    int lock = open(p.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        int rc = fail(err, "cannot lock", p.lock);
        if (lock >= 0)
            close(lock);
        paths_free(&p);
        free(names);
        return rc;
    }
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    bool ca_made = false;
    int rc = ensure_ca(&p, &ca, &ca_key, &ca_made, err);
    if (rc == 0)
        rc = ensure_server(&p, ca, ca_key, names, ca_made, &out->made, err);
    close(lock); /* releases the lock */
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    free(names);
    if (rc == 0) {
        out->ca = p.ca_crt;
        out->server = p.server;
        p.ca_crt = p.server = NULL;
    }
    paths_free(&p);
    return rc;
}

void nb__tls_files_free(nb__tls_files_t *f) {
    free(f->ca);
    free(f->server);
    memset(f, 0, sizeof *f);
}
