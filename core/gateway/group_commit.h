/*
 * Group commit with persistence: the writes of every request served in one loop turn commit
 * together (one fsync), then their answers go out (store.h, nb__store_group_end). A store
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
/* Forgets st before it closes (nb__store_close ends its group). */
void nb__group_commit_forget(nb__store_t *st);
/* Stops and closes the handles. */
void nb__group_commit_close(void);

#endif
