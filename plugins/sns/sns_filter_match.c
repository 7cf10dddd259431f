/* SNS filter policies: matching a compiled policy against a message's attributes or its JSON body.
 *
 * A field's values are what AWS compares: a String attribute is a string, a Number attribute a number
 * (100 == 1e2 == 100.0), each element of a String.Array attribute a value of its own, a Binary attribute
 * nothing (AWS compares String, String.Array and Number only). In the body a field is a dotted path
 * ({"a":{"b":1}} and {"a.b":1} both have "a.b"), arrays on the way and at the end contributing each element.
 * A field matches when any of its policy values matches any of its values, except anything-but, which asks
 * that none of them be excluded (AWS: "for String.Array ... it matches if none of the array elements are
 * listed"), and exists, which asks whether there is any value. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sns_filter_int.h"

typedef enum { FV_STRING, FV_NUMBER, FV_TRUE, FV_FALSE, FV_NULL } fv_type_t;

typedef struct {
    fv_type_t type;
    const char *s;
    size_t len;
    double num;
} fv_t;

typedef struct {
    fv_t *v;
    size_t n, cap;
} fvs_t;

static void add_value(fvs_t *vs, fv_t v)
{
    if (vs->n == vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 8;
        fv_t *nv = realloc(vs->v, cap * sizeof *nv);
        if (!nv)
            return; /* out of memory: the value is not seen */
        vs->v = nv;
        vs->cap = cap;
    }
    vs->v[vs->n++] = v;
}

/* A JSON scalar as a value; an array gives each of its elements; an object gives nothing (it is not a leaf). */
static void add_leaf(fvs_t *vs, const json_t *j)
{
    fv_t v = {0};
    switch (json_typeof(j)) {
    case JSON_STRING:
        v.type = FV_STRING;
        v.s = json_string_value(j);
        v.len = json_string_length(j);
        break;
    case JSON_REAL:
    case JSON_INTEGER:
        v.type = FV_NUMBER;
        v.num = json_number_value(j);
        break;
    case JSON_TRUE: v.type = FV_TRUE; break;
    case JSON_FALSE: v.type = FV_FALSE; break;
    case JSON_NULL: v.type = FV_NULL; break;
    case JSON_ARRAY: {
        size_t i;
        json_t *e;
        json_array_foreach((json_t *)j, i, e) add_leaf(vs, e);
        return;
    }
    default:
        return;
    }
    add_value(vs, v);
}

/* The values at the dotted path under node: any split of the path into keys that the body has. */
static void collect_body(const json_t *node, const char *path, fvs_t *vs)
{
    if (json_is_array(node)) {
        size_t i;
        json_t *e;
        json_array_foreach((json_t *)node, i, e) collect_body(e, path, vs);
        return;
    }
    if (!json_is_object(node))
        return;
    const char *key;
    json_t *child;
    json_object_foreach((json_t *)node, key, child) {
        size_t kl = strlen(key);
        if (strncmp(path, key, kl) != 0)
            continue;
        if (path[kl] == '\0')
            add_leaf(vs, child);
        else if (path[kl] == '.')
            collect_body(child, path + kl + 1, vs);
    }
}

/* The values of one message attribute; *hold keeps a parsed String.Array alive while they are used. */
static void collect_attribute(const json_t *attributes, const char *name, fvs_t *vs, json_t **hold)
{
    const json_t *attr = json_object_get(attributes, name);
    const char *type = json_string_value(json_object_get(attr, "Type"));
    const json_t *value = json_object_get(attr, "Value");
    const char *text = json_string_value(value);
    if (!type || !text)
        return;
    fv_t v = {.type = FV_STRING, .s = text, .len = json_string_length(value)};
    if (strcmp(type, "String.Array") == 0) {
        *hold = json_loadb(text, v.len, JSON_DECODE_INT_AS_REAL, NULL);
        if (json_is_array(*hold))
            add_leaf(vs, *hold);
        return;
    }
    /* custom type labels ("Number.float", "String.id") keep their base type */
    if (strncmp(type, "Number", 6) == 0 && (type[6] == '\0' || type[6] == '.')) {
        if (sf_parse_number(text, v.len, &v.num))
            v.type = FV_NUMBER;
        add_value(vs, v);
    } else if (strncmp(type, "String", 6) == 0 && (type[6] == '\0' || type[6] == '.')) {
        add_value(vs, v);
    }
}

static int starts_with(const fv_t *v, const char *p, size_t n)
{
    return v->type == FV_STRING && v->len >= n && memcmp(v->s, p, n) == 0;
}

static int cidr_contains(const sf_pattern_t *p, const fv_t *v)
{
    uint8_t addr[16];
    int v6;
    if (v->type != FV_STRING || !sf_parse_ip(v->s, v->len, addr, &v6) || v6 != p->cidr_v6)
        return 0;
    int full = p->cidr_bits / 8, rest = p->cidr_bits % 8;
    if (memcmp(addr, p->cidr_addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (addr[full] & mask) == (p->cidr_addr[full] & mask);
}

static int numeric_in(const sf_pattern_t *p, double x)
{
    if (p->has_lo && (p->lo_open ? !(x > p->lo) : !(x >= p->lo)))
        return 0;
    if (p->has_hi && (p->hi_open ? !(x < p->hi) : !(x <= p->hi)))
        return 0;
    return 1;
}

/* Whether anything-but excludes this value. */
static int excluded(const sf_pattern_t *p, const fv_t *v)
{
    if (p->kind == SF_ANYTHING_BUT_PREFIX)
        return starts_with(v, p->text, p->text_len);
    for (size_t i = 0; i < p->ab_count; i++) {
        if (p->ab_numeric ? v->type == FV_NUMBER && v->num == p->ab_numbers[i]
                          : v->type == FV_STRING && v->len == p->ab_string_lens[i] &&
                                memcmp(v->s, p->ab_strings[i], v->len) == 0)
            return 1;
    }
    return 0;
}

static int value_matches(const sf_pattern_t *p, const fv_t *v)
{
    switch (p->kind) {
    case SF_EXACT_STRING:
        return v->type == FV_STRING && v->len == p->text_len && memcmp(v->s, p->text, v->len) == 0;
    case SF_EXACT_NUMBER: return v->type == FV_NUMBER && v->num == p->number;
    case SF_EXACT_TRUE: return v->type == FV_TRUE;
    case SF_EXACT_FALSE: return v->type == FV_FALSE;
    case SF_EXACT_NULL: return v->type == FV_NULL;
    case SF_PREFIX: return starts_with(v, p->text, p->text_len);
    case SF_SUFFIX:
        return v->type == FV_STRING && v->len >= p->text_len &&
               memcmp(v->s + v->len - p->text_len, p->text, p->text_len) == 0;
    case SF_EQUALS_IGNORE_CASE:
        return v->type == FV_STRING && v->len == p->text_len && strncasecmp(v->s, p->text, v->len) == 0;
    case SF_NUMERIC: return v->type == FV_NUMBER && numeric_in(p, v->num);
    case SF_CIDR: return cidr_contains(p, v);
    default: return 0;
    }
}

static int field_matches(const sf_field_t *field, const fvs_t *vs)
{
    for (size_t i = 0; i < field->npatterns; i++) {
        const sf_pattern_t *p = &field->patterns[i];
        if (p->kind == SF_EXISTS) {
            if ((vs->n > 0) == (p->exists != 0))
                return 1;
        } else if (p->kind == SF_ANYTHING_BUT || p->kind == SF_ANYTHING_BUT_PREFIX) {
            size_t k;
            for (k = 0; k < vs->n && !excluded(p, &vs->v[k]); k++)
                ;
            if (vs->n > 0 && k == vs->n)
                return 1;
        } else {
            for (size_t k = 0; k < vs->n; k++)
                if (value_matches(p, &vs->v[k]))
                    return 1;
        }
    }
    return 0;
}

static int branch_matches(const sf_branch_t *b, int body_scope, const json_t *root, fvs_t *vs)
{
    for (size_t i = 0; i < b->nfields; i++) {
        json_t *hold = NULL;
        vs->n = 0;
        if (body_scope)
            collect_body(root, b->fields[i].path, vs);
        else
            collect_attribute(root, b->fields[i].path, vs, &hold);
        int ok = field_matches(&b->fields[i], vs);
        json_decref(hold);
        if (!ok)
            return 0;
    }
    return 1;
}

int sns_filter_match(const sns_filter_t *f, int body_scope, const json_t *attributes, const char *body, size_t len)
{
    if (!f || f->nbranches == 0)
        return 1;
    json_t *doc = NULL;
    const json_t *root = attributes;
    if (body_scope) {
        /* AWS's payload filtering assumes a JSON object: any other body matches nothing */
        doc = body ? json_loadb(body, len, JSON_DECODE_INT_AS_REAL, NULL) : NULL;
        if (!json_is_object(doc)) {
            json_decref(doc);
            return 0;
        }
        root = doc;
    }
    fvs_t vs = {0};
    int matched = 0;
    for (size_t b = 0; b < f->nbranches && !matched; b++)
        matched = branch_matches(&f->branches[b], body_scope, root, &vs);
    free(vs.v);
    json_decref(doc);
    return matched;
}
