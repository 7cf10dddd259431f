/* ExportTableToPointInTime: the table's items as DynamoDB JSON lines ({"Item": {...}}, binary values
 * in base64), gzip'd, written to an S3 bucket of Nimbus with AWS's layout
 * (<prefix>/AWSDynamoDB/<export id>/data/<file>.json.gz and manifest-summary.json). The export is
 * IN_PROGRESS when answered; once the request committed, the objects are put through S3 in-process
 * (nb_call_async) and the job records COMPLETED or FAILED (with S3's error). DescribeExport, ListExports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ddb.h"
#include "ddb_codec.h"
#include "ddb_jobs.h"

typedef struct export_job {
    char *account, *region, *arn, *bucket, *data_key, *manifest_key;
    char *data, *manifest;
    size_t data_len;
} export_job_t;

static void job_free(export_job_t *j) {
    free(j->account), free(j->region), free(j->arn), free(j->bucket), free(j->data_key), free(j->manifest_key);
    free(j->data), free(j->manifest);
    free(j);
}

/* Every item as one line, gzip'd; *count the items. NULL on failure. */
static char *export_data(const ddb_table_t *t, size_t *len, json_int_t *count) {
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = 64 * 1024, used = 0;
    char *out = malloc(cap);
    sqlite3_stmt *s = nb_store_stmt(&ddb.store, "SELECT item FROM items WHERE tid = ?1 ORDER BY pk, sk");
    if (out == NULL || s == NULL) {
        free(out);
        deflateEnd(&z);
        return NULL;
    }
    sqlite3_bind_int64(s, 1, t->tid);
    *count = 0;
    int more = 1;
    while (more) {
        char *line = NULL;
        if (sqlite3_step(s) == SQLITE_ROW) {
            json_t *item = ddb_item_decode(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
            const char *k;
            json_t *v;
            json_object_foreach(item, k, v) ddb_json_binary(v, 1);
            json_t *wrapped = json_pack("{s:o}", "Item", item);
            line = json_dumps(wrapped, JSON_COMPACT);
            json_decref(wrapped);
            (*count)++;
        } else {
            more = 0;
        }
        char *nl = line ? realloc(line, strlen(line) + 2) : NULL;
        if (nl != NULL)
            strcat(nl, "\n");
        z.next_in = (Bytef *)(nl ? nl : "");
        z.avail_in = nl ? (uInt)strlen(nl) : 0;
        do {
            if (cap - used < 4096) {
                char *grown = realloc(out, cap *= 2);
                if (grown == NULL)
                    break;
                out = grown;
            }
            z.next_out = (Bytef *)out + used;
            z.avail_out = (uInt)(cap - used);
            deflate(&z, more ? Z_NO_FLUSH : Z_FINISH);
            used = cap - z.avail_out;
        } while (z.avail_in > 0 || (!more && z.avail_out == 0));
        free(nl ? nl : line);
    }
    sqlite3_reset(s);
    deflateEnd(&z);
    *len = used;
    return out;
}

static void finish(export_job_t *j, const nb_call_result_t *r) {
    json_t *fields = json_pack("{s:s}", "ExportStatus", r ? "FAILED" : "COMPLETED");
    if (r != NULL) {
        json_object_set_new(fields, "FailureCode",
                            json_string(r->error_code && strcmp(r->error_code, "NoSuchBucket") == 0 ? "S3NoSuchBucket"
                                                                                                   : "UNKNOWN"));
        char msg[512];
        snprintf(msg, sizeof msg, "%s: %s", r->error_code ? r->error_code : "error",
                 r->error_message ? r->error_message : "");
        json_object_set_new(fields, "FailureMessage", json_string(msg));
    }
    ddb_job_update_later(j->arn, fields);
    job_free(j);
}

static void manifest_put(const nb_call_result_t *r, void *data) { finish(data, r->rc != 0 ? r : NULL); }

static void data_put(const nb_call_result_t *r, void *data) {
    export_job_t *j = data;
    if (r->rc != 0) {
        finish(j, r);
        return;
    }
    json_t *in = json_pack("{s:s,s:s,s:s}", "Bucket", j->bucket, "Key", j->manifest_key, "Body", j->manifest);
    if (nb_call_async(ddb.self, j->account, j->region, "s3", "PutObject", in, manifest_put, j) == 0)
        finish(j, NULL);
}

static void start(void *data) {
    export_job_t *j = data;
    json_t *in = json_pack("{s:s,s:s,s:o}", "Bucket", j->bucket, "Key", j->data_key, "Body",
                           json_stringn_nocheck(j->data, j->data_len));
    if (nb_call_async(ddb.self, j->account, j->region, "s3", "PutObject", in, data_put, j) == 0)
        finish(j, NULL);
}

static void dropped(void *data) { job_free(data); }

nb_result_t dynamodb_export_table_to_point_in_time(nb_req_t *req, const json_t *input) {
    const char *table_arn = nb_json_str(input, "TableArn");
    ddb_table_t *t;
    int rc = ddb_table_find(req, table_arn, &t);
    if (rc == NB_ENOENT)
        return nb_error(req, "TableNotFoundException", "Table not found: %s", ddb_table_name_of(table_arn));
    if (rc != 0)
        return NB_FAILED(rc);
    if (!nb_json_bool(json_object_get(t->def, "_PointInTimeRecovery"), "Enabled", false))
        return nb_error(req, "PointInTimeRecoveryUnavailableException",
                        "Point in time recovery is not enabled for table '%s'", t->name);
    char id[40], rnd_hex[NB_HEX_SIZE(4)];
    unsigned char rnd[4];
    nb_random_bytes(rnd, sizeof rnd);
    nb_hex_encode(rnd, sizeof rnd, 0, rnd_hex, sizeof rnd_hex);
    double now = nb_now();
    snprintf(id, sizeof id, "%013lld-%s", (long long)(now * 1000), rnd_hex);
    const char *prefix = nb_json_str(input, "S3Prefix");
    const char *dir = nb_req_printf(req, "%s%sAWSDynamoDB/%s", prefix ? prefix : "", prefix ? "/" : "", id);
    export_job_t *j = calloc(1, sizeof *j);
    json_int_t count = 0;
    if (j == NULL || (j->data = export_data(t, &j->data_len, &count)) == NULL) {
        if (j)
            job_free(j);
        return NB_FAILED(NB_ENOMEM);
    }
    const char *arn = nb_req_printf(req, "%s/export/%s", nb_json_str(t->def, "TableArn"), id);
    j->account = strdup(nb_req_account(req));
    j->region = strdup(nb_req_region(req));
    j->arn = strdup(arn);
    j->bucket = strdup(nb_json_str(input, "S3Bucket"));
    j->data_key = strdup(nb_req_printf(req, "%s/data/%s.json.gz", dir, rnd_hex));
    j->manifest_key = strdup(nb_req_printf(req, "%s/manifest-summary.json", dir));
    json_t *desc = json_pack("{s:s,s:s,s:f,s:s,s:s,s:f,s:s,s:s,s:s,s:I,s:I,s:s}", "ExportArn", arn, "ExportStatus",
                             "IN_PROGRESS", "StartTime", now, "TableArn", nb_json_str(t->def, "TableArn"), "TableId",
                             nb_json_str(t->def, "TableId"), "ExportTime", nb_json_num(input, "ExportTime", now),
                             "S3Bucket", j->bucket, "S3SseAlgorithm", "AES256", "ExportFormat", "DYNAMODB_JSON",
                             "ItemCount", count, "BilledSizeBytes", (json_int_t)t->size_bytes, "ExportType",
                             "FULL_EXPORT");
    if (prefix != NULL)
        json_object_set_new(desc, "S3Prefix", json_string(prefix));
    json_object_set_new(desc, "ExportManifest", json_string(j->manifest_key));
    json_t *manifest = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "version", "2020-06-30", "exportArn", arn,
                                 "tableArn", nb_json_str(t->def, "TableArn"), "itemCount", count, "outputFormat",
                                 "DYNAMODB_JSON", "exportType", "FULL_EXPORT");
    j->manifest = json_dumps(manifest, JSON_COMPACT);
    json_decref(manifest);
    if (j->manifest == NULL || j->bucket == NULL) {
        json_decref(desc);
        job_free(j);
        return NB_FAILED(NB_ENOMEM);
    }
    if ((rc = ddb_job_insert(req, "export", arn, nb_json_str(t->def, "TableArn"), desc)) != 0 ||
        nb_req_on_commit(req, start, j) != 0) {
        json_decref(desc);
        job_free(j);
        return NB_FAILED(rc ? rc : NB_ENOMEM);
    }
    nb_req_on_rollback(req, dropped, j);
    return nb_reply_new(req, json_pack("{s:o}", "ExportDescription", desc));
}

nb_result_t dynamodb_describe_export(nb_req_t *req, const json_t *input) {
    json_t *def = ddb_job_load(req, "export", nb_json_str(input, "ExportArn"));
    if (def == NULL)
        return nb_error(req, "ExportNotFoundException", "Export not found: %s", nb_json_str(input, "ExportArn"));
    return nb_reply_new(req, json_pack("{s:o}", "ExportDescription", def));
}

nb_result_t dynamodb_list_exports(nb_req_t *req, const json_t *input) {
    json_t *defs = ddb_job_list(req, "export", nb_json_str(input, "TableArn")), *list = json_array();
    size_t i;
    json_t *def;
    json_array_foreach(defs, i, def)
        json_array_append_new(list, json_pack("{s:O,s:O,s:O}", "ExportArn", json_object_get(def, "ExportArn"),
                                              "ExportStatus", json_object_get(def, "ExportStatus"), "ExportType",
                                              json_object_get(def, "ExportType")));
    json_decref(defs);
    return nb_reply_new(req, json_pack("{s:o}", "ExportSummaries", list));
}
