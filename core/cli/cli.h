/* The command line for people and scripts: `nimbus start [-d]`, `stop`, `status`, `wait`,
 * `logs [-f]`, `reset [service]` (docs/cli.md). The bare `nimbus` and `nimbus config` are
 * main.c's. Client commands reach the server at --endpoint, else GATEWAY_LISTEN's first
 * address; daemon commands find the pid and log files in DATA_DIR unless given. */
#ifndef NB_CLI_H
#define NB_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* nb__cli_run's answer when the server should run in this process (`nimbus start` without -d),
 * with argv[1] dropped. */
#define NB_CLI_SERVE (-1)

/* The subcommands, one line each, for --help. */
void nb__cli_usage(FILE *out);
/* Whether arg names a subcommand of this file's. */
bool nb__cli_is_command(const char *arg);
/* Runs the subcommand argv[1]: its exit code (0 success, 1 failure or "down", 2 usage or
 * configuration error), or NB_CLI_SERVE. */
int nb__cli_run(int argc, char **argv);

#endif
