/*
 * Store tests. Account and region scoping: a statement sees only its own account and region.
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

static void seed_scopes(sqlite3 *db) {
    exec_ok(db, "INSERT INTO queues VALUES ('111111111111', 'us-east-1', 'a'), ('111111111111', 'us-east-1', 'b'),"
                "('111111111111', 'eu-west-1', 'c'), ('222222222222', 'us-east-1', 'd')");
}

static int scoped_count(nb_store_t *cache, const char *account, const char *region) {
    sqlite3_stmt *s = nb_store_stmt_scoped(
        cache, "SELECT count(*) FROM queues WHERE account = :account AND region = :region", account, region);
    cr_assert_not_null(s);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    return sqlite3_column_int(s, 0);
}

Test(store, scoped_statements_see_only_their_account_and_region) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    migrate_ok(cache.db, schema_v1, 1);
    seed_scopes(cache.db);
    cr_assert_eq(scoped_count(&cache, "111111111111", "us-east-1"), 2);
    cr_assert_eq(scoped_count(&cache, "111111111111", "eu-west-1"), 1);
    cr_assert_eq(scoped_count(&cache, "222222222222", "us-east-1"), 1);
    cr_assert_eq(scoped_count(&cache, "222222222222", "eu-west-1"), 0);

    /* By name within a scope, with a positional parameter beside the named ones. */
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &cache, "SELECT name FROM queues WHERE account = :account AND region = :region AND name = ?9",
        "222222222222", "us-east-1");
    sqlite3_bind_text(s, 9, "a", -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "another account's queue is invisible");
    nb_store_fini(&cache);
    nb__store_close(st);
}

Test(store, scope_binding_requires_an_account_parameter) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    migrate_ok(cache.db, schema_v1, 1);
    sqlite3_stmt *s = nb_store_stmt(&cache, "SELECT count(*) FROM queues WHERE region = :region");
    cr_assert_eq(nb_store_bind_scope(s, "111111111111", "us-east-1"), NB_EINVAL);
    cr_assert_null(nb_store_stmt_scoped(&cache, "SELECT count(*) FROM queues", "1", "r"));
    cr_assert_eq(nb_store_bind_scope(NULL, "1", "r"), NB_EINVAL);
    nb_store_fini(&cache);
    nb__store_close(st);
}

/* SQLite gives :account the next free index, so a ?N written after it can be
 * the same parameter: binding N would silently overwrite the account. */
Test(store, scope_binding_refuses_numbered_parameters_that_alias_the_scope) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    migrate_ok(cache.db, schema_v1, 1);
    cr_assert_null(nb_store_stmt_scoped(
        &cache, "SELECT count(*) FROM queues WHERE account = :account AND region = :region AND name = ?1", "1", "r"));
    cr_assert_null(nb_store_stmt_scoped(
        &cache, "SELECT count(*) FROM queues WHERE account = :account AND region = :region AND name = ?2", "1", "r"));
    /* Numbered first, or above the scope's indexes, or in a string literal: fine. */
    sqlite3_stmt *ins = nb_store_stmt_scoped(&cache, "INSERT INTO queues(name, account, region) VALUES (?1, :account, :region)",
                                             "111111111111", "us-east-1");
    cr_assert_not_null(ins);
    sqlite3_bind_text(ins, 1, "q1", -1, SQLITE_STATIC);
    cr_assert_eq(nb_store_run(ins), 0);
    sqlite3_stmt *s = nb_store_stmt_scoped(
        &cache, "SELECT name FROM queues WHERE account = :account AND region = :region AND name = ?3 AND '?1' = '?1'",
        "111111111111", "us-east-1");
    cr_assert_not_null(s);
    sqlite3_bind_text(s, 3, "q1", -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "q1");
    sqlite3_reset(s);
    nb_store_fini(&cache);
    nb__store_close(st);
}

Test(store, global_rows_bind_the_global_region) {
    nb__store_t *st = open_mem();
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    migrate_ok(cache.db, schema_v1, 1);
    sqlite3_stmt *ins = nb_store_stmt_scoped(&cache, "INSERT INTO queues VALUES (:account, :region, 'user')",
                                             "111111111111", NULL);
    cr_assert_eq(nb_store_run(ins), 0);
    cr_assert_eq(scoped_count(&cache, "111111111111", NB_STORE_GLOBAL), 1);
    cr_assert_eq(scoped_count(&cache, "111111111111", "us-east-1"), 0);
    /* Account-wide lookups leave :region out. */
    sqlite3_stmt *s =
        nb_store_stmt_scoped(&cache, "SELECT count(*) FROM queues WHERE account = :account", "111111111111", NULL);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(s, 0), 1);
    nb_store_fini(&cache);
    nb__store_close(st);
}
