/* ParameterFilters of DescribeParameters and GetParametersByPath: AWS's checks and matching. */

#include "ssm.h"

static const char *option_of(const json_t *f) {
    const char *key = nb_json_str(f, "Key"), *opt = nb_json_str(f, "Option");
    return opt ? opt : strcmp(key, "Path") == 0 ? "OneLevel" : "Equals";
}

static int one_of(const char *s, const char *const *set) {
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

static int key_known(const char *key) {
    static const char *const keys[] = {"Name", "Type", "KeyId", "Path", "Label", "Tier", "DataType", NULL};
    return one_of(key, keys) || (strncmp(key, "tag:", 4) == 0 && key[4] != '\0');
}

nb_step_t ssm_filters_check(nb_req_t *req, const json_t *filters, int by_path) {
    size_t i, j;
    const json_t *f, *v;
    /* the spec's pattern for keys, reported as AWS's validation layer does */
    json_array_foreach(filters, i, f) {
        const char *key = nb_json_str(f, "Key");
        if (!key_known(key))
            return nb_stop(nb_error(req, "ValidationException",
                                    "1 validation error detected: Value '%s' at 'parameterFilters.%zu.member.key' "
                                    "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                                    "tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType",
                                    key, i + 1));
    }
    json_array_foreach(filters, i, f) {
        const char *key = nb_json_str(f, "Key"), *opt = option_of(f);
        const json_t *values = json_object_get(f, "Values");
        if (!by_path && strcmp(key, "Label") == 0)
            return nb_stop(nb_error(req, "InvalidFilterKey",
                                    "The following filter key is not valid: Label. Valid filter keys include: "
                                    "[Path, Name, Type, KeyId, Tier, DataType]."));
        if (by_path && !one_of(key, (const char *const[]){"Type", "KeyId", "Label", NULL}))
            return nb_stop(nb_error(req, "InvalidFilterKey",
                                    "The following filter key is not valid: %s. Valid filter keys include: "
                                    "[Type, KeyId, Label].",
                                    key));
        if (strncmp(key, "tag:", 4) != 0 && json_array_size(values) == 0)
            return nb_stop(nb_error(req, "InvalidFilterValue",
                                    "The following filter values are missing : null for filter key %s.", key));
        for (j = 0; j < i; j++)
            if (nb_json_str_eq(json_array_get(filters, j), "Key", key))
                return nb_stop(nb_error(req, "InvalidFilterKey",
                                        "The following filter is duplicated in the request: %s. A request can "
                                        "contain only one occurrence of a specific filter.",
                                        key));
        if (strcmp(key, "Path") == 0) {
            if (strcmp(opt, "Recursive") != 0 && strcmp(opt, "OneLevel") != 0)
                return nb_stop(nb_error(req, "InvalidFilterOption",
                                        "The following filter option is not valid: %s. Valid options include: "
                                        "[Recursive, OneLevel].",
                                        opt));
            continue;
        }
        int ok = strcmp(opt, "Equals") == 0 || (!by_path && strcmp(opt, "BeginsWith") == 0) ||
                 (!by_path && strcmp(key, "Name") == 0 && strcmp(opt, "Contains") == 0);
        if (!ok)
            return nb_stop(nb_error(req, "InvalidFilterOption",
                                    "The following filter option is not valid: %s. Valid options include: %s.", opt,
                                    by_path ? "[Equals]"
                                    : strcmp(key, "Name") == 0 ? "[BeginsWith, Equals, Contains]"
                                                               : "[BeginsWith, Equals]"));
        if (strcmp(key, "Tier") == 0 || strcmp(key, "Type") == 0) {
            int tier = strcmp(key, "Tier") == 0;
            static const char *const tiers[] = {"Standard", "Advanced", "Intelligent-Tiering", NULL};
            static const char *const types[] = {"String", "StringList", "SecureString", NULL};
            json_array_foreach(values, j, v) {
                if (!one_of(json_string_value(v), tier ? tiers : types))
                    return nb_stop(nb_error(req, "InvalidFilterValue",
                                            "The following filter value is not valid: %s. Valid values include: %s.",
                                            json_string_value(v),
                                            tier ? "[Standard, Advanced, Intelligent-Tiering]"
                                                 : "[String, StringList, SecureString]"));
            }
        }
    }
    return NB_GO_ON;
}

static int match_text(const char *what, const char *opt, const json_t *values) {
    size_t i;
    const json_t *v;
    if (what == NULL)
        return 0;
    json_array_foreach(values, i, v) {
        const char *s = json_string_value(v);
        if (strcmp(opt, "Equals") == 0 && strcmp(what, s) == 0)
            return 1;
        if (strcmp(opt, "BeginsWith") == 0 && strncmp(what, s, strlen(s)) == 0)
            return 1;
        if (strcmp(opt, "Contains") == 0 && strstr(what, s) != NULL)
            return 1;
    }
    return 0;
}

/* Name filters compare fully qualified names: "a" and "/a" are the same top-level name. */
static const char *qualified(nb_req_t *req, const char *name) {
    return name[0] == '/' ? name : nb_req_printf(req, "/%s", name);
}

static int match_name(nb_req_t *req, const ssm_param_t *p, const char *opt, const json_t *values) {
    size_t i;
    const json_t *v;
    const char *what = qualified(req, p->name);
    json_array_foreach(values, i, v) {
        json_t *one = json_pack("[s]", strcmp(opt, "Contains") == 0 ? json_string_value(v)
                                                                    : qualified(req, json_string_value(v)));
        int hit = match_text(what, opt, one);
        json_decref(one);
        if (hit)
            return 1;
    }
    return 0;
}

static int match_path(const ssm_param_t *p, const char *opt, const json_t *values) {
    size_t i;
    const json_t *v;
    json_array_foreach(values, i, v) {
        if (ssm_under_path(p->name, json_string_value(v), strcmp(opt, "Recursive") == 0))
            return 1;
    }
    return 0;
}

static int match_label(nb_req_t *req, const ssm_param_t *p, const json_t *values) {
    json_t *labels = ssm_param_labels(req, p->name, p->version);
    size_t i;
    json_t *l;
    int hit = 0;
    json_array_foreach(labels, i, l) {
        if (match_text(json_string_value(l), "Equals", values))
            hit = 1;
    }
    json_decref(labels);
    return hit;
}

static int match_tag(nb_req_t *req, const ssm_param_t *p, const char *tag_key, const char *opt,
                     const json_t *values) {
    json_t *tags = ssm_tags_of(req, p->name);
    size_t i;
    json_t *t;
    int hit = 0;
    json_array_foreach(tags, i, t) {
        if (!nb_json_str_eq(t, "Key", tag_key))
            continue;
        /* no values: whether the tag is there at all */
        hit = json_array_size(values) == 0 || match_text(nb_json_str(t, "Value"), opt, values);
    }
    json_decref(tags);
    return hit;
}

int ssm_filters_match(nb_req_t *req, const ssm_param_t *p, const json_t *filters) {
    size_t i;
    const json_t *f;
    json_array_foreach(filters, i, f) {
        const char *key = nb_json_str(f, "Key"), *opt = option_of(f);
        const json_t *values = json_object_get(f, "Values");
        int hit;
        if (strcmp(key, "Name") == 0)
            hit = match_name(req, p, opt, values);
        else if (strcmp(key, "Path") == 0)
            hit = match_path(p, opt, values);
        else if (strcmp(key, "Type") == 0)
            hit = match_text(p->type, opt, values);
        else if (strcmp(key, "KeyId") == 0)
            hit = match_text(p->key_id, opt, values);
        else if (strcmp(key, "Tier") == 0)
            hit = match_text(p->tier, opt, values);
        else if (strcmp(key, "DataType") == 0)
            hit = match_text(p->data_type ? p->data_type : "text", opt, values);
        else if (strcmp(key, "Label") == 0)
            hit = match_label(req, p, values);
        else
            hit = match_tag(req, p, key + 4, opt, values);
        if (!hit)
            return 0;
    }
    return 1;
}
