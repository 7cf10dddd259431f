/* BatchGetItem and BatchWriteItem: every request is processed at once, so UnprocessedKeys and
 * UnprocessedItems are always empty maps, the shape SDKs loop on. */
#include <string.h>

#include "ddb_item.h"
#include "ddb_item_size.h"
#include "ddb_item_store.h"

#define BATCH_GET_MAX 100
#define BATCH_WRITE_MAX 25

static bool same_key(const ddb_keybytes_t *a, const ddb_keybytes_t *b) {
    return a->pklen == b->pklen && a->sklen == b->sklen && memcmp(a->pk, b->pk, a->pklen) == 0 &&
           memcmp(a->sk, b->sk, a->sklen) == 0;
}

static bool key_seen(const ddb_keybytes_t *keys, size_t n, const ddb_keybytes_t *k) {
    for (size_t i = 0; i < n; i++)
        if (same_key(&keys[i], k))
            return true;
    return false;
}

nb_result_t dynamodb_batch_get_item(nb_req_t *req, const json_t *input) {
    const json_t *ri = json_object_get(input, "RequestItems");
    size_t total = 0;
    const char *name;
    const json_t *spec;
    json_object_foreach((json_t *)ri, name, spec) total += json_array_size(json_object_get(spec, "Keys"));
    if (total > BATCH_GET_MAX)
        return ddb_invalid(req, "Too many items requested for the BatchGetItem call");
    json_t *responses = json_object(), *consumed = json_array();
    json_t *out = json_pack("{s:o,s:{},s:o}", "Responses", responses, "UnprocessedKeys", "ConsumedCapacity", consumed);
    nb_req_on_free(req, (void (*)(void *))json_decref, out);
    json_object_foreach((json_t *)ri, name, spec) {
        ddb_table_t *t;
        ddb_params_t *p;
        NB_TRY(ddb_table_read(req, name, &t));
        NB_TRY(ddb_params_parse(req, spec, "BatchGetItem", NULL, &p));
        const json_t *keys = json_object_get(spec, "Keys");
        ddb_keybytes_t *seen = nb_req_alloc(req, (json_array_size(keys) + 1) * sizeof *seen);
        json_t *items = json_array();
        json_object_set_new(responses, name, items);
        size_t i, bytes = 0;
        const json_t *k;
        json_array_foreach(keys, i, k) {
            NB_TRY(ddb_key_of_param(req, t, k, &seen[i]));
            if (key_seen(seen, i, &seen[i]))
                return ddb_invalid(req, "Provided list of item keys contains duplicates");
        }
        json_array_foreach(keys, i, k) {
            json_t *item;
            size_t size;
            int rc = ddb_item_get(t, &seen[i], &item, &size);
            if (rc == NB_ENOENT)
                continue;
            if (rc != 0)
                return NB_FAILED(rc);
            bytes += size;
            json_array_append_new(items, p->proj ? ddb_proj_apply(p->proj, item) : json_incref(item));
            json_decref(item);
        }
        ddb_consumed_add(consumed, input, t->name, ddb_read_units(bytes, nb_json_bool(spec, "ConsistentRead", false)));
    }
    if (json_array_size(consumed) == 0)
        json_object_del(out, "ConsumedCapacity");
    return nb_reply_new(req, json_incref(out));
}

typedef struct write_op {
    ddb_table_t *t;
    ddb_keybytes_t key;
    json_t *item; /* NULL: a delete */
    size_t size;
} write_op_t;

nb_result_t dynamodb_batch_write_item(nb_req_t *req, const json_t *input) {
    const json_t *ri = json_object_get(input, "RequestItems");
    size_t total = 0, n = 0;
    const char *name;
    const json_t *reqs;
    json_object_foreach((json_t *)ri, name, reqs) total += json_array_size(reqs);
    if (total > BATCH_WRITE_MAX)
        return ddb_invalid(req, "Too many items requested for the BatchWriteItem call");
    write_op_t *ops = nb_req_alloc(req, (total + 1) * sizeof *ops);
    if (ops == NULL)
        return NB_FAILED(NB_ENOMEM);
    /* everything is checked before anything is written: one bad request fails the whole batch */
    json_object_foreach((json_t *)ri, name, reqs) {
        ddb_table_t *t;
        NB_TRY(ddb_table_read(req, name, &t));
        size_t i;
        const json_t *r;
        json_array_foreach(reqs, i, r) {
            const json_t *put = json_object_get(r, "PutRequest"), *del = json_object_get(r, "DeleteRequest");
            if ((put == NULL) == (del == NULL))
                return ddb_invalid(req, "Supplied AttributeValue has more than one datatypes set, must contain "
                                        "exactly one of the supported datatypes");
            write_op_t *op = &ops[n];
            op->t = t;
            if (put != NULL) {
                op->item = json_deep_copy(json_object_get(put, "Item"));
                nb_req_on_free(req, (void (*)(void *))json_decref, op->item);
                NB_TRY(ddb_item_validate(req, t, op->item, &op->key, &op->size));
            } else {
                NB_TRY(ddb_key_of_param(req, t, json_object_get(del, "Key"), &op->key));
            }
            for (size_t j = 0; j < n; j++)
                if (ops[j].t->tid == t->tid && same_key(&ops[j].key, &op->key))
                    return ddb_invalid(req, "Provided list of item keys contains duplicates");
            n++;
        }
    }
    json_t *consumed = json_array();
    json_t *out = json_pack("{s:{},s:o}", "UnprocessedItems", "ConsumedCapacity", consumed);
    nb_req_on_free(req, (void (*)(void *))json_decref, out);
    for (size_t i = 0; i < n; i++) {
        json_t *old = NULL;
        size_t old_size = 0;
        int rc = ddb_item_get(ops[i].t, &ops[i].key, &old, &old_size);
        if (rc != 0 && rc != NB_ENOENT)
            return NB_FAILED(rc);
        if (ops[i].item != NULL)
            rc = ddb_item_put(ops[i].t, &ops[i].key, old, old_size, ops[i].item, ops[i].size);
        else
            rc = old != NULL ? ddb_item_remove(ops[i].t, &ops[i].key, old, old_size) : 0;
        json_decref(old);
        if (rc != 0)
            return NB_FAILED(rc);
        ddb_consumed_add(consumed, input, ops[i].t->name, ddb_write_units(ops[i].size > old_size ? ops[i].size : old_size));
    }
    if (json_array_size(consumed) == 0)
        json_object_del(out, "ConsumedCapacity");
    return nb_reply_new(req, json_incref(out));
}
