/* AttributeValue validation as DynamoDB words it, and numbers rewritten in their canonical text
 * (DynamoDB returns "1.5" for a stored "01.50"). Depends on jansson and ddb_num only. */
#ifndef DDB_VALUE_H
#define DDB_VALUE_H

#include <stddef.h>
#include <jansson.h>

/* Checks one AttributeValue and canonicalizes its numbers in place. 0, or -1 with AWS's
 * ValidationException message in msg. */
int ddb_value_check(json_t *av, char *msg, size_t cap);
/* The same for every value of an item (an object of AttributeValues). */
int ddb_item_check(json_t *item, char *msg, size_t cap);

#endif
