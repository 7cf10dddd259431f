#include "proto/shape.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "proto/xml_shape.h"

/* The shape's "type". Specs write it first, and jansson keeps keys in order: reading the
 * first key spares a hash lookup on this, the marshallers' most frequent question. */
static const char *shape_type(const json_t *shape) {
    void *it = json_is_object(shape) ? json_object_iter((json_t *)shape) : NULL;
    if (it && strcmp(json_object_iter_key(it), "type") == 0)
        return json_string_value(json_object_iter_value(it));
    return nb__shape_type(shape);
}

nb__shape_kind_t nb__shape_kind(const json_t *shape) {
    const char *t = shape_type(shape);
    if (t == NULL)
        return NB_SHAPE_UNKNOWN;
    switch (t[0]) {
    case 's':
        if (strcmp(t, "structure") == 0)
            return json_is_true(json_object_get(shape, "document")) ? NB_SHAPE_DOCUMENT : NB_SHAPE_STRUCTURE;
        if (strcmp(t, "string") == 0)
            return NB_SHAPE_STRING;
        if (strcmp(t, "short") == 0)
            return NB_SHAPE_INTEGER;
        break;
    case 'l':
        if (strcmp(t, "list") == 0)
            return NB_SHAPE_LIST;
        if (strcmp(t, "long") == 0)
            return NB_SHAPE_LONG;
        break;
    case 'm':
        if (strcmp(t, "map") == 0)
            return NB_SHAPE_MAP;
        break;
    case 'e':
        if (strcmp(t, "enum") == 0)
            return NB_SHAPE_STRING;
        break;
    case 'i':
        if (strcmp(t, "integer") == 0 || strcmp(t, "intEnum") == 0)
            return NB_SHAPE_INTEGER;
        break;
    case 'b':
        if (strcmp(t, "boolean") == 0)
            return NB_SHAPE_BOOLEAN;
        if (strcmp(t, "blob") == 0)
            return NB_SHAPE_BLOB;
        if (strcmp(t, "byte") == 0)
            return NB_SHAPE_INTEGER;
        if (strcmp(t, "bigInteger") == 0)
            return NB_SHAPE_LONG;
        if (strcmp(t, "bigDecimal") == 0)
            return NB_SHAPE_FLOAT;
        break;
    case 'f':
        if (strcmp(t, "float") == 0)
            return NB_SHAPE_FLOAT;
        break;
    case 'd':
        if (strcmp(t, "double") == 0)
            return NB_SHAPE_FLOAT;
        if (strcmp(t, "document") == 0)
            return NB_SHAPE_DOCUMENT;
        break;
    case 't':
        if (strcmp(t, "timestamp") == 0)
            return NB_SHAPE_TIMESTAMP;
        break;
    }
    return NB_SHAPE_UNKNOWN;
}

const json_t *nb__trait(const json_t *ref, const json_t *shape, const char *key) {
    /* Most refs are just {"shape": ...} and most shapes just {"type": ...}: no hash lookup for those. */
    const json_t *v = ref && (json_object_size(ref) > 1 || strcmp(key, "shape") == 0) ? json_object_get(ref, key)
                                                                                      : NULL;
    if (v == NULL && shape && (json_object_size(shape) > 1 || strcmp(key, "type") == 0))
        v = json_object_get(shape, key);
    return v;
}

const char *nb__trait_str(const json_t *ref, const json_t *shape, const char *key) {
    return json_string_value(nb__trait(ref, shape, key));
}

bool nb__trait_bool(const json_t *ref, const json_t *shape, const char *key) {
    return json_is_true(nb__trait(ref, shape, key));
}

void nb__shape_facts(const json_t *shape, nb__shape_facts_t *f) {
    memset(f, 0, sizeof *f);
    f->kind = nb__shape_kind(shape);
    const json_t *b = json_object_get(shape, "min");
    if ((f->has_min = json_is_number(b)))
        f->min = json_number_value(b);
    b = json_object_get(shape, "max");
    if ((f->has_max = json_is_number(b)))
        f->max = json_number_value(b);
    b = json_object_get(shape, "enum");
    f->enum_values = json_array_size(b) ? b : NULL;
}

static bool names_required(const json_t *required, const char *name) {
    size_t i;
    json_t *r;
    json_array_foreach(required, i, r) {
        const char *req = json_string_value(r);
        if (req && strcmp(req, name) == 0)
            return true;
    }
    return false;
}

/* Resolves a member once: everything the walkers ask about it per value. */
static void fill_member(const nb__spec_t *spec, const char *name, const json_t *ref, const json_t *required,
                        nb__member_t *m) {
    memset(m, 0, sizeof *m);
    m->name = name;
    m->ref = ref;
    m->shape = nb__spec_ref_shape(spec, ref);
    m->kind = nb__shape_kind(m->shape);
    /* Older specs put location traits on the target shape ("HeaderShape": {"location": "header"}). */
    m->location = nb__trait_str(ref, m->shape, "location");
    const char *n = json_string_value(json_object_get(ref, "locationName"));
    if (n == NULL && json_object_get(ref, "location") == NULL && m->location)
        n = json_string_value(json_object_get(m->shape, "locationName"));
    m->location_name = n ? n : name;
    const char *q = json_string_value(json_object_get(ref, "queryName"));
    m->query_name = q ? q : m->location_name;
    m->xml_name = nb__xml_member_name(spec, ref, m->shape, name);
    m->location_name_trait = nb__trait_str(ref, m->shape, "locationName");
    static const struct {
        const char *trait;
        unsigned bit;
    } bits[] = {{"flattened", NB_MEMBER_FLATTENED},       {"xmlAttribute", NB_MEMBER_XML_ATTRIBUTE},
                {"jsonvalue", NB_MEMBER_JSONVALUE},       {"hostLabel", NB_MEMBER_HOST_LABEL},
                {"idempotencyToken", NB_MEMBER_IDEMPOTENCY_TOKEN}, {"streaming", NB_MEMBER_STREAMING},
                {"eventstream", NB_MEMBER_EVENTSTREAM}};
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (nb__trait_bool(ref, m->shape, bits[i].trait))
            m->traits |= bits[i].bit;
    if (names_required(required, name))
        m->traits |= NB_MEMBER_REQUIRED;
    if (json_is_true(json_object_get(ref, "nimbusAllowNul")))
        m->traits |= NB_MEMBER_ALLOW_NUL;
    if (json_object_get(ref, "location"))
        m->traits |= NB_MEMBER_REF_LOCATION;
    /* A spec written for query and also served as awsJson (SQS) has query/XML names in
     * locationName ("Attribute" for Attributes) that the SDKs' JSON model of it does not
     * have: those members keep their names as JSON keys. */
    const char *key = spec && (spec->protocol == NB_PROTO_QUERY || spec->protocol == NB_PROTO_EC2)
                          ? NULL
                          : json_string_value(json_object_get(ref, "locationName"));
    m->json_key = key ? key : name;
    m->name_len = strlen(name);
    m->json_key_len = strlen(m->json_key);
    nb__shape_facts(m->shape, &m->facts);
}

/* ---- the per-spec cache of structures' members (spec->proto_cache) ----
 * An open-addressing table from a structure shape (its json_t, which lives as
 * long as the spec) to its resolved members in spec order. Built lazily; the
 * spec's content never changes, so a const spec may grow its cache. Large
 * bodies are parsed on the thread pool while the loop marshals others, so the
 * table is read and grown under a lock; a members array, once built, never
 * moves, so it is used after the lock is released. */
typedef struct shape_slot {
    const json_t *shape;
    nb__member_t *members;
    size_t n;
} shape_slot_t;

typedef struct shape_cache {
    shape_slot_t *slots;
    size_t cap, len; /* cap: 0 or a power of two */
} shape_cache_t;

static void shape_cache_free(void *p) {
    shape_cache_t *c = p;
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].members);
    free(c->slots);
    free(c);
}

static size_t ptr_hash(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static shape_slot_t *slot_for(shape_cache_t *c, const json_t *shape) {
    size_t mask = c->cap - 1;
    for (size_t i = ptr_hash(shape) & mask;; i = (i + 1) & mask)
        if (c->slots[i].shape == shape || c->slots[i].shape == NULL)
            return &c->slots[i];
}

static int shape_cache_grow(shape_cache_t *c) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    shape_slot_t *old = c->slots;
    size_t old_cap = c->cap;
    c->slots = calloc(cap, sizeof *c->slots);
    if (c->slots == NULL) {
        c->slots = old;
        return -1;
    }
    c->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].shape)
            *slot_for(c, old[i].shape) = old[i];
    free(old);
    return 0;
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool structure_members_locked(const nb__spec_t *spec, const json_t *structure, const nb__member_t **members,
                                     size_t *n);

/* The members of a structure, resolved; false (no members) when it has none or on ENOMEM. */
static bool structure_members(const nb__spec_t *spec, const json_t *structure, const nb__member_t **members,
                              size_t *n) {
    *members = NULL;
    *n = 0;
    if (spec == NULL || structure == NULL)
        return false;
    pthread_mutex_lock(&cache_lock);
    bool found = structure_members_locked(spec, structure, members, n);
    pthread_mutex_unlock(&cache_lock);
    return found;
}

static bool structure_members_locked(const nb__spec_t *spec, const json_t *structure, const nb__member_t **members,
                                     size_t *n) {
    nb__spec_t *mut = (nb__spec_t *)spec;
    shape_cache_t *c = mut->proto_cache;
    if (c == NULL) {
        if (mut->proto_cache_free != NULL || (c = calloc(1, sizeof *c)) == NULL)
            return false;
        mut->proto_cache = c;
        mut->proto_cache_free = shape_cache_free;
    }
    if ((c->len + 1) * 2 > c->cap && shape_cache_grow(c) != 0)
        return false;
    shape_slot_t *slot = slot_for(c, structure);
    if (slot->shape == NULL) {
        const json_t *jm = json_object_get(structure, "members");
        const json_t *required = json_object_get(structure, "required");
        size_t count = json_is_object(jm) ? json_object_size(jm) : 0;
        nb__member_t *arr = calloc(count ? count : 1, sizeof *arr);
        if (arr == NULL)
            return false;
        size_t i = 0;
        for (void *it = count ? json_object_iter((json_t *)jm) : NULL; it && i < count;
             it = json_object_iter_next((json_t *)jm, it))
            fill_member(spec, json_object_iter_key(it), json_object_iter_value(it), required, &arr[i++]);
        slot->shape = structure;
        slot->members = arr;
        slot->n = i;
        c->len++;
    }
    *members = slot->members;
    *n = slot->n;
    return *n > 0;
}

bool nb__members(const nb__spec_t *spec, const json_t *structure, const nb__member_t **members, size_t *n) {
    return structure_members(spec, structure, members, n);
}

/* Below this many keys, v's keys are matched against the members (a compare of a first
 * character and a length, mostly) rather than each member's name hashed into v. */
#define KEY_SCAN_MAX 16

int nb__member_values_init(nb__member_values_t *mv, const nb__spec_t *spec, const json_t *structure, const json_t *v,
                           bool by_json_key) {
    structure_members(spec, structure, &mv->members, &mv->n);
    mv->vals = mv->local;
    if (mv->n > sizeof mv->local / sizeof mv->local[0] && (mv->vals = malloc(mv->n * sizeof *mv->vals)) == NULL) {
        mv->n = 0;
        mv->vals = mv->local;
        return NB_ENOMEM;
    }
    memset(mv->vals, 0, mv->n * sizeof *mv->vals);
    if (mv->n == 0 || !json_is_object(v))
        return 0;
    const nb__member_t *ms = mv->members;
    if (json_object_size(v) > KEY_SCAN_MAX) {
        for (size_t i = 0; i < mv->n; i++)
            mv->vals[i] = by_json_key ? json_object_getn(v, ms[i].json_key, ms[i].json_key_len)
                                      : json_object_getn(v, ms[i].name, ms[i].name_len);
        return 0;
    }
    /* an explicit iterator: jansson's foreach macros look each key up again to step on */
    for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
        const char *k = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        json_t *x = json_object_iter_value(it);
        for (size_t i = 0; i < mv->n; i++) {
            const char *name = by_json_key ? ms[i].json_key : ms[i].name;
            size_t len = by_json_key ? ms[i].json_key_len : ms[i].name_len;
            /* no break: two members of one key (a spec's quirk) both get it, as a lookup per member gives */
            if (len == klen && name[0] == k[0] && memcmp(name, k, klen) == 0)
                mv->vals[i] = x;
        }
    }
    return 0;
}

void nb__member_values_free(nb__member_values_t *mv) {
    if (mv->vals != mv->local)
        free(mv->vals);
    mv->vals = mv->local;
}

void nb__member_iter_init(nb__member_iter_t *it, const nb__spec_t *spec, const json_t *structure) {
    const nb__member_t *members;
    size_t n;
    structure_members(spec, structure, &members, &n);
    it->next = members;
    it->end = members ? members + n : NULL;
}

bool nb__member_next(nb__member_iter_t *it, nb__member_t *m) {
    if (it->next == NULL || it->next == it->end)
        return false;
    *m = *it->next++;
    return true;
}

bool nb__member_get(const nb__spec_t *spec, const json_t *structure, const char *name, nb__member_t *m) {
    const nb__member_t *members;
    size_t n;
    if (name == NULL || !structure_members(spec, structure, &members, &n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(members[i].name, name) == 0) {
            *m = members[i];
            return true;
        }
    return false;
}

const char *nb__member_location(const nb__member_t *m) { return m->location; }
const char *nb__member_location_name(const nb__member_t *m) { return m->location_name; }
bool nb__member_eventstream(const nb__member_t *m) { return m->traits & NB_MEMBER_EVENTSTREAM; }
bool nb__member_flattened(const nb__member_t *m) { return m->traits & NB_MEMBER_FLATTENED; }
bool nb__member_xml_attribute(const nb__member_t *m) { return m->traits & NB_MEMBER_XML_ATTRIBUTE; }
bool nb__member_jsonvalue(const nb__member_t *m) { return m->traits & NB_MEMBER_JSONVALUE; }
bool nb__member_host_label(const nb__member_t *m) { return m->traits & NB_MEMBER_HOST_LABEL; }
bool nb__member_idempotency_token(const nb__member_t *m) { return m->traits & NB_MEMBER_IDEMPOTENCY_TOKEN; }
const char *nb__member_query_name(const nb__member_t *m) { return m->query_name; }
bool nb__member_streaming(const nb__member_t *m) { return m->traits & (NB_MEMBER_STREAMING | NB_MEMBER_EVENTSTREAM); }

bool nb__shape_payload(const nb__spec_t *spec, const json_t *structure, nb__member_t *m) {
    const char *name = json_string_value(json_object_get(structure, "payload"));
    return name && nb__member_get(spec, structure, name, m);
}

nb__time_format_t nb__timestamp_format(const json_t *ref, const json_t *shape, nb__time_format_t dflt) {
    const char *f = nb__trait_str(ref, shape, "timestampFormat");
    if (f == NULL)
        return dflt;
    if (strcmp(f, "iso8601") == 0)
        return dflt == NB_TIME_ISO8601_MS ? NB_TIME_ISO8601_MS : NB_TIME_ISO8601;
    if (strcmp(f, "rfc822") == 0)
        return NB_TIME_RFC822;
    if (strcmp(f, "unixTimestamp") == 0)
        return NB_TIME_EPOCH;
    return dflt;
}

json_t *nb__value_blob(const void *data, size_t len) { return json_stringn_nocheck(len ? data : "", len); }

json_t *nb__value_from_double(double d) {
    if (isnan(d))
        return json_string("NaN");
    if (isinf(d))
        return json_string(d > 0 ? "Infinity" : "-Infinity");
    return json_real(d);
}

bool nb__value_double(const json_t *value, double *d) {
    if (json_is_number(value)) {
        *d = json_number_value(value);
        return true;
    }
    const char *s = json_string_value(value);
    if (s == NULL)
        return false;
    if (strcmp(s, "NaN") == 0)
        *d = NAN;
    else if (strcmp(s, "Infinity") == 0)
        *d = INFINITY;
    else if (strcmp(s, "-Infinity") == 0)
        *d = -INFINITY;
    else
        return false;
    return true;
}

static bool parse_int64(const char *s, long long *v) {
    if (*s == '\0')
        return false;
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
}

int nb__scalar_from_text(const json_t *shape, const char *text, size_t len, json_t **out, const char **why) {
    return nb__scalar_from_text_kind(shape, nb__shape_kind(shape), text, len, out, why);
}

int nb__scalar_from_text_kind(const json_t *shape, nb__shape_kind_t kind, const char *text, size_t len, json_t **out,
                              const char **why) {
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *out = NULL;
    if (kind == NB_SHAPE_STRING || kind == NB_SHAPE_UNKNOWN) {
        /* jansson checks UTF-8 a character at a time; ASCII, the usual text, needs no check */
        size_t i = 0;
        for (uint64_t x; len - i >= 8 && (memcpy(&x, text + i, 8), (x & 0x8080808080808080ULL) == 0); i += 8)
            ;
        while (i < len && (unsigned char)text[i] < 0x80)
            i++;
        *out = i == len ? json_stringn_nocheck(text, len) : json_stringn(text, len);
        if (*out == NULL)
            *why = "invalid UTF-8";
        return *out ? 0 : NB_EINVAL;
    }
    if (kind == NB_SHAPE_BLOB) {
        size_t n = 0;
        unsigned char *data = nb__base64_decode(text, len, &n);
        if (data == NULL) {
            *why = "invalid base64";
            return NB_EINVAL;
        }
        *out = nb__value_blob(data, n);
        free(data);
        return 0;
    }
    /* Every other scalar is short: work on a NUL-terminated, trimmed copy. */
    char buf[128];
    while (len && (*text == ' ' || *text == '\t'))
        text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len >= sizeof buf || memchr(text, '\0', len)) {
        *why = "value too long";
        return NB_EINVAL;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    switch (kind) {
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: {
        long long v;
        if (!parse_int64(buf, &v)) {
            *why = "not an integer";
            return NB_EINVAL;
        }
        if (kind == NB_SHAPE_INTEGER) {
            const char *t = nb__shape_type(shape);
            long long lo = INT32_MIN, hi = INT32_MAX;
            if (strcmp(t, "short") == 0)
                lo = INT16_MIN, hi = INT16_MAX;
            else if (strcmp(t, "byte") == 0)
                lo = INT8_MIN, hi = INT8_MAX;
            if (v < lo || v > hi) {
                *why = "integer out of range";
                return NB_EINVAL;
            }
        }
        *out = json_integer(v);
        return 0;
    }
    case NB_SHAPE_FLOAT: {
        if (strcmp(buf, "NaN") == 0 || strcmp(buf, "Infinity") == 0 || strcmp(buf, "-Infinity") == 0) {
            *out = json_string(buf);
            return 0;
        }
        char *end;
        errno = 0;
        double d = strtod(buf, &end);
        /* strtod accepts "nan", "inf" and hex; the wire never uses them */
        if (*buf == '\0' || *end != '\0' || !isfinite(d) || strpbrk(buf, "xXnNiI")) {
            *why = "not a number";
            return NB_EINVAL;
        }
        *out = json_real(d);
        return 0;
    }
    case NB_SHAPE_BOOLEAN:
        /* botocore 1.29 sends header booleans as Python prints them: "True", "False" */
        if (strcmp(buf, "true") == 0 || strcmp(buf, "True") == 0)
            *out = json_true();
        else if (strcmp(buf, "false") == 0 || strcmp(buf, "False") == 0)
            *out = json_false();
        else {
            *why = "not a boolean";
            return NB_EINVAL;
        }
        return 0;
    case NB_SHAPE_TIMESTAMP: {
        double t;
        if (!nb__time_parse(buf, &t)) {
            *why = "not a timestamp";
            return NB_EINVAL;
        }
        *out = json_real(t);
        return 0;
    }
    default:
        *why = "not a scalar shape";
        return NB_EINVAL;
    }
}

static char *format_double(double d) {
    if (isnan(d))
        return strdup("NaN");
    if (isinf(d))
        return strdup(d > 0 ? "Infinity" : "-Infinity");
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return strdup(buf);
}

char *nb__scalar_to_text(const json_t *shape, const json_t *value, nb__time_format_t fmt) {
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRING:
    case NB_SHAPE_UNKNOWN:
        if (json_is_string(value))
            return strndup(json_string_value(value), json_string_length(value));
        return NULL;
    case NB_SHAPE_BLOB:
        if (json_is_string(value))
            return nb__base64_encode(json_string_value(value), json_string_length(value));
        return NULL;
    case NB_SHAPE_INTEGER:
    case NB_SHAPE_LONG: {
        char *s = NULL;
        if (json_is_integer(value)) {
            if (asprintf(&s, "%lld", (long long)json_integer_value(value)) < 0)
                return NULL;
        } else if (json_is_real(value)) {
            if (asprintf(&s, "%lld", (long long)json_real_value(value)) < 0)
                return NULL;
        }
        return s;
    }
    case NB_SHAPE_FLOAT: {
        double d;
        return nb__value_double(value, &d) ? format_double(d) : NULL;
    }
    case NB_SHAPE_BOOLEAN:
        if (!json_is_boolean(value))
            return NULL;
        return strdup(json_is_true(value) ? "true" : "false");
    case NB_SHAPE_TIMESTAMP: {
        if (!json_is_number(value))
            return NULL;
        char buf[64];
        nb__time_format(json_number_value(value), fmt, buf, sizeof buf);
        return strdup(buf);
    }
    default:
        return NULL;
    }
}
