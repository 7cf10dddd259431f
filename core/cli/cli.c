/* The CLI's dispatcher: which options each subcommand takes, the rest passed on to the
 * configuration as the server's own flags (so `nimbus stop --data-dir D` finds the files
 * `nimbus start -d --data-dir D` wrote), and the endpoint client commands call. */
#include "cli/cli.h"
#include "cli/cli_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

enum { OPT_DETACH = 1, OPT_FOLLOW = 2, OPT_TIMEOUT = 4, OPT_ENDPOINT = 8, OPT_PID = 16, OPT_LOG = 32, OPT_POS = 64 };

typedef struct command {
    const char *name;
    int opts;
    int (*run)(nb__cli_t *c);
    const char *usage, *help;
} command_t;

static const command_t commands[] = {
    {"start", OPT_DETACH | OPT_PID | OPT_LOG | OPT_TIMEOUT, nb__cli_start_detached,
     "start [-d] [--pid-file P] [--log-file P] [--timeout S] [server flags]",
     "serve (-d: in the background)"},
    {"stop", OPT_PID | OPT_TIMEOUT, nb__cli_stop, "stop [--pid-file P] [--timeout S]",
     "SIGTERM the server, wait for it to exit"},
    {"status", OPT_ENDPOINT, nb__cli_status, "status [--endpoint URL]",
     "the services and their states; exit 1 when down"},
    {"wait", OPT_ENDPOINT | OPT_TIMEOUT, nb__cli_wait, "wait [--endpoint URL] [--timeout S]",
     "until the server answers"},
    {"logs", OPT_FOLLOW | OPT_LOG | OPT_PID, nb__cli_logs, "logs [-f] [--log-file P]",
     "the detached server's log"},
    {"reset", OPT_ENDPOINT | OPT_POS, nb__cli_reset, "reset [service] [--endpoint URL]",
     "clear every service's state, or one's"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const command_t *find_command(const char *name) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

void nb__cli_usage(FILE *out) {
    fprintf(out, "Commands (docs/cli.md):\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  nimbus %s\n      %s\n", commands[i].usage, commands[i].help);
    fprintf(out, "  nimbus config [server flags]\n      every setting's value and where it came from\n\n");
}

bool nb__cli_is_command(const char *arg) { return arg && find_command(arg) != NULL; }

double nb__cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void nb__cli_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static int usage(const command_t *cmd, const char *problem) {
    fprintf(stderr, "nimbus %s: %s\nusage: nimbus %s\n", cmd->name, problem, cmd->usage);
    return 2;
}

/* An option's value: "--name=v" or the next argument. */
static const char *option_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static bool is_option(const char *arg, const char *name) {
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int parse(nb__cli_t *c, const command_t *cmd, int argc, char **argv) {
    c->server_args = calloc((size_t)argc + 1, sizeof *c->server_args);
    if (c->server_args == NULL)
        return usage(cmd, "out of memory");
    c->server_args[c->nserver++] = argv[0];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        int o = cmd->opts;
        if ((o & OPT_DETACH) && (strcmp(a, "-d") == 0 || strcmp(a, "--detach") == 0)) {
            c->detach = true;
        } else if ((o & OPT_FOLLOW) && (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0)) {
            c->follow = true;
        } else if ((o & OPT_TIMEOUT) && (is_option(a, "--timeout") || strcmp(a, "-t") == 0)) {
            v = option_value(argc, argv, &i, a[1] == 't' ? "-t" : "--timeout"); /* -t: LocalStack's CLI's */
            if (v == NULL || !nb__config_parse_seconds(v, &c->timeout_s))
                return usage(cmd, "--timeout takes seconds (30, 1.5, 500ms, 2m)");
        } else if ((o & OPT_ENDPOINT) && is_option(a, "--endpoint")) {
            if ((c->endpoint = option_value(argc, argv, &i, "--endpoint")) == NULL)
                return usage(cmd, "--endpoint takes a URL");
        } else if ((o & OPT_PID) && is_option(a, "--pid-file")) {
            if ((c->pid_file = option_value(argc, argv, &i, "--pid-file")) == NULL)
                return usage(cmd, "--pid-file takes a path");
        } else if ((o & OPT_LOG) && is_option(a, "--log-file")) {
            if ((c->log_file = option_value(argc, argv, &i, "--log-file")) == NULL)
                return usage(cmd, "--log-file takes a path");
        } else if ((o & OPT_POS) && a[0] != '-' && c->positional == NULL) {
            c->positional = a;
        } else {
            c->server_args[c->nserver++] = argv[i]; /* the configuration's to accept or refuse */
        }
    }
    return 0;
}

/* Where the server listens, as a client reaches it: wildcard addresses mean this host. */
static int resolve_endpoint(nb__cli_t *c) {
    if (c->endpoint) {
        if (nb__cli_endpoint_parse(c->endpoint, &c->ep) != 0) {
            fprintf(stderr, "nimbus %s: --endpoint: expected http://host:port, got '%s'\n", c->command, c->endpoint);
            return 2;
        }
    } else {
        const nb__listen_addr_t *l = &c->cfg.listen[0];
        snprintf(c->ep.host, sizeof c->ep.host, "%s", nb__config_client_host(l->host));
        snprintf(c->ep.port, sizeof c->ep.port, "%d", l->port ? l->port : 4566);
    }
    bool v6 = strchr(c->ep.host, ':') != NULL;
    snprintf(c->url, sizeof c->url, "http://%s%s%s:%s", v6 ? "[" : "", c->ep.host, v6 ? "]" : "", c->ep.port);
    return 0;
}

int nb__cli_run(int argc, char **argv) {
    const command_t *cmd = find_command(argv[1]);
    nb__cli_t c = {.command = cmd->name, .timeout_s = -1};
    int rc = parse(&c, cmd, argc, argv);
    if (rc != 0) {
        free(c.server_args);
        return rc;
    }
    if (strcmp(cmd->name, "start") == 0 && !c.detach) {
        free(c.server_args);
        if (c.pid_file || c.log_file)
            return usage(cmd, "--pid-file and --log-file go with -d (in the foreground the log is the terminal)");
        return NB_CLI_SERVE;
    }
    char *err = NULL;
    switch (nb__config_load(&c.cfg, c.nserver, c.server_args, environ, stdout, &err)) {
    case NB_CONFIG_OK:
        break;
    case NB_CONFIG_ERROR:
        fprintf(stderr, "nimbus %s: %s\n", cmd->name, err ? err : "invalid configuration");
        free(err);
        rc = 2;
        goto done;
    default: /* --help or --version printed */
        rc = 0;
        goto done;
    }
    snprintf(c.pid_path, sizeof c.pid_path, "%s%s", c.pid_file ? "" : c.cfg.data_dir,
             c.pid_file ? c.pid_file : "/nimbus.pid");
    snprintf(c.log_path, sizeof c.log_path, "%s%s", c.log_file ? "" : c.cfg.data_dir,
             c.log_file ? c.log_file : "/nimbus.log");
    rc = resolve_endpoint(&c);
    if (rc == 0)
        rc = cmd->run(&c);
done:
    nb__config_free(&c.cfg);
    free(c.server_args);
    return rc;
}
