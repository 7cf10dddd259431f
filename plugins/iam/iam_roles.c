/* What only roles have: the trust policy's update and service-linked roles. */
#include <ctype.h>
#include <string.h>

#include "iam.h"

nb_result_t iam_op_update_assume_role_policy(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *role;
    const char *name;
    NB_TRY(iam_find(req, in, &iam_role, &role, &name));
    nb_step_t st = iam_trust_set(req, role, iam_str(in, "PolicyDocument"));
    int rc = nb_stopped(st) ? 0 : iam_save(req, "role", name, role);
    json_decref(role);
    return nb_stopped(st) ? nb_step_result(st) : rc ? NB_FAILED(rc) : NB_DONE;
}

/* AWSServiceRoleFor<Service>: the service's first label, capitalised as AWS names most of them
 * ("elasticbeanstalk.amazonaws.com" -> "AWSServiceRoleForElasticbeanstalk"). */
static const char *slr_name(nb_req_t *req, const char *service, const char *suffix) {
    size_t n = strcspn(service, ".");
    char *label = nb_req_strdup(req, service);
    if (label == NULL)
        return NULL;
    label[n] = '\0';
    label[0] = (char)toupper((unsigned char)label[0]);
    return suffix ? nb_req_printf(req, "AWSServiceRoleFor%s_%s", label, suffix)
                  : nb_req_printf(req, "AWSServiceRoleFor%s", label);
}

nb_result_t iam_op_create_service_linked_role(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    const char *service = iam_str(in, "AWSServiceName");
    if (strchr(service, '.') == NULL)
        return nb_error(req, "InvalidInput", "Service principal %s is not a valid service principal.", service);
    const char *name = slr_name(req, service, iam_str(in, "CustomSuffix"));
    const char *path = nb_req_printf(req, "/aws-service-role/%s/", service);
    const char *trust = nb_req_printf(req,
                                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                                      "{\"Service\":[\"%s\"]},\"Action\":[\"sts:AssumeRole\"]}]}",
                                      service);
    json_t *input = json_pack("{s:s,s:s,s:s}", "RoleName", name, "Path", path, "AssumeRolePolicyDocument", trust);
    if (iam_str(in, "Description"))
        json_object_set(input, "Description", json_object_get(in, "Description"));
    static const iam_op_t create = {.name = "CreateServiceLinkedRole", .fn = iam_op_create, .kind = &iam_role};
    nb_result_t r = iam_op_create(req, input, &create);
    json_decref(input);
    return r;
}

nb_result_t iam_op_delete_service_linked_role(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    json_t *role;
    const char *name;
    NB_TRY(iam_find(req, in, &iam_role, &role, &name));
    json_decref(role);
    /* the deletion is done at once: its task id names the role, so that the status can be asked */
    if (iam_remove(req, "role", name) != 0)
        return iam_store_failed(req);
    return nb_reply_new(req, json_pack("{s:s}", "DeletionTaskId",
                                       nb_req_printf(req, "task/aws-service-role/%s/%s", name,
                                                     iam_new_id(req, "", 16))));
}

nb_result_t iam_op_service_linked_role_status(nb_req_t *req, const json_t *in, const iam_op_t *op) {
    (void)op;
    const char *task = iam_str(in, "DeletionTaskId");
    if (strncmp(task, "task/aws-service-role/", 22) != 0)
        return nb_error(req, "InvalidInput", "Invalid deletion task id %s.", task);
    return nb_reply_new(req, json_pack("{s:s}", "Status", "SUCCEEDED"));
}
