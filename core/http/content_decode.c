/* Content codings of request bodies (content_decode.h). */
#include "http/content_decode.h"

#include <string.h>
#include <strings.h>

#include "http/aws_chunked.h"
#include "http/body.h"
#include "http/gunzip.h"
#include "nimbus/errno.h"
#include "util/buf.h"

typedef enum coding { CODING_OTHER, CODING_GZIP, CODING_AWS_CHUNKED } coding_t;

/* The next coding of a Content-Encoding list (comma-separated, spaces around) from *v on:
 * its start and length, *v moved past it; NULL at the end. */
static const char *next_coding(const char **v, size_t *len) {
    *v += strspn(*v, " \t,");
    if (**v == '\0')
        return NULL;
    const char *start = *v;
    size_t n = strcspn(start, ",");
    *v += n;
    while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
        n--;
    *len = n;
    return start;
}

static coding_t coding_of(const char *t, size_t len) {
    if ((len == 4 && strncasecmp(t, "gzip", 4) == 0) || (len == 6 && strncasecmp(t, "x-gzip", 6) == 0))
        return CODING_GZIP;
    if (len == 11 && strncasecmp(t, "aws-chunked", 11) == 0)
        return CODING_AWS_CHUNKED;
    return CODING_OTHER;
}

nb__content_codings_t nb__content_codings(const nb__http_request_t *http) {
    nb__content_codings_t c = {false, false};
    const char *v = nb__http_request_header(http, "Content-Encoding"), *t;
    size_t len;
    while (v && (t = next_coding(&v, &len)) != NULL) {
        coding_t k = coding_of(t, len);
        c.gzip |= k == CODING_GZIP;
        c.aws_chunked |= k == CODING_AWS_CHUNKED;
    }
    return c;
}

int nb__content_decoded_headers(const nb__headers_t *in, nb__headers_t *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < in->len; i++) {
        const char *name = in->items[i].name, *v = in->items[i].value, *t;
        if (strcasecmp(name, "Content-Encoding") != 0) {
            if (nb__headers_add(out, name, v) != 0)
                goto fail;
            continue;
        }
        nb__buf_t rest = {0};
        size_t len;
        while ((t = next_coding(&v, &len)) != NULL)
            if (coding_of(t, len) == CODING_OTHER) {
                if (rest.len)
                    nb__buf_append(&rest, ", ", 2);
                nb__buf_append(&rest, t, len);
            }
        int rc = rest.len ? nb__headers_addn(out, name, strlen(name), rest.data, rest.len) : 0;
        nb__buf_free(&rest);
        if (rc != 0)
            goto fail;
    }
    return 0;
fail:
    nb__headers_free(out);
    return NB_ENOMEM;
}

int nb__content_decode(const nb__http_request_t *http, uint64_t max, nb_body_t **out) {
    *out = NULL;
    nb__content_codings_t c = nb__content_codings(http);
    nb_body_t *framed = NULL;
    int rc = 0;
    /* aws-chunked frames the payload on the wire whichever place the header lists it in
     * ("aws-chunked,gzip" and "gzip,aws-chunked" both): it comes off first. */
    if (c.aws_chunked)
        rc = nb__aws_chunked_unframe(http->body, max, &framed);
    if (rc == 0 && c.gzip)
        rc = nb__gunzip_body(framed ? framed : http->body, max, false, out);
    else if (rc == 0)
        *out = framed, framed = NULL;
    if (framed)
        nb__body_free(framed);
    return rc;
}
