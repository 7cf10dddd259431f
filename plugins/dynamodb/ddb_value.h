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

/* The type of an AttributeValue ("S", "N", "M", ...) and its payload; NULL type when malformed. */
const char *ddb_value_type(const json_t *av, const json_t **payload);
/* Deep equality of two AttributeValues (sets compared as sets, numbers by value). */
bool ddb_value_equal(const json_t *a, const json_t *b);

#endif
