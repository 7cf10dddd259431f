#include <dirent.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "nimbus/errno.h"
#include "util/buf.h"
#include "util/exe_dir.h"
#include "net/http_out.h"
#include "plugin/plugin.h"


const char *nb__svc_state_name(nb__svc_state_t s) {
    switch (s) {
    case NB_SVC_AVAILABLE: return "available";
    case NB_SVC_RUNNING: return "running";
    case NB_SVC_DISABLED: return "disabled";
    case NB_SVC_ERROR: return "error";
    }
    return "error";
}

static char *unknown_op(const char *path, const nb_plugin_def_t *def, const char *op, const nb__spec_t *spec) {
    return nb__strdup_printf("%s: plugin '%s' registers operation '%s', which service '%s' (api %s) does not have", path,
                             def->name, op, def->service, spec->api_version ? spec->api_version : "?");
}

/* The plugin's handlers, indexed like its spec's operations; each registered name must be one
 * of the spec's. The spec is read first when it is a stub. */
int nb__plugin_ready(nb_plugin_t *p, char **err) {
    if (p->handlers)
        return 0;
    const nb_plugin_def_t *def = p->def;
    nb__spec_t *spec = (nb__spec_t *)p->spec;
    char *spec_err = NULL;
    if (spec->stub && nb__spec_load_shapes(spec, &spec_err) != 0) {
        *err = nb__strdup_printf("%s: cannot read the spec of '%s': %s", p->path, def->service,
                                 spec_err ? spec_err : "?");
        free(spec_err);
        return NB_EAGAIN;
    }
    nb_op_handler_pt *handlers = calloc(spec->nops ? spec->nops : 1, sizeof *handlers);
    if (handlers == NULL) {
        *err = nb__strdup_printf("%s: out of memory", p->path);
        return NB_ENOMEM;
    }
    for (const nb_op_t *op = def->ops; op->name; op++) {
        const nb__spec_op_t *sop = nb__spec_op(spec, op->name);
        if (sop == NULL) {
            *err = unknown_op(p->path, def, op->name, spec);
            free(handlers);
            return NB_EINVAL;
        }
        handlers[sop - spec->ops] = op->handler;
    }
    p->handlers = handlers;
    return 0;
}

/* Checks a descriptor before any of its code runs, then binds its operations. */
nb_plugin_t *nb__plugin_bind(const nb_plugin_def_t *def, const char *path, const nb__spec_set_t *specs,
                             char **err) {
    if (def->signature != NB_PLUGIN_SIGNATURE) {
        *err = nb__strdup_printf("%s: not a Nimbus plugin (bad descriptor signature)", path);
        return NULL;
    }
    /* Fields appended later (reset) are optional: a plugin built before them still loads. */
    if (def->abi_major != NB_ABI_MAJOR || def->struct_size < offsetof(nb_plugin_def_t, reset)) {
        *err = nb__strdup_printf("%s: plugin ABI %u.%u is not supported (this Nimbus has ABI %d.%d)", path, def->abi_major,
                   def->abi_minor, NB_ABI_MAJOR, NB_ABI_MINOR);
        return NULL;
    }
    /* A newer plugin may set descriptor hooks or call functions this core lacks: it would
     * run with parts silently missing. */
    if (def->abi_minor > NB_ABI_MINOR) {
        *err = nb__strdup_printf("%s: plugin built for Nimbus ABI %u.%u, this Nimbus provides ABI %d.%d: rebuild the "
                                 "plugin against this Nimbus's headers or update Nimbus",
                                 path, def->abi_major, def->abi_minor, NB_ABI_MAJOR, NB_ABI_MINOR);
        return NULL;
    }
    if (def->name == NULL || def->service == NULL || def->ops == NULL || def->api == NULL) {
        *err = nb__strdup_printf("%s: descriptor lacks %s", path,
                   def->name == NULL ? "a name" : def->service == NULL ? "a service" : def->ops == NULL ? "ops" : "api");
        return NULL;
    }
    const nb__spec_t *spec = nb__spec_set_find(specs, def->service);
    if (spec == NULL) {
        size_t n = strlen(path);
        int stem = n > 3 && strcmp(path + n - 3, ".so") == 0 ? (int)(n - 3) : (int)n;
        *err = nb__strdup_printf("%s: plugin '%s' serves service '%s', which has no spec (add specs/%s/ or "
                                 "%.*s.service-2.json beside the plugin)",
                                 path, def->name, def->service, def->service, stem, path);
        return NULL;
    }
    for (const nb_op_t *op = def->ops; op->name; op++) {
        if (op->flags != 0) { /* reserved: a later minor may give them a meaning this core would miss */
            *err = nb__strdup_printf("%s: plugin '%s' sets flags 0x%x on operation '%s': this Nimbus knows none", path,
                                     def->name, op->flags, op->name);
            return NULL;
        }
    }
    nb_plugin_t *p = calloc(1, sizeof *p);
    if (p == NULL || (p->path = strdup(path)) == NULL) {
        free(p);
        *err = nb__strdup_printf("%s: out of memory", path);
        return NULL;
    }
    p->def = def;
    p->spec = spec;
    if (def->api_version && spec->api_version && strcmp(def->api_version, spec->api_version) != 0)
        fprintf(stderr, "nimbus: %s: plugin '%s' was written for %s API %s, the spec is %s API %s: operations it "
                        "does not register answer 501\n",
                path, def->name, def->service, def->api_version, def->service, spec->api_version);
    /* A spec still a stub (read from the index) binds when the service is first used; the
     * index names a shipped service's operations, so a wrong one is refused now all the same. */
    for (const nb_op_t *op = def->ops; spec->stub && op->name; op++) {
        if (nb__spec_knows_op(spec, op->name) == 0) {
            *err = unknown_op(path, def, op->name, spec);
            nb__plugin_close(p);
            return NULL;
        }
    }
    if (!spec->stub && nb__plugin_ready(p, err) != 0) {
        nb__plugin_close(p);
        return NULL;
    }
    *def->api = &nb__api;
    return p;
}

/* The slot of service's spec in specs, or NULL. */
static nb__spec_t **spec_slot(nb__spec_set_t *specs, const char *service) {
    for (size_t i = 0; i < specs->len; i++)
        if (strcmp(specs->items[i]->service, service) == 0)
            return &specs->items[i];
    return NULL;
}

/* A spec carried beside the plugin, <dir>/<file-stem>.service-2.json, registered
 * under the service the plugin's descriptor declares (so a second provider,
 * acm-alt.so, carries acm's spec). A specs/<service>/ folder wins over a carried copy; a
 * carried copy wins over the catalogue's (specs/botocore/): the plugin was generated from it. */
static void load_carried_spec(const char *so_path, const char *service, nb__spec_set_t *specs,
                              const nb__registry_t *reg) {
    size_t n = strlen(so_path);
    if (n < 3 || strcmp(so_path + n - 3, ".so") != 0)
        return;
    char *spec_path = nb__strdup_printf("%.*s.service-2.json", (int)(n - 3), so_path);
    struct stat st;
    if (spec_path && stat(spec_path, &st) == 0) {
        char *err = NULL;
        nb__spec_t *spec = NULL, **slot = spec_slot(specs, service);
        bool bound = false; /* another provider of the service, found first, uses the catalogue's */
        for (size_t i = 0; slot && reg && i < reg->nplugins; i++)
            bound = bound || reg->plugins[i]->spec == *slot;
        if (slot && (!(*slot)->catalog || bound))
            fprintf(stderr, "nimbus: %s: not used: service '%s' already has a spec\n", spec_path, service);
        else if ((spec = nb__spec_load(spec_path, service, &err)) == NULL)
            fprintf(stderr, "nimbus: %s: %s\n", spec_path, err ? err : "cannot load the spec");
        if (spec && slot) { /* a catalogue stub no plugin uses: nothing points to it yet */
            nb__spec_free(*slot);
            *slot = spec;
        } else if (spec) {
            nb__spec_set_add(specs, spec);
        }
        free(err);
    }
    free(spec_path);
}

/* Like nb__plugin_open; on failure, *service names the service the descriptor
 * declares when it could be read (the one whose health shows the error). */
static nb_plugin_t *plugin_open(const char *path, nb__registry_t *carry, const nb__spec_set_t *specs, char **err,
                                char *service, size_t service_len) {
    *err = NULL;
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        *err = nb__strdup_printf("%s: cannot load: %s", path, dlerror());
        return NULL;
    }
    const nb_plugin_def_t *def = dlsym(dl, "nb_plugin_def");
    if (def == NULL) {
        *err = nb__strdup_printf("%s: not a Nimbus plugin (no nb_plugin_def symbol)", path);
        dlclose(dl);
        return NULL;
    }
    if (carry && def->signature == NB_PLUGIN_SIGNATURE && def->service)
        load_carried_spec(path, def->service, &carry->specs, carry);
    nb_plugin_t *p = nb__plugin_bind(def, path, specs, err);
    if (p == NULL) {
        if (service && def->signature == NB_PLUGIN_SIGNATURE && def->service)
            snprintf(service, service_len, "%s", def->service);
        dlclose(dl);
        return NULL;
    }
    p->dl = dl;
    return p;
}

nb_plugin_t *nb__plugin_open(const char *path, const nb__spec_set_t *specs, char **err) {
    nb_plugin_t *p = plugin_open(path, NULL, specs, err, NULL, 0);
    /* bound now, spec read if need be: the caller learns at once whether it fits its spec */
    if (p && nb__plugin_ready(p, err) != 0) {
        nb__plugin_close(p);
        return NULL;
    }
    return p;
}

void nb__plugin_close(nb_plugin_t *p) {
    if (p == NULL)
        return;
    nb__events_unsubscribe_plugin(p);
    nb__plugin_settings_free(p);
    nb__plugin_release_owned(p); /* its children and endpoints go before its code */
    if (p->dl)
        dlclose(p->dl);
    free(p->handlers);
    free(p->path);
    free(p->guest_def);
    free(p);
}

static int add_plugin(nb__registry_t *reg, nb_plugin_t *p) {
    nb_plugin_t **grown = realloc(reg->plugins, (reg->nplugins + 1) * sizeof *grown);
    if (grown == NULL)
        return NB_ENOMEM;
    reg->plugins = grown;
    reg->plugins[reg->nplugins++] = p;
    p->reg = reg;
    return 0;
}

static nb__service_t *service_get(nb__registry_t *reg, const char *name, const nb__spec_t *spec) {
    nb__service_t *svc = nb__registry_service(reg, name);
    if (svc)
        return svc;
    nb__service_t *grown = realloc(reg->services, (reg->nservices + 1) * sizeof *grown);
    if (grown == NULL)
        return NULL;
    reg->services = grown;
    svc = &reg->services[reg->nservices++];
    memset(svc, 0, sizeof *svc);
    svc->name = strdup(name);
    svc->spec = spec;
    svc->state = NB_SVC_AVAILABLE;
    return svc;
}

static void service_fail(nb__service_t *svc, char *error) {
    svc->state = NB_SVC_ERROR;
    free(svc->error);
    svc->error = error;
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void nb__plugin_dir_each(const char *dir, void (*fn)(void *ctx, const char *path), void *ctx) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0)
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *grown);
        if (grown == NULL)
            break;
        names = grown;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n > 1) /* qsort(NULL, 0, ...) is undefined: an empty plugin folder */
        qsort(names, n, sizeof *names, str_cmp);
    for (size_t i = 0; i < n; i++) {
        char *path = names[i] ? nb__strdup_printf("%s/%s", dir, names[i]) : NULL;
        free(names[i]);
        if (path)
            fn(ctx, path);
        free(path);
    }
    free(names);
}

/* Loads one plugin file of a folder. Failures are logged and recorded. */
static void scan_file(void *ctx, const char *path) {
    nb__registry_t *reg = ctx;
    char *err = NULL;
    char service[128] = "";
    nb_plugin_t *p = plugin_open(path, reg, &reg->specs, &err, service, sizeof service);
    if (p == NULL || add_plugin(reg, p) != 0) {
        fprintf(stderr, "nimbus: plugin not loaded: %s\n", err ? err : path);
        /* Mark the service if we can tell which it was: the one its descriptor
         * declares, else the file stem. */
        if (p)
            snprintf(service, sizeof service, "%s", p->def->service);
        if (service[0] == '\0') {
            snprintf(service, sizeof service, "%s", strrchr(path, '/') + 1);
            service[strlen(service) - 3] = '\0';
        }
        const nb__spec_t *spec = nb__spec_set_find(&reg->specs, service);
        nb__service_t *svc = spec ? service_get(reg, service, spec) : NULL;
        if (svc)
            service_fail(svc, err), err = NULL;
        nb__plugin_close(p);
    } else {
        nb__plugin_add_guests(reg, p, add_plugin);
    }
    free(err);
}

/* Loads every *.so of a folder, in name order. */
static void scan_dir(nb__registry_t *reg, const char *dir) { nb__plugin_dir_each(dir, scan_file, reg); }

static void for_each_path(const char *list, void (*fn)(void *ctx, const char *dir), void *ctx) {
    if (list == NULL)
        return;
    char *copy = strdup(list), *save = NULL;
    for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save))
        if (*dir)
            fn(ctx, dir);
    free(copy);
}

static void scan_cb(void *ctx, const char *dir) { scan_dir(ctx, dir); }

typedef struct {
    nb__spec_set_t *set;
    char *err;
} spec_scan_t;

static void spec_cb(void *ctx, const char *dir) {
    spec_scan_t *s = ctx;
    char *err = NULL;
    if (nb__spec_set_load_dir(s->set, dir, &err) != 0 && s->err == NULL)
        s->err = err;
    else
        free(err);
}

/* <prefix>/share/nimbus/specs and <prefix>/lib/nimbus/plugins beside an installed
 * binary (<prefix>/bin/nimbus); the build tree's folders otherwise. */
static const char *default_dir(const char *installed_rel, const char *built, char *buf, size_t len) {
    char exe_dir[4096];
    struct stat st;
    if (nb__exe_dir(exe_dir, sizeof exe_dir) == 0 && snprintf(buf, len, "%s/../%s", exe_dir, installed_rel) < (int)len &&
        stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
        return buf;
    return built;
}

int nb__registry_init(nb__registry_t *reg, const nb__config_t *cfg, char **err) {
    memset(reg, 0, sizeof *reg);
    reg->cfg = cfg;
    *err = NULL;
    spec_scan_t ss = {&reg->specs, NULL};
    char spec_buf[4096];
    const char *spec_path = cfg && cfg->spec_path && *cfg->spec_path
                                ? cfg->spec_path
                                : default_dir("share/nimbus/specs", NB_DEFAULT_SPEC_DIR, spec_buf, sizeof spec_buf);
    for_each_path(spec_path, spec_cb, &ss);
    if (ss.err) {
        *err = ss.err;
        return NB_ESPEC;
    }
    if (reg->specs.len == 0) {
        *err = nb__strdup_printf("no service specs found in %s", spec_path);
        return NB_ESPEC;
    }
    nb__plugin_dirs_each(cfg ? cfg->plugin_path : NULL, scan_cb, reg);
    return 0;
}

void nb__plugin_dirs_each(const char *plugin_path, void (*fn)(void *ctx, const char *dir), void *ctx) {
    char plugin_buf[4096];
    for_each_path(plugin_path, fn, ctx);
    fn(ctx, default_dir("lib/nimbus/plugins", NB_DEFAULT_PLUGIN_DIR, plugin_buf, sizeof plugin_buf));
}

int nb__registry_add_static(nb__registry_t *reg, const nb_plugin_def_t *def, char **err) {
    nb_plugin_t *p = nb__plugin_bind(def, "(static)", &reg->specs, err);
    if (p == NULL)
        return NB_EINVAL;
    if (add_plugin(reg, p) != 0) {
        nb__plugin_close(p);
        return NB_ENOMEM;
    }
    nb__plugin_add_guests(reg, p, add_plugin);
    return 0;
}

static void override_key(const char *service, char *key, size_t len) {
    snprintf(key, len, "PROVIDER_OVERRIDE_%s", service);
    for (char *c = key + 18; *c; c++)
        *c = (*c == '-') ? '_' : (char)((*c >= 'a' && *c <= 'z') ? *c - 32 : *c);
}

static bool is_default_provider(const nb_plugin_t *p) { return strcmp(p->def->name, p->def->service) == 0; }

void nb__registry_select(nb__registry_t *reg) {
    for (size_t i = 0; i < reg->nplugins; i++) {
        nb_plugin_t *p = reg->plugins[i];
        nb__service_t *svc = service_get(reg, p->def->service, p->spec);
        if (svc == NULL)
            continue;
        char key[160];
        override_key(p->def->service, key, sizeof key);
        const char *want = reg->cfg ? nb__config_get(reg->cfg, key) : NULL;
        /* the first plugin found wins a tie: NIMBUS_PLUGIN_PATH is scanned before the built-in folder */
        if (want ? strcmp(p->def->name, want) == 0 && (svc->provider == NULL || strcmp(svc->provider->def->name, want) != 0)
                 : svc->provider == NULL || (is_default_provider(p) && !is_default_provider(svc->provider)))
            svc->provider = p;
        if (svc->provider == p && svc->state == NB_SVC_ERROR) { /* another plugin for it failed: this one serves */
            svc->state = NB_SVC_AVAILABLE;
            free(svc->error);
            svc->error = NULL;
        }
    }
    for (size_t i = 0; i < reg->nservices; i++) {
        nb__service_t *svc = &reg->services[i];
        if (!nb__registry_service_enabled(reg, svc->name)) {
            svc->state = NB_SVC_DISABLED;
        } else if (svc->provider == NULL && svc->state != NB_SVC_ERROR) {
            char key[160];
            override_key(svc->name, key, sizeof key);
            service_fail(svc, nb__strdup_printf("%s names a plugin that is not loaded", key));
        }
    }
}

#define NB__START_RETRY_NS (100 * 1000 * 1000ull) /* a failed start is not tried again sooner */

static uint64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A start that failed for want of a resource: the service shows its error until a
 * request after the back-off starts it again. */
static int start_failed(nb__service_t *svc, int rc, char *error) {
    service_fail(svc, error);
    svc->transient = rc == NB_EAGAIN;
    svc->retry_ns = monotonic_ns() + NB__START_RETRY_NS;
    return rc;
}

int nb__registry_start(nb__registry_t *reg, nb__service_t *svc) {
    if (svc->state == NB_SVC_RUNNING)
        return 0;
    if (svc->state == NB_SVC_ERROR && svc->transient) {
        if (monotonic_ns() < svc->retry_ns)
            return NB_EAGAIN;
        svc->state = NB_SVC_AVAILABLE;
    }
    if (svc->state != NB_SVC_AVAILABLE || svc->provider == NULL)
        return NB_EINVAL;
    nb_plugin_t *p = svc->provider;
    char *err = NULL;
    int ready = nb__plugin_ready(p, &err);
    if (ready != 0) { /* a plugin whose operations are not its spec's fails for good */
        fprintf(stderr, "nimbus: service %s: %s\n", svc->name, err ? err : "?");
        return start_failed(svc, ready == NB_EINVAL ? NB_EINVAL : NB_EAGAIN, err);
    }
    if (nb__spec_load_shapes((nb__spec_t *)p->spec, &err) != 0) {
        /* it loaded at startup: failing now is the process's limits, not the file */
        fprintf(stderr, "nimbus: service %s: cannot reload its spec: %s\n", svc->name, err ? err : "?");
        return start_failed(svc, NB_EAGAIN, err ? err : nb__strdup_printf("cannot reload the spec"));
    }
    int rc = p->host ? nb__plugin_guest_start(reg, p, &err) : reg->on_start ? reg->on_start(reg, svc, &err) : 0;
    if (rc != 0) {
        fprintf(stderr, "nimbus: service %s failed to start: %s\n", svc->name, err ? err : "?");
        return start_failed(svc, rc == NB_EAGAIN ? NB_EAGAIN : NB_ESTORE,
                            err ? err : nb__strdup_printf("state store failed to open"));
    }
    if (p->def->init && (rc = p->def->init(p)) != 0) {
        fprintf(stderr, "nimbus: service %s: plugin %s failed to initialise\n", svc->name, p->def->name);
        if (rc != NB_EAGAIN && reg->init_failure)
            rc = reg->init_failure(reg, svc);
        if (reg->on_stop)
            reg->on_stop(reg, svc);
        return start_failed(svc, rc == NB_EAGAIN ? NB_EAGAIN : NB_EINVAL,
                            nb__strdup_printf("plugin %s failed to initialise", p->def->name));
    }
    p->started = true;
    svc->state = NB_SVC_RUNNING;
    svc->transient = false;
    free(svc->error);
    svc->error = NULL;
    if (reg->on_started)
        reg->on_started(reg, svc);
    return 0;
}

int nb__registry_bind(nb__registry_t *reg, nb__service_t *svc) {
    char *err = NULL;
    int rc = nb__plugin_ready(svc->provider, &err);
    free(err); /* the start below fails on it again and keeps the message */
    return rc == 0 ? 0 : nb__registry_start(reg, svc);
}

void nb__registry_start_all(nb__registry_t *reg) {
    for (size_t i = 0; i < reg->nservices; i++)
        if (reg->services[i].state == NB_SVC_AVAILABLE)
            nb__registry_start(reg, &reg->services[i]);
}

void nb__registry_shutdown(nb__registry_t *reg) {
    for (size_t i = 0; i < reg->nservices; i++) {
        nb_plugin_t *p = reg->services[i].provider;
        void (*hook)(nb_plugin_t *) = p && p->started ? NB__DEF_HOOK(p->def, shutdown) : NULL;
        if (hook)
            hook(p);
    }
}

nb__service_t *nb__registry_service(const nb__registry_t *reg, const char *name) {
    for (size_t i = 0; i < reg->nservices; i++)
        if (strcmp(reg->services[i].name, name) == 0)
            return &reg->services[i];
    return NULL;
}

void nb__registry_free(nb__registry_t *reg) {
    for (size_t i = 0; i < reg->nservices; i++) {
        nb__service_t *svc = &reg->services[i];
        if (svc->provider && svc->provider->started) {
            nb__http_out_cancel_all(svc->provider); /* their callbacks run while the plugin still can */
            if (svc->provider->def->fini)
                svc->provider->def->fini(svc->provider);
            svc->provider->started = false;
            if (svc->provider->host) /* the store is its host's, closed with it */
                svc->provider->store = NULL;
            else if (reg->on_stop)
                reg->on_stop(reg, svc);
        }
        free(svc->name);
        free(svc->error);
    }
    free(reg->services);
    for (size_t i = 0; i < reg->nplugins; i++)
        nb__plugin_close(reg->plugins[i]);
    nb__events_clear(); /* events nobody will deliver: their subscribers are gone */
    free(reg->plugins);
    nb__spec_set_free(&reg->specs);
    memset(reg, 0, sizeof *reg);
}
