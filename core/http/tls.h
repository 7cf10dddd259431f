/*
 * HTTPS beside plain HTTP on the same listening port, as LocalStack serves it: a connection
 * whose first byte opens a TLS handshake record (0x16, which no HTTP method starts with) is
 * TLS, any other connection plain HTTP.
 *
 * OpenSSL runs on the libuv loop and never blocks it: a BIO of our own hands OpenSSL the bytes
 * libuv just read and collects what OpenSSL produces into one buffer that becomes one uv_write.
 * A slow handshake costs a connection slot until NIMBUS_TLS_HANDSHAKE_TIMEOUT, bad bytes end
 * the connection. The connection code calls the hooks below where bytes enter and leave a
 * connection; on a plain connection they pass straight through.
 */
#ifndef NB_HTTP_TLS_H
#define NB_HTTP_TLS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "http/server.h"

typedef struct nb__tls_ctx nb__tls_ctx_t;
typedef struct nb__http_conn nb__http_conn_t;

/* A server context from a PEM certificate chain (the server's certificate first) and its PEM
 * private key (key_path NULL: the key is in cert_path too). NULL with *err (malloc'd) on error. */
nb__tls_ctx_t *nb__tls_ctx_new(const char *cert_path, const char *key_path, char **err);
/* The same, read at its first TLS connection rather than now (start-up time and memory of a
 * server no client speaks TLS to); a failure then is said on stderr and refuses TLS. NULL: no memory. */
nb__tls_ctx_t *nb__tls_ctx_new_lazy(const char *cert_path, const char *key_path);
void nb__tls_ctx_free(nb__tls_ctx_t *ctx);
/* srv answers TLS connections with ctx, which it owns from now on; a handshake not finished
 * handshake_timeout_ms after its first byte closes the connection (0: no limit). */
void nb__http_server_set_tls(nb__http_server_t *srv, nb__tls_ctx_t *ctx, uint64_t handshake_timeout_ms);

/* ---- hooks of the connection code (conn.c, write.c, chunked.c) ---- */

/* Bytes read from c: true when TLS took them (c is a TLS connection, or these bytes start one);
 * their plaintext then reaches nb__conn_received, a close_notify nb__conn_eof. false: plain. */
bool nb__tls_read(nb__http_conn_t *c, const char *data, size_t len);
/* uv_write on c's socket, encrypted on a TLS connection; cb(req, status) runs once the bytes
 * are written or failed, never before this returns, as uv_write's. */
int nb__conn_write(nb__http_conn_t *c, uv_write_t *req, const uv_buf_t bufs[], unsigned nbufs, uv_write_cb cb);
/* Before the connection's FIN: TLS's close_notify, so the client sees a clean end. */
void nb__tls_close_notify(nb__http_conn_t *c);
/* The loop time a handshake under way must be done by; 0 when none is under way. */
uint64_t nb__tls_handshake_deadline(const nb__http_conn_t *c);
/* The connection's TLS state goes with it (its handles are closed). */
void nb__tls_conn_free(nb__http_conn_t *c);

#endif
