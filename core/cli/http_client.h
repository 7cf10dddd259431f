/* A blocking HTTP/1.1 client for the CLI's few calls to a running server (health, reset):
 * one request per connection, no TLS, no redirects. */
#ifndef NB_CLI_HTTP_CLIENT_H
#define NB_CLI_HTTP_CLIENT_H

#include <stddef.h>

typedef struct nb__cli_endpoint {
    char host[256]; /* a name or an address, without brackets */
    char port[8];
} nb__cli_endpoint_t;

typedef struct nb__cli_response {
    int status;
    char *body; /* NUL-terminated, malloc'd */
    size_t body_len;
} nb__cli_response_t;

/* Parses "http://host:port[/]", "host:port" or "[v6]:port" into ep; 0 or -1. */
int nb__cli_endpoint_parse(const char *text, nb__cli_endpoint_t *ep);
/* Sends method path with an empty body and reads the whole answer within timeout_ms.
 * 0 and *resp filled (free with nb__cli_response_free); -1 when no answer came (refused,
 * timed out, not HTTP), with why (a static string) set. */
int nb__cli_http(const nb__cli_endpoint_t *ep, const char *method, const char *path, int timeout_ms,
                 nb__cli_response_t *resp, const char **why);
void nb__cli_response_free(nb__cli_response_t *resp);

#endif
