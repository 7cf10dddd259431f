/* aws-chunked request bodies unframed (aws_chunked.h). */
#include "http/aws_chunked.h"

#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "nimbus/errno.h"

/* The end of the line starting at p ("\r\n"), or NULL when there is none before end. */
static const char *line_end(const char *p, const char *end) {
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p;
    return NULL;
}

int nb__aws_chunked_unframe(nb_body_t *in, uint64_t max, nb_body_t **out) {
    *out = NULL;
    int64_t size = nb__body_size(in);
    if ((uint64_t)size > max)
        return NB_ELIMIT;
    const char *p = nb__body_data(in, (size_t)size), *end = p ? p + size : NULL;
    if (p == NULL)
        return NB_ENOMEM;
    nb_body_t *b = nb__body_from_mem("", 0);
    if (b == NULL)
        return NB_ENOMEM;
    for (;;) {
        const char *eol = line_end(p, end);
        char *stop;
        unsigned long long n = eol ? strtoull(p, &stop, 16) : 0;
        if (eol == NULL || stop == p || (*stop != ';' && stop != eol) || n > (unsigned long long)(end - eol - 2))
            break; /* bad framing */
        const char *data = eol + 2;
        if (n == 0) { /* the last piece: trailers (checksums, already sent with the body), then the end */
            *out = b;
            return 0;
        }
        if ((size_t)(end - data) < n + 2 || data[n] != '\r' || data[n + 1] != '\n')
            break;
        if (nb__body_append(b, data, (size_t)n) != 0) {
            nb__body_free(b);
            return NB_ENOMEM;
        }
        p = data + n + 2;
    }
    nb__body_free(b);
    return NB_EPROTO;
}
