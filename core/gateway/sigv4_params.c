/* What a SigV4 request says it signed (sigv4_params.h). */
#include "gateway/sigv4_params.h"

#include <string.h>

#include "router/context.h"

bool nb__sigv4_split_credential(const char *v, size_t n, nb__sigv4_params_t *s) {
    struct {
        char *dst;
        size_t cap;
    } parts[] = {{s->akid, sizeof s->akid},
                 {s->date, sizeof s->date},
                 {s->region, sizeof s->region},
                 {s->service, sizeof s->service}};
    nb__scope_parts_t sp;
    if (nb__scope_split(v, n, &sp) != 5 || sp.len[4] != 12 || memcmp(sp.part[4], "aws4_request", 12) != 0)
        return false;
    for (size_t i = 0; i < 4; i++)
        if (sp.len[i] == 0 || sp.len[i] >= parts[i].cap)
            return false;
    for (size_t i = 0; i < 4; i++)
        nb__copy_part(parts[i].dst, parts[i].cap, sp.part[i], sp.len[i]);
    /* the scope is the credential without its key: one copy, no formatting */
    size_t from = sp.len[0] + 1;
    nb__copy_part(s->scope, sizeof s->scope, v + from, n - from);
    return n - from < sizeof s->scope;
}

nb__sigv4_header_form_t nb__sigv4_from_header(const char *auth, nb__sigv4_params_t *s) {
    while (*auth == ' ')
        auth++;
    if (strncmp(auth, "AWS4-HMAC-SHA256", 16) != 0 || (auth[16] != ' ' && auth[16] != '\t'))
        return NB_SIGV4_HEADER_OTHER;
    bool cred = false;
    s->signed_headers[0] = s->signature[0] = '\0';
    for (const char *p = auth + 17; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t n = strcspn(p, ", \t");
        if (n > 11 && strncmp(p, "Credential=", 11) == 0)
            cred = nb__sigv4_split_credential(p + 11, n - 11, s);
        else if (n > 14 && strncmp(p, "SignedHeaders=", 14) == 0)
            nb__copy_part(s->signed_headers, sizeof s->signed_headers, p + 14, n - 14);
        else if (n > 10 && strncmp(p, "Signature=", 10) == 0)
            nb__copy_part(s->signature, sizeof s->signature, p + 10, n - 10);
        p += n;
    }
    s->presigned = false;
    /* a signature left out is not a signature passed */
    return cred && s->signed_headers[0] && s->signature[0] ? NB_SIGV4_HEADER_OK : NB_SIGV4_HEADER_MALFORMED;
}

const char *const nb__sigv4_query_params[NB_SIGV4_QUERY_PARAMS] = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"};

nb__sigv4_query_form_t nb__sigv4_from_query(const nb__query_t *q, nb__sigv4_params_t *s) {
    const char *v[NB_SIGV4_QUERY_PARAMS];
    for (size_t i = 0; i < NB_SIGV4_QUERY_PARAMS; i++)
        if ((v[i] = nb__query_value(q, nb__sigv4_query_params[i])) == NULL)
            return NB_SIGV4_QUERY_MISSING;
    if (strcmp(v[0], "AWS4-HMAC-SHA256") != 0)
        return NB_SIGV4_QUERY_ALGORITHM;
    if (!nb__sigv4_split_credential(v[1], strlen(v[1]), s))
        return NB_SIGV4_QUERY_CREDENTIAL;
    nb__copy_part(s->signature, sizeof s->signature, v[2], strlen(v[2]));
    nb__copy_part(s->amz_date, sizeof s->amz_date, v[3], strlen(v[3]));
    nb__copy_part(s->signed_headers, sizeof s->signed_headers, v[4], strlen(v[4]));
    s->presigned = true;
    return NB_SIGV4_QUERY_OK;
}
