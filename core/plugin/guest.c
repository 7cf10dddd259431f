/* One plugin serving several services (ABI 1.10, nb_plugin_def_t.also_serves): each further
 * service gets a plugin of its own to the registry (its spec, handlers, provider choice and
 * health), a "guest" whose descriptor is made from the nb_plugin_service_t and has no hooks:
 * its host's init, fini and store serve it, so that a request to either service runs in a
 * transaction of the one store (DynamoDB's stream records commit with their items). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nimbus/errno.h"
#include "util/buf.h"
#include "config/config.h"
#include "plugin/plugin.h"

static nb_plugin_t *guest_open(nb__registry_t *reg, nb_plugin_t *host, const nb_plugin_service_t *s, char **err) {
    nb_plugin_def_t *def = calloc(1, sizeof *def);
    if (def == NULL) {
        *err = nb__strdup_printf("%s: out of memory", host->path);
        return NULL;
    }
    *def = (nb_plugin_def_t){.signature = NB_PLUGIN_SIGNATURE, .abi_major = NB_ABI_MAJOR,
                             .abi_minor = host->def->abi_minor, .struct_size = sizeof *def,
                             .api = host->def->api, .name = s->service, .service = s->service,
                             .api_version = s->api_version, .ops = s->ops, .authz_actions = s->authz_actions,
                             /* denied in the host's shape (DynamoDB's AccessDeniedException for streams) */
                             .authz_denied_message = NB__DEF_HOOK(host->def, authz_denied_message),
                             .authz_denied_code = NB__DEF_HOOK(host->def, authz_denied_code)};
    nb_plugin_t *p = nb__plugin_bind(def, host->path, &reg->specs, err);
    if (p == NULL) {
        free(def);
        return NULL;
    }
    p->host = host;
    p->guest_def = def;
    return p;
}

void nb__plugin_add_guests(nb__registry_t *reg, nb_plugin_t *host,
                           int (*add)(nb__registry_t *reg, nb_plugin_t *p)) {
    const nb_plugin_service_t *list = NB__DEF_HOOK(host->def, also_serves);
    for (const nb_plugin_service_t *s = list; s && s->service; s++) {
        char *err = NULL;
        nb_plugin_t *p = guest_open(reg, host, s, &err);
        if (p == NULL || add(reg, p) != 0) {
            fprintf(stderr, "nimbus: plugin %s: service %s not served: %s\n", host->def->name,
                    s->service, err ? err : "out of memory");
            nb__plugin_close(p);
        }
        free(err);
    }
}

int nb__plugin_guest_start(nb__registry_t *reg, nb_plugin_t *guest, char **err) {
    nb__service_t *host_svc = nb__registry_service(reg, guest->host->def->service);
    /* another provider chosen for the host's service (PROVIDER_OVERRIDE_) has another store */
    if (host_svc == NULL || host_svc->provider != guest->host) {
        *err = nb__strdup_printf("plugin %s, which serves it, does not serve %s", guest->host->def->name,
                                 guest->host->def->service);
        return NB_EINVAL;
    }
    int rc = nb__registry_start(reg, host_svc);
    if (rc != 0) {
        *err = nb__strdup_printf("%s did not start: %s", host_svc->name, host_svc->error ? host_svc->error : "?");
        return rc;
    }
    guest->store = guest->host->store;
    return 0;
}

bool nb__registry_service_enabled(const nb__registry_t *reg, const char *name) {
    if (reg->cfg == NULL || nb__config_service_enabled(reg->cfg, name))
        return true;
    /* a further service comes with the plugin's own: it cannot run without it */
    const nb__service_t *svc = nb__registry_service(reg, name);
    const nb_plugin_t *host = svc && svc->provider ? svc->provider->host : NULL;
    return host != NULL && nb__config_service_enabled(reg->cfg, host->def->service);
}
