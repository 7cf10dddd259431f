/* Tags of parameters, documents and associations: AddTagsToResource, RemoveTagsFromResource,
 * ListTagsForResource. SSM's other taggable resources (maintenance windows, ...) are not kept
 * here: AWS's answer for one that does not exist. */
#include "ssm.h"

json_t *ssm_tags_of(nb_req_t *req, const char *name) {
    json_t *tags = json_array();
    sqlite3_stmt *s = ssm_stmt_named(req, "SELECT key, value FROM tags WHERE name = ?1 AND account = :account"
                                      " AND region = :region ORDER BY key", name);
    if (s == NULL)
        return tags;
    while (sqlite3_step(s) == SQLITE_ROW)
        json_array_append_new(tags, json_pack("{s:s,s:s}", "Key", (const char *)sqlite3_column_text(s, 0), "Value",
                                              (const char *)sqlite3_column_text(s, 1)));
    sqlite3_reset(s);
    return tags;
}

static int tag_count(nb_req_t *req, const char *name, const json_t *adding) {
    json_t *have = ssm_tags_of(req, name);
    size_t n = json_array_size(have), i, j;
    const json_t *t, *h;
    json_array_foreach(adding, i, t) {
        int fresh = 1;
        json_array_foreach(have, j, h) {
            if (json_equal(json_object_get(h, "Key"), json_object_get(t, "Key")))
                fresh = 0;
        }
        n += fresh;
    }
    json_decref(have);
    return (int)n;
}

nb_step_t ssm_tags_put(nb_req_t *req, const char *name, const json_t *tags) {
    if (tag_count(req, name, tags) > SSM_MAX_TAGS)
        return nb_stop(nb_error(req, "TooManyTagsError",
                                "The Tags parameter contains too many entries: a resource can have at most %d tags.",
                                SSM_MAX_TAGS));
    size_t i;
    const json_t *t;
    json_array_foreach(tags, i, t) {
        sqlite3_stmt *s = ssm_stmt_named(req, "INSERT OR REPLACE INTO tags(name, key, value, account, region)"
                                          " VALUES(?1, ?2, ?3, :account, :region)", name);
        if (s == NULL)
            return nb_stop(NB_FAILED(NB_ESTORE));
        sqlite3_bind_text(s, 2, nb_json_str(t, "Key"), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, nb_json_str(t, "Value"), -1, SQLITE_STATIC);
        int rc = nb_store_run(s);
        if (rc != 0)
            return nb_stop(NB_FAILED(rc));
    }
    return NB_GO_ON;
}

/* The tag owner a tagging request names (a parameter's name, a document's under its prefix), or
 * AWS's error for another resource type or none. */
static nb_step_t resource(nb_req_t *req, const json_t *in, const char **name) {
    const char *type = nb_json_str(in, "ResourceType"), *selector;
    if (strcmp(type, "Automation") == 0)
        return nb_stop(nb_error(req, "InvalidResourceType", "%s",
                                "The resource type is not valid for this operation."));
    int rc = 0;
    int doc = strcmp(type, "Document") == 0;
    if (doc || strcmp(type, "Association") == 0) {
        const char *id = nb_json_str(in, "ResourceId");
        sqlite3_stmt *s = ssm_stmt_named(req, doc ? "SELECT 1 FROM documents WHERE name = ?1 AND account = :account"
                                                    " AND region = :region LIMIT 1"
                                                  : "SELECT 1 FROM associations WHERE id = ?1 AND account = :account"
                                                    " AND region = :region LIMIT 1",
                                         id);
        if (s == NULL)
            return nb_stop(NB_FAILED(NB_ESTORE));
        rc = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_reset(s);
        *name = nb_req_printf(req, doc ? SSM_DOC_TAG_PREFIX "%s" : SSM_ASSOCIATION_TAG_PREFIX "%s", id);
        selector = NULL;
    } else if (strcmp(type, "Parameter") == 0) {
        ssm_split_selector(req, nb_json_str(in, "ResourceId"), name, &selector);
        ssm_param_t p;
        rc = ssm_param_latest(req, *name, &p);
        if (rc < 0)
            return nb_stop(NB_FAILED(rc));
    }
    if (rc == 0 || selector != NULL)
        return nb_stop(nb_error(req, "InvalidResourceId", "%s",
                                "The resource ID is not valid. Verify that you entered the correct ID and try again."));
    return NB_GO_ON;
}

nb_result_t ssm_add_tags_to_resource(nb_req_t *req, const json_t *in) {
    const char *name;
    NB_TRY(resource(req, in, &name));
    NB_TRY(ssm_tags_put(req, name, json_object_get(in, "Tags")));
    return nb_reply_new(req, json_object());
}

nb_result_t ssm_remove_tags_from_resource(nb_req_t *req, const json_t *in) {
    const char *name;
    NB_TRY(resource(req, in, &name));
    size_t i;
    const json_t *k;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k) {
        sqlite3_stmt *s = ssm_stmt_named(req, "DELETE FROM tags WHERE name = ?1 AND key = ?2 AND account = :account"
                                          " AND region = :region", name);
        if (s == NULL)
            return NB_FAILED(NB_ESTORE);
        sqlite3_bind_text(s, 2, json_string_value(k), -1, SQLITE_STATIC);
        int rc = nb_store_run(s);
        if (rc != 0)
            return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_object());
}

nb_result_t ssm_list_tags_for_resource(nb_req_t *req, const json_t *in) {
    const char *name;
    NB_TRY(resource(req, in, &name));
    return nb_reply_new(req, json_pack("{s:o}", "TagList", ssm_tags_of(req, name)));
}
