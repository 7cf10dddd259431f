/* SSM under ENFORCE_IAM=1 (nimbus/authz.h): each operation's IAM action, as the Service
 * Authorization Reference names it, and the ARN it acts on: a parameter's
 * "arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME" (the name without its leading slash; a public
 * /aws/service/ parameter's ARN has no account), a path's for GetParametersByPath, a document's,
 * an association's, a service setting's. A name given with a version or label selector
 * ("name:3") or as an ARN is authorized on its parameter. GetParameters and DeleteParameters name
 * several parameters: each is checked and the request is authorized on the first one denied, else
 * on the first, so it runs only when every parameter allows it. Parameters have no resource
 * policy here. */
#include "ssm_authz.h"

#include <string.h>

#include "ssm.h"

/* The ARN of the parameter a reference (a name, "name:selector", an ARN) names. */
static const char *param_arn(nb_req_t *req, const char *ref) {
    const char *name, *selector;
    ssm_split_selector(req, ref, &name, &selector);
    return strncmp(name, SSM_PUBLIC_PREFIX, strlen(SSM_PUBLIC_PREFIX)) == 0 ? ssm_public_arn(req, name)
                                                                             : ssm_param_arn(req, name);
}

static const char *named_param(nb_req_t *req, const json_t *in) {
    const char *name = nb_json_str(in, "Name");
    return name != NULL && *name != '\0' ? param_arn(req, name) : NULL;
}

static const char *path_resource(nb_req_t *req, const json_t *in) {
    const char *path = nb_json_str(in, "Path");
    return path != NULL && *path != '\0' ? ssm_param_arn(req, path) : NULL;
}

/* The parameter of Names this principal may not act on, else the first; NULL ("*") for none. */
static const char *names_resource(nb_req_t *req, const json_t *in) {
    const json_t *names = json_object_get(in, "Names");
    const char *first = json_string_value(json_array_get(names, 0));
    if (first == NULL)
        return NULL;
    const char *action = strcmp(nb_req_operation(req), "DeleteParameters") == 0 ? "ssm:DeleteParameters"
                                                                                 : "ssm:GetParameters";
    size_t i;
    const json_t *v;
    json_array_foreach(names, i, v) {
        const char *name = json_string_value(v);
        if (name == NULL || i == 0 || !nb_authz_enforced())
            continue;
        const char *arn = param_arn(req, name);
        if (!nb_authz_check(req, action, arn, in))
            return arn;
    }
    return param_arn(req, first);
}

/* A tag operation's resource: a parameter or a document by ResourceId; "*" for the other types. */
static const char *tagged_resource(nb_req_t *req, const json_t *in) {
    const char *type = nb_json_str(in, "ResourceType"), *id = nb_json_str(in, "ResourceId");
    if (type == NULL || id == NULL || *id == '\0')
        return NULL;
    if (strcmp(type, "Parameter") == 0)
        return param_arn(req, id);
    if (strcmp(type, "Document") == 0)
        return nb_req_printf(req, "arn:%s:ssm:%s:%s:document/%s", nb_partition(nb_req_region(req)),
                             nb_req_region(req), nb_req_account(req), id);
    return NULL;
}

#define DOCUMENT "arn:{partition}:ssm:{region}:{account}:document/{Name}"
#define ASSOCIATION "arn:{partition}:ssm:{region}:{account}:association/{AssociationId}"
#define SETTING "arn:{partition}:ssm:{region}:{account}:servicesetting{SettingId}"

#define FN_ROW(op, fn) {#op, "ssm:" #op, NULL, NULL, fn}
#define ARN_ROW(op, tpl) {#op, "ssm:" #op, tpl, NULL, NULL}

const nb_authz_action_t ssm_actions[] = {
    FN_ROW(AddTagsToResource, tagged_resource),
    ARN_ROW(CreateAssociation, DOCUMENT),
    ARN_ROW(CreateDocument, DOCUMENT),
    ARN_ROW(DeleteAssociation, ASSOCIATION),
    ARN_ROW(DeleteDocument, DOCUMENT),
    FN_ROW(DeleteParameter, named_param),
    FN_ROW(DeleteParameters, names_resource),
    ARN_ROW(DescribeAssociation, ASSOCIATION),
    ARN_ROW(DescribeDocument, DOCUMENT),
    ARN_ROW(DescribeParameters, NULL),
    ARN_ROW(GetDocument, DOCUMENT),
    FN_ROW(GetParameter, named_param),
    FN_ROW(GetParameterHistory, named_param),
    FN_ROW(GetParameters, names_resource),
    FN_ROW(GetParametersByPath, path_resource),
    ARN_ROW(GetServiceSetting, SETTING),
    FN_ROW(LabelParameterVersion, named_param),
    ARN_ROW(ListAssociationVersions, ASSOCIATION),
    ARN_ROW(ListAssociations, NULL),
    ARN_ROW(ListDocumentVersions, DOCUMENT),
    ARN_ROW(ListDocuments, NULL),
    FN_ROW(ListTagsForResource, tagged_resource),
    FN_ROW(PutParameter, named_param),
    FN_ROW(RemoveTagsFromResource, tagged_resource),
    ARN_ROW(ResetServiceSetting, SETTING),
    FN_ROW(UnlabelParameterVersion, named_param),
    ARN_ROW(UpdateAssociation, ASSOCIATION),
    ARN_ROW(UpdateDocument, DOCUMENT),
    ARN_ROW(UpdateDocumentDefaultVersion, DOCUMENT),
    ARN_ROW(UpdateServiceSetting, SETTING),
    {NULL, NULL, NULL, NULL, NULL},
};
