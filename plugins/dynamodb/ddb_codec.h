/* Items as stored: a compact binary form of the DynamoDB JSON (AttributeValue maps), so binary
 * values stay bytes and numbers stay their text, without JSON escaping on every read.
 * Depends only on jansson, so the unit tests compile it directly. */
#ifndef DDB_CODEC_H
#define DDB_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef struct ddb_buf {
    uint8_t *data;
    size_t len, cap;
} ddb_buf_t;

void ddb_buf_free(ddb_buf_t *b);

/* Appends the encoding of an item (an object of AttributeValues). 0, or -1 (memory, or a value
 * that is not an AttributeValue: the caller validated it before). */
int ddb_item_encode(const json_t *item, ddb_buf_t *out);
/* The item back as jansson (a new reference), NULL when the bytes are not an encoding. */
json_t *ddb_item_decode(const uint8_t *data, size_t len);

#endif
