/*
 * The certificate HTTPS is served with when the user brings none: a local certificate
 * authority and a server certificate it signs, made once into a folder (DATA_DIR/tls) and
 * reused at every start, so that clients told to trust the CA (curl --cacert, boto3's
 * verify=, the AWS CLI's --ca-bundle, NODE_EXTRA_CA_CERTS) keep trusting the server.
 *
 *   ca.crt      the CA's certificate: what clients trust
 *   ca.key      its private key (mode 0600)
 *   server.pem  the server's private key, certificate and the CA's certificate (mode 0600),
 *               the single-file form LocalStack's CUSTOM_SSL_CERT_PATH takes
 *   .checked    what the last full check found (the files' CRC-64s, validity, names): a start
 *               that matches it reuses the files without loading OpenSSL's tables
 *
 * Keys are EC P-256 (a few milliseconds to make). The server certificate is made again, by the
 * same CA, when its names change or it expires within 30 days; the CA (10 years) only when it
 * is missing, broken or expiring. Several servers sharing the folder take turns (flock).
 */
#ifndef NB_HTTP_TLS_CERT_H
#define NB_HTTP_TLS_CERT_H

#include <stdbool.h>
#include <stddef.h>

/* The names every server certificate covers: localhost, localhost.localstack.cloud with its
 * subdomains, the S3 virtual-host, regional and Lambda-URL forms under it, 127.0.0.1 and ::1.
 * NULL-terminated, "DNS:name" or "IP:address" (OpenSSL's subjectAltName syntax). */
extern const char *const nb__tls_default_names[];
/* The server certificate's subject common name (quirks.c). */
extern const char nb__tls_common_name[];

typedef struct nb__tls_files {
    char *ca;     /* ca.crt */
    char *server; /* server.pem: key and chain */
    bool made;    /* the server certificate was made now (else reused) */
} nb__tls_files_t;

/* Makes or reuses dir's files for the default names plus extra (NULL-terminated, same syntax,
 * may be NULL). 0, or -1 with *err (malloc'd). */
int nb__tls_cert_ensure(const char *dir, const char *const *extra, nb__tls_files_t *out, char **err);
void nb__tls_files_free(nb__tls_files_t *f);

#endif
