/* A Lambda-like test provider (service lambda) for the ABI 1.6 end-to-end tests
 * (tests/e2e/test_proc_stream.py): child processes, a Runtime-API-style private prefix, an
 * extra loopback listener and a large streamed body with back-pressure.
 *
 * Invoke, by FunctionName, with a JSON Payload:
 *   spawn       {"argv": [...], "kill_after_ms": n, "grace_ms": g, "line_max": m, "stdin": "..."}:
 *               answers when the child ends: {"lines": [{"fd","line","truncated"}], "status", "signal", "pid"}
 *   background  {"argv": [...]}: answers {"pid"} at once; the child keeps running
 *   endpoints   answers {"port": <extra listener>}
 *   runtime     any payload: waits until a runtime fetched it (GET <prefix>runtime/invocation/next) and
 *               posted its result (POST <prefix>runtime/invocation/<id>/response), answers that result
 * Raw endpoints (the extra listener at /, the main port under /_nimbus/tp-proc/):
 *   GET hello, GET stream?mb=N[&pause_ms=P] (N MiB, chunked, written only as the client takes it; with P,
 *   nothing more for P ms after the first chunk), GET stats. */
#include <nimbus/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "/_nimbus/tp-proc/"
#define CHUNK (64 * 1024)

static nb_plugin_t *plugin;
static nb_listener_t *listener;
static unsigned long cancels, completed;
static size_t max_queued;

/* ---- spawn ---- */

typedef struct run {
    nb_req_t *req;
    nb_proc_t *proc;
    json_t *lines;
    nb_timer_t *kill_timer;
    uint64_t grace_ms;
} run_t;

static void run_line(nb_proc_t *p, int fd, const char *line, size_t len, int truncated, void *data) {
    (void)p;
    run_t *r = data;
    json_array_append_new(r->lines, json_pack("{s:i,s:s%,s:b}", "fd", fd, "line", line, len, "truncated", truncated));
}

static nb_result_t reply_payload(nb_req_t *req, json_t *value) {
    char *text = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    nb_result_t rc = nb_reply_new(req, json_pack("{s:s%}", "Payload", text ? text : "null", text ? strlen(text) : 4));
    free(text);
    return rc;
}

static void run_exit(nb_proc_t *p, int64_t status, int signal, void *data) {
    run_t *r = data;
    if (r->kill_timer)
        nb_timer_stop(r->kill_timer);
    reply_payload(r->req, json_pack("{s:o,s:I,s:i,s:i}", "lines", r->lines, "status", (json_int_t)status, "signal",
                                    signal, "pid", nb_proc_pid(p)));
    nb_finish(r->req);
    free(r);
}

static void run_kill(nb_timer_t *t, void *data) {
    run_t *r = data;
    nb_timer_stop(t);
    r->kill_timer = NULL;
    nb_proc_kill(r->proc, r->grace_ms);
}

static void run_abort(nb_req_t *req, void *data) {
    (void)req;
    run_t *r = data;
    nb_proc_kill(r->proc, 0); /* its exit still finishes the (gone) request */
}

/* argv from a JSON array of strings, in argv (cap entries, NULL-terminated). */
static int argv_from(const json_t *arr, const char **argv, size_t cap) {
    size_t n = json_array_size(arr);
    if (n == 0 || n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((argv[i] = json_string_value(json_array_get(arr, i))) == NULL)
            return -1;
    argv[n] = NULL;
    return 0;
}

static nb_result_t do_spawn(nb_req_t *req, json_t *args, int background) {
    const char *argv[32];
    if (argv_from(json_object_get(args, "argv"), argv, 32) != 0)
        return nb_error(req, "InvalidParameterValueException", "argv: a list of strings");
    run_t *r = calloc(1, sizeof *r);
    r->req = req;
    r->lines = json_array();
    nb_proc_opts_t o = NB_PROC_OPTS_INIT;
    o.argv = argv;
    o.cwd = json_string_value(json_object_get(args, "cwd"));
    o.line_max = (size_t)json_integer_value(json_object_get(args, "line_max"));
    o.stdin_pipe = json_object_get(args, "stdin") != NULL;
    o.on_line = background ? NULL : run_line;
    o.on_exit = background ? NULL : run_exit;
    o.data = r;
    int rc = nb_proc_spawn(plugin, &o, &r->proc);
    if (rc != 0 || background) {
        json_decref(r->lines);
        nb_proc_t *p = r->proc;
        free(r);
        if (rc != 0)
            return nb_error(req, "InvalidParameterValueException", "spawn failed: %s", nb_strerror(rc));
        return reply_payload(req, json_pack("{s:i}", "pid", nb_proc_pid(p)));
    }
    const char *in = json_string_value(json_object_get(args, "stdin"));
    if (in) {
        nb_proc_write(r->proc, in, strlen(in));
        nb_proc_close_stdin(r->proc);
    }
    json_int_t after = json_integer_value(json_object_get(args, "kill_after_ms"));
    if (after > 0) {
        r->grace_ms = (uint64_t)json_integer_value(json_object_get(args, "grace_ms"));
        r->kill_timer = nb_timer_start(plugin, (uint64_t)after, 0, run_kill, r);
    }
    nb_req_on_abort(req, run_abort, r);
    return NB_ASYNC;
}

/* ---- the Runtime API ---- */

typedef struct invocation {
    char id[32];
    nb_req_t *req;
    char *payload;
    size_t len;
    struct invocation *next;
} invocation_t;

static invocation_t *queued, *running;
static nb_http_t *waiter; /* a runtime waiting in GET invocation/next */
static unsigned long next_id;

static void deliver(nb_http_t *h, invocation_t *inv) {
    nb_http_reply_header(h, "Lambda-Runtime-Aws-Request-Id", inv->id);
    nb_http_reply_header(h, "Content-Type", "application/json");
    nb_http_respond(h, 200, inv->payload, inv->len);
    inv->next = running;
    running = inv;
}

static void waiter_gone(nb_http_t *h, void *data) {
    (void)data;
    if (waiter == h)
        waiter = NULL;
}

static nb_result_t do_runtime(nb_req_t *req, const char *payload, size_t len) {
    invocation_t *inv = calloc(1, sizeof *inv);
    snprintf(inv->id, sizeof inv->id, "inv-%lu", ++next_id);
    inv->req = req;
    inv->payload = malloc(len + 1);
    memcpy(inv->payload, payload, len);
    inv->len = len;
    if (waiter) {
        nb_http_t *h = waiter;
        waiter = NULL;
        deliver(h, inv);
    } else {
        invocation_t **tail = &queued;
        while (*tail)
            tail = &(*tail)->next;
        *tail = inv;
    }
    return NB_ASYNC;
}

static void runtime_next(nb_http_t *h) {
    if (queued) {
        invocation_t *inv = queued;
        queued = inv->next;
        deliver(h, inv);
        return;
    }
    if (waiter) { /* one runtime at a time in this test provider */
        nb_http_respond(h, 409, "busy", 4);
        return;
    }
    waiter = h;
    nb_http_on_abort(h, waiter_gone, NULL);
}

static void runtime_response(nb_http_t *h, const char *id, size_t idlen) {
    invocation_t **pp = &running;
    while (*pp && (strlen((*pp)->id) != idlen || strncmp((*pp)->id, id, idlen) != 0))
        pp = &(*pp)->next;
    if (*pp == NULL) {
        nb_http_respond(h, 404, "unknown invocation", 18);
        return;
    }
    invocation_t *inv = *pp;
    *pp = inv->next;
    nb_body_t *body = nb_http_body(h);
    int64_t size = nb_body_size(body);
    char *buf = malloc((size_t)size + 1);
    ssize_t n = size > 0 ? nb_body_read(body, 0, buf, (size_t)size) : 0;
    nb_reply_new(inv->req, json_pack("{s:s%}", "Payload", buf, (size_t)(n > 0 ? n : 0)));
    nb_finish(inv->req);
    free(buf);
    free(inv->payload);
    free(inv);
    nb_http_respond(h, 202, "{\"status\":\"OK\"}", 15);
}

/* ---- a large streamed body ---- */

typedef struct pump {
    nb_stream_t *s;
    uint64_t left, idx;
    unsigned outstanding; /* writes whose done callback is due */
    int ended, cancelled;
    uint64_t pause_ms;    /* after the first chunk, the producer has nothing for this long */
    nb_timer_t *pause;
    char chunk[CHUNK];
} pump_t;

static void pump_release(pump_t *pm) {
    if (pm->ended && pm->outstanding == 0)
        free(pm);
}

static void pump_end(pump_t *pm) {
    if (pm->ended)
        return;
    pm->ended = 1;
    if (!pm->cancelled)
        completed++;
    nb_stream_end(pm->s, NULL, NULL);
}

static void pump_done(int status, void *data);
static void pump(pump_t *pm);

static void pump_resume(nb_timer_t *t, void *data) {
    pump_t *pm = data;
    nb_timer_stop(t);
    pm->pause = NULL;
    pump(pm);
}

/* Writes until the high-water mark; a done callback resumes. */
static void pump(pump_t *pm) {
    while (pm->left > 0 && !pm->cancelled) {
        memset(pm->chunk, (int)(pm->idx % 251), CHUNK);
        pm->outstanding++;
        int rc = nb_stream_write(pm->s, pm->chunk, CHUNK, pump_done, pm);
        if (rc < 0) {
            pm->outstanding--;
            break;
        }
        pm->idx++;
        pm->left--;
        if (pm->pause_ms && pm->idx == 1) {
            pm->pause = nb_timer_start(plugin, pm->pause_ms, 0, pump_resume, pm);
            return;
        }
        size_t q = nb_stream_queued(pm->s);
        if (q > max_queued)
            max_queued = q;
        if (rc == NB_STREAM_FULL)
            return;
    }
    pump_end(pm);
}

static void pump_done(int status, void *data) {
    pump_t *pm = data;
    pm->outstanding--;
    if (status == 0 && !pm->ended && !pm->pause && nb_stream_queued(pm->s) < NB_STREAM_HIGH_WATER)
        pump(pm);
    pump_release(pm);
}

static void pump_cancel(nb_stream_t *s, void *data) {
    (void)s;
    pump_t *pm = data;
    pm->cancelled = 1;
    cancels++;
    if (pm->pause) {
        nb_timer_stop(pm->pause);
        pm->pause = NULL;
    }
    pump_end(pm);
    pump_release(pm);
}

static void stream_mb(nb_http_t *h, long mb, long pause_ms) {
    pump_t *pm = calloc(1, sizeof *pm);
    pm->left = (uint64_t)mb * (1024 * 1024 / CHUNK);
    pm->pause_ms = pause_ms > 0 ? (uint64_t)pause_ms : 0;
    nb_http_reply_header(h, "Content-Type", "application/octet-stream");
    if ((pm->s = nb_http_stream_begin(h, 200)) == NULL) {
        free(pm);
        return;
    }
    nb_stream_on_cancel(pm->s, pump_cancel, pm);
    pump(pm);
}

/* ---- raw endpoints ---- */

static void raw(nb_http_t *h, void *data) {
    const char *base = data;
    const char *path = nb_http_path(h) + strlen(base);
    const char *method = nb_http_method(h);
    char buf[256];
    if (strcmp(path, "hello") == 0) {
        nb_http_reply_header(h, "Content-Type", "text/plain");
        nb_http_reply_header(h, "X-Tp-Base", base);
        snprintf(buf, sizeof buf, "hello from tp-proc %s", method);
        nb_http_respond(h, 200, buf, strlen(buf));
    } else if (strcmp(path, "stream") == 0) {
        const char *q = nb_http_query(h);
        const char *pause = q ? strstr(q, "pause_ms=") : NULL;
        stream_mb(h, q && strncmp(q, "mb=", 3) == 0 ? atol(q + 3) : 1, pause ? atol(pause + 9) : 0);
    } else if (strcmp(path, "stats") == 0) {
        int n = snprintf(buf, sizeof buf, "{\"cancels\":%lu,\"completed\":%lu,\"max_queued\":%zu}", cancels, completed,
                         max_queued);
        nb_http_respond(h, 200, buf, (size_t)n);
    } else if (strcmp(path, "runtime/2018-06-01/runtime/invocation/next") == 0 && strcmp(method, "GET") == 0) {
        runtime_next(h);
    } else if (strncmp(path, "runtime/2018-06-01/runtime/invocation/", 38) == 0 && strcmp(method, "POST") == 0 &&
               strlen(path + 38) > 9 && strcmp(path + strlen(path) - 9, "/response") == 0) {
        runtime_response(h, path + 38, strlen(path + 38) - 9);
    } else {
        nb_http_respond(h, 404, "no such endpoint", 16);
    }
}

static nb_result_t tp_invoke(nb_req_t *req, const json_t *input) {
    const char *fn = json_string_value(json_object_get(input, "FunctionName"));
    const json_t *pl = json_object_get(input, "Payload");
    const char *payload = pl ? json_string_value(pl) : "{}";
    size_t len = pl ? json_string_length(pl) : 2;
    if (strcmp(fn, "runtime") == 0)
        return do_runtime(req, payload, len);
    if (strcmp(fn, "endpoints") == 0)
        return reply_payload(req, json_pack("{s:i}", "port", nb_listener_port(listener)));
    json_t *args = json_loadb(payload, len, 0, NULL);
    nb_result_t rc = strcmp(fn, "spawn") == 0        ? do_spawn(req, args, 0)
             : strcmp(fn, "background") == 0 ? do_spawn(req, args, 1)
                                              : nb_error(req, "ResourceNotFoundException", "Function not found: %s", fn);
    json_decref(args);
    return rc;
}

static int tp_init(nb_plugin_t *self) {
    plugin = self;
    int rc = nb_listen(self, 0, raw, "/", &listener);
    if (rc == 0)
        rc = nb_route_prefix(self, PREFIX, raw, PREFIX);
    return rc;
}

static void tp_shutdown(nb_plugin_t *self) {
    (void)self;
    if (waiter) { /* a runtime's long poll ends with the server */
        nb_http_t *h = waiter;
        waiter = NULL;
        nb_http_respond(h, 503, "stopping", 8);
    }
}

static const nb_op_t ops[] = {{"Invoke", tp_invoke, 0}, {NULL, NULL, 0}};

NB_PLUGIN_DEFINE(.name = "lambda-proc-test", .service = "lambda", .api_version = "2015-03-31", .ops = ops,
                 .init = tp_init, .shutdown = tp_shutdown);
