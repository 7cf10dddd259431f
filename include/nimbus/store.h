/*
 * nimbus/store.h - what a plugin needs on top of raw SQLite for its state.
 *
 * Each service plugin owns one SQLite database, handed out by the core with
 * `nb_store_db(self)`: in memory by default, `<DATA_DIR>/<service>.db` (WAL) with
 * PERSISTENCE=1. The core wraps every request in a transaction and commits it
 * before the response is sent, so a handler just runs its statements.
 *
 * Everything here is header-only (static inline over the `sqlite3 *`): a plugin
 * links libsqlite3 itself and needs no core symbol for it.
 *
 *     static const char *const sqs_schema[] = {
 *         // version 1
 *         "CREATE TABLE queues(" NB_STORE_SCOPE_COLUMNS ", name TEXT NOT NULL,"
 *         "  url TEXT NOT NULL, PRIMARY KEY(account, region, name));",
 *         // version 2: appended later, never edited once released
 *         "ALTER TABLE queues ADD COLUMN created REAL;",
 *     };
 *     static nb_store_t sqs_store;
 *
 *     static int sqs_init(nb_plugin_t *self) {
 *         char *err = NULL;
 *         nb_store_init(&sqs_store, nb_store_db(self));
 *         if (nb_store_migrate(sqs_store.db, sqs_schema, NB_STORE_COUNT(sqs_schema), &err) != 0) {
 *             nb_log(self, NB_LOG_ERROR, "%s", err);    // names the file and both versions
 *             sqlite3_free(err);
 *             return -1;                               // the plugin fails to load
 *         }
 *         return 0;
 *     }
 *     static void sqs_fini(nb_plugin_t *self) { nb_store_fini(&sqs_store); }
 *
 *     sqlite3_stmt *s = nb_store_scoped(&sqs_store, req,    // numbered parameters first: see nb_store_bind_scope
 *         "SELECT url FROM queues WHERE name = ?1 AND account = :account AND region = :region");
 *     sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
 *     if (s != NULL && sqlite3_step(s) == SQLITE_ROW) ...
 *
 * Scoping: every row carries `account` and `region` (NB_STORE_SCOPE_COLUMNS), so
 * every resource is per (account, region) as in AWS. A row that belongs to no
 * region (an IAM user) has region NB_STORE_GLOBAL; a name that is unique across
 * everything (an S3 bucket) is simply looked up without binding the scope.
 * `GET /_nimbus/state` counts rows per table, account and region; tables whose
 * name starts with `_` are plugin bookkeeping and are not counted.
 * `POST /_localstack/state/reset` deletes every row of every table and keeps the
 * schema and its version.
 *
 * Transactions: the core owns the outer transaction of a request. A plugin that
 * needs an atomic group of statements inside it uses `nb_store_savepoint()` /
 * `nb_store_release()` / `nb_store_rollback_to()` (never BEGIN/COMMIT).
 */
#ifndef NIMBUS_STORE_H
#define NIMBUS_STORE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "nimbus/errno.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The scope columns every resource table starts with. */
#define NB_STORE_SCOPE_COLUMNS "account TEXT NOT NULL, region TEXT NOT NULL"
/* The region of rows that belong to no region (IAM, Route 53, ...). */
#define NB_STORE_GLOBAL ""

#define NB_STORE_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* ---------------------------------------------------------------- migrations */

/*
 * Brings the database to version `count`: scripts[i] takes it from version i to
 * i + 1 (PRAGMA user_version). The scripts above the current version run in one
 * transaction (a savepoint if one is open), together with the new user_version:
 * either all of them apply or none. A database whose version is above `count`
 * was written by a newer Nimbus: it is refused, untouched.
 * Returns 0 or NB_ESTORE; on failure *err (if err is not NULL) is a message
 * naming the database file, to be freed with sqlite3_free().
 */
static inline int nb_store_migrate(sqlite3 *db, const char *const *scripts, size_t count, char **err) {
    const char *file = sqlite3_db_filename(db, "main");
    if (file == NULL || file[0] == '\0')
        file = ":memory:";
    if (err != NULL)
        *err = NULL;
    sqlite3_stmt *s = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    if (version < 0) {
        if (err != NULL)
            *err = sqlite3_mprintf("%s: cannot read the schema version: %s", file, sqlite3_errmsg(db));
        return NB_ESTORE;
    }
    if ((size_t)version > count) {
        if (err != NULL)
            *err = sqlite3_mprintf("%s: schema version %d is newer than this Nimbus supports (%d); the database "
                                   "was written by a newer Nimbus: refusing to use it (run that version, or "
                                   "point DATA_DIR elsewhere)",
                                   file, version, (int)count);
        return NB_ESTORE;
    }
    if ((size_t)version == count)
        return 0;
    if (sqlite3_exec(db, "SAVEPOINT nb_migrate", NULL, NULL, NULL) != SQLITE_OK) {
        if (err != NULL)
            *err = sqlite3_mprintf("%s: cannot start the migration: %s", file, sqlite3_errmsg(db));
        return NB_ESTORE;
    }
    char *msg = NULL;
    for (size_t v = (size_t)version; v < count; v++) {
        if (sqlite3_exec(db, scripts[v], NULL, NULL, &msg) != SQLITE_OK) {
            if (err != NULL)
                *err = sqlite3_mprintf("%s: migration from schema version %d to %d failed: %s", file, (int)v,
                                       (int)v + 1, msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK TO nb_migrate; RELEASE nb_migrate", NULL, NULL, NULL);
            return NB_ESTORE;
        }
    }
    char *set = sqlite3_mprintf("PRAGMA user_version = %d; RELEASE nb_migrate", (int)count);
    int rc = set ? sqlite3_exec(db, set, NULL, NULL, &msg) : SQLITE_NOMEM;
    sqlite3_free(set);
    if (rc != SQLITE_OK) {
        if (err != NULL)
            *err = sqlite3_mprintf("%s: cannot commit the migration to version %d: %s", file, (int)count,
                                   msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        if (!sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK TO nb_migrate; RELEASE nb_migrate", NULL, NULL, NULL);
        return NB_ESTORE;
    }
    return 0;
}

/* The database's schema version (PRAGMA user_version), or NB_ESTORE. */
static inline int nb_store_version(sqlite3 *db) {
    sqlite3_stmt *s = NULL;
    int version = NB_ESTORE;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return version;
}

/* ------------------------------------------------------ prepared statements */

typedef struct nb_store_slot {
    uint64_t hash;
    char *sql;          /* the key, as the plugin wrote it */
    sqlite3_stmt *stmt; /* NULL: free slot */
} nb_store_slot_t;

/*
 * A plugin's handle on its database: the connection and a cache of prepared
 * statements keyed by their SQL text. Owned by the plugin (usually a static),
 * released with nb_store_fini() in the plugin's fini.
 */
/* Slots of the by-address cache in front of the text-keyed table: a plugin's statements
 * are string literals, each at one address; a few dozen fit. */
#define NB_STORE_RECENT 64

typedef struct nb_store {
    sqlite3 *db;
    nb_store_slot_t *slots; /* open addressing, capacity a power of two */
    size_t cap;
    size_t count;
    /* The slot last found for an SQL text at this address, direct-mapped by the address:
     * hashing a 300-byte statement costs more than the statement's bindings; a hit is
     * still confirmed by comparing the text (the same address may hold other text). */
    struct {
        const char *sql;
        size_t slot;
    } recent[NB_STORE_RECENT];
} nb_store_t;

static inline void nb_store__recent_clear(nb_store_t *st) {
    for (size_t i = 0; i < NB_STORE_RECENT; i++) {
        st->recent[i].sql = NULL;
        st->recent[i].slot = 0;
    }
}

static inline void nb_store_init(nb_store_t *st, sqlite3 *db) {
    st->db = db;
    st->slots = NULL;
    st->cap = 0;
    st->count = 0;
    nb_store__recent_clear(st);
}

/* Finalizes every cached statement; the connection stays open (the core owns it). */
static inline void nb_store_fini(nb_store_t *st) {
    for (size_t i = 0; i < st->cap; i++) {
        sqlite3_finalize(st->slots[i].stmt);
        free(st->slots[i].sql);
    }
    free(st->slots);
    st->slots = NULL;
    st->cap = st->count = 0;
    nb_store__recent_clear(st);
}

static inline uint64_t nb_store__hash(const char *s) {
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static inline int nb_store__grow(nb_store_t *st) {
    size_t cap = st->cap ? st->cap * 2 : 32;
    nb_store_slot_t *slots = (nb_store_slot_t *)calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return NB_ENOMEM;
    for (size_t i = 0; i < st->cap; i++) {
        if (st->slots[i].stmt == NULL)
            continue;
        size_t j = (size_t)st->slots[i].hash & (cap - 1);
        while (slots[j].stmt != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = st->slots[i];
    }
    free(st->slots);
    st->slots = slots;
    st->cap = cap;
    nb_store__recent_clear(st); /* the slots moved */
    return 0;
}

static inline size_t nb_store__recent_index(const char *sql) {
    return (size_t)(((uintptr_t)sql >> 3) & (NB_STORE_RECENT - 1));
}

static inline sqlite3_stmt *nb_store__fresh(nb_store_t *st, size_t slot, const char *sql) {
    st->recent[nb_store__recent_index(sql)].sql = sql;
    st->recent[nb_store__recent_index(sql)].slot = slot;
    sqlite3_reset(st->slots[slot].stmt);
    sqlite3_clear_bindings(st->slots[slot].stmt);
    return st->slots[slot].stmt;
}

/*
 * The prepared statement for `sql` (one statement), prepared on first use and
 * kept until nb_store_fini(); every fetch resets it and clears its bindings, so
 * do not fetch the same SQL text again while still stepping through it (nest
 * with a statement of your own). Do not finalize it. NULL if it does not
 * prepare (sqlite3_errmsg(st->db) says why) or holds more than one statement.
 */
static inline sqlite3_stmt *nb_store_stmt(nb_store_t *st, const char *sql) {
    if (sql == NULL || st->db == NULL)
        return NULL;
    size_t r = nb_store__recent_index(sql);
    if (st->recent[r].sql == sql && strcmp(st->slots[st->recent[r].slot].sql, sql) == 0)
        return nb_store__fresh(st, st->recent[r].slot, sql);
    uint64_t h = nb_store__hash(sql);
    if (st->cap != 0) {
        for (size_t i = (size_t)h & (st->cap - 1); st->slots[i].stmt != NULL; i = (i + 1) & (st->cap - 1)) {
            if (st->slots[i].hash == h && strcmp(st->slots[i].sql, sql) == 0)
                return nb_store__fresh(st, i, sql);
        }
    }
    if ((st->count + 1) * 2 > st->cap && nb_store__grow(st) != 0)
        return NULL;
    sqlite3_stmt *stmt = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail) != SQLITE_OK || stmt == NULL)
        return NULL;
    while (tail != NULL && (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';'))
        tail++;
    size_t len = strlen(sql) + 1;
    char *key = (tail != NULL && *tail != '\0') ? NULL : (char *)malloc(len);
    if (key != NULL)
        memcpy(key, sql, len);
    if (key == NULL) { /* out of memory, or a second statement that would be silently ignored */
        sqlite3_finalize(stmt);
        return NULL;
    }
    size_t i = (size_t)h & (st->cap - 1);
    while (st->slots[i].stmt != NULL)
        i = (i + 1) & (st->cap - 1);
    st->slots[i].hash = h;
    st->slots[i].sql = key;
    st->slots[i].stmt = stmt;
    st->count++;
    st->recent[r].sql = sql;
    st->recent[r].slot = i;
    return stmt;
}

/* Steps a statement that returns no rows to completion and resets it.
 * 0, or NB_ESTORE (sqlite3_errmsg() says why; the core rolls the request back). */
static inline int nb_store_run(sqlite3_stmt *stmt) {
    if (stmt == NULL)
        return NB_ESTORE;
    int rc = sqlite3_step(stmt);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? 0 : NB_ESTORE;
}

/* ------------------------------------------------------------------- scoping */

/* Whether the SQL text has a numbered parameter ?N with N == a or N == b
 * (string literals and quoted names skipped). */
static inline int nb_store__numbered_is(const char *sql, int a, int b) {
    for (const char *p = sql; p != NULL && *p; p++) {
        if (*p == '\'' || *p == '"' || *p == '`') {
            char q = *p;
            while (*++p && *p != q)
                ;
            if (*p == '\0')
                break;
        } else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
            int n = 0;
            while (p[1] >= '0' && p[1] <= '9' && n < 100000)
                n = n * 10 + (*++p - '0');
            if (n == a || n == b)
                return 1;
        }
    }
    return 0;
}

/*
 * Binds the named parameters `:account` and `:region` of stmt. A scoped query
 * must name `:account` (NB_EINVAL otherwise: a lookup that forgot its scope
 * would see other accounts' resources); `:region` is optional (account-wide
 * tables). region NULL binds NB_STORE_GLOBAL. Strings are copied.
 *
 * SQLite numbers a named parameter with the next unused index, so in
 * "... account = :account AND region = :region AND name = ?1" the ?1 IS
 * :account (index 1): binding the name would overwrite the scope. Such a
 * statement is refused (NB_EINVAL): write the numbered parameters first
 * ("name = ?1 AND account = :account AND region = :region"), or name them all.
 */
static inline int nb_store_bind_scope(sqlite3_stmt *stmt, const char *account, const char *region) {
    if (stmt == NULL || account == NULL)
        return NB_EINVAL;
    int ia = sqlite3_bind_parameter_index(stmt, ":account");
    if (ia == 0)
        return NB_EINVAL;
    if (nb_store__numbered_is(sqlite3_sql(stmt), ia, sqlite3_bind_parameter_index(stmt, ":region")))
        return NB_EINVAL;
    if (sqlite3_bind_text(stmt, ia, account, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return NB_ESTORE;
    int ir = sqlite3_bind_parameter_index(stmt, ":region");
    if (ir != 0 && sqlite3_bind_text(stmt, ir, region ? region : NB_STORE_GLOBAL, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        return NB_ESTORE;
    return 0;
}

/* The cached statement for sql with :account and :region bound; NULL on failure. */
static inline sqlite3_stmt *nb_store_stmt_scoped(nb_store_t *st, const char *sql, const char *account,
                                                 const char *region) {
    sqlite3_stmt *stmt = nb_store_stmt(st, sql);
    if (stmt != NULL && nb_store_bind_scope(stmt, account, region) != 0)
        return NULL;
    return stmt;
}

#ifndef NB_CORE_INTERNAL
/* nb_store_stmt_scoped() with the request's account and region. */
#define nb_store_scoped(st, req, sql) nb_store_stmt_scoped((st), (sql), nb_req_account(req), nb_req_region(req))
/* The same for a table whose rows belong to no region (region NB_STORE_GLOBAL). */
#define nb_store_scoped_global(st, req, sql) nb_store_stmt_scoped((st), (sql), nb_req_account(req), NB_STORE_GLOBAL)
#endif

/* ------------------------------------------------------- nested atomic groups */

/* Savepoints nest inside the request's transaction (or start one outside it).
 * name: a plain identifier. Each returns 0 or NB_ESTORE. */
static inline int nb_store__exec3(sqlite3 *db, const char *a, const char *name, const char *b) {
    char *sql = sqlite3_mprintf("%s\"%w\"%s", a, name, b);
    int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    return rc == SQLITE_OK ? 0 : NB_ESTORE;
}
static inline int nb_store_savepoint(sqlite3 *db, const char *name) {
    return nb_store__exec3(db, "SAVEPOINT ", name, "");
}
static inline int nb_store_release(sqlite3 *db, const char *name) {
    return nb_store__exec3(db, "RELEASE ", name, "");
}
/* Undoes everything since the savepoint and ends it. */
static inline int nb_store_rollback_to(sqlite3 *db, const char *name) {
    char *sql = sqlite3_mprintf("ROLLBACK TO \"%w\"; RELEASE \"%w\"", name, name);
    int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    return rc == SQLITE_OK ? 0 : NB_ESTORE;
}

#ifdef __cplusplus
}
#endif
#endif /* NIMBUS_STORE_H */
