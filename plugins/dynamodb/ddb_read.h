/* Reading a table's or an index's items in key order, for callers that hold parsed trees already
 * (PartiQL) rather than a Query / Scan request. */
#ifndef DDB_READ_H
#define DDB_READ_H

#include "ddb_expr.h"
#include "ddb_key.h"

/* Called with each item read (borrowed) and its stored size; nonzero stops the read. */
typedef int (*ddb_read_fn)(void *arg, const json_t *item, size_t size);

/* The items of table `t` (ix NULL) or of its index `ix`: with `kc` the partition kc->hash_value within kc's
 * sort key condition, in `forward` order; without it every item (a Scan's order). Returns 0, -1 when
 * kc's partition key value has another type than the schema's, or NB_ESTORE. */
int ddb_read_each(nb_req_t *req, const ddb_table_t *t, const ddb_index_t *ix, const ddb_keycond_t *kc, bool forward,
                  ddb_read_fn fn, void *arg);

#endif
