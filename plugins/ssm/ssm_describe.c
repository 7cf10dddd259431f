/* DescribeParameters: every parameter's latest version, filtered, by name, in pages. */
#include "ssm.h"

/* The older Filters (Name, Type, KeyId) as ParameterFilters: Name matches a beginning. */
static json_t *legacy_filters(const json_t *filters) {
    json_t *out = json_array();
    size_t i;
    const json_t *f;
    json_array_foreach(filters, i, f) {
        const char *key = nb_json_str(f, "Key");
        json_array_append_new(out, json_pack("{s:s,s:s,s:O}", "Key", key, "Option",
                                             strcmp(key, "Name") == 0 ? "BeginsWith" : "Equals", "Values",
                                             json_object_get(f, "Values")));
    }
    return out;
}

nb_result_t ssm_describe_parameters(nb_req_t *req, const json_t *in) {
    const json_t *filters = json_object_get(in, "Filters"), *pfilters = json_object_get(in, "ParameterFilters");
    if (json_array_size(filters) > 0 && json_array_size(pfilters) > 0)
        return nb_error(req, "ValidationException",
                        "You can use either Filters or ParameterFilters in a single request.");
    NB_TRY(ssm_filters_check(req, pfilters, 0));
    size_t max = (size_t)nb_json_int(in, "MaxResults", 10), offset;
    NB_TRY(ssm_page_start(req, in, &offset));
    json_t *matching = json_array_size(filters) > 0 ? legacy_filters(filters) : json_incref((json_t *)pfilters);
    size_t n = 0, seen = 0, i;
    ssm_param_t *all = nb_json_bool(in, "Shared", 0) ? NULL : ssm_param_list(req, "", &n);
    json_t *out = json_array();
    for (i = 0; i < n; i++) {
        if (!ssm_filters_match(req, &all[i], matching) || seen++ < offset)
            continue;
        if (json_array_size(out) == max)
            break;
        json_array_append_new(out, ssm_param_metadata(req, &all[i]));
    }
    json_decref(matching);
    return ssm_page_reply(req, "Parameters", out, i < n, offset);
}
