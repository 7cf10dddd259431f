/*
 * Store tests. Schema migrations: fresh, upgraded, refused when newer, all-or-nothing, nested in a
 * request.
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
