/* What the CLI's subcommands share (cli.c): their parsed options, the configuration the
 * server would read, the endpoint to reach it at and the files it keeps. */
#ifndef NB_CLI_INT_H
#define NB_CLI_INT_H

#include <stdbool.h>

#include "cli/http_client.h"
#include "config/config.h"

typedef struct nb__cli {
    const char *command;
    bool detach, follow;
    double timeout_s;       /* --timeout; < 0 unset */
    const char *endpoint;   /* --endpoint */
    const char *pid_file, *log_file;
    const char *positional; /* reset's service */
    int nserver;            /* the rest: the server's own flags, argv-style (server_args[0] is argv[0]) */
    char **server_args;
    nb__config_t cfg;       /* loaded from server_args and the environment */
    nb__cli_endpoint_t ep;
    char url[300];          /* "http://127.0.0.1:4566" */
    char pid_path[4096], log_path[4096];
} nb__cli_t;

/* The subcommands: exit codes as nb__cli_run's. */
int nb__cli_start_detached(nb__cli_t *c);
int nb__cli_stop(nb__cli_t *c);
int nb__cli_logs(nb__cli_t *c);
int nb__cli_status(nb__cli_t *c);
int nb__cli_wait(nb__cli_t *c);
int nb__cli_reset(nb__cli_t *c);

/* The pid in the pid file if that process runs and is a nimbus; 0 if none (a stale file is
 * removed), and *stale says whether one was. */
int nb__cli_running_pid(const char *pid_path, bool *stale);
/* Monotonic seconds. */
double nb__cli_now(void);
/* Sleeps ms milliseconds. */
void nb__cli_sleep_ms(int ms);

#endif
