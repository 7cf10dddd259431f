/* Content codings of request bodies (content_decode.h). */
#include "http/content_decode.h"

#include <string.h>
#include <strings.h>

#include "http/aws_chunked.h"
#include "http/body.h"
#include "http/gunzip.h"

nb__content_codings_t nb__content_codings(const nb__http_request_t *http) {
    nb__content_codings_t c = {false, false};
    const char *v = nb__http_request_header(http, "Content-Encoding");
    while (v && *v) {
        v += strspn(v, " \t,");
        size_t n = strcspn(v, ",");
        size_t len = n;
        while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
            len--;
        if ((len == 4 && strncasecmp(v, "gzip", 4) == 0) || (len == 6 && strncasecmp(v, "x-gzip", 6) == 0))
            c.gzip = true;
        else if (len == 11 && strncasecmp(v, "aws-chunked", 11) == 0)
            c.aws_chunked = true;
        v += n;
    }
    return c;
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
