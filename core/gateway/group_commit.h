/*
 * Group commit: the writes of every request served in one loop turn commit together (on disk,
 * one fsync), then their answers go out back to back (store.h, nb__store_group_end); in memory
 * too, where a client woken once for several answers costs the server less than one wake each. A store
 * whose begin opened a group is registered here and its group ends before the loop waits for
 * I/O again (a prepare handle) and once the turn's I/O callbacks ran (a check handle), so no
 * transaction stays open while the loop sleeps.
 */
#ifndef NB_GATEWAY_GROUP_COMMIT_H
#define NB_GATEWAY_GROUP_COMMIT_H

#include <uv.h>

#include "store/store.h"

/* Starts the two handles on loop (unreferenced: they keep no loop alive). */
void nb__group_commit_init(uv_loop_t *loop);
/* The store config's group_opened: st's group ends within this loop turn. 0, or non-zero
 * when it cannot be registered (the transaction then commits alone). */
int nb__group_commit_opened(nb__store_t *st, void *data);
/* Ends every open group now: for a loop run without a handle that keeps it alive (the test
 * harness), whose uv_run returns before the prepare and check handles run. */
void nb__group_commit_end_all(void);
/* Forgets st before it closes (nb__store_close ends its group). */
void nb__group_commit_forget(nb__store_t *st);
/* Stops and closes the handles. */
void nb__group_commit_close(void);

#endif
