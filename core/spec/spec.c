#include "spec/spec.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const char *const protocol_names[NB_PROTO__COUNT] = {
    [NB_PROTO_NONE] = "none",           [NB_PROTO_QUERY] = "query",         [NB_PROTO_EC2] = "ec2",
    [NB_PROTO_JSON] = "json",           [NB_PROTO_REST_JSON] = "rest-json", [NB_PROTO_REST_XML] = "rest-xml",
    [NB_PROTO_CBOR] = "smithy-rpc-v2-cbor",
};

const char *nb__protocol_name(nb__protocol_t p) {
    return (p > NB_PROTO_NONE && p < NB_PROTO__COUNT) ? protocol_names[p] : "none";
}

nb__protocol_t nb__protocol_from_name(const char *name) {
    if (name == NULL)
        return NB_PROTO_NONE;
    for (int p = NB_PROTO_NONE + 1; p < NB_PROTO__COUNT; p++)
        if (strcmp(name, protocol_names[p]) == 0)
            return (nb__protocol_t)p;
    return NB_PROTO_NONE;
}

static void set_err(char **err, const char *fmt, const char *a, const char *b) {
    if (err == NULL)
        return;
    int n = snprintf(NULL, 0, fmt, a, b ? b : "");
    *err = malloc((size_t)n + 1);
    if (*err)
        snprintf(*err, (size_t)n + 1, fmt, a, b ? b : "");
}

int nb__json_merge_patch(json_t *target, const json_t *patch) {
    if (!json_is_object(target) || !json_is_object(patch))
        return -1;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)patch, key, val) {
        if (json_is_null(val)) {
            json_object_del(target, key);
            continue;
        }
        json_t *cur = json_object_get(target, key);
        if (json_is_object(val) && json_is_object(cur)) {
            if (nb__json_merge_patch(cur, val) != 0)
                return -1;
        } else if (json_object_set(target, key, val) != 0) {
            return -1;
        }
    }
    return 0;
}

static const char *jstr(const json_t *obj, const char *key) { return json_string_value(json_object_get(obj, key)); }

const json_t *nb__spec_shape(const nb__spec_t *spec, const char *name) {
    return name ? json_object_get(spec->shapes, name) : NULL;
}

const json_t *nb__spec_ref_shape(const nb__spec_t *spec, const json_t *ref) {
    return ref ? nb__spec_shape(spec, jstr(ref, "shape")) : NULL;
}

const char *nb__shape_type(const json_t *shape) { return jstr(shape, "type"); }

static bool code_matches(const char *name, const json_t *shape, const char *code) {
    const char *c = jstr(json_object_get(shape, "error"), "code");
    return (name && strcmp(name, code) == 0) || (c && strcmp(c, code) == 0);
}

/* code -> shape for every exception shape, by name and by its error trait's code. */
static json_t *build_error_index(const nb__spec_t *spec) {
    json_t *index = json_object();
    const char *name;
    json_t *shape;
    json_object_foreach((json_t *)spec->shapes, name, shape) {
        const json_t *trait = json_object_get(shape, "error");
        if (json_object_get(shape, "exception") == NULL && trait == NULL)
            continue;
        const char *code = jstr(trait, "code");
        if (code && json_object_get(index, code) == NULL)
            json_object_set_new(index, code, json_string(name));
        if (json_object_get(index, name) == NULL)
            json_object_set_new(index, name, json_string(name));
    }
    return index;
}

const json_t *nb__spec_error_shape(const nb__spec_t *spec, const nb__spec_op_t *op, const char *code,
                                   const char **name_out) {
    if (spec == NULL || code == NULL)
        return NULL;
    if (op) {
        size_t i;
        json_t *ref;
        json_array_foreach(json_object_get(op->def, "errors"), i, ref) {
            const char *name = jstr(ref, "shape");
            const json_t *shape = nb__spec_shape(spec, name);
            if (shape && code_matches(name, shape, code)) {
                if (name_out)
                    *name_out = name;
                return shape;
            }
        }
    }
    if (spec->stub)
        return NULL; /* nothing to index yet: a stub's error index would stay empty */
    if (spec->error_index == NULL)
        ((nb__spec_t *)spec)->error_index = build_error_index(spec);
    const char *name = json_string_value(json_object_get(spec->error_index, code));
    if (name && name_out)
        *name_out = name;
    return nb__spec_shape(spec, name);
}

static void op_fill(nb__spec_t *spec, nb__spec_op_t *op, const char *name, const json_t *def) {
    const json_t *http = json_object_get(def, "http");
    op->name = name;
    op->def = def;
    op->checksum_required = json_is_true(json_object_get(def, "httpChecksumRequired")) ||
                            json_is_true(json_object_get(json_object_get(def, "httpChecksum"), "requestChecksumRequired"));
    op->method = jstr(http, "method");
    if (op->method == NULL)
        op->method = "POST";
    if (strcmp(op->method, "OPTIONS") == 0)
        spec->has_options_op = true;
    op->request_uri = jstr(http, "requestUri");
    if (op->request_uri == NULL)
        op->request_uri = "/";
    json_int_t rc = json_integer_value(json_object_get(http, "responseCode"));
    op->response_code = rc ? (int)rc : 200;
    op->input_name = jstr(json_object_get(def, "input"), "shape");
    op->output_name = jstr(json_object_get(def, "output"), "shape");
    op->input = nb__spec_shape(spec, op->input_name);
    op->output = nb__spec_shape(spec, op->output_name);
    op->route = NULL;
    const char *payload = jstr(op->input, "payload");
    const json_t *member = payload ? json_object_get(json_object_get(op->input, "members"), payload) : NULL;
    op->streaming_input = json_is_true(json_object_get(member, "streaming")) ||
                          json_is_true(json_object_get(nb__spec_shape(spec, jstr(member, "shape")), "streaming"));
}

static int op_cmp(const void *a, const void *b) {
    return strcmp(((const nb__spec_op_t *)a)->name, ((const nb__spec_op_t *)b)->name);
}

const nb__spec_op_t *nb__spec_op(const nb__spec_t *spec, const char *name) {
    if (name == NULL || spec->nops == 0)
        return NULL;
    nb__spec_op_t key = {.name = name};
    return bsearch(&key, spec->ops, spec->nops, sizeof key, op_cmp);
}

const nb__spec_op_t *nb__spec_add_op(nb__spec_t *spec, const json_t *def) {
    const char *name = jstr(def, "name");
    if (name == NULL)
        return NULL;
    /* Keep the definition alive inside the document under "operations". */
    json_t *ops = json_object_get(spec->root, "operations");
    if (!json_is_object(ops)) {
        ops = json_object();
        json_object_set_new(spec->root, "operations", ops);
    }
    json_object_set(ops, name, (json_t *)def);
    const json_t *kept = json_object_get(ops, name);
    name = json_object_iter_key(json_object_iter_at(ops, name));
    nb__spec_op_t *found = (nb__spec_op_t *)nb__spec_op(spec, name);
    if (found) {
        op_fill(spec, found, name, kept);
        return found;
    }
    nb__spec_op_t *grown = realloc(spec->ops, (spec->nops + 1) * sizeof *grown);
    if (grown == NULL)
        return NULL;
    spec->ops = grown;
    op_fill(spec, &spec->ops[spec->nops++], name, kept);
    qsort(spec->ops, spec->nops, sizeof *spec->ops, op_cmp);
    return nb__spec_op(spec, name);
}

void nb__spec_set_protocols(nb__spec_t *spec, const char *protocol, const char *const *names, size_t n) {
    spec->protocol = nb__protocol_from_name(protocol);
    spec->protocols = 0;
    if (spec->protocol != NB_PROTO_NONE)
        spec->protocols |= NB_PROTO_BIT(spec->protocol);
    for (size_t i = 0; i < n; i++) {
        nb__protocol_t proto = nb__protocol_from_name(names[i]);
        if (proto != NB_PROTO_NONE)
            spec->protocols |= NB_PROTO_BIT(proto);
    }
    if (spec->protocol == NB_PROTO_NONE) {
        for (int pr = NB_PROTO_NONE + 1; pr < NB_PROTO__COUNT; pr++)
            if (spec->protocols & NB_PROTO_BIT(pr)) {
                spec->protocol = (nb__protocol_t)pr;
                break;
            }
    }
}

/* The operations of spec->root, sorted by name. */
static int fill_ops(nb__spec_t *spec) {
    json_t *ops = json_object_get(spec->root, "operations");
    size_t n = json_is_object(ops) ? json_object_size(ops) : 0;
    if (n == 0)
        return 0;
    spec->ops = calloc(n, sizeof *spec->ops);
    if (spec->ops == NULL)
        return -1;
    const char *name;
    json_t *def;
    json_object_foreach(ops, name, def) { op_fill(spec, &spec->ops[spec->nops++], name, def); }
    qsort(spec->ops, spec->nops, sizeof *spec->ops, op_cmp);
    return 0;
}

nb__spec_t *nb__spec_from_json(json_t *root, const char *service, char **err) {
    if (!json_is_object(root)) {
        json_decref(root);
        set_err(err, "spec is not a JSON object%s%s", "", NULL);
        return NULL;
    }
    nb__spec_t *spec = calloc(1, sizeof *spec);
    if (spec == NULL) {
        json_decref(root);
        return NULL;
    }
    spec->root = root;
    spec->metadata = json_object_get(root, "metadata");
    spec->shapes = json_object_get(root, "shapes");
    if (!json_is_object(spec->metadata) || !json_is_object(spec->shapes)) {
        set_err(err, "spec has no %s%s", json_is_object(spec->metadata) ? "shapes" : "metadata", NULL);
        nb__spec_free(spec);
        return NULL;
    }
    const json_t *md = spec->metadata;
    spec->service_id = jstr(md, "serviceId");
    spec->endpoint_prefix = jstr(md, "endpointPrefix");
    spec->signing_name = jstr(md, "signingName");
    if (spec->signing_name == NULL)
        spec->signing_name = spec->endpoint_prefix;
    spec->target_prefix = jstr(md, "targetPrefix");
    spec->api_version = jstr(md, "apiVersion");
    spec->json_version = jstr(md, "jsonVersion");
    spec->xml_namespace = jstr(json_object_get(md, "xmlNamespace"), "uri");
    spec->query_compatible = json_object_get(md, "awsQueryCompatible") != NULL;
    const json_t *list = json_object_get(md, "protocols");
    const char *names[NB_PROTO__COUNT * 2];
    size_t nnames = 0;
    for (size_t k = 0; k < json_array_size(list) && nnames < sizeof names / sizeof *names; k++)
        names[nnames++] = json_string_value(json_array_get(list, k));
    nb__spec_set_protocols(spec, jstr(md, "protocol"), names, nnames);
    const char *svc = service ? service : spec->endpoint_prefix ? spec->endpoint_prefix : "unknown";
    spec->service = strdup(svc);
    if (fill_ops(spec) != 0) {
        nb__spec_free(spec);
        return NULL;
    }
    return spec;
}

/* jansson reads a gzip'd spec through zlib, a block at a time. */
static size_t gz_read(void *buf, size_t len, void *data) {
    int n = gzread((gzFile)data, buf, (unsigned)len);
    return n < 0 ? (size_t)-1 : (size_t)n;
}

static json_t *load_json_file(const char *path, char **err) {
    json_error_t jerr;
    json_t *doc;
    size_t len = strlen(path);
    if (len > 3 && strcmp(path + len - 3, ".gz") == 0) {
        gzFile gz = gzopen(path, "rb");
        if (gz == NULL) {
            set_err(err, "%s: %s", path, "cannot open");
            return NULL;
        }
        gzbuffer(gz, 64 * 1024);
        doc = json_load_callback(gz_read, gz, JSON_REJECT_DUPLICATES, &jerr);
        gzclose(gz);
    } else {
        doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    }
    if (doc == NULL)
        set_err(err, "%s: %s", path, jerr.text);
    return doc;
}

/* A spec file with the overlay.json beside it applied; svcbuf (svclen bytes, may be 0) gets
 * the service folder's name (specs/<service>/<version>/service-2.json). */
static json_t *load_document(const char *path, char *svcbuf, size_t svclen, char **err) {
    json_t *root = load_json_file(path, err);
    if (root == NULL)
        return NULL;
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (svclen)
        svcbuf[0] = '\0';
    if (slash) {
        *slash = '\0';
        char overlay[4096];
        struct stat st;
        if (snprintf(overlay, sizeof overlay, "%s/overlay.json", dir) < (int)sizeof overlay &&
            stat(overlay, &st) == 0) {
            json_t *patch = load_json_file(overlay, err);
            if (patch == NULL || nb__json_merge_patch(root, patch) != 0) {
                if (patch && err)
                    set_err(err, "%s: overlay is not a JSON object%s", overlay, NULL);
                json_decref(patch);
                json_decref(root);
                free(dir);
                return NULL;
            }
            json_decref(patch);
        }
        char *vslash = strrchr(dir, '/');
        if (vslash && svclen) {
            *vslash = '\0';
            char *sslash = strrchr(dir, '/');
            snprintf(svcbuf, svclen, "%s", sslash ? sslash + 1 : dir);
        }
    }
    free(dir);
    return root;
}

nb__spec_t *nb__spec_load(const char *path, const char *service, char **err) {
    char svcbuf[128];
    json_t *root = load_document(path, svcbuf, sizeof svcbuf, err);
    if (root == NULL)
        return NULL;
    nb__spec_t *spec = nb__spec_from_json(root, service ? service : (svcbuf[0] ? svcbuf : NULL), err);
    if (spec)
        spec->path = strdup(path);
    return spec;
}

static void resolve_ops(nb__spec_t *spec) {
    for (size_t i = 0; i < spec->nops; i++) {
        spec->ops[i].input = nb__spec_shape(spec, spec->ops[i].input_name);
        spec->ops[i].output = nb__spec_shape(spec, spec->ops[i].output_name);
    }
}

void nb__spec_unload_shapes(nb__spec_t *spec) {
    if (spec->path == NULL || spec->shapes_unloaded || spec->stub)
        return;
    json_object_set_new(spec->root, "shapes", json_object());
    spec->shapes = json_object_get(spec->root, "shapes");
    json_decref(spec->error_index);
    spec->error_index = NULL;
    spec->shapes_unloaded = true;
    resolve_ops(spec);
}

bool nb__spec_unread(const nb__spec_t *spec) { return spec->stub || spec->shapes_unloaded; }

nb__spec_t *nb__spec_read(const nb__spec_t *spec, char **err) {
    nb__spec_t *fresh = nb__spec_load(spec->path, spec->service, err);
    if (fresh != NULL)
        nb__spec_error_shape(fresh, NULL, "", NULL); /* its error index, built here rather than on the loop */
    return fresh;
}

void nb__spec_adopt(nb__spec_t *spec, nb__spec_t *fresh) {
    if (spec->stub) {
        /* the stub's metadata strings stay (the router holds them); all else is the read spec's */
        spec->root = fresh->root;
        spec->metadata = fresh->metadata;
        spec->shapes = fresh->shapes;
        spec->ops = fresh->ops;
        spec->nops = fresh->nops;
        spec->has_options_op = fresh->has_options_op;
        spec->error_index = fresh->error_index;
        fresh->root = NULL;
        fresh->ops = NULL;
        fresh->error_index = NULL;
        spec->stub = false;
    } else if (spec->shapes_unloaded) {
        /* operations keep their definitions (the router's matchers point at them): the shapes alone */
        json_object_set(spec->root, "shapes", json_object_get(fresh->root, "shapes"));
        spec->shapes = json_object_get(spec->root, "shapes");
        spec->shapes_unloaded = false;
        resolve_ops(spec);
    }
    nb__spec_free(fresh);
}

int nb__spec_load_shapes(nb__spec_t *spec, char **err) {
    if (!nb__spec_unread(spec))
        return 0;
    nb__spec_t *fresh = nb__spec_read(spec, err);
    if (fresh == NULL)
        return -1;
    nb__spec_adopt(spec, fresh);
    return 0;
}

void nb__spec_free(nb__spec_t *spec) {
    if (spec == NULL)
        return;
    if (spec->proto_cache_free)
        spec->proto_cache_free(spec->proto_cache);
    if (spec->rest_cache_free)
        spec->rest_cache_free(spec->rest_cache);
    free(spec->ops);
    free(spec->service);
    free(spec->path);
    free(spec->stub_strings);
    json_decref(spec->error_index);
    json_decref(spec->root);
    free(spec);
}

int nb__spec_set_add(nb__spec_set_t *set, nb__spec_t *spec) {
    nb__spec_t **grown = realloc(set->items, (set->len + 1) * sizeof *grown);
    if (grown == NULL) {
        nb__spec_free(spec);
        return -1;
    }
    set->items = grown;
    set->items[set->len++] = spec;
    return 0;
}

int nb__spec_set_load_dir(nb__spec_set_t *set, const char *dir, char **err) {
    int indexed = nb__spec_set_load_index(set, dir, err);
    if (indexed != 0)
        return indexed > 0 ? 0 : -1;
    DIR *d = opendir(dir);
    if (d == NULL) {
        set_err(err, "%s: cannot open spec folder%s", dir, NULL);
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char svcdir[4096];
        if (snprintf(svcdir, sizeof svcdir, "%s/%s", dir, e->d_name) >= (int)sizeof svcdir)
            continue;
        DIR *vd = opendir(svcdir);
        if (vd == NULL)
            continue;
        /* Newest api version: the greatest folder name that holds a service-2.json. */
        char *best = NULL;
        struct dirent *v;
        while ((v = readdir(vd)) != NULL) {
            if (v->d_name[0] == '.')
                continue;
            char p[4096];
            struct stat st;
            if (snprintf(p, sizeof p, "%s/%s/service-2.json", svcdir, v->d_name) >= (int)sizeof p ||
                stat(p, &st) != 0)
                continue;
            if (best == NULL || strcmp(v->d_name, best) > 0) {
                free(best);
                best = strdup(v->d_name);
            }
        }
        closedir(vd);
        if (best == NULL || nb__spec_set_find(set, e->d_name) != NULL) {
            free(best);
            continue;
        }
        char p[4096];
        int plen = snprintf(p, sizeof p, "%s/%s/service-2.json", svcdir, best);
        free(best);
        if (plen >= (int)sizeof p)
            continue;
        nb__spec_t *spec = nb__spec_load(p, e->d_name, err);
        if (spec == NULL) {
            rc = -1;
            break;
        }
        if (nb__spec_set_add(set, spec) != 0) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    return rc;
}

const nb__spec_t *nb__spec_set_find(const nb__spec_set_t *set, const char *service) {
    for (size_t i = 0; i < set->len; i++)
        if (strcmp(set->items[i]->service, service) == 0)
            return set->items[i];
    return NULL;
}

void nb__spec_set_free(nb__spec_set_t *set) {
    for (size_t i = 0; i < set->len; i++)
        nb__spec_free(set->items[i]);
    free(set->items);
    set->items = NULL;
    set->len = 0;
}
