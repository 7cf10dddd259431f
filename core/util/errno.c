#include "nimbus/errno.h"

const char *nb_strerror(int err) {
    switch (err) {
    case NB_OK: return "success";
    case NB_ENOMEM: return "out of memory";
    case NB_EINVAL: return "invalid argument";
    case NB_ENOENT: return "not found";
    case NB_EIO: return "input/output error";
    case NB_EABI: return "plugin ABI mismatch";
    case NB_ESPEC: return "spec missing or malformed";
    case NB_EEXIST: return "already exists";
    case NB_ELIMIT: return "limit exceeded";
    case NB_EPROTO: return "malformed protocol input";
    case NB_ESTORE: return "state store failure";
    case NB_EAGAIN: return "resource temporarily unavailable";
    case NB_ECANCELED: return "cancelled";
    case NB_ETIMEDOUT: return "timed out";
    case NB_ECONNREFUSED: return "connection refused or closed";
    case NB_EDNS: return "host name not resolved";
    case NB_ETLS: return "TLS handshake or certificate failure";
    default: return "unknown error";
    }
}
