/* Whether an exchange came over TLS: IAM's aws:SecureTransport (gateway/authz.c). */
#include "http/server_int.h"

bool nb__http_exchange_secure(const nb__http_exchange_t *x) { return x && x->conn && x->conn->tls; }
