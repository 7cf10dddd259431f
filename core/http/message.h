/*
 * An HTTP/1.1 request and response as plain data, independent of the socket:
 * the server fills a request, the gateway and marshallers read it and fill a
 * response, the server writes that response. nimbus-marshal and the tests build
 * the same structs from text.
 */
#ifndef NB_HTTP_MESSAGE_H
#define NB_HTTP_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nimbus/plugin.h"
#include "util/buf.h"

typedef struct nb__header {
    char *name;  /* as received (case kept); compare with strcasecmp */
    char *value; /* in name's allocation, after its NUL: freeing name frees both */
    size_t name_len; /* a lookup compares lengths and first letters before any name */
    size_t value_len;
} nb__header_t;

typedef struct nb__header_block nb__header_block_t; /* message.c */

/* The names and values live in a few blocks the list owns (one malloc for a request's dozen
 * headers, not one each); a removed header's bytes stay there until nb__headers_free. Moved by
 * copying the struct (then the source is not freed). */
typedef struct nb__headers {
    nb__header_t *items;
    size_t len, cap;
    nb__header_block_t *blocks; /* newest first; NULL until the first header */
    bool packed;                /* items lives in the (single) block too (nb__headers_shrink) */
    uint64_t names;             /* a bit for each name added (its length and end letters): most
                                 * lookups are of headers a request does not have, answered by it */
} nb__headers_t;

int nb__headers_add(nb__headers_t *h, const char *name, const char *value);
int nb__headers_addn(nb__headers_t *h, const char *name, size_t nlen, const char *value, size_t vlen);
/* Drops every header of that name. */
void nb__headers_remove(nb__headers_t *h, const char *name);
/* Replaces every header of that name by one with this value. */
int nb__headers_set(nb__headers_t *h, const char *name, const char *value);
/* Is h named name (len bytes), case-insensitive? */
bool nb__header_is(const nb__header_t *h, const char *name, size_t len);
/* How many headers have that name. */
size_t nb__headers_count(const nb__headers_t *h, const char *name);
/* The first value of a header, case-insensitive; NULL when absent. */
const char *nb__headers_get(const nb__headers_t *h, const char *name);
void nb__headers_free(nb__headers_t *h);
/* Gives back the list's unused room (headers kept a while: a request's, for as long as it waits):
 * items, names and values are moved into one allocation of the exact size. */
void nb__headers_shrink(nb__headers_t *h);

typedef struct nb__http_request {
    char *method;   /* "GET" */
    char *target;   /* raw request target, "/b1/k%201?uploads" */
    char *path;     /* raw (still percent-encoded) path, "/b1/k%201" */
    char *query;    /* raw query string after '?', NULL when there is none */
    bool strings_packed; /* the four above are one allocation, method's (the HTTP server's) */
    nb__headers_t headers;
    nb_body_t *body; /* never NULL once the request is complete */
    uint64_t max_body;   /* the limit this request's body was held to */
    bool without_body; /* handed over without (the rest of) its body, for an error answer, and the
                        * connection closes after it: the body is over max_body (at most max_body bytes
                        * read), or the head hook answers it from the head (head_data says why) */
    void *head_data;   /* the head hook's, for the handler, who takes it (sets it NULL); else freed
                        * with the request by head_free */
    void (*head_free)(void *head_data);
    char peer[64];   /* "127.0.0.1:52662", for logs */
} nb__http_request_t;

void nb__http_request_free(nb__http_request_t *r); /* frees the members, not r */
const char *nb__http_request_header(const nb__http_request_t *r, const char *name);

typedef struct nb__http_response {
    int status;
    nb__headers_t headers; /* Content-Length is added by the writer */
    nb__buf_t body;        /* used when stream == NULL */
    nb_body_t *stream;     /* owned; a file or memory body sent as is (S3 GetObject) */
    bool no_body;          /* HEAD, 204, 304: headers only, Content-Length kept as given */
} nb__http_response_t;

void nb__http_response_init(nb__http_response_t *r);
void nb__http_response_free(nb__http_response_t *r); /* frees the members, not r */

/* The reason phrase for a status code, "Not Found". */
const char *nb__http_reason(int status);

#endif
