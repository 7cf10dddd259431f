/* Items in the store: read one by its key, write or remove one with its table's counts, its index
 * rows and its TTL expiry kept in step. */
#ifndef DDB_ITEM_STORE_H
#define DDB_ITEM_STORE_H

#include "ddb_codec.h"
#include "ddb_key.h"

/* 0 with *item (a new reference) and *size, NB_ENOENT when absent, or NB_ESTORE. */
int ddb_item_get(const ddb_table_t *t, const ddb_keybytes_t *key, json_t **item, size_t *size);
/* As ddb_item_get, the item appended to *text as DynamoDB JSON (ddb_item_text.h) instead of
 * decoded; NB_ENOMEM when it cannot be. */
int ddb_item_get_text(const ddb_table_t *t, const ddb_keybytes_t *key, ddb_buf_t *text, size_t *size);
/* The stored size of the item at key: 0, NB_ENOENT when absent, or NB_ESTORE. */
int ddb_item_stored_size(const ddb_table_t *t, const ddb_keybytes_t *key, size_t *size);
/* A table whose writes need nothing of the item they replace but its size: no secondary index
 * rows to move, no stream record to hold its old image. */
bool ddb_item_plain_table(const ddb_table_t *t);
/* ddb_item_put on a plain table (ddb_item_plain_table), told only whether an item was there. */
int ddb_item_put_plain(const ddb_table_t *t, const ddb_keybytes_t *key, bool existed, size_t old_size,
                       const json_t *item, size_t size);
/* Stores `item` at `key` in place of `old` (NULL: none; old_size its size). */
int ddb_item_put(const ddb_table_t *t, const ddb_keybytes_t *key, const json_t *old, size_t old_size,
                 const json_t *item, size_t size);
/* Removes the item `old` at `key`. */
int ddb_item_remove(const ddb_table_t *t, const ddb_keybytes_t *key, const json_t *old,
                    size_t old_size);
/* The epoch second an item expires at under the TTL attribute `attr`, 0 when none. */
int64_t ddb_item_expiry(const json_t *item, const char *attr);

#endif
