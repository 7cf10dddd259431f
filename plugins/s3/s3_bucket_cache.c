/* Bucket rows kept in memory between requests: every object request reads its bucket, and the
 * statement that reads it (the row and two configuration probes) costs about as much as the
 * rest of a small GetObject's handler.
 *
 * What a cached row may not outlive: a write to `buckets` or `bucket_config` (seen by SQLite's
 * update hook, so every write counts, cascades included) and the transaction around it. From
 * the first such write until that transaction ends, the cache is emptied and not used (its
 * rows might be rolled back); when the transaction ends either way (a commit or rollback hook
 * of the store, savepoints included), it is emptied again and used from then on. A state
 * reset (which may empty tables without the update hook) empties it too. */
#include "s3_plugin.h"

#include <stdint.h>
#include <string.h>

/* Direct-mapped by the name's hash: a collision only costs the statement. */
#define SLOTS 64

static struct {
    bool used;
    s3_bucket_t row;
} slots[SLOTS];
/* A bucket write happened in the transaction open now: the cache is not read or filled. */
static bool unsettled;
/* The current transaction's commit and rollback hooks are in place. */
static bool hooked;
/* The core lacks transaction hooks (ABI < 1.6): nothing is cached. */
static bool disabled;

static size_t slot_of(const char *name) { return nb_fnv1a(name) % SLOTS; }

/* Moves whenever the rows kept here are dropped: other caches of what bucket rows hold
 * (s3_authz.c's owners and policies) start over when it moved, so one mechanism decides. */
static uint64_t epoch;

static void empty(void) {
    memset(slots, 0, sizeof slots);
    epoch++;
}

static void settle(void *data) {
    (void)data;
    empty();
    unsettled = false;
    hooked = false;
}

static void on_row_write(void *arg, int op, const char *db, const char *table, sqlite3_int64 rowid) {
    (void)arg, (void)op, (void)db, (void)rowid;
    if (strcmp(table, "buckets") != 0 && strcmp(table, "bucket_config") != 0)
        return;
    empty();
    if (hooked)
        return;
    /* Outside a transaction (NB_EINVAL) the write is already committed: nothing to wait for. */
    int rc = nb_on_commit(s3_self, settle, NULL);
    if (rc == NB_EINVAL)
        return;
    if (rc != 0 || nb_on_rollback(s3_self, settle, NULL) != 0) {
        /* without a rollback hook the end cannot be seen: stay unsettled until a later write
         * hooks one, or a reset */
        unsettled = true;
        return;
    }
    unsettled = true;
    hooked = true;
}

void s3_bucket_cache_init(void) {
    disabled = !NB_API_HAS(on_commit) || !NB_API_HAS(on_rollback);
    settle(NULL);
    if (!disabled)
        sqlite3_update_hook(s3_store.db, on_row_write, NULL);
}

void s3_bucket_cache_reset(void) {
    settle(NULL);
}

bool s3_bucket_cache_get(const char *name, s3_bucket_t *b) {
    if (disabled || unsettled || name == NULL)
        return false;
    size_t i = slot_of(name);
    if (!slots[i].used || strcmp(slots[i].row.name, name) != 0)
        return false;
    *b = slots[i].row;
    return true;
}

void s3_bucket_cache_put(const char *name, const s3_bucket_t *b) {
    /* a name cut to fit s3_bucket_t would match another: only whole names are kept */
    if (disabled || unsettled || name == NULL || strnlen(name, sizeof b->name) >= sizeof b->name)
        return;
    size_t i = slot_of(b->name);
    slots[i].used = true;
    slots[i].row = *b;
}

bool s3_bucket_cache_epoch(uint64_t *out) {
    if (disabled || unsettled)
        return false;
    *out = epoch;
    return true;
}
