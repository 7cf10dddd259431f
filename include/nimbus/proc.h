/*
 * nimbus/proc.h - child processes of a plugin (ABI 1.6; included by nimbus/plugin.h).
 *
 * A Lambda-like service runs user code as child processes: nb_proc_spawn starts one
 * (uv_spawn underneath) in a process group of its own, delivers its stdout and stderr line
 * by line and its end once, and stops it on request (nb_proc_kill: SIGTERM, then SIGKILL
 * after a grace period) or when the plugin goes away.
 *
 *     static void on_line(nb_proc_t *p, int fd, const char *line, size_t len, int truncated, void *data) {...}
 *     static void on_exit(nb_proc_t *p, int64_t status, int signal, void *data) {...}
 *
 *     const char *argv[] = {"python3", "bootstrap.py", NULL};
 *     nb_proc_opts_t o = NB_PROC_OPTS_INIT;
 *     o.argv = argv;
 *     o.cwd = task_dir;
 *     o.on_line = on_line;
 *     o.on_exit = on_exit;
 *     o.data = invocation;
 *     nb_proc_t *p;
 *     if (nb_proc_spawn(self, &o, &p) != 0) ...
 *
 * Lifetimes:
 *   - nb_proc_t is valid from a successful nb_proc_spawn until its on_exit callback returns;
 *     the core frees it then. A failed spawn (NB_ENOENT: no such program, NB_EINVAL, ...)
 *     calls no callback.
 *   - on_exit runs exactly once, after every line of stdout and stderr was delivered (or,
 *     when something the child started keeps them open, 200 ms after the child ended). When the
 *     child ends, whatever it left running in its process group is killed (no orphans).
 *   - When the plugin is unloaded (the server stops), its children still running get SIGTERM,
 *     then SIGKILL one second later, and are reaped before the plugin's code goes: no callback
 *     runs then (fini has already run).
 *   - Callbacks run on the event loop, outside any store transaction.
 */
#ifndef NIMBUS_PROC_H
#define NIMBUS_PROC_H

#include <stddef.h>
#include <stdint.h>

typedef struct nb_plugin nb_plugin_t;
typedef struct nb_proc nb_proc_t; /* one child process, opaque */

/* One line of output: fd 1 (stdout) or 2 (stderr), without its '\n' (a last line without one
 * is delivered at the end); line is valid during the call only. A line longer than
 * line_max arrives as its first line_max bytes with truncated set; the rest of it is dropped. */
typedef void (*nb_proc_line_cb)(nb_proc_t *proc, int fd, const char *line, size_t len, int truncated, void *data);
/* The child ended: exit_status its exit code, or term_signal the signal that ended it (0 when none). */
typedef void (*nb_proc_exit_cb)(nb_proc_t *proc, int64_t exit_status, int term_signal, void *data);

typedef struct nb_proc_opts {
    size_t size;              /* sizeof(nb_proc_opts_t): set by NB_PROC_OPTS_INIT */
    const char *const *argv;  /* NULL-terminated; argv[0] is looked up in PATH */
    const char *const *env;   /* NULL-terminated "NAME=value" list, the whole environment; NULL: the server's */
    const char *cwd;          /* NULL: the server's */
    size_t line_max;          /* 0: 64 KiB */
    int stdin_pipe;           /* non-zero: nb_proc_write feeds its stdin; else it reads /dev/null */
    nb_proc_line_cb on_line;  /* may be NULL: output is read and dropped */
    nb_proc_exit_cb on_exit;  /* may be NULL */
    void *data;               /* passed to the callbacks */
} nb_proc_opts_t;

#define NB_PROC_OPTS_INIT {.size = sizeof(nb_proc_opts_t)}

#endif /* NIMBUS_PROC_H */
