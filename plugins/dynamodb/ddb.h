/* DynamoDB plugin: the state every file shares, the table model and the helpers between files. */
#ifndef DDB_H
#define DDB_H

#include <stdbool.h>
#include <stdint.h>

#include <nimbus/plugin.h>
#include <nimbus/store.h>

#include "dynamodb_api.h"

typedef struct ddb_state {
    nb_plugin_t *self;
    nb_store_t store;
    nb_timer_t *ttl_timer;
} ddb_state_t;

extern ddb_state_t ddb;

/* A key attribute: its name and scalar type ('S', 'N' or 'B'); name NULL when absent (no sort key). */
typedef struct ddb_keyattr {
    const char *name;
    char type;
} ddb_keyattr_t;

typedef struct ddb_keydef {
    ddb_keyattr_t hash, range;
} ddb_keydef_t;

/* A secondary index as the table's definition records it. */
typedef struct ddb_index {
    const char *name;
    bool global;
    ddb_keydef_t key;
    const char *projection;  /* ALL, KEYS_ONLY, INCLUDE */
    const json_t *non_key;   /* INCLUDE's NonKeyAttributes (array), borrowed from the definition */
} ddb_index_t;

/* A table loaded for one request: everything is borrowed from `def`, which the request holds a
 * reference on. */
typedef struct ddb_table {
    int64_t tid;
    const char *name;
    json_t *def;            /* the stored TableDescription without status and counts */
    ddb_keydef_t key;
    ddb_index_t *indexes;
    size_t nindexes;
    int64_t item_count, size_bytes;
    const char *ttl_attr;   /* NULL: TTL disabled */
} ddb_table_t;

/* ddb_table.c */
/* Loads the table named in `input`'s TableName (a name or a table ARN); answers
 * ResourceNotFoundException with `missing_msg` (NULL: AWS's "Requested resource not found"). */
nb_step_t ddb_table_load(nb_req_t *req, const char *name, const char *missing_msg, ddb_table_t **out);
/* The same for the item paths, which only read the definition: t->def is shared with other
 * requests (a cached parse, ddb_table_cache.h) and must not be changed. */
nb_step_t ddb_table_read(nb_req_t *req, const char *name, ddb_table_t **out);
/* AWS's "1 validation error detected" for a table or index name outside [a-zA-Z0-9_.-]+. */
nb_step_t ddb_check_name(nb_req_t *req, const char *name, const char *member);
/* The same without answering: 0, NB_ENOENT or NB_ESTORE. */
int ddb_table_find(nb_req_t *req, const char *name, ddb_table_t **out);
/* The name part of a TableName that may be an ARN ("arn:aws:dynamodb:r:a:table/NAME"). */
const char *ddb_table_name_of(const char *name_or_arn);
/* The index named `name`, or NULL. */
const ddb_index_t *ddb_table_index(const ddb_table_t *t, const char *name);
/* The full TableDescription (status, counts, index counts) for DescribeTable and friends. */
json_t *ddb_table_describe(nb_req_t *req, const ddb_table_t *t);
/* Writes the definition back (after UpdateTable, tags, TTL changes). */
int ddb_table_save_def(const ddb_table_t *t);
/* Adds (dcount, dbytes) to the table's item count and size. */
int ddb_table_count_add(int64_t tid, int64_t dcount, int64_t dbytes);
int ddb_table_parse_def(nb_req_t *req, ddb_table_t *t);
/* A new table row for `def` in the request's account and region; *tid its id. */
int ddb_table_insert(nb_req_t *req, const char *name, const json_t *def, int64_t *tid);
char *ddb_table_arn(nb_req_t *req, const char *name);

/* ddb_error.c: AWS's ValidationException forms */
nb_result_t ddb_invalid(nb_req_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
nb_result_t ddb_not_found(nb_req_t *req);
/* "1 validation error detected: ... Member must have length less than or equal to <max>" for a list member. */
nb_result_t ddb_too_long(nb_req_t *req, const char *member, int max);

#endif
