/*
 * Store tests. The statement cache and nb_store_run: prepared once, reset, refused when bad.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/body.h"
#include "nimbus/store.h"
#include "store/store.h"
#include "store/store_impl.h"
#include "support/store_fixture.h"

TestSuite(store, .init = make_tmp, .fini = drop_tmp);

Test(store, statement_cache_prepares_once_and_resets_on_fetch) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    migrate_ok(cache.db, schema_v1, 1);
    exec_ok(cache.db, "INSERT INTO queues VALUES ('a', 'r', 'q1'), ('a', 'r', 'q2')");

    const char *sql = "SELECT name FROM queues WHERE name = ?1";
    sqlite3_stmt *s1 = nb_store_stmt(&cache, sql);
    cr_assert_not_null(s1);
    sqlite3_bind_text(s1, 1, "q1", -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(s1), SQLITE_ROW); /* left mid-way on purpose */

    /* A different buffer with the same text is the same statement. */
    char copy[128];
    strcpy(copy, sql);
    sqlite3_stmt *s2 = nb_store_stmt(&cache, copy);
    cr_assert_eq(s2, s1);
    cr_assert_not(sqlite3_stmt_busy(s2), "fetch resets");
    cr_assert_eq(sqlite3_step(s2), SQLITE_DONE, "fetch clears bindings: name = NULL matches nothing");

    sqlite3_stmt *other = nb_store_stmt(&cache, "SELECT count(*) FROM queues");
    cr_assert_not_null(other);
    cr_assert_neq(other, s1);
    cr_assert_eq(sqlite3_step(other), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(other, 0), 2);
    nb_store_fini(&cache);
    nb__store_close(st);
}

Test(store, statement_cache_grows_and_keeps_identity) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    sqlite3_stmt *seen[200];
    char sql[64];
    for (int i = 0; i < 200; i++) {
        snprintf(sql, sizeof(sql), "SELECT %d", i);
        seen[i] = nb_store_stmt(&cache, sql);
        cr_assert_not_null(seen[i]);
    }
    cr_assert_eq(cache.count, 200);
    for (int i = 0; i < 200; i++) {
        snprintf(sql, sizeof(sql), "SELECT %d", i);
        sqlite3_stmt *s = nb_store_stmt(&cache, sql);
        cr_assert_eq(s, seen[i], "statement %d", i);
        cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
        cr_assert_eq(sqlite3_column_int(s, 0), i);
    }
    cr_assert_eq(cache.count, 200);
    nb_store_fini(&cache);
    nb__store_close(st);
}

Test(store, statement_cache_rejects_bad_and_multiple_statements) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    cr_assert_null(nb_store_stmt(&cache, "SELEKT 1"));
    cr_assert(strstr(sqlite3_errmsg(cache.db), "syntax") != NULL, "%s", sqlite3_errmsg(cache.db));
    cr_assert_null(nb_store_stmt(&cache, "SELECT 1; SELECT 2"));
    cr_assert_not_null(nb_store_stmt(&cache, "SELECT 1;  \n"));
    cr_assert_eq(cache.count, 1);
    nb_store_fini(&cache);
    nb__store_close(st);
}

Test(store, run_steps_a_write_to_completion) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    migrate_ok(cache.db, schema_v1, 1);
    sqlite3_stmt *ins = nb_store_stmt(&cache, "INSERT INTO queues VALUES (?1, ?2, ?3)");
    sqlite3_bind_text(ins, 1, "a", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, "r", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, "q", -1, SQLITE_STATIC);
    cr_assert_eq(nb_store_run(ins), 0);
    cr_assert_eq(nb_store_run(ins), NB_ESTORE, "the same key twice violates the primary key");
    cr_assert(strstr(sqlite3_errmsg(cache.db), "UNIQUE") != NULL, "%s", sqlite3_errmsg(cache.db));
    cr_assert_eq(query_int(cache.db, "SELECT count(*) FROM queues"), 1);
    nb_store_fini(&cache);
    nb__store_close(st);
}

/* The cache is keyed by the SQL's address first (include/nimbus/store.h, recent): a buffer that
 * now holds other text is another statement, and the first text there again is its own. */
Test(store, statement_cache_by_address_follows_the_text_at_it) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    char sql[64];
    strcpy(sql, "SELECT 'first'");
    sqlite3_stmt *first = nb_store_stmt(&cache, sql);
    cr_assert_not_null(first);
    strcpy(sql, "SELECT 'second'");
    sqlite3_stmt *second = nb_store_stmt(&cache, sql);
    cr_assert_not_null(second);
    cr_assert_neq(second, first);
    cr_assert_eq(sqlite3_step(second), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(second, 0), "second");
    strcpy(sql, "SELECT 'first'");
    cr_assert_eq(nb_store_stmt(&cache, sql), first);
    static const char literal[] = "SELECT 'second'";
    cr_assert_eq(nb_store_stmt(&cache, literal), second, "the same text at another address");
    cr_assert_eq(nb_store_stmt(&cache, literal), second, "and again from its own address");
    cr_assert_eq(cache.count, 2);
    nb_store_fini(&cache);
    nb__store_close(st);
}
