/* Stream records are kept DYNAMODB_STREAM_RETENTION (AWS's 24 hours): a repeating timer deletes
 * older ones, noting the last sequence number trimmed (reading before it is a
 * TrimmedDataAccessException), and the streams disabled longer ago than that. */
#include "ddb_stream.h"

static nb_timer_t *trim_timer;
static double retention;

static void trim(nb_timer_t *timer, void *data) {
    (void)timer, (void)data;
    static const char *const sqls[] = {
        "UPDATE streams SET trimmed_seq = (SELECT max(seq) FROM _stream_records r WHERE r.sid = streams.sid"
        " AND r.created < ?1) WHERE sid IN (SELECT sid FROM _stream_records WHERE created < ?1)",
        "DELETE FROM _stream_records WHERE created < ?1",
        "DELETE FROM streams WHERE disabled IS NOT NULL AND disabled < ?1",
    };
    double cutoff = nb_now() - retention;
    for (size_t i = 0; i < sizeof sqls / sizeof *sqls; i++) {
        sqlite3_stmt *s = nb_store_stmt(&ddb.store, sqls[i]);
        if (s == NULL)
            return;
        sqlite3_bind_double(s, 1, cutoff);
        if (nb_store_run(s) != 0)
            return;
    }
}

void ddb_stream_start(nb_plugin_t *self) {
    retention = nb_setting_seconds(self, "DYNAMODB_STREAM_RETENTION");
    double every = nb_setting_seconds(self, "DYNAMODB_TTL_INTERVAL");
    uint64_t ms = every > 0.01 ? (uint64_t)(every * 1000) : 10;
    trim_timer = nb_timer_start(self, ms, ms, trim, NULL);
}

void ddb_stream_stop(void) {
    if (trim_timer != NULL)
        nb_timer_stop(trim_timer);
    trim_timer = NULL;
}
