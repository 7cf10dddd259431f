#include "sqs_deadline.h"
#include "sqs_plugin.h"

sqs_state_t sqs;

static const char *const sqs_schema[] = {
    /* 1 */
    "CREATE TABLE queues(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL, qid INTEGER NOT NULL UNIQUE,"
    " created REAL NOT NULL, modified REAL NOT NULL, attrs TEXT NOT NULL, tags TEXT NOT NULL,"
    " fifo_seq INTEGER NOT NULL DEFAULT 0, last_purge REAL NOT NULL DEFAULT 0,"
    " PRIMARY KEY(account, region, name));"
    "CREATE TABLE messages(" NB_STORE_SCOPE_COLUMNS ", seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " qid INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, attrs TEXT, sysattrs TEXT,"
    " md5_body TEXT NOT NULL, md5_attrs TEXT, md5_sys TEXT, sent REAL NOT NULL, visible REAL NOT NULL,"
    " receives INTEGER NOT NULL DEFAULT 0, first_receive REAL, grp TEXT, dedup TEXT, seqno TEXT, src_arn TEXT);"
    "CREATE INDEX messages_visible ON messages(qid, visible, seq);"
    "CREATE INDEX messages_fifo ON messages(qid, seq) WHERE grp IS NOT NULL;"
    "CREATE TABLE _dedup(qid INTEGER NOT NULL, key TEXT NOT NULL, expires REAL NOT NULL, message_id TEXT NOT NULL,"
    " seqno TEXT, PRIMARY KEY(qid, key));",
    /* 2: a row that a state reset deletes, telling the plugin to drop its caches (read no more: the
     * core calls the plugin's reset hook) */
    "CREATE TABLE _epoch(id INTEGER PRIMARY KEY); INSERT INTO _epoch VALUES(1);",
    /* 3: when the message was last received: its visibility may not reach past 12 hours from then */
    "ALTER TABLE messages ADD COLUMN last_receive REAL;",
    /* 4: seq without AUTOINCREMENT, whose sqlite_sequence row cost a read and a write per INSERT;
     * numbers come from sqs_seq.c, past _seq.next (the end of the block handed out) */
    "CREATE TABLE _seq(id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL);"
    "INSERT INTO _seq SELECT 1, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0) + 1;"
    "CREATE TABLE messages_v4(" NB_STORE_SCOPE_COLUMNS ", seq INTEGER PRIMARY KEY,"
    " qid INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, attrs TEXT, sysattrs TEXT,"
    " md5_body TEXT NOT NULL, md5_attrs TEXT, md5_sys TEXT, sent REAL NOT NULL, visible REAL NOT NULL,"
    " receives INTEGER NOT NULL DEFAULT 0, first_receive REAL, grp TEXT, dedup TEXT, seqno TEXT, src_arn TEXT,"
    " last_receive REAL);"
    "INSERT INTO messages_v4 SELECT * FROM messages;"
    "DROP TABLE messages;"
    "ALTER TABLE messages_v4 RENAME TO messages;"
    "CREATE INDEX messages_visible ON messages(qid, visible, seq);"
    "CREATE INDEX messages_fifo ON messages(qid, seq) WHERE grp IS NOT NULL;",
};

static int sqs_init(nb_plugin_t *self) {
    char *err = NULL;
    memset(&sqs, 0, sizeof sqs);
    sqs.self = self;
    if (sqs_url_strategy_load(self) != 0)
        return -1;
    nb_store_init(&sqs.store, nb_store_db(self));
    if (nb_store_migrate(sqs.store.db, sqs_schema, NB_STORE_COUNT(sqs_schema), &err) != 0) {
        nb_log(self, NB_LOG_ERROR, "%s", err);
        sqlite3_free(err);
        return -1;
    }
    if (sqs_queues_load() != 0 || sqs_seq_load() != 0) {
        nb_log(self, NB_LOG_ERROR, "cannot load the queues: %s", sqlite3_errmsg(sqs.store.db));
        return -1;
    }
    if (sqs_dev_register(self) != 0) /* a core before 1.7 has no /_aws/ routes: the rest works */
        nb_log(self, NB_LOG_WARN, "the developer endpoint /_aws/sqs/messages is not available");
    return 0;
}

static void sqs_fini(nb_plugin_t *self) {
    (void)self;
    sqs_tasks_free();
    sqs_queues_free();
    sqs_deadlines_free();
    nb_store_fini(&sqs.store);
}

/* A commit failed (disk full) after a handler changed the in-memory queues: they
 * are rebuilt from what the store really holds (waiters are answered empty). */
static void sqs_rolled_back(nb_plugin_t *self) {
    sqs_tasks_free();
    sqs_queues_free();
    if (sqs_queues_load() != 0 || sqs_seq_load() != 0)
        nb_log(self, NB_LOG_ERROR, "cannot reload the queues: %s", sqlite3_errmsg(sqs.store.db));
}

/* The core emptied the store (POST /_localstack/state/reset): what was cached from it goes. */
static void sqs_reset(nb_plugin_t *self) {
    (void)self;
    sqs_state_reset();
}

/* The server stops: a consumer's long poll gets its empty receive now, not at the end
 * of its wait, and receives still coming in (on connections open before) do not wait. */
static void sqs_shutdown(nb_plugin_t *self) {
    (void)self;
    sqs.stopping = true;
    sqs_waiters_cancel_all();
}

static const nb_op_t sqs_ops[] = {
    {"AddPermission", sqs_add_permission, 0},
    {"CancelMessageMoveTask", sqs_cancel_message_move_task, 0},
    {"ChangeMessageVisibility", sqs_change_message_visibility, 0},
    {"ChangeMessageVisibilityBatch", sqs_change_message_visibility_batch, 0},
    {"CreateQueue", sqs_create_queue, 0},
    {"DeleteMessage", sqs_delete_message, 0},
    {"DeleteMessageBatch", sqs_delete_message_batch, 0},
    {"DeleteQueue", sqs_delete_queue, 0},
    {"GetQueueAttributes", sqs_get_queue_attributes, 0},
    {"GetQueueUrl", sqs_get_queue_url, 0},
    {"ListDeadLetterSourceQueues", sqs_list_dead_letter_source_queues, 0},
    {"ListMessageMoveTasks", sqs_list_message_move_tasks, 0},
    {"ListQueueTags", sqs_list_queue_tags, 0},
    {"ListQueues", sqs_list_queues, 0},
    {"PurgeQueue", sqs_purge_queue, 0},
    {"ReceiveMessage", sqs_receive_message, 0},
    {"RemovePermission", sqs_remove_permission, 0},
    {"SendMessage", sqs_send_message, 0},
    {"SendMessageBatch", sqs_send_message_batch, 0},
    {"SetQueueAttributes", sqs_set_queue_attributes, 0},
    {"StartMessageMoveTask", sqs_start_message_move_task, 0},
    {"TagQueue", sqs_tag_queue, 0},
    {"UntagQueue", sqs_untag_queue, 0},
    {NULL, NULL, 0},
};

/* LocalStack's name; its default (0) differs: Nimbus answers as AWS unless told otherwise. */
static const nb_setting_t sqs_settings[] = {
    {"SQS_DELAY_PURGE_RETRY", NB_SETTING_BOOL, "1",
     "1: a second PurgeQueue of a queue within 60 seconds fails with PurgeQueueInProgress, as on AWS; 0: never"},
    {"SQS_ENDPOINT_STRATEGY", NB_SETTING_STRING, "standard",
     "Queue URL shape: standard (sqs.<region>.<LOCALSTACK_HOST>), domain (<region>.queue.<LOCALSTACK_HOST>), path "
     "(<host>/queue/<region>/...) or off (<host>/<account>/<name>)"},
    {NULL, 0, NULL, NULL},
};

NB_PLUGIN_DEFINE(.name = "sqs", .service = "sqs", .api_version = "2012-11-05", .ops = sqs_ops, .init = sqs_init,
                 .fini = sqs_fini, .reset = sqs_reset, .rolled_back = sqs_rolled_back, .shutdown = sqs_shutdown,
                 .settings = sqs_settings, .authz_actions = sqs_actions, .resource_policy = sqs_resource_policy,
                 .authz_denied_message = "Access to the resource https://sqs.{region}.amazonaws.com/ is denied.");
