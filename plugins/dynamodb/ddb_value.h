/* AttributeValue validation as DynamoDB words it, and numbers rewritten in their canonical text
 * (DynamoDB returns "1.5" for a stored "01.50"). Depends on jansson and ddb_num only. */
#ifndef DDB_VALUE_H
#define DDB_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Checks one AttributeValue and canonicalizes its numbers in place. 0, or -1 with AWS's
 * ValidationException message in msg. */
int ddb_value_check(json_t *av, char *msg, size_t cap);
/* The same for every value of an item (an object of AttributeValues). */
int ddb_item_check(json_t *item, char *msg, size_t cap);
/* True when ddb_item_check would accept the item without changing it (valid, every number in its
 * canonical text): the caller may then store the item it was given rather than a copy. */
bool ddb_item_canonical(const json_t *item);

#endif
