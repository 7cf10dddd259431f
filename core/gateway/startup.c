/* Server start-up and shutdown: each service's store opened when it starts (and its orphan
 * blobs swept), saved services started at once, the HTTP server created and listening, and
 * all of it closed again. The request pipeline is gateway.c's. */
#include "gateway/gateway.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "nimbus/errno.h"
#include "gateway/credentials.h"
#include "gateway/group_commit.h"
#include "net/http_out.h"
#include "proc/proc.h"
#include "router/context.h"
#include "store/store.h"
#include "util/buf.h"

/* A commit failed after the handler succeeded: the plugin drops what it cached. */
static void lost_writes(void *data) {
    nb_plugin_t *p = data;
    void (*hook)(nb_plugin_t *) = NB__DEF_HOOK(p->def, rolled_back);
    if (hook)
        hook(p);
}

/* Opens a service's store when it starts; closes it when it stops. */
static int store_start(nb__registry_t *reg, nb__service_t *svc, char **err) {
    const nb__config_t *cfg = reg->cfg;
    nb__store_config_t sc = {
        .persistence = cfg && cfg->persistence,
        .data_dir = cfg ? cfg->data_dir : NULL,
        /* the requests of one loop turn share a commit (on disk an fsync) and their answers
         * are written together at the turn's end (group_commit.h) */
        .group_opened = nb__group_commit_opened,
    };
    nb__store_t *st = NULL;
    int rc = nb__store_open(svc->name, &sc, &st, err);
    if (rc != 0)
        return rc == NB_EAGAIN || rc == NB_ENOMEM ? NB_EAGAIN : NB_ESTORE;
    svc->provider->store = st;
    if (nb__credentials_load(svc->provider, err) != 0) { /* the keys it issued: part of its state */
        nb__credentials_forget(svc->provider);
        nb__store_close(st);
        svc->provider->store = NULL;
        return NB_ESTORE;
    }
    nb__store_on_lost_writes(st, lost_writes, svc->provider);
    return 0;
}

/* A plugin's init failed: retried later if its store failed for a reason that passes
 * (the disk full while it created its tables). */
static int store_init_failure(nb__registry_t *reg, nb__service_t *svc) {
    (void)reg;
    return svc->provider->store ? nb__store_failure_code(svc->provider->store) : NB_EINVAL;
}

typedef struct blob_keys {
    char **keys;
    size_t n, cap;
    bool failed;
} blob_keys_t;

static void keep_blob(void *ctx, const char *key) {
    blob_keys_t *k = ctx;
    if (k->failed || key == NULL)
        return;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 256;
        char **grown = realloc(k->keys, cap * sizeof *grown);
        if (grown == NULL) {
            k->failed = true;
            return;
        }
        k->keys = grown;
        k->cap = cap;
    }
    if ((k->keys[k->n] = strdup(key)) == NULL)
        k->failed = true;
    else
        k->n++;
}

/* With persistence, the blobs no committed row points to (a kill -9 between a blob's
 * write and its row's commit) go when the service starts. Nothing goes unless the
 * plugin listed every key it keeps. */
static void sweep_orphan_blobs(nb__registry_t *reg, nb__service_t *svc) {
    nb_plugin_t *p = svc->provider;
    int (*list)(nb_plugin_t *, void (*)(void *, const char *), void *) = NB__DEF_HOOK(p->def, blob_keys);
    if (list == NULL || p->store == NULL || !reg->cfg || !reg->cfg->persistence)
        return;
    blob_keys_t k = {0};
    if (list(p, keep_blob, &k) == 0 && !k.failed) {
        size_t removed = nb__store_blob_sweep(p->store, k.keys, k.n);
        if (removed)
            fprintf(stderr, "nimbus: %s: removed %zu blob(s) that no saved state points to (left by a crash)\n",
                    svc->name, removed);
    }
    for (size_t i = 0; i < k.n; i++)
        free(k.keys[i]);
    free(k.keys);
}

static void store_stop(nb__registry_t *reg, nb__service_t *svc) {
    (void)reg;
    nb__group_commit_forget(svc->provider->store);
    nb__credentials_forget(svc->provider);
    nb__store_close(svc->provider->store);
    svc->provider->store = NULL;
}

/* With persistence, a service that has state on disk starts now: a corrupt
 * database, or one a newer Nimbus wrote, stops startup instead of failing the
 * service's first request much later. */
static int start_saved_services(nb__gateway_t *gw, char **err) {
    for (size_t i = 0; i < gw->reg.nservices; i++) {
        nb__service_t *svc = &gw->reg.services[i];
        if (svc->state != NB_SVC_AVAILABLE || svc->provider == NULL)
            continue;
        char *path = nb__strdup_printf("%s/%s.db", gw->cfg->data_dir, svc->name);
        if (path == NULL)
            return NB_ENOMEM;
        struct stat sb;
        int saved = stat(path, &sb) == 0;
        if (saved && nb__registry_start(&gw->reg, svc) != 0) {
            if (svc->error && strstr(svc->error, path))
                *err = nb__strdup_printf("service %s cannot start: %s", svc->name, svc->error);
            else
                *err = nb__strdup_printf("service %s cannot start from its saved state %s: %s (see above)", svc->name, path,
                           svc->error ? svc->error : "unknown error");
            free(path);
            return NB_ESTORE;
        }
        free(path);
    }
    return 0;
}

static void start_eager(uv_timer_t *t) {
    nb__gateway_t *gw = t->data;
    nb__registry_start_all(&gw->reg);
    uv_close((uv_handle_t *)t, NULL);
    malloc_trim(0);
}

int nb__gateway_init(nb__gateway_t *gw, uv_loop_t *loop, const nb__config_t *cfg, char **err) {
    memset(gw, 0, sizeof *gw);
    gw->loop = loop;
    gw->cfg = cfg;
    gw->log = cfg->quiet ? NULL : stdout; /* LS_LOG=warn or error: no line per request */
    nb__context_set_defaults(cfg->default_account, cfg->default_region);
    nb__group_commit_init(loop);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    gw->started_at = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    nb__api_set_config(cfg);
    nb__api_set_loop(loop);
    if (cfg->persistence && nb__store_check_data_dir(cfg->data_dir, err) != 0)
        return NB_ESTORE;
    if (nb__request_log_open(gw, err) != 0)
        return NB_EINVAL;
    const char *tmp = getenv("TMPDIR");
    nb__store_sweep_temp(tmp && *tmp ? tmp : "/tmp");
    int rc = nb__registry_init(&gw->reg, cfg, err);
    if (rc != 0)
        return rc;
    gw->reg.on_start = store_start;
    gw->reg.on_stop = store_stop;
    gw->reg.on_started = sweep_orphan_blobs;
    gw->reg.init_failure = store_init_failure;
    gw->reg.owner = gw;
    nb__registry_select(&gw->reg);
    if ((rc = nb__registry_settings(&gw->reg, stderr, err)) != 0) /* before any plugin starts */
        return rc;
    gw->router = nb__router_new(&gw->reg.specs);
    if (gw->router == NULL) {
        *err = nb__strdup_printf("cannot build the router");
        return NB_ENOMEM;
    }
    /* S3 virtual hosts under LOCALSTACK_HOST's host name too. */
    char host[256];
    snprintf(host, sizeof host, "%s", cfg->localstack_host ? cfg->localstack_host : "");
    char *colon = strrchr(host, ':');
    if (colon && !strchr(host, ']'))
        *colon = '\0';
    if (host[0] && nb__router_add_hostname(gw->router, host) != 0) {
        *err = nb__strdup_printf("LOCALSTACK_HOST: '%s' is not a usable host name", cfg->localstack_host);
        return NB_EINVAL;
    }
    if (cfg->persistence && (rc = start_saved_services(gw, err)) != 0)
        return rc;
    /* Specs of services not started keep only what the router needs (loaded again on
     * a service's first request): most of a spec's memory is its shapes. */
    for (size_t i = 0; i < gw->reg.specs.len; i++) {
        nb__service_t *svc = nb__registry_service(&gw->reg, gw->reg.specs.items[i]->service);
        if (svc == NULL || svc->state != NB_SVC_RUNNING)
            nb__spec_unload_shapes(gw->reg.specs.items[i]);
    }
    /* Eager services start on the loop's first turn: timers run before libuv first polls for
     * connections, so they are up before any request is read, and start-up (listening,
     * "Ready.") does not wait for their specs and stores. */
    if (cfg->eager_loading && uv_timer_init(loop, &gw->eager) == 0) {
        gw->eager.data = gw;
        uv_timer_start(&gw->eager, start_eager, 0, 0);
    }
    malloc_trim(0);
    /* Fixed thresholds: glibc's dynamic ones grow with the largest block freed (a 16 MB
     * body), after which a thread arena keeps that much of its top resident for good, out
     * of malloc_trim's reach. Blocks of 1 MiB and more are mapped and unmapped on their own. */
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    nb__http_limits_t limits;
    nb__http_limits_default(&limits);
    limits.max_header_bytes = cfg->max_header_bytes;
    limits.max_body_bytes = cfg->max_body_bytes;
    limits.spill_threshold = cfg->body_spill_bytes;
    limits.idle_timeout_ms = cfg->idle_timeout_ms;
    limits.header_timeout_ms = cfg->header_timeout_ms;
    gw->http = nb__http_server_new(loop, &limits, nb__gateway_handle, gw);
    if (gw->http == NULL) {
        *err = nb__strdup_printf("cannot create the HTTP server");
        return NB_ENOMEM;
    }
    nb__http_server_on_head(gw->http, nb__gateway_head);
    return nb__gateway_https(gw, err);
}

int nb__gateway_listen(nb__gateway_t *gw, char **err) {
    for (size_t i = 0; i < gw->cfg->nlisten; i++) {
        const nb__listen_addr_t *a = &gw->cfg->listen[i];
        int rc = nb__http_server_listen(gw->http, a->host, a->port);
        if (rc != 0 && a->optional && (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT)) {
            fprintf(stderr, "nimbus: not listening on [%s]:%d (%s): this machine has no IPv6 loopback\n", a->host,
                    a->port, uv_strerror(rc));
            gw->unavailable[i] = true;
            continue;
        }
        if (rc != 0) {
            *err = nb__strdup_printf("GATEWAY_LISTEN: cannot listen on %s:%d: %s", a->host, a->port, uv_strerror(rc));
            return NB_EIO;
        }
    }
    return 0;
}

void nb__gateway_close(nb__gateway_t *gw, void (*done)(void *data), void *data) {
    /* Listeners go first (a new connection is refused), then the plugins answer what
     * waits (long polls): idle connections close now, the rest once answered or at
     * the grace period's end. */
    nb__http_server_close(gw->http, gw->cfg->shutdown_grace_ms, done, data);
    gw->http = NULL;
    nb__endpoint_close_all(gw->cfg->shutdown_grace_ms);
    nb__http_out_cancel_all(NULL); /* outbound requests end now: their plugins keep what is undelivered */
    nb__registry_shutdown(&gw->reg);
}

void nb__gateway_free(nb__gateway_t *gw) {
    nb__router_free(gw->router);
    gw->router = NULL;
    nb__registry_free(&gw->reg);
    nb__group_commit_close();
    nb__request_log_close(gw);
}

