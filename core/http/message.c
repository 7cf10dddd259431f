#include "http/message.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "nimbus/errno.h"

static inline unsigned char ascii_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

struct nb__header_block {
    nb__header_block_t *next;
    size_t used, cap;
    alignas(max_align_t) char data[];
};

/* A request's headers (some 600 bytes from an SDK) fit in the first block, whose allocation
 * stays within what glibc serves from its per-thread cache (1032 bytes). */
#define HEADER_BLOCK_BYTES (1024 - sizeof(nb__header_block_t))

/* n bytes for a name and its value, from the newest block or a new one (pushed in front). */
static char *block_alloc(nb__headers_t *h, size_t n) {
    nb__header_block_t *b = h->blocks;
    if (b == NULL || h->packed || b->cap - b->used < n) {
        size_t cap = n > HEADER_BLOCK_BYTES ? n : HEADER_BLOCK_BYTES;
        if ((b = malloc(sizeof *b + cap)) == NULL)
            return NULL;
        *b = (nb__header_block_t){.next = h->blocks, .cap = cap};
        h->blocks = b;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

static int items_grow(nb__headers_t *h) {
    size_t cap = h->cap ? h->cap * 2 : 16;
    nb__header_t *items;
    if (h->packed) { /* the list's items share the packed block: copied out of it */
        if ((items = malloc(cap * sizeof *items)) == NULL)
            return NB_ENOMEM;
        if (h->len)
            memcpy(items, h->items, h->len * sizeof *items);
        h->packed = false;
    } else if ((items = realloc(h->items, cap * sizeof *items)) == NULL) {
        return NB_ENOMEM;
    }
    h->items = items;
    h->cap = cap;
    return 0;
}

/* The names bit of a name, case-insensitive. */
static inline uint64_t name_bit(const char *name, size_t len) {
    if (len == 0)
        return 1;
    unsigned k = (unsigned)len * 7u + ascii_lower((unsigned char)name[0]) + 3u * ascii_lower((unsigned char)name[len - 1]);
    return (uint64_t)1 << (k & 63);
}

int nb__headers_addn(nb__headers_t *h, const char *name, size_t nlen, const char *value, size_t vlen) {
    if (h->len == h->cap && items_grow(h) != 0)
        return NB_ENOMEM;
    char *n = block_alloc(h, nlen + 1 + vlen + 1);
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
    h->items[h->len].value_len = vlen;
    h->len++;
    h->names |= name_bit(name, nlen); /* a removed name's bit stays: a lookup of it then scans */
    return 0;
}

int nb__headers_add(nb__headers_t *h, const char *name, const char *value) {
    return nb__headers_addn(h, name, strlen(name), value, strlen(value));
}

void nb__headers_remove(nb__headers_t *h, const char *name) {
    size_t j = 0, len = strlen(name);
    if (!(h->names & name_bit(name, len))) /* never added (nb__headers_set of a new name): nothing to scan */
        return;
    for (size_t i = 0; i < h->len; i++) {
        if (!nb__header_is(&h->items[i], name, len)) /* a removed one's bytes stay in its block */
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
    if (!(h->names & name_bit(name, len)))
        return NULL;
    for (size_t i = 0; i < h->len; i++)
        if (nb__header_is(&h->items[i], name, len))
            return h->items[i].value;
    return NULL;
}

size_t nb__headers_count(const nb__headers_t *h, const char *name) {
    size_t len = strlen(name), n = 0;
    if (!(h->names & name_bit(name, len)))
        return 0;
    for (size_t i = 0; i < h->len; i++)
        n += nb__header_is(&h->items[i], name, len);
    return n;
}

static void blocks_free(nb__header_block_t *b) {
    for (nb__header_block_t *next; b; b = next) {
        next = b->next;
        free(b);
    }
}

void nb__headers_shrink(nb__headers_t *h) {
    if (h->len == 0 || h->packed)
        return;
    size_t bytes = h->len * sizeof *h->items;
    for (size_t i = 0; i < h->len; i++)
        bytes += h->items[i].name_len + 1 + h->items[i].value_len + 1;
    nb__header_block_t *b = malloc(sizeof *b + bytes);
    if (b == NULL)
        return; /* the larger list stays: no harm */
    b->next = NULL;
    b->used = b->cap = bytes;
    nb__header_t *items = (nb__header_t *)(void *)b->data;
    char *p = b->data + h->len * sizeof *items;
    for (size_t i = 0; i < h->len; i++) {
        size_t n = h->items[i].name_len + 1, v = h->items[i].value_len + 1;
        items[i] = h->items[i];
        items[i].name = memcpy(p, h->items[i].name, n);
        items[i].value = memcpy(p + n, h->items[i].value, v);
        p += n + v;
    }
    free(h->items);
    blocks_free(h->blocks);
    h->items = items;
    h->cap = h->len;
    h->blocks = b;
    h->packed = true;
}

void nb__headers_free(nb__headers_t *h) {
    if (!h->packed)
        free(h->items);
    blocks_free(h->blocks);
    memset(h, 0, sizeof *h);
}

void nb__http_request_free(nb__http_request_t *r) {
    free(r->method);
    if (!r->strings_packed) {
        free(r->target);
        free(r->path);
        free(r->query);
    }
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
