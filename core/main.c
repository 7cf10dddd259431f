/* nimbus: the server. Reads its configuration, loads specs and plugins, listens,
 * runs the init hooks (core/gateway/init_hooks.c), prints "Ready." and serves until SIGINT or
 * SIGTERM. `nimbus config [flags]` prints every setting's value and where it came from instead,
 * and exits; the other subcommands (start, stop, status, wait, logs, reset) are the CLI's (core/cli/). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "cli/cli.h"
#include "config/config.h"
#include "gateway/gateway.h"
#include "gateway/init_hooks.h"
#include "plugin/plugin.h"
#include "nimbus/version.h"

extern char **environ;

typedef struct server {
    uv_loop_t *loop;
    nb__gateway_t gw;
    uv_signal_t sigint, sigterm;
    uv_check_t log_flush;
    int stopping;
} server_t;

static void on_closed(void *data) {
    server_t *s = data;
    uv_close((uv_handle_t *)&s->sigint, NULL);
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->log_flush, NULL);
}

static void flush_log(uv_check_t *h) {
    (void)h;
    fflush(stdout);
}

static void close_left_over(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* The shutdown hooks ran (the server answered them meanwhile): now it closes. */
static void close_gateway(void *data) {
    server_t *s = data;
    nb__gateway_close(&s->gw, on_closed, s);
}

static void on_signal(uv_signal_t *h, int signum) {
    server_t *s = h->data;
    if (s->stopping++) {
        fprintf(stderr, "nimbus: second signal, exiting now\n");
        exit(1);
    }
    fprintf(stdout, "nimbus: %s received, shutting down\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(stdout);
    nb__init_hooks_run(NB_INIT_SHUTDOWN, s->gw.cfg->shutdown_grace_ms, close_gateway, s);
}

/* As LocalStack: "Ready." once the ready hooks have run. */
static void print_ready(void *data) {
    (void)data;
    fprintf(stdout, "Ready.\n");
    fflush(stdout);
}

/* nimbus config: the core's settings, then each plugin's, with their sources. */
static int print_config(const nb__config_t *cfg) {
    nb__registry_t reg;
    char *err = NULL;
    int rc = nb__registry_init(&reg, cfg, &err);
    if (rc == 0) {
        nb__registry_select(&reg);
        rc = nb__registry_settings(&reg, stderr, &err);
    }
    if (rc == 0) {
        nb__config_print_values(cfg, stdout);
        nb__registry_print_settings(&reg, stdout);
    } else {
        fprintf(stderr, "nimbus: %s\n", err ? err : "invalid configuration");
    }
    free(err);
    nb__registry_free(&reg);
    return rc == 0 ? 0 : 2;
}

int main(int argc, char **argv) {
    nb__config_t cfg;
    char *err = NULL;
    if (argc > 1 && nb__cli_is_command(argv[1])) {
        int rc = nb__cli_run(argc, argv);
        if (rc != NB_CLI_SERVE)
            return rc;
    }
    bool config_command = argc > 1 && strcmp(argv[1], "config") == 0;
    if (config_command || (argc > 1 && strcmp(argv[1], "start") == 0)) { /* the subcommand's flags are the server's */
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    switch (nb__config_load(&cfg, argc, argv, environ, stdout, &err)) {
    case NB_CONFIG_HELP:
        /* read before the configuration: only the environment can add plugin folders */
        nb__plugin_settings_help(stdout, getenv("NIMBUS_PLUGIN_PATH"));
        nb__cli_usage(stdout);
        nb__config_free(&cfg);
        return 0;
    case NB_CONFIG_VERSION:
        nb__config_free(&cfg);
        return 0;
    case NB_CONFIG_ERROR:
        fprintf(stderr, "nimbus: %s\n", err ? err : "invalid configuration");
        free(err);
        nb__config_free(&cfg);
        return 2;
    case NB_CONFIG_OK:
        break;
    }
    if (config_command) {
        int rc = print_config(&cfg);
        nb__config_free(&cfg);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Every descriptor the hard limit allows (the soft default, often 1024, is for
     * programs that still use select()): connections and blob files need them. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* The request log is written in blocks: one write per loop iteration, not per line. */
    static char log_buf[1 << 16];
    setvbuf(stdout, log_buf, _IOFBF, sizeof log_buf);

    server_t s = {.loop = uv_default_loop()};
    if (nb__gateway_init(&s.gw, s.loop, &cfg, &err) != 0 || nb__gateway_listen(&s.gw, &err) != 0) {
        fprintf(stderr, "nimbus: %s\n", err ? err : "startup failed");
        free(err);
        nb__gateway_free(&s.gw);
        nb__config_free(&cfg);
        return 2;
    }
    uv_signal_init(s.loop, &s.sigint);
    uv_signal_init(s.loop, &s.sigterm);
    s.sigint.data = s.sigterm.data = &s;
    uv_signal_start(&s.sigint, on_signal, SIGINT);
    uv_signal_start(&s.sigterm, on_signal, SIGTERM);
    uv_check_init(s.loop, &s.log_flush);
    uv_check_start(&s.log_flush, flush_log);
    uv_unref((uv_handle_t *)&s.log_flush);

    for (size_t i = 0; i < cfg.nlisten; i++)
        if (!s.gw.unavailable[i])
            fprintf(stdout, "nimbus %s listening on %s:%d\n", NB_VERSION_STRING, cfg.listen[i].host,
                    cfg.listen[i].port ? cfg.listen[i].port : nb__http_server_port(s.gw.http));
    fflush(stdout);
    if (nb__init_hooks_load(&s.gw) != 0)
        fprintf(stderr, "nimbus: init hooks: out of memory: none run\n");
    nb__init_hooks_startup(print_ready, &s);
    uv_run(s.loop, UV_RUN_DEFAULT);

    nb__init_hooks_free();
    nb__gateway_free(&s.gw); /* unloads plugins: their fini flushes state */
    uv_walk(s.loop, close_left_over, NULL);
    uv_run(s.loop, UV_RUN_DEFAULT);
    uv_loop_close(s.loop);
    nb__config_free(&cfg);
    fprintf(stdout, "nimbus: stopped\n");
    return 0;
}
