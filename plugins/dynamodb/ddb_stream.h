/* DynamoDB Streams: a table's stream (StreamSpecification), the record every item write adds to
 * it in the write's own store transaction, and the dynamodbstreams operations that read them
 * (ddb_stream_api.c), served by this plugin (ABI 1.10 also_serves) so they read the same store. */
#ifndef DDB_STREAM_H
#define DDB_STREAM_H

#include "ddb.h"

/* The stream tables (the plugin's second schema migration). */
extern const char ddb_stream_schema[];
extern const nb_plugin_service_t ddb_stream_services[];

/* Applies a StreamSpecification of CreateTable (creating: true) or UpdateTable to the table's
 * definition `def`: a new stream (its row, LatestStreamArn/Label), or the current one disabled;
 * AWS's ValidationException for enabling an enabled stream or disabling none. */
nb_step_t ddb_stream_configure(nb_req_t *req, json_t *def, const json_t *spec, bool creating);
/* The table is deleted: its stream is disabled (readable until its records age out). */
int ddb_stream_table_deleted(const ddb_table_t *t);
/* A copy of a definition (restore) starts without the stream of the table it came from. */
void ddb_stream_forget(json_t *def);
/* The record of an item write (old NULL: INSERT, item NULL: REMOVE), when the table has a stream. */
int ddb_stream_record(const ddb_table_t *t, const json_t *old, const json_t *item);
/* Writes recorded while set (the TTL sweep) carry the service's userIdentity. */
void ddb_stream_by_service(bool on);
/* Trimming of records past the retention period, on a timer of the plugin. */
void ddb_stream_start(nb_plugin_t *self);
void ddb_stream_stop(void);

#endif
