/*
 * Configuration: every setting has one name (LocalStack's where it has one), a
 * flag, a default and a validator. Sources, strongest first: command-line
 * flags, the environment, a config file (--config FILE, KEY=VALUE lines),
 * defaults. A bad value stops startup with a message naming the setting and
 * what it accepts (exit code 2).
 */
#ifndef NB_CONFIG_H
#define NB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NB_MAX_LISTEN 8

typedef struct nb__listen_addr {
    char host[64];
    int port;
    bool optional; /* skipped with a note when the machine lacks the address (the default's [::1]) */
} nb__listen_addr_t;

/* Where a value came from, weakest first (nimbus config prints it). */
typedef enum nb__config_source {
    NB_SRC_DEFAULT,
    NB_SRC_FILE,
    NB_SRC_ENV,
    NB_SRC_FLAG,
} nb__config_source_t;

typedef struct nb__config_entry {
    char *name, *value;
    nb__config_source_t source;
    int line; /* its line in the config file (NB_SRC_FILE) */
} nb__config_entry_t;

typedef struct nb__config {
    /* Raw values by setting name, after precedence (owned); also names no core setting
     * has, from the file and --set, which a plugin may declare (nb__config_check_unknown). */
    nb__config_entry_t *entries;
    size_t len;
    char **envp; /* the environment it was loaded from, for settings plugins declare */
    /* Parsed. */
    char **services;       /* SERVICES: NULL-terminated list; NULL = all enabled */
    bool eager_loading;    /* EAGER_SERVICE_LOADING */
    nb__listen_addr_t listen[NB_MAX_LISTEN]; /* GATEWAY_LISTEN */
    size_t nlisten;
    bool persistence;      /* PERSISTENCE */
    const char *data_dir;  /* DATA_DIR */
    bool debug;            /* DEBUG, or LS_LOG debug / trace */
    bool quiet;            /* LS_LOG warn / error: no request log lines */
    const char *default_region;  /* DEFAULT_REGION */
    const char *default_account; /* NIMBUS_DEFAULT_ACCOUNT, else MOTO_ACCOUNT_ID, else 000000000000 */
    const char *init_path;       /* NIMBUS_INIT_PATH, ':'-separated */
    const char *localstack_host; /* LOCALSTACK_HOST, "localhost.localstack.cloud:4566" */
    const char *plugin_path;     /* NIMBUS_PLUGIN_PATH, ':'-separated, may be "" */
    const char *spec_path;       /* NIMBUS_SPEC_PATH, ':'-separated */
    size_t max_header_bytes;     /* NIMBUS_MAX_HEADER_SIZE */
    uint64_t max_body_bytes;     /* NIMBUS_MAX_BODY_SIZE */
    size_t body_spill_bytes;     /* NIMBUS_BODY_SPILL_THRESHOLD */
    uint64_t idle_timeout_ms;    /* NIMBUS_IDLE_TIMEOUT (seconds in the setting) */
    uint64_t header_timeout_ms;  /* NIMBUS_HEADER_TIMEOUT */
    uint64_t shutdown_grace_ms;  /* NIMBUS_SHUTDOWN_TIMEOUT */
    /* HTTPS on the listening ports (core/gateway/https.c). */
    bool https;                  /* NIMBUS_HTTPS */
    const char *ssl_cert_path;   /* CUSTOM_SSL_CERT_PATH (LocalStack's): NULL, a generated one */
    const char *ssl_key_path;    /* NIMBUS_SSL_KEY_PATH: NULL, the key is in ssl_cert_path */
    uint64_t tls_handshake_timeout_ms; /* NIMBUS_TLS_HANDSHAKE_TIMEOUT */
    uint64_t max_structured_bytes; /* NIMBUS_MAX_STRUCTURED_BODY_SIZE; 0: each service's own limit */
    const char *config_file;     /* --config, NULL if none */
    const char *request_log;     /* NIMBUS_REQUEST_LOG: JSON-lines file, NULL when off */
    /* Who may reach Nimbus (core/gateway/origin.c). */
    char **cors_origins;         /* EXTRA_CORS_ALLOWED_ORIGINS: NULL-terminated; NULL if none */
    bool disable_cors_checks;    /* DISABLE_CORS_CHECKS */
    bool disable_cors_headers;   /* DISABLE_CORS_HEADERS */
    bool disable_custom_cors; /* LocalStack's name: config/quirks.c */
    char **allowed_hosts;        /* NIMBUS_ALLOWED_HOSTS: NULL-terminated, lowercase; NULL if unset */
    bool check_issued_keys;      /* signatures of registered keys verified (gateway/sigcheck.c; config/quirks.c) */
    bool loopback_only;          /* every GATEWAY_LISTEN address is a loopback one */
} nb__config_t;

typedef enum nb__config_result {
    NB_CONFIG_OK = 0,
    NB_CONFIG_HELP,    /* --help printed */
    NB_CONFIG_VERSION, /* --version printed */
    NB_CONFIG_ERROR,   /* message in *err */
} nb__config_result_t;

/* Reads flags (argv), the environment (envp, NULL-terminated "K=V"), and the
 * config file named by --config / NIMBUS_CONFIG. On NB_CONFIG_ERROR *err is a
 * malloc'd message. --help / --version output goes to out. */
nb__config_result_t nb__config_load(nb__config_t *cfg, int argc, char **argv, char **envp, FILE *out, char **err);
void nb__config_free(nb__config_t *cfg);

/* A setting's effective value (any name, also PROVIDER_OVERRIDE_*); NULL if unset. */
const char *nb__config_get(const nb__config_t *cfg, const char *name);
/* The value of a setting a plugin declares, by precedence (flag, environment, file), and
 * where it came from; NULL if none of them sets it. */
const char *nb__config_lookup(const nb__config_t *cfg, const char *name, nb__config_source_t *source);
/* "default", "config file", "environment", "flag". */
const char *nb__config_source_name(nb__config_source_t source);
/* After the plugins declared theirs: a name set in the config file or with --set that is
 * neither a core setting nor declared (declared(ctx, name) false) nor ignored is an error
 * (-1, *err set: a typo would silently do nothing); an unknown NIMBUS_* or LocalStack-style
 * name in the environment (a LOCALSTACK_ prefix, or a service's: S3_, SQS_, ...: looks_like
 * (ctx, name)) gets a warning line on warn, "unknown setting NIMBUS_FOO: ignored". */
int nb__config_check_unknown(const nb__config_t *cfg, bool (*declared)(void *ctx, const char *name),
                             bool (*looks_like)(void *ctx, const char *name), void *ctx, FILE *warn, char **err);
/* Whether LocalStack has this setting and Nimbus accepts it with no effect (docs/settings.md). */
bool nb__config_ignored(const char *name);
/* For an ignored setting Nimbus always behaves as one value of: that value ("1"), and in *missing
 * what the others would select; NULL for the rest. (quirks.c) */
const char *nb__config_ignored_as(const char *name, const char **missing);
/* Typed parsing shared by core and plugin settings: true if v is valid. */
bool nb__config_parse_bool(const char *v, bool *out);
bool nb__config_parse_u64(const char *v, uint64_t *out); /* bytes: suffix k, m, g */
bool nb__config_parse_seconds(const char *v, double *out); /* 1.5, 500ms, 2s, 5m, 1h */
/* Prints the core's settings with their values and sources (nimbus config). */
void nb__config_print_values(const nb__config_t *cfg, FILE *out);
/* One line of --help / nimbus config, aligned like the core's. */
void nb__config_print_line(FILE *out, const char *flag, const char *name, const char *help, const char *def);
/* The host a client on this machine reaches a GATEWAY_LISTEN host at: the loopback for a
 * wildcard ("0.0.0.0": 127.0.0.1, "::": ::1), the host itself otherwise. */
const char *nb__config_client_host(const char *listen_host);
/* Whether SERVICES enables this service. */
bool nb__config_service_enabled(const nb__config_t *cfg, const char *service);
/* Prints every setting with its flag, default and meaning. */
void nb__config_print_help(FILE *out);

#endif
