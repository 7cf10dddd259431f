/* GetParameter, GetParameters, GetParametersByPath, GetParameterHistory. */
#include <stdlib.h>

#include "ssm.h"

typedef enum missing { FOUND, NO_PARAMETER, NO_VERSION } missing_t;

static int all_digits(const char *s) {
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int is_public(const char *name) { return strncmp(name, SSM_PUBLIC_PREFIX, strlen(SSM_PUBLIC_PREFIX)) == 0; }

/* The stored (or public) version a reference names: "name", "name:VERSION", "name:LABEL". */
static nb_step_t find(nb_req_t *req, const char *name, const char *selector, ssm_param_t *p, missing_t *missing) {
    int rc;
    *missing = FOUND;
    if (is_public(name)) {
        rc = ssm_public_get(req, name, p);
        if (rc == 1 && selector != NULL && strcmp(selector, "1") != 0)
            *missing = all_digits(selector) ? NO_VERSION : NO_PARAMETER;
    } else if (selector == NULL) {
        rc = ssm_param_latest(req, name, p);
    } else if (all_digits(selector)) {
        rc = ssm_param_version(req, name, strtoll(selector, NULL, 10), p);
        if (rc == 0) {
            ssm_param_t latest;
            rc = ssm_param_latest(req, name, &latest);
            if (rc == 1) {
                *missing = NO_VERSION;
                return NB_GO_ON;
            }
        }
    } else {
        rc = ssm_param_labelled(req, name, selector, p);
    }
    if (rc < 0)
        return nb_stop(NB_FAILED(rc));
    if (rc == 0)
        *missing = NO_PARAMETER;
    return NB_GO_ON;
}

static nb_step_t resolve(nb_req_t *req, const char *ref, int with_decryption, json_t **out, missing_t *missing) {
    const char *name, *selector;
    *out = NULL;
    if (strncmp(ref, SSM_SECRET_PREFIX, strlen(SSM_SECRET_PREFIX)) == 0) {
        NB_TRY_STEP(ssm_secret_reference(req, ref, with_decryption, out));
        *missing = *out ? FOUND : NO_PARAMETER;
        return NB_GO_ON;
    }
    ssm_split_selector(req, ref, &name, &selector);
    ssm_param_t p;
    NB_TRY_STEP(find(req, name, selector, &p, missing));
    if (*missing != FOUND)
        return NB_GO_ON;
    return ssm_param_view(req, &p, with_decryption, selector, out);
}

nb_result_t ssm_get_parameter(nb_req_t *req, const json_t *in) {
    const char *ref = nb_json_str(in, "Name");
    json_t *p = NULL;
    missing_t missing;
    NB_TRY(resolve(req, ref, nb_json_bool(in, "WithDecryption", 0), &p, &missing));
    if (missing == NO_VERSION) {
        const char *name, *selector;
        ssm_split_selector(req, ref, &name, &selector);
        return nb_error(req, "ParameterVersionNotFound",
                        "Systems Manager could not find version %s of %s. Verify the version and try again.",
                        selector, name);
    }
    if (missing == NO_PARAMETER)
        return nb_error(req, "ParameterNotFound", "%s", ""); /* AWS answers it without a message */
    return nb_reply_new(req, json_pack("{s:o}", "Parameter", p));
}

nb_result_t ssm_get_parameters(nb_req_t *req, const json_t *in) {
    json_t *found = json_array(), *invalid = json_array();
    int with_decryption = nb_json_bool(in, "WithDecryption", 0);
    const json_t *names = json_object_get(in, "Names"), *n;
    size_t i, j;
    json_array_foreach(names, i, n) {
        for (j = 0; j < i; j++) /* a name asked twice is answered once */
            if (json_equal(json_array_get(names, j), (json_t *)n))
                break;
        if (j < i)
            continue;
        json_t *p = NULL;
        missing_t missing;
        nb_step_t step = resolve(req, json_string_value(n), with_decryption, &p, &missing);
        if (nb_stopped(step)) {
            json_decref(found);
            json_decref(invalid);
            return nb_step_result(step);
        }
        if (missing == FOUND)
            json_array_append_new(found, p);
        else
            json_array_append(invalid, (json_t *)n);
    }
    return nb_reply_new(req, json_pack("{s:o,s:o}", "Parameters", found, "InvalidParameters", invalid));
}

static int valid_path(const char *path) {
    if (path[0] != '/' || strstr(path, "//") != NULL)
        return 0;
    for (const char *p = path; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_' || c == '/'))
            return 0;
    }
    return 1;
}

nb_result_t ssm_get_parameters_by_path(nb_req_t *req, const json_t *in) {
    const char *path = nb_json_str(in, "Path");
    int recursive = nb_json_bool(in, "Recursive", 0), with_decryption = nb_json_bool(in, "WithDecryption", 0);
    const json_t *filters = json_object_get(in, "ParameterFilters");
    size_t max = (size_t)nb_json_int(in, "MaxResults", 10), offset;
    if (!valid_path(path))
        return nb_error(req, "ValidationException",
                        "The parameter doesn't meet the parameter name requirements. The parameter name must begin "
                        "with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). "
                        "It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ "
                        "(underscore). Special characters are not allowed. All sub-paths, if specified, must use the "
                        "forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.");
    NB_TRY(ssm_filters_check(req, filters, 1));
    NB_TRY(ssm_page_start(req, in, &offset));
    size_t n = 0;
    /* "/" lists the names without a leading slash too: no prefix narrows the rows */
    const char *prefix = strcmp(path, "/") == 0 ? "" : path;
    ssm_param_t *all = strncmp(path, "/aws/service", 12) == 0 ? ssm_public_list(req, prefix, &n)
                                                              : ssm_param_list(req, prefix, &n);
    if (all == NULL && n > 0)
        return NB_FAILED(NB_ENOMEM);
    json_t *out = json_array();
    size_t seen = 0, i;
    for (i = 0; i < n; i++) {
        if (!ssm_under_path(all[i].name, path, recursive) || !ssm_filters_match(req, &all[i], filters))
            continue;
        if (seen++ < offset)
            continue;
        if (json_array_size(out) == max)
            break;
        json_t *v = NULL;
        nb_step_t step = ssm_param_view(req, &all[i], with_decryption, NULL, &v);
        if (nb_stopped(step)) {
            json_decref(out);
            return nb_step_result(step);
        }
        json_array_append_new(out, v);
    }
    return ssm_page_reply(req, "Parameters", out, i < n, offset);
}

nb_result_t ssm_get_parameter_history(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name");
    int with_decryption = nb_json_bool(in, "WithDecryption", 0);
    size_t max = (size_t)nb_json_int(in, "MaxResults", 50), offset;
    NB_TRY(ssm_page_start(req, in, &offset));
    ssm_param_t latest;
    int rc = ssm_param_latest(req, name, &latest);
    if (rc < 0)
        return NB_FAILED(rc);
    if (rc == 0)
        return nb_error(req, "ParameterNotFound", "%s", "");
    json_t *out = json_array();
    int64_t v = 0;
    size_t skipped = 0;
    int more = 0;
    for (v = 1; v <= latest.version; v++) {
        ssm_param_t p;
        rc = ssm_param_version(req, name, v, &p);
        if (rc < 0) {
            json_decref(out);
            return NB_FAILED(rc);
        }
        if (rc == 0 || skipped++ < offset)
            continue;
        if (json_array_size(out) == max) {
            more = 1;
            break;
        }
        json_t *view = NULL;
        nb_step_t step = ssm_param_view(req, &p, with_decryption, NULL, &view);
        if (nb_stopped(step)) {
            json_decref(out);
            return nb_step_result(step);
        }
        json_t *h = ssm_param_metadata(req, &p);
        json_object_del(h, "ARN");
        json_object_set(h, "Value", json_object_get(view, "Value"));
        json_object_set_new(h, "Labels", ssm_param_labels(req, name, p.version));
        json_decref(view);
        json_array_append_new(out, h);
    }
    return ssm_page_reply(req, "Parameters", out, more, offset);
}
