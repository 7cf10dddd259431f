/* Internal endpoints, answered before any AWS parsing:
 *   GET|HEAD /_localstack/health          services and their states (Testcontainers, awslocal);
 *                                         ?reload tries services that failed for a passing reason again
 *   GET      /_localstack/info            version, uptime, server time
 *   GET      /_localstack/init[/<stage>]  init hook scripts and their states (init_hooks.c)
 *   GET      /_localstack/diagnose        version, settings, services, paths, init hooks
 *   POST     /_localstack/state/reset     clear every service's state
 *   POST     /_localstack/state/<svc>/reset
 *   GET      /_nimbus/state               resource counts per service, account and region
 *   /moto-api/...                         moto's endpoints (moto_api.c) */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gateway/credentials.h"
#include "gateway/init_hooks.h"
#include "gateway/internal.h"
#include "nimbus/version.h"
#include "store/store.h"
#include "util/codec.h"

static void respond_text(const nb__gateway_t *gw, nb__http_exchange_t *x, const nb__http_request_t *req, int status,
                         const char *text) {
    nb__http_response_t resp;
    nb__http_response_init(&resp);
    resp.status = status;
    nb__headers_set(&resp.headers, "Content-Type", "application/json");
    if (text)
        nb__buf_puts(&resp.body, text);
    if (strcmp(req->method, "HEAD") == 0)
        resp.no_body = true;
    nb__cors_headers(gw->cfg, NULL, req, &resp);
    nb__http_respond(x, &resp);
    nb__http_response_free(&resp);
}

void nb__internal_respond_json(const nb__gateway_t *gw, nb__http_exchange_t *x, const nb__http_request_t *req,
                               int status, json_t *body_new) {
    char *text = body_new ? json_dumps(body_new, JSON_COMPACT) : NULL;
    json_decref(body_new);
    respond_text(gw, x, req, status, text);
    free(text);
}

static json_t *health(const nb__gateway_t *gw) {
    json_t *services = json_object();
    for (size_t i = 0; i < gw->reg.nservices; i++) {
        const nb__service_t *svc = &gw->reg.services[i];
        json_object_set_new(services, svc->name, json_string(nb__svc_state_name(svc->state)));
    }
    return json_pack("{s:o,s:s,s:s}", "services", services, "edition", "community", "version", NB_VERSION_STRING);
}

/* Health is polled in loops (Testcontainers, CI scripts): its text is rebuilt only
 * when a service's state changed. */
static const char *health_text(const nb__gateway_t *gw) {
    static char *text;
    static unsigned char states[256];
    static size_t nstates = (size_t)-1;
    bool same = nstates == gw->reg.nservices && nstates <= sizeof states;
    for (size_t i = 0; same && i < gw->reg.nservices; i++)
        same = states[i] == (unsigned char)gw->reg.services[i].state;
    if (!same || text == NULL) {
        free(text);
        json_t *doc = health(gw);
        text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        nstates = gw->reg.nservices;
        for (size_t i = 0; i < nstates && i < sizeof states; i++)
            states[i] = (unsigned char)gw->reg.services[i].state;
    }
    return text;
}

static json_t *info(const nb__gateway_t *gw) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    char when[48];
    nb__time_format(floor(now), NB_TIME_ISO8601, when, sizeof when);
    return json_pack("{s:s,s:s,s:b,s:b,s:s,s:s,s:i,s:I,s:b}", "version", NB_VERSION_STRING, "edition", "community",
                     "is_license_activated", 0, "is_docker", 0, "server", "nimbus", "server_time_utc", when, "uptime",
                     (int)(now - gw->started_at), "requests", (json_int_t)gw->requests, "persistence",
                     gw->cfg->persistence);
}

/* Clears a running service's state, then lets its plugin drop its caches.
 * 1: reset; 0: nothing to reset (not started); < 0: failed, *why says so. */
static int reset_service(nb__service_t *svc, const char **why) {
    nb_plugin_t *p = svc->provider;
    if (p == NULL || p->store == NULL || p->host) /* a guest's store is its host's, reset with it */
        return 0;
    /* Requests never leave a transaction open between two callbacks of the
     * loop (async handlers' writes are committed when they return). */
    int rc = nb__store_reset(p->store);
    if (rc != 0) {
        *why = nb__store_errmsg(p->store);
        fprintf(stderr, "nimbus: state reset of %s failed: %s\n", svc->name, *why);
        return rc;
    }
    nb__credentials_forget(p); /* its keys went with its rows */
    void (*hook)(nb_plugin_t *) = NB__DEF_HOOK(p->def, reset);
    if (hook)
        hook(p);
    return 1;
}

json_t *nb__internal_per_store(const nb__gateway_t *gw, int (*fill)(nb__store_t *st, json_t *out),
                               const char *what, bool *failed) {
    json_t *out = json_object();
    for (size_t i = 0; i < gw->reg.nservices; i++) {
        const nb__service_t *svc = &gw->reg.services[i];
        if (svc->provider == NULL || svc->provider->store == NULL || svc->provider->host)
            continue;
        json_t *doc = json_object();
        if (fill(svc->provider->store, doc) != 0) {
            fprintf(stderr, "nimbus: %s: %s\n", what, nb__store_errmsg(svc->provider->store));
            *failed = true;
        }
        json_object_set_new(out, svc->name, doc);
    }
    return out;
}

/* Resource counts (/_nimbus/state, diagnose): a service whose rows cannot all be counted shows
 * those that could be. */
static json_t *state_counts(const nb__gateway_t *gw) {
    bool failed = false;
    return nb__internal_per_store(gw, nb__store_counts, "resource counts", &failed);
}

json_t *nb__internal_reset_all(nb__gateway_t *gw, bool *any_failed) {
    json_t *done = json_array(), *failed = json_object();
    for (size_t i = 0; i < gw->reg.nservices; i++) {
        const char *why = NULL;
        int rc = reset_service(&gw->reg.services[i], &why);
        if (rc > 0)
            json_array_append_new(done, json_string(gw->reg.services[i].name));
        else if (rc < 0)
            json_object_set_new(failed, gw->reg.services[i].name, json_string(why ? why : "reset failed"));
    }
    *any_failed = json_object_size(failed) > 0;
    if (!*any_failed) {
        json_decref(failed);
        return json_pack("{s:o}", "reset", done);
    }
    return json_pack("{s:o,s:o}", "reset", done, "failed", failed);
}

/* ?reload: services in error for a reason that passes (descriptors, memory, disk space) are
 * started again now rather than on their next request. */
static void reload(nb__gateway_t *gw) {
    for (size_t i = 0; i < gw->reg.nservices; i++) {
        nb__service_t *svc = &gw->reg.services[i];
        if (svc->state == NB_SVC_ERROR && svc->transient)
            nb__registry_start(&gw->reg, svc);
    }
}

static bool has_query_param(const char *query, const char *name) {
    size_t n = strlen(name);
    for (const char *q = query; q && *q;) {
        if (strncmp(q, name, n) == 0 && (q[n] == '\0' || q[n] == '&' || q[n] == '='))
            return true;
        q = strchr(q, '&');
        q = q ? q + 1 : NULL;
    }
    return false;
}

/* The files of a folder with their sizes (the data dir: what persistence wrote). */
static json_t *folder_listing(const char *dir) {
    json_t *files = json_object();
    DIR *d = dir ? opendir(dir) : NULL;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) == 0)
            json_object_set_new(files, e->d_name, S_ISDIR(sb.st_mode) ? json_string("directory")
                                                                         : json_integer((json_int_t)sb.st_size));
    }
    if (d)
        closedir(d);
    return files;
}

/* LocalStack's diagnose report, with what Nimbus can say: no Docker, no logs kept. */
static json_t *diagnose(const nb__gateway_t *gw) {
    json_t *config = json_object();
    for (size_t i = 0; i < gw->cfg->len; i++)
        json_object_set_new(config, gw->cfg->entries[i].name, json_string(gw->cfg->entries[i].value));
    json_t *health_doc = health(gw);
    json_t *paths = json_pack("{s:s,s:s,s:s,s:s?}", "data_dir", gw->cfg->data_dir, "init", gw->cfg->init_path ? gw->cfg->init_path : "",
                              "plugins", gw->cfg->plugin_path ? gw->cfg->plugin_path : "", "specs", gw->cfg->spec_path);
    json_t *doc = json_pack("{s:{s:s},s:o,s:O,s:o,s:o,s:o,s:o,s:o}", "version", "nimbus", NB_VERSION_STRING, "info",
                            info(gw), "services", json_object_get(health_doc, "services"), "config", config, "paths",
                            paths, "file-tree",
                            json_pack("{s:o}", gw->cfg->data_dir, folder_listing(gw->cfg->data_dir)), "init",
                            nb__init_hooks_json(NULL), "state", state_counts(gw));
    json_decref(health_doc);
    return doc;
}

bool nb__gateway_internal_path(const char *path) {
    return strncmp(path, "/_localstack/", 13) == 0 || strncmp(path, "/_nimbus/", 9) == 0 ||
           strncmp(path, "/moto-api/", 10) == 0;
}

bool nb__gateway_internal(nb__gateway_t *gw, nb__http_exchange_t *x, nb__http_request_t *req) {
    const char *path = req->path;
    if (!nb__gateway_internal_path(path))
        return false;
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    bool post = strcmp(req->method, "POST") == 0;
    if (nb__moto_api(gw, x, req))
        return true;
    if (strcmp(path, "/_localstack/health") == 0 || strcmp(path, "/_nimbus/health") == 0) {
        if (get && has_query_param(req->query, "reload"))
            reload(gw);
        if (get)
            respond_text(gw, x, req, 200, health_text(gw));
        else
            nb__internal_respond_json(gw, x, req, 405, json_pack("{s:s}", "error", "use GET or HEAD"));
        return true;
    }
    if (strcmp(path, "/_localstack/info") == 0 && get) {
        nb__internal_respond_json(gw, x, req, 200, info(gw));
        return true;
    }
    if ((strcmp(path, "/_localstack/init") == 0 || strncmp(path, "/_localstack/init/", 18) == 0) && get) {
        json_t *doc = nb__init_hooks_json(path[17] == '/' ? path + 18 : NULL);
        if (doc)
            nb__internal_respond_json(gw, x, req, 200, doc);
        else
            nb__internal_respond_json(gw, x, req, 404, json_pack("{s:s}", "error", "no such stage"));
        return true;
    }
    if (strcmp(path, "/_localstack/diagnose") == 0 && get) {
        nb__internal_respond_json(gw, x, req, 200, diagnose(gw));
        return true;
    }
    if (strcmp(path, "/_nimbus/state") == 0 && get) {
        nb__internal_respond_json(gw, x, req, 200, state_counts(gw));
        return true;
    }
    if (strcmp(path, "/_localstack/state/reset") == 0 && post) {
        bool failed = false;
        json_t *done = nb__internal_reset_all(gw, &failed);
        nb__internal_respond_json(gw, x, req, failed ? 500 : 200, done);
        return true;
    }
    char svc_name[64];
    int used = 0;
    if (post && sscanf(path, "/_localstack/state/%63[^/]/reset%n", svc_name, &used) == 1 && path[used] == '\0') {
        nb__service_t *svc = nb__registry_service(&gw->reg, svc_name);
        const char *why = NULL;
        if (svc == NULL)
            nb__internal_respond_json(gw, x, req, 404, json_pack("{s:s}", "error", "no such service"));
        else if (reset_service(svc, &why) < 0)
            nb__internal_respond_json(gw, x, req, 500, json_pack("{s:s,s:s}", "error", "reset failed", "message", why ? why : ""));
        else
            nb__internal_respond_json(gw, x, req, 200, json_pack("{s:[s]}", "reset", svc_name));
        return true;
    }
    nb__internal_respond_json(gw, x, req, 404, json_pack("{s:s}", "error", "no such internal endpoint"));
    return true;
}
