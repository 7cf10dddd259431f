/* Action-table templates: resource ARNs and denial messages (template.h). */
#include "authz/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The N-th '/'-separated segment of s counted from its end (1: the last), as [*at, *at + *len). */
static int segment_from_end(const char *s, long n, const char **at, size_t *len) {
    const char *end = s + strlen(s);
    while (end > s && end[-1] == '/') /* a trailing slash ends no segment */
        end--;
    for (long i = 1;; i++) {
        const char *start = end;
        while (start > s && start[-1] != '/')
            start--;
        if (i == n) {
            *at = start;
            *len = (size_t)(end - start);
            return *len > 0 ? 0 : -1;
        }
        if (start == s)
            return -1;
        end = start - 1;
    }
}

/* A placeholder's value: a variable, else an input member (or a segment of one). */
static int lookup(const char *name, size_t nlen, const json_t *input, const nb__template_var_t *vars, size_t nvars,
                  const char **at, size_t *len) {
    for (size_t i = 0; i < nvars; i++) {
        if (strlen(vars[i].name) == nlen && memcmp(vars[i].name, name, nlen) == 0 && vars[i].value) {
            *at = vars[i].value;
            *len = strlen(vars[i].value);
            return 0;
        }
    }
    char member[128];
    const char *slash = memchr(name, '/', nlen);
    size_t mlen = slash ? (size_t)(slash - name) : nlen;
    if (mlen >= sizeof member)
        return -1;
    memcpy(member, name, mlen);
    member[mlen] = '\0';
    const char *v = json_string_value(json_object_get(input, member));
    if (v == NULL || *v == '\0')
        return -1;
    if (slash)
        return segment_from_end(v, strtol(slash + 1, NULL, 10), at, len);
    *at = v;
    *len = strlen(v);
    return 0;
}

/* The expansion into dst (size bytes, NUL-terminated when it fits): its length as snprintf counts
 * it, -1 when a placeholder has no value. */
static long expand(const char *tpl, const json_t *input, const nb__template_var_t *vars, size_t nvars, char *dst,
                   size_t size) {
    size_t n = 0;
    for (const char *p = tpl; *p;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        const char *at = p;
        size_t len;
        if (close == NULL) {
            len = strcspn(p + 1, "{") + 1;
            p += len;
        } else {
            if (lookup(p + 1, (size_t)(close - p - 1), input, vars, nvars, &at, &len) != 0)
                return -1;
            p = close + 1;
        }
        if (n + len < size)
            memcpy(dst + n, at, len);
        n += len;
    }
    if (size > 0)
        dst[n < size ? n : size - 1] = '\0';
    return (long)n;
}

long nb__template_expand_to(char *dst, size_t size, const char *tpl, const json_t *input,
                            const nb__template_var_t *vars, size_t nvars) {
    return expand(tpl, input, vars, nvars, dst, size);
}

char *nb__template_expand(const char *tpl, const json_t *input, const nb__template_var_t *vars, size_t nvars) {
    long n = expand(tpl, input, vars, nvars, NULL, 0);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s)
        expand(tpl, input, vars, nvars, s, (size_t)n + 1);
    return s;
}

void nb__template_context_each(const char *spec, const json_t *input,
                               void (*fn)(void *ctx, const char *key, const char *value), void *ctx) {
    for (const char *p = spec; p && *p;) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        char key[128], member[128];
        if (eq && (size_t)(eq - p) < sizeof key && n - (size_t)(eq - p) - 1 < sizeof member) {
            snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
            snprintf(member, sizeof member, "%.*s", (int)(n - (size_t)(eq - p) - 1), eq + 1);
            const json_t *v = json_object_get(input, member);
            char num[32];
            const char *text = json_string_value(v);
            if (json_is_integer(v))
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), text = num;
            else if (json_is_boolean(v))
                text = json_is_true(v) ? "true" : "false";
            if (text)
                fn(ctx, key, text);
        }
        p += n;
        if (*p == ',')
            p++;
    }
}
