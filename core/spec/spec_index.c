/* specs/index.tsv: one line per service with what routing needs (tools/specs/spec_index.py
 * writes it from the specs). Start-up reads this one small file instead of parsing every
 * spec: each service gets a stub, whose spec is read on its first request
 * (nb__spec_load_shapes). */
#include "spec/spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define INDEX_FILE "index.tsv"

enum { F_SERVICE, F_PATH, F_PROTOCOL, F_PROTOCOLS, F_SIGNING, F_ENDPOINT, F_TARGET, F_API_VERSION,
       F_JSON_VERSION, F_XML_NS, F_QUERY_COMPATIBLE, F_SERVICE_ID, F_HEADS, F_OPS, F_CATALOG, F__COUNT };

/* The whole file (NUL-terminated), or NULL. */
static char *read_all(FILE *f, size_t *len) {
    nb__buf_t b = NB__BUF_INIT;
    char chunk[64 * 1024];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (nb__buf_append(&b, chunk, n) != 0)
            break;
    if (n > 0 || ferror(f)) { /* out of memory, or a read error */
        nb__buf_free(&b);
        return NULL;
    }
    return nb__buf_steal(&b, len);
}

static const char *or_null(const char *s) { return s && *s ? s : NULL; }

/* One line's stub; its strings live in one block the spec owns. */
static nb__spec_t *stub_from_line(const char *dir, char *line, size_t len, char **err) {
    char *f[F__COUNT];
    size_t nf = 0;
    char *p = line, *end = line + len;
    while (nf < F__COUNT) {
        f[nf++] = p;
        char *tab = memchr(p, '\t', (size_t)(end - p));
        if (tab == NULL)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    if (nf != F__COUNT || !*f[F_SERVICE] || !*f[F_PATH]) {
        if (err)
            *err = strdup("index.tsv: a line does not have the 15 fields of tools/specs/spec_index.py");
        return NULL;
    }
    nb__spec_t *spec = calloc(1, sizeof *spec);
    char *strings = malloc(len + 1);
    char *path = nb__strdup_printf("%s/%s", dir, f[F_PATH]);
    if (spec == NULL || strings == NULL || path == NULL) {
        free(spec), free(strings), free(path);
        return NULL;
    }
    memcpy(strings, line, len);
    strings[len] = '\0';
#define KEEP(i) or_null(strings + (f[i] - line))
    spec->stub = true;
    spec->stub_strings = strings;
    spec->path = path;
    spec->service = strdup(f[F_SERVICE]);
    spec->catalog = f[F_CATALOG][0] == '1';
    spec->service_id = KEEP(F_SERVICE_ID);
    spec->endpoint_prefix = KEEP(F_ENDPOINT);
    spec->signing_name = KEEP(F_SIGNING) ? KEEP(F_SIGNING) : spec->endpoint_prefix;
    spec->target_prefix = KEEP(F_TARGET);
    spec->api_version = KEEP(F_API_VERSION);
    spec->json_version = KEEP(F_JSON_VERSION);
    spec->xml_namespace = KEEP(F_XML_NS);
    spec->query_compatible = f[F_QUERY_COMPATIBLE][0] == '1';
    spec->index_heads = KEEP(F_HEADS);
    spec->index_ops = KEEP(F_OPS);
#undef KEEP
    const char *names[NB_PROTO__COUNT * 2];
    size_t nnames = 0;
    for (char *q = f[F_PROTOCOLS], *save = NULL, *tok = strtok_r(q, ",", &save);
         tok && nnames < sizeof names / sizeof *names; tok = strtok_r(NULL, ",", &save))
        names[nnames++] = tok;
    nb__spec_set_protocols(spec, f[F_PROTOCOL], names, nnames);
    if (spec->service == NULL) {
        nb__spec_free(spec);
        return NULL;
    }
    return spec;
}

/* Whether one of the first n services of set is name (len bytes). */
static bool given_before(const nb__spec_set_t *set, size_t n, const char *name, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strncmp(set->items[i]->service, name, len) == 0 && set->items[i]->service[len] == '\0')
            return true;
    return false;
}

int nb__spec_set_load_index(nb__spec_set_t *set, const char *dir, char **err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/" INDEX_FILE, dir) >= (int)sizeof path)
        return 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t len = 0;
    char *text = read_all(f, &len);
    fclose(f);
    if (text == NULL) {
        if (err)
            *err = strdup("index.tsv: cannot be read");
        return -1;
    }
    int rc = 1;
    size_t before = set->len;
    for (char *line = text, *next; line < text + len && rc > 0; line = next) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        next = nl ? nl + 1 : text + len;
        size_t n = (size_t)((nl ? nl : text + len) - line);
        if (n == 0 || line[0] == '#')
            continue;
        /* a service an earlier folder of the path gave wins, as without an index; the index
         * names each service once (spec_index.py), so its own lines need no search */
        if (given_before(set, before, line, strcspn(line, "\t")))
            continue;
        nb__spec_t *spec = stub_from_line(dir, line, n, err);
        if (spec == NULL || nb__spec_set_add(set, spec) != 0)
            rc = -1;
    }
    free(text);
    return rc;
}

int nb__spec_knows_op(const nb__spec_t *spec, const char *name) {
    if (!spec->stub)
        return nb__spec_op(spec, name) != NULL;
    if (spec->index_ops == NULL)
        return -1;
    size_t len = strlen(name);
    for (const char *p = spec->index_ops; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, name, len) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

int nb__spec_set_read_shipped(nb__spec_set_t *set, char **err) {
    for (size_t i = 0; i < set->len; i++)
        if (!set->items[i]->catalog && nb__spec_load_shapes(set->items[i], err) != 0)
            return -1;
    return 0;
}
