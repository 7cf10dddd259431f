/* The store's transaction hooks (core/store/hooks.c) and the pipeline's one transaction runner
 * (core/gateway/txn.c): what runs, in which order, for each way a transaction ends. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/txn.h"
#include "store/store.h"

static char trace[256];
static char fault_file[64];

static void mark(void *data) { strncat(trace, data, sizeof trace - strlen(trace) - 1); }

static nb__store_t *open_store(void) {
    nb__store_t *st = NULL;
    char *err = NULL;
    cr_assert_eq(nb__store_open("hooks", NULL, &st, &err), 0, "%s", err ? err : "");
    cr_assert_eq(sqlite3_exec(nb__store_db(st), "CREATE TABLE t (v TEXT)", NULL, NULL, NULL), SQLITE_OK);
    return st;
}

static int rows(nb__store_t *st) {
    sqlite3_stmt *s;
    sqlite3_prepare_v2(nb__store_db(st), "SELECT count(*) FROM t", -1, &s, NULL);
    sqlite3_step(s);
    int n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
}

static void insert(nb__store_t *st) {
    cr_assert_eq(sqlite3_exec(nb__store_db(st), "INSERT INTO t VALUES ('x')", NULL, NULL, NULL), SQLITE_OK);
}

/* Arms the commit fault with the file's lines ("" arms it for every store). */
static void arm_fault(const char *lines) {
    FILE *f = fopen(fault_file, "w");
    cr_assert_not_null(f);
    fputs(lines, f);
    fclose(f);
}

static void setup(void) {
    trace[0] = '\0';
    snprintf(fault_file, sizeof fault_file, "/tmp/nb-test-hooks-%d", (int)getpid());
    unlink(fault_file);
    setenv("NIMBUS_FAULT_COMMIT", fault_file, 1);
}
static void teardown(void) {
    unlink(fault_file);
    unsetenv("NIMBUS_FAULT_COMMIT");
}

TestSuite(store_hooks, .init = setup, .fini = teardown);

Test(store_hooks, commit_runs_on_commit_hooks_in_order) {
    nb__store_t *st = open_store();
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "a"), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_ROLLBACK, mark, "X"), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "b"), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "c"), 0);
    insert(st);
    cr_assert_str_empty(trace, "nothing runs before the transaction ends");
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_str_eq(trace, "abc");
    cr_assert_eq(rows(st), 1);
    nb__store_close(st);
}

Test(store_hooks, rollback_runs_on_rollback_hooks_only) {
    nb__store_t *st = open_store();
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_ROLLBACK, mark, "r1"), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "X"), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_ROLLBACK, mark, "r2"), 0);
    insert(st);
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_str_eq(trace, "r1r2");
    cr_assert_eq(rows(st), 0);
    /* the hooks went with their transaction: the next one runs none of them */
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_str_eq(trace, "r1r2");
    nb__store_close(st);
}

Test(store_hooks, outside_a_transaction_a_hook_is_refused) {
    nb__store_t *st = open_store();
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "X"), NB_EINVAL);
    cr_assert_eq(nb__store_hook_add_pair(st, mark, mark, "X"), NB_EINVAL);
    nb__store_close(st);
    cr_assert_str_empty(trace);
}

Test(store_hooks, failed_commit_runs_on_rollback_hooks_and_keeps_nothing) {
    nb__store_t *st = open_store();
    arm_fault("other\nhooks\n");
    cr_assert_eq(nb__store_begin(st), 0);
    insert(st);
    cr_assert_eq(nb__store_hook_add_pair(st, mark, mark, "p"), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "X"), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_ROLLBACK, mark, "r"), 0);
    cr_assert_eq(nb__store_commit(st), NB_ESTORE);
    cr_assert_str_eq(trace, "pr");
    cr_assert_eq(nb__store_depth(st), 0);
    cr_assert_eq(rows(st), 0, "a failed commit leaves nothing");
    cr_assert(strstr(nb__store_errmsg(st), "NIMBUS_FAULT_COMMIT") != NULL, "%s", nb__store_errmsg(st));
    unlink(fault_file);
    cr_assert_eq(nb__store_begin(st), 0);
    insert(st);
    cr_assert_eq(nb__store_commit(st), 0, "disarmed, commits succeed again");
    cr_assert_eq(rows(st), 1);
    nb__store_close(st);
}

Test(store_hooks, fault_names_another_service) {
    nb__store_t *st = open_store();
    arm_fault("sqs\n");
    cr_assert_eq(nb__store_begin(st), 0);
    insert(st);
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_eq(rows(st), 1);
    nb__store_close(st);
}

Test(store_hooks, savepoint_rollback_ends_its_own_hooks) {
    nb__store_t *st = open_store();
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "o"), 0);
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "X"), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_ROLLBACK, mark, "i"), 0);
    cr_assert_eq(nb__store_rollback(st), 0);
    cr_assert_str_eq(trace, "i", "the inner savepoint's rollback hook runs at once");
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_hook_add(st, NB__STORE_ON_COMMIT, mark, "k"), 0);
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_str_eq(trace, "i", "a released savepoint's hooks wait for the outer commit");
    cr_assert_eq(nb__store_commit(st), 0);
    cr_assert_str_eq(trace, "iok");
    nb__store_close(st);
}

Test(store_hooks, closing_rolls_back_an_open_transaction_with_its_hooks) {
    nb__store_t *st = open_store();
    cr_assert_eq(nb__store_begin(st), 0);
    cr_assert_eq(nb__store_hook_add_pair(st, mark, mark, "z"), 0);
    nb__store_close(st);
    cr_assert_str_eq(trace, "z");
}

/* ---- nb__txn_run, the runner every pipeline path uses ---- */

typedef struct body_ctx {
    nb__store_t *st;
    bool keep;
    int ran;
} body_ctx_t;

static bool body(void *data) {
    body_ctx_t *c = data;
    c->ran++;
    insert(c->st);
    cr_assert_eq(nb__store_hook_add(c->st, NB__STORE_ON_COMMIT, mark, "c"), 0);
    cr_assert_eq(nb__store_hook_add(c->st, NB__STORE_ON_ROLLBACK, mark, "r"), 0);
    return c->keep;
}

Test(store_hooks, txn_run_commits_or_rolls_back_as_the_body_says) {
    nb__store_t *st = open_store();
    body_ctx_t c = {st, true, 0};
    cr_assert_eq(nb__txn_run(st, body, &c), 0);
    cr_assert_str_eq(trace, "c");
    cr_assert_eq(rows(st), 1);
    c.keep = false;
    cr_assert_eq(nb__txn_run(st, body, &c), 0);
    cr_assert_str_eq(trace, "cr");
    cr_assert_eq(rows(st), 1);
    cr_assert_eq(c.ran, 2);
    cr_assert_eq(nb__store_depth(st), 0);
    nb__store_close(st);
}

Test(store_hooks, txn_run_reports_a_failed_commit) {
    nb__store_t *st = open_store();
    arm_fault(""); /* empty: every store's commits fail */
    body_ctx_t c = {st, true, 0};
    cr_assert_eq(nb__txn_run(st, body, &c), NB_ESTORE);
    cr_assert_str_eq(trace, "r");
    cr_assert_eq(rows(st), 0);
    nb__store_close(st);
}
