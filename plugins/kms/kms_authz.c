/* KMS under ENFORCE_IAM=1 (nimbus/authz.h): each operation's IAM action, as the Service
 * Authorization Reference names it, on the ARN of the key it uses; and the key's policy as its
 * resource policy.
 *
 * AWS authorizes a request on the key, never on an alias: a KeyId given as an alias name or alias
 * ARN is resolved to its key's ARN, a Decrypt without KeyId to the key its ciphertext names. A
 * key ARN of another account reaches that account's key and its policy (a key policy granting
 * another account kms:Encrypt). A key policy is required: what it does not allow is denied
 * whatever identity policies say; the default key policy allows the account ("arn:aws:iam::
 * ACCOUNT:root"), which under AWS's rule hands the decision to the account's identity policies.
 * Operations on no key (CreateKey, ListKeys, ListAliases, GenerateRandom, custom key stores,
 * ListRetirableGrants) act on "*". ReEncrypt needs two actions: the gateway authorizes it as
 * kms:ReEncryptFrom on its source key, its handler as kms:ReEncryptTo on its destination key
 * (kms_authz_reencrypt_to). */
#include "kms_authz.h"

#include <stdbool.h>
#include <stdio.h>

#include "kms.h"

/* The key a request names: KeyId, SourceKeyId (ReEncrypt), TargetKeyId (CreateAlias,
 * UpdateAlias), AliasName (DeleteAlias), else the key a ciphertext blob names; its account and
 * id. False when it names none, or an alias that does not exist. */
static bool key_of(nb_req_t *req, const json_t *in, const char **account, const char **id) {
    static const char *const members[] = {"KeyId", "SourceKeyId", "TargetKeyId", "AliasName"};
    const char *given = NULL;
    for (size_t i = 0; given == NULL && i < sizeof members / sizeof *members; i++)
        given = nb_json_str(in, members[i]);
    if (given == NULL)
        given = kms_blob_key_id(req, json_object_get(in, "CiphertextBlob"));
    return given != NULL && *given != '\0' && kms_key_ref(req, given, account, id) == 0;
}

/* The ARN of the key the request names; NULL ("*") when none. */
static const char *key_arn(nb_req_t *req, const json_t *in) {
    const char *account, *id;
    if (!key_of(req, in, &account, &id))
        return NULL;
    return kms_arn(req, account, nb_req_region(req), nb_req_printf(req, "key/%s", id));
}

#define KEY_ROW(op) {#op, "kms:" #op, NULL, NULL, key_arn}
#define ANY_ROW(op) {#op, "kms:" #op, NULL, NULL, NULL}

const nb_authz_action_t kms_actions[] = {
    KEY_ROW(CancelKeyDeletion),
    ANY_ROW(ConnectCustomKeyStore),
    KEY_ROW(CreateAlias),
    ANY_ROW(CreateCustomKeyStore),
    KEY_ROW(CreateGrant),
    ANY_ROW(CreateKey),
    KEY_ROW(Decrypt),
    KEY_ROW(DeleteAlias),
    ANY_ROW(DeleteCustomKeyStore),
    KEY_ROW(DeleteImportedKeyMaterial),
    KEY_ROW(DeriveSharedSecret),
    ANY_ROW(DescribeCustomKeyStores),
    KEY_ROW(DescribeKey),
    KEY_ROW(DisableKey),
    KEY_ROW(DisableKeyRotation),
    ANY_ROW(DisconnectCustomKeyStore),
    KEY_ROW(EnableKey),
    KEY_ROW(EnableKeyRotation),
    KEY_ROW(Encrypt),
    KEY_ROW(GenerateDataKey),
    KEY_ROW(GenerateDataKeyPair),
    KEY_ROW(GenerateDataKeyPairWithoutPlaintext),
    KEY_ROW(GenerateDataKeyWithoutPlaintext),
    KEY_ROW(GenerateMac),
    ANY_ROW(GenerateRandom),
    KEY_ROW(GetKeyLastUsage),
    KEY_ROW(GetKeyPolicy),
    KEY_ROW(GetKeyRotationStatus),
    KEY_ROW(GetParametersForImport),
    KEY_ROW(GetPublicKey),
    KEY_ROW(ImportKeyMaterial),
    ANY_ROW(ListAliases),
    KEY_ROW(ListGrants),
    KEY_ROW(ListKeyPolicies),
    KEY_ROW(ListKeyRotations),
    ANY_ROW(ListKeys),
    KEY_ROW(ListResourceTags),
    ANY_ROW(ListRetirableGrants),
    KEY_ROW(PutKeyPolicy),
    {"ReEncrypt", "kms:ReEncryptFrom", NULL, NULL, key_arn},
    KEY_ROW(ReplicateKey),
    KEY_ROW(RetireGrant),
    KEY_ROW(RevokeGrant),
    KEY_ROW(RotateKeyOnDemand),
    KEY_ROW(ScheduleKeyDeletion),
    KEY_ROW(Sign),
    KEY_ROW(TagResource),
    KEY_ROW(UntagResource),
    KEY_ROW(UpdateAlias),
    ANY_ROW(UpdateCustomKeyStore),
    KEY_ROW(UpdateKeyDescription),
    KEY_ROW(UpdatePrimaryRegion),
    KEY_ROW(Verify),
    KEY_ROW(VerifyMac),
    {NULL, NULL, NULL, NULL, NULL},
};

int kms_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out) {
    (void)self;
    const char *account, *id;
    kms_key_t *k;
    if (!key_of(req, in, &account, &id) || kms_key_load(req, account, nb_req_region(req), id, &k) != 0)
        return 0; /* no key: the handler answers NotFoundException if it is allowed to look */
    const char *policy = kms_key_policy_text(req, k);
    if (policy == NULL)
        return NB_ESTORE;
    out->document = policy;
    out->owner_account = account;
    out->required = 1;
    return 0;
}

nb_step_t kms_authz_reencrypt_to(nb_req_t *req, const json_t *input) {
    static const char action[] = "kms:ReEncryptTo";
    /* as the destination key's own request: its KeyId names the key whose policy counts */
    json_t *dest = json_pack("{s:s?}", "KeyId", nb_json_str(input, "DestinationKeyId"));
    const char *arn = dest ? key_arn(req, dest) : NULL;
    int allowed = dest == NULL || nb_authz_check(req, action, arn ? arn : "*", dest);
    json_decref(dest);
    if (allowed)
        return NB_GO_ON;
    /* nb_authz_check gives no reason: the usual one, as the gateway words a denial */
    const char *who = nb_req_principal_arn(req);
    return nb_stop(nb_error(req, "AccessDeniedException",
                            "User: %s is not authorized to perform: %s on resource: %s because no identity-based "
                            "policy allows the %s action",
                            who ? who : "", action, arn ? arn : "*", action));
}
