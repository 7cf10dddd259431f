/* Time to live: items whose TTL attribute (epoch seconds) has passed are deleted in the
 * background, a small batch per timer tick, so the loop never waits on a large sweep. */
#ifndef DDB_TTL_H
#define DDB_TTL_H

#include "ddb.h"

extern const nb_setting_t ddb_ttl_settings[];

void ddb_ttl_start(nb_plugin_t *self);
void ddb_ttl_stop(void);
/* Recomputes every item's expiry after UpdateTimeToLive changed the table's attribute. */
int ddb_ttl_reindex(const ddb_table_t *t);

#endif
