#include "proto/form.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "nimbus/errno.h"
#include "proto/shape.h"
#include "util/codec.h"

/* Form bodies bigger than this are refused: query APIs cap requests far lower. */
#define NB_FORM_MAX_BODY (64u * 1024 * 1024)

/* A pair's key and value are decoded into one block (the key first, the value after its NUL): one
 * allocation a pair, freed through the key. */
static int add_pair(nb__form_t *f, const char *k, size_t klen, const char *v, size_t vlen) {
    char *key = malloc(klen + vlen + 2);
    if (key == NULL)
        return NB_ENOMEM;
    ssize_t key_len = nb__url_decode_to(k, klen, NB_URL_FORM, key, klen + 1);
    char *val = key_len < 0 ? NULL : key + key_len + 1;
    ssize_t val_len = val ? nb__url_decode_to(v, vlen, NB_URL_FORM, val, vlen + 1) : -1;
    if (val_len < 0) {
        free(key);
        return NB_EPROTO;
    }
    if (f->len == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        nb__form_pair_t *items = realloc(f->items, cap * sizeof *items);
        if (items == NULL) {
            free(key);
            return NB_ENOMEM;
        }
        f->items = items;
        f->cap = cap;
    }
    f->items[f->len] = (nb__form_pair_t){key, val, (size_t)val_len, f->len};
    f->len++;
    f->sorted = false;
    return 0;
}

int nb__form_parse(nb__form_t *f, const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - s) : len;
        if (end > i) {
            const char *eq = memchr(s + i, '=', end - i);
            size_t klen = eq ? (size_t)(eq - (s + i)) : end - i;
            const char *v = eq ? eq + 1 : s + end;
            size_t vlen = eq ? (size_t)(s + end - v) : 0;
            int rc = add_pair(f, s + i, klen, v, vlen);
            if (rc < 0)
                return rc;
        }
        i = end + 1;
    }
    return 0;
}

static bool is_form_type(const char *ct) {
    if (ct == NULL)
        return true;
    while (*ct == ' ')
        ct++;
    return strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

int nb__form_from_request(nb__form_t *f, const nb__http_request_t *req) {
    if (req->query) {
        int rc = nb__form_parse(f, req->query, strlen(req->query));
        if (rc < 0)
            return rc;
    }
    if (req->body && nb__body_size(req->body) > 0 &&
        is_form_type(nb__http_request_header(req, "Content-Type"))) {
        if (nb__body_size(req->body) > (int64_t)NB_FORM_MAX_BODY)
            return NB_ELIMIT;
        const char *data = nb__body_data(req->body, NB_FORM_MAX_BODY);
        if (data == NULL)
            return NB_ELIMIT;
        return nb__form_parse(f, data, (size_t)nb__body_size(req->body));
    }
    return 0;
}

void nb__form_free(nb__form_t *f) {
    for (size_t i = 0; i < f->len; i++)
        free(f->items[i].key); /* the value is in the key's block (add_pair) */
    free(f->items);
    memset(f, 0, sizeof *f);
}

static int cmp_pair(const void *a, const void *b) {
    const nb__form_pair_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void ensure_sorted(nb__form_t *f) {
    if (!f->sorted) {
        if (f->len)
            qsort(f->items, f->len, sizeof *f->items, cmp_pair);
        f->sorted = true;
    }
}

/* Index of the first key >= key. */
static size_t lower_bound(const nb__form_t *f, const char *key) {
    size_t lo = 0, hi = f->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(f->items[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const nb__form_pair_t *nb__form_get(nb__form_t *f, const char *key) {
    ensure_sorted(f);
    size_t i = lower_bound(f, key);
    return i < f->len && strcmp(f->items[i].key, key) == 0 ? &f->items[i] : NULL;
}

bool nb__form_has_prefix(nb__form_t *f, const char *prefix) {
    ensure_sorted(f);
    size_t i = lower_bound(f, prefix);
    return i < f->len && strncmp(f->items[i].key, prefix, strlen(prefix)) == 0;
}

/* ---- shape-driven decoding ---- */

/* The decoder probes keys top-down ("Attribute.1.Name", ...); the key being probed is
 * built in one buffer, extended and cut back as the walk goes, so probing allocates nothing. */
typedef struct decoder {
    const nb__spec_t *spec;
    nb__form_t *form;
    nb__form_style_t style;
    char *bad_key;
    const char *why;
    int depth;
    nb__buf_t key;
    bool oom;
} decoder_t;

#define MAX_NAMES 4
#define MAX_DEPTH 64

static size_t key_mark(const decoder_t *d) { return d->key.len; }

static void key_cut(decoder_t *d, size_t mark) {
    d->key.len = mark;
    if (d->key.data)
        d->key.data[mark] = '\0';
}

/* Appends ".name" (just "name" at the top); capitalise: its first letter upper-cased (ec2). */
static void key_push(decoder_t *d, const char *name, bool capitalise) {
    size_t at = d->key.len;
    if ((at && nb__buf_putc(&d->key, '.') != 0) || nb__buf_puts(&d->key, name) != 0) {
        d->oom = true;
        return;
    }
    if (capitalise && d->key.data[at + (at ? 1 : 0)])
        d->key.data[at + (at ? 1 : 0)] = (char)toupper((unsigned char)d->key.data[at + (at ? 1 : 0)]);
}

static void key_push_index(decoder_t *d, size_t i) {
    if (nb__buf_printf(&d->key, ".%zu", i) < 0)
        d->oom = true;
}

static const char *key_str(const decoder_t *d) { return d->key.data ? d->key.data : ""; }

static bool flattened(const json_t *ref, const json_t *shape) { return nb__trait_bool(ref, shape, "flattened"); }

typedef struct member_name {
    const char *s;
    bool capitalise;
} member_name_t;

/* The names a member may be sent under, preferred first.
 * ec2 also takes the uncapitalised names old botocore sends. */
static int member_names(const decoder_t *d, const nb__member_t *m, member_name_t names[MAX_NAMES]) {
    int n = 0;
    const char *loc = m->location_name_trait;
    if (d->style == NB_FORM_QUERY) {
        names[n++] = (member_name_t){loc ? loc : m->name, false};
        if (loc && strcmp(loc, m->name) != 0)
            names[n++] = (member_name_t){m->name, false};
        /* botocore names a flattened list's elements after the list member's locationName */
        if (m->kind == NB_SHAPE_LIST && (m->traits & NB_MEMBER_FLATTENED)) {
            const char *mloc = json_string_value(json_object_get(json_object_get(m->shape, "member"), "locationName"));
            if (mloc)
                names[n++] = (member_name_t){mloc, false};
        }
    } else {
        const char *qn = json_string_value(json_object_get(m->ref, "queryName"));
        if (qn)
            names[n++] = (member_name_t){qn, false};
        names[n++] = (member_name_t){loc ? loc : m->name, true};
        names[n++] = (member_name_t){loc ? loc : m->name, false};
    }
    return n;
}

static int decode(decoder_t *d, const json_t *ref, const json_t *shape, nb__shape_kind_t kind, json_t **out);

static void set_bad(decoder_t *d, const char *why) {
    if (d->bad_key == NULL) {
        d->bad_key = strdup(key_str(d));
        d->why = why;
    }
}

/* Pairs up to which the top level looks its members up among the keys (a request sends a few
 * of an operation's members) rather than probing each member's keys by binary search. */
#define TOP_SCAN_MAX 16

/* Whether a key is name or starts with "name.": what any value of a member sent under name
 * needs at the top level. */
static bool top_named(const decoder_t *d, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < d->form->len; i++) {
        const char *k = d->form->items[i].key;
        if (k[0] == name[0] && strncmp(k, name, len) == 0 && (k[len] == '\0' || k[len] == '.'))
            return true;
    }
    return false;
}

static int decode_structure(decoder_t *d, const json_t *shape, json_t **out) {
    json_t *obj = json_object();
    if (obj == NULL)
        return NB_ENOMEM;
    nb__member_iter_t it;
    nb__member_t m;
    size_t mark = key_mark(d);
    /* ec2 names may be capitalised on the wire: it probes them all */
    bool scan = mark == 0 && d->style == NB_FORM_QUERY && d->form->len <= TOP_SCAN_MAX;
    for (nb__member_iter_init(&it, d->spec, shape); nb__member_next(&it, &m);) {
        member_name_t names[MAX_NAMES];
        int n = member_names(d, &m, names);
        int rc = 0;
        for (int i = 0; i < n && rc == 0; i++) {
            if (i > 0 && strcmp(names[i].s, names[i - 1].s) == 0 && names[i].capitalise == names[i - 1].capitalise)
                continue;
            if (scan && !top_named(d, names[i].s))
                continue;
            key_push(d, names[i].s, names[i].capitalise);
            json_t *v = NULL;
            rc = d->oom ? NB_ENOMEM : decode(d, m.ref, m.shape, m.kind, &v);
            key_cut(d, mark);
            if (rc == 0 && v) {
                json_object_set_new(obj, m.name, v);
                break;
            }
        }
        if (rc < 0) {
            json_decref(obj);
            return rc;
        }
    }
    *out = obj;
    return 0;
}

/* Decodes the elements under "<key>.1", "<key>.2", ... into arr until one is missing. */
static int decode_elements(decoder_t *d, const json_t *mref, const json_t *mshape, json_t *arr) {
    size_t mark = key_mark(d);
    nb__shape_kind_t mkind = nb__shape_kind(mshape);
    for (size_t i = 1; i <= d->form->len; i++) {
        key_push_index(d, i);
        json_t *v = NULL;
        int rc = d->oom ? NB_ENOMEM : decode(d, mref, mshape, mkind, &v);
        key_cut(d, mark);
        if (rc < 0)
            return rc;
        if (v == NULL)
            break;
        json_array_append_new(arr, v);
    }
    return 0;
}

static int decode_list(decoder_t *d, const json_t *ref, const json_t *shape, json_t **out) {
    const json_t *mref = json_object_get(shape, "member");
    const json_t *mshape = nb__spec_ref_shape(d->spec, mref);
    const char *mloc = json_string_value(json_object_get(mref, "locationName"));
    json_t *arr = json_array();
    if (arr == NULL)
        return NB_ENOMEM;
    size_t mark = key_mark(d);
    if (!(d->style == NB_FORM_EC2 || flattened(ref, shape)))
        key_push(d, mloc ? mloc : "member", false);
    int rc = d->oom ? NB_ENOMEM : decode_elements(d, mref, mshape, arr);
    key_cut(d, mark);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    if (json_array_size(arr) == 0) {
        /* "Name=" is how query sends an empty list */
        const nb__form_pair_t *p = nb__form_get(d->form, key_str(d));
        if (p == NULL || p->value_len != 0) {
            json_decref(arr);
            return 0;
        }
    }
    *out = arr;
    return 0;
}

static int decode_map(decoder_t *d, const json_t *ref, const json_t *shape, json_t **out) {
    const json_t *kref = json_object_get(shape, "key");
    const json_t *vref = json_object_get(shape, "value");
    const json_t *kshape = nb__spec_ref_shape(d->spec, kref);
    const json_t *vshape = nb__spec_ref_shape(d->spec, vref);
    const char *kname = json_string_value(json_object_get(kref, "locationName"));
    const char *vname = json_string_value(json_object_get(vref, "locationName"));
    kname = kname ? kname : "key";
    vname = vname ? vname : "value";
    bool flat = flattened(ref, shape);
    json_t *obj = json_object();
    if (obj == NULL)
        return NB_ENOMEM;
    size_t mark = key_mark(d);
    for (size_t i = 1; i <= d->form->len; i++) {
        if (!flat)
            key_push(d, "entry", false);
        key_push_index(d, i);
        size_t entry = key_mark(d);
        json_t *k = NULL, *v = NULL;
        key_push(d, kname, false);
        int rc = d->oom ? NB_ENOMEM : decode(d, kref, kshape, nb__shape_kind(kshape), &k);
        if (rc == 0 && k && !json_is_string(k))
            set_bad(d, "map keys must be strings"), rc = NB_EINVAL;
        key_cut(d, entry);
        if (rc == 0 && k) {
            key_push(d, vname, false);
            rc = d->oom ? NB_ENOMEM : decode(d, vref, vshape, nb__shape_kind(vshape), &v);
        }
        key_cut(d, mark);
        int stop = rc < 0 || k == NULL;
        if (rc == 0 && k && v)
            json_object_setn_new(obj, json_string_value(k), json_string_length(k), v), v = NULL;
        json_decref(k);
        json_decref(v);
        if (rc < 0) {
            json_decref(obj);
            return rc;
        }
        if (stop)
            break;
    }
    if (json_object_size(obj) == 0) {
        const nb__form_pair_t *p = nb__form_get(d->form, key_str(d));
        if (p == NULL || p->value_len != 0) {
            json_decref(obj);
            return 0;
        }
    }
    *out = obj;
    return 0;
}

/* Decodes the value sent under the current key (or under "key." for aggregates) into
 * *out; leaves *out NULL when nothing was sent. */
static int decode(decoder_t *d, const json_t *ref, const json_t *shape, nb__shape_kind_t kind, json_t **out) {
    *out = NULL;
    if (shape == NULL)
        return 0;
    if (kind == NB_SHAPE_STRUCTURE || kind == NB_SHAPE_LIST || kind == NB_SHAPE_MAP) {
        size_t mark = key_mark(d);
        if (nb__buf_putc(&d->key, '.') != 0)
            return NB_ENOMEM;
        bool any = nb__form_has_prefix(d->form, key_str(d));
        key_cut(d, mark);
        if (!any && kind == NB_SHAPE_STRUCTURE)
            return 0;
        if (!any && nb__form_get(d->form, key_str(d)) == NULL)
            return 0;
        if (d->depth >= MAX_DEPTH)
            return 0;
        d->depth++;
        int rc = kind == NB_SHAPE_STRUCTURE ? decode_structure(d, shape, out)
                 : kind == NB_SHAPE_LIST    ? decode_list(d, ref, shape, out)
                                            : decode_map(d, ref, shape, out);
        d->depth--;
        return rc;
    }
    const nb__form_pair_t *p = nb__form_get(d->form, key_str(d));
    if (p == NULL)
        return 0;
    const char *why = NULL;
    if (nb__scalar_from_text(shape, p->value, p->value_len, out, &why) < 0) {
        *out = NULL;
        set_bad(d, why ? why : "invalid value");
        return NB_EINVAL;
    }
    return 0;
}

int nb__form_decode(const nb__spec_t *spec, const json_t *shape, nb__form_t *f, nb__form_style_t style,
                    json_t **out, char **bad_key, const char **why) {
    decoder_t d = {.spec = spec, .form = f, .style = style, .key = NB__BUF_INIT};
    *out = NULL;
    *bad_key = NULL;
    *why = NULL;
    if (shape == NULL) {
        *out = json_object();
        return *out ? 0 : NB_ENOMEM;
    }
    int rc = decode_structure(&d, shape, out);
    nb__buf_free(&d.key);
    if (rc < 0) {
        *bad_key = d.bad_key;
        *why = d.why;
        if (rc == NB_EINVAL && d.bad_key == NULL)
            rc = NB_ENOMEM;
        return rc;
    }
    free(d.bad_key);
    return 0;
}

int nb__form_parse_request(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__http_request_t *req,
                           nb__form_style_t style, json_t **input, nb__aws_error_t *err) {
    nb__form_t f = NB__FORM_INIT;
    *input = NULL;
    int rc = nb__form_from_request(&f, req);
    if (rc == NB_EPROTO) {
        nb__aws_error_set(err, spec, op, "MalformedQueryString", 404, /* AWS's documented status */
                          "The query string contains a syntax error: bad percent-encoding.");
    } else if (rc == NB_ELIMIT) {
        nb__aws_error_set(err, spec, op, "RequestEntityTooLarge", 413, "Request body too large.");
    } else if (rc < 0) {
        nb__aws_error_set(err, spec, op, "InternalFailure", 500, "Out of memory.");
    } else {
        char *bad = NULL;
        const char *why = NULL;
        rc = nb__form_decode(spec, op ? op->input : NULL, &f, style, input, &bad, &why);
        if (rc == NB_EINVAL) {
            const nb__form_pair_t *p = bad ? nb__form_get(&f, bad) : NULL;
            nb__aws_error_set(err, spec, op, "InvalidParameterValue", 400,
                              "Value (%s) for parameter %s is invalid. %s", p ? p->value : "", bad ? bad : "?",
                              why ? why : "");
        } else if (rc < 0) {
            nb__aws_error_set(err, spec, op, "InternalFailure", 500, "Out of memory.");
        }
        free(bad);
    }
    nb__form_free(&f);
    return rc;
}
