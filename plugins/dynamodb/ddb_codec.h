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
/* Room for `more` bytes after len: 0, or -1 (memory). */
int ddb_buf_reserve(ddb_buf_t *b, size_t more);

/* Tags: one byte per AttributeValue type, then the value. Lengths and counts are LEB128. */
enum { DDB_TAG_S = 'S', DDB_TAG_N = 'N', DDB_TAG_B = 'B', DDB_TAG_TRUE = 'T', DDB_TAG_FALSE = 'F',
       DDB_TAG_NULL = '0', DDB_TAG_L = 'L', DDB_TAG_M = 'M', DDB_TAG_SS = 's', DDB_TAG_NS = 'n', DDB_TAG_BS = 'b' };

/* Reading an encoding: each returns 0, or -1 at its end or on bytes that are not an encoding. */
typedef struct ddb_reader {
    const uint8_t *p, *end;
} ddb_reader_t;
int ddb_read_varint(ddb_reader_t *r, size_t *out);
int ddb_read_str(ddb_reader_t *r, const char **s, size_t *n); /* s points into the encoding */

/* Appends the encoding of an item (an object of AttributeValues). 0, or -1 (memory, or a value
 * that is not an AttributeValue: the caller validated it before). */
int ddb_item_encode(const json_t *item, ddb_buf_t *out);
/* The item back as jansson (a new reference), NULL when the bytes are not an encoding. */
json_t *ddb_item_decode(const uint8_t *data, size_t len);

#endif
