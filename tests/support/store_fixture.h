/*
 * What the store tests share: a temp folder per test (the "store" suite's init
 * and fini), stores opened in memory or on disk, and small SQL and file helpers
 * that fail the test on error.
 */
#ifndef NB_TEST_STORE_FIXTURE_H
#define NB_TEST_STORE_FIXTURE_H

#include <stddef.h>
#include <sqlite3.h>

#include "store/store.h"

extern char tmp_root[256];

/* The suite's init and fini: a fresh temp folder, removed after the test. */
void make_tmp(void);
void drop_tmp(void);

/* tmp_root/rel, malloc'd. */
char *path_in(const char *rel);

nb__store_t *open_mem(void);
nb__store_t *open_disk(const char *service, char *dir);

int query_int(sqlite3 *db, const char *sql);
char *query_text(sqlite3 *db, const char *sql);
void exec_ok(sqlite3 *db, const char *sql);

/* A service's schema at version 1 and 2 (2 adds a column and a table). */
extern const char *const schema_v1[1];
extern const char *const schema_v2[2];
void migrate_ok(sqlite3 *db, const char *const *scripts, size_t n);

int file_exists(const char *p);
/* A file's first MiB, malloc'd; NULL if it cannot be opened. */
char *read_file(const char *p, size_t *len);

/* An on-lost-writes callback that counts its calls in the int at data. */
void count_lost(void *data);

#endif
