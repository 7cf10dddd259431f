/*
 * Request and response bodies (nb_body_t, opaque to plugins).
 *
 * A body being received starts in memory and moves to an unlinked-on-free temp
 * file under the configured directory once it grows past the spill threshold,
 * so an upload of any size costs a bounded amount of memory.
 */
#ifndef NB_HTTP_BODY_H
#define NB_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nimbus/plugin.h"

/* A growing body for an incoming request. tmpdir NULL = $TMPDIR or /tmp. */
nb_body_t *nb__body_new(size_t spill_threshold, const char *tmpdir);
int nb__body_append(nb_body_t *b, const void *data, size_t len); /* 0 or NB_E* */
/* Room for len bytes in memory in one allocation (a body of known size below the spill
 * threshold); a no-op for a file body or one that has the room. 0 or NB_ENOMEM. */
int nb__body_reserve(nb_body_t *b, size_t len);

nb_body_t *nb__body_from_mem(const void *data, size_t len);
nb_body_t *nb__body_from_file(const char *path, int64_t offset, int64_t length); /* length -1: to the end */
int64_t nb__body_size(const nb_body_t *b);
ssize_t nb__body_read(nb_body_t *b, int64_t offset, void *buf, size_t len);
/* The whole body in memory, NUL-terminated (for marshalling small payloads);
 * NULL if it is in a file larger than max. The pointer is owned by the body. */
const char *nb__body_data(nb_body_t *b, size_t max);
const char *nb__body_path(const nb_body_t *b); /* NULL while in memory */
/* Keeps the temp file after free (renamed into place by its new owner). */
void nb__body_keep_file(nb_body_t *b);
/* True for a body spilled to its own temp file (not a view of another file). */
bool nb__body_is_temp(const nb_body_t *b);
void nb__body_free(nb_body_t *b);

#endif
