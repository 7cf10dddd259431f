/* Secrets Manager under ENFORCE_IAM=1 (nimbus/authz.h): each operation's IAM action, as the
 * Service Authorization Reference names it, on the ARN of the secret it names; and the secret's
 * resource policy (PutResourcePolicy) as its resource policy, with its tags for the
 * ResourceTag condition keys.
 *
 * A SecretId given by name, by ARN or by partial ARN is resolved to the secret's full ARN (with
 * its random suffix), which policies name. An ARN of another account reaches that account's
 * secret and its policy (a resource policy granting another account GetSecretValue). A secret
 * that does not exist is authorized on the ARN its SecretId would have (the name without suffix),
 * CreateSecret on the new name's. ListSecrets, GetRandomPassword and BatchGetSecretValue act on
 * "*"; BatchGetSecretValue then checks GetSecretValue on each secret it reads, listing the ones
 * denied in its Errors, as AWS does. */
#include "sm_authz.h"

#include <string.h>

/* The ARN of the secret a SecretId names; the ARN it would have when there is none. */
static const char *secret_arn_of(nb_req_t *req, const char *id) {
    sm_secret_t s;
    sm_fault_t f;
    if (sm_lookup_shared(req, id, &s, &f) == 0)
        return s.arn;
    if (strncmp(id, "arn:", 4) == 0)
        return id;
    const char *region = nb_req_region(req);
    return nb_req_printf(req, "arn:%s:secretsmanager:%s:%s:secret:%s", nb_partition(region), region,
                         nb_req_account(req), id);
}

static const char *secret_resource(nb_req_t *req, const json_t *in) {
    const char *id = nb_json_str(in, "SecretId");
    return id != NULL && *id != '\0' ? secret_arn_of(req, id) : NULL;
}

#define SECRET_ROW(op) {#op, "secretsmanager:" #op, NULL, NULL, secret_resource}
#define ANY_ROW(op) {#op, "secretsmanager:" #op, NULL, NULL, NULL}

const nb_authz_action_t sm_actions[] = {
    ANY_ROW(BatchGetSecretValue),
    SECRET_ROW(CancelRotateSecret),
    {"CreateSecret", "secretsmanager:CreateSecret", "arn:{partition}:secretsmanager:{region}:{account}:secret:{Name}",
     NULL, NULL},
    SECRET_ROW(DeleteResourcePolicy),
    SECRET_ROW(DeleteSecret),
    SECRET_ROW(DescribeSecret),
    ANY_ROW(GetRandomPassword),
    SECRET_ROW(GetResourcePolicy),
    SECRET_ROW(GetSecretValue),
    ANY_ROW(ListSecrets),
    SECRET_ROW(ListSecretVersionIds),
    SECRET_ROW(PutResourcePolicy),
    SECRET_ROW(PutSecretValue),
    SECRET_ROW(RemoveRegionsFromReplication),
    SECRET_ROW(ReplicateSecretToRegions),
    SECRET_ROW(RestoreSecret),
    SECRET_ROW(RotateSecret),
    SECRET_ROW(StopReplicationToReplica),
    SECRET_ROW(TagResource),
    SECRET_ROW(UntagResource),
    SECRET_ROW(UpdateSecret),
    SECRET_ROW(UpdateSecretVersionStage),
    SECRET_ROW(ValidateResourcePolicy),
    {NULL, NULL, NULL, NULL, NULL},
};

int sm_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out) {
    (void)self;
    const char *id = nb_json_str(in, "SecretId");
    sm_secret_t s;
    sm_fault_t f;
    char buf[SM_ARN_SIZE];
    nb_arn_t arn;
    if (id == NULL || sm_lookup_shared(req, id, &s, &f) != 0 || nb_arn_parse(s.arn, &arn, buf, sizeof buf) != 0)
        return 0; /* no secret: the handler answers ResourceNotFoundException if it is allowed to look */
    out->owner_account = nb_req_strdup(req, arn.account);
    out->document = nb_json_str(s.meta, "ResourcePolicy"); /* the meta lives as long as req */
    out->tags = json_incref(json_object_get(s.meta, "Tags"));
    return 0;
}

int sm_authz_may_read(nb_req_t *req, const char *secret_id, sm_fault_t *f) {
    if (secret_id == NULL || !nb_authz_enforced())
        return 0;
    const char *arn = secret_arn_of(req, secret_id);
    json_t *one = json_pack("{s:s}", "SecretId", secret_id);
    int allowed = one == NULL || nb_authz_check(req, "secretsmanager:GetSecretValue", arn, one);
    json_decref(one);
    if (allowed)
        return 0;
    return sm_fault(f, "AccessDeniedException",
                    "User: %s is not authorized to perform: secretsmanager:GetSecretValue on resource: %s",
                    nb_req_principal_arn(req), secret_id);
}
