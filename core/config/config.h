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

typedef struct nb__config {
    /* Raw values by setting name, after precedence (owned). */
    char **names, **values;
    size_t len;
    /* Parsed. */
    char **services;       /* SERVICES: NULL-terminated list; NULL = all enabled */
    bool eager_loading;    /* EAGER_SERVICE_LOADING */
    nb__listen_addr_t listen[NB_MAX_LISTEN]; /* GATEWAY_LISTEN */
    size_t nlisten;
    bool persistence;      /* PERSISTENCE */
    const char *data_dir;  /* DATA_DIR */
    bool debug;            /* DEBUG */
    const char *localstack_host; /* LOCALSTACK_HOST, "localhost.localstack.cloud:4566" */
    const char *plugin_path;     /* NIMBUS_PLUGIN_PATH, ':'-separated, may be "" */
    const char *spec_path;       /* NIMBUS_SPEC_PATH, ':'-separated */
    size_t max_header_bytes;     /* NIMBUS_MAX_HEADER_SIZE */
    uint64_t max_body_bytes;     /* NIMBUS_MAX_BODY_SIZE */
    size_t body_spill_bytes;     /* NIMBUS_BODY_SPILL_THRESHOLD */
    uint64_t idle_timeout_ms;    /* NIMBUS_IDLE_TIMEOUT (seconds in the setting) */
    uint64_t header_timeout_ms;  /* NIMBUS_HEADER_TIMEOUT */
    uint64_t shutdown_grace_ms;  /* NIMBUS_SHUTDOWN_TIMEOUT */
    const char *config_file;     /* --config, NULL if none */
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
/* Whether SERVICES enables this service. */
bool nb__config_service_enabled(const nb__config_t *cfg, const char *service);
/* Prints every setting with its flag, default and meaning. */
void nb__config_print_help(FILE *out);

#endif
