/* SSM associations answered from state: Create/Describe/Update/DeleteAssociation, ListAssociations
 * and ListAssociationVersions. Each version is its AssociationDescription as JSON; nothing is run
 * against instances, so the status stays Pending. */
#include <stdlib.h>
#include <strings.h>

#include "ssm.h"

static nb_result_t no_association(nb_req_t *req) {
    return nb_error(req, "AssociationDoesNotExist", "The specified association does not exist.");
}

/* The input members an association keeps: AssociationDescription's that a request sets. */
static const char *const kept[] = {"Name", "InstanceId", "DocumentVersion", "Parameters", "Targets",
                                   "ScheduleExpression", "OutputLocation", "AssociationName",
                                   "AutomationTargetParameterName", "MaxErrors", "MaxConcurrency",
                                   "ComplianceSeverity", "SyncCompliance", "ApplyOnlyAtCronInterval", "CalendarNames",
                                   "TargetLocations", "ScheduleOffset", "Duration", "TargetMaps", "AlarmConfiguration",
                                   "AssociationDispatchAssumeRole"};

static void copy_kept(json_t *to, const json_t *in) {
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (json_object_get(in, kept[i]) != NULL)
            json_object_set(to, kept[i], json_object_get(in, kept[i]));
}

static int store_version(nb_req_t *req, const char *id, int64_t version, const json_t *desc) {
    char *text = json_dumps(desc, JSON_COMPACT);
    sqlite3_stmt *s = ssm_stmt_named(req, "INSERT INTO associations(id, version, name, instance_id, data, account,"
                                          " region) VALUES(?1, ?2, ?3, ?4, ?5, :account, :region)", id);
    int rc = NB_ESTORE;
    if (s != NULL && text != NULL) {
        sqlite3_bind_int64(s, 2, version);
        sqlite3_bind_text(s, 3, nb_json_str(desc, "Name"), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, nb_json_str(desc, "InstanceId"), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, text, -1, SQLITE_TRANSIENT);
        rc = nb_store_run(s);
    }
    free(text);
    return rc;
}

/* The association a request names (AssociationId, or Name and InstanceId) at version (0: latest):
 * its description, a new reference, or NULL with *id unset when there is none. */
static json_t *load(nb_req_t *req, const json_t *in, int64_t version, const char **id) {
    const char *assoc = nb_json_str(in, "AssociationId");
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT id, data FROM associations WHERE"
                                          " (?1 IS NULL OR id = ?1) AND (?1 IS NOT NULL OR (name = ?2 AND instance_id IS ?3))"
                                          " AND (?4 = 0 OR version = ?4) AND account = :account AND region = :region"
                                          " ORDER BY version DESC LIMIT 1", assoc);
    if (s == NULL)
        return NULL;
    sqlite3_bind_text(s, 2, nb_json_str(in, "Name"), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, nb_json_str(in, "InstanceId"), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, version);
    json_t *desc = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *id = ssm_col(req, s, 0);
        desc = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);
    }
    sqlite3_reset(s);
    return desc;
}

/* AWS's own documents (AWS-RunShellScript, ...) are there without being created. */
static int document_known(nb_req_t *req, const char *name) {
    if (strncasecmp(name, "AWS-", 4) == 0 || strncasecmp(name, "Amazon", 6) == 0 || strncmp(name, "arn:", 4) == 0)
        return 1;
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT 1 FROM documents WHERE name = ?1 AND account = :account"
                                          " AND region = :region LIMIT 1", name);
    int known = s != NULL && sqlite3_step(s) == SQLITE_ROW;
    if (s != NULL)
        sqlite3_reset(s);
    return known;
}

nb_result_t ssm_create_association(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name"), *ignored;
    if (!document_known(req, name))
        return nb_error(req, "InvalidDocument", "The specified document does not exist.");
    if (nb_json_str(in, "InstanceId") != NULL) {
        json_t *dup = load(req, in, 0, &ignored);
        json_decref(dup);
        if (dup != NULL)
            return nb_error(req, "AssociationAlreadyExists", "The specified association already exists.");
    }
    char id[NB_UUID_SIZE];
    nb_uuid(id);
    double now = nb_now();
    json_t *desc = json_pack("{s:s,s:s,s:f,s:f,s:{s:f,s:s,s:s},s:{s:s,s:s},s:s}", "AssociationId", id,
                             "AssociationVersion", "1", "Date", now, "LastUpdateAssociationDate", now, "Status", "Date",
                             now, "Name", "Pending", "Message", "Associated with the document", "Overview", "Status",
                             "Pending", "DetailedStatus", "Creating", "DocumentVersion", "$DEFAULT");
    copy_kept(desc, in);
    int rc = store_version(req, id, 1, desc);
    if (rc != 0) {
        json_decref(desc);
        return NB_FAILED(rc);
    }
    if (json_array_size(json_object_get(in, "Tags")) > 0)
        NB_TRY(ssm_tags_put(req, nb_req_printf(req, SSM_ASSOCIATION_TAG_PREFIX "%s", id), json_object_get(in, "Tags")));
    return nb_reply_new(req, json_pack("{s:o}", "AssociationDescription", desc));
}

nb_result_t ssm_describe_association(nb_req_t *req, const json_t *in) {
    const char *ver = nb_json_str(in, "AssociationVersion"), *id;
    int64_t version = ver && strcmp(ver, "$LATEST") != 0 ? strtoll(ver, NULL, 10) : 0;
    json_t *desc = load(req, in, version, &id);
    if (desc == NULL) {
        json_t *latest = version ? load(req, in, 0, &id) : NULL;
        json_decref(latest);
        if (latest != NULL)
            return nb_error(req, "InvalidAssociationVersion",
                            "The version you specified is not valid. Use ListAssociationVersions to view all versions "
                            "of an association according to the association ID. Or, use the $LATEST parameter to "
                            "view the latest version of the association.");
        return no_association(req);
    }
    return nb_reply_new(req, json_pack("{s:o}", "AssociationDescription", desc));
}

nb_result_t ssm_update_association(nb_req_t *req, const json_t *in) {
    const char *id;
    json_t *desc = load(req, in, 0, &id);
    if (desc == NULL)
        return no_association(req);
    int64_t version = strtoll(nb_json_str(desc, "AssociationVersion"), NULL, 10);
    const char *want = nb_json_str(in, "AssociationVersion");
    if (want != NULL && strcmp(want, "$LATEST") != 0 && strtoll(want, NULL, 10) != version) {
        json_decref(desc);
        return nb_error(req, "InvalidAssociationVersion",
                        "The version you specified is not valid. Use ListAssociationVersions to view all versions of "
                        "an association according to the association ID. Or, use the $LATEST parameter to view the "
                        "latest version of the association.");
    }
    if (nb_json_str(in, "Name") != NULL && !document_known(req, nb_json_str(in, "Name"))) {
        json_decref(desc);
        return nb_error(req, "InvalidDocument", "The specified document does not exist.");
    }
    copy_kept(desc, in);
    json_object_set_new(desc, "AssociationVersion", json_string(nb_req_printf(req, "%lld", (long long)version + 1)));
    json_object_set_new(desc, "LastUpdateAssociationDate", json_real(nb_now()));
    int rc = store_version(req, id, version + 1, desc);
    if (rc != 0) {
        json_decref(desc);
        return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_pack("{s:o}", "AssociationDescription", desc));
}

nb_result_t ssm_delete_association(nb_req_t *req, const json_t *in) {
    const char *id;
    json_t *desc = load(req, in, 0, &id);
    if (desc == NULL)
        return no_association(req);
    json_decref(desc);
    int rc = nb_store_run(ssm_stmt_named(req, "DELETE FROM associations WHERE id = ?1 AND account = :account"
                                              " AND region = :region", id));
    if (rc == 0)
        rc = nb_store_run(ssm_stmt_named(req, "DELETE FROM tags WHERE name = ?1 AND account = :account"
                                              " AND region = :region", nb_req_printf(req, SSM_ASSOCIATION_TAG_PREFIX "%s", id)));
    return rc != 0 ? NB_FAILED(rc) : nb_reply_new(req, json_object());
}

/* Whether an association passes ListAssociations' filters (every one). */
static int association_matches(const json_t *desc, const json_t *filters) {
    size_t i;
    const json_t *f;
    json_array_foreach(filters, i, f) {
        const char *key = nb_json_str(f, "key"), *value = nb_json_str(f, "value");
        const char *have = strcmp(key, "AssociationStatusName") == 0
                               ? nb_json_str(json_object_get(desc, "Overview"), "Status")
                               : nb_json_str(desc, key);
        if (have == NULL || strcmp(have, value) != 0)
            return 0;
    }
    return 1;
}

nb_result_t ssm_list_associations(nb_req_t *req, const json_t *in) {
    size_t max = (size_t)nb_json_int(in, "MaxResults", 50), offset, seen = 0;
    NB_TRY(ssm_page_start(req, in, &offset));
    sqlite3_stmt *s = nb_store_scoped(&ssm.store, req,
                                      "SELECT data FROM associations a WHERE account = :account AND region = :region"
                                      " AND version = (SELECT max(version) FROM associations b WHERE b.id = a.id"
                                      " AND b.account = a.account AND b.region = a.region) ORDER BY id");
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    static const char *const listed[] = {"Name", "InstanceId", "AssociationId", "AssociationVersion",
                                         "DocumentVersion", "Targets", "Overview", "ScheduleExpression",
                                         "AssociationName", "ScheduleOffset", "Duration", "TargetMaps"};
    json_t *out = json_array();
    int more = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *desc = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        if (desc == NULL || !association_matches(desc, json_object_get(in, "AssociationFilterList")) ||
            seen++ < offset) {
            json_decref(desc);
            continue;
        }
        if (json_array_size(out) == max) {
            json_decref(desc);
            more = 1;
            break;
        }
        json_t *a = json_object();
        for (size_t k = 0; k < sizeof listed / sizeof listed[0]; k++)
            if (json_object_get(desc, listed[k]))
                json_object_set(a, listed[k], json_object_get(desc, listed[k]));
        json_decref(desc);
        json_array_append_new(out, a);
    }
    sqlite3_reset(s);
    return ssm_page_reply(req, "Associations", out, more, offset);
}

nb_result_t ssm_list_association_versions(nb_req_t *req, const json_t *in) {
    const char *id = nb_json_str(in, "AssociationId");
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT data FROM associations WHERE id = ?1 AND account = :account"
                                          " AND region = :region ORDER BY version", id);
    if (s == NULL)
        return NB_FAILED(NB_ESTORE);
    json_t *out = json_array();
    while (sqlite3_step(s) == SQLITE_ROW) {
        json_t *v = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
        if (v == NULL)
            continue;
        json_object_set(v, "CreatedDate", json_object_get(v, "LastUpdateAssociationDate"));
        /* a version's record, not its state */
        json_object_del(v, "Status");
        json_object_del(v, "Overview");
        json_object_del(v, "Date");
        json_object_del(v, "LastUpdateAssociationDate");
        json_object_del(v, "InstanceId");
        json_array_append_new(out, v);
    }
    sqlite3_reset(s);
    if (json_array_size(out) == 0) {
        json_decref(out);
        return no_association(req);
    }
    return nb_reply_new(req, json_pack("{s:o}", "AssociationVersions", out));
}
