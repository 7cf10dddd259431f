/*
 * nimbus/errno.h - error codes of the Nimbus API. Negative, like libuv's:
 * a function that can fail returns 0 or a positive count on success and one of
 * these on failure.
 */
#ifndef NIMBUS_ERRNO_H
#define NIMBUS_ERRNO_H

#define NB_OK 0
#define NB_ENOMEM (-1)    /* out of memory */
#define NB_EINVAL (-2)    /* invalid argument */
#define NB_ENOENT (-3)    /* no such thing */
#define NB_EIO (-4)       /* I/O error (disk, socket) */
#define NB_EABI (-5)      /* plugin ABI mismatch */
#define NB_ESPEC (-6)     /* spec missing or malformed */
#define NB_EEXIST (-7)    /* already exists */
#define NB_ELIMIT (-8)    /* a configured limit was exceeded */
#define NB_EPROTO (-9)    /* malformed input for the protocol */
#define NB_ESTORE (-10)   /* the state store failed */
#define NB_EAGAIN (-11)   /* out of a resource for now (descriptors, memory, disk space): retry later */
/* ABI 1.10: outcomes of an outbound HTTP request (nimbus/http_out.h) */
#define NB_ECANCELED (-20)    /* cancelled: the server stops or the plugin is unloaded */
#define NB_ETIMEDOUT (-21)    /* a timeout passed */
#define NB_ECONNREFUSED (-22) /* the connection was refused, reset or closed early */
#define NB_EDNS (-23)         /* a host name did not resolve */
#define NB_ETLS (-24)         /* a TLS handshake failed or the peer's certificate is not trusted */

/* A static, human-readable name for an NB_E* code. */
const char *nb_strerror(int err);

#endif /* NIMBUS_ERRNO_H */
