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

/* ------------------------------------------------------------------ helpers */

static char tmp_root[256];

static void make_tmp(void) {
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/nb-test-store-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp_root));
}
static void drop_tmp(void) {
    chmod(tmp_root, 0700);
    nb__store_remove_tree(tmp_root, 0, 0);
}

TestSuite(store, .init = make_tmp, .fini = drop_tmp);

static char *path_in(const char *rel) {
    char *p = malloc(strlen(tmp_root) + strlen(rel) + 2);
    sprintf(p, "%s/%s", tmp_root, rel);
    return p;
}

static nb__store_t *open_mem(void) {
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("svc", NULL, &st, &err), 0, "%s", err ? err : "");
    return st;
}

static nb__store_t *open_disk(const char *service, char *dir) {
    nb__store_config_t cfg = {.persistence = 1, .data_dir = dir};
    nb__store_t *st = NULL;
    char *err = NULL;
    int rc = nb__store_open(service, &cfg, &st, &err);
    cr_assert_eq(rc, 0, "open %s in %s: %s", service, dir, err ? err : "");
    return st;
}

static int query_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    int v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
}

static char *query_text(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    char *v = NULL;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
        v = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return v;
}

static void exec_ok(sqlite3 *db, const char *sql) {
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
}

static const char *const schema_v1[] = {
    "CREATE TABLE queues(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, PRIMARY KEY(account, region, name));",
};
static const char *const schema_v2[] = {
    "CREATE TABLE queues(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, PRIMARY KEY(account, region, name));",
    "ALTER TABLE queues ADD COLUMN delay INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE messages(id INTEGER PRIMARY KEY AUTOINCREMENT, " NB_STORE_SCOPE_COLUMNS ", body TEXT);",
};

static void migrate_ok(sqlite3 *db, const char *const *scripts, size_t n) {
    char *err = NULL;
    int rc = nb_store_migrate(db, scripts, n, &err);
    cr_assert_eq(rc, 0, "%s", err ? err : "");
    cr_assert_null(err);
}

static int file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

static char *read_file(const char *p, size_t *len) {
    FILE *f = fopen(p, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* --------------------------------------------------------------- migrations */

Test(store, migrate_fresh_database_to_latest) {
    nb__store_t *st = open_mem();
    sqlite3 *db = nb__store_db(st);
    cr_assert_eq(nb_store_version(db), 0);
    migrate_ok(db, schema_v2, NB_STORE_COUNT(schema_v2));
    cr_assert_eq(nb_store_version(db), 2);
    exec_ok(db, "INSERT INTO queues(account, region, name, delay) VALUES ('1', 'r', 'q', 5)");
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('1', 'r', 'hello')");
    /* Running it again at the latest version changes nothing. */
    migrate_ok(db, schema_v2, NB_STORE_COUNT(schema_v2));
    cr_assert_eq(query_int(db, "SELECT count(*) FROM queues"), 1);
    nb__store_close(st);
}

Test(store, migrate_upgrades_an_older_database_keeping_rows) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    migrate_ok(nb__store_db(st), schema_v1, 1);
    exec_ok(nb__store_db(st), "INSERT INTO queues VALUES ('000000000000', 'us-east-1', 'old')");
    nb__store_close(st);

    st = open_disk("sqs", tmp_root);
    sqlite3 *db = nb__store_db(st);
    cr_assert_eq(nb_store_version(db), 1);
    migrate_ok(db, schema_v2, 2);
    cr_assert_eq(nb_store_version(db), 2);
    cr_assert_eq(query_int(db, "SELECT delay FROM queues WHERE name = 'old'"), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM messages"), 0);
    nb__store_close(st);
}

Test(store, migrate_refuses_a_newer_database_untouched) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    migrate_ok(nb__store_db(st), schema_v2, 2);
    exec_ok(nb__store_db(st), "PRAGMA user_version = 7");
    nb__store_close(st);

    st = open_disk("sqs", tmp_root);
    char *err = NULL;
    int rc = nb_store_migrate(nb__store_db(st), schema_v2, 2, &err);
    cr_assert_eq(rc, NB_ESTORE);
    cr_assert_not_null(err);
    char *db_path = path_in("sqs.db");
    cr_assert(strstr(err, db_path) != NULL, "message names the file: %s", err);
    cr_assert(strstr(err, "version 7") != NULL && strstr(err, "newer") != NULL, "%s", err);
    cr_assert_eq(nb_store_version(nb__store_db(st)), 7);
    sqlite3_free(err);
    free(db_path);
    nb__store_close(st);
}

Test(store, failed_migration_applies_nothing) {
    static const char *const broken[] = {
        "CREATE TABLE a(x);",
        "CREATE TABLE b(y); INSERT INTO no_such_table VALUES (1);",
    };
    nb__store_t *st = open_mem();
    sqlite3 *db = nb__store_db(st);
    char *err = NULL;
    cr_assert_eq(nb_store_migrate(db, broken, 2, &err), NB_ESTORE);
    cr_assert(strstr(err, "version 1 to 2") != NULL && strstr(err, "no_such_table") != NULL, "%s", err);
    sqlite3_free(err);
    cr_assert_eq(nb_store_version(db), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('a', 'b')"), 0);
    cr_assert(sqlite3_get_autocommit(db), "no transaction left open");
    nb__store_close(st);
}

Test(store, migration_inside_a_request_transaction_is_a_savepoint) {
    nb__store_t *st = open_mem();
    sqlite3 *db = nb__store_db(st);
    cr_assert_eq(nb__store_begin(st), 0);
    migrate_ok(db, schema_v1, 1);
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(nb_store_version(db), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_schema"), 0);
    nb__store_close(st);
}

/* ------------------------------------------------------- statement cache */

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

/* ----------------------------------------------------------------- scoping */

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

/* ------------------------------------------------------------ transactions */

Test(store, nested_transactions_roll_back_only_their_part) {
    nb__store_t *st = open_mem();
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v1, 1);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'outer')");
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_depth(st), 2);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'inner-undone')");
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'inner-kept')");
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_not(sqlite3_get_autocommit(db), "inner commit does not commit the outer transaction");
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_eq(nb__store_depth(st), 0);
    cr_assert(sqlite3_get_autocommit(db));
    cr_assert_eq(query_int(db, "SELECT count(*) FROM queues WHERE name IN ('outer', 'inner-kept')"), 2);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM queues WHERE name = 'inner-undone'"), 0);
    cr_assert_eq(nb__store_commit(st), NB_EINVAL);
    cr_assert_eq(nb__store_rollback(st), NB_EINVAL);
    nb__store_close(st);
}

Test(store, outer_rollback_undoes_everything) {
    nb__store_t *st = open_mem();
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v1, 1);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'x')");
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'y')");
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM queues"), 0);
    nb__store_close(st);
}

Test(store, commit_after_the_transaction_was_lost_reports_failure) {
    nb__store_t *st = open_mem();
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v1, 1);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'x')");
    /* Stands for SQLite rolling back on its own after an I/O error. */
    exec_ok(db, "ROLLBACK");
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'autocommitted')");
    cr_assert_eq(nb__store_commit(st), NB_ESTORE);
    cr_assert_eq(nb__store_commit(st), NB_ESTORE);
    cr_assert(strstr(nb__store_errmsg(st), "rolled back") != NULL, "%s", nb__store_errmsg(st));
    cr_assert_eq(nb__store_depth(st), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM queues WHERE name = 'x'"), 0);
    /* The store is usable again. */
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_commit(st), 0);
    nb__store_close(st);
}

Test(store, commit_resets_a_statement_left_mid_way) {
    nb__store_t *st = open_disk("svc", tmp_root);
    nb_store_t cache;
    nb_store_init(&cache, nb__store_db(st));
    migrate_ok(cache.db, schema_v1, 1);
    exec_ok(cache.db, "INSERT INTO queues VALUES ('a', 'r', 'q1'), ('a', 'r', 'q2')");
    cr_assert_eq(nb__store_begin(st), 0);
    sqlite3_stmt *sel = nb_store_stmt(&cache, "SELECT name FROM queues");
    cr_assert_eq(sqlite3_step(sel), SQLITE_ROW); /* a handler that stopped at its first row */
    exec_ok(cache.db, "INSERT INTO queues VALUES ('a', 'r', 'q3')");
    cr_assert_eq(nb__store_commit(st), 0, "%s", nb__store_errmsg(st));
    cr_assert(sqlite3_get_autocommit(cache.db));
    /* A statement left mid-way would pin a read snapshot past the request and
     * keep the WAL from being checkpointed: the commit reset it. */
    cr_assert_not(sqlite3_stmt_busy(sel));
    nb_store_fini(&cache);
    nb__store_close(st);
    st = open_disk("svc", tmp_root);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM queues"), 3);
    nb__store_close(st);
}

/* ------------------------------------------------------------- reset, counts */

static const char *const schema_fk[] = {
    "CREATE TABLE buckets(" NB_STORE_SCOPE_COLUMNS ", name TEXT PRIMARY KEY);"
    "CREATE TABLE objects(id INTEGER PRIMARY KEY AUTOINCREMENT, " NB_STORE_SCOPE_COLUMNS
    ", bucket TEXT NOT NULL REFERENCES buckets(name), key TEXT);"
    "CREATE TABLE users(account TEXT NOT NULL, name TEXT);"
    "CREATE TABLE settings(k TEXT PRIMARY KEY, v TEXT);"
    "CREATE TABLE _meta(k TEXT);"
    "CREATE VIEW bucket_names AS SELECT name FROM buckets;",
};

static void seed_fk(sqlite3 *db) {
    exec_ok(db, "INSERT INTO buckets VALUES ('111111111111', 'us-east-1', 'b1'), ('111111111111', 'eu-west-1', 'b2'),"
                "('222222222222', 'us-east-1', 'b3');"
                "INSERT INTO objects(account, region, bucket, key) VALUES ('111111111111', 'us-east-1', 'b1', 'k1'),"
                "('111111111111', 'us-east-1', 'b1', 'k2');"
                "INSERT INTO users VALUES ('111111111111', 'alice'), ('111111111111', 'bob');"
                "INSERT INTO settings VALUES ('x', 'y');"
                "INSERT INTO _meta VALUES ('m');");
}

Test(store, reset_deletes_rows_and_blobs_but_keeps_schema_and_version) {
    nb__store_t *st = open_disk("s3", tmp_root);
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_fk, 1);
    seed_fk(db);
    cr_assert_eq(nb__store_blob_put(st, "b1/obj", "data", 4), 0);
    char *blob = NULL;
    cr_assert_eq(nb__store_blob_path(st, "b1/obj", &blob), 0);
    cr_assert(file_exists(blob));

    cr_assert_eq(nb__store_reset(st), 0, "%s", nb__store_errmsg(st));
    cr_assert_eq(query_int(db, "SELECT (SELECT count(*) FROM buckets) + (SELECT count(*) FROM objects) +"
                               "(SELECT count(*) FROM users) + (SELECT count(*) FROM settings) +"
                               "(SELECT count(*) FROM _meta)"),
                 0);
    cr_assert_not(file_exists(blob), "blobs are state too");
    cr_assert_eq(nb_store_version(db), 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                               "('buckets', 'objects', 'users', 'settings', '_meta', 'bucket_names')"),
                 6);
    /* A reset store behaves like a new one: ids start over, foreign keys still hold. */
    exec_ok(db, "INSERT INTO buckets VALUES ('1', 'r', 'b9')");
    exec_ok(db, "INSERT INTO objects(account, region, bucket, key) VALUES ('1', 'r', 'b9', 'k')");
    cr_assert_eq(query_int(db, "SELECT id FROM objects"), 1);
    cr_assert_neq(sqlite3_exec(db, "INSERT INTO objects(account, region, bucket) VALUES ('1', 'r', 'nope')", NULL,
                               NULL, NULL),
                  SQLITE_OK);
    free(blob);
    nb__store_close(st);

    /* and the reset is durable */
    st = open_disk("s3", tmp_root);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM users"), 0);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM buckets"), 1);
    nb__store_close(st);
}

Test(store, reset_is_refused_inside_a_transaction) {
    nb__store_t *st = open_mem();
    migrate_ok(nb__store_db(st), schema_fk, 1);
    seed_fk(nb__store_db(st));
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_reset(st), NB_EINVAL);
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM buckets"), 3);
    nb__store_close(st);
}

Test(store, counts_per_table_account_and_region) {
    nb__store_t *st = open_mem();
    migrate_ok(nb__store_db(st), schema_fk, 1);
    seed_fk(nb__store_db(st));
    json_t *out = json_object();
    cr_assert_eq(nb__store_counts(st, out), 0, "%s", nb__store_errmsg(st));
    json_t *want = json_pack(
        "{s:{s:i,s:{s:{s:i,s:i},s:{s:i}}},s:{s:i,s:{s:{s:i}}},s:{s:i,s:{s:{s:i}}},s:{s:i}}",
        "buckets", "total", 3, "accounts", "111111111111", "us-east-1", 1, "eu-west-1", 1, "222222222222",
        "us-east-1", 1,
        "objects", "total", 2, "accounts", "111111111111", "us-east-1", 2,
        "users", "total", 2, "accounts", "111111111111", "global", 2,
        "settings", "total", 1);
    char *got = json_dumps(out, JSON_SORT_KEYS);
    cr_assert(json_equal(out, want), "got %s", got);
    free(got);
    json_decref(want);
    json_decref(out);

    cr_assert_eq(nb__store_reset(st), 0);
    out = json_object();
    cr_assert_eq(nb__store_counts(st, out), 0);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(out, "buckets"), "total")), 0);
    cr_assert_eq(json_object_size(json_object_get(json_object_get(out, "buckets"), "accounts")), 0);
    json_decref(out);
    cr_assert_eq(nb__store_counts(st, NULL), NB_EINVAL);
    nb__store_close(st);
}

/* ---------------------------------------------------------------- on disk */

Test(store, persisted_rows_survive_close_and_reopen_in_wal_mode) {
    char *dir = path_in("data/nested");
    nb__store_t *st = open_disk("sqs", dir);
    char *want_path = path_in("data/nested/sqs.db");
    cr_assert_str_eq(nb__store_path(st), want_path);
    sqlite3 *db = nb__store_db(st);
    char *mode = query_text(db, "PRAGMA journal_mode");
    cr_assert_str_eq(mode, "wal");
    free(mode);
    cr_assert_eq(query_int(db, "PRAGMA synchronous"), 2, "FULL by default");
    migrate_ok(db, schema_v1, 1);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('000000000000', 'us-east-1', 'kept')");
    cr_assert_eq(nb__store_commit(st), 0);
    nb__store_close(st);

    st = open_disk("sqs", dir);
    char *name = query_text(nb__store_db(st), "SELECT name FROM queues");
    cr_assert_str_eq(name, "kept");
    free(name);
    nb__store_close(st);
    free(dir);
    free(want_path);
}

Test(store, memory_store_starts_empty_every_time) {
    nb__store_t *st = open_mem();
    cr_assert_null(nb__store_path(st));
    migrate_ok(nb__store_db(st), schema_v1, 1);
    exec_ok(nb__store_db(st), "INSERT INTO queues VALUES ('a', 'r', 'gone')");
    nb__store_close(st);
    st = open_mem();
    cr_assert_eq(nb_store_version(nb__store_db(st)), 0);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM sqlite_schema"), 0);
    nb__store_close(st);
}

Test(store, normal_sync_is_configurable) {
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root, .sync = NB__STORE_SYNC_NORMAL};
    nb__store_t *st = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, NULL), 0);
    cr_assert_eq(query_int(nb__store_db(st), "PRAGMA synchronous"), 1);
    nb__store_close(st);
}

Test(store, data_dir_under_a_file_is_reported_with_its_path) {
    char *file = path_in("plainfile");
    FILE *f = fopen(file, "w");
    fputs("x", f);
    fclose(f);
    char *dir = path_in("plainfile/data");
    char *err = NULL;
    cr_assert_eq(nb__store_check_data_dir(dir, &err), NB_EIO);
    cr_assert(strstr(err, dir) != NULL && strstr(err, "Not a directory") != NULL, "%s", err);
    free(err);
    err = NULL;
    nb__store_config_t cfg = {.persistence = 1, .data_dir = dir};
    nb__store_t *st = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, &err), NB_EIO);
    cr_assert_null(st);
    cr_assert(strstr(err, dir) != NULL, "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(nb__store_check_data_dir(file, &err), NB_EIO);
    cr_assert(strstr(err, file) != NULL, "%s", err);
    free(err);
    cr_assert_eq(nb__store_check_data_dir("", &err), NB_EINVAL);
    free(err);
    free(dir);
    free(file);
}

/* Out of descriptors, a store cannot open now but can later: NB_EAGAIN (the service is
 * started again on a later request), and the same store opens once descriptors are free. */
Test(store, a_store_without_descriptors_to_open_says_try_again) {
    nb__store_t *saved = open_disk("sqs", tmp_root); /* an existing database, as after a restart */
    nb__store_close(saved);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {64, 64};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(3);
        int last = -1;
        for (int fd; (fd = dup(0)) >= 0;)
            last = fd;
        nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root};
        nb__store_t *st = NULL;
        char *err = NULL;
        int rc = nb__store_open("sqs", &cfg, &st, &err);
        if (rc != NB_EAGAIN || st != NULL || err == NULL || strstr(err, "Too many open files") == NULL)
            _exit(1);
        free(err);
        for (int fd = 3; fd <= last; fd++)
            close(fd);
        rc = nb__store_open("sqs", &cfg, &st, NULL);
        nb__store_close(st);
        _exit(rc == 0 ? 0 : 2);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

/* Root ignores permission bits: drop to nobody in a child to see what a user sees. */
Test(store, unwritable_data_dir_is_reported_with_its_path) {
    char *locked = path_in("locked");
    cr_assert_eq(mkdir(locked, 0555), 0);
    chmod(tmp_root, 0755);
    char *dir = path_in("locked/data");
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        char *err = NULL, *err2 = NULL;
        int rc = nb__store_check_data_dir(dir, &err);         /* to be created in it */
        int rc2 = nb__store_check_data_dir(locked, &err2);    /* exists, read-only */
        if (err == NULL || err2 == NULL || dprintf(fds[1], "%s\n%s", err, err2) < 0)
            _exit(4);
        /* NB_EAGAIN: permissions an operator can fix while the server runs (a later request retries) */
        _exit(rc == NB_EAGAIN && rc2 == NB_EAGAIN ? 0 : 1);
    }
    close(fds[1]);
    char msg[1024] = {0};
    size_t got = 0;
    ssize_t n;
    while (got < sizeof(msg) - 1 && (n = read(fds[0], msg + got, sizeof(msg) - 1 - got)) > 0)
        got += (size_t)n;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d: %s", status, msg);
    char *second = strchr(msg, '\n');
    cr_assert_not_null(second, "%s", msg);
    *second++ = '\0';
    cr_assert(strstr(msg, dir) != NULL && strstr(msg, "Permission denied") != NULL, "%s", msg);
    cr_assert(strstr(msg, "cannot create") != NULL, "%s", msg);
    cr_assert(strstr(second, locked) != NULL && strstr(second, "not writable: Permission denied") != NULL, "%s",
              second);
    free(dir);
    free(locked);
}

Test(store, garbage_database_file_is_refused_with_its_path) {
    char *db = path_in("sqs.db");
    FILE *f = fopen(db, "w");
    for (int i = 0; i < 300; i++)
        fputs("this is not a database, just some text. ", f);
    fclose(f);
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root};
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, &err), NB_ESTORE);
    cr_assert_null(st);
    cr_assert(strstr(err, db) != NULL && strstr(err, "not a SQLite database") != NULL, "%s", err);
    free(err);
    /* the file is left as it was, for the user to inspect */
    size_t len = 0;
    char *content = read_file(db, &len);
    cr_assert(len > 0 && strncmp(content, "this is not", 11) == 0);
    free(content);
    free(db);
}

Test(store, damaged_pages_are_detected_at_open) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    sqlite3 *sdb = nb__store_db(st);
    migrate_ok(sdb, schema_v2, 2);
    exec_ok(sdb, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                 "INSERT INTO messages(account, region, body) SELECT 'a', 'r', printf('%0200d', i) FROM n");
    nb__store_close(st); /* checkpoints the WAL into the file */
    char *db = path_in("sqs.db");
    struct stat sb;
    cr_assert_eq(stat(db, &sb), 0);
    cr_assert_gt(sb.st_size, 16 * 4096);
    int fd = open(db, O_WRONLY);
    char junk[4096];
    memset(junk, 0xA5, sizeof(junk));
    /* trash interior pages, keep the header page */
    for (off_t off = 4096 * 3; off < 4096 * 12; off += 4096)
        cr_assert_eq(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
    close(fd);
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root};
    char *err = NULL;
    st = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, &err), NB_ESTORE);
    cr_assert(strstr(err, db) != NULL && strstr(err, "corrupt") != NULL, "%s", err);
    free(err);
    free(db);
}

Test(store, another_applications_database_is_refused) {
    char *db_path = path_in("sqs.db");
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    exec_ok(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
    sqlite3_close(db);
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root};
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &st, &err), NB_ESTORE);
    cr_assert(strstr(err, db_path) != NULL && strstr(err, "another application") != NULL, "%s", err);
    free(err);
    free(db_path);
}

Test(store, a_second_server_on_the_same_data_dir_is_refused) {
    nb__store_t *first = open_disk("sqs", tmp_root);
    migrate_ok(nb__store_db(first), schema_v1, 1);
    nb__store_config_t cfg = {.persistence = 1, .data_dir = tmp_root, .busy_timeout_ms = 50};
    nb__store_t *second = NULL;
    char *err = NULL;
    /* NB_EAGAIN: the server holding it may be stopping */
    cr_assert_eq(nb__store_open("sqs", &cfg, &second, &err), NB_EAGAIN);
    cr_assert(strstr(err, "locked") != NULL, "%s", err);
    free(err);
    nb__store_close(first);
    err = NULL;
    cr_assert_eq(nb__store_open("sqs", &cfg, &second, &err), 0, "%s", err ? err : "");
    nb__store_close(second);
}

Test(store, invalid_service_names_are_refused) {
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("../etc", NULL, &st, &err), NB_EINVAL);
    cr_assert(strstr(err, "../etc") != NULL);
    free(err);
    cr_assert_eq(nb__store_open("", NULL, &st, NULL), NB_EINVAL);
}

/* RLIMIT_FSIZE stands in for a full disk: a write() past it fails with EFBIG.
 * limit_file_size(n) returns the limit to give back to restore_file_size. */
static struct rlimit limit_file_size(rlim_t bytes) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = bytes;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    return old;
}

static void restore_file_size(struct rlimit old) {
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
}

/* A write that does not fit (the disk is full) fails the commit, rolls back and
 * leaves a consistent database that takes the next write. */
Test(store, failed_commit_on_a_full_disk_rolls_back_cleanly) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v2, 2);
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', 'before')");
    struct rlimit old = limit_file_size(256 * 1024);

    int failed_at_commit = 0;
    cr_assert_eq(nb__store_begin(st), 0);
    int rc = sqlite3_exec(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', 'small');"
                              "INSERT INTO messages(account, region, body) VALUES ('a', 'r', randomblob(2000000))",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        failed_at_commit = nb__store_commit(st) == NB_ESTORE;
        cr_assert(failed_at_commit, "a 2 MB commit cannot fit in 256 kB");
        cr_assert(strstr(nb__store_errmsg(st), "commit failed") != NULL, "%s", nb__store_errmsg(st));
    } else {
        /* the statement spilled and failed first: the gateway rolls back */
        cr_assert_eq(nb__store_rollback(st), 0);
    }
    cr_assert_eq(nb__store_depth(st), 0);
    cr_assert(sqlite3_get_autocommit(db));
    restore_file_size(old);

    cr_assert_eq(query_int(db, "SELECT count(*) FROM messages"), 1, "nothing of the failed request stayed");
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', 'after')");
    cr_assert_eq(nb__store_commit(st), 0, "%s", nb__store_errmsg(st));
    nb__store_close(st);

    st = open_disk("sqs", tmp_root);
    char *ok = query_text(nb__store_db(st), "PRAGMA integrity_check");
    cr_assert_str_eq(ok, "ok");
    free(ok);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM messages WHERE body IN ('before', 'after')"), 2);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM messages"), 2);
    nb__store_close(st);
}

/* -------------------------------------------------------------------- blobs */

Test(store, blobs_are_written_whole_and_removed) {
    nb__store_t *st = open_disk("s3", tmp_root);
    cr_assert_eq(nb__store_blob_put(st, "bucket-1/obj.v1", "hello world", 11), 0);
    char *path = NULL;
    cr_assert_eq(nb__store_blob_path(st, "bucket-1/obj.v1", &path), 0);
    char *want = path_in("s3/blobs/bucket-1/obj.v1");
    cr_assert_str_eq(path, want);
    size_t len = 0;
    char *data = read_file(path, &len);
    cr_assert_eq(len, 11);
    cr_assert_eq(memcmp(data, "hello world", 11), 0);
    free(data);

    /* streamed, replacing the same key */
    nb__store_blob_writer_t *w;
    cr_assert_eq(nb__store_blob_begin(st, "bucket-1/obj.v1", &w), 0);
    cr_assert_eq(nb__store_blob_append(w, "new ", 4), 0);
    data = read_file(path, &len);
    cr_assert_eq(len, 11, "the old content stays visible until finish");
    free(data);
    cr_assert_eq(nb__store_blob_append(w, "content", 7), 0);
    cr_assert_eq(nb__store_blob_finish(w), 0);
    data = read_file(path, &len);
    cr_assert_eq(len, 11);
    cr_assert_eq(memcmp(data, "new content", 11), 0);
    free(data);

    /* aborted: nothing appears */
    cr_assert_eq(nb__store_blob_begin(st, "bucket-1/never", &w), 0);
    cr_assert_eq(nb__store_blob_append(w, "x", 1), 0);
    nb__store_blob_abort(w);
    char *never = path_in("s3/blobs/bucket-1/never");
    cr_assert_not(file_exists(never));

    cr_assert_eq(nb__store_blob_remove(st, "bucket-1/obj.v1"), 0);
    cr_assert_not(file_exists(path));
    cr_assert_eq(nb__store_blob_remove(st, "bucket-1/obj.v1"), NB_ENOENT);
    /* only the empty folder is left: no temp files */
    char *folder = path_in("s3/blobs/bucket-1");
    cr_assert_eq(rmdir(folder), 0);
    free(folder);
    free(never);
    free(want);
    free(path);
    nb__store_close(st);
}

static void count_lost(void *data) { (*(int *)data)++; }

/* An overwritten object's old body goes only when the rows that pointed to it go:
 * at the commit, not on a rollback, a rolled-back savepoint or a failed commit. */
Test(store, blob_removed_at_commit_stays_when_the_writes_are_lost) {
    nb__store_t *st = open_disk("s3", tmp_root);
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v1, 1);
    int lost = 0;
    nb__store_on_lost_writes(st, count_lost, &lost);
    cr_assert_eq(nb__store_blob_put(st, "b/old", "old", 3), 0);
    char *path = NULL;
    cr_assert_eq(nb__store_blob_path(st, "b/old", &path), 0);

    /* rolled back: stays */
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/old"), 0);
    cr_assert(file_exists(path), "not before the commit");
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert(file_exists(path));

    /* asked inside a savepoint that rolls back: forgotten, the outer commit keeps it */
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/old"), 0);
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert(file_exists(path));

    /* the transaction was lost before its commit: stays, and the plugin is told */
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO queues VALUES ('a', 'r', 'x')");
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/old"), 0);
    exec_ok(db, "ROLLBACK"); /* stands for SQLite rolling back after an I/O error */
    cr_assert_eq(nb__store_commit(st), NB_ESTORE);
    cr_assert(file_exists(path));
    cr_assert_eq(lost, 1);

    /* asked inside a released savepoint: removed at the outer commit */
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/old"), 0);
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert(file_exists(path), "not before the outer commit");
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_not(file_exists(path));
    cr_assert_eq(lost, 1, "a commit that succeeds loses nothing");

    /* outside a transaction: at once */
    cr_assert_eq(nb__store_blob_put(st, "b/now", "x", 1), 0);
    cr_assert_eq(nb__store_blob_remove_at_commit(st, "b/now"), 0);
    char *now = NULL;
    cr_assert_eq(nb__store_blob_path(st, "b/now", &now), 0);
    cr_assert_not(file_exists(now));
    free(now);
    free(path);
    nb__store_close(st);
}

/* A commit the disk cannot take tells the plugin its writes are gone; a rollback the
 * handler asked for (it answered an error) does not. The row (100 kB) stays in SQLite's
 * page cache until the commit writes it to the WAL, past the 64 kB file limit. */
Test(store, failed_commit_on_a_full_disk_reports_lost_writes) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    sqlite3 *db = nb__store_db(st);
    migrate_ok(db, schema_v2, 2);
    int lost = 0;
    nb__store_on_lost_writes(st, count_lost, &lost);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', 'asked back')");
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_eq(lost, 0, "a rollback the handler asked for is not a loss it must be told about");

    struct rlimit old = limit_file_size(64 * 1024);
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(db, "INSERT INTO messages(account, region, body) VALUES ('a', 'r', randomblob(100000))");
    int commit = nb__store_commit(st);
    restore_file_size(old);
    cr_assert_eq(commit, NB_ESTORE, "a 100 kB commit cannot fit in 64 kB");
    cr_assert_eq(lost, 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM messages"), 0);
    nb__store_close(st);
}

Test(store, blob_keys_cannot_escape_the_blob_folder) {
    nb__store_t *st = open_mem();
    const char *bad[] = {"../x", "/etc/passwd", "a//b", "a/", ".hidden", "a/../../b", "a/.nbtmp-1",
                         "sp ace", "a\\b", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *p = NULL;
        cr_assert_eq(nb__store_blob_path(st, bad[i], &p), NB_EINVAL, "key '%s'", bad[i]);
        cr_assert_null(p);
        cr_assert_eq(nb__store_blob_put(st, bad[i], "x", 1), NB_EINVAL, "key '%s'", bad[i]);
    }
    cr_assert_eq(nb__store_blob_path(st, NULL, &(char *){NULL}), NB_EINVAL);
    nb__store_close(st);
}

Test(store, blob_from_a_spilled_body_is_moved_into_place) {
    nb__store_t *st = open_disk("s3", tmp_root);
    char *src = path_in("upload.tmp");
    FILE *f = fopen(src, "w");
    for (int i = 0; i < 10000; i++)
        fprintf(f, "%05d\n", i);
    fclose(f);
    cr_assert_eq(nb__store_blob_put_file(st, "b/big", src), 0, "%s", nb__store_errmsg(st));
    cr_assert_not(file_exists(src));
    char *path = NULL;
    cr_assert_eq(nb__store_blob_path(st, "b/big", &path), 0);
    size_t len = 0;
    char *data = read_file(path, &len);
    cr_assert_eq(len, 60000);
    cr_assert_eq(memcmp(data + 6 * 9999, "09999\n", 6), 0);
    free(data);
    cr_assert_eq(nb__store_blob_put_file(st, "b/other", src), NB_ENOENT);
    free(path);
    free(src);
    nb__store_close(st);
}

Test(store, blob_from_a_body_in_memory_or_spilled_to_a_file) {
    nb__store_t *st = open_disk("s3", tmp_root);
    nb_body_t *small = nb__body_from_mem("tiny body", 9);
    cr_assert_eq(nb__store_blob_put_body(st, "b/small", small), 0, "%s", nb__store_errmsg(st));
    nb__body_free(small);
    nb_body_t *big = nb__body_new(1024, tmp_root);
    char line[16];
    for (int i = 0; i < 20000; i++) {
        snprintf(line, sizeof(line), "%07d\n", i);
        cr_assert_eq(nb__body_append(big, line, 8), 0);
    }
    cr_assert_not_null(nb__body_path(big), "spilled to a file");
    cr_assert_eq(nb__store_blob_put_body(st, "b/big", big), 0, "%s", nb__store_errmsg(st));
    nb__body_free(big);
    char *path = NULL;
    size_t len = 0;
    cr_assert_eq(nb__store_blob_path(st, "b/small", &path), 0);
    char *data = read_file(path, &len);
    cr_assert(len == 9 && memcmp(data, "tiny body", 9) == 0);
    free(data);
    free(path);
    cr_assert_eq(nb__store_blob_path(st, "b/big", &path), 0);
    data = read_file(path, &len);
    cr_assert_eq(len, 160000);
    cr_assert_eq(memcmp(data + 8 * 19999, "0019999\n", 8), 0);
    free(data);
    free(path);
    nb__store_close(st);
}

static void *put_many(void *arg) {
    nb__store_t *st = ((void **)arg)[0];
    int t = (int)(intptr_t)((void **)arg)[1];
    for (int i = 0; i < 50; i++) {
        char key[32], val[32];
        snprintf(key, sizeof(key), "t%d/k%d", t, i);
        snprintf(val, sizeof(val), "%d-%d", t, i);
        if (nb__store_blob_put(st, key, val, strlen(val)) != 0)
            return (void *)1;
    }
    return NULL;
}

Test(store, blobs_can_be_written_from_worker_threads) {
    nb__store_config_t cfg = {.tmp_dir = tmp_root};
    nb__store_t *st = NULL;
    cr_assert_eq(nb__store_open("s3", &cfg, &st, NULL), 0);
    pthread_t th[4];
    void *args[4][2];
    for (int t = 0; t < 4; t++) {
        args[t][0] = st;
        args[t][1] = (void *)(intptr_t)t;
        cr_assert_eq(pthread_create(&th[t], NULL, put_many, args[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        void *ret = (void *)1;
        pthread_join(th[t], &ret);
        cr_assert_null(ret, "thread %d", t);
    }
    for (int t = 0; t < 4; t++) {
        for (int i = 0; i < 50; i++) {
            char key[32], val[32], *p = NULL;
            snprintf(key, sizeof(key), "t%d/k%d", t, i);
            snprintf(val, sizeof(val), "%d-%d", t, i);
            cr_assert_eq(nb__store_blob_path(st, key, &p), 0);
            size_t len = 0;
            char *data = read_file(p, &len);
            cr_assert(data != NULL && len == strlen(val) && memcmp(data, val, len) == 0, "%s", key);
            free(data);
            free(p);
        }
    }
    /* one private folder for all of them */
    int folders = 0;
    DIR *d = opendir(tmp_root);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        folders += strncmp(e->d_name, "nimbus-s3-", 10) == 0;
    closedir(d);
    cr_assert_eq(folders, 1);
    nb__store_close(st);
}

Test(store, memory_store_blobs_live_in_a_temp_folder_removed_at_close) {
    nb__store_config_t cfg = {.tmp_dir = tmp_root};
    nb__store_t *st = NULL;
    cr_assert_eq(nb__store_open("s3", &cfg, &st, NULL), 0);
    cr_assert_eq(nb__store_blob_put(st, "k/1", "abc", 3), 0);
    char *path = NULL;
    cr_assert_eq(nb__store_blob_path(st, "k/1", &path), 0);
    cr_assert(strncmp(path, tmp_root, strlen(tmp_root)) == 0, "%s", path);
    cr_assert(file_exists(path));
    nb__store_close(st);
    cr_assert_not(file_exists(path));
    *strstr(path, "/k/1") = '\0';
    cr_assert_not(file_exists(path), "the folder itself is gone: %s", path);
    free(path);
}

Test(store, temp_files_left_by_a_crash_are_removed_at_open) {
    nb__store_t *st = open_disk("s3", tmp_root);
    cr_assert_eq(nb__store_blob_put(st, "b/kept", "k", 1), 0);
    nb__store_blob_writer_t *w;
    cr_assert_eq(nb__store_blob_begin(st, "b/half", &w), 0);
    cr_assert_eq(nb__store_blob_append(w, "half", 4), 0);
    /* a crash here: the writer is never finished (close its fd like the kernel would) */
    close(w->fd);
    char *tmp = strdup(w->tmp);
    free(w->tmp);
    free(w->final);
    free(w);
    cr_assert(file_exists(tmp));
    nb__store_close(st);
    st = open_disk("s3", tmp_root);
    cr_assert_not(file_exists(tmp));
    char *kept = path_in("s3/blobs/b/kept");
    cr_assert(file_exists(kept));
    free(kept);
    free(tmp);
    nb__store_close(st);
}

/* -------------------------------------------------------------- kill -9 test */

/* The child acknowledges each committed row (and its blob, every 4th row) on
 * the pipe, as a server answers a client; the parent kills it at a random
 * point and checks that every acknowledged write is there after reopening. */
static void crash_child(const char *dir, int ack_fd) {
    nb__store_config_t cfg = {.persistence = 1, .data_dir = (char *)dir};
    nb__store_t *st = NULL;
    if (nb__store_open("crash", &cfg, &st, NULL) != 0)
        _exit(2);
    static const char *const schema[] = {"CREATE TABLE rows(id INTEGER PRIMARY KEY, " NB_STORE_SCOPE_COLUMNS
                                         ", payload TEXT NOT NULL);"};
    sqlite3 *db = nb__store_db(st);
    if (nb_store_migrate(db, schema, 1, NULL) != 0)
        _exit(3);
    nb_store_t cache;
    nb_store_init(&cache, db);
    sqlite3_stmt *max = nb_store_stmt(&cache, "SELECT coalesce(max(id), -1) FROM rows");
    if (max == NULL || sqlite3_step(max) != SQLITE_ROW)
        _exit(4);
    int next = sqlite3_column_int(max, 0) + 1;
    for (int i = next;; i++) {
        char payload[64], key[32];
        snprintf(payload, sizeof(payload), "row-%d-%d", i, i * 7);
        if (i % 4 == 0) {
            snprintf(key, sizeof(key), "r/%d", i);
            if (nb__store_blob_put(st, key, payload, strlen(payload)) != 0)
                _exit(5);
        }
        if (nb__store_begin(st) != 0)
            _exit(6);
        sqlite3_stmt *ins = nb_store_stmt_scoped(
            &cache, "INSERT INTO rows(id, payload, account, region) VALUES (?1, ?2, :account, :region)", "000000000000", "us-east-1");
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_text(ins, 2, payload, -1, SQLITE_TRANSIENT);
        if (nb_store_run(ins) != 0 || nb__store_commit(st) != 0)
            _exit(7);
        if (write(ack_fd, &i, sizeof(i)) != sizeof(i))
            _exit(8);
    }
}

Test(store, kill_9_at_random_points_loses_no_acknowledged_write, .timeout = 240) {
    char *dir = path_in("crash");
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    cr_log_info("seed %u", seed);
    int highest = -1, kills = 0;
    for (int round = 0; round < 24; round++) {
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            close(fds[0]);
            crash_child(dir, fds[1]);
        }
        close(fds[1]);
        /* Kill after a random number of acknowledgements plus a random delay,
         * so the kill lands anywhere: during open, recovery, a write, a commit. */
        int wait_acks = rand() % 61, got = 0, last = highest, v;
        while (got < wait_acks && read(fds[0], &v, sizeof(v)) == sizeof(v)) {
            last = v;
            got++;
        }
        /* Half the rounds kill the moment an acknowledgement arrives: the
         * narrowest window around an acknowledged commit. */
        if (rand() % 2)
            usleep((useconds_t)(rand() % 3000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "round %d: child exited with %d", round,
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        kills++;
        while (read(fds[0], &v, sizeof(v)) == sizeof(v))
            last = v; /* acknowledged just before the kill */
        close(fds[0]);

        nb__store_t *st = open_disk("crash", dir);
        sqlite3 *db = nb__store_db(st);
        if (query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'rows'") == 0) {
            /* killed before the first child's migration committed: nothing was acknowledged */
            cr_assert_eq(last, -1, "round %d: row %d was acknowledged, yet there is no table", round, last);
            nb__store_close(st);
            continue;
        }
        sqlite3_stmt *s = NULL;
        cr_assert_eq(sqlite3_prepare_v2(db, "SELECT id, payload FROM rows ORDER BY id", -1, &s, NULL), SQLITE_OK);
        int expect = 0;
        while (sqlite3_step(s) == SQLITE_ROW) {
            int id = sqlite3_column_int(s, 0);
            cr_assert_eq(id, expect, "round %d: rows are contiguous (missing %d)", round, expect);
            char want[64];
            snprintf(want, sizeof(want), "row-%d-%d", id, id * 7);
            cr_assert_str_eq((const char *)sqlite3_column_text(s, 1), want);
            if (id % 4 == 0) {
                char key[32], *bp = NULL;
                snprintf(key, sizeof(key), "r/%d", id);
                cr_assert_eq(nb__store_blob_path(st, key, &bp), 0);
                size_t len = 0;
                char *data = read_file(bp, &len);
                cr_assert_not_null(data, "round %d: blob of committed row %d exists", round, id);
                cr_assert(len == strlen(want) && memcmp(data, want, len) == 0, "round %d: blob %d is whole", round,
                          id);
                free(data);
                free(bp);
            }
            expect++;
        }
        sqlite3_finalize(s);
        cr_assert_geq(expect - 1, last, "round %d: acknowledged up to %d, found up to %d", round, last, expect - 1);
        highest = expect - 1;
        nb__store_close(st);
    }
    cr_assert_geq(kills, 20);
    cr_log_info("%d kills, %d rows survived", kills, highest + 1);
    free(dir);
}

/* What a kill -9 left between a blob's write and its row's commit goes; kept keys stay. */
Test(store, blob_sweep_removes_only_blobs_not_kept) {
    nb__store_t *st = open_disk("s3", tmp_root);
    cr_assert_eq(nb__store_blob_put(st, "o/kept", "k", 1), 0);
    cr_assert_eq(nb__store_blob_put(st, "o/orphan", "o", 1), 0);
    cr_assert_eq(nb__store_blob_put(st, "p/up/1", "p", 1), 0);
    cr_assert_eq(nb__store_blob_put(st, "p/up/2", "q", 1), 0);
    char *keep[] = {strdup("p/up/1"), strdup("o/kept")}; /* unsorted: the sweep sorts */
    cr_assert_eq(nb__store_blob_sweep(st, keep, 2), 2);
    const char *left[] = {"o/kept", "p/up/1"}, *gone[] = {"o/orphan", "p/up/2"};
    for (int i = 0; i < 2; i++) {
        char *path = NULL;
        struct stat sb;
        cr_assert_eq(nb__store_blob_path(st, left[i], &path), 0);
        cr_assert_eq(stat(path, &sb), 0, "%s was kept", left[i]);
        free(path);
        cr_assert_eq(nb__store_blob_path(st, gone[i], &path), 0);
        cr_assert_neq(stat(path, &sb), 0, "%s was removed", gone[i]);
        free(path);
    }
    free(keep[0]);
    free(keep[1]);
    nb__store_close(st);
    nb__store_t *mem = open_mem(); /* in memory every start is empty: nothing to sweep */
    cr_assert_eq(nb__store_blob_put(mem, "o/x", "x", 1), 0);
    cr_assert_eq(nb__store_blob_sweep(mem, NULL, 0), 0);
    nb__store_close(mem);
}

/* A statement that needs a temp file SQLite cannot open for want of descriptors is told
 * apart from a damaged store: the client gets a 503 to retry, not a 500. */
Test(store, a_temp_file_missing_for_want_of_descriptors_is_exhaustion) {
    nb__store_t *st = open_disk("sqs", tmp_root);
    sqlite3 *db = nb__store_db(st);
    exec_ok(db, "PRAGMA temp_store=FILE; PRAGMA cache_size=10");
    exec_ok(db, "CREATE TABLE big(x)");
    exec_ok(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                "INSERT INTO big SELECT printf('%0100d', random()) FROM n");
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {64, 64};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(3);
        while (dup(0) >= 0)
            ;
        int rc = sqlite3_exec(db, "SELECT count(*) FROM (SELECT DISTINCT x FROM big ORDER BY x)", NULL, NULL, NULL);
        _exit(rc != SQLITE_OK && nb__store_exhausted(st) ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    cr_assert_eq(sqlite3_exec(db, "SELECT count(*) FROM (SELECT DISTINCT x FROM big ORDER BY x)", NULL, NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(nb__store_exhausted(st), 0);
    nb__store_close(st);
}
