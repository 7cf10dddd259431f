/* Group commit (core/store/store.c, nb__store_group_end): the requests of one loop turn share
 * one transaction, each a savepoint of it; their on-commit hooks (the answers) run only once
 * the group committed, and a failed group commit fails every request in it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "support/store_fixture.h"

static char trace[256];
static char fault_file[300];
static int groups_opened;

static void mark(void *data) { strncat(trace, data, sizeof trace - strlen(trace) - 1); }

static int on_group_opened(nb__store_t *st, void *data) {
    (void)st;
    (*(int *)data)++;
    return 0;
}

static nb__store_t *open_grouped_existing(void) {
    nb__store_config_t cfg = {
        .persistence = 1,
        .data_dir = tmp_root,
        .group_opened = on_group_opened,
        .group_data = &groups_opened,
    };
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("grouped", &cfg, &st, &err), 0, "%s", err ? err : "");
    return st;
}

static nb__store_t *open_grouped(void) {
    nb__store_t *st = open_grouped_existing();
    exec_ok(nb__store_db(st), "CREATE TABLE t (v TEXT)");
    return st;
}

/* One request: its own transaction, a row, and its answer as a pair of hooks (ok runs once the
 * row is durable, failed once it is lost); keep false rolls the request back (an error answer). */
static int request(nb__store_t *st, const char *v, char *ok, char *failed, bool keep) {
    cr_assert_eq(nb__store_begin(st), 0);
    char sql[64];
    snprintf(sql, sizeof sql, "INSERT INTO t VALUES ('%s')", v);
    exec_ok(nb__store_db(st), sql);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, ok), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_ROLLBACK, mark, failed), 0);
    return keep ? nb__store_commit(st) : nb__store_rollback(st);
}

static int rows(nb__store_t *st) { return query_int(nb__store_db(st), "SELECT count(*) FROM t"); }

static void setup(void) {
    make_tmp();
    trace[0] = '\0';
    groups_opened = 0;
    snprintf(fault_file, sizeof fault_file, "%s/fault", tmp_root);
    setenv("NIMBUS_FAULT_COMMIT", fault_file, 1);
}
static void teardown(void) {
    unsetenv("NIMBUS_FAULT_COMMIT");
    drop_tmp();
}

TestSuite(store_group, .init = setup, .fini = teardown);

Test(store_group, answers_wait_for_the_group_commit) {
    nb__store_t *st = open_grouped();
    cr_assert_eq(request(st, "a", "A", "x", true), 0);
    cr_assert_eq(request(st, "b", "B", "y", true), 0);
    cr_assert_eq(groups_opened, 1, "both requests share one group");
    cr_assert_str_empty(trace, "no answer before the group is durable");
    cr_assert_eq(nb__store_depth(st), 0, "no request transaction is open");
    cr_assert(nb__store_in_txn(st), "the group is");
    cr_assert_eq(nb__store_group_end(st), 0);
    cr_assert_str_eq(trace, "AB");
    cr_assert_not(nb__store_in_txn(st));
    cr_assert_eq(rows(st), 2);
    cr_assert_eq(nb__store_group_end(st), 0, "nothing open: nothing to do");
    cr_assert_eq(request(st, "c", "C", "z", true), 0);
    cr_assert_eq(groups_opened, 2, "the next request opens the next group");
    nb__store_close(st); /* ends the open group first: committed, its answer runs */
    cr_assert_str_eq(trace, "ABC");
    st = open_grouped_existing();
    cr_assert_eq(rows(st), 3, "every answered write is on disk");
    nb__store_close(st);
}

Test(store_group, a_request_rolled_back_loses_only_its_own_writes) {
    nb__store_t *st = open_grouped();
    cr_assert_eq(request(st, "a", "A", "x", true), 0);
    cr_assert_eq(request(st, "b", "B", "y", false), 0);
    cr_assert_str_eq(trace, "y", "the rolled-back request learns it at once");
    cr_assert_eq(request(st, "c", "C", "z", true), 0);
    cr_assert_eq(nb__store_group_end(st), 0);
    cr_assert_str_eq(trace, "yAC");
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM t WHERE v = 'b'"), 0);
    cr_assert_eq(rows(st), 2);
    nb__store_close(st);
}

Test(store_group, a_failed_group_commit_fails_every_request_in_it) {
    nb__store_t *st = open_grouped();
    cr_assert_eq(request(st, "a", "A", "x", true), 0);
    cr_assert_eq(request(st, "b", "B", "y", true), 0);
    FILE *f = fopen(fault_file, "w"); /* armed: the next outer commit fails as on a full disk */
    cr_assert_not_null(f);
    fclose(f);
    cr_assert_eq(nb__store_group_end(st), NB_ESTORE);
    cr_assert_str_eq(trace, "xy", "both answers become failures, none a success");
    unlink(fault_file);
    cr_assert_eq(rows(st), 0);
    cr_assert_eq(request(st, "c", "C", "z", true), 0);
    cr_assert_eq(nb__store_group_end(st), 0, "the next group commits again");
    cr_assert_str_eq(trace, "xyC");
    cr_assert_eq(rows(st), 1);
    nb__store_close(st);
}

Test(store_group, reset_ends_the_group_first) {
    nb__store_t *st = open_grouped();
    cr_assert_eq(request(st, "a", "A", "x", true), 0);
    cr_assert_eq(nb__store_reset(st), 0, "not refused as if inside a transaction");
    cr_assert_str_eq(trace, "A", "the request before the reset was answered as committed");
    cr_assert_eq(rows(st), 0);
    nb__store_close(st);
}

Test(store_group, without_a_group_owner_each_commit_stands_alone) {
    nb__store_t *st = open_disk("alone", tmp_root);
    exec_ok(nb__store_db(st), "CREATE TABLE t (v TEXT)");
    cr_assert_eq(request(st, "a", "A", "x", true), 0);
    cr_assert_str_eq(trace, "A", "answered at its own commit");
    cr_assert_not(nb__store_in_txn(st));
    nb__store_close(st);
}

/* The request that opens a group has no savepoint of its own (store.c, bare): its rollback rolls
 * the group back, which holds nothing else, and the requests after it open the next group. */
Test(store_group, the_first_request_rolled_back_leaves_the_next_ones_their_writes) {
    nb__store_t *st = open_grouped();
    cr_assert_eq(request(st, "a", "A", "x", false), 0);
    cr_assert_str_eq(trace, "x", "the rolled-back request learns it at once");
    cr_assert_eq(nb__store_depth(st), 0);
    cr_assert_eq(request(st, "b", "B", "y", true), 0);
    cr_assert_eq(request(st, "c", "C", "z", false), 0);
    cr_assert_eq(nb__store_group_end(st), 0);
    cr_assert_str_eq(trace, "xzB");
    cr_assert_eq(groups_opened, 2, "b opened a group of its own");
    cr_assert_eq(rows(st), 1);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM t WHERE v = 'b'"), 1);
    nb__store_close(st);
}

Test(store_group, a_level_nested_in_the_first_request_rolls_back_alone) {
    nb__store_t *st = open_grouped();
    cr_assert_eq(nb__store_begin(st), 0);
    exec_ok(nb__store_db(st), "INSERT INTO t VALUES ('a')");
    cr_assert_eq(request(st, "n", "N", "n", false), 0, "a nested level, rolled back");
    cr_assert_eq(nb__store_depth(st), 1, "the first request's level is still open");
    exec_ok(nb__store_db(st), "INSERT INTO t VALUES ('b')");
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_eq(request(st, "c", "C", "z", true), 0, "a second request joins the group");
    cr_assert_eq(groups_opened, 1);
    cr_assert_eq(nb__store_group_end(st), 0);
    cr_assert_str_eq(trace, "nC");
    cr_assert_eq(rows(st), 3);
    cr_assert_eq(query_int(nb__store_db(st), "SELECT count(*) FROM t WHERE v = 'n'"), 0);
    nb__store_close(st);
}
