#include "ddb_key.h"

#include <string.h>

#include "ddb_num.h"
#include "ddb_expr.h"

int ddb_key_bytes(const json_t *av, char type, uint8_t *buf, const uint8_t **out, size_t *len) {
    json_t *v;
    const char *t = ddb_type_name(ddb_value_type(av, &v));
    if (t[0] != type || t[1] != '\0' || !json_is_string(v))
        return -1;
    if (type != 'N') {
        *out = (const uint8_t *)json_string_value(v);
        *len = json_string_length(v);
        return 0;
    }
    ddb_num_t n;
    if (ddb_num_parse(json_string_value(v), json_string_length(v), &n) != DDB_NUM_OK)
        return -1;
    *len = ddb_num_encode(&n, buf);
    *out = buf;
    return 0;
}

static const char *type_of(const json_t *av) {
    return ddb_type_name(ddb_value_type(av, NULL));
}

static bool empty_string(const json_t *av) {
    json_t *v;
    ddb_type_t t = ddb_value_type(av, &v);
    return (t == DDB_T_S || t == DDB_T_B) && json_string_length(v) == 0;
}

static nb_step_t item_attr(nb_req_t *req, const ddb_keyattr_t *ka, const json_t *item, bool range, uint8_t *buf,
                           const uint8_t **out, size_t *len) {
    const json_t *av = json_object_get(item, ka->name);
    if (av == NULL)
        return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: Missing the key %s in the item",
                                   ka->name));
    if (ddb_key_bytes(av, ka->type, buf, out, len) != 0)
        return nb_stop(ddb_invalid(req,
                                   "One or more parameter values were invalid: Type mismatch for key %s expected: %c "
                                   "actual: %s",
                                   ka->name, ka->type, type_of(av)));
    if (empty_string(av))
        return nb_stop(ddb_invalid(req,
                                   "One or more parameter values are not valid. The AttributeValue for a key attribute "
                                   "cannot contain an empty %s value. Key: %s",
                                   ka->type == 'S' ? "string" : "binary", ka->name));
    if (!range && *len > DDB_HASH_KEY_MAX)
        return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: Size of hashkey has exceeded the "
                                        "maximum size limit of2048 bytes"));
    if (range && *len > DDB_RANGE_KEY_MAX)
        return nb_stop(ddb_invalid(req, "One or more parameter values were invalid: Aggregated size of all range keys "
                                        "has exceeded the size limit of 1024 bytes"));
    return NB_GO_ON;
}

nb_step_t ddb_key_of_item(nb_req_t *req, const ddb_table_t *t, const json_t *item, ddb_keybytes_t *out) {
    NB_TRY_STEP(item_attr(req, &t->key.hash, item, false, out->pkbuf, &out->pk, &out->pklen));
    out->sk = (const uint8_t *)"";
    out->sklen = 0;
    if (t->key.range.name != NULL)
        NB_TRY_STEP(item_attr(req, &t->key.range, item, true, out->skbuf, &out->sk, &out->sklen));
    return NB_GO_ON;
}

nb_step_t ddb_key_of_param(nb_req_t *req, const ddb_table_t *t, const json_t *key, ddb_keybytes_t *out) {
    size_t want = t->key.range.name != NULL ? 2 : 1;
    const json_t *h = json_object_get(key, t->key.hash.name);
    const json_t *r = t->key.range.name != NULL ? json_object_get(key, t->key.range.name) : NULL;
    if (!json_is_object(key) || json_object_size(key) != want || h == NULL || (want == 2 && r == NULL) ||
        ddb_key_bytes(h, t->key.hash.type, out->pkbuf, &out->pk, &out->pklen) != 0 ||
        (r != NULL && ddb_key_bytes(r, t->key.range.type, out->skbuf, &out->sk, &out->sklen) != 0))
        return nb_stop(ddb_invalid(req, "The provided key element does not match the schema"));
    if (r == NULL) {
        out->sk = (const uint8_t *)"";
        out->sklen = 0;
    }
    if (empty_string(h) || (r != NULL && empty_string(r)))
        return nb_stop(ddb_invalid(req,
                                   "One or more parameter values are not valid. The AttributeValue for a key attribute "
                                   "cannot contain an empty %s value. Key: %s",
                                   empty_string(h) ? (t->key.hash.type == 'S' ? "string" : "binary")
                                                   : (t->key.range.type == 'S' ? "string" : "binary"),
                                   empty_string(h) ? t->key.hash.name : t->key.range.name));
    return NB_GO_ON;
}

/* 0: the attribute's bytes (or absent: *present false); 1: wrong type; 2: an empty string or binary. */
static int index_attr(const ddb_keyattr_t *ka, const json_t *item, uint8_t *buf, const uint8_t **out, size_t *len,
                      bool *present) {
    const json_t *av = json_object_get(item, ka->name);
    if (av == NULL) {
        *present = false;
        return 0;
    }
    if (ddb_key_bytes(av, ka->type, buf, out, len) != 0)
        return 1;
    return empty_string(av) ? 2 : 0;
}

int ddb_key_index_bytes(const ddb_index_t *ix, const json_t *item, ddb_keybytes_t *out, bool *present) {
    *present = true;
    out->sk = (const uint8_t *)"";
    out->sklen = 0;
    if (index_attr(&ix->key.hash, item, out->pkbuf, &out->pk, &out->pklen, present) != 0)
        return -1;
    if (ix->key.range.name != NULL &&
        index_attr(&ix->key.range, item, out->skbuf, &out->sk, &out->sklen, present) != 0)
        return -1;
    return 0;
}

nb_step_t ddb_key_of_index(nb_req_t *req, const ddb_index_t *ix, const json_t *item, ddb_keybytes_t *out,
                           bool *present) {
    *present = true;
    out->sk = (const uint8_t *)"";
    out->sklen = 0;
    /* every key attribute is checked even when an earlier one is absent: a wrong type fails the write */
    const ddb_keyattr_t *attrs[2] = {&ix->key.hash, &ix->key.range};
    for (int i = 0; i < 2; i++) {
        const ddb_keyattr_t *ka = attrs[i];
        if (ka->name == NULL)
            continue;
        int rc = i == 0 ? index_attr(ka, item, out->pkbuf, &out->pk, &out->pklen, present)
                        : index_attr(ka, item, out->skbuf, &out->sk, &out->sklen, present);
        if (rc == 1)
            return nb_stop(ddb_invalid(req,
                                       "One or more parameter values were invalid: Type mismatch for Index Key %s "
                                       "Expected: %c Actual: %s IndexName: %s",
                                       ka->name, ka->type, type_of(json_object_get(item, ka->name)), ix->name));
        if (rc == 2)
            return nb_stop(ddb_invalid(req,
                                       "One or more parameter values are not valid. A value specified for a secondary "
                                       "index key is not supported. The AttributeValue for a key attribute cannot "
                                       "contain an empty %s value. IndexName: %s, IndexKey: %s",
                                       ka->type == 'S' ? "string" : "binary", ix->name, ka->name));
    }
    return NB_GO_ON;
}

json_t *ddb_key_project(const ddb_keydef_t *k, const json_t *item) {
    json_t *key = json_object();
    json_object_set(key, k->hash.name, json_object_get(item, k->hash.name));
    if (k->range.name != NULL)
        json_object_set(key, k->range.name, json_object_get(item, k->range.name));
    return key;
}
