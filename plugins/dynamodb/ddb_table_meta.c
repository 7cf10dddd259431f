/* What a table records beside its items: tags, TTL, point-in-time recovery; and the account-wide
 * DescribeLimits and DescribeEndpoints. */
#include <string.h>

#include "ddb.h"
#include "ddb_ttl.h"

/* A table named by its ARN (tags). */
static nb_step_t table_of_arn(nb_req_t *req, const char *arn, ddb_table_t **t) {
    int rc = ddb_table_find(req, arn, t);
    if (rc == NB_ENOENT || (rc == 0 && strncmp(arn ? arn : "", "arn:", 4) != 0))
        return nb_stop(nb_error(req, "ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not "
                                                                  "found", arn ? arn : ""));
    return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
}

static json_t *tags_of(ddb_table_t *t) {
    json_t *tags = json_object_get(t->def, "_Tags");
    if (tags == NULL) {
        tags = json_object();
        json_object_set_new(t->def, "_Tags", tags);
    }
    return tags;
}

nb_result_t dynamodb_tag_resource(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(table_of_arn(req, nb_json_str(input, "ResourceArn"), &t));
    json_t *tags = tags_of(t);
    size_t i;
    const json_t *tag;
    json_array_foreach(json_object_get(input, "Tags"), i, tag)
        json_object_set(tags, nb_json_str(tag, "Key"), json_object_get(tag, "Value"));
    if (json_object_size(tags) > 50)
        return ddb_invalid(req, "One or more parameter values were invalid: The number of tags exceeds the limit of "
                                "50 tags");
    int rc = ddb_table_save_def(t);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t dynamodb_untag_resource(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(table_of_arn(req, nb_json_str(input, "ResourceArn"), &t));
    json_t *tags = tags_of(t);
    size_t i;
    const json_t *key;
    json_array_foreach(json_object_get(input, "TagKeys"), i, key) json_object_del(tags, json_string_value(key));
    int rc = ddb_table_save_def(t);
    return rc == 0 ? NB_DONE : NB_FAILED(rc);
}

nb_result_t dynamodb_list_tags_of_resource(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(table_of_arn(req, nb_json_str(input, "ResourceArn"), &t));
    json_t *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(tags_of(t), k, v) json_array_append_new(list, json_pack("{s:s,s:O}", "Key", k, "Value", v));
    return nb_reply_new(req, json_pack("{s:o}", "Tags", list));
}

nb_result_t dynamodb_update_time_to_live(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, nb_json_str(input, "TableName"), NULL, &t));
    const json_t *spec = json_object_get(input, "TimeToLiveSpecification");
    bool enable = nb_json_bool(spec, "Enabled", false);
    if (enable && t->ttl_attr != NULL)
        return ddb_invalid(req, "TimeToLive is already enabled");
    if (!enable && t->ttl_attr == NULL)
        return ddb_invalid(req, "TimeToLive is already disabled");
    json_object_set_new(t->def, "_TimeToLive",
                        json_pack("{s:s,s:s}", "TimeToLiveStatus", enable ? "ENABLED" : "DISABLED", "AttributeName",
                                  nb_json_str(spec, "AttributeName")));
    t->ttl_attr = enable ? nb_json_str(spec, "AttributeName") : NULL;
    int rc = ddb_table_save_def(t);
    if (rc == 0)
        rc = ddb_ttl_reindex(t);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, json_pack("{s:O}", "TimeToLiveSpecification", spec));
}

nb_result_t dynamodb_describe_time_to_live(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, nb_json_str(input, "TableName"), NULL, &t));
    json_t *d = t->ttl_attr ? json_pack("{s:s,s:s}", "TimeToLiveStatus", "ENABLED", "AttributeName", t->ttl_attr)
                            : json_pack("{s:s}", "TimeToLiveStatus", "DISABLED");
    return nb_reply_new(req, json_pack("{s:o}", "TimeToLiveDescription", d));
}

static json_t *backups_desc(const ddb_table_t *t) {
    const json_t *pitr = json_object_get(t->def, "_PointInTimeRecovery");
    bool on = nb_json_bool(pitr, "Enabled", false);
    json_t *p = json_pack("{s:s}", "PointInTimeRecoveryStatus", on ? "ENABLED" : "DISABLED");
    if (on) {
        double now = nb_now(), since = nb_json_num(pitr, "Since", now);
        json_object_set_new(p, "EarliestRestorableDateTime", json_real(since));
        json_object_set_new(p, "LatestRestorableDateTime", json_real(now));
        json_object_set_new(p, "RecoveryPeriodInDays", json_integer(nb_json_int(pitr, "RecoveryPeriodInDays", 35)));
    }
    return json_pack("{s:{s:s,s:o}}", "ContinuousBackupsDescription", "ContinuousBackupsStatus", "ENABLED",
                     "PointInTimeRecoveryDescription", p);
}

static nb_step_t backups_table(nb_req_t *req, const json_t *input, ddb_table_t **t) {
    const char *name = nb_json_str(input, "TableName");
    int rc = ddb_table_find(req, name, t);
    if (rc == NB_ENOENT)
        return nb_stop(nb_error(req, "TableNotFoundException", "Table not found: %s", ddb_table_name_of(name)));
    return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
}

nb_result_t dynamodb_describe_continuous_backups(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(backups_table(req, input, &t));
    return nb_reply_new(req, backups_desc(t));
}

nb_result_t dynamodb_update_continuous_backups(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(backups_table(req, input, &t));
    const json_t *spec = json_object_get(input, "PointInTimeRecoverySpecification");
    bool on = nb_json_bool(spec, "PointInTimeRecoveryEnabled", false);
    const json_t *was = json_object_get(t->def, "_PointInTimeRecovery");
    double since = nb_json_bool(was, "Enabled", false) ? nb_json_num(was, "Since", nb_now()) : nb_now();
    json_object_set_new(t->def, "_PointInTimeRecovery",
                        json_pack("{s:b,s:f,s:I}", "Enabled", on, "Since", since, "RecoveryPeriodInDays",
                                  (json_int_t)nb_json_int(spec, "RecoveryPeriodInDays", 35)));
    int rc = ddb_table_save_def(t);
    if (rc != 0)
        return NB_FAILED(rc);
    return nb_reply_new(req, backups_desc(t));
}

/* AWS's default quotas. */
nb_result_t dynamodb_describe_limits(nb_req_t *req, const json_t *input) {
    (void)input;
    return nb_reply_new(req, json_pack("{s:i,s:i,s:i,s:i}", "AccountMaxReadCapacityUnits", 80000,
                                       "AccountMaxWriteCapacityUnits", 80000, "TableMaxReadCapacityUnits", 40000,
                                       "TableMaxWriteCapacityUnits", 40000));
}

nb_result_t dynamodb_describe_endpoints(nb_req_t *req, const json_t *input) {
    (void)input;
    return nb_reply_new(req, json_pack("{s:[{s:s,s:i}]}", "Endpoints", "Address",
                                       nb_req_printf(req, "dynamodb.%s.amazonaws.com", nb_req_region(req)),
                                       "CachePeriodInMinutes", 1440));
}
