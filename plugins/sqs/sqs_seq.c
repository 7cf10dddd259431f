/*
 * Message row numbers (messages.seq). A receipt handle names its message by queue, seq and
 * receive count, so a seq is never handed out twice, not even after its message was deleted
 * and the server restarted. SQLite's AUTOINCREMENT kept that promise by reading and writing
 * sqlite_sequence on every INSERT (a quarter of the INSERT's cost); here the numbers come from
 * memory, and the store holds the end of the block handed out (_seq.next, written once per
 * SQS_SEQ_BLOCK messages, in the transaction that takes the block's first number): after a
 * restart, a rollback or a reset, numbering resumes past everything that may have been used.
 */
#include "sqs_plugin.h"

#define SQS_SEQ_BLOCK 4096

static int64_t seq_next, seq_limit; /* the next number; the end of the block stored in _seq */

int sqs_seq_load(void) {
    sqlite3_stmt *s = nb_store_stmt(&sqs.store,
        "SELECT MAX(COALESCE((SELECT next FROM _seq WHERE id = 1), 1), COALESCE((SELECT MAX(seq) FROM messages), 0) + 1)");
    if (s == NULL)
        return NB_ESTORE;
    int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : NB_ESTORE;
    if (rc == 0)
        seq_next = seq_limit = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc;
}

int64_t sqs_seq_take(void) {
    if (seq_next >= seq_limit) {
        sqlite3_stmt *s = nb_store_stmt(&sqs.store, "INSERT OR REPLACE INTO _seq(id, next) VALUES(1, ?1)");
        if (s == NULL)
            return NB_ESTORE;
        sqlite3_bind_int64(s, 1, seq_next + SQS_SEQ_BLOCK);
        if (nb_store_run(s) != 0)
            return NB_ESTORE;
        seq_limit = seq_next + SQS_SEQ_BLOCK;
    }
    return seq_next++;
}
