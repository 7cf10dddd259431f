/* SecureString values: encrypted through the KMS service in-process (nb_call), with AWS's
 * encryption context {"PARAMETER_ARN": arn}. The default key alias/aws/ssm does not need the
 * KMS service: without it (or when it has no such key) the value is sealed with AES-256-GCM
 * under a key kept in this plugin's store, so the stored form never holds the plaintext.
 * Stored forms: "kms:<base64 CiphertextBlob>" and "local:<base64 nonce|tag|ciphertext>". */
#include <openssl/evp.h>

#include "ssm.h"

#define KMS_PREFIX "kms:"
#define LOCAL_PREFIX "local:"
#define NONCE_LEN 12
#define TAG_LEN 16

static int is_default_key(const char *key_id) {
    return key_id == NULL || strcmp(key_id, SSM_DEFAULT_KEY) == 0 || strstr(key_id, ":alias/aws/ssm") != NULL;
}

/* The installation's local key, made on first use. */
static int local_key(unsigned char key[32]) {
    sqlite3_stmt *s = nb_store_stmt(&ssm.store, "SELECT key FROM _local_key WHERE id = 1");
    if (s == NULL)
        return NB_ESTORE;
    int found = 0;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
        memcpy(key, sqlite3_column_blob(s, 0), 32);
        found = 1;
    }
    sqlite3_reset(s);
    if (found)
        return 0;
    if (nb_random_bytes(key, 32) != 0)
        return NB_EIO;
    s = nb_store_stmt(&ssm.store, "INSERT INTO _local_key(id, key) VALUES(1, ?1)");
    if (s == NULL)
        return NB_ESTORE;
    sqlite3_bind_blob(s, 1, key, 32, SQLITE_TRANSIENT);
    return nb_store_run(s);
}

static const char *b64(nb_req_t *req, const void *data, size_t len) {
    char *out = nb_req_alloc(req, NB_BASE64_SIZE(len));
    if (out == NULL || nb_base64_encode(data, len, 0, out, NB_BASE64_SIZE(len)) < 0)
        return NULL;
    return out;
}

/* Decoded bytes of base64 text in request memory; *len set. NULL if not base64. */
static unsigned char *unb64(nb_req_t *req, const char *text, size_t *len) {
    size_t cap = NB_BASE64_DECODED_SIZE(strlen(text)) + 1;
    unsigned char *out = nb_req_alloc(req, cap);
    ssize_t n = out ? nb_base64_decode(text, strlen(text), 0, out, cap) : -1;
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return out;
}

static const char *local_seal(nb_req_t *req, const char *name, const char *value) {
    unsigned char key[32];
    if (local_key(key) != 0)
        return NULL;
    size_t len = strlen(value);
    unsigned char *buf = nb_req_alloc(req, NONCE_LEN + TAG_LEN + len + 1);
    if (buf == NULL || nb_random_bytes(buf, NONCE_LEN) != 0)
        return NULL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c != NULL && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
                    EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)name, (int)strlen(name)) == 1 &&
                    EVP_EncryptUpdate(c, buf + NONCE_LEN + TAG_LEN, &n, (const unsigned char *)value, (int)len) == 1 &&
                    EVP_EncryptFinal_ex(c, buf + NONCE_LEN + TAG_LEN + n, &n) == 1 &&
                    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return NULL;
    const char *text = b64(req, buf, NONCE_LEN + TAG_LEN + len);
    return text ? nb_req_printf(req, LOCAL_PREFIX "%s", text) : NULL;
}

static const char *local_open(nb_req_t *req, const char *name, const char *text) {
    unsigned char key[32];
    size_t len = 0;
    unsigned char *buf = unb64(req, text, &len);
    if (buf == NULL || len < NONCE_LEN + TAG_LEN || local_key(key) != 0)
        return NULL;
    size_t clen = len - NONCE_LEN - TAG_LEN;
    unsigned char *plain = nb_req_alloc(req, clen + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = plain != NULL && c != NULL && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
                    EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)name, (int)strlen(name)) == 1 &&
                    EVP_DecryptUpdate(c, plain, &n, buf + NONCE_LEN + TAG_LEN, (int)clen) == 1 &&
                    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, buf + NONCE_LEN) == 1 &&
                    EVP_DecryptFinal_ex(c, plain + n, &n) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return NULL;
    plain[clen] = '\0';
    return (const char *)plain;
}

/* The KMS ARN form of a key reference, for AWS's error texts. */
static const char *kms_arn(nb_req_t *req, const char *key_id) {
    if (strncmp(key_id, "arn:", 4) == 0)
        return key_id;
    return nb_req_printf(req, "arn:%s:kms:%s:%s:%s%s", nb_partition(nb_req_region(req)), nb_req_region(req),
                         nb_req_account(req), strncmp(key_id, "alias/", 6) == 0 ? "" : "key/", key_id);
}

/* SSM answers a KMS failure as InvalidKeyId carrying KMS's own error, as AWS does. */
static nb_result_t kms_failed(nb_req_t *req, const char *key_id, int rc, const char *code) {
    const char *arn = kms_arn(req, key_id);
    const char *msg;
    if (rc == NB_ENOENT || code[0] == '\0' || strcmp(code, "NotFoundException") == 0) {
        code = "NotFoundException";
        msg = strstr(arn, ":alias/") ? nb_req_printf(req, "Alias %s is not found.", arn)
                                     : nb_req_printf(req, "Key '%s' does not exist", arn);
    } else if (strcmp(code, "DisabledException") == 0) {
        msg = nb_req_printf(req, "%s is disabled.", arn);
    } else if (strcmp(code, "KMSInvalidStateException") == 0) {
        msg = nb_req_printf(req, "%s is pending deletion.", arn);
    } else {
        msg = nb_req_printf(req, "The request to KMS failed: %s.", code);
    }
    return nb_error(req, "InvalidKeyId", "%s (Service: AWSKMS; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)",
                    msg, code, nb_req_id(req));
}

static json_t *context(nb_req_t *req, const char *name) {
    return json_pack("{s:s}", "PARAMETER_ARN", ssm_param_arn(req, name));
}

nb_step_t ssm_encrypt(nb_req_t *req, const char *name, const char *key_id, const char *value, const char **stored) {
    const char *key = key_id ? key_id : SSM_DEFAULT_KEY;
    json_t *in = json_pack("{s:s,s:o,s:o}", "KeyId", key, "Plaintext", json_stringn_nocheck(value, strlen(value)),
                           "EncryptionContext", context(req, name));
    json_t *out = NULL;
    char code[128] = "";
    int rc = in ? nb_call(nb_req_plugin(req), nb_req_account(req), nb_req_region(req), "kms", "Encrypt", in, &out,
                          code, sizeof code)
                : NB_ENOMEM;
    if (rc == 0) {
        const json_t *blob = json_object_get(out, "CiphertextBlob");
        const char *text = blob ? b64(req, json_string_value(blob), json_string_length(blob)) : NULL;
        json_decref(out);
        if (text == NULL)
            return nb_stop(NB_FAILED(NB_ENOMEM));
        *stored = nb_req_printf(req, KMS_PREFIX "%s", text);
        return NB_GO_ON;
    }
    json_decref(out);
    if (!is_default_key(key_id))
        return nb_stop(kms_failed(req, key, rc, code));
    /* the AWS managed key needs no KMS service here */
    *stored = local_seal(req, name, value);
    return *stored ? NB_GO_ON : nb_stop(NB_FAILED(NB_EIO));
}

nb_step_t ssm_check_key(nb_req_t *req, const char *key_id) {
    if (is_default_key(key_id))
        return NB_GO_ON;
    json_t *in = json_pack("{s:s}", "KeyId", key_id), *out = NULL;
    char code[128] = "";
    int rc = nb_call(nb_req_plugin(req), nb_req_account(req), nb_req_region(req), "kms", "DescribeKey", in, &out,
                     code, sizeof code);
    if (rc != 0) {
        json_decref(out);
        return nb_stop(kms_failed(req, key_id, rc, code));
    }
    const json_t *meta = json_object_get(out, "KeyMetadata");
    const char *state = nb_json_str(meta, "KeyState");
    int enabled = state == NULL || strcmp(state, "Enabled") == 0;
    int pending = state != NULL && strcmp(state, "PendingDeletion") == 0;
    /* KMS names the key an alias stands for */
    const char *arn = nb_json_str(meta, "Arn") ? nb_req_strdup(req, nb_json_str(meta, "Arn")) : key_id;
    json_decref(out);
    if (!enabled)
        return nb_stop(kms_failed(req, arn, NB_EINVAL, pending ? "KMSInvalidStateException" : "DisabledException"));
    return NB_GO_ON;
}

nb_step_t ssm_decrypt(nb_req_t *req, const char *name, const char *key_id, const char *stored, const char **plain) {
    if (strncmp(stored, LOCAL_PREFIX, strlen(LOCAL_PREFIX)) == 0) {
        *plain = local_open(req, name, stored + strlen(LOCAL_PREFIX));
        return *plain ? NB_GO_ON : nb_stop(NB_FAILED(NB_EIO));
    }
    size_t len = 0;
    unsigned char *blob = strncmp(stored, KMS_PREFIX, strlen(KMS_PREFIX)) == 0
                              ? unb64(req, stored + strlen(KMS_PREFIX), &len)
                              : NULL;
    if (blob == NULL)
        return nb_stop(NB_FAILED(NB_EIO));
    json_t *in = json_pack("{s:o,s:o}", "CiphertextBlob", json_stringn_nocheck((const char *)blob, len),
                           "EncryptionContext", context(req, name));
    json_t *out = NULL;
    char code[128] = "";
    int rc = nb_call(nb_req_plugin(req), nb_req_account(req), nb_req_region(req), "kms", "Decrypt", in, &out, code,
                     sizeof code);
    if (rc != 0) {
        json_decref(out);
        return nb_stop(kms_failed(req, key_id ? key_id : SSM_DEFAULT_KEY, rc, code));
    }
    const json_t *p = json_object_get(out, "Plaintext");
    *plain = p ? nb_req_strdup(req, json_string_value(p)) : "";
    json_decref(out);
    return NB_GO_ON;
}

const char *ssm_ciphertext_text(nb_req_t *req, const char *stored) {
    (void)req;
    const char *colon = strchr(stored, ':');
    return colon ? colon + 1 : stored;
}
