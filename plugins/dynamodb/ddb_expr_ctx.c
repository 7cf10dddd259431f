/* The per-request context (ExpressionAttributeNames/Values and which were used), errors, and the
 * arena expression trees are allocated from. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr_int.h"

/* ---- arena ---- */

struct ddb_arena_block {
    ddb_arena_block_t *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

#define ARENA_BLOCK 2048

void *ddb_arena_alloc(ddb_arena_t *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    ddb_arena_block_t *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->size = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *ddb_arena_strndup(ddb_arena_t *a, const char *s, size_t len)
{
    char *p = ddb_arena_alloc(a, len + 1);
    if (p)
        memcpy(p, s, len);
    return p;
}

json_t *ddb_arena_keep(ddb_arena_t *a, json_t *v)
{
    if (a->nrefs == a->caprefs) {
        size_t cap = a->caprefs ? a->caprefs * 2 : 8;
        json_t **r = realloc(a->refs, cap * sizeof *r);
        if (!r)
            return NULL;
        a->refs = r;
        a->caprefs = cap;
    }
    a->refs[a->nrefs++] = json_incref(v);
    return v;
}

void ddb_arena_free(ddb_arena_t *a)
{
    for (size_t i = 0; i < a->nrefs; i++)
        json_decref(a->refs[i]);
    free(a->refs);
    ddb_arena_block_t *b = a->head;
    while (b) {
        ddb_arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    memset(a, 0, sizeof *a);
}

/* ---- errors ---- */

const char *ddb_kind_param(ddb_expr_kind_t kind)
{
    switch (kind) {
    case DDB_EXPR_CONDITION:
        return "ConditionExpression";
    case DDB_EXPR_FILTER:
        return "FilterExpression";
    case DDB_EXPR_KEY:
        return "KeyConditionExpression";
    case DDB_EXPR_UPDATE:
        return "UpdateExpression";
    case DDB_EXPR_PROJECTION:
        return "ProjectionExpression";
    }
    return "Expression";
}

void ddb_err_set(ddb_err_t *err, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void ddb_err_oom(ddb_err_t *err)
{
    ddb_err_set(err, "Internal error: out of memory");
    if (err)
        err->code = "InternalServerError";
}

/* ---- context ---- */

void ddb_ctx_init(ddb_ctx_t *ctx, json_t *names, json_t *values)
{
    ctx->names = json_is_object(names) ? names : NULL;
    ctx->values = json_is_object(values) ? values : NULL;
    ctx->used_names = json_object();
    ctx->used_values = json_object();
}

void ddb_ctx_done(ddb_ctx_t *ctx)
{
    json_decref(ctx->used_names);
    json_decref(ctx->used_values);
    ctx->used_names = ctx->used_values = NULL;
}

/* "{#a, #b}" of the keys of `map` missing from `used`; false when none. */
static bool unused_keys(const json_t *map, const json_t *used, char *buf, size_t size)
{
    size_t k = 0, n = 0;
    const char *key;
    json_t *v;
    if (!map)
        return false;
    k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "{");
    json_object_foreach((json_t *)map, key, v) {
        if (json_object_get(used, key))
            continue;
        k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "%s%s", n++ ? ", " : "", key);
    }
    snprintf(buf + k, k < size ? size - k : 0, "}");
    return n > 0;
}

int ddb_ctx_check_unused(const ddb_ctx_t *ctx, ddb_err_t *err)
{
    char keys[768];
    if (unused_keys(ctx->names, ctx->used_names, keys, sizeof keys)) {
        ddb_err_set(err, "Value provided in ExpressionAttributeNames unused in expressions: keys: %s", keys);
        return -1;
    }
    if (unused_keys(ctx->values, ctx->used_values, keys, sizeof keys)) {
        ddb_err_set(err, "Value provided in ExpressionAttributeValues unused in expressions: keys: %s", keys);
        return -1;
    }
    return 0;
}

static bool valid_key(const char *key, char lead)
{
    if (key[0] != lead || key[1] == 0)
        return false;
    for (const char *c = key + 1; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

/* Empty maps and malformed keys. */
static int check_maps(const ddb_ctx_t *ctx, ddb_err_t *err)
{
    if (ctx->names && json_object_size(ctx->names) == 0) {
        ddb_err_set(err, "ExpressionAttributeNames must not be empty");
        return -1;
    }
    if (ctx->values && json_object_size(ctx->values) == 0) {
        ddb_err_set(err, "ExpressionAttributeValues must not be empty");
        return -1;
    }
    const char *key;
    json_t *v;
    if (ctx->names) {
        json_object_foreach(ctx->names, key, v) {
            if (!valid_key(key, '#')) {
                ddb_err_set(err, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"%s\"", key);
                return -1;
            }
            if (!json_is_string(v) || json_string_length(v) == 0) {
                ddb_err_set(err, "ExpressionAttributeNames contains invalid value: Empty attribute name for key %s",
                            key);
                return -1;
            }
        }
    }
    if (ctx->values) {
        json_object_foreach(ctx->values, key, v) {
            if (!valid_key(key, ':')) {
                ddb_err_set(err, "ExpressionAttributeValues contains invalid key: Syntax error; key: \"%s\"", key);
                return -1;
            }
        }
    }
    return 0;
}

int ddb_ctx_validate(const ddb_ctx_t *ctx, bool any_expression, ddb_err_t *err)
{
    if (ctx->names && !any_expression) {
        ddb_err_set(err, "ExpressionAttributeNames can only be specified when using expressions");
        return -1;
    }
    if (ctx->values && !any_expression) {
        ddb_err_set(err, "ExpressionAttributeValues can only be specified when using expressions");
        return -1;
    }
    return check_maps(ctx, err);
}

static bool has_member(const json_t *request, const char *name)
{
    json_t *v = json_object_get(request, name);
    return v && !json_is_null(v);
}

int ddb_ctx_validate_request(const ddb_ctx_t *ctx, const char *operation, const json_t *request, ddb_err_t *err)
{
    static const char *const all[] = {"ProjectionExpression", "ConditionExpression", "FilterExpression",
                                      "UpdateExpression", "KeyConditionExpression"};
    /* the expressions that take values, per operation, and how AWS names their absence */
    static const struct {
        const char *op, *first, *second, *missing;
    } users[] = {
        {"PutItem", "ConditionExpression", NULL, "ConditionExpression is null"},
        {"DeleteItem", "ConditionExpression", NULL, "ConditionExpression is null"},
        {"ConditionCheck", "ConditionExpression", NULL, "ConditionExpression is null"},
        {"UpdateItem", "UpdateExpression", "ConditionExpression", "UpdateExpression and ConditionExpression are null"},
        {"Query", "FilterExpression", "KeyConditionExpression", "FilterExpression and KeyConditionExpression are null"},
        {"Scan", "FilterExpression", NULL, "FilterExpression is null"},
    };
    bool any = false;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        any = any || has_member(request, all[i]);
    if (ctx->names && !any) {
        ddb_err_set(err, "ExpressionAttributeNames can only be specified when using expressions");
        return -1;
    }
    if (ctx->values) {
        for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
            if (!operation || strcmp(operation, users[i].op) != 0)
                continue;
            if (!has_member(request, users[i].first) && !(users[i].second && has_member(request, users[i].second))) {
                ddb_err_set(err, "ExpressionAttributeValues can only be specified when using expressions: %s",
                            users[i].missing);
                return -1;
            }
        }
        if (!any) {
            ddb_err_set(err, "ExpressionAttributeValues can only be specified when using expressions");
            return -1;
        }
    }
    return check_maps(ctx, err);
}
