/*
 * The state store, core side: one SQLite connection per service, opened on the
 * loop thread, in memory or under DATA_DIR; the request transaction the gateway
 * wraps around a handler; reset and counts for the internal endpoints; blobs
 * (large payloads) as files beside the database.
 *
 * Errors: functions return 0 or an NB_E* code; those taking `char **err` set it
 * to a malloc'd message naming the path and the problem; the others leave a
 * message in nb__store_errmsg().
 */
#ifndef NB_STORE_STORE_H
#define NB_STORE_STORE_H

#include <stddef.h>
#include <jansson.h>
#include <sqlite3.h>

#include "nimbus/errno.h"
#include "nimbus/plugin.h"
#include "nimbus/store.h"

typedef struct nb__store nb__store_t;

typedef enum nb__store_hook_kind {
    NB__STORE_ON_COMMIT,   /* after the outer commit succeeded */
    NB__STORE_ON_ROLLBACK, /* after a rollback, or a commit that failed */
} nb__store_hook_kind_t;

typedef enum nb__store_sync {
    NB__STORE_SYNC_FULL = 0, /* fsync the WAL at every commit: survives power loss */
    NB__STORE_SYNC_NORMAL,   /* write the WAL at every commit, fsync at checkpoints: survives kill -9 */
} nb__store_sync_t;

typedef struct nb__store_config {
    int persistence;       /* 0: in memory (default); else <data_dir>/<service>.db */
    const char *data_dir;  /* required with persistence */
    nb__store_sync_t sync; /* with persistence */
    int busy_timeout_ms;   /* 0: 5000 */
    const char *tmp_dir;   /* parent of the blob folder without persistence; NULL: $TMPDIR or /tmp */
    /* Group commit (see nb__store_group_end): called when a begin opens a group transaction,
     * whose owner must then end it with nb__store_group_end before the loop waits for I/O
     * (non-zero: it cannot, and this transaction commits alone).
     * NULL: every outer commit is its own transaction. */
    int (*group_opened)(nb__store_t *st, void *data);
    void *group_data;
} nb__store_config_t;

/* Creates dir (and its parents) if missing and proves it writable by creating
 * and removing a file in it. NB_EIO and a message naming dir and the problem. */
int nb__store_check_data_dir(const char *dir, char **err);
/* mkdir -p; each folder it creates is made durable by an fsync of its parent. 0 or -errno. */
int nb__store_mkdirs(const char *path, int durable);
/* Removes what servers that are gone left in tmpdir (a kill -9): spilled request bodies
 * and in-memory stores' blob folders, named "nimbus-...-<pid>-XXXXXX" by their server. */
void nb__store_sweep_temp(const char *tmpdir);

/* Opens (creating if needed) the database of `service` ([a-z0-9_-]+). With
 * persistence: checks the data dir, opens <data_dir>/<service>.db in WAL mode,
 * runs PRAGMA quick_check and refuses a file that is corrupt, not a database or
 * another application's; removes blob temp files a crash left behind. */
int nb__store_open(const char *service, const nb__store_config_t *cfg, nb__store_t **out, char **err);
/* Rolls back an open transaction, closes the database (finalizing any
 * statement still prepared on it) and, without persistence, removes the blobs. */
void nb__store_close(nb__store_t *st);

sqlite3 *nb__store_db(const nb__store_t *st);
const char *nb__store_service(const nb__store_t *st);
const char *nb__store_path(const nb__store_t *st); /* the .db file; NULL in memory */
const char *nb__store_errmsg(const nb__store_t *st); /* the last failure, "" if none */
/* Whether the database's last failure may pass without anyone touching the data (a full
 * disk, I/O errors, out of descriptors or memory): NB_EAGAIN, else NB_ESTORE. */
int nb__store_failure_code(const nb__store_t *st);
/* Whether the database's last failure was for want of descriptors or memory (a temp
 * file SQLite could not open): worth a 503 the client retries, not a 500. */
int nb__store_exhausted(const nb__store_t *st);

/*
 * The request transaction. begin/commit pairs nest (inner ones are savepoints,
 * so an inner rollback undoes only its part). The outermost commit first resets
 * every statement still active on the connection (a SELECT left un-reset would
 * otherwise keep the transaction open), then commits: when it returns 0, the
 * writes are durable (on disk with persistence). A failed commit (disk full, I/O
 * error), or a transaction SQLite already rolled back after an earlier error,
 * returns NB_ESTORE with the database rolled back and consistent: answer 500.
 * Test only: with NIMBUS_FAULT_COMMIT=<file> in the environment when the store opened,
 * every outer commit fails this way (as on a full disk) while <file> exists and is
 * empty or has a line naming the store's service.
 */
int nb__store_begin(nb__store_t *st);
int nb__store_commit(nb__store_t *st);
int nb__store_rollback(nb__store_t *st);
int nb__store_depth(const nb__store_t *st); /* 0: no transaction open (a group's own level not counted) */
/* Whether anything is open on the connection, a group transaction included: what is written
 * now becomes durable only when that ends (hooks added now run then). */
int nb__store_in_txn(const nb__store_t *st);

/*
 * Group commit (stores opened with cfg->group_opened): the first begin at depth 0 opens a
 * group transaction (BEGIN) and tells its owner; each outer begin/commit inside it is a
 * savepoint, released or rolled back alone, so one request's error undoes only its writes.
 * nb__store_group_end commits the group once (one fsync for every request of the loop turn):
 * the hooks of the requests released in it run then, on-commit ones on success, on-rollback
 * ones when the commit failed (every request of the group lost its writes). A begin that
 * finds its group rolled back by SQLite ends it first and opens a new one. 0 when no group
 * is open or it committed, NB_ESTORE when it failed; a group with a transaction still open
 * inside it (depth > 0) is left open (0).
 */
int nb__store_group_end(nb__store_t *st);
/* Called when an outer commit fails (or finds the transaction already rolled
 * back): writes that a handler believed done are gone, so whatever the plugin
 * cached from them must be dropped. */
void nb__store_on_lost_writes(nb__store_t *st, void (*cb)(void *data), void *data);

/*
 * Hooks of the transaction open now (hooks.c): the store owns them with the transaction,
 * so whoever ends it (a request, a work-queue completion, a timer, an in-process call)
 * runs them. An on-commit hook runs once the outer commit succeeded; an on-rollback hook
 * once the transaction rolled back or its commit failed (after the on_lost_writes
 * callback). Each kind runs in the order added, outside any transaction (depth 0), and
 * the hooks of the other outcome are dropped without a call: whoever owns `data` pairs
 * the two kinds so that the one that runs releases it. A hook added inside a savepoint
 * rolled back runs (on-rollback) or goes (on-commit) with that savepoint.
 * NB_EINVAL outside a transaction, NB_ENOMEM; the hook is then not kept.
 */
int nb__store_hook_add(nb__store_t *st, nb__store_hook_kind_t kind, void (*cb)(void *data), void *data);
/* Both hooks or neither, for one `data`: exactly one of the two runs. */
int nb__store_hook_add_pair(nb__store_t *st, void (*on_commit)(void *data), void (*on_rollback)(void *data),
                            void *data);

/* Deletes every row of every table the plugin created (keeps schema and
 * user_version; AUTOINCREMENT counters restart) and every blob. Not inside a
 * transaction (NB_EINVAL). */
int nb__store_reset(nb__store_t *st);

/* Adds to the object `out`, per table (not sqlite_* nor _-prefixed):
 *   "<table>": {"total": N, "accounts": {"<account>": {"<region>": n}}}
 * "accounts" only for tables with an account column; region "global" for rows
 * with region NB_STORE_GLOBAL/NULL or tables without a region column. */
int nb__store_counts(nb__store_t *st, json_t *out);
/* Adds to the object `out`, per table (as above): "<table>": [{column: value, ...}, ...];
 * binary values as {"bytes": n}, blobs not at all. (dump.c) */
int nb__store_dump(nb__store_t *st, json_t *out);

/*
 * Blobs: files under <data_dir>/<service>/blobs/<key> (with persistence) or a
 * private temp folder (without, removed by nb__store_close). A key is a
 * relative path of components made of [A-Za-z0-9._-], none starting with '.'
 * (NB_EINVAL otherwise): plugins name blobs by ids, not by user input. A blob
 * appears under its key only once complete and fsynced (temp name, rename,
 * fsync of the folder); write a new key rather than overwrite one a committed
 * row points to, and remove the old one after the commit.
 * The blob functions may run on a worker thread (large bodies: keep fsync off
 * the loop) while the loop uses the database; nb__store_close must wait for them.
 */
int nb__store_blob_path(nb__store_t *st, const char *key, char **out); /* malloc'd */
int nb__store_blob_put(nb__store_t *st, const char *key, const void *data, size_t len);
/* Moves the file at src (a spilled request body) into place (copies it when on
 * another file system; src is then removed). */
int nb__store_blob_put_file(nb__store_t *st, const char *key, const char *src);
/* Copies a body (memory or file) into a blob; works for any body, a spilled
 * temp file is better moved with nb__store_blob_put_file. */
int nb__store_blob_put_body(nb__store_t *st, const char *key, nb_body_t *body);
int nb__store_blob_remove(nb__store_t *st, const char *key); /* NB_ENOENT if absent */
/* Removes a blob that committed rows point to once the transaction open now
 * commits (at once when none is open); a rollback or a failed commit keeps it,
 * since the rows that point to it stay. Loop thread only. 0 or NB_E*. */
int nb__store_blob_remove_at_commit(nb__store_t *st, const char *key);

/* Removes the blobs whose keys are not among keep[0..n) (which it sorts): what a
 * crash left between a blob's write and the commit of the row pointing to it. With
 * persistence only (in memory every start is empty); the number removed. */
size_t nb__store_blob_sweep(nb__store_t *st, char **keep, size_t n);

/* Streaming writes: appear under key at finish, never half-written. */
typedef struct nb__store_blob_writer nb__store_blob_writer_t;
int nb__store_blob_begin(nb__store_t *st, const char *key, nb__store_blob_writer_t **out);
int nb__store_blob_append(nb__store_blob_writer_t *w, const void *data, size_t len);
int nb__store_blob_finish(nb__store_blob_writer_t *w); /* frees w, even on failure */
void nb__store_blob_abort(nb__store_blob_writer_t *w); /* frees w, removes the temp file */

#endif
