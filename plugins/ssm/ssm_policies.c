/* Parameter policies: Expiration, ExpirationNotification, NoChangeNotification, checked as AWS
 * does and stored as given. Expiration deletes the parameter (ssm_store.c); the notifications go
 * to EventBridge in AWS, which Nimbus does not have: they are kept and shown, not sent. */
#include <stdlib.h>

#include "ssm.h"

static nb_result_t bad_attribute(nb_req_t *req, const char *type) {
    return nb_error(req, "InvalidPolicyAttributeException",
                    "A policy attribute or its value is invalid. Check the attributes of the %s policy and try again.",
                    type);
}

/* A positive whole number of Days or Hours in Attributes[amount] and Attributes.Unit. */
static int valid_period(const json_t *attrs, const char *amount) {
    const char *n = nb_json_str(attrs, amount), *unit = nb_json_str(attrs, "Unit");
    if (n == NULL || *n == '\0' || unit == NULL || (strcmp(unit, "Days") != 0 && strcmp(unit, "Hours") != 0))
        return 0;
    char *end = NULL;
    long v = strtol(n, &end, 10);
    return *end == '\0' && v > 0;
}

nb_step_t ssm_policies_check(nb_req_t *req, const char *text, const char **out) {
    json_error_t jerr;
    json_t *list = json_loads(text, 0, &jerr);
    if (!json_is_array(list)) {
        json_decref(list);
        return nb_stop(nb_error(req, "InvalidPolicyTypeException",
                                "The policies aren't valid JSON: the value must be a JSON array of policies."));
    }
    if (json_array_size(list) > SSM_MAX_POLICIES) {
        json_decref(list);
        return nb_stop(nb_error(req, "PoliciesLimitExceededException",
                                "You specified more than the maximum number of allowed policies for the parameter. "
                                "The maximum is %d.",
                                SSM_MAX_POLICIES));
    }
    int seen[3] = {0, 0, 0};
    size_t i;
    json_t *pol;
    nb_result_t failed = NB_DONE;
    int stop = 0;
    json_array_foreach(list, i, pol) {
        const char *type = nb_json_str(pol, "Type");
        const json_t *attrs = json_object_get(pol, "Attributes");
        int kind = !type                                      ? -1
                   : strcmp(type, "Expiration") == 0          ? 0
                   : strcmp(type, "ExpirationNotification") == 0 ? 1
                   : strcmp(type, "NoChangeNotification") == 0   ? 2
                                                                 : -1;
        if (kind < 0) {
            failed = nb_error(req, "InvalidPolicyTypeException", "The following policy type is not supported: %s.",
                              type ? type : "null");
            stop = 1;
            break;
        }
        if (seen[kind]++) {
            failed = nb_error(req, "IncompatiblePolicyException",
                              "There is a conflict in the policies specified for this parameter. You can't, for "
                              "example, specify two Expiration policies for a parameter. Review your policies, and "
                              "try again.");
            stop = 1;
            break;
        }
        double t = 0;
        int ok = json_is_object(attrs) &&
                 (kind == 0   ? nb_json_str(attrs, "Timestamp") && nb_time_parse(nb_json_str(attrs, "Timestamp"), &t) == 0
                  : kind == 1 ? valid_period(attrs, "Before")
                              : valid_period(attrs, "After"));
        if (!ok) {
            failed = bad_attribute(req, type);
            stop = 1;
            break;
        }
    }
    if (stop) {
        json_decref(list);
        return nb_stop(failed);
    }
    char *dumped = json_dumps(list, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(list);
    *out = dumped ? nb_req_strdup(req, dumped) : NULL;
    free(dumped);
    return *out ? NB_GO_ON : nb_stop(NB_FAILED(NB_ENOMEM));
}

double ssm_policies_expiry(const char *policies) {
    json_t *list = json_loads(policies, 0, NULL);
    size_t i;
    json_t *pol;
    double when = 0;
    json_array_foreach(list, i, pol) {
        const char *ts = nb_json_str(json_object_get(pol, "Attributes"), "Timestamp");
        if (nb_json_str_eq(pol, "Type", "Expiration") && ts != NULL && nb_time_parse(ts, &when) != 0)
            when = 0;
    }
    json_decref(list);
    return when;
}
