/* Primary and index keys: which attributes form them, AWS's messages when they are missing or of
 * the wrong type, and their memcmp-ordered bytes (S: UTF-8, B: the bytes, N: ddb_num_encode). */
#ifndef DDB_KEY_H
#define DDB_KEY_H

#include "ddb.h"
#include "ddb_num.h"

#define DDB_HASH_KEY_MAX 2048
#define DDB_RANGE_KEY_MAX 1024

/* Key bytes point into the item's strings, or into the buffers here for numbers. */
typedef struct ddb_keybytes {
    const uint8_t *pk, *sk; /* sk: "" (length 0) without a sort key */
    size_t pklen, sklen;
    uint8_t pkbuf[DDB_NUM_KEY_MAX], skbuf[DDB_NUM_KEY_MAX];
} ddb_keybytes_t;

/* The ordered bytes of a scalar AttributeValue of type `type` (`buf` holds a number's); -1 when
 * its type differs. */
int ddb_key_bytes(const json_t *av, char type, uint8_t *buf, const uint8_t **out, size_t *len);
/* An item's key in an index without answering: 0 (present says whether the item is in it), or -1. */
int ddb_key_index_bytes(const ddb_index_t *ix, const json_t *item, ddb_keybytes_t *out, bool *present);

/* An item's primary key (PutItem, a transaction's Put): answers AWS's "Missing the key ..." /
 * "Type mismatch for key ..." / empty-string / size errors. */
nb_step_t ddb_key_of_item(nb_req_t *req, const ddb_table_t *t, const json_t *item, ddb_keybytes_t *out);
/* A Key parameter (GetItem, DeleteItem, UpdateItem, ExclusiveStartKey of the table): exactly the key
 * attributes, else "The provided key element does not match the schema". */
nb_step_t ddb_key_of_param(nb_req_t *req, const ddb_table_t *t, const json_t *key, ddb_keybytes_t *out);
/* The item's key in an index: 1 with `out` set, 0 when the item is not in it (sparse index),
 * or a stop when an index key attribute has the wrong type or is an empty string. */
nb_step_t ddb_key_of_index(nb_req_t *req, const ddb_index_t *ix, const json_t *item, ddb_keybytes_t *out,
                           bool *present);
/* The key attributes of an item (for KEYS_ONLY, LastEvaluatedKey): a new object. */
json_t *ddb_key_project(const ddb_keydef_t *k, const json_t *item);

#endif
