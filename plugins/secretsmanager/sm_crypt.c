/* Values under a customer managed key are sealed as AWS does it, with envelope encryption: KMS
 * makes a data key (GenerateDataKey, bound to the secret and version by the encryption context),
 * the value is sealed with it here (AES-256-GCM), and only the data key's ciphertext is kept.
 * Reading asks KMS to decrypt that data key, so a disabled or deleted key makes reads fail as in AWS. */
#include <string.h>

#include <openssl/evp.h>

#include "sm.h"

#define IV_LEN 12
#define TAG_LEN 16

bool sm_key_is_default(const char *key) {
    return key == NULL || key[0] == '\0' || strcmp(key, SM_DEFAULT_KEY) == 0 ||
           (strncmp(key, "arn:", 4) == 0 && strstr(key, ":" SM_DEFAULT_KEY) != NULL);
}

static json_t *context(const char *arn, const char *version_id) {
    return json_pack("{s:s,s:s}", "SecretARN", arn, "SecretVersionId", version_id);
}

/* A KMS error in Secrets Manager's words: a key that is disabled or pending deletion answers
 * InvalidRequestException naming the key's state, as AWS passes KMS's message on; anything else
 * the operation's own failure (EncryptionFailure / DecryptionFailure). */
static int kms_failed(sm_fault_t *f, int rc, const char *code, const char *key, bool encrypting) {
    if (strcmp(code, "DisabledException") == 0)
        return sm_fault(f, "InvalidRequestException", "%s is disabled.", key);
    if (strcmp(code, "KMSInvalidStateException") == 0)
        return sm_fault(f, "InvalidRequestException", "%s is pending deletion.", key);
    if (strcmp(code, "NotFoundException") == 0 && encrypting)
        return sm_fault(f, "ResourceNotFoundException", "Secrets Manager can't find the specified KMS key.");
    nb_log(sm.self, NB_LOG_WARN, "KMS %s for a secret failed: %s %s", encrypting ? "GenerateDataKey" : "Decrypt",
           code[0] ? code : "(no code)", rc == NB_ENOENT ? "(KMS is not enabled)" : "");
    if (encrypting)
        return sm_fault(f, "EncryptionFailure",
                        "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check "
                        "that the KMS key is available, enabled, and not in an invalid state.");
    return sm_fault(f, "DecryptionFailure",
                    "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
}

static void wipe(void *p, size_t n) { OPENSSL_cleanse(p, n); }

int sm_encrypt(nb_req_t *req, const char *key, const char *arn, const char *version_id, const sm_value_t *in,
               const void **blob, size_t *blob_len, const void **dkey, size_t *dkey_len, const char **key_arn,
               sm_fault_t *f) {
    json_t *input = json_pack("{s:s,s:s,s:o}", "KeyId", key, "KeySpec", "AES_256", "EncryptionContext",
                              context(arn, version_id));
    json_t *output = NULL;
    char code[128] = "";
    int rc = nb_call(sm.self, nb_req_account(req), nb_req_region(req), "kms", "GenerateDataKey", input, &output, code,
                     sizeof code);
    const json_t *plain = json_object_get(output, "Plaintext");
    const json_t *wrapped = json_object_get(output, "CiphertextBlob");
    if (rc != 0 || json_string_length(plain) != 32 || !json_is_string(wrapped)) {
        json_decref(output);
        return kms_failed(f, rc, code, key, true);
    }
    unsigned char *out = nb_req_alloc(req, IV_LEN + TAG_LEN + in->len + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = out != NULL && c != NULL && nb_random_bytes(out, IV_LEN) == 0 &&
                    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, (const unsigned char *)json_string_value(plain),
                                       out) == 1 &&
                    EVP_EncryptUpdate(c, out + IV_LEN + TAG_LEN, &n, (const unsigned char *)in->data, (int)in->len) == 1 &&
                    EVP_EncryptFinal_ex(c, out + IV_LEN + TAG_LEN + n, &n) == 1 &&
                    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + IV_LEN) == 1;
    EVP_CIPHER_CTX_free(c);
    wipe((void *)json_string_value(plain), 32);
    *blob = out;
    *blob_len = IV_LEN + TAG_LEN + in->len;
    *dkey_len = json_string_length(wrapped);
    void *dk = nb_req_alloc(req, *dkey_len + 1);
    if (dk != NULL)
        memcpy(dk, json_string_value(wrapped), *dkey_len);
    *dkey = dk;
    const char *kid = nb_json_str(output, "KeyId");
    *key_arn = nb_req_strdup(req, kid ? kid : key);
    json_decref(output);
    if (!ok || dk == NULL)
        return NB_ENOMEM;
    return 0;
}

int sm_decrypt(nb_req_t *req, const char *key_arn, const char *arn, const char *version_id, const void *blob,
               size_t blob_len, const void *dkey, size_t dkey_len, const char **out_data, size_t *out_len,
               sm_fault_t *f) {
    if (blob_len < IV_LEN + TAG_LEN)
        return kms_failed(f, 0, "", key_arn, false);
    json_t *input = json_pack("{s:s,s:o,s:o}", "KeyId", key_arn, "CiphertextBlob",
                              json_stringn_nocheck((const char *)dkey, dkey_len), "EncryptionContext",
                              context(arn, version_id));
    json_t *output = NULL;
    char code[128] = "";
    /* the key lives where it was made: a replica reads its primary's values with the primary's key */
    char buf[SM_ARN_SIZE];
    nb_arn_t ka;
    bool parsed = strlen(key_arn) < sizeof buf && nb_arn_parse(key_arn, &ka, buf, sizeof buf) == 0 && ka.region &&
                  ka.account && ka.region[0] && ka.account[0];
    int rc = nb_call(sm.self, parsed ? ka.account : nb_req_account(req), parsed ? ka.region : nb_req_region(req), "kms",
                     "Decrypt", input, &output, code, sizeof code);
    const json_t *plain = json_object_get(output, "Plaintext");
    if (rc != 0 || json_string_length(plain) != 32) {
        json_decref(output);
        return kms_failed(f, rc, code, key_arn, false);
    }
    const unsigned char *in = blob;
    size_t len = blob_len - IV_LEN - TAG_LEN;
    unsigned char *out = nb_req_alloc(req, len + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = out != NULL && c != NULL &&
                    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, (const unsigned char *)json_string_value(plain), in) == 1 &&
                    EVP_DecryptUpdate(c, out, &n, in + IV_LEN + TAG_LEN, (int)len) == 1 &&
                    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(in + IV_LEN)) == 1 &&
                    EVP_DecryptFinal_ex(c, out + n, &n) == 1;
    EVP_CIPHER_CTX_free(c);
    wipe((void *)json_string_value(plain), 32);
    json_decref(output);
    if (!ok)
        return kms_failed(f, 0, "", key_arn, false);
    *out_data = (const char *)out;
    *out_len = len;
    return 0;
}
