/* nb_reply_json_text (ABI 1.11): a reply given as the output's JSON text (reply_text.c). */
#ifndef NB_GATEWAY_REPLY_TEXT_H
#define NB_GATEWAY_REPLY_TEXT_H

#include "nimbus/plugin.h"

nb_result_t nb__reply_json_text(nb_req_t *req, const char *text, size_t len);

#endif
