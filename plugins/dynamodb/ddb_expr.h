/* DynamoDB expression languages: ConditionExpression, FilterExpression, KeyConditionExpression,
 * UpdateExpression and ProjectionExpression, plus the legacy parameters (Expected, QueryFilter,
 * ScanFilter, KeyConditions, AttributeUpdates, AttributesToGet) converted into the same trees.
 *
 * Parse once into a tree, evaluate many times: evaluation allocates nothing beyond what its result
 * needs. Items and values are DynamoDB JSON (jansson): {"attr": {"S": "x"}, "n": {"N": "1.5"}, ...}.
 * Error texts are AWS's (ValidationException unless ddb_err_t.code says otherwise).
 *
 * Typical use for one request:
 *     ddb_ctx_t ctx; ddb_err_t err;
 *     ddb_ctx_init(&ctx, names_or_NULL, values_or_NULL);
 *     ddb_cond_t *cond = ddb_cond_parse(DDB_EXPR_CONDITION, text, &ctx, &err);   NULL -> err
 *     ddb_update_t *upd = ddb_update_parse(text2, &ctx, &err);
 *     if (ddb_ctx_check_unused(&ctx, &err) != 0) ...   after parsing every expression of the request
 *     ddb_ctx_done(&ctx);      trees keep their own references to the values they use
 *     bool ok; ddb_cond_eval(cond, item_or_NULL, &ok);
 *     ddb_update_apply(upd, item, &err);
 *     ddb_cond_free(cond); ddb_update_free(upd);
 *
 * Depends only on jansson and libc (and ddb_num), so unit tests compile it directly. */
#ifndef DDB_EXPR_H
#define DDB_EXPR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ddb_num.h"

/* ---- errors ---- */

typedef struct ddb_err {
    const char *code; /* NULL: ValidationException; otherwise the error code (static string) */
    char msg[1024];   /* AWS's message text, e.g. "Invalid UpdateExpression: Syntax error; token: ..." */
} ddb_err_t;

/* Which parameter an expression came from: names the "Invalid <Kind>: " prefix of errors. */
typedef enum ddb_expr_kind {
    DDB_EXPR_CONDITION,  /* ConditionExpression */
    DDB_EXPR_FILTER,     /* FilterExpression */
    DDB_EXPR_KEY,        /* KeyConditionExpression */
    DDB_EXPR_UPDATE,     /* UpdateExpression */
    DDB_EXPR_PROJECTION, /* ProjectionExpression */
} ddb_expr_kind_t;

/* ---- attribute value types ---- */

typedef enum ddb_type {
    DDB_T_NONE = 0, /* missing or not a valid DynamoDB value */
    DDB_T_S, DDB_T_N, DDB_T_B, DDB_T_BOOL, DDB_T_NULL,
    DDB_T_SS, DDB_T_NS, DDB_T_BS, DDB_T_L, DDB_T_M,
} ddb_type_t;

/* The type of a typed value {"S": "x"} (first member's key), and its payload (json of the member). */
ddb_type_t ddb_value_type(const json_t *av, json_t **payload);
/* "S", "N", ... for a type ("" for DDB_T_NONE). */
const char *ddb_type_name(ddb_type_t t);
/* DynamoDB equality of two typed values: same type and equal (N numerically, sets regardless of order,
 * B as bytes, L element-wise, M member-wise). NULL operands are never equal. */
bool ddb_value_equal(const json_t *a, const json_t *b);
/* Order of two values of the same scalar type S, N or B (S and B as unsigned bytes, N numerically).
 * Returns 0 and sets *cmp, or -1 when the types differ or are not S/N/B. */
int ddb_value_compare(const json_t *a, const json_t *b, int *cmp);

/* ---- context: ExpressionAttributeNames / ExpressionAttributeValues of one request ---- */

typedef struct ddb_ctx {
    json_t *names;       /* borrowed ExpressionAttributeNames object, or NULL */
    json_t *values;      /* borrowed ExpressionAttributeValues object, or NULL */
    json_t *used_names;  /* owned: object used as a set of the "#n" keys referenced so far */
    json_t *used_values; /* owned: set of the ":v" keys referenced so far */
} ddb_ctx_t;

void ddb_ctx_init(ddb_ctx_t *ctx, json_t *names, json_t *values);
void ddb_ctx_done(ddb_ctx_t *ctx);
/* After all expressions of the request are parsed: AWS's error for names/values nobody used,
 * "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}" (Values likewise).
 * Returns 0 when all were used. */
int ddb_ctx_check_unused(const ddb_ctx_t *ctx, ddb_err_t *err);
/* Request-level checks on the maps themselves, before parsing: empty maps ("ExpressionAttributeNames
 * must not be empty"), maps given without any expression ("ExpressionAttributeNames can only be
 * specified when using expressions"), malformed keys ("ExpressionAttributeValues contains invalid key:
 * Syntax error; key: \"x\""). `any_expression`: the request carries at least one *Expression parameter. */
int ddb_ctx_validate(const ddb_ctx_t *ctx, bool any_expression, ddb_err_t *err);
/* The same checks worded as AWS words them for one operation (added after ddb_ctx_validate; prefer this):
 * `operation` "PutItem", "DeleteItem", "UpdateItem", "Query", "Scan" or "ConditionCheck" (a transaction's
 * parts by their kind), `request` the input object holding the expressions. Values without the expressions
 * that use them: "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression
 * is null" (UpdateItem: "UpdateExpression and ConditionExpression are null", Query: "FilterExpression and
 * KeyConditionExpression are null", Scan: "FilterExpression is null"). */
int ddb_ctx_validate_request(const ddb_ctx_t *ctx, const char *operation, const json_t *request, ddb_err_t *err);

/* DynamoDB's reserved word list (case-insensitive). */
bool ddb_is_reserved_word(const char *word, size_t len);

/* ---- ConditionExpression / FilterExpression ---- */

typedef struct ddb_cond ddb_cond_t;

/* kind: DDB_EXPR_CONDITION or DDB_EXPR_FILTER (DDB_EXPR_KEY is accepted too; see ddb_keycond_parse for
 * the key schema checks). Returns NULL and fills err on a syntax or semantic error
 * ("Invalid ConditionExpression: ..."). */
ddb_cond_t *ddb_cond_parse(ddb_expr_kind_t kind, const char *text, ddb_ctx_t *ctx, ddb_err_t *err);
/* Evaluate against an item (NULL or {} when there is no item). Never fails: comparisons of
 * mismatched types and functions on missing paths are false, as in DynamoDB. */
bool ddb_cond_eval(const ddb_cond_t *cond, const json_t *item);
void ddb_cond_free(ddb_cond_t *cond);
/* True when the condition reads top-level attribute `name` anywhere (added after the first API: Query words
 * "Filter Expression can only contain non-primary key attributes: Primary key attribute: <name>"). */
bool ddb_cond_uses_attr(const ddb_cond_t *cond, const char *name);

/* ---- UpdateExpression ---- */

typedef struct ddb_update ddb_update_t;

ddb_update_t *ddb_update_parse(const char *text, ddb_ctx_t *ctx, ddb_err_t *err);
/* Apply to `item` in place (an object of attributes; start from {} for a new item). All operands are read
 * from the item as it was before the update (SET a = b, b = a swaps). On error (e.g. "The provided
 * expression refers to an attribute that does not exist in the item", "The document path provided in the
 * update expression is invalid for update", "An operand in the update expression has an incorrect data
 * type") returns -1 and the item is unchanged. */
int ddb_update_apply(const ddb_update_t *upd, json_t *item, ddb_err_t *err);
/* True when one of the update's paths starts at top-level attribute `name` (key attributes may not be
 * updated: the caller words "One or more parameter values were invalid: Cannot update attribute <name>. This
 * attribute is part of the key"). */
bool ddb_update_touches(const ddb_update_t *upd, const char *name);
void ddb_update_free(ddb_update_t *upd);

/* ---- ProjectionExpression ---- */

typedef struct ddb_proj ddb_proj_t;

ddb_proj_t *ddb_proj_parse(const char *text, ddb_ctx_t *ctx, ddb_err_t *err);
/* A new item holding only the projected paths, nested as in the item (a.b[2].c keeps the map/list shape;
 * projected list elements keep their order, compacted). Never NULL for a non-NULL item. */
json_t *ddb_proj_apply(const ddb_proj_t *proj, const json_t *item);
/* The paths an update writes, as a projection: ReturnValues UPDATED_OLD / UPDATED_NEW project the old
 * or the new item through it. */
ddb_proj_t *ddb_update_paths(const ddb_update_t *upd);
void ddb_proj_free(ddb_proj_t *proj);

/* ---- KeyConditionExpression ---- */

typedef enum ddb_keyop {
    DDB_KEY_NONE = 0, /* no sort key condition */
    DDB_KEY_EQ, DDB_KEY_LT, DDB_KEY_LE, DDB_KEY_GT, DDB_KEY_GE, DDB_KEY_BETWEEN, DDB_KEY_BEGINS_WITH,
} ddb_keyop_t;

typedef struct ddb_keycond {
    json_t *hash_value;      /* owned reference: the partition key's typed value */
    ddb_keyop_t range_op;
    json_t *range_values[2]; /* owned references: one operand, two for BETWEEN */
} ddb_keycond_t;

/* Parse a KeyConditionExpression against the key schema of the table or index queried.
 * hash_type / range_type: 'S', 'N' or 'B' from AttributeDefinitions (0 to skip the type check);
 * range_name NULL for a hash-only schema. AWS's errors: "Query condition missed key schema element: id",
 * "Query key condition not supported", "One or more parameter values were invalid: Condition parameter
 * type does not match schema type", "KeyConditionExpressions must only contain one condition per key",
 * syntax errors. Returns 0, or -1 with err. */
int ddb_keycond_parse(const char *text, ddb_ctx_t *ctx, const char *hash_name, char hash_type,
                      const char *range_name, char range_type, ddb_keycond_t *out, ddb_err_t *err);
/* Whether a sort key value satisfies the range condition (true for DDB_KEY_NONE). */
bool ddb_keycond_range_match(const ddb_keycond_t *kc, const json_t *range_value);
void ddb_keycond_done(ddb_keycond_t *kc);

/* ---- legacy parameters ---- */

/* Expected (with ConditionalOperator "AND"/"OR" or NULL) as a condition tree. */
ddb_cond_t *ddb_cond_from_expected(const json_t *expected, const char *conditional_operator, ddb_err_t *err);
/* QueryFilter / ScanFilter ({attr: {ComparisonOperator, AttributeValueList}}) as a filter tree. */
ddb_cond_t *ddb_cond_from_filter(const json_t *filter, const char *conditional_operator, ddb_err_t *err);
/* KeyConditions as a key condition, with the same schema checks as ddb_keycond_parse. */
int ddb_keycond_from_legacy(const json_t *key_conditions, const char *hash_name, char hash_type,
                            const char *range_name, char range_type, ddb_keycond_t *out, ddb_err_t *err);
/* AttributeUpdates ({attr: {Action: PUT|ADD|DELETE, Value}}) as an update tree. */
ddb_update_t *ddb_update_from_attribute_updates(const json_t *attribute_updates, ddb_err_t *err);
/* AttributesToGet (array of names) as a projection. */
ddb_proj_t *ddb_proj_from_attributes_to_get(const json_t *names, ddb_err_t *err);
/* AWS's error when a request mixes legacy and expression parameters: "Can not use both expression and
 * non-expression parameters in the same request: Non-expression parameters: {AttributesToGet}
 * Expression parameters: {ProjectionExpression}". `request` is the whole input object. Returns 0 if fine. */
int ddb_legacy_check_mix(const json_t *request, ddb_err_t *err);

#endif
