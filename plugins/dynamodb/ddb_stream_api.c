/* The dynamodbstreams service (DynamoDBStreams_20120810), served by this plugin through ABI 1.10's
 * also_serves so that it reads the store the records were committed to: ListStreams,
 * DescribeStream, GetShardIterator, GetRecords. A stream has one shard. A shard iterator is the
 * text "<stream arn>|<shard>|<next sequence number>|<issue time>", good for 15 minutes. */
#include "ddb_stream.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_authz.h"
#include "ddb_codec.h"
#include "ddb_stream_int.h"

#define ITERATOR_LIFETIME 900.0 /* seconds, AWS's 15 minutes */
#define RECORDS_MAX 1000

typedef struct stream_row {
    int64_t sid, last_seq, trimmed_seq;
    const char *arn, *table, *label, *view, *shard, *key_schema;
    double created, disabled; /* disabled 0: enabled */
} stream_row_t;

static const char *seq_text(nb_req_t *req, int64_t n) { return nb_req_printf(req, "1%020lld", (long long)n); }

/* A sequence number this service gave ("1" and 20 digits). */
static bool seq_parse(const char *s, int64_t *n) {
    if (s == NULL || strlen(s) != 21 || s[0] != '1' || strspn(s, "0123456789") != 21)
        return false;
    *n = strtoll(s + 1, NULL, 10);
    return true;
}

static const char *col_text(nb_req_t *req, sqlite3_stmt *s, int i) {
    return nb_req_strdup(req, (const char *)sqlite3_column_text(s, i));
}

/* 0, NB_ENOENT or NB_ESTORE. */
static int stream_load(nb_req_t *req, const char *arn, stream_row_t *r) {
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT sid, COALESCE((SELECT max(seq) FROM _stream_records r WHERE"
                                      " r.sid = streams.sid), trimmed_seq), trimmed_seq, table_name, label,"
                                      " view_type, shard, key_schema, created, disabled FROM streams WHERE arn = ?1"
                                      " AND account = :account AND region = :region");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_text(s, 1, arn, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *r = (stream_row_t){.sid = sqlite3_column_int64(s, 0), .last_seq = sqlite3_column_int64(s, 1),
                            .trimmed_seq = sqlite3_column_int64(s, 2), .arn = nb_req_strdup(req, arn),
                            .table = col_text(req, s, 3), .label = col_text(req, s, 4), .view = col_text(req, s, 5),
                            .shard = col_text(req, s, 6), .key_schema = col_text(req, s, 7),
                            .created = sqlite3_column_double(s, 8), .disabled = sqlite3_column_double(s, 9)};
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? NB_ENOENT : NB_ESTORE;
}

static nb_step_t stream_get(nb_req_t *req, const char *arn, stream_row_t *r) {
    int rc = stream_load(req, arn, r);
    if (rc == NB_ENOENT)
        return nb_stop(nb_error(req, "ResourceNotFoundException", "Requested resource not found: Stream: %s not found",
                                arn));
    return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
}

static nb_result_t trimmed(nb_req_t *req) {
    return nb_error(req, "TrimmedDataAccessException",
                    "The operation attempted to read past the oldest stream record in a shard.");
}

static nb_result_t dynamodbstreams_list_streams(nb_req_t *req, const json_t *input) {
    const char *table = nb_json_str(input, "TableName");
    const char *start = nb_json_str(input, "ExclusiveStartStreamArn");
    json_int_t limit = nb_json_int(input, "Limit", 100);
    if (limit > 100)
        return ddb_invalid(req, "1 validation error detected: Value '%lld' at 'limit' failed to satisfy constraint: "
                                "Member must have value less than or equal to 100", (long long)limit);
    stream_row_t from = {0};
    if (start != NULL)
        NB_TRY(stream_get(req, start, &from));
    sqlite3_stmt *s = nb_store_scoped(&ddb.store, req,
                                      "SELECT arn, table_name, label FROM streams WHERE sid > ?1"
                                      " AND (?2 IS NULL OR table_name = ?2) AND account = :account"
                                      " AND region = :region ORDER BY sid LIMIT :limit");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, from.sid);
    if (table != NULL)
        sqlite3_bind_text(s, 2, ddb_table_name_of(table), -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 2);
    sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":limit"), limit + 1);
    json_t *list = json_array(), *out = json_object();
    const char *last = NULL;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((json_int_t)json_array_size(list) == limit) {
            json_object_set_new(out, "LastEvaluatedStreamArn", json_string(last));
            break;
        }
        last = col_text(req, s, 0);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "StreamArn", last, "TableName",
                                              (const char *)sqlite3_column_text(s, 1), "StreamLabel",
                                              (const char *)sqlite3_column_text(s, 2)));
    }
    sqlite3_reset(s);
    json_object_set_new(out, "Streams", list);
    ddb_table_t *t;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        json_decref(out);
        return NB_FAILED(NB_ESTORE);
    }
    /* a table that is gone still lists its streams until they age out */
    if (table != NULL && json_array_size(list) == 0 && start == NULL && ddb_table_find(req, table, &t) == NB_ENOENT) {
        json_decref(out);
        return nb_error(req, "ResourceNotFoundException", "Requested resource not found: Table: %s not found",
                        ddb_table_name_of(table));
    }
    return nb_reply_new(req, out);
}

static nb_result_t dynamodbstreams_describe_stream(nb_req_t *req, const json_t *input) {
    stream_row_t r;
    NB_TRY(stream_get(req, nb_json_str(input, "StreamArn"), &r));
    const char *after = nb_json_str(input, "ExclusiveStartShardId");
    json_t *shards = json_array();
    if (after == NULL || strcmp(after, r.shard) < 0) {
        json_t *range = json_pack("{s:s}", "StartingSequenceNumber", seq_text(req, 1));
        /* a disabled stream's shard is closed: it ends at its last record */
        if (r.disabled > 0)
            json_object_set_new(range, "EndingSequenceNumber",
                                json_string(seq_text(req, r.last_seq > 0 ? r.last_seq : 1)));
        json_array_append_new(shards, json_pack("{s:s,s:o}", "ShardId", r.shard, "SequenceNumberRange", range));
    }
    json_t *d = json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:o,s:o}", "StreamArn", r.arn, "StreamLabel", r.label,
                          "StreamStatus", r.disabled > 0 ? "DISABLED" : "ENABLED", "StreamViewType", r.view,
                          "CreationRequestDateTime", r.created, "TableName", r.table, "KeySchema",
                          json_loads(r.key_schema, 0, NULL), "Shards", shards);
    return nb_reply_new(req, json_pack("{s:o}", "StreamDescription", d));
}

static const char *iterator_new(nb_req_t *req, const stream_row_t *r, int64_t next) {
    return nb_req_printf(req, "%s|%s|%lld|%.3f", r->arn, r->shard, (long long)next, nb_now());
}

/* The position an iterator type names: the sequence number of the next record to read. */
static nb_step_t iterator_start(nb_req_t *req, const json_t *input, const stream_row_t *r, int64_t *next) {
    const char *type = nb_json_str(input, "ShardIteratorType");
    const char *seq = nb_json_str(input, "SequenceNumber");
    if (strcmp(type, "TRIM_HORIZON") == 0) {
        *next = r->trimmed_seq + 1;
        return NB_GO_ON;
    }
    if (strcmp(type, "LATEST") == 0) {
        *next = r->last_seq + 1;
        return NB_GO_ON;
    }
    bool after = strcmp(type, "AFTER_SEQUENCE_NUMBER") == 0;
    int64_t n;
    if (seq == NULL)
        return nb_stop(ddb_invalid(req, "SequenceNumber is required for ShardIteratorType %s", type));
    if (!seq_parse(seq, &n) || n < 1 || n > r->last_seq)
        return nb_stop(ddb_invalid(req, "Invalid SequenceNumber: %s is not in shard %s", seq, r->shard));
    *next = after ? n + 1 : n;
    if (*next <= r->trimmed_seq)
        return nb_stop(trimmed(req));
    return NB_GO_ON;
}

static nb_result_t dynamodbstreams_get_shard_iterator(nb_req_t *req, const json_t *input) {
    stream_row_t r;
    NB_TRY(stream_get(req, nb_json_str(input, "StreamArn"), &r));
    const char *shard = nb_json_str(input, "ShardId");
    if (strcmp(shard, r.shard) != 0)
        return nb_error(req, "ResourceNotFoundException", "Requested resource not found: Shard: %s in Stream: %s not found",
                        shard, r.arn);
    int64_t next;
    NB_TRY(iterator_start(req, input, &r, &next));
    return nb_reply_new(req, json_pack("{s:s}", "ShardIterator", iterator_new(req, &r, next)));
}

/* Splits an iterator into its stream ARN, next sequence number and issue time. */
static bool iterator_parse(nb_req_t *req, const char *it, const char **arn, int64_t *next, double *issued) {
    const char *bars[3];
    const char *p = it + strlen(it);
    for (int i = 2; i >= 0; i--) {
        while (p > it && p[-1] != '|')
            p--;
        if (p == it)
            return false;
        bars[i] = --p;
    }
    char *end;
    *next = strtoll(bars[1] + 1, &end, 10);
    if (end != bars[2] || *next < 1)
        return false;
    *issued = strtod(bars[2] + 1, &end);
    if (*end != '\0')
        return false;
    *arn = nb_req_printf(req, "%.*s", (int)(bars[0] - it), it);
    return true;
}

static json_t *record_json(nb_req_t *req, const stream_row_t *r, sqlite3_stmt *s) {
    static const char *const events[] = {"", "INSERT", "MODIFY", "REMOVE"};
    int64_t seq = sqlite3_column_int64(s, 0);
    int event = sqlite3_column_int(s, 2);
    json_t *sr = json_pack("{s:f,s:o,s:s,s:I,s:s}", "ApproximateCreationDateTime", floor(sqlite3_column_double(s, 1)),
                           "Keys", ddb_item_decode(sqlite3_column_blob(s, 4), (size_t)sqlite3_column_bytes(s, 4)),
                           "SequenceNumber", seq_text(req, seq), "SizeBytes", (json_int_t)sqlite3_column_int64(s, 7),
                           "StreamViewType", r->view);
    if (sqlite3_column_type(s, 5) == SQLITE_BLOB)
        json_object_set_new(sr, "NewImage", ddb_item_decode(sqlite3_column_blob(s, 5), (size_t)sqlite3_column_bytes(s, 5)));
    if (sqlite3_column_type(s, 6) == SQLITE_BLOB)
        json_object_set_new(sr, "OldImage", ddb_item_decode(sqlite3_column_blob(s, 6), (size_t)sqlite3_column_bytes(s, 6)));
    /* AWS's eventID: 32 hex digits, unique per record */
    const char *id = nb_req_printf(req, "%016llx%016llx", (unsigned long long)ddb_stream_mix((uint64_t)r->sid),
                                   (unsigned long long)ddb_stream_mix((uint64_t)seq));
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "eventID", id, "eventName",
                            events[event >= 1 && event <= 3 ? event : 0], "eventVersion", "1.1", "eventSource",
                            "aws:dynamodb", "awsRegion", nb_req_region(req), "dynamodb", sr);
    if (sqlite3_column_int(s, 3)) /* a TTL deletion: the service deleted it */
        json_object_set_new(rec, "userIdentity",
                            json_pack("{s:s,s:s}", "PrincipalId", "dynamodb.amazonaws.com", "Type", "Service"));
    return rec;
}

static nb_result_t dynamodbstreams_get_records(nb_req_t *req, const json_t *input) {
    const char *it = nb_json_str(input, "ShardIterator"), *arn;
    json_int_t limit = nb_json_int(input, "Limit", RECORDS_MAX);
    if (limit > RECORDS_MAX)
        return ddb_invalid(req, "1 validation error detected: Value '%lld' at 'limit' failed to satisfy constraint: "
                                "Member must have value less than or equal to %d", (long long)limit, RECORDS_MAX);
    int64_t next;
    double issued;
    if (!iterator_parse(req, it, &arn, &next, &issued))
        return ddb_invalid(req, "Invalid ShardIterator");
    if (nb_now() - issued > ITERATOR_LIFETIME)
        return nb_error(req, "ExpiredIteratorException", "Iterator expired: the iterator was issued more than 15 "
                                                         "minutes ago");
    stream_row_t r;
    NB_TRY(stream_get(req, arn, &r));
    if (next <= r.trimmed_seq)
        return trimmed(req);
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "SELECT seq, created, event, by_service, keys, new_image, old_image,"
                                                " size FROM _stream_records WHERE sid = ?1 AND seq >= ?2"
                                                " ORDER BY seq LIMIT ?3");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    sqlite3_bind_int64(s, 1, r.sid);
    sqlite3_bind_int64(s, 2, next);
    sqlite3_bind_int64(s, 3, limit);
    json_t *records = json_array();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        next = sqlite3_column_int64(s, 0) + 1;
        json_array_append_new(records, record_json(req, &r, s));
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        json_decref(records);
        return NB_FAILED(NB_ESTORE);
    }
    json_t *out = json_pack("{s:o}", "Records", records);
    /* a closed shard read to its end has no next iterator */
    if (!(r.disabled > 0 && next > r.last_seq))
        json_object_set_new(out, "NextShardIterator", json_string(iterator_new(req, &r, next)));
    return nb_reply_new(req, out);
}

static const nb_op_t stream_ops[] = {
    {"DescribeStream", dynamodbstreams_describe_stream, 0},
    {"GetRecords", dynamodbstreams_get_records, 0},
    {"GetShardIterator", dynamodbstreams_get_shard_iterator, 0},
    {"ListStreams", dynamodbstreams_list_streams, 0},
    {NULL, NULL, 0},
};

const nb_plugin_service_t ddb_stream_services[] = {
    {.service = "dynamodbstreams", .api_version = "2012-08-10", .ops = stream_ops, .authz_actions = ddb_stream_actions},
    {NULL, NULL, NULL, NULL},
};
