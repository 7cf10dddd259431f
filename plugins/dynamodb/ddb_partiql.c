/* PartiQL's ExecuteStatement for its common forms, each turned into the operation it stands for and
 * run by that operation's handler (so checks, errors and output are the same):
 *   SELECT * | a, b FROM "t"[."index"] [WHERE a = v [AND b = v ...]]  -> Query (equality on the partition
 *                                                                        key) or Scan, with a filter
 *   INSERT INTO "t" VALUE {'k': v, ...}                               -> PutItem (DuplicateItemException)
 *   UPDATE "t" SET a = v[, b = v] [REMOVE c] WHERE keys               -> UpdateItem on an existing item
 *   DELETE FROM "t" WHERE keys                                        -> DeleteItem
 * Values: 'text', numbers, true/false/null, ?, {'k': v}, [v, ...], <<v, ...>>. Other forms answer
 * ValidationException. ExecuteTransaction runs its statements as TransactGetItems (all SELECTs of one
 * item) or TransactWriteItems (all writes); BatchExecuteStatement is not built yet. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ddb_item_store.h"

typedef struct lexer {
    nb_req_t *req;
    const char *p;
    const json_t *params;
    size_t next_param;
    char err[256];
    /* ExecuteTransaction: statements are parsed into their operation's input, not run */
    bool dry;
    const char *op;  /* the operation a dry parse stands for; NULL when it answered an error */
    json_t *key;     /* a dry SELECT's WHERE (the Get's Key) */
} lexer_t;

static void skip_ws(lexer_t *lx) {
    while (isspace((unsigned char)*lx->p))
        lx->p++;
}

static bool fail(lexer_t *lx, const char *what) {
    if (lx->err[0] == '\0')
        snprintf(lx->err, sizeof lx->err, "Statement wasn't well formed, can't be processed: %s", what);
    return false;
}

/* A keyword (case-insensitive, whole word). */
static bool keyword(lexer_t *lx, const char *kw) {
    skip_ws(lx);
    size_t n = strlen(kw);
    if (strncasecmp(lx->p, kw, n) == 0 && !isalnum((unsigned char)lx->p[n]) && lx->p[n] != '_') {
        lx->p += n;
        return true;
    }
    return false;
}

static bool punct(lexer_t *lx, const char *s) {
    skip_ws(lx);
    size_t n = strlen(s);
    if (strncmp(lx->p, s, n) == 0) {
        lx->p += n;
        return true;
    }
    return false;
}

/* An identifier: bare or "double quoted". */
static char *ident(lexer_t *lx) {
    skip_ws(lx);
    const char *start = lx->p;
    if (*lx->p == '"') {
        const char *end = strchr(lx->p + 1, '"');
        if (end == NULL)
            return (fail(lx, "unterminated quoted identifier"), NULL);
        lx->p = end + 1;
        return nb_req_printf(lx->req, "%.*s", (int)(end - start - 1), start + 1);
    }
    while (isalnum((unsigned char)*lx->p) || *lx->p == '_' || *lx->p == '-' || *lx->p == '.')
        lx->p++;
    if (lx->p == start)
        return (fail(lx, "expected an identifier"), NULL);
    /* a bare name stops before a ".": "t"."index" is read as two identifiers */
    const char *dot = memchr(start, '.', (size_t)(lx->p - start));
    if (dot != NULL)
        lx->p = dot;
    return nb_req_printf(lx->req, "%.*s", (int)(lx->p - start), start);
}

static json_t *value(lexer_t *lx);

static json_t *typed(const char *type, json_t *v) { return v ? json_pack("{s:o}", type, v) : NULL; }

static json_t *value(lexer_t *lx) {
    skip_ws(lx);
    const char *c = lx->p;
    if (*c == '?') {
        lx->p++;
        json_t *v = json_array_get(lx->params, lx->next_param++);
        return v ? json_deep_copy(v) : (fail(lx, "a ? without its parameter"), NULL);
    }
    if (*c == '\'') {
        char *out = nb_req_alloc(lx->req, strlen(c) + 1);
        size_t n = 0;
        for (c++; *c; c++) {
            if (*c == '\'' && c[1] == '\'')
                out[n++] = *c++;
            else if (*c == '\'')
                break;
            else
                out[n++] = *c;
        }
        if (*c != '\'')
            return (fail(lx, "unterminated string"), NULL);
        lx->p = c + 1;
        return typed("S", json_stringn(out, n));
    }
    if (isdigit((unsigned char)*c) || *c == '-' || *c == '+' || *c == '.') {
        const char *s = c;
        while (isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '+')
            c++;
        lx->p = c;
        return typed("N", json_stringn(s, (size_t)(c - s)));
    }
    if (keyword(lx, "true") || keyword(lx, "false"))
        return typed("BOOL", json_boolean(strncasecmp(lx->p - 4, "true", 4) == 0));
    if (keyword(lx, "null"))
        return typed("NULL", json_true());
    bool set = punct(lx, "<<");
    if (set || punct(lx, "[")) {
        json_t *list = json_array();
        const char *close = set ? ">>" : "]";
        while (!punct(lx, close)) {
            json_t *e = value(lx);
            if (e == NULL) {
                json_decref(list);
                return NULL;
            }
            json_array_append_new(list, e);
            if (!punct(lx, ",") && !(skip_ws(lx), strncmp(lx->p, close, strlen(close)) == 0)) {
                json_decref(list);
                return (fail(lx, "expected , or the end of a list"), NULL);
            }
        }
        if (!set)
            return typed("L", list);
        /* a set's type is its elements' */
        char kind[3] = "S"; /* copied: the list goes before the set is typed */
        if (json_array_size(list))
            snprintf(kind, sizeof kind, "%s", json_object_iter_key(json_object_iter(json_array_get(list, 0))));
        json_t *flat = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) json_array_append(flat, json_object_get(e, kind));
        json_decref(list);
        return typed(strcmp(kind, "N") == 0 ? "NS" : strcmp(kind, "B") == 0 ? "BS" : "SS", flat);
    }
    if (punct(lx, "{")) {
        json_t *map = json_object();
        while (!punct(lx, "}")) {
            json_t *k = value(lx);
            json_t *v = (k != NULL && punct(lx, ":")) ? value(lx) : NULL;
            const char *name = json_string_value(json_object_get(k, "S"));
            if (v == NULL || name == NULL) {
                json_decref(k), json_decref(v), json_decref(map);
                return (fail(lx, "expected 'name': value in a tuple"), NULL);
            }
            json_object_set_new(map, name, v);
            json_decref(k);
            if (!punct(lx, ",") && !(skip_ws(lx), *lx->p == '}')) {
                json_decref(map);
                return (fail(lx, "expected , or } in a tuple"), NULL);
            }
        }
        return typed("M", map);
    }
    return (fail(lx, "expected a value"), NULL);
}

/* WHERE a = v [AND b = v ...]: into `eq` (name -> value). */
static bool where(lexer_t *lx, json_t *eq) {
    if (!keyword(lx, "WHERE"))
        return true;
    do {
        char *name = ident(lx);
        json_t *v = (name != NULL && punct(lx, "=")) ? value(lx) : NULL;
        if (v == NULL)
            return fail(lx, "only conditions of the form name = value joined by AND are supported");
        json_object_set_new(eq, name, v);
    } while (keyword(lx, "AND"));
    return true;
}

static bool at_end(lexer_t *lx) {
    punct(lx, ";");
    skip_ws(lx);
    return *lx->p == '\0' || fail(lx, "unexpected text after the statement");
}

static void release(void *v) { json_decref(v); }

/* Names and values of an expression: #n<i> and :v<i>. */
static const char *bind(json_t *in, const char *name, json_t *v) {
    json_t *names = json_object_get(in, "ExpressionAttributeNames");
    json_t *values = json_object_get(in, "ExpressionAttributeValues");
    size_t i = json_object_size(names);
    char n[16], x[16];
    snprintf(n, sizeof n, "#n%zu", i);
    json_object_set_new(names, n, json_string(name));
    if (v != NULL) {
        snprintf(x, sizeof x, ":v%zu", i);
        json_object_set(values, x, v);
    }
    return json_object_iter_key(json_object_iter_at(names, n)); /* lives as long as `in` */
}

static char *join(nb_req_t *req, const char *a, const char *sep, const char *b) {
    return a && a[0] ? nb_req_printf(req, "%s%s%s", a, sep, b) : nb_req_strdup(req, b);
}

static nb_result_t run_select(nb_req_t *req, lexer_t *lx, const json_t *input, json_t *in) {
    json_t *proj = json_array();
    json_object_set_new(in, "_proj", proj);
    if (!punct(lx, "*")) {
        do {
            char *a = ident(lx);
            if (a == NULL)
                return ddb_invalid(req, "%s", lx->err);
            json_array_append_new(proj, json_string(a));
        } while (punct(lx, ","));
    }
    char *table = keyword(lx, "FROM") ? ident(lx) : (fail(lx, "expected FROM"), NULL);
    char *index = (table != NULL && punct(lx, ".")) ? ident(lx) : NULL;
    json_t *eq = json_object();
    json_object_set_new(in, "_eq", eq);
    if (table == NULL || !where(lx, eq) || !at_end(lx))
        return ddb_invalid(req, "%s", lx->err);
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, table, NULL, &t));
    const ddb_keydef_t *kd = &t->key;
    if (index != NULL) {
        const ddb_index_t *ix = ddb_table_index(t, index);
        if (ix == NULL)
            return ddb_invalid(req, "The table does not have the specified index: %s", index);
        kd = &ix->key;
        json_object_set_new(in, "IndexName", json_string(index));
    }
    json_object_set_new(in, "TableName", json_string(t->name));
    char *keycond = NULL, *filter = NULL, *projection = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(eq, k, v) {
        const char *n = bind(in, k, v);
        char *term = nb_req_printf(req, "%s = :v%s", n, n + 2);
        bool key = strcmp(k, kd->hash.name) == 0 ||
                   (kd->range.name != NULL && strcmp(k, kd->range.name) == 0 && json_object_get(eq, kd->hash.name));
        if (key)
            keycond = join(req, keycond, " AND ", term);
        else
            filter = join(req, filter, " AND ", term);
    }
    size_t i;
    json_array_foreach(proj, i, v) projection = join(req, projection, ", ", bind(in, json_string_value(v), NULL));
    bool query = json_object_get(eq, kd->hash.name) != NULL;
    if (query)
        json_object_set_new(in, "KeyConditionExpression", json_string(keycond));
    if (filter)
        json_object_set_new(in, "FilterExpression", json_string(filter));
    if (projection)
        json_object_set_new(in, "ProjectionExpression", json_string(projection));
    json_object_del(in, "_proj");
    if (lx->dry)
        lx->key = json_incref(eq);
    json_object_del(in, "_eq");
    if (json_object_size(json_object_get(in, "ExpressionAttributeValues")) == 0)
        json_object_del(in, "ExpressionAttributeValues");
    if (json_object_size(json_object_get(in, "ExpressionAttributeNames")) == 0)
        json_object_del(in, "ExpressionAttributeNames");
    const char *copy[] = {"ConsistentRead", "Limit", "ReturnConsumedCapacity"};
    for (size_t c = 0; c < 3; c++)
        if (json_object_get(input, copy[c]) != NULL)
            json_object_set(in, copy[c], json_object_get(input, copy[c]));
    if (lx->dry) {
        lx->op = query ? "Query" : "Scan";
        return NB_DONE;
    }
    return query ? dynamodb_query(req, in) : dynamodb_scan(req, in);
}

static nb_result_t run_insert(nb_req_t *req, lexer_t *lx, json_t *in) {
    char *table = keyword(lx, "INTO") ? ident(lx) : (fail(lx, "expected INTO"), NULL);
    json_t *item = (table != NULL && keyword(lx, "VALUE")) ? value(lx) : (fail(lx, "expected VALUE"), NULL);
    if (item == NULL || json_object_get(item, "M") == NULL || !at_end(lx)) {
        json_decref(item);
        return ddb_invalid(req, "%s", lx->err[0] ? lx->err : "Statement wasn't well formed: VALUE must be a tuple");
    }
    json_object_set(in, "Item", json_object_get(item, "M"));
    json_decref(item);
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, table, NULL, &t));
    ddb_keybytes_t key;
    NB_TRY(ddb_key_of_item(req, t, json_object_get(in, "Item"), &key));
    json_object_set_new(in, "TableName", json_string(t->name));
    json_object_del(in, "ExpressionAttributeValues");
    if (lx->dry) { /* in a transaction an existing item cancels it */
        json_object_set_new(in, "ConditionExpression",
                            json_string(nb_req_printf(req, "attribute_not_exists(%s)", bind(in, t->key.hash.name, NULL))));
        lx->op = "PutItem";
        return NB_DONE;
    }
    json_object_del(in, "ExpressionAttributeNames");
    json_t *old = NULL;
    size_t size;
    if (ddb_item_get(t, &key, &old, &size) == 0) {
        json_decref(old);
        return nb_error(req, "DuplicateItemException", "Duplicate primary key exists in table");
    }
    return dynamodb_put_item(req, in);
}

static nb_result_t run_update(nb_req_t *req, lexer_t *lx, json_t *in) {
    char *table = ident(lx);
    char *set = NULL, *remove = NULL;
    json_object_set_new(in, "TableName", json_string(table ? table : ""));
    if (table != NULL && keyword(lx, "SET")) {
        do {
            char *a = ident(lx);
            json_t *v = (a != NULL && punct(lx, "=")) ? value(lx) : NULL;
            if (v == NULL)
                return ddb_invalid(req, "%s", lx->err[0] ? lx->err : "expected name = value after SET");
            const char *n = bind(in, a, v);
            json_decref(v);
            set = join(req, set, ", ", nb_req_printf(req, "%s = :v%s", n, n + 2));
        } while (punct(lx, ","));
    }
    while (table != NULL && keyword(lx, "REMOVE")) {
        char *a = ident(lx);
        if (a == NULL)
            return ddb_invalid(req, "%s", lx->err);
        remove = join(req, remove, ", ", bind(in, a, NULL));
    }
    json_t *eq = json_object();
    nb_req_on_free(req, release, eq);
    if (table == NULL || (set == NULL && remove == NULL) || !where(lx, eq) || !at_end(lx))
        return ddb_invalid(req, "%s", lx->err[0] ? lx->err : "Statement wasn't well formed: expected SET or REMOVE");
    char *expr = set ? nb_req_printf(req, "SET %s", set) : NULL;
    if (remove)
        expr = join(req, expr, " ", nb_req_printf(req, "REMOVE %s", remove));
    json_object_set_new(in, "UpdateExpression", json_string(expr));
    json_object_set(in, "Key", eq);
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, table, NULL, &t));
    /* PartiQL updates only an item that exists */
    json_object_set_new(in, "ConditionExpression",
                        json_string(nb_req_printf(req, "attribute_exists(%s)", bind(in, t->key.hash.name, NULL))));
    if (json_object_size(json_object_get(in, "ExpressionAttributeValues")) == 0)
        json_object_del(in, "ExpressionAttributeValues");
    if (lx->dry) {
        lx->op = "UpdateItem";
        return NB_DONE;
    }
    return dynamodb_update_item(req, in);
}

static nb_result_t run_delete(nb_req_t *req, lexer_t *lx, json_t *in) {
    char *table = keyword(lx, "FROM") ? ident(lx) : (fail(lx, "expected FROM"), NULL);
    json_t *eq = json_object();
    nb_req_on_free(req, release, eq);
    if (table == NULL || !where(lx, eq) || !at_end(lx))
        return ddb_invalid(req, "%s", lx->err);
    json_object_set_new(in, "TableName", json_string(table));
    json_object_set(in, "Key", eq);
    json_object_del(in, "ExpressionAttributeNames");
    json_object_del(in, "ExpressionAttributeValues");
    if (lx->dry) {
        lx->op = "DeleteItem";
        return NB_DONE;
    }
    return dynamodb_delete_item(req, in);
}

/* One statement: run (or, dry, parsed into `in`). */
static nb_result_t statement(nb_req_t *req, lexer_t *lx, const json_t *input, json_t *in) {
    if (keyword(lx, "SELECT"))
        return run_select(req, lx, input, in);
    if (keyword(lx, "INSERT"))
        return run_insert(req, lx, in);
    if (keyword(lx, "UPDATE"))
        return run_update(req, lx, in);
    if (keyword(lx, "DELETE"))
        return run_delete(req, lx, in);
    return ddb_invalid(req, "Statement wasn't well formed, can't be processed: Unexpected keyword");
}

/* The operation's input, kept until the request ends: its handler borrows from it. */
static json_t *new_input(nb_req_t *req, const json_t *input) {
    json_t *in = json_pack("{s:{},s:{}}", "ExpressionAttributeNames", "ExpressionAttributeValues");
    nb_req_on_free(req, release, in);
    if (json_object_get(input, "ReturnValuesOnConditionCheckFailure") != NULL)
        json_object_set(in, "ReturnValuesOnConditionCheckFailure",
                        json_object_get(input, "ReturnValuesOnConditionCheckFailure"));
    return in;
}

nb_result_t dynamodb_execute_statement(nb_req_t *req, const json_t *input) {
    lexer_t lx = {.req = req, .p = nb_json_str(input, "Statement"), .params = json_object_get(input, "Parameters")};
    if (lx.p == NULL)
        lx.p = "";
    return statement(req, &lx, input, new_input(req, input));
}

/* All reads (each a SELECT of one item by its key: TransactGetItems) or all writes (TransactWriteItems). */
nb_result_t dynamodb_execute_transaction(nb_req_t *req, const json_t *input) {
    json_t *items = json_array();
    json_t *txn = json_pack("{s:o}", "TransactItems", items);
    nb_req_on_free(req, release, txn);
    if (json_object_get(input, "ClientRequestToken") != NULL)
        json_object_set(txn, "ClientRequestToken", json_object_get(input, "ClientRequestToken"));
    int reads = 0, writes = 0;
    size_t i;
    const json_t *st;
    json_array_foreach(json_object_get(input, "TransactStatements"), i, st) {
        lexer_t lx = {.req = req, .p = nb_json_str(st, "Statement"), .params = json_object_get(st, "Parameters"),
                      .dry = true};
        if (lx.p == NULL)
            lx.p = "";
        json_t *in = new_input(req, st);
        nb_result_t r = statement(req, &lx, st, in);
        if (lx.op == NULL)
            return r;
        if (strcmp(lx.op, "Query") == 0 || strcmp(lx.op, "Scan") == 0) {
            reads++;
            json_t *get = json_pack("{s:O,s:o}", "TableName", json_object_get(in, "TableName"), "Key",
                                    lx.key ? lx.key : json_object());
            const char *proj = nb_json_str(in, "ProjectionExpression");
            if (proj != NULL) {
                /* only the projection's names: the WHERE's became the Key */
                json_t *names = json_object();
                const char *k;
                json_t *v;
                json_object_foreach(json_object_get(in, "ExpressionAttributeNames"), k, v) {
                    for (const char *at = strstr(proj, k); at != NULL; at = strstr(at + 1, k))
                        if (!isdigit((unsigned char)at[strlen(k)]))
                            json_object_set(names, k, v);
                }
                json_object_set_new(get, "ProjectionExpression", json_string(proj));
                json_object_set_new(get, "ExpressionAttributeNames", names);
            }
            json_array_append_new(items, json_pack("{s:o}", "Get", get));
        } else {
            writes++;
            if (json_object_size(json_object_get(in, "ExpressionAttributeNames")) == 0)
                json_object_del(in, "ExpressionAttributeNames");
            json_array_append_new(items, json_pack("{s:O}", strcmp(lx.op, "PutItem") == 0    ? "Put"
                                                            : strcmp(lx.op, "UpdateItem") == 0 ? "Update"
                                                                                                : "Delete",
                                                   in));
        }
    }
    if (reads && writes)
        return ddb_invalid(req, "Transaction statements must be all reads or all writes");
    return reads ? dynamodb_transact_get_items(req, txn) : dynamodb_transact_write_items(req, txn);
}
