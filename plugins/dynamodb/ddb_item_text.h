/* A stored item written as DynamoDB JSON text straight from its encoding (ddb_codec.h), with no
 * jansson tree between: GetItem's answer (nb_reply_json_text). */
#ifndef DDB_ITEM_TEXT_H
#define DDB_ITEM_TEXT_H

#include "ddb_codec.h"

/* Appends the item's text, {"attr":{"S":"..."},...}: the JSON the wire protocol answers for it
 * (binary values in base64). 0, or -1 (memory, or bytes that are not an encoding). */
int ddb_item_text(const uint8_t *data, size_t len, ddb_buf_t *out);
/* Appends bytes as they are. 0 or -1 (memory). */
int ddb_text_put(ddb_buf_t *b, const char *s, size_t n);

#endif
