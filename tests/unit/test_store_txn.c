/*
 * Store tests. Transactions: nesting as savepoints, rollback, a commit that lost its transaction.
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
