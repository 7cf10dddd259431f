#include "proto/xml_shape.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nimbus/errno.h"
#include "proto/shape.h"

#define MAX_VALUE_DEPTH 100

static bool is_flattened(const json_t *ref, const json_t *shape) { return nb__trait_bool(ref, shape, "flattened"); }

static const char *ref_location_name(const json_t *ref) {
    return json_string_value(json_object_get(ref, "locationName"));
}

const char *nb__xml_member_name(const nb__spec_t *spec, const json_t *ref, const json_t *shape,
                                const char *member_name) {
    if (nb__shape_kind(shape) == NB_SHAPE_LIST && is_flattened(ref, shape)) {
        const json_t *mref = json_object_get(shape, "member");
        const char *n = ref_location_name(mref);
        (void)spec;
        if (n)
            return n;
    }
    const char *n = nb__trait_str(ref, shape, "locationName");
    return n ? n : member_name;
}

/* ---- writing ---- */

/* xmlNamespace on a member reference: "uri" or {"uri": ..., "prefix": ...}. */
static void write_namespace(nb__xml_writer_t *w, const json_t *ref) {
    const json_t *ns = nb__trait(ref, NULL, "xmlNamespace");
    if (ns == NULL)
        return;
    const char *uri = json_is_string(ns) ? json_string_value(ns) : json_string_value(json_object_get(ns, "uri"));
    nb__xml_namespace_attribute(w, uri, json_string_value(json_object_get(ns, "prefix")));
}

void nb__xml_namespace_attribute(nb__xml_writer_t *w, const char *uri, const char *prefix) {
    if (uri == NULL)
        return;
    if (prefix) {
        char attr[256];
        snprintf(attr, sizeof attr, "xmlns:%s", prefix);
        nb__xml_attribute(w, attr, uri);
    } else {
        nb__xml_attribute(w, "xmlns", uri);
    }
}

static void write_scalar(nb__xml_enc_t *e, const json_t *ref, const json_t *shape, nb__shape_kind_t kind,
                         const char *name, const json_t *value) {
    const char *plain = NULL;
    size_t plain_len = 0;
    char num[24];
    if (kind == NB_SHAPE_STRING && json_is_string(value)) { /* the common cases, without an allocation */
        plain = json_string_value(value);
        plain_len = json_string_length(value);
    } else if ((kind == NB_SHAPE_INTEGER || kind == NB_SHAPE_LONG) && json_is_integer(value)) {
        json_int_t v = json_integer_value(value);
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        char *p = num + sizeof num;
        do
            *--p = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        if (v < 0)
            *--p = '-';
        plain = p;
        plain_len = (size_t)(num + sizeof num - p);
    } else if (kind == NB_SHAPE_BOOLEAN && json_is_boolean(value)) {
        plain = json_is_true(value) ? "true" : "false";
        plain_len = strlen(plain);
    }
    if (plain) {
        nb__xml_start(e->w, name);
        write_namespace(e->w, ref);
        nb__xml_text(e->w, plain, plain_len);
        nb__xml_end(e->w);
        return;
    }
    nb__time_format_t fmt = kind == NB_SHAPE_TIMESTAMP ? nb__timestamp_format(ref, shape, e->ts_format) : e->ts_format;
    char *text = nb__scalar_to_text(shape, value, fmt);
    if (text == NULL)
        return; /* a value that does not fit its shape is left out rather than sent malformed */
    nb__xml_start(e->w, name);
    write_namespace(e->w, ref);
    nb__xml_text(e->w, text, strlen(text));
    nb__xml_end(e->w);
    free(text);
}

static void write_map_entry(nb__xml_enc_t *e, const json_t *shape, const char *key, const json_t *v) {
    const json_t *kref = json_object_get(shape, "key");
    const json_t *vref = json_object_get(shape, "value");
    const char *kname = ref_location_name(kref);
    const char *vname = ref_location_name(vref);
    nb__xml_start(e->w, kname ? kname : "key");
    write_namespace(e->w, kref);
    nb__xml_text(e->w, key, strlen(key));
    nb__xml_end(e->w);
    nb__xml_write_value(e, vref, nb__spec_ref_shape(e->spec, vref), vname ? vname : "value", v);
}

static void write_value(nb__xml_enc_t *e, const json_t *ref, const json_t *shape, nb__shape_kind_t kind,
                        const char *name, const json_t *value);

void nb__xml_write_value(nb__xml_enc_t *e, const json_t *ref, const json_t *shape, const char *name,
                         const json_t *value) {
    write_value(e, ref, shape, nb__shape_kind(shape), name, value);
}

/* nb__xml_write_value with the shape's kind already known (members and list items carry it). */
static void write_value(nb__xml_enc_t *e, const json_t *ref, const json_t *shape, nb__shape_kind_t kind,
                        const char *name, const json_t *value) {
    if (value == NULL || json_is_null(value) || shape == NULL || e->depth >= MAX_VALUE_DEPTH)
        return;
    e->depth++;
    switch (kind) {
    case NB_SHAPE_STRUCTURE:
        if (json_is_object(value)) {
            nb__xml_start(e->w, name);
            write_namespace(e->w, ref);
            /* a prefixed namespace on the shape declares the prefix its attributes use
             * (S3's Grantee: xmlns:xsi for xsi:type) */
            const json_t *shape_ns = json_object_get(shape, "xmlNamespace");
            if (shape_ns && nb__trait(ref, NULL, "xmlNamespace") == NULL && json_object_get(shape_ns, "prefix"))
                write_namespace(e->w, shape);
            nb__xml_write_members(e, shape, value);
            nb__xml_end(e->w);
        }
        break;
    case NB_SHAPE_LIST: {
        const json_t *mref = json_object_get(shape, "member");
        const json_t *mshape = nb__spec_ref_shape(e->spec, mref);
        nb__shape_kind_t mkind = nb__shape_kind(mshape);
        size_t i;
        json_t *item;
        if (!json_is_array(value))
            break;
        if (is_flattened(ref, shape)) {
            json_array_foreach(value, i, item) write_value(e, mref, mshape, mkind, name, item);
        } else {
            const char *mname = ref_location_name(mref);
            nb__xml_start(e->w, name);
            write_namespace(e->w, ref);
            json_array_foreach(value, i, item) write_value(e, mref, mshape, mkind, mname ? mname : "member", item);
            nb__xml_end(e->w);
        }
        break;
    }
    case NB_SHAPE_MAP: {
        const char *key;
        json_t *v;
        if (!json_is_object(value))
            break;
        if (is_flattened(ref, shape)) {
            json_object_foreach((json_t *)value, key, v) {
                nb__xml_start(e->w, name);
                write_namespace(e->w, ref);
                write_map_entry(e, shape, key, v);
                nb__xml_end(e->w);
            }
        } else {
            nb__xml_start(e->w, name);
            write_namespace(e->w, ref);
            json_object_foreach((json_t *)value, key, v) {
                nb__xml_start(e->w, "entry");
                write_map_entry(e, shape, key, v);
                nb__xml_end(e->w);
            }
            nb__xml_end(e->w);
        }
        break;
    }
    default:
        write_scalar(e, ref, shape, kind, name, value);
    }
    e->depth--;
}

void nb__xml_write_members(nb__xml_enc_t *e, const json_t *shape, const json_t *value) {
    nb__member_iter_t it;
    nb__member_t m;
    bool attributes = false;
    for (nb__member_iter_init(&it, e->spec, shape); nb__member_next(&it, &m);)
        attributes |= nb__member_xml_attribute(&m);
    for (nb__member_iter_init(&it, e->spec, shape); attributes && nb__member_next(&it, &m);) {
        if (!nb__member_xml_attribute(&m))
            continue;
        const json_t *v = json_object_get(value, m.name);
        if (v == NULL || json_is_null(v))
            continue;
        char *text = nb__scalar_to_text(m.shape, v, nb__timestamp_format(m.ref, m.shape, e->ts_format));
        if (text) {
            nb__xml_attribute(e->w, m.xml_name, text);
            free(text);
        }
    }
    for (nb__member_iter_init(&it, e->spec, shape); nb__member_next(&it, &m);) {
        if (nb__member_xml_attribute(&m) || nb__member_location(&m))
            continue;
        const json_t *v = json_object_get(value, m.name);
        if (v == NULL || json_is_null(v))
            continue;
        write_value(e, m.ref, m.shape, m.kind, m.xml_name, v);
    }
}

/* ---- reading ---- */

static bool is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static int read_scalar(const json_t *shape, const char *text, size_t len, json_t **out, const char **why) {
    nb__shape_kind_t k = nb__shape_kind(shape);
    if (k != NB_SHAPE_STRING && k != NB_SHAPE_BLOB) {
        while (len && isspace((unsigned char)*text))
            text++, len--;
        while (len && isspace((unsigned char)text[len - 1]))
            len--;
    }
    if (nb__scalar_from_text(shape, text, len, out, why) < 0) {
        *out = NULL;
        if (*why == NULL)
            *why = "invalid value";
        return NB_EINVAL;
    }
    return 0;
}

static int read_map_entry(const nb__spec_t *spec, const json_t *shape, const nb__xml_node_t *entry, json_t *obj,
                          const char **why) {
    const json_t *kref = json_object_get(shape, "key");
    const json_t *vref = json_object_get(shape, "value");
    const char *kname = ref_location_name(kref);
    const char *vname = ref_location_name(vref);
    const nb__xml_node_t *kn = nb__xml_child(entry, kname ? nb__xml_local(kname) : "key");
    const nb__xml_node_t *vn = nb__xml_child(entry, vname ? nb__xml_local(vname) : "value");
    if (kn == NULL)
        return 0;
    json_t *v = NULL;
    if (vn == NULL)
        return 0;
    int rc = nb__xml_read_value(spec, vref, nb__spec_ref_shape(spec, vref), vn, &v, why);
    if (rc < 0)
        return rc;
    if (v)
        json_object_set_new(obj, kn->text, v);
    return 0;
}

int nb__xml_read_value(const nb__spec_t *spec, const json_t *ref, const json_t *shape, const nb__xml_node_t *node,
                       json_t **out, const char **why) {
    *out = NULL;
    if (shape == NULL)
        return 0;
    switch (nb__shape_kind(shape)) {
    case NB_SHAPE_STRUCTURE:
        return nb__xml_read_structure(spec, shape, node, out, why);
    case NB_SHAPE_LIST: {
        const json_t *mref = json_object_get(shape, "member");
        const json_t *mshape = nb__spec_ref_shape(spec, mref);
        json_t *arr = json_array();
        if (arr == NULL)
            return NB_ENOMEM;
        if (is_flattened(ref, shape)) {
            /* node is one element of the flattened list */
            json_t *v = NULL;
            int rc = nb__xml_read_value(spec, mref, mshape, node, &v, why);
            if (rc < 0) {
                json_decref(arr);
                return rc;
            }
            if (v)
                json_array_append_new(arr, v);
        } else {
            for (const nb__xml_node_t *c = node->first; c; c = c->next) {
                json_t *v = NULL;
                int rc = nb__xml_read_value(spec, mref, mshape, c, &v, why);
                if (rc < 0) {
                    json_decref(arr);
                    return rc;
                }
                if (v)
                    json_array_append_new(arr, v);
            }
        }
        *out = arr;
        return 0;
    }
    case NB_SHAPE_MAP: {
        json_t *obj = json_object();
        if (obj == NULL)
            return NB_ENOMEM;
        int rc = 0;
        if (is_flattened(ref, shape)) {
            rc = read_map_entry(spec, shape, node, obj, why);
        } else {
            for (const nb__xml_node_t *c = node->first; c && rc == 0; c = c->next)
                if (strcmp(c->local, "entry") == 0)
                    rc = read_map_entry(spec, shape, c, obj, why);
        }
        if (rc < 0) {
            json_decref(obj);
            return rc;
        }
        *out = obj;
        return 0;
    }
    default:
        if (nb__shape_kind(shape) != NB_SHAPE_STRING && node->first == NULL && is_blank(node->text, node->text_len) &&
            nb__shape_kind(shape) != NB_SHAPE_BLOB)
            return 0; /* <n/> for a number or boolean: absent */
        return read_scalar(shape, node->text, node->text_len, out, why);
    }
}

/* Appends the values of every child of node named local (a flattened list or map). */
static int read_flattened(const nb__spec_t *spec, const nb__member_t *m, const nb__xml_node_t *node,
                          const char *local, json_t **out, const char **why) {
    json_t *acc = NULL;
    for (const nb__xml_node_t *c = node->first; c; c = c->next) {
        if (strcmp(c->local, local) != 0)
            continue;
        json_t *v = NULL;
        int rc = nb__xml_read_value(spec, m->ref, m->shape, c, &v, why);
        if (rc < 0) {
            json_decref(acc);
            return rc;
        }
        if (acc == NULL) {
            acc = v;
        } else if (m->kind == NB_SHAPE_LIST) {
            json_array_extend(acc, v);
            json_decref(v);
        } else {
            json_object_update(acc, v);
            json_decref(v);
        }
    }
    *out = acc;
    return 0;
}

int nb__xml_read_structure(const nb__spec_t *spec, const json_t *shape, const nb__xml_node_t *node, json_t **out,
                           const char **why) {
    json_t *obj = json_object();
    if (obj == NULL)
        return NB_ENOMEM;
    nb__member_iter_t it;
    nb__member_t m;
    int rc = 0;
    for (nb__member_iter_init(&it, spec, shape); rc == 0 && nb__member_next(&it, &m);) {
        if (nb__member_location(&m) || m.shape == NULL)
            continue;
        json_t *v = NULL;
        const char *name = m.xml_name;
        if (nb__member_xml_attribute(&m)) {
            const char *a = nb__xml_attr(node, name);
            if (a)
                rc = read_scalar(m.shape, a, strlen(a), &v, why);
        } else if ((m.kind == NB_SHAPE_LIST || m.kind == NB_SHAPE_MAP) && is_flattened(m.ref, m.shape)) {
            /* botocore names flattened list elements after the list member's locationName,
             * Smithy after the member's: accept either, then the bare member name */
            const char *alt = nb__trait_str(m.ref, m.shape, "locationName");
            const char *cands[3] = {name, alt ? alt : m.name, m.name};
            for (int i = 0; i < 3 && rc == 0 && v == NULL; i++)
                if (i == 0 || strcmp(cands[i], cands[i - 1]) != 0)
                    rc = read_flattened(spec, &m, node, nb__xml_local(cands[i]), &v, why);
        } else {
            const nb__xml_node_t *c = nb__xml_child(node, nb__xml_local(name));
            if (c == NULL && strcmp(name, m.name) != 0)
                c = nb__xml_child(node, m.name);
            if (c)
                rc = nb__xml_read_value(spec, m.ref, m.shape, c, &v, why);
        }
        if (rc == 0 && v)
            json_object_set_new(obj, m.name, v);
    }
    if (rc < 0) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

/* ---- errors ---- */

/* metadata.xmlNamespace is a string in older specs, {"uri": ...} in newer ones */
void nb__xml_start_op_response(nb__xml_writer_t *w, const nb__spec_t *spec, const nb__spec_op_t *op) {
    char name[512];
    snprintf(name, sizeof name, "%sResponse", op->name);
    nb__xml_start(w, name);
    nb__xml_namespace_attribute(w, nb__xml_service_namespace(spec), NULL);
}

const char *nb__xml_service_namespace(const nb__spec_t *spec) {
    if (spec == NULL)
        return NULL;
    if (spec->xml_namespace)
        return spec->xml_namespace;
    const json_t *ns = json_object_get(spec->metadata, "xmlNamespace");
    return json_is_string(ns) ? json_string_value(ns) : json_string_value(json_object_get(ns, "uri"));
}


const json_t *nb__xml_error_shape(const nb__spec_t *spec, const nb__spec_op_t *op, const char *code) {
    return nb__spec_error_shape(spec, op, code, NULL);
}

const char *nb__xml_error_code(const nb__spec_t *spec, const nb__spec_op_t *op, const nb__aws_error_t *err) {
    const char *code = err->code ? err->code : "InternalFailure";
    const json_t *shape = nb__xml_error_shape(spec, op, code);
    const char *c = json_string_value(json_object_get(json_object_get(shape, "error"), "code"));
    return c ? c : code;
}

static bool is_reserved_error_field(const char *k) {
    return strcasecmp(k, "message") == 0 || strcmp(k, "Code") == 0 || strcmp(k, "Type") == 0 ||
           strcmp(k, "RequestId") == 0 || strcmp(k, "__type") == 0;
}

void nb__xml_write_error_fields(nb__xml_enc_t *e, const nb__spec_op_t *op, const nb__aws_error_t *err) {
    const json_t *message = NULL;
    if (err->fields) {
        message = json_object_get(err->fields, "Message");
        if (message == NULL)
            message = json_object_get(err->fields, "message");
    }
    if (err->message)
        nb__xml_element(e->w, "Message", err->message);
    else if (json_is_string(message))
        nb__xml_element(e->w, "Message", json_string_value(message));
    if (!json_is_object(err->fields))
        return;
    const json_t *shape = nb__xml_error_shape(e->spec, op, err->code);
    const char *k;
    json_t *v;
    json_object_foreach(err->fields, k, v) {
        if (is_reserved_error_field(k) || json_is_null(v))
            continue;
        nb__member_t m;
        if (shape && nb__member_get(e->spec, shape, k, &m)) {
            if (nb__member_location(&m))
                continue;
            nb__xml_write_value(e, m.ref, m.shape, m.xml_name, v);
        } else if (json_is_string(v)) {
            nb__xml_element(e->w, k, json_string_value(v));
        } else if (json_is_integer(v) || json_is_real(v) || json_is_boolean(v)) {
            char *t = json_dumps(v, JSON_ENCODE_ANY);
            if (t)
                nb__xml_element(e->w, k, t);
            free(t);
        }
    }
}
