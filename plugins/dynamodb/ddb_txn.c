/* TransactWriteItems and TransactGetItems: every condition is checked and every new item computed
 * before anything is written, all inside the request's one store transaction, so either all
 * writes happen or none. ClientRequestToken makes a repeated call within 10 minutes a no-op. */
#include <stdio.h>
#include <string.h>

#include "ddb_txn.h"
#include "ddb_authz.h"
#include "ddb_item_size.h"
#include "ddb_item_store.h"

#define TXN_MAX 100
#define TOKEN_TTL 600.0


static void release(void *v) { json_decref(v); }

static nb_step_t op_prepare(nb_req_t *req, ddb_txn_op_t *op) {
    NB_TRY_STEP(ddb_authz_txn_item(req, op->kind, nb_json_str(op->in, "TableName")));
    NB_TRY_STEP(ddb_table_read(req, nb_json_str(op->in, "TableName"), &op->t));
    NB_TRY_STEP(ddb_params_parse(req, op->in, strcmp(op->kind, "ConditionCheck") == 0 ? "ConditionCheck" : op->kind, NULL, &op->p));
    if (strcmp(op->kind, "Put") == 0) {
        op->item = json_deep_copy(json_object_get(op->in, "Item"));
        nb_req_on_free(req, release, op->item);
        NB_TRY_STEP(ddb_item_validate(req, op->t, op->item, &op->key, &op->size));
    } else {
        NB_TRY_STEP(ddb_key_of_param(req, op->t, json_object_get(op->in, "Key"), &op->key));
    }
    if (strcmp(op->kind, "ConditionCheck") == 0 && op->p->cond == NULL)
        return nb_stop(ddb_invalid(req, "The ConditionExpression parameter is required for ConditionCheck"));
    int rc = ddb_item_get(op->t, &op->key, &op->old, &op->old_size);
    if (rc != 0 && rc != NB_ENOENT)
        return nb_stop(NB_FAILED(rc));
    if (op->old != NULL)
        nb_req_on_free(req, release, op->old);
    return NB_GO_ON;
}

static bool same_target(const ddb_txn_op_t *a, const ddb_txn_op_t *b) {
    return a->t->tid == b->t->tid && a->key.pklen == b->key.pklen && a->key.sklen == b->key.sklen &&
           memcmp(a->key.pk, b->key.pk, a->key.pklen) == 0 && memcmp(a->key.sk, b->key.sk, a->key.sklen) == 0;
}

/* The request without its token, hashed: a token used again must come with the same request. */
static void request_digest(const json_t *input, char out[NB_HEX_SIZE(32)]) {
    json_t *copy = json_deep_copy(input);
    json_object_del(copy, "ClientRequestToken");
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char d[NB_DIGEST_MAX];
    ssize_t n = text ? nb_digest(NB_DIGEST_SHA256, text, strlen(text), d) : 0;
    ssize_t len = nb_hex_encode(d, n > 0 ? (size_t)n : 0, 0, out, NB_HEX_SIZE(32));
    out[len > 0 ? len : 0] = '\0';
    free(text);
    json_decref(copy);
}

/* 1: the token was used with this request within 10 minutes (answer success, write nothing);
 * 0: new (recorded); or a stop for a token reused with other parameters. */
static nb_step_t token_check(nb_req_t *req, const json_t *input, bool *repeat) {
    const char *token = nb_json_str(input, "ClientRequestToken");
    *repeat = false;
    if (token == NULL)
        return NB_GO_ON;
    char digest[NB_HEX_SIZE(32)];
    request_digest(input, digest);
    double now = nb_now();
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT digest FROM _txn_tokens WHERE token = ?1 AND expires > ?2"
                                      " AND account = :account AND region = :region");
    if (s == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    sqlite3_bind_text(s, 1, token, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 2, now);
    if (sqlite3_step(s) == SQLITE_ROW) {
        bool same = strcmp((const char *)sqlite3_column_text(s, 0), digest) == 0;
        sqlite3_reset(s);
        if (!same)
            return nb_stop(nb_error(req, "IdempotentParameterMismatchException",
                                    "Request parameters do not match the original request for this client token"));
        *repeat = true;
        return NB_GO_ON;
    }
    sqlite3_reset(s);
    s = nb_store_scoped(&ddb.store, req,
                        "INSERT OR REPLACE INTO _txn_tokens(token, digest, expires, account, region)"
                        " VALUES(?1, ?2, ?3, :account, :region)");
    if (s == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    sqlite3_bind_text(s, 1, token, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, digest, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(s, 3, now + TOKEN_TTL);
    return nb_store_run(s) == 0 ? NB_GO_ON : nb_stop(NB_FAILED(NB_ESTORE));
}

static nb_result_t cancelled(nb_req_t *req, json_t *reasons) {
    char msg[4096];
    size_t off = (size_t)snprintf(msg, sizeof msg, "Transaction cancelled, please refer cancellation reasons for "
                                                   "specific reasons [");
    size_t i;
    const json_t *r;
    json_array_foreach(reasons, i, r) {
        if (off < sizeof msg)
            off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s", i ? ", " : "", nb_json_str(r, "Code"));
    }
    if (off < sizeof msg)
        snprintf(msg + off, sizeof msg - off, "]");
    return nb_error_fields(req, "TransactionCanceledException", json_pack("{s:o}", "CancellationReasons", reasons),
                           "%s", msg);
}

nb_result_t dynamodb_transact_write_items(nb_req_t *req, const json_t *input) {
    const json_t *items = json_object_get(input, "TransactItems");
    size_t n = json_array_size(items);
    if (n > TXN_MAX)
        return ddb_too_long(req, "transactItems", TXN_MAX);
    ddb_txn_op_t *ops = nb_req_alloc(req, (n + 1) * sizeof *ops);
    if (ops == NULL)
        return NB_FAILED(NB_ENOMEM);
    static const char *const kinds[] = {"Put", "Update", "Delete", "ConditionCheck"};
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(items, i);
        for (size_t k = 0; k < 4; k++) {
            if (json_object_get(e, kinds[k]) != NULL) {
                ops[i].kind = kinds[k];
                ops[i].in = json_object_get(e, kinds[k]);
            }
        }
        if (ops[i].kind == NULL || json_object_size(e) != 1)
            return ddb_invalid(req, "TransactItems can only contain one of Check, Put, Update or Delete");
        NB_TRY(op_prepare(req, &ops[i]));
    }
    return ddb_txn_write(req, input, ops, n);
}

nb_result_t ddb_txn_write(nb_req_t *req, const json_t *input, ddb_txn_op_t *ops, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (same_target(&ops[i], &ops[j]))
                return ddb_invalid(req, "Transaction request cannot include multiple operations on one item");
    bool repeat;
    NB_TRY(token_check(req, input, &repeat));
    if (repeat)
        return nb_reply_new(req, json_object());
    json_t *reasons = json_array();
    bool failed = false;
    for (size_t i = 0; i < n; i++) {
        ddb_txn_op_t *op = &ops[i];
        json_t *reason = json_pack("{s:s}", "Code", "None");
        if (op->must_exist < 0 && op->old != NULL) {
            failed = true;
            json_object_set_new(reason, "Code", json_string("DuplicateItem"));
            json_object_set_new(reason, "Message", json_string("Duplicate primary key exists in table"));
        } else if ((op->must_exist > 0 && op->old == NULL) ||
                   (op->p->cond != NULL && !ddb_cond_eval(op->p->cond, op->old))) {
            failed = true;
            json_object_set_new(reason, "Code", json_string("ConditionalCheckFailed"));
            json_object_set_new(reason, "Message", json_string("The conditional request failed"));
            if (op->old != NULL && nb_json_str_eq(op->in, "ReturnValuesOnConditionCheckFailure", "ALL_OLD"))
                json_object_set(reason, "Item", op->old);
        }
        json_array_append_new(reasons, reason);
    }
    if (failed)
        return cancelled(req, reasons);
    json_decref(reasons);
    /* new items are computed before the first write: an update error leaves nothing written */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ops[i].kind, "Update") != 0)
            continue;
        ddb_keybytes_t newkey;
        NB_TRY(ddb_update_build(req, ops[i].t, ops[i].p, json_object_get(ops[i].in, "Key"), ops[i].old,
                                &ops[i].item));
        NB_TRY(ddb_item_validate(req, ops[i].t, ops[i].item, &newkey, &ops[i].size));
    }
    json_t *consumed = json_array();
    for (size_t i = 0; i < n; i++) {
        ddb_txn_op_t *op = &ops[i];
        int rc = 0;
        if (op->item != NULL)
            rc = ddb_item_put(op->t, &op->key, op->old, op->old_size, op->item, op->size);
        else if (strcmp(op->kind, "Delete") == 0 && op->old != NULL)
            rc = ddb_item_remove(op->t, &op->key, op->old, op->old_size);
        if (rc != 0) {
            json_decref(consumed);
            return NB_FAILED(rc);
        }
        /* a transactional write costs two write units per KB, AWS's prepare and commit */
        ddb_consumed_add(consumed, input, op->t->name,
                         2 * ddb_write_units(op->size > op->old_size ? op->size : op->old_size));
    }
    json_t *out = json_object();
    if (json_array_size(consumed) > 0)
        json_object_set_new(out, "ConsumedCapacity", consumed);
    else
        json_decref(consumed);
    return nb_reply_new(req, out);
}

nb_result_t dynamodb_transact_get_items(nb_req_t *req, const json_t *input) {
    const json_t *items = json_object_get(input, "TransactItems");
    json_t *responses = json_array();
    json_t *out = json_pack("{s:o}", "Responses", responses);
    nb_req_on_free(req, release, out);
    size_t i;
    const json_t *e;
    json_array_foreach(items, i, e) {
        const json_t *get = json_object_get(e, "Get");
        ddb_table_t *t;
        ddb_params_t *p;
        ddb_keybytes_t key;
        NB_TRY(ddb_table_read(req, nb_json_str(get, "TableName"), &t));
        NB_TRY(ddb_params_parse(req, get, "Get", NULL, &p));
        NB_TRY(ddb_key_of_param(req, t, json_object_get(get, "Key"), &key));
        json_t *item = NULL;
        size_t size;
        int rc = ddb_item_get(t, &key, &item, &size);
        if (rc != 0 && rc != NB_ENOENT)
            return NB_FAILED(rc);
        json_t *r = json_object();
        if (item != NULL) {
            json_object_set_new(r, "Item", p->proj ? ddb_proj_apply(p->proj, item) : json_incref(item));
            json_decref(item);
        }
        json_array_append_new(responses, r);
    }
    return nb_reply_new(req, json_incref(out));
}
