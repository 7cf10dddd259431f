/* Table features recorded in the table's definition and answered from it: resource policies,
 * Kinesis streaming destinations and contributor insights (Nimbus sends nothing to Kinesis and
 * measures no contributors; the settings are kept and described as AWS describes them). */
#include <stdio.h>
#include <string.h>

#include "ddb.h"

static nb_step_t table_of_resource(nb_req_t *req, const char *arn, ddb_table_t **t) {
    int rc = ddb_table_find(req, arn, t);
    if (rc == NB_ENOENT)
        return nb_stop(nb_error(req, "ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not "
                                                                  "found", arn ? arn : ""));
    return rc == 0 ? NB_GO_ON : nb_stop(NB_FAILED(rc));
}

nb_result_t dynamodb_put_resource_policy(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(table_of_resource(req, nb_json_str(input, "ResourceArn"), &t));
    const json_t *have = json_object_get(t->def, "_ResourcePolicy");
    const char *expected = nb_json_str(input, "ExpectedRevisionId");
    if (expected != NULL && !nb_json_str_eq(have, "RevisionId", expected))
        return nb_error(req, "PolicyNotFoundException",
                        "Resource-based policy not found for the provided ResourceArn: Requested update for policy "
                        "with revision id %s, but the policy associated to target table %s has revision id %s.",
                        expected, t->name, nb_json_str(have, "RevisionId") ? nb_json_str(have, "RevisionId") : "null");
    char rev[32];
    snprintf(rev, sizeof rev, "%lld", (long long)(nb_now() * 1000000));
    json_object_set_new(t->def, "_ResourcePolicy",
                        json_pack("{s:s,s:s}", "Policy", nb_json_str(input, "Policy"), "RevisionId", rev));
    int rc = ddb_table_save_def(t);
    return rc == 0 ? nb_reply_new(req, json_pack("{s:s}", "RevisionId", rev)) : NB_FAILED(rc);
}

static nb_step_t policy_of(nb_req_t *req, const json_t *input, ddb_table_t **t, const json_t **policy) {
    const char *arn = nb_json_str(input, "ResourceArn");
    NB_TRY_STEP(table_of_resource(req, arn, t));
    *policy = json_object_get((*t)->def, "_ResourcePolicy");
    if (*policy == NULL)
        return nb_stop(nb_error(req, "PolicyNotFoundException",
                                "Resource-based policy not found for the provided ResourceArn: %s", arn));
    return NB_GO_ON;
}

nb_result_t dynamodb_get_resource_policy(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    const json_t *p;
    NB_TRY(policy_of(req, input, &t, &p));
    return nb_reply_new(req, json_pack("{s:O,s:O}", "Policy", json_object_get(p, "Policy"), "RevisionId",
                                       json_object_get(p, "RevisionId")));
}

nb_result_t dynamodb_delete_resource_policy(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    const json_t *p;
    NB_TRY(policy_of(req, input, &t, &p));
    json_t *rev = json_incref(json_object_get(p, "RevisionId"));
    json_object_del(t->def, "_ResourcePolicy");
    int rc = ddb_table_save_def(t);
    if (rc != 0) {
        json_decref(rev);
        return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_pack("{s:o}", "RevisionId", rev));
}

/* Kinesis destinations: {StreamArn: {DestinationStatus, ApproximateCreationDateTimePrecision}}. */
static nb_result_t kinesis_set(nb_req_t *req, const json_t *input, const char *status) {
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, nb_json_str(input, "TableName"), NULL, &t));
    const char *stream = nb_json_str(input, "StreamArn");
    json_t *dests = json_object_get(t->def, "_Kinesis");
    if (dests == NULL) {
        dests = json_object();
        json_object_set_new(t->def, "_Kinesis", dests);
    }
    const json_t *have = json_object_get(dests, stream ? stream : "");
    if (strcmp(status, "DISABLED") == 0 && !nb_json_str_eq(have, "DestinationStatus", "ACTIVE"))
        return ddb_invalid(req, "Table is not in a valid state to disable Kinesis Streaming Destination:"
                                "DisableKinesisStreamingDestination must be ACTIVE to perform DISABLE operation.");
    if (strcmp(status, "ACTIVE") == 0 && nb_json_str_eq(have, "DestinationStatus", "ACTIVE"))
        return ddb_invalid(req, "Table is not in a valid state to enable Kinesis Streaming Destination:"
                                "EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform "
                                "ENABLE operation.");
    const json_t *conf = json_object_get(input, "EnableKinesisStreamingConfiguration");
    if (conf == NULL)
        conf = json_object_get(input, "UpdateKinesisStreamingConfiguration");
    const char *precision = nb_json_str(conf, "ApproximateCreationDateTimePrecision");
    if (precision == NULL)
        precision = nb_json_str(have, "ApproximateCreationDateTimePrecision");
    json_object_set_new(dests, stream, json_pack("{s:s,s:s}", "DestinationStatus", status,
                                                 "ApproximateCreationDateTimePrecision",
                                                 precision ? precision : "MILLISECOND"));
    int rc = ddb_table_save_def(t);
    if (rc != 0)
        return NB_FAILED(rc);
    json_t *out = json_pack("{s:s,s:s,s:s}", "TableName", t->name, "StreamArn", stream, "DestinationStatus", status);
    if (conf != NULL)
        json_object_set(out, json_object_get(input, "UpdateKinesisStreamingConfiguration")
                                 ? "UpdateKinesisStreamingConfiguration"
                                 : "EnableKinesisStreamingConfiguration",
                        (json_t *)conf);
    return nb_reply_new(req, out);
}

nb_result_t dynamodb_enable_kinesis_streaming_destination(nb_req_t *req, const json_t *input) {
    return kinesis_set(req, input, "ACTIVE");
}

nb_result_t dynamodb_disable_kinesis_streaming_destination(nb_req_t *req, const json_t *input) {
    return kinesis_set(req, input, "DISABLED");
}

nb_result_t dynamodb_update_kinesis_streaming_destination(nb_req_t *req, const json_t *input) {
    return kinesis_set(req, input, "ACTIVE");
}

nb_result_t dynamodb_describe_kinesis_streaming_destination(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    NB_TRY(ddb_table_load(req, nb_json_str(input, "TableName"), NULL, &t));
    json_t *list = json_array();
    const char *arn;
    json_t *d;
    json_object_foreach(json_object_get(t->def, "_Kinesis"), arn, d) {
        json_t *e = json_deep_copy(d);
        json_object_set_new(e, "StreamArn", json_string(arn));
        json_array_append_new(list, e);
    }
    return nb_reply_new(req, json_pack("{s:s,s:o}", "TableName", t->name, "KinesisDataStreamDestinations", list));
}

/* Contributor insights: {"" (the table) or index name: status}. */
static json_t *insights_of(ddb_table_t *t) {
    json_t *ci = json_object_get(t->def, "_ContributorInsights");
    if (ci == NULL) {
        ci = json_object();
        json_object_set_new(t->def, "_ContributorInsights", ci);
    }
    return ci;
}

static nb_step_t insights_target(nb_req_t *req, const json_t *input, ddb_table_t **t, const char **index) {
    NB_TRY_STEP(ddb_table_load(req, nb_json_str(input, "TableName"), NULL, t));
    *index = nb_json_str(input, "IndexName");
    if (*index != NULL && ddb_table_index(*t, *index) == NULL)
        return nb_stop(nb_error(req, "ResourceNotFoundException", "Requested resource not found: Index: %s not found "
                                                                  "for table: %s", *index, (*t)->name));
    return NB_GO_ON;
}

nb_result_t dynamodb_update_contributor_insights(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    const char *index;
    NB_TRY(insights_target(req, input, &t, &index));
    const char *status = nb_json_str_eq(input, "ContributorInsightsAction", "ENABLE") ? "ENABLED" : "DISABLED";
    json_object_set_new(insights_of(t), index ? index : "", json_string(status));
    int rc = ddb_table_save_def(t);
    if (rc != 0)
        return NB_FAILED(rc);
    json_t *out = json_pack("{s:s,s:s}", "TableName", t->name, "ContributorInsightsStatus", status);
    if (index != NULL)
        json_object_set_new(out, "IndexName", json_string(index));
    return nb_reply_new(req, out);
}

nb_result_t dynamodb_describe_contributor_insights(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    const char *index;
    NB_TRY(insights_target(req, input, &t, &index));
    const char *status = json_string_value(json_object_get(insights_of(t), index ? index : ""));
    json_t *out = json_pack("{s:s,s:s}", "TableName", t->name, "ContributorInsightsStatus",
                            status ? status : "DISABLED");
    if (index != NULL)
        json_object_set_new(out, "IndexName", json_string(index));
    if (status != NULL && strcmp(status, "ENABLED") == 0)
        json_object_set_new(out, "ContributorInsightsRuleList",
                            json_pack("[s]", nb_req_printf(req, "DynamoDBContributorInsights-PKC-%s", t->name)));
    return nb_reply_new(req, out);
}

nb_result_t dynamodb_list_contributor_insights(nb_req_t *req, const json_t *input) {
    ddb_table_t *t;
    json_t *list = json_array();
    if (nb_json_str(input, "TableName") != NULL) {
        NB_TRY(ddb_table_load(req, nb_json_str(input, "TableName"), NULL, &t));
        const char *k;
        json_t *v;
        json_object_foreach(insights_of(t), k, v) {
            json_t *e = json_pack("{s:s,s:O}", "TableName", t->name, "ContributorInsightsStatus", v);
            if (k[0] != '\0')
                json_object_set_new(e, "IndexName", json_string(k));
            json_array_append_new(list, e);
        }
    }
    return nb_reply_new(req, json_pack("{s:o}", "ContributorInsightsSummaries", list));
}
