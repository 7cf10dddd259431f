/* PutParameter, DeleteParameter, DeleteParameters. */
#include <regex.h>

#include "ssm.h"

#define STANDARD_PARAMETER_LIMIT 10000

typedef struct put {
    const char *name, *value, *type, *key_id, *description, *allowed_pattern, *tier, *policies, *data_type;
    int overwrite;
    const json_t *tags;
} put_t;

static void read_input(const json_t *in, put_t *p) {
    memset(p, 0, sizeof *p);
    p->name = nb_json_str(in, "Name");
    p->value = nb_json_str(in, "Value");
    p->type = nb_json_str(in, "Type");
    p->key_id = nb_json_str(in, "KeyId");
    p->description = nb_json_str(in, "Description");
    p->allowed_pattern = nb_json_str(in, "AllowedPattern");
    p->tier = nb_json_str(in, "Tier");
    p->policies = nb_json_str(in, "Policies");
    p->data_type = nb_json_str(in, "DataType");
    p->overwrite = nb_json_bool(in, "Overwrite", 0);
    p->tags = json_object_get(in, "Tags");
}

/* What the request leaves out stays as the version before had it. */
static void inherit(put_t *p, const ssm_param_t *prev) {
    if (p->type == NULL)
        p->type = prev->type;
    if (p->description == NULL)
        p->description = prev->description;
    if (p->allowed_pattern == NULL)
        p->allowed_pattern = prev->allowed_pattern;
    if (p->key_id == NULL && strcmp(p->type, prev->type) == 0)
        p->key_id = prev->key_id;
    if (p->data_type == NULL)
        p->data_type = prev->data_type;
    if (p->policies == NULL)
        p->policies = prev->policies;
}

static nb_step_t check_data_type(nb_req_t *req, const put_t *p) {
    const char *dt = p->data_type;
    if (strcmp(dt, "text") == 0)
        return NB_GO_ON;
    if (strcmp(dt, "aws:ec2:image") == 0) {
        size_t n = strlen(p->value), i = 4;
        int ok = strcmp(p->type, "String") == 0 && strncmp(p->value, "ami-", 4) == 0 && (n == 12 || n == 21);
        for (; ok && i < n; i++)
            ok = (p->value[i] >= '0' && p->value[i] <= '9') || (p->value[i] >= 'a' && p->value[i] <= 'f');
        if (!ok)
            return nb_stop(nb_error(req, "ValidationException",
                                    "Parameter value, cannot be validated against the data type aws:ec2:image: the "
                                    "value must be an AMI ID of the form ami-12345abcdeEXAMPLE in a String "
                                    "parameter."));
        return NB_GO_ON;
    }
    if (strcmp(dt, "aws:ssm:integration") == 0) {
        if (strcmp(p->type, "SecureString") != 0 ||
            strncmp(p->name, "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/", 62) != 0)
            return nb_stop(nb_error(req, "ValidationException",
                                    "A parameter of data type aws:ssm:integration must be a SecureString named "
                                    "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/<name>."));
        return NB_GO_ON;
    }
    return nb_stop(nb_error(req, "ValidationException",
                            "The following data type is not supported: %s (Data type names are all lowercase.)", dt));
}

/* AWS's patterns are Java regular expressions: their class escapes (\d \w \s and the negations)
 * become POSIX bracket expressions, the rest is POSIX extended syntax already. */
static const char *posix_pattern(nb_req_t *req, const char *java) {
    static const struct {
        char esc;
        const char *outside, *inside;
    } classes[] = {{'d', "[0-9]", "0-9"},           {'D', "[^0-9]", NULL},
                   {'w', "[A-Za-z0-9_]", "A-Za-z0-9_"}, {'W', "[^A-Za-z0-9_]", NULL},
                   {'s', "[[:space:]]", "[:space:]"}, {'S', "[^[:space:]]", NULL}};
    size_t len = strlen(java);
    char *out = nb_req_alloc(req, len * 14 + 1), *o = out;
    int in_bracket = 0;
    if (out == NULL)
        return NULL;
    for (const char *c = java; *c; c++) {
        size_t k = 0;
        if (*c == '\\' && c[1] != '\0') {
            for (; k < sizeof classes / sizeof classes[0] && classes[k].esc != c[1]; k++)
                ;
            const char *with = k < sizeof classes / sizeof classes[0]
                                   ? (in_bracket ? classes[k].inside : classes[k].outside)
                                   : NULL;
            if (with != NULL) {
                o += strlen(strcpy(o, with));
                c++;
                continue;
            }
            *o++ = *c++;
        } else if (*c == '[' && !in_bracket) {
            in_bracket = 1;
        } else if (*c == ']' && in_bracket && c[-1] != '[') {
            in_bracket = 0;
        }
        *o++ = *c;
    }
    *o = '\0';
    return out;
}

static nb_step_t check_pattern(nb_req_t *req, const put_t *p) {
    if (p->allowed_pattern == NULL || p->allowed_pattern[0] == '\0')
        return NB_GO_ON;
    const char *posix = posix_pattern(req, p->allowed_pattern);
    regex_t re;
    if (posix == NULL)
        return nb_stop(NB_FAILED(NB_ENOMEM));
    if (regcomp(&re, posix, REG_EXTENDED | REG_NOSUB) != 0)
        return nb_stop(nb_error(req, "InvalidAllowedPatternException",
                                "The allowed pattern %s is not a valid regular expression.", p->allowed_pattern));
    int match = regexec(&re, p->value, 0, NULL, 0) == 0;
    regfree(&re);
    if (!match)
        return nb_stop(nb_error(req, "ParameterPatternMismatchException",
                                "Parameter value, cannot be validated against allowedPattern: %s",
                                p->allowed_pattern));
    return NB_GO_ON;
}

/* The tier the version is stored in: Intelligent-Tiering picks the cheapest that fits. */
static nb_step_t choose_tier(nb_req_t *req, put_t *p, const ssm_param_t *prev) {
    const char *tier = p->tier ? p->tier : ssm_setting_value(req, "/ssm/parameter-store/default-parameter-tier");
    size_t len = strlen(p->value);
    int advanced_before = prev != NULL && strcmp(prev->tier, "Advanced") == 0;
    if (tier == NULL || strcmp(tier, "Intelligent-Tiering") == 0)
        tier = advanced_before || len > SSM_STANDARD_VALUE_MAX || p->policies ? "Advanced" : "Standard";
    else if (p->tier == NULL && advanced_before)
        tier = "Advanced"; /* the default tier never downgrades a parameter */
    if (strcmp(tier, "Standard") == 0) {
        if (advanced_before)
            return nb_stop(nb_error(req, "ValidationException",
                                    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter "
                                    "from the advanced-parameter tier to the standard-parameter tier. If necessary, "
                                    "you can delete the advanced parameter and recreate it as a standard parameter."));
        if (len > SSM_STANDARD_VALUE_MAX)
            return nb_stop(nb_error(req, "ValidationException",
                                    "Standard tier parameters support a maximum parameter value of %d characters. To "
                                    "create a larger parameter value, upgrade the parameter to use the "
                                    "advanced-parameter tier. For more information, see "
                                    "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                                    "parameter-store-advanced-parameters.html",
                                    SSM_STANDARD_VALUE_MAX));
        if (p->policies)
            return nb_stop(nb_error(req, "ValidationException",
                                    "Standard tier parameters don't support parameter policies. To create a parameter "
                                    "with a policy, use the advanced-parameter tier."));
    } else if (len > SSM_ADVANCED_VALUE_MAX) {
        return nb_stop(nb_error(req, "ValidationException",
                                "Advanced tier parameters support a maximum parameter value of %d characters. For "
                                "more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                                "parameter-store-advanced-parameters.html",
                                SSM_ADVANCED_VALUE_MAX));
    }
    p->tier = tier;
    return NB_GO_ON;
}

/* At 100 versions the oldest goes, unless a label holds it. */
static nb_step_t make_room(nb_req_t *req, const char *name) {
    int64_t oldest = 0;
    int n = ssm_param_count_versions(req, name, &oldest);
    if (n < 0)
        return nb_stop(NB_FAILED(n));
    if (n < SSM_MAX_VERSIONS)
        return NB_GO_ON;
    json_t *labels = ssm_param_labels(req, name, oldest);
    size_t labelled = json_array_size(labels);
    json_decref(labels);
    if (labelled)
        return nb_stop(nb_error(req, "ParameterMaxVersionLimitExceeded",
                                "You attempted to create a new version of %s by calling the PutParameter API with the "
                                "overwrite flag. Version %lld, the oldest version, can't be deleted because it has a "
                                "label associated with it. Move the label to another version of the parameter, and "
                                "try again.",
                                name, (long long)oldest));
    int rc = ssm_param_delete_version(req, name, oldest);
    return rc != 0 ? nb_stop(NB_FAILED(rc)) : NB_GO_ON;
}

static nb_step_t check_standard_limit(nb_req_t *req) {
    sqlite3_stmt *s = nb_store_scoped(&ssm.store, req,
                                      "SELECT count(DISTINCT name) FROM params WHERE account = :account"
                                      " AND region = :region AND tier = 'Standard'");
    if (s == NULL)
        return nb_stop(NB_FAILED(NB_ESTORE));
    int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    if (n >= STANDARD_PARAMETER_LIMIT)
        return nb_stop(nb_error(req, "ParameterLimitExceeded",
                                "You have reached the maximum number of standard parameters for this AWS account "
                                "and Region (%d). To add more parameters, either delete existing parameters or "
                                "upgrade to the advanced-parameter tier (charges apply).",
                                STANDARD_PARAMETER_LIMIT));
    return NB_GO_ON;
}

nb_result_t ssm_put_parameter(nb_req_t *req, const json_t *in) {
    put_t p;
    read_input(in, &p);
    NB_TRY(ssm_check_new_name(req, p.name));
    if (p.value[0] == '\0')
        return nb_error(req, "ValidationException",
                        "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must "
                        "have length greater than or equal to 1.");
    if (p.overwrite && json_array_size(p.tags) > 0)
        return nb_error(req, "ValidationException",
                        "Invalid request: tags and overwrite can't be used together. To create a parameter with "
                        "tags, please remove overwrite flag. To update tags for an existing parameter, please use "
                        "AddTagsToResource or RemoveTagsFromResource.");
    ssm_param_t prev;
    int found = ssm_param_latest(req, p.name, &prev);
    if (found < 0)
        return NB_FAILED(found);
    if (found && !p.overwrite)
        return nb_error(req, "ParameterAlreadyExists",
                        "The parameter already exists. To overwrite this value, set the overwrite option in the "
                        "request to true.");
    if (found)
        inherit(&p, &prev);
    else if (p.type == NULL)
        return nb_error(req, "ValidationException", "A parameter type is required when you create a parameter.");
    if (p.data_type == NULL)
        p.data_type = "text";
    if (p.policies != NULL)
        NB_TRY(ssm_policies_check(req, p.policies, &p.policies));
    NB_TRY(check_data_type(req, &p));
    NB_TRY(check_pattern(req, &p));
    NB_TRY(choose_tier(req, &p, found ? &prev : NULL));
    if (found)
        NB_TRY(make_room(req, p.name));
    else if (strcmp(p.tier, "Standard") == 0)
        NB_TRY(check_standard_limit(req));

    ssm_param_t row = {.name = p.name,
                       .version = found ? prev.version + 1 : 1,
                       .type = p.type,
                       .value = p.value,
                       .description = p.description,
                       .allowed_pattern = p.allowed_pattern,
                       .tier = p.tier,
                       .policies = p.policies,
                       .data_type = p.data_type,
                       .user = nb_req_principal_arn(req),
                       .modified = nb_now()};
    if (strcmp(p.type, "SecureString") == 0) {
        row.key_id = p.key_id ? p.key_id : SSM_DEFAULT_KEY;
        NB_TRY(ssm_check_key(req, row.key_id));
        NB_TRY(ssm_encrypt(req, p.name, p.key_id, p.value, &row.value));
    }
    int rc = ssm_param_insert(req, &row);
    if (rc != 0)
        return NB_FAILED(rc);
    if (!found && json_array_size(p.tags) > 0)
        NB_TRY(ssm_tags_put(req, p.name, p.tags));
    return nb_reply_new(req, json_pack("{s:I,s:s}", "Version", (json_int_t)row.version, "Tier", row.tier));
}

nb_result_t ssm_delete_parameter(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name");
    int rc = ssm_param_delete(req, name);
    if (rc < 0)
        return NB_FAILED(rc);
    if (rc == 0)
        return nb_error(req, "ParameterNotFound", "%s", ""); /* AWS answers it without a message */
    return nb_reply_new(req, json_object());
}

nb_result_t ssm_delete_parameters(nb_req_t *req, const json_t *in) {
    json_t *deleted = json_array(), *invalid = json_array();
    size_t i;
    const json_t *n;
    json_array_foreach(json_object_get(in, "Names"), i, n) {
        int rc = ssm_param_delete(req, json_string_value(n));
        if (rc < 0) {
            json_decref(deleted);
            json_decref(invalid);
            return NB_FAILED(rc);
        }
        json_array_append(rc ? deleted : invalid, (json_t *)n);
    }
    return nb_reply_new(req, json_pack("{s:o,s:o}", "DeletedParameters", deleted, "InvalidParameters", invalid));
}
