/*
 * Child processes of plugins (nimbus/proc.h): uv_spawn in a process group of their own (setsid),
 * stdout and stderr cut into lines, one exit report after the last line, kill with a grace
 * period, and every child stopped and reaped when its plugin goes away.
 *
 * The handles are unreferenced: a running child never keeps the server from stopping; the
 * unload that follows the stop reaps it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <uv.h>

#include "plugin/plugin.h"
#include "proc/proc.h"

#define LINE_MAX_DEFAULT (64 * 1024)
#define DRAIN_MS 200        /* after the exit, how long output still held open by others is awaited */
#define UNLOAD_GRACE_MS 1000 /* SIGTERM to SIGKILL when the plugin goes away */

typedef struct line_buf {
    char *data;
    size_t len;
    bool dropping; /* past line_max: the rest of this line is dropped */
    bool eof;
} line_buf_t;

struct nb_proc {
    uv_process_t process;
    uv_pipe_t out, err, in;
    uv_timer_t timer; /* SIGKILL after the grace period, then the drain after the exit */
    nb_plugin_t *owner;
    nb_proc_opts_t opts;
    line_buf_t lines[2]; /* stdout, stderr */
    int handles_open;
    int pid;
    bool exited, reported, silent, has_stdin, stdin_open, reaped;
    int64_t exit_status;
    int term_signal;
    nb_proc_t *prev, *next;
};

static nb_proc_t *children; /* every child of every plugin */

static void unlink_child(nb_proc_t *p) {
    if (p->prev)
        p->prev->next = p->next;
    else if (children == p)
        children = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

static void handle_closed(uv_handle_t *h) {
    nb_proc_t *p = h->data;
    if (--p->handles_open > 0)
        return;
    free(p->lines[0].data);
    free(p->lines[1].data);
    free(p);
}

static void close_handle(nb_proc_t *p, uv_handle_t *h) {
    if (h->loop != NULL && !uv_is_closing(h)) {
        h->data = p;
        uv_close(h, handle_closed);
    }
}

/* Every handle goes; p is freed once the last one closed. */
static void close_all(nb_proc_t *p) {
    unlink_child(p);
    close_handle(p, (uv_handle_t *)&p->process);
    close_handle(p, (uv_handle_t *)&p->out);
    close_handle(p, (uv_handle_t *)&p->err);
    if (p->has_stdin)
        close_handle(p, (uv_handle_t *)&p->in);
    close_handle(p, (uv_handle_t *)&p->timer);
}

static void deliver(nb_proc_t *p, int idx, const char *line, size_t len, bool truncated) {
    if (p->opts.on_line && !p->silent)
        p->opts.on_line(p, idx + 1, line, len, truncated, p->opts.data);
}

/* The line in progress, at EOF (a last line without '\n'). */
static void flush_line(nb_proc_t *p, int idx) {
    line_buf_t *lb = &p->lines[idx];
    if (lb->len && !lb->dropping)
        deliver(p, idx, lb->data, lb->len, false);
    lb->len = 0;
    lb->dropping = false;
}

static void report_exit(nb_proc_t *p) {
    if (p->reported)
        return;
    p->reported = true;
    uv_timer_stop(&p->timer);
    flush_line(p, 0);
    flush_line(p, 1);
    if (p->opts.on_exit && !p->silent)
        p->opts.on_exit(p, p->exit_status, p->term_signal, p->opts.data);
    close_all(p);
}

static void on_timer(uv_timer_t *t) {
    nb_proc_t *p = t->data;
    if (p->exited) { /* the drain is over: something the child started holds its output */
        report_exit(p);
        return;
    }
    kill(-p->pid, SIGKILL); /* the grace period is over */
}

static void child_exited(uv_process_t *proc, int64_t exit_status, int term_signal) {
    nb_proc_t *p = proc->data;
    p->exited = true;
    p->reaped = true;
    p->exit_status = exit_status;
    p->term_signal = term_signal;
    kill(-p->pid, SIGKILL); /* what the child left running in its group: no orphans */
    uv_timer_stop(&p->timer);
    if (p->lines[0].eof && p->lines[1].eof)
        report_exit(p);
    else
        uv_timer_start(&p->timer, on_timer, DRAIN_MS, 0);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)h;
    (void)suggested;
    static char chunk[64 * 1024]; /* each read is cut into lines at once */
    *buf = uv_buf_init(chunk, sizeof chunk);
}

static void take_bytes(nb_proc_t *p, int idx, const char *data, size_t n) {
    line_buf_t *lb = &p->lines[idx];
    size_t max = p->opts.line_max;
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t seg = nl ? (size_t)(nl - data) : n;
        if (!lb->dropping) {
            size_t room = max - lb->len, take = seg < room ? seg : room;
            memcpy(lb->data + lb->len, data, take);
            lb->len += take;
            if (take < seg) { /* too long: its first line_max bytes now, the rest dropped */
                deliver(p, idx, lb->data, lb->len, true);
                lb->len = 0;
                lb->dropping = true;
            }
        }
        if (nl == NULL)
            return;
        if (!lb->dropping)
            deliver(p, idx, lb->data, lb->len, false);
        lb->len = 0;
        lb->dropping = false;
        data = nl + 1;
        n -= seg + 1;
    }
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    nb_proc_t *p = s->data;
    int idx = s == (uv_stream_t *)&p->out ? 0 : 1;
    if (nread > 0) {
        take_bytes(p, idx, buf->base, (size_t)nread);
        return;
    }
    if (nread == 0)
        return;
    uv_read_stop(s);
    p->lines[idx].eof = true;
    flush_line(p, idx);
    if (p->exited && p->lines[0].eof && p->lines[1].eof)
        report_exit(p);
}

static int map_uv_error(int rc) {
    switch (rc) {
    case UV_ENOENT:
    case UV_ENOTDIR:
        return NB_ENOENT;
    case UV_EMFILE:
    case UV_ENFILE:
    case UV_EAGAIN:
    case UV_ENOMEM:
        return NB_EAGAIN;
    case UV_EACCES:
    case UV_EINVAL:
        return NB_EINVAL;
    default:
        return NB_EIO;
    }
}

static void init_pipe(uv_loop_t *loop, nb_proc_t *p, uv_pipe_t *pipe) {
    uv_pipe_init(loop, pipe, 0);
    pipe->data = p;
    p->handles_open++;
    uv_unref((uv_handle_t *)pipe);
}

int nb__proc_spawn(nb_plugin_t *self, const nb_proc_opts_t *opts, nb_proc_t **out) {
    if (out)
        *out = NULL;
    if (self == NULL || opts == NULL || out == NULL || opts->size < offsetof(nb_proc_opts_t, data) + sizeof(void *) ||
        opts->argv == NULL || opts->argv[0] == NULL || self->reg == NULL || self->reg->owner == NULL)
        return NB_EINVAL;
    uv_loop_t *loop = ((nb__gateway_t *)self->reg->owner)->loop;
    nb_proc_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NB_ENOMEM;
    memcpy(&p->opts, opts, opts->size < sizeof p->opts ? opts->size : sizeof p->opts);
    if (p->opts.line_max == 0)
        p->opts.line_max = LINE_MAX_DEFAULT;
    p->owner = self;
    p->has_stdin = opts->stdin_pipe != 0;
    if ((p->lines[0].data = malloc(p->opts.line_max)) == NULL || (p->lines[1].data = malloc(p->opts.line_max)) == NULL) {
        free(p->lines[0].data);
        free(p);
        return NB_ENOMEM;
    }
    init_pipe(loop, p, &p->out);
    init_pipe(loop, p, &p->err);
    if (p->has_stdin)
        init_pipe(loop, p, &p->in);
    uv_timer_init(loop, &p->timer);
    uv_unref((uv_handle_t *)&p->timer);
    p->timer.data = p;
    p->handles_open++;

    uv_stdio_container_t stdio[3];
    stdio[0].flags = p->has_stdin ? (uv_stdio_flags)(UV_CREATE_PIPE | UV_READABLE_PIPE) : UV_IGNORE;
    stdio[0].data.stream = (uv_stream_t *)&p->in;
    stdio[1].flags = (uv_stdio_flags)(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = (uv_stream_t *)&p->out;
    stdio[2].flags = (uv_stdio_flags)(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[2].data.stream = (uv_stream_t *)&p->err;
    uv_process_options_t o = {
        .exit_cb = child_exited,
        .file = opts->argv[0],
        .args = (char **)opts->argv,
        .env = (char **)opts->env,
        .cwd = opts->cwd,
        .flags = UV_PROCESS_DETACHED, /* a process group of its own: kill(-pid) reaches what it starts */
        .stdio_count = 3,
        .stdio = stdio,
    };
    p->process.data = p;
    p->handles_open++;
    int rc = uv_spawn(loop, &p->process, &o);
    if (rc != 0) {
        p->exited = p->reported = true;
        close_all(p);
        return map_uv_error(rc);
    }
    uv_unref((uv_handle_t *)&p->process);
    p->pid = p->process.pid;
    p->stdin_open = p->has_stdin;
    uv_read_start((uv_stream_t *)&p->out, alloc_cb, read_cb);
    uv_read_start((uv_stream_t *)&p->err, alloc_cb, read_cb);
    p->next = children;
    if (children)
        children->prev = p;
    children = p;
    *out = p;
    return 0;
}

int nb__proc_kill(nb_proc_t *p, uint64_t grace_ms) {
    if (p == NULL)
        return NB_EINVAL;
    if (p->exited)
        return NB_ENOENT;
    kill(-p->pid, grace_ms ? SIGTERM : SIGKILL);
    if (grace_ms)
        uv_timer_start(&p->timer, on_timer, grace_ms, 0);
    return 0;
}

typedef struct stdin_write {
    uv_write_t wr;
    char data[];
} stdin_write_t;

static void stdin_written(uv_write_t *wr, int status) {
    (void)status; /* a child that closed its stdin just does not read the rest */
    free(wr->data);
}

int nb__proc_write(nb_proc_t *p, const void *data, size_t len) {
    if (p == NULL || !p->stdin_open || (data == NULL && len))
        return NB_EINVAL;
    if (len == 0)
        return 0;
    stdin_write_t *w = malloc(sizeof *w + len);
    if (w == NULL)
        return NB_ENOMEM;
    memcpy(w->data, data, len);
    w->wr.data = w;
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->wr, (uv_stream_t *)&p->in, &buf, 1, stdin_written) != 0) {
        free(w);
        return NB_EIO;
    }
    return 0;
}

int nb__proc_close_stdin(nb_proc_t *p) {
    if (p == NULL || !p->stdin_open)
        return NB_EINVAL;
    p->stdin_open = false;
    close_handle(p, (uv_handle_t *)&p->in); /* pending writes are cancelled */
    return 0;
}

int nb__proc_pid(const nb_proc_t *p) { return p ? p->pid : 0; }

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reaps the child if it ended; true once it is gone. */
static bool reap(nb_proc_t *p) {
    if (p->reaped)
        return true;
    int status;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == p->pid || (r < 0 && errno == ECHILD))
        p->reaped = true;
    return p->reaped;
}

void nb__proc_stop_children(nb_plugin_t *owner) {
    /* Taken out of libuv first (closing a process handle stops its wait for the child),
     * so the waits below are the only ones. */
    nb_proc_t *mine = NULL;
    for (nb_proc_t *p = children, *next; p; p = next) {
        next = p->next;
        if (p->owner != owner)
            continue;
        p->silent = p->reported = true;
        close_all(p);
        if (!p->reaped)
            kill(-p->pid, SIGTERM);
        p->next = mine;
        mine = p;
    }
    uint64_t deadline = now_ms() + UNLOAD_GRACE_MS;
    for (;;) {
        bool left = false;
        for (nb_proc_t *p = mine; p; p = p->next)
            left |= !reap(p);
        if (!left || now_ms() >= deadline)
            break;
        struct timespec nap = {0, 10 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    for (nb_proc_t *p = mine, *next; p; p = next) {
        next = p->next;
        p->next = NULL;
        kill(-p->pid, SIGKILL); /* the child if it outlived the grace period, and what it started */
        while (!p->reaped && waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        p->reaped = true;
    }
}
