/* DecodeAuthorizationMessage: the messages Nimbus encodes are "nbauthz1." followed by the
 * base64url (no padding) of the decoded JSON document (docs/plugins.md, "Credential registry"),
 * so that whoever denies a request can encode one without asking STS; anything else is not a
 * message Nimbus issued. */
#include <stdlib.h>
#include <string.h>

#include "sts_plugin.h"

#define PREFIX "nbauthz1."

nb_result_t sts_decode_authorization_message(nb_req_t *req, const json_t *input) {
    const char *encoded = nb_json_str(input, "EncodedMessage");
    size_t plen = strlen(PREFIX);
    if (strncmp(encoded, PREFIX, plen) == 0) {
        size_t len = strlen(encoded + plen);
        char *text = nb_req_alloc(req, NB_BASE64_DECODED_SIZE(len));
        ssize_t n = text ? nb_base64_decode(encoded + plen, len, NB_BASE64_URL | NB_BASE64_NOPAD, text,
                                            NB_BASE64_DECODED_SIZE(len))
                         : -1;
        json_t *doc = n > 0 ? json_loadb(text, (size_t)n, 0, NULL) : NULL;
        int ok = json_is_object(doc);
        json_decref(doc);
        if (ok)
            return nb_reply_new(req, json_pack("{s:s%}", "DecodedMessage", text, (size_t)n));
    }
    return nb_error(req, "InvalidAuthorizationMessageException", "The message is not valid.");
}
