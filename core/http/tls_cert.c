/* The generated CA and server certificate (see tls_cert.h). */
#include "http/tls_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include "util/digest.h"

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

/* A temp file beside path, for commit(): a server reading path meanwhile sees the old file or
 * the new one. NULL (*tmp freed) on error. */
static FILE *create_tmp(const char *path, mode_t mode, char **tmp) {
    if ((*tmp = nb__strdup_printf("%s.tmp.%d", path, (int)getpid())) == NULL)
        return NULL;
    int fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        if (fd >= 0)
            close(fd);
        free(*tmp);
        *tmp = NULL;
    }
    return f;
}

/* Closes f and renames tmp over path when ok and every write reached the disk. */
static int commit(FILE *f, char *tmp, const char *path, bool ok) {
    ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert, X509 *chain) {
    char *tmp;
    FILE *f = create_tmp(path, mode, &tmp);
    if (f == NULL)
        return -1;
    bool ok = (!key || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1) &&
              (!cert || PEM_write_X509(f, cert) == 1) && (!chain || PEM_write_X509(f, chain) == 1);
    return commit(f, tmp, path, ok);
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
    char *ca_crt, *ca_key, *server, *lock, *checked;
} paths_t;

static void paths_free(paths_t *p) {
    free(p->ca_crt);
    free(p->ca_key);
    free(p->server);
    free(p->lock);
    free(p->checked);
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

/* server.pem's certificate when it still serves: our CA's, for these names, not expiring. */
static X509 *reusable_leaf(const char *path, X509 *ca, const char *const *names) {
    X509 *leaf;
    EVP_PKEY *key;
    read_pem(path, &leaf, &key);
    EVP_PKEY *ca_pub = X509_get0_pubkey(ca);
    bool ok = leaf && key && ca_pub && X509_check_private_key(leaf, key) == 1 && X509_verify(leaf, ca_pub) == 1 &&
              lasts(leaf) && has_names(leaf, names);
    EVP_PKEY_free(key);
    ERR_clear_error();
    if (!ok) {
        X509_free(leaf);
        return NULL;
    }
    return leaf;
}

/* The server certificate in server.pem, reused or made now (*leaf: the one it holds). */
static int ensure_server(const paths_t *p, X509 *ca, EVP_PKEY *ca_key, const char *const *names, const char *san,
                         bool ca_made, X509 **leaf, bool *made, char **err) {
    *made = false;
    if (!ca_made && (*leaf = reusable_leaf(p->server, ca, names)) != NULL)
        return 0;
    *made = true;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    *leaf = key ? make_cert(key, nb__tls_common_name, ca, ca_key, san) : NULL;
    int rc = 0;
    if (*leaf == NULL)
        rc = fail(err, "cannot make the server certificate", NULL);
    else if (write_pem(p->server, 0600, key, *leaf, ca) != 0)
        rc = fail(err, "cannot write", p->server);
    EVP_PKEY_free(key);
    return rc;
}

/* ---- the note of the last check: a restart that changed nothing needs no OpenSSL ---- */

/* Reading the three files and checking them takes OpenSSL's tables into memory (about 3 MiB, a few
 * milliseconds) at every start, though they change only when made. The note (.checked) holds
 * what the last full check found: each file's CRC-64, the time span the certificates pass
 * lasts() in and the names; a start whose files, names and clock all still match reuses them. */

typedef struct note {
    uint64_t crc[3]; /* ca.crt, ca.key, server.pem */
    long long from, until;
} note_t;

static int file_crc(const char *path, uint64_t *crc) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char buf[4096];
    size_t n;
    *crc = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        *crc = nb__crc64nvme(*crc, buf, n);
    int rc = ferror(f) ? -1 : 0;
    fclose(f);
    return rc;
}

static int files_crc(const paths_t *p, uint64_t crc[3]) {
    return file_crc(p->ca_crt, &crc[0]) || file_crc(p->ca_key, &crc[1]) || file_crc(p->server, &crc[2]) ? -1 : 0;
}

/* The Unix time an ASN.1 time stands for. */
static long long epoch_of(const ASN1_TIME *t) {
    int days = 0, secs = 0;
    time_t now = time(NULL);
    ASN1_TIME_diff(&days, &secs, NULL, t);
    return (long long)now + (long long)days * 86400 + secs;
}

static long long max_ll(long long a, long long b) { return a > b ? a : b; }
static long long min_ll(long long a, long long b) { return a < b ? a : b; }

/* Notes what was just checked; a note that cannot be written only means a full check next time. */
static void note_write(const paths_t *p, X509 *ca, X509 *leaf, const char *san) {
    note_t n;
    if (files_crc(p, n.crc) != 0)
        return;
    n.from = max_ll(epoch_of(X509_get0_notBefore(ca)), epoch_of(X509_get0_notBefore(leaf)));
    n.until = min_ll(epoch_of(X509_get0_notAfter(ca)), epoch_of(X509_get0_notAfter(leaf))) -
              (long long)RENEW_BEFORE_DAYS * 86400;
    char *tmp;
    FILE *f = create_tmp(p->checked, 0600, &tmp);
    if (f == NULL)
        return;
    bool ok = fprintf(f, "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %lld %lld %s\n", n.crc[0], n.crc[1], n.crc[2],
                      n.from, n.until, san) > 0;
    (void)commit(f, tmp, p->checked, ok);
}

/* The files are the ones the note checked, for these names, and now within their span. */
static bool note_holds(const paths_t *p, const char *san) {
    FILE *f = fopen(p->checked, "r");
    if (f == NULL)
        return false;
    note_t n;
    uint64_t now_crc[3];
    nb__buf_t names = NB__BUF_INIT;
    char buf[1024];
    size_t got;
    bool ok = fscanf(f, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %lld %lld ", &n.crc[0], &n.crc[1], &n.crc[2], &n.from,
                     &n.until) == 5;
    while (ok && (got = fread(buf, 1, sizeof buf, f)) > 0)
        ok = nb__buf_append(&names, buf, got) == 0;
    fclose(f);
    long long now = (long long)time(NULL);
    ok = ok && n.from < now && now < n.until && names.len == strlen(san) + 1 &&
         memcmp(names.data, san, names.len - 1) == 0 && names.data[names.len - 1] == '\n' &&
         files_crc(p, now_crc) == 0 && memcmp(now_crc, n.crc, sizeof now_crc) == 0;
    nb__buf_free(&names);
    return ok;
}

int nb__tls_cert_ensure(const char *dir, const char *const *extra, nb__tls_files_t *out, char **err) {
    memset(out, 0, sizeof *out);
    *err = NULL;
    paths_t p = {
        .ca_crt = nb__strdup_printf("%s/ca.crt", dir),
        .ca_key = nb__strdup_printf("%s/ca.key", dir),
        .server = nb__strdup_printf("%s/server.pem", dir),
        .lock = nb__strdup_printf("%s/.lock", dir),
        .checked = nb__strdup_printf("%s/.checked", dir),
    };
    const char **names = wanted_names(extra);
    char *san = names ? san_value(names) : NULL;
    if (!p.ca_crt || !p.ca_key || !p.server || !p.lock || !p.checked || !san) {
        paths_free(&p);
        free(names);
        free(san);
        *err = nb__strdup_printf("out of memory");
        return -1;
    }
    /* Servers starting together on one DATA_DIR must not each make a CA: the second would
     * sign with a key the first one's ca.crt does not match. */
    errno = 0;
    int lock = open(p.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int rc = 0;
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        rc = fail(err, "cannot lock", p.lock);
    } else if (!note_holds(&p, san)) {
        X509 *ca = NULL, *leaf = NULL;
        EVP_PKEY *ca_key = NULL;
        bool ca_made = false;
        rc = ensure_ca(&p, &ca, &ca_key, &ca_made, err);
        if (rc == 0)
            rc = ensure_server(&p, ca, ca_key, names, san, ca_made, &leaf, &out->made, err);
        if (rc == 0)
            note_write(&p, ca, leaf, san);
        X509_free(leaf);
        X509_free(ca);
        EVP_PKEY_free(ca_key);
    }
    if (lock >= 0)
        close(lock); /* releases the lock */
    free(names);
    free(san);
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
