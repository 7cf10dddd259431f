/* HTTPS on the gateway's ports (core/http/tls.h): with the user's certificate
 * (CUSTOM_SSL_CERT_PATH, LocalStack's setting), else with one made once into DATA_DIR/tls
 * (core/http/tls_cert.h) that also names LOCALSTACK_HOST and the addresses listened on. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "http/tls.h"
#include "http/tls_cert.h"
#include "nimbus/errno.h"
#include "store/store.h"
#include "util/buf.h"

#define MAX_EXTRA_NAMES (2 + NB_MAX_LISTEN)

/* "IP:addr" for an address literal (brackets around IPv6 dropped), else "DNS:name"; NULL for
 * the unspecified addresses (0.0.0.0, ::), which no client connects to by name. */
static char *san_entry(const char *host, size_t len, bool wildcard) {
    char h[256];
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof h)
        return NULL;
    memcpy(h, host, len);
    h[len] = '\0';
    unsigned char addr[16];
    bool v4 = inet_pton(AF_INET, h, addr) == 1, v6 = !v4 && inet_pton(AF_INET6, h, addr) == 1;
    if (v4 || v6) {
        static const unsigned char zero[16];
        if (wildcard || memcmp(addr, zero, v4 ? 4 : 16) == 0)
            return NULL;
        return nb__strdup_printf("IP:%s", h);
    }
    return nb__strdup_printf("DNS:%s%s", wildcard ? "*." : "", h);
}

/* LOCALSTACK_HOST's name (and its subdomains: S3 virtual hosts, queue URLs) and the addresses
 * of GATEWAY_LISTEN: clients reach the server by these. */
static size_t extra_names(const nb__config_t *cfg, char **out) {
    size_t n = 0;
    const char *lh = cfg->localstack_host ? cfg->localstack_host : "";
    const char *end = lh[0] == '[' ? strchr(lh, ']') : strrchr(lh, ':');
    size_t len = end ? (size_t)(end - lh) + (lh[0] == '[') : strlen(lh);
    for (int wildcard = 0; wildcard < 2; wildcard++)
        if ((out[n] = san_entry(lh, len, wildcard)) != NULL)
            n++;
    for (size_t i = 0; i < cfg->nlisten && n < MAX_EXTRA_NAMES; i++)
        if ((out[n] = san_entry(cfg->listen[i].host, strlen(cfg->listen[i].host), false)) != NULL)
            n++;
    out[n] = NULL;
    return n;
}

/* The generated certificate; NULL (and a line on stderr saying why) leaves HTTP alone on the
 * ports: a DATA_DIR Nimbus cannot write to must not stop a server that needs no HTTPS. */
static nb__tls_ctx_t *generated(const nb__config_t *cfg, FILE *log) {
    char *dir = nb__strdup_printf("%s/tls", cfg->data_dir);
    char *names[MAX_EXTRA_NAMES + 1];
    size_t n = extra_names(cfg, names);
    nb__tls_files_t files = {0};
    nb__tls_ctx_t *ctx = NULL;
    char *err = NULL;
    int rc = dir ? nb__store_mkdirs(dir, 0) : -1;
    if (rc != 0)
        err = nb__strdup_printf("cannot create %s: %s", dir ? dir : "DATA_DIR/tls", strerror(rc < 0 ? -rc : ENOMEM));
    else if (nb__tls_cert_ensure(dir, (const char *const *)names, &files, &err) == 0)
        ctx = nb__tls_ctx_new_lazy(files.server, NULL); /* files just checked: read at the first TLS client */
    if (ctx == NULL)
        fprintf(stderr, "nimbus: HTTPS is off, HTTP only: %s\n", err ? err : "out of memory");
    else if (log) /* NULL: LS_LOG=warn or error */
        fprintf(log, "nimbus: HTTPS on the same ports, certificate %s %s; clients trust the CA %s\n", files.server,
                files.made ? "made now" : "reused", files.ca);
    free(err);
    nb__tls_files_free(&files);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(dir);
    return ctx;
}

int nb__gateway_https(nb__gateway_t *gw, char **err) {
    const nb__config_t *cfg = gw->cfg;
    if (!cfg->https)
        return 0;
    nb__tls_ctx_t *ctx = NULL;
    if (cfg->ssl_cert_path) {
        char *why = NULL;
        if ((ctx = nb__tls_ctx_new(cfg->ssl_cert_path, cfg->ssl_key_path, &why)) == NULL) {
            *err = nb__strdup_printf("CUSTOM_SSL_CERT_PATH: %s", why ? why : "out of memory");
            free(why);
            return NB_EINVAL;
        }
        if (gw->log)
            fprintf(gw->log, "nimbus: HTTPS on the same ports, certificate %s\n", cfg->ssl_cert_path);
    } else if (cfg->ssl_key_path) {
        *err = nb__strdup_printf("NIMBUS_SSL_KEY_PATH is the key of CUSTOM_SSL_CERT_PATH, which is not set");
        return NB_EINVAL;
    } else if ((ctx = generated(cfg, gw->log)) == NULL) {
        return 0;
    }
    nb__http_server_set_tls(gw->http, ctx, cfg->tls_handshake_timeout_ms);
    return 0;
}
