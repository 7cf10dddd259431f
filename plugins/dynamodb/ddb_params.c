#include "ddb_params.h"

#include <string.h>

#include "ddb_value.h"

nb_result_t ddb_expr_error(nb_req_t *req, const ddb_err_t *err) {
    return nb_error(req, err->code ? err->code : "ValidationException", "%s", err->msg);
}

static void free_params(void *data) {
    ddb_params_t *p = data;
    ddb_cond_free(p->cond);
    ddb_cond_free(p->filter);
    ddb_update_free(p->update);
    ddb_proj_free(p->proj);
    if (p->has_key)
        ddb_keycond_done(&p->key);
}

static void free_ctx(void *data) { ddb_ctx_done(data); }

/* Whether the request has a member this file parses. A request by key alone (the usual GetItem and
 * PutItem) has none: it then gets empty parameters without a lookup per member. */
static bool has_params(const json_t *input) {
    static const char *const members[] = {
        "ExpressionAttributeNames", "ExpressionAttributeValues", "ConditionExpression", "FilterExpression",
        "UpdateExpression", "ProjectionExpression", "KeyConditionExpression", "ConditionalOperator", "KeyConditions",
        "Expected", "QueryFilter", "ScanFilter", "AttributeUpdates", "AttributesToGet"};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)input, k, v) {
        for (size_t i = 0; i < sizeof members / sizeof *members; i++)
            if (strcmp(k, members[i]) == 0)
                return true;
    }
    return false;
}

nb_step_t ddb_params_parse(nb_req_t *req, const json_t *input, const char *operation, const ddb_keydef_t *keys,
                           ddb_params_t **out) {
    ddb_params_t *p = nb_req_alloc(req, sizeof *p); /* zero-filled */
    if (p == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    *out = p;
    if (!has_params(input))
        return NB_GO_ON;
    ddb_err_t err = {0};
    if (ddb_legacy_check_mix(input, &err) != 0)
        return nb_stop(ddb_expr_error(req, &err));
    /* values are checked (and their numbers canonicalized) as items are */
    json_t *values = json_object_get(input, "ExpressionAttributeValues");
    if (values != NULL) {
        /* an object of AttributeValues as an item is: copied only when a number needs rewriting */
        values = ddb_item_canonical(values) ? json_incref(values) : json_deep_copy(values);
        if (values == NULL)
            return nb_stop(NB_FAILED(NB_ENOMEM));
        nb_req_on_free(req, (void (*)(void *))json_decref, values);
        char msg[1024];
        const char *k;
        json_t *v;
        json_object_foreach(values, k, v) {
            if (ddb_value_check(v, msg, sizeof msg) != 0)
                return nb_stop(ddb_invalid(req, "ExpressionAttributeValues contains invalid value: %s for key %s", msg,
                                           k));
        }
    }
    ddb_ctx_t *ctx = nb_req_alloc(req, sizeof *ctx);
    if (ctx == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    ddb_ctx_init(ctx, json_object_get(input, "ExpressionAttributeNames"), values);
    nb_req_on_free(req, free_ctx, ctx);
    nb_req_on_free(req, free_params, p);
    const char *cond = nb_json_str(input, "ConditionExpression");
    const char *filter = nb_json_str(input, "FilterExpression");
    const char *update = nb_json_str(input, "UpdateExpression");
    const char *proj = nb_json_str(input, "ProjectionExpression");
    const char *keyc = nb_json_str(input, "KeyConditionExpression");
    /* the operations ddb_ctx_validate_request words its messages for; the others get the generic form */
    static const char *const worded[] = {"PutItem", "DeleteItem", "UpdateItem", "Query", "Scan", "ConditionCheck"};
    const char *opname = operation ? operation : nb_req_operation(req);
    bool known = false;
    for (size_t i = 0; opname != NULL && i < sizeof worded / sizeof *worded; i++)
        known |= strcmp(opname, worded[i]) == 0;
    if ((known ? ddb_ctx_validate_request(ctx, opname, input, &err)
               : ddb_ctx_validate(ctx, cond || filter || update || proj || keyc, &err)) != 0)
        return nb_stop(ddb_expr_error(req, &err));
    const char *op = nb_json_str(input, "ConditionalOperator");
    if (keyc != NULL && keys != NULL) {
        if (ddb_keycond_parse(keyc, ctx, keys->hash.name, keys->hash.type, keys->range.name, keys->range.type, &p->key,
                              &err) != 0)
            return nb_stop(ddb_expr_error(req, &err));
        p->has_key = true;
    } else if (json_object_get(input, "KeyConditions") != NULL && keys != NULL) {
        if (ddb_keycond_from_legacy(json_object_get(input, "KeyConditions"), keys->hash.name, keys->hash.type,
                                    keys->range.name, keys->range.type, &p->key, &err) != 0)
            return nb_stop(ddb_expr_error(req, &err));
        p->has_key = true;
    }
    if (cond != NULL)
        p->cond = ddb_cond_parse(DDB_EXPR_CONDITION, cond, ctx, &err);
    else if (json_object_get(input, "Expected") != NULL)
        p->cond = ddb_cond_from_expected(json_object_get(input, "Expected"), op, &err);
    if ((cond != NULL || json_object_get(input, "Expected") != NULL) && p->cond == NULL)
        return nb_stop(ddb_expr_error(req, &err));
    const json_t *legacy_filter =
        json_object_get(input, "QueryFilter") ? json_object_get(input, "QueryFilter") : json_object_get(input, "ScanFilter");
    if (filter != NULL)
        p->filter = ddb_cond_parse(DDB_EXPR_FILTER, filter, ctx, &err);
    else if (legacy_filter != NULL)
        p->filter = ddb_cond_from_filter(legacy_filter, op, &err);
    if ((filter != NULL || legacy_filter != NULL) && p->filter == NULL)
        return nb_stop(ddb_expr_error(req, &err));
    if (update != NULL)
        p->update = ddb_update_parse(update, ctx, &err);
    else if (json_object_get(input, "AttributeUpdates") != NULL)
        p->update = ddb_update_from_attribute_updates(json_object_get(input, "AttributeUpdates"), &err);
    if ((update != NULL || json_object_get(input, "AttributeUpdates") != NULL) && p->update == NULL)
        return nb_stop(ddb_expr_error(req, &err));
    if (proj != NULL)
        p->proj = ddb_proj_parse(proj, ctx, &err);
    else if (json_object_get(input, "AttributesToGet") != NULL)
        p->proj = ddb_proj_from_attributes_to_get(json_object_get(input, "AttributesToGet"), &err);
    if ((proj != NULL || json_object_get(input, "AttributesToGet") != NULL) && p->proj == NULL)
        return nb_stop(ddb_expr_error(req, &err));
    if (ddb_ctx_check_unused(ctx, &err) != 0)
        return nb_stop(ddb_expr_error(req, &err));
    return NB_GO_ON;
}

bool ddb_consumed_wanted(const json_t *input) {
    const char *mode = nb_json_str(input, "ReturnConsumedCapacity");
    return mode != NULL && strcmp(mode, "NONE") != 0;
}

json_t *ddb_consumed(const json_t *input, const char *table, double units) {
    if (!ddb_consumed_wanted(input))
        return NULL;
    const char *mode = nb_json_str(input, "ReturnConsumedCapacity");
    json_t *c = json_pack("{s:s,s:f}", "TableName", table, "CapacityUnits", units);
    if (strcmp(mode, "INDEXES") == 0)
        json_object_set_new(c, "Table", json_pack("{s:f}", "CapacityUnits", units));
    return c;
}

void ddb_consumed_add(json_t *list, const json_t *input, const char *table, double units) {
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (nb_json_str_eq(e, "TableName", table)) {
            double sum = nb_json_num(e, "CapacityUnits", 0) + units;
            json_object_set_new(e, "CapacityUnits", json_real(sum));
            if (json_object_get(e, "Table") != NULL)
                json_object_set_new(json_object_get(e, "Table"), "CapacityUnits", json_real(sum));
            return;
        }
    }
    json_t *c = ddb_consumed(input, table, units);
    if (c != NULL)
        json_array_append_new(list, c);
}
