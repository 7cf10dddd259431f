/* Stream records are kept DYNAMODB_STREAM_RETENTION (AWS's 24 hours): a repeating timer deletes
 * older ones, noting the last sequence number trimmed (reading before it is a
 * TrimmedDataAccessException), and the streams disabled longer ago than that. A stream's records
 * are in time order along its key, so the old ones are a prefix: finding it reads only them. */
#include "ddb_stream.h"

static nb_timer_t *trim_timer;
static double retention;

/* Trims the records of stream sid older than cutoff (its oldest one is). */
static int trim_stream(int64_t sid, double cutoff) {
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "SELECT COALESCE((SELECT seq FROM _stream_records WHERE sid = ?1"
                                                " AND created >= ?2 ORDER BY seq LIMIT 1) - 1, (SELECT max(seq) FROM"
                                                " _stream_records WHERE sid = ?1))");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_int64(s, 1, sid);
    sqlite3_bind_double(s, 2, cutoff);
    int64_t upto = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    static const char *const sqls[] = {
        "UPDATE streams SET trimmed_seq = ?2 WHERE sid = ?1 AND trimmed_seq < ?2",
        "DELETE FROM _stream_records WHERE sid = ?1 AND seq <= ?2",
    };
    for (size_t i = 0; upto > 0 && i < sizeof sqls / sizeof *sqls; i++) {
        if ((s = nb_store_stmt(&ddb.store, sqls[i])) == NULL)
            return NB_ESTORE;
        sqlite3_bind_int64(s, 1, sid);
        sqlite3_bind_int64(s, 2, upto);
        int rc = nb_store_run(s);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void trim(nb_timer_t *timer, void *data) {
    (void)timer, (void)data;
    double cutoff = nb_now() - retention;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(ddb.store.db,
                           "SELECT sid FROM streams WHERE (SELECT created FROM _stream_records r"
                           " WHERE r.sid = streams.sid ORDER BY seq LIMIT 1) < ?1", -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_double(s, 1, cutoff);
    int rc = 0;
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW)
        rc = trim_stream(sqlite3_column_int64(s, 0), cutoff);
    sqlite3_finalize(s);
    /* a disabled stream's records are all older than its disabling: they went above */
    if (rc == 0 && (s = nb_store_stmt(&ddb.store, "DELETE FROM streams WHERE disabled < ?1")) != NULL) {
        sqlite3_bind_double(s, 1, cutoff);
        nb_store_run(s);
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
