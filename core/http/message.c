#include "http/message.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"

static inline unsigned char ascii_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

int nb__headers_addn(nb__headers_t *h, const char *name, size_t nlen, const char *value, size_t vlen) {
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        nb__header_t *items = realloc(h->items, cap * sizeof *items);
        if (items == NULL)
            return NB_ENOMEM;
        h->items = items;
        h->cap = cap;
    }
    /* one allocation for both: a request's dozen headers cost a dozen mallocs, not two dozen */
    char *n = malloc(nlen + 1 + vlen + 1);
    if (n == NULL)
        return NB_ENOMEM;
    memcpy(n, name, nlen);
    n[nlen] = '\0';
    char *v = n + nlen + 1;
    memcpy(v, value, vlen);
    v[vlen] = '\0';
    h->items[h->len].name = n;
    h->items[h->len].value = v;
    h->items[h->len].name_len = nlen;
    h->len++;
    return 0;
}

int nb__headers_add(nb__headers_t *h, const char *name, const char *value) {
    return nb__headers_addn(h, name, strlen(name), value, strlen(value));
}

void nb__headers_remove(nb__headers_t *h, const char *name) {
    size_t j = 0;
    for (size_t i = 0; i < h->len; i++) {
        if (strcasecmp(h->items[i].name, name) == 0)
            free(h->items[i].name);
        else
            h->items[j++] = h->items[i];
    }
    h->len = j;
}

int nb__headers_set(nb__headers_t *h, const char *name, const char *value) {
    nb__headers_remove(h, name);
    return nb__headers_add(h, name, value);
}

bool nb__header_is(const nb__header_t *h, const char *name, size_t len) {
    return h->name_len == len && ascii_lower((unsigned char)h->name[0]) == ascii_lower((unsigned char)name[0]) &&
           strcasecmp(h->name, name) == 0;
}

/* Looked up a dozen times a request: length and first letter rule most names out before strcasecmp. */
const char *nb__headers_get(const nb__headers_t *h, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < h->len; i++)
        if (nb__header_is(&h->items[i], name, len))
            return h->items[i].value;
    return NULL;
}

size_t nb__headers_count(const nb__headers_t *h, const char *name) {
    size_t len = strlen(name), n = 0;
    for (size_t i = 0; i < h->len; i++)
        n += nb__header_is(&h->items[i], name, len);
    return n;
}

void nb__headers_shrink(nb__headers_t *h) {
    if (h->len == 0 || h->len == h->cap)
        return;
    nb__header_t *items = realloc(h->items, h->len * sizeof *items);
    if (items) { /* else the larger list stays: no harm */
        h->items = items;
        h->cap = h->len;
    }
}

void nb__headers_free(nb__headers_t *h) {
    for (size_t i = 0; i < h->len; i++)
        free(h->items[i].name);
    free(h->items);
    h->items = NULL;
    h->len = h->cap = 0;
}

void nb__http_request_free(nb__http_request_t *r) {
    free(r->method);
    free(r->target);
    free(r->path);
    free(r->query);
    nb__headers_free(&r->headers);
    nb__body_free(r->body);
    if (r->head_data && r->head_free)
        r->head_free(r->head_data);
    memset(r, 0, sizeof *r);
}

const char *nb__http_request_header(const nb__http_request_t *r, const char *name) {
    return nb__headers_get(&r->headers, name);
}

void nb__http_response_init(nb__http_response_t *r) {
    memset(r, 0, sizeof *r);
    r->status = 200;
}

void nb__http_response_free(nb__http_response_t *r) {
    nb__headers_free(&r->headers);
    nb__buf_free(&r->body);
    nb__body_free(r->stream);
    r->stream = NULL;
}

const char *nb__http_reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status < 300 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
    }
}
