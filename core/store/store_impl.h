/* What store.c and blob.c share: the store's fields and small file helpers. */
#ifndef NB_STORE_STORE_IMPL_H
#define NB_STORE_STORE_IMPL_H

#include <pthread.h>

#include "store/store.h"

struct nb__store {
    sqlite3 *db;
    char *service;
    char *path;      /* <data_dir>/<service>.db; NULL in memory */
    char *data_dir;  /* NULL in memory */
    char *tmp_dir;   /* parent of the private blob folder in memory; NULL: $TMPDIR or /tmp */
    char *blob_root; /* created on first use; NULL until then */
    int persistent;
    int depth;       /* nb__store_begin() nesting, the group transaction included */
    int group;       /* 1: nesting level 1 is the loop turn's group transaction (group commit) */
    int (*group_opened)(nb__store_t *st, void *data); /* NULL: every request commits alone */
    void *group_data;
    /* The nesting level opened without a savepoint (0: none): the group's first request, with
     * nothing before it in the transaction, so ending it is the group's RELEASE-free level 2 and
     * rolling it back is rolling the group back. */
    int bare;
    /* BEGIN, COMMIT, and the SAVEPOINT/RELEASE of every nesting level, prepared once (store.c) */
    sqlite3_stmt *begin_stmt, *commit_stmt, *savepoint_stmt, *release_stmt;
    int aborted;     /* SQLite rolled the outer transaction back under us */
    int disk_full;   /* the data dir's disk was found full: the WAL is checkpointed after each commit */
    char errmsg[512];
    /* Blob functions may run on worker threads (fsyncing a large body must not
     * stall the loop): this guards blob_root's creation and errmsg. */
    pthread_mutex_t lock;
    /* Blobs to remove once the outer transaction commits (loop thread only), with
     * the nesting depth each was asked at: a rolled-back savepoint forgets its own. */
    struct nb__store_pending {
        char *path;
        int depth;
    } *pending;
    size_t npending, pending_cap;
    void (*on_lost_writes)(void *data); /* a commit failed: writes a handler believed done are gone */
    void *on_lost_data;
    /* What runs when the outer transaction ends (hooks.c), in the order added, each
     * with the nesting depth it was added at: a rolled-back savepoint ends its own. */
    struct nb__store_hook {
        nb__store_hook_kind_t kind;
        void (*cb)(void *data);
        void *data;
        int depth;
    } *hooks;
    size_t nhooks, hooks_cap;
    char *fault_commit; /* NIMBUS_FAULT_COMMIT (tests only): the file that arms a commit failure */
};

struct nb__store_blob_writer {
    nb__store_t *st;
    int fd;
    char *tmp; /* the temp file, in the final folder */
    char *final;
    int failed; /* errno of the first failed write, reported at finish */
};

void nb__store_set_err(nb__store_t *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int nb__store_fsync_dir(const char *dir); /* 0 or -errno */
/* NB_EAGAIN for an errno that passes without anyone touching the data (out of
 * descriptors or memory), else `otherwise`. */
int nb__store_errno_code(int e, int otherwise);
/* Removes what is under root (root too if keep_root is 0); with only_tmp, only
 * the blob temp files ('.nbtmp-' names) a crash left behind. */
void nb__store_remove_tree(const char *root, int keep_root, int only_tmp);
/* <data_dir>/<service>/blobs of a persistent store, malloc'd (NULL: out of memory). */
char *nb__store_blob_dir(const nb__store_t *st);
/* Removes every blob (reset); the folder stays. */
void nb__store_blob_clear(nb__store_t *st);
/* The pending removals: done at the outer commit, forgotten above `depth` on a rollback. */
void nb__store_pending_apply(nb__store_t *st);
void nb__store_pending_forget(nb__store_t *st, int depth);
void nb__store_pending_release(nb__store_t *st, int depth);

/* For each table a plugin created (nb__store_counts' tables), a value from make() filled by
 * fill (an SQLite code) is added to the object out under the table's name. 0, NB_EINVAL (st
 * NULL, out no object), or NB_ESTORE with a message naming what failed (`what`). */
int nb__store_tables_json(nb__store_t *st, json_t *out, json_t *(*make)(void),
                          int (*fill)(nb__store_t *st, const char *table, json_t *into), const char *what);

/* Hooks (hooks.c): at the outer transaction's end, those of its outcome run, then all
 * go; a savepoint's end at `depth` runs the on-rollback ones above it (rolled back) or
 * hands them to the level below (released). */
void nb__store_hooks_end(nb__store_t *st, int committed);
void nb__store_hooks_savepoint_end(nb__store_t *st, int depth, int committed);
/* Whether NIMBUS_FAULT_COMMIT arms a failure of this store's next outer commit. */
int nb__store_fault_commit_armed(const nb__store_t *st);

#define NB__BLOB_TMP_PREFIX ".nbtmp-"

#endif
