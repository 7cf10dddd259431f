/* LabelParameterVersion and UnlabelParameterVersion. */
#include <ctype.h>
#include <strings.h>

#include "ssm.h"

/* AWS's label rules: letters, digits, '.', '-', '_'; not starting with a digit, "aws" or "ssm". */
static int valid_label(const char *l) {
    if (isdigit((unsigned char)l[0]) || strncasecmp(l, "aws", 3) == 0 || strncasecmp(l, "ssm", 3) == 0)
        return 0;
    for (; *l; l++)
        if (!isalnum((unsigned char)*l) && *l != '.' && *l != '-' && *l != '_')
            return 0;
    return 1;
}

/* The version a request names (the latest when none), or a stop with AWS's error. */
static nb_step_t target(nb_req_t *req, const char *name, const json_t *version, ssm_param_t *p) {
    int rc = ssm_param_latest(req, name, p);
    if (rc < 0)
        return nb_stop(NB_FAILED(rc));
    if (rc == 0)
        return nb_stop(nb_error(req, "ParameterNotFound", "Parameter %s not found.", name));
    if (version == NULL || json_integer_value(version) == p->version)
        return NB_GO_ON;
    rc = ssm_param_version(req, name, json_integer_value(version), p);
    if (rc < 0)
        return nb_stop(NB_FAILED(rc));
    if (rc == 0)
        return nb_stop(nb_error(req, "ParameterVersionNotFound",
                                "Systems Manager could not find version %lld of %s. Verify the version and try again.",
                                (long long)json_integer_value(version), name));
    return NB_GO_ON;
}

static int label_on(const json_t *labels, const char *label) {
    size_t i;
    const json_t *l;
    json_array_foreach(labels, i, l) {
        if (strcmp(json_string_value(l), label) == 0)
            return 1;
    }
    return 0;
}

nb_result_t ssm_label_parameter_version(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name");
    ssm_param_t p;
    NB_TRY(target(req, name, json_object_get(in, "ParameterVersion"), &p));
    json_t *have = ssm_param_labels(req, name, p.version), *invalid = json_array(), *add = json_array();
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(in, "Labels"), i, l) {
        const char *label = json_string_value(l);
        if (!valid_label(label))
            json_array_append(invalid, (json_t *)l);
        else if (!label_on(have, label) && !label_on(add, label))
            json_array_append(add, (json_t *)l);
    }
    size_t total = json_array_size(have) + json_array_size(add);
    json_decref(have);
    if (total > SSM_MAX_LABELS) {
        json_decref(invalid);
        json_decref(add);
        return nb_error(req, "ParameterVersionLabelLimitExceeded",
                        "A parameter version can have maximum %d labels. Move one or more labels to another version "
                        "and try again.",
                        SSM_MAX_LABELS);
    }
    /* a label names one version: set on this one, it leaves the one it was on */
    json_array_foreach(add, i, l) {
        sqlite3_stmt *s = nb_store_scoped(&ssm.store, req,
                                          "INSERT OR REPLACE INTO labels(name, version, label, account, region)"
                                          " VALUES(?1, ?2, ?3, :account, :region)");
        if (s == NULL) {
            json_decref(invalid);
            json_decref(add);
            return NB_FAILED(NB_ESTORE);
        }
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, p.version);
        sqlite3_bind_text(s, 3, json_string_value(l), -1, SQLITE_STATIC);
        int rc = nb_store_run(s);
        if (rc != 0) {
            json_decref(invalid);
            json_decref(add);
            return NB_FAILED(rc);
        }
    }
    json_decref(add);
    return nb_reply_new(req, json_pack("{s:o,s:I}", "InvalidLabels", invalid, "ParameterVersion",
                                       (json_int_t)p.version));
}

nb_result_t ssm_unlabel_parameter_version(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name");
    ssm_param_t p;
    NB_TRY(target(req, name, json_object_get(in, "ParameterVersion"), &p));
    json_t *have = ssm_param_labels(req, name, p.version), *removed = json_array(), *invalid = json_array();
    size_t i;
    const json_t *l;
    int rc = 0;
    json_array_foreach(json_object_get(in, "Labels"), i, l) {
        if (!label_on(have, json_string_value(l))) {
            json_array_append(invalid, (json_t *)l);
            continue;
        }
        sqlite3_stmt *s = nb_store_scoped(&ssm.store, req,
                                          "DELETE FROM labels WHERE name = ?1 AND label = ?2 AND account = :account"
                                          " AND region = :region");
        if (s == NULL) {
            rc = NB_ESTORE;
            break;
        }
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, json_string_value(l), -1, SQLITE_STATIC);
        if ((rc = nb_store_run(s)) != 0)
            break;
        json_array_append(removed, (json_t *)l);
    }
    json_decref(have);
    if (rc != 0) {
        json_decref(removed);
        json_decref(invalid);
        return NB_FAILED(rc);
    }
    return nb_reply_new(req, json_pack("{s:o,s:o}", "RemovedLabels", removed, "InvalidLabels", invalid));
}
