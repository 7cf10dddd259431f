/* Init hooks (init_hooks.h): discovery in LocalStack's order, one script at a time on the loop,
 * states and output kept for /_localstack/init. */
#include "gateway/init_hooks.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nimbus/errno.h"
#include "plugin/plugin.h"
#include "proc/proc.h"
#include "util/buf.h"
#include "util/exe_dir.h"

extern char **environ;

#define OUTPUT_MAX (64 * 1024) /* per script: the rest of a chatty script's output is dropped */

typedef enum { S_UNKNOWN, S_RUNNING, S_SUCCESSFUL, S_ERROR } script_state_t;

static const char *const stage_names[NB_INIT_STAGES] = {"BOOT", "START", "READY", "SHUTDOWN"};
static const char *const stage_dirs[NB_INIT_STAGES] = {"boot.d", "start.d", "ready.d", "shutdown.d"};
static const char *const state_names[] = {"UNKNOWN", "RUNNING", "SUCCESSFUL", "ERROR"};

typedef struct script {
    char *path;
    nb__init_stage_t stage;
    script_state_t state;
    nb__buf_t output; /* stdout and stderr lines, interleaved as they came */
    bool output_cut;
} script_t;

static struct {
    nb__gateway_t *gw;
    nb_plugin_t owner; /* the children's owner for core/proc: released with it */
    script_t *scripts;
    size_t n, cap;
    char **env;
    bool completed[NB_INIT_STAGES];
    /* the stage running */
    bool running;
    nb__init_stage_t stage;
    size_t next;     /* index of the next script to look at */
    nb_proc_t *proc; /* the script running, NULL between two */
    script_t *current;
    uv_timer_t *timer; /* bounds a stage (shutdown's) */
    void (*done)(void *data);
    void *done_data;
} hooks;

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static bool has_suffix(const char *name, const char *suffix) {
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

static bool is_script(const char *name) { return has_suffix(name, ".sh") || has_suffix(name, ".py"); }

static int add_script(const char *path, nb__init_stage_t stage) {
    if (hooks.n == hooks.cap) {
        size_t cap = hooks.cap ? 2 * hooks.cap : 8;
        script_t *grown = realloc(hooks.scripts, cap * sizeof *grown);
        if (grown == NULL)
            return NB_ENOMEM;
        hooks.scripts = grown;
        hooks.cap = cap;
    }
    script_t *s = &hooks.scripts[hooks.n];
    memset(s, 0, sizeof *s);
    if ((s->path = strdup(path)) == NULL)
        return NB_ENOMEM;
    s->stage = stage;
    hooks.n++;
    return 0;
}

/* LocalStack's order: a folder's scripts by name, then its subfolders by name, depth first. */
static int collect(const char *dir, nb__init_stage_t stage, int depth) {
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0)
        return 0; /* no such folder: no scripts */
    int rc = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n && rc == 0; i++) {
            const char *name = names[i]->d_name;
            if (name[0] == '.')
                continue;
            char *path = nb__strdup_printf("%s/%s", dir, name);
            struct stat sb;
            if (path == NULL)
                rc = NB_ENOMEM;
            else if (stat(path, &sb) != 0)
                ;
            else if (pass == 0 && S_ISREG(sb.st_mode) && is_script(name))
                rc = add_script(path, stage);
            else if (pass == 1 && S_ISDIR(sb.st_mode) && depth < 16) /* a link loop ends here */
                rc = collect(path, stage, depth + 1);
            free(path);
        }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* The address scripts reach this server at: the first address it listens on, a wildcard one
 * as the loopback. */
static char *endpoint_url(nb__gateway_t *gw) {
    const nb__config_t *cfg = gw->cfg;
    size_t i = 0;
    while (i + 1 < cfg->nlisten && gw->unavailable[i])
        i++;
    const char *host = nb__config_client_host(cfg->listen[i].host);
    int port = cfg->listen[i].port ? cfg->listen[i].port : nb__http_server_port(gw->http);
    bool v6 = strchr(host, ':') != NULL;
    return nb__strdup_printf("AWS_ENDPOINT_URL=http://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* "PATH=<folder of awslocal>:<path>": beside an installed binary (<prefix>/bin), else the source
 * tree's tools/; LocalStack's scripts call awslocal, which its image has on PATH. NULL: none found. */
static char *path_with_awslocal(const char *path) {
    char exe_dir[4096], dir[4096];
    const char *found = NULL;
    if (nb__exe_dir(exe_dir, sizeof exe_dir) == 0 &&
        snprintf(dir, sizeof dir, "%s/awslocal", exe_dir) < (int)sizeof dir && access(dir, X_OK) == 0)
        found = exe_dir;
    if (found == NULL && snprintf(dir, sizeof dir, "%s/awslocal", NB_DEFAULT_TOOLS_DIR) < (int)sizeof dir &&
        access(dir, X_OK) == 0)
        found = NB_DEFAULT_TOOLS_DIR;
    if (found == NULL)
        return NULL;
    return nb__strdup_printf("PATH=%s%s%s", found, path ? ":" : "", path ? path : "");
}

/* The server's environment, AWS_ENDPOINT_URL pointing here, awslocal on PATH, and test credentials and a region
 * (DEFAULT_REGION's) where the environment has none (a script's `aws s3 mb` then needs no configuration). */
static int build_env(nb__gateway_t *gw) {
    char region[64];
    snprintf(region, sizeof region, "AWS_DEFAULT_REGION=%s", gw->cfg->default_region);
    const char *const defaults[] = {"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", region};
    size_t n = 0;
    while (environ && environ[n])
        n++;
    hooks.env = calloc(n + 6, sizeof *hooks.env); /* + PATH, AWS_ENDPOINT_URL, 3 defaults, NULL */
    if (hooks.env == NULL)
        return NB_ENOMEM;
    size_t k = 0;
    const char *path = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "PATH=", 5) == 0) {
            path = environ[i] + 5;
            continue;
        }
        if (strncmp(environ[i], "AWS_ENDPOINT_URL=", 17) != 0 && (hooks.env[k] = strdup(environ[i])) != NULL)
            k++;
    }
    hooks.env[k] = path_with_awslocal(path);
    if (hooks.env[k] == NULL && path)
        hooks.env[k] = nb__strdup_printf("PATH=%s", path);
    if (hooks.env[k] != NULL)
        k++;
    if ((hooks.env[k] = endpoint_url(gw)) != NULL)
        k++;
    for (size_t d = 0; d < sizeof defaults / sizeof defaults[0]; d++) {
        size_t name_len = strchr(defaults[d], '=') - defaults[d] + 1;
        bool set = false;
        for (size_t i = 0; i < n && !set; i++)
            set = strncmp(environ[i], defaults[d], name_len) == 0;
        if (!set && (hooks.env[k] = strdup(defaults[d])) != NULL)
            k++;
    }
    return 0;
}

int nb__init_hooks_load(nb__gateway_t *gw) {
    hooks.gw = gw;
    hooks.owner.reg = &gw->reg;
    hooks.owner.path = "(init hooks)";
    const char *roots = gw->cfg->init_path ? gw->cfg->init_path : "";
    char *copy = strdup(roots), *save = NULL;
    if (copy == NULL)
        return NB_ENOMEM;
    int rc = 0;
    for (int st = 0; st < NB_INIT_STAGES && rc == 0; st++)
        for (char *root = strtok_r(strcpy(copy, roots), ":", &save); root && rc == 0; root = strtok_r(NULL, ":", &save)) {
            char *dir = nb__strdup_printf("%s/%s", root, stage_dirs[st]);
            rc = dir ? collect(dir, (nb__init_stage_t)st, 0) : NB_ENOMEM;
            free(dir);
        }
    free(copy);
    if (rc == 0 && hooks.n > 0)
        rc = build_env(gw);
    return rc;
}

/* The script's path from its stage folder on ("ready.d/sub/seed.sh"), for log lines. */
static const char *short_name(const script_t *s) {
    const char *p = strstr(s->path, stage_dirs[s->stage]);
    return p ? p : s->path;
}

static void on_line(nb_proc_t *proc, int fd, const char *line, size_t len, int truncated, void *data) {
    (void)proc;
    (void)fd;
    (void)truncated;
    script_t *s = data;
    if (hooks.gw && hooks.gw->cfg->debug)
        fprintf(stderr, "nimbus: init %s: %.*s\n", short_name(s), (int)len, line);
    if (s->output.len + len + 1 > OUTPUT_MAX) {
        s->output_cut = true;
        return;
    }
    nb__buf_append(&s->output, line, len);
    nb__buf_putc(&s->output, '\n');
}

static void run_next(void);

static void stage_finished(void) {
    hooks.completed[hooks.stage] = true;
    hooks.running = false;
    if (hooks.timer)
        uv_timer_stop(hooks.timer);
    void (*done)(void *) = hooks.done;
    hooks.done = NULL;
    if (done)
        done(hooks.done_data);
}

static void script_failed(script_t *s, const char *why) {
    s->state = S_ERROR;
    fprintf(stderr, "nimbus: init script %s failed: %s\n", short_name(s), why);
}

static void on_exit_cb(nb_proc_t *proc, int64_t status, int signal, void *data) {
    script_t *s = data;
    if (s->state == S_RUNNING) {
        if (status == 0 && signal == 0) {
            s->state = S_SUCCESSFUL;
        } else {
            char why[64];
            if (signal)
                snprintf(why, sizeof why, "killed by signal %d", signal);
            else
                snprintf(why, sizeof why, "exit code %lld", (long long)status);
            script_failed(s, why);
        }
    }
    if (proc != hooks.proc) /* a script of a stage that was stopped: the next stage runs already */
        return;
    hooks.proc = NULL;
    hooks.current = NULL;
    run_next();
}

/* Starts the stage's next script; the stage ends after its last. A script that cannot start
 * (not executable) is an error and the next one runs. */
static void run_next(void) {
    while (hooks.next < hooks.n) {
        script_t *s = &hooks.scripts[hooks.next++];
        if (s->stage != hooks.stage)
            continue;
        bool python = has_suffix(s->path, ".py");
        /* Python scripts run with the python3 on PATH (LocalStack runs them in its own interpreter:
         * they need no executable bit); shell scripts need one and a shebang, as there. */
        const char *py_argv[] = {"python3", s->path, NULL}, *sh_argv[] = {s->path, NULL};
        nb_proc_opts_t o = NB_PROC_OPTS_INIT;
        o.argv = python ? py_argv : sh_argv;
        o.env = (const char *const *)hooks.env;
        o.on_line = on_line;
        o.on_exit = on_exit_cb;
        o.data = s;
        s->state = S_RUNNING;
        int rc = nb__proc_spawn(&hooks.owner, &o, &hooks.proc);
        if (rc == 0) {
            hooks.current = s;
            return;
        }
        const char *why = rc == NB_ENOENT   ? "cannot run it: no such program (python3 for a .py)"
                          : rc == NB_EINVAL ? "cannot run it: not executable"
                                            : "cannot run it: out of processes or descriptors";
        script_failed(s, why);
        nb__buf_printf(&s->output, "%s\n", why);
    }
    stage_finished();
}

/* Stops the stage's script still running (its end is reported as killed) and runs no more of
 * its scripts. */
static void stop_current(const char *why) {
    hooks.next = hooks.n;
    if (hooks.current) {
        script_failed(hooks.current, why);
        nb__proc_kill(hooks.proc, 0);
    }
}

static void on_timeout(uv_timer_t *t) {
    (void)t;
    if (!hooks.running)
        return;
    stop_current("still running when the stage's time ran out: killed");
    if (hooks.current == NULL)
        stage_finished();
    /* else the killed script's exit report ends the stage (run_next finds nothing left) */
}

static void timer_closed(uv_handle_t *h) { free(h); }

void nb__init_hooks_run(nb__init_stage_t stage, uint64_t timeout_ms, void (*done)(void *data), void *data) {
    if (hooks.running) { /* the server stops while ready scripts run: those stop */
        stop_current("stopped: the server shuts down");
        hooks.proc = NULL;
        hooks.current = NULL;
    }
    hooks.stage = stage;
    hooks.next = 0;
    hooks.done = done;
    hooks.done_data = data;
    hooks.running = true;
    if (timeout_ms && hooks.n && hooks.gw) {
        if (hooks.timer == NULL && (hooks.timer = malloc(sizeof *hooks.timer)) != NULL)
            uv_timer_init(hooks.gw->loop, hooks.timer);
        if (hooks.timer)
            uv_timer_start(hooks.timer, on_timeout, timeout_ms, 0);
    }
    run_next();
}

static json_t *script_json(const script_t *s) {
    const char *slash = strrchr(s->path, '/');
    json_t *o = json_pack("{s:s,s:s,s:s}", "stage", stage_names[s->stage], "name", slash ? slash + 1 : s->path,
                          "state", state_names[s->state]);
    /* Nimbus's addition: what the script printed */
    json_object_set_new(o, "output", json_stringn(s->output.data ? s->output.data : "", s->output.len));
    if (s->output_cut)
        json_object_set_new(o, "output_truncated", json_true());
    return o;
}

json_t *nb__init_hooks_json(const char *stage_name) {
    int only = -1;
    if (stage_name) {
        for (int st = 0; st < NB_INIT_STAGES; st++)
            if (strcasecmp(stage_name, stage_names[st]) == 0)
                only = st;
        if (only < 0)
            return NULL;
    }
    json_t *scripts = json_array();
    for (size_t i = 0; i < hooks.n; i++)
        if (only < 0 || (int)hooks.scripts[i].stage == only)
            json_array_append_new(scripts, script_json(&hooks.scripts[i]));
    if (only >= 0)
        return json_pack("{s:b,s:o}", "completed", hooks.completed[only], "scripts", scripts);
    json_t *completed = json_object();
    for (int st = 0; st < NB_INIT_STAGES; st++)
        json_object_set_new(completed, stage_names[st], json_boolean(hooks.completed[st]));
    return json_pack("{s:o,s:o}", "completed", completed, "scripts", scripts);
}

void nb__init_hooks_free(void) {
    hooks.running = false;
    nb__proc_stop_children(&hooks.owner);
    if (hooks.timer)
        uv_close((uv_handle_t *)hooks.timer, timer_closed);
    for (size_t i = 0; i < hooks.n; i++) {
        free(hooks.scripts[i].path);
        nb__buf_free(&hooks.scripts[i].output);
    }
    free(hooks.scripts);
    for (char **e = hooks.env; e && *e; e++)
        free(*e);
    free(hooks.env);
    memset(&hooks, 0, sizeof hooks);
}

/* BOOT, START and READY, one after the other. */
static void (*startup_done)(void *data);
static void *startup_data;

static void startup_step(void *data) {
    nb__init_stage_t next = (nb__init_stage_t)(intptr_t)data;
    if (next == NB_INIT_SHUTDOWN) {
        startup_done(startup_data);
        return;
    }
    nb__init_hooks_run(next, 0, startup_step, (void *)(intptr_t)(next + 1));
}

void nb__init_hooks_startup(void (*done)(void *data), void *data) {
    startup_done = done;
    startup_data = data;
    startup_step((void *)(intptr_t)NB_INIT_BOOT);
}
