/* Parsed table definitions kept between requests, so the item paths do not parse a table's JSON
 * definition on every request. An entry is valid while the stored definition text is byte for byte
 * the one it was parsed from: every write of a definition (and a rolled-back one) is seen without
 * telling the cache. */
#ifndef DDB_TABLE_CACHE_H
#define DDB_TABLE_CACHE_H

#include <stddef.h>

#include "ddb.h"

/* The parsed definition of table `tid` whose stored text is text[0..len): key schema, indexes,
 * TTL attribute and `def` (to be borrowed read-only); NULL when out of memory. Valid until the
 * next call or ddb_table_cache_clear(): callers copy what they keep and take a reference on def. */
const ddb_table_t *ddb_table_cache_get(int64_t tid, const char *text, size_t len);
/* Frees every entry (plugin fini). */
void ddb_table_cache_clear(void);

#endif
