/* ImportTable from S3: once the request committed, the new table is created, the objects under the
 * prefix listed and read (gzip'd or not), each line's {"Item": ...} written 25 at a time, every
 * step an in-process call (CreateTable and BatchWriteItem go through this plugin's own checks).
 * The job then records COMPLETED with its counts, or FAILED with the step's error. A line that is
 * not an item counts in ErrorCount, as AWS counts it. DescribeImport, ListImports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ddb.h"
#include "ddb_jobs.h"

#define WRITE_BATCH 25

typedef struct import_job {
    char *account, *region, *arn, *bucket, *prefix, *table;
    json_t *params;          /* TableCreationParameters */
    bool gzip;
    json_t *keys;            /* object keys left to read */
    json_t *items;           /* items read, not written yet */
    json_int_t imported, processed, errors, bytes;
    size_t batch;            /* items in the BatchWriteItem under way */
} import_job_t;

static void job_free(import_job_t *j) {
    free(j->account), free(j->region), free(j->arn), free(j->bucket), free(j->prefix), free(j->table);
    json_decref(j->params);
    json_decref(j->keys);
    json_decref(j->items);
    free(j);
}

static void finish(import_job_t *j, const nb_call_result_t *failed) {
    json_t *f = json_pack("{s:s,s:I,s:I,s:I,s:I}", "ImportStatus", failed ? "FAILED" : "COMPLETED",
                          "ImportedItemCount", j->imported, "ProcessedItemCount", j->processed, "ErrorCount", j->errors,
                          "ProcessedSizeBytes", j->bytes);
    if (failed != NULL) {
        json_object_set_new(f, "FailureCode", json_string(failed->error_code ? failed->error_code : "UNKNOWN"));
        json_object_set_new(f, "FailureMessage", json_string(failed->error_message ? failed->error_message : ""));
    }
    ddb_job_update_later(j->arn, f);
    job_free(j);
}

static void call(import_job_t *j, const char *service, const char *op, json_t *in, nb_call_cb cb) {
    if (nb_call_async(ddb.self, j->account, j->region, service, op, in, cb, j) == 0)
        finish(j, &(nb_call_result_t){.rc = NB_ENOMEM, .error_code = "InternalFailure", .error_message = op});
}

static void next_object(import_job_t *j);

static void written(const nb_call_result_t *r, void *data);

/* Writes the next batch of items read, or goes on to the next object. */
static void write_next(import_job_t *j) {
    size_t n = json_array_size(j->items);
    if (n == 0) {
        next_object(j);
        return;
    }
    size_t take = n < WRITE_BATCH ? n : WRITE_BATCH;
    json_t *reqs = json_array();
    for (size_t i = 0; i < take; i++)
        json_array_append_new(reqs, json_pack("{s:{s:O}}", "PutRequest", "Item", json_array_get(j->items, i)));
    for (size_t i = 0; i < take; i++)
        json_array_remove(j->items, 0);
    json_t *in = json_pack("{s:{s:o}}", "RequestItems", j->table, reqs);
    j->processed += (json_int_t)take;
    j->batch = take;
    call(j, "dynamodb", "BatchWriteItem", in, written);
}

static void written(const nb_call_result_t *r, void *data) {
    import_job_t *j = data;
    /* a batch refused as a whole (an item without its key) counts its items as errors */
    if (r->rc == 0)
        j->imported += (json_int_t)j->batch;
    else
        j->errors += (json_int_t)j->batch;
    write_next(j);
}

/* One object's text: a line per item. */
static void parse_lines(import_job_t *j, const char *text, size_t len) {
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0) {
            json_t *line = json_loadb(p, n, 0, NULL);
            json_t *item = json_object_get(line, "Item");
            const char *k;
            json_t *v;
            int bad = !json_is_object(item);
            if (!bad)
                json_object_foreach(item, k, v) bad |= ddb_json_binary(v, 0) != 0;
            if (bad) {
                j->errors++;
                j->processed++;
            } else {
                json_array_append(j->items, item);
            }
            json_decref(line);
        }
        p += n + 1;
    }
}

static char *gunzip(const char *in, size_t len, size_t *out_len) {
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return NULL;
    size_t cap = len * 4 + 1024, used = 0;
    char *out = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int rc = Z_OK;
    while (out != NULL && rc == Z_OK) {
        if (cap - used < 1024) {
            char *grown = realloc(out, cap *= 2);
            if (grown == NULL) {
                free(out);
                out = NULL;
                break;
            }
            out = grown;
        }
        z.next_out = (Bytef *)out + used;
        z.avail_out = (uInt)(cap - used);
        rc = inflate(&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *out_len = used;
    return out;
}

static void got(const nb_call_result_t *r, void *data) {
    import_job_t *j = data;
    if (r->rc != 0) {
        finish(j, r);
        return;
    }
    int64_t size = r->body ? nb_body_size(r->body) : 0;
    char *raw = size > 0 ? malloc((size_t)size) : NULL;
    if (raw != NULL && nb_body_read(r->body, 0, raw, (size_t)size) != size) {
        free(raw);
        raw = NULL;
    }
    j->bytes += size;
    size_t len = (size_t)size;
    char *text = raw;
    if (raw != NULL && j->gzip) {
        text = gunzip(raw, (size_t)size, &len);
        free(raw);
        if (text == NULL)
            j->errors++; /* not gzip: the object counts as one error */
    }
    if (text != NULL)
        parse_lines(j, text, len);
    free(text);
    write_next(j);
}

static void next_object(import_job_t *j) {
    if (json_array_size(j->keys) == 0) {
        finish(j, NULL);
        return;
    }
    json_t *in = json_pack("{s:s,s:O}", "Bucket", j->bucket, "Key", json_array_get(j->keys, 0));
    json_array_remove(j->keys, 0);
    call(j, "s3", "GetObject", in, got);
}

static void listed(const nb_call_result_t *r, void *data) {
    import_job_t *j = data;
    if (r->rc != 0) {
        finish(j, r);
        return;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(r->output, "Contents"), i, o) {
        const char *key = nb_json_str(o, "Key");
        if (key != NULL && key[0] != '\0' && key[strlen(key) - 1] != '/')
            json_array_append_new(j->keys, json_string(key));
    }
    next_object(j);
}

static void created(const nb_call_result_t *r, void *data) {
    import_job_t *j = data;
    if (r->rc != 0) {
        finish(j, r);
        return;
    }
    json_t *in = json_pack("{s:s}", "Bucket", j->bucket);
    if (j->prefix != NULL)
        json_object_set_new(in, "Prefix", json_string(j->prefix));
    call(j, "s3", "ListObjectsV2", in, listed);
}

static void start(void *data) {
    import_job_t *j = data;
    call(j, "dynamodb", "CreateTable", json_deep_copy(j->params), created);
}

static void dropped(void *data) { job_free(data); }

nb_result_t dynamodb_import_table(nb_req_t *req, const json_t *input) {
    const json_t *params = json_object_get(input, "TableCreationParameters");
    const json_t *src = json_object_get(input, "S3BucketSource");
    const char *name = nb_json_str(params, "TableName");
    NB_TRY(ddb_check_name(req, name, "tableCreationParameters.tableName"));
    ddb_table_t *t;
    int rc = ddb_table_find(req, name, &t);
    if (rc == 0)
        return nb_error(req, "ResourceInUseException", "Table already exists: %s", name);
    if (rc != NB_ENOENT)
        return NB_FAILED(rc);
    if (!nb_json_str_eq(input, "InputFormat", "DYNAMODB_JSON"))
        return ddb_invalid(req, "One or more parameter values were invalid: InputFormat %s is not supported by Nimbus "
                                "yet (DYNAMODB_JSON is)", nb_json_str(input, "InputFormat"));
    char id[40], hex[NB_HEX_SIZE(4)];
    unsigned char rnd[4];
    nb_random_bytes(rnd, sizeof rnd);
    nb_hex_encode(rnd, sizeof rnd, 0, hex, sizeof hex);
    double now = nb_now();
    snprintf(id, sizeof id, "%013lld-%s", (long long)(now * 1000), hex);
    const char *table_arn = ddb_table_arn(req, name);
    const char *arn = nb_req_printf(req, "%s/import/%s", table_arn, id);
    json_t *desc = json_pack("{s:s,s:s,s:s,s:O,s:s,s:s,s:O,s:f,s:i,s:i,s:i,s:i}", "ImportArn", arn, "ImportStatus",
                             "IN_PROGRESS", "TableArn", table_arn, "S3BucketSource", src, "InputFormat",
                             "DYNAMODB_JSON", "InputCompressionType",
                             nb_json_str(input, "InputCompressionType") ? nb_json_str(input, "InputCompressionType")
                                                                        : "NONE",
                             "TableCreationParameters", params, "StartTime", now, "ErrorCount", 0,
                             "ProcessedItemCount", 0, "ImportedItemCount", 0, "ProcessedSizeBytes", 0);
    import_job_t *j = calloc(1, sizeof *j);
    if (j == NULL || desc == NULL) {
        free(j);
        json_decref(desc);
        return NB_FAILED(NB_ENOMEM);
    }
    j->account = strdup(nb_req_account(req));
    j->region = strdup(nb_req_region(req));
    j->arn = strdup(arn);
    j->bucket = strdup(nb_json_str(src, "S3Bucket"));
    j->prefix = nb_json_str(src, "S3KeyPrefix") ? strdup(nb_json_str(src, "S3KeyPrefix")) : NULL;
    j->table = strdup(name);
    j->params = json_deep_copy(params);
    j->gzip = nb_json_str_eq(input, "InputCompressionType", "GZIP");
    j->keys = json_array();
    j->items = json_array();
    if ((rc = ddb_job_insert(req, "import", arn, table_arn, desc)) != 0 || nb_req_on_commit(req, start, j) != 0) {
        json_decref(desc);
        job_free(j);
        return NB_FAILED(rc ? rc : NB_ENOMEM);
    }
    nb_req_on_rollback(req, dropped, j);
    return nb_reply_new(req, json_pack("{s:o}", "ImportTableDescription", desc));
}

nb_result_t dynamodb_describe_import(nb_req_t *req, const json_t *input) {
    json_t *def = ddb_job_load(req, "import", nb_json_str(input, "ImportArn"));
    if (def == NULL)
        return nb_error(req, "ImportNotFoundException", "Import not found: %s", nb_json_str(input, "ImportArn"));
    return nb_reply_new(req, json_pack("{s:o}", "ImportTableDescription", def));
}

nb_result_t dynamodb_list_imports(nb_req_t *req, const json_t *input) {
    json_t *defs = ddb_job_list(req, "import", nb_json_str(input, "TableArn")), *list = json_array();
    size_t i;
    json_t *def;
    json_array_foreach(defs, i, def)
        json_array_append_new(list, json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "ImportArn", json_object_get(def, "ImportArn"),
                                              "ImportStatus", json_object_get(def, "ImportStatus"), "TableArn",
                                              json_object_get(def, "TableArn"), "S3BucketSource",
                                              json_object_get(def, "S3BucketSource"), "InputFormat",
                                              json_object_get(def, "InputFormat"), "StartTime",
                                              json_object_get(def, "StartTime")));
    json_decref(defs);
    return nb_reply_new(req, json_pack("{s:o}", "ImportSummaryList", list));
}
