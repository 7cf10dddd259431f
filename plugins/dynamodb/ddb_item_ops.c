/* PutItem, GetItem, UpdateItem, DeleteItem. */
#include <string.h>

#include "ddb_index.h"
#include "ddb_item.h"
#include "ddb_item_text.h"
#include "ddb_item_size.h"
#include "ddb_item_store.h"
#include "ddb_params.h"
#include "ddb_value.h"

static void release(void *v) { json_decref(v); }

/* A new reference kept until the request ends. */
static json_t *keep(nb_req_t *req, json_t *v) {
    if (v != NULL)
        nb_req_on_free(req, release, v);
    return v;
}

nb_step_t ddb_item_validate(nb_req_t *req, const ddb_table_t *t, json_t *item, ddb_keybytes_t *key, size_t *size) {
    char msg[1024];
    if (ddb_item_check(item, msg, sizeof msg) != 0)
        return nb_stop(ddb_invalid(req, "%s", msg));
    NB_TRY_STEP(ddb_key_of_item(req, t, item, key));
    NB_TRY_STEP(ddb_index_check(req, t, item));
    *size = ddb_item_size(item);
    if (*size > DDB_ITEM_SIZE_MAX)
        return nb_stop(ddb_invalid(req, "Item size has exceeded the maximum allowed size"));
    return NB_GO_ON;
}

nb_result_t ddb_condition_failed(nb_req_t *req, const json_t *input, const json_t *old) {
    if (old != NULL && nb_json_str_eq(input, "ReturnValuesOnConditionCheckFailure", "ALL_OLD"))
        return nb_error_fields(req, "ConditionalCheckFailedException", json_pack("{s:O}", "Item", old),
                               "The conditional request failed");
    return nb_error(req, "ConditionalCheckFailedException", "The conditional request failed");
}

static nb_step_t check_return_values(nb_req_t *req, const json_t *input, bool update) {
    const char *rv = nb_json_str(input, "ReturnValues");
    if (rv == NULL || strcmp(rv, "NONE") == 0 || strcmp(rv, "ALL_OLD") == 0)
        return NB_GO_ON;
    if (update && (strcmp(rv, "UPDATED_OLD") == 0 || strcmp(rv, "ALL_NEW") == 0 || strcmp(rv, "UPDATED_NEW") == 0))
        return NB_GO_ON;
    return nb_stop(ddb_invalid(req, "ReturnValues can only be ALL_OLD or NONE"));
}

/* What GetItem, DeleteItem and UpdateItem start with: the table, the expressions, the Key and the
 * item stored there now (NULL when none; kept until the request ends). */
typedef struct target {
    ddb_table_t *t;
    ddb_params_t *p;
    ddb_keybytes_t key;
    json_t *old;
    size_t old_size;
} target_t;

static nb_step_t target_find(nb_req_t *req, const json_t *input, int return_values, target_t *x) {
    NB_TRY_STEP(ddb_table_read(req, nb_json_str(input, "TableName"), &x->t));
    if (return_values >= 0)
        NB_TRY_STEP(check_return_values(req, input, return_values == 1));
    NB_TRY_STEP(ddb_params_parse(req, input, NULL, NULL, &x->p));
    return ddb_key_of_param(req, x->t, json_object_get(input, "Key"), &x->key);
}

/* The item there now, decoded. */
static nb_step_t target_fetch(nb_req_t *req, target_t *x) {
    x->old = NULL;
    x->old_size = 0;
    int rc = ddb_item_get(x->t, &x->key, &x->old, &x->old_size);
    if (rc != 0 && rc != NB_ENOENT)
        return nb_stop(NB_FAILED(rc));
    keep(req, x->old);
    return NB_GO_ON;
}

static nb_step_t target_load(nb_req_t *req, const json_t *input, int return_values, target_t *x) {
    NB_TRY_STEP(target_find(req, input, return_values, x));
    return target_fetch(req, x);
}

static json_t *output_of(nb_req_t *req, const json_t *input, const ddb_table_t *t, double units) {
    json_t *out = json_object();
    json_t *c = ddb_consumed(input, t->name, units);
    if (c != NULL)
        json_object_set_new(out, "ConsumedCapacity", c);
    (void)req;
    return out;
}

/* ReturnItemCollectionMetrics SIZE: the item collection's key and an estimate, for tables with LSIs. */
static void collection_metrics(const json_t *input, const ddb_table_t *t, const json_t *item, json_t *out) {
    bool lsi = false;
    for (size_t i = 0; i < t->nindexes; i++)
        lsi |= !t->indexes[i].global;
    if (!lsi || item == NULL || !nb_json_str_eq(input, "ReturnItemCollectionMetrics", "SIZE"))
        return;
    json_t *key = json_object();
    json_object_set(key, t->key.hash.name, json_object_get(item, t->key.hash.name));
    json_object_set_new(out, "ItemCollectionMetrics",
                        json_pack("{s:o,s:[f,f]}", "ItemCollectionKey", key, "SizeEstimateRangeGB", 0.0, 1.0));
}

/* PutItem that needs nothing of the item it replaces but its size (no condition, no ALL_OLD, a
 * plain table): that item is not read back and decoded. */
static nb_result_t put_item_plain(nb_req_t *req, const json_t *input, const ddb_table_t *t,
                                  const ddb_keybytes_t *key, const json_t *item, size_t size) {
    size_t old_size = 0;
    int rc = ddb_item_stored_size(t, key, &old_size);
    if (rc != 0 && rc != NB_ENOENT)
        return NB_FAILED(rc);
    if ((rc = ddb_item_put_plain(t, key, rc == 0, old_size, item, size)) != 0)
        return NB_FAILED(rc);
    /* a plain table has no local index: no ItemCollectionMetrics */
    return nb_reply_new(req, output_of(req, input, t, ddb_write_units(size > old_size ? size : old_size)));
}

nb_result_t dynamodb_put_item(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    ddb_params_t *p;
    NB_TRY(ddb_table_read(req, nb_json_str(input, "TableName"), &t));
    NB_TRY(check_return_values(req, input, false));
    NB_TRY(ddb_params_parse(req, input, NULL, NULL, &p));
    /* validation rewrites numbers in their canonical text, in a copy unless none needs it */
    json_t *given = json_object_get(input, "Item");
    json_t *item = keep(req, ddb_item_canonical(given) ? json_incref(given) : json_deep_copy(given));
    ddb_keybytes_t key;
    size_t size, old_size = 0;
    NB_TRY(ddb_item_validate(req, t, item, &key, &size));
    if (p->cond == NULL && !nb_json_str_eq(input, "ReturnValues", "ALL_OLD") && ddb_item_plain_table(t))
        return put_item_plain(req, input, t, &key, item, size);
    json_t *old = NULL;
    int rc = ddb_item_get(t, &key, &old, &old_size);
    if (rc != 0 && rc != NB_ENOENT)
        return NB_FAILED(rc);
    keep(req, old);
    if (p->cond != NULL && !ddb_cond_eval(p->cond, old))
        return ddb_condition_failed(req, input, old);
    if ((rc = ddb_item_put(t, &key, old, old_size, item, size)) != 0)
        return NB_FAILED(rc);
    json_t *out = output_of(req, input, t, ddb_write_units(size > old_size ? size : old_size));
    if (old != NULL && nb_json_str_eq(input, "ReturnValues", "ALL_OLD"))
        json_object_set(out, "Attributes", old);
    collection_metrics(input, t, item, out);
    return nb_reply_new(req, out);
}

/* GetItem of a whole item with nothing else to answer: its text written from the stored bytes. */
static nb_result_t get_item_text(nb_req_t *req, const ddb_table_t *t, const ddb_keybytes_t *key) {
    ddb_buf_t out = {0};
    size_t size;
    int rc = ddb_text_put(&out, "{\"Item\":", 8) == 0 ? ddb_item_get_text(t, key, &out, &size) : NB_ENOMEM;
    if (rc == 0 && ddb_text_put(&out, "}", 1) != 0)
        rc = NB_ENOMEM;
    nb_result_t res = rc == 0 ? nb_reply_json_text(req, (const char *)out.data, out.len)
                      : rc == NB_ENOENT ? nb_reply_new(req, json_object())
                                        : NB_FAILED(rc);
    ddb_buf_free(&out);
    return res;
}

nb_result_t dynamodb_get_item(nb_req_t *req, const json_t *input) {
    target_t x;
    NB_TRY(target_find(req, input, -1, &x));
    if (x.p->proj == NULL && !ddb_consumed_wanted(input))
        return get_item_text(req, x.t, &x.key);
    NB_TRY(target_fetch(req, &x));
    json_t *out = output_of(req, input, x.t, ddb_read_units(x.old_size, nb_json_bool(input, "ConsistentRead", false)));
    if (x.old != NULL)
        json_object_set_new(out, "Item", x.p->proj ? ddb_proj_apply(x.p->proj, x.old) : json_incref(x.old));
    return nb_reply_new(req, out);
}

nb_result_t dynamodb_delete_item(nb_req_t *req, const json_t *input) {
    target_t x;
    NB_TRY(target_load(req, input, 0, &x));
    ddb_table_t *t = x.t;
    json_t *old = x.old;
    size_t old_size = x.old_size;
    int rc;
    if (x.p->cond != NULL && !ddb_cond_eval(x.p->cond, old))
        return ddb_condition_failed(req, input, old);
    if (old != NULL && (rc = ddb_item_remove(t, &x.key, old, old_size)) != 0)
        return NB_FAILED(rc);
    json_t *out = output_of(req, input, t, ddb_write_units(old_size));
    if (old != NULL && nb_json_str_eq(input, "ReturnValues", "ALL_OLD"))
        json_object_set(out, "Attributes", old);
    collection_metrics(input, t, old, out);
    return nb_reply_new(req, out);
}

nb_step_t ddb_update_build(nb_req_t *req, const ddb_table_t *t, const ddb_params_t *p, const json_t *keyattrs,
                           const json_t *old, json_t **out) {
    json_t *item = keep(req, old ? json_deep_copy(old) : json_deep_copy(keyattrs));
    if (item == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    if (p->update != NULL) {
        const ddb_keyattr_t *ka[2] = {&t->key.hash, &t->key.range};
        for (int i = 0; i < 2; i++) {
            if (ka[i]->name != NULL && ddb_update_touches(p->update, ka[i]->name))
                return nb_stop(ddb_invalid(req,
                                           "One or more parameter values were invalid: Cannot update attribute %s. "
                                           "This attribute is part of the key",
                                           ka[i]->name));
        }
        ddb_err_t err = {0};
        if (ddb_update_apply(p->update, item, &err) != 0)
            return nb_stop(ddb_expr_error(req, &err));
    }
    *out = item;
    return NB_GO_ON;
}

nb_result_t dynamodb_update_item(nb_req_t *req, const json_t *input) {
    target_t x;
    NB_TRY(target_load(req, input, 1, &x));
    ddb_table_t *t = x.t;
    ddb_params_t *p = x.p;
    json_t *old = x.old;
    size_t old_size = x.old_size, size;
    const json_t *keyattrs = json_object_get(input, "Key");
    int rc;
    if (p->cond != NULL && !ddb_cond_eval(p->cond, old))
        return ddb_condition_failed(req, input, old);
    json_t *item;
    NB_TRY(ddb_update_build(req, t, p, keyattrs, old, &item));
    ddb_keybytes_t newkey;
    NB_TRY(ddb_item_validate(req, t, item, &newkey, &size));
    if ((rc = ddb_item_put(t, &x.key, old, old_size, item, size)) != 0)
        return NB_FAILED(rc);
    json_t *out = output_of(req, input, t, ddb_write_units(size > old_size ? size : old_size));
    const char *rv = nb_json_str(input, "ReturnValues");
    const json_t *src = rv && strstr(rv, "OLD") ? old : item;
    if (rv != NULL && strcmp(rv, "NONE") != 0 && src != NULL) {
        json_t *attrs;
        if (strncmp(rv, "UPDATED", 7) == 0 && p->update != NULL) {
            ddb_proj_t *paths = ddb_update_paths(p->update);
            attrs = paths ? ddb_proj_apply(paths, src) : json_object();
            ddb_proj_free(paths);
        } else {
            attrs = json_incref((json_t *)src);
        }
        if (json_object_size(attrs) > 0)
            json_object_set_new(out, "Attributes", attrs);
        else
            json_decref(attrs);
    }
    collection_metrics(input, t, item, out);
    return nb_reply_new(req, out);
}
