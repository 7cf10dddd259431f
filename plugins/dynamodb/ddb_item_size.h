/* Item size as DynamoDB counts it (the 400 KB limit, capacity units, TableSizeBytes):
 * attribute names' UTF-8 bytes plus each value's size. Depends on jansson and ddb_num only. */
#ifndef DDB_ITEM_SIZE_H
#define DDB_ITEM_SIZE_H

#include <stddef.h>
#include <jansson.h>

#define DDB_ITEM_SIZE_MAX (400 * 1024)

/* The size of one AttributeValue ({"S": ...}, {"M": {...}}, ...). */
size_t ddb_value_size(const json_t *av);
/* The size of an item (an object of AttributeValues). */
size_t ddb_item_size(const json_t *item);

/* Capacity units: writes count each started 1 KB, strongly consistent reads each started 4 KB,
 * eventually consistent reads half of that. */
double ddb_write_units(size_t bytes);
double ddb_read_units(size_t bytes, int consistent);

#endif
