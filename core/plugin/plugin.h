/*
 * Plugin loader and service registry.
 *
 * At startup every spec is loaded and every plugin directory scanned: each
 * .so is opened (dlopen RTLD_NOW|RTLD_LOCAL), its descriptor checked (signature,
 * ABI major, struct size) and its operation names resolved against its
 * service's spec. A service's provider is the plugin PROVIDER_OVERRIDE_<SERVICE>
 * names, else the one named like the service, else the first found. Its `init`
 * runs at startup with EAGER_SERVICE_LOADING, else on the service's first
 * request. A plugin that fails leaves its service in state `error`; the
 * server keeps serving the others.
 */
#ifndef NB_PLUGIN_LOADER_H
#define NB_PLUGIN_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "nimbus/plugin.h"
#include "spec/spec.h"

typedef enum nb__svc_state {
    NB_SVC_AVAILABLE, /* provider loaded, not started */
    NB_SVC_RUNNING,   /* provider started */
    NB_SVC_DISABLED,  /* not in SERVICES */
    NB_SVC_ERROR,     /* provider failed to load or start */
} nb__svc_state_t;

const char *nb__svc_state_name(nb__svc_state_t s); /* "running" */

/* An optional hook of a descriptor, NULL when the plugin was built before the field
 * was appended (its struct_size ends before it) or leaves it unset. */
#define NB__DEF_HOOK(def, field) \
    ((def)->struct_size >= offsetof(nb_plugin_def_t, field) + sizeof (def)->field ? (def)->field : NULL)

struct nb_plugin {
    void *dl;                     /* dlopen handle; NULL for a statically linked plugin */
    const nb_plugin_def_t *def;
    char *path;                   /* the .so, or "(static)" */
    const nb__spec_t *spec;
    nb_op_handler_pt *handlers;   /* indexed like spec->ops; NULL = 501; the array is NULL until
                                   * nb__plugin_ready (the first use of the service) */
    void *data;                   /* the plugin's own state (nb_plugin_set_data) */
    bool started;
    void *store;                  /* the service's state store, opened at start */
    struct nb__registry *reg;
    struct nb__plugin_setting *settings; /* its declared settings' values (settings.c) */
    size_t nsettings;
    /* A further service of a plugin (also_serves, guest.c): the plugin that serves it, whose
     * store and init it shares; def is then guest_def, made from the nb_plugin_service_t. */
    nb_plugin_t *host;
    nb_plugin_def_t *guest_def;
};

typedef struct nb__service {
    char *name;
    const nb__spec_t *spec;
    nb_plugin_t *provider; /* NULL: every operation answers 501 */
    nb__svc_state_t state;
    char *error;           /* why state is NB_SVC_ERROR */
    /* NB_SVC_ERROR for a reason that passes (out of descriptors, memory, disk space):
     * a request from retry_ns on (uv_hrtime) starts the service again. */
    bool transient;
    uint64_t retry_ns;
} nb__service_t;

typedef struct nb__registry {
    const nb__config_t *cfg;
    nb__spec_set_t specs;
    nb__service_t *services;
    size_t nservices;
    nb_plugin_t **plugins; /* every plugin loaded, providers or not */
    size_t nplugins;
    /* Called when a service starts, to open its store (set by the gateway). */
    int (*on_start)(struct nb__registry *reg, nb__service_t *svc, char **err);
    void (*on_stop)(struct nb__registry *reg, nb__service_t *svc);
    /* Called when a provider's init failed, before on_stop: NB_EAGAIN when its store failed
     * for a reason that passes (the start is tried again later). */
    int (*init_failure)(struct nb__registry *reg, nb__service_t *svc);
    /* Called once a service's provider initialised (set by the gateway: the blob sweep). */
    void (*on_started)(struct nb__registry *reg, nb__service_t *svc);
    void *owner;
} nb__registry_t;

/* Loads specs (NIMBUS_SPEC_PATH, else the built-in folder) and plugins
 * (NIMBUS_PLUGIN_PATH, then the built-in folder). Fails only if no spec loads. */
int nb__registry_init(nb__registry_t *reg, const nb__config_t *cfg, char **err);
/* Adds a plugin linked into the program (tests): same checks as a .so. */
int nb__registry_add_static(nb__registry_t *reg, const nb_plugin_def_t *def, char **err);
/* Picks providers and applies SERVICES; call after the last add. */
void nb__registry_select(nb__registry_t *reg);
/* Starts a service's provider if needed: 0, or the service is left in NB_SVC_ERROR.
 * NB_EAGAIN when it failed for a reason that passes (its store could not open, or its
 * plugin's init failed on it, for want of descriptors, memory or disk space; init
 * returned NB_EAGAIN), or such a failure is too recent to try again: a later call starts it. */
int nb__registry_start(nb__registry_t *reg, nb__service_t *svc);
/* Starts every enabled service (EAGER_SERVICE_LOADING). */
/* Binds the provider's handlers (nb__plugin_ready) on the service's first use: 0, or, when
 * they cannot be bound, what nb__registry_start answers, the service failed with the reason. */
int nb__registry_bind(nb__registry_t *reg, nb__service_t *svc);
void nb__registry_start_all(nb__registry_t *reg);
/* The server stops: started providers answer their waiting requests (shutdown hook). */
void nb__registry_shutdown(nb__registry_t *reg);
nb__service_t *nb__registry_service(const nb__registry_t *reg, const char *name);
/* Runs fini of started providers and closes every plugin. */
void nb__registry_free(nb__registry_t *reg);

/* Opens one plugin file and checks it against the specs, without adding it
 * anywhere. On failure returns NULL with a message naming the file and the problem. */
/* Opens and binds a plugin file (its spec read if still a stub): NULL with *err when it does
 * not fit its spec. The registry's own scan binds a plugin on its service's first use. */
nb_plugin_t *nb__plugin_open(const char *path, const nb__spec_set_t *specs, char **err);
/* Binds p's handlers to its spec's operations (reading the spec if it is a stub); 0, or
 * NB_EINVAL (an operation the spec lacks), NB_EAGAIN / NB_ENOMEM with *err. */
int nb__plugin_ready(nb_plugin_t *p, char **err);
/* Checks a descriptor and binds its operations to its service's spec: NULL with *err. */
nb_plugin_t *nb__plugin_bind(const nb_plugin_def_t *def, const char *path, const nb__spec_set_t *specs, char **err);
void nb__plugin_close(nb_plugin_t *p);

/* guest.c (ABI 1.10 also_serves): adds a plugin for each further service `host` serves, after
 * host itself was added. Failures are logged; the host still serves its own service. */
void nb__plugin_add_guests(nb__registry_t *reg, nb_plugin_t *host,
                           int (*add)(nb__registry_t *reg, nb_plugin_t *p));
/* Starts a guest's host service and shares its store: 0, or an NB_E* code with *err. */
int nb__plugin_guest_start(nb__registry_t *reg, nb_plugin_t *guest, char **err);
/* Whether SERVICES enables the service `name`: named there (or no SERVICES), or a further service
 * of a plugin whose own service is. */
bool nb__registry_service_enabled(const nb__registry_t *reg, const char *name);

/* Calls fn(ctx, path) for every *.so of a folder, in name order. */
void nb__plugin_dir_each(const char *dir, void (*fn)(void *ctx, const char *path), void *ctx);
/* Calls fn(ctx, dir) for every plugin folder: those of plugin_path (':'-separated, may be
 * NULL), then the built-in one. */
void nb__plugin_dirs_each(const char *plugin_path, void (*fn)(void *ctx, const char *dir), void *ctx);

/* Declared plugin settings (settings.c). Resolves the settings of every loaded plugin from
 * the configuration: a bad value of an enabled service's provider is an error (*err), as is
 * an unknown name in the config file or --set; unknown NIMBUS_* / LocalStack-style names in
 * the environment get a warning line on warn. Call after nb__registry_select. */
int nb__registry_settings(nb__registry_t *reg, FILE *warn, char **err);
void nb__plugin_settings_free(nb_plugin_t *p);
/* nimbus --help: the settings every plugin found declares, per plugin. */
void nb__plugin_settings_help(FILE *out, const char *plugin_path);
/* nimbus config: every setting's value and where it came from, per service. */
void nb__registry_print_settings(const nb__registry_t *reg, FILE *out);
/* nb_api_t's setting getters. */
const char *nb__api_setting_string(nb_plugin_t *self, const char *name);
int64_t nb__api_setting_int(nb_plugin_t *self, const char *name);
int nb__api_setting_bool(nb_plugin_t *self, const char *name);
double nb__api_setting_seconds(nb_plugin_t *self, const char *name);

/* Removes every subscription of a plugin being unloaded (core/gateway/events.c). */
void nb__events_unsubscribe_plugin(nb_plugin_t *p);
void nb__events_clear(void); /* drops the events not delivered yet */
/* The plugin goes away: its child processes are stopped and reaped (no callback runs), its
 * listeners closed and its prefix routes dropped (core/proc/owned.c). */
void nb__plugin_release_owned(nb_plugin_t *p);

/* The function table handed to plugins (core/gateway implements it). */
extern const nb_api_t nb__api;

#endif
