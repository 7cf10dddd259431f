/*
 * Declared plugin settings: each plugin's descriptor lists the settings it reads
 * (nimbus/settings.h). Their values are resolved and checked once, after the plugins
 * are loaded and before any plugin starts, so a plugin's getter never fails and a bad
 * value stops the server at once instead of surfacing on some later request.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "util/buf.h"

struct nb__plugin_setting {
    const nb_setting_t *decl;
    char *value; /* NULL: unset and no default */
    nb__config_source_t source;
    int64_t i;      /* INT, BYTES, BOOL */
    double seconds; /* DURATION */
};

static const char *type_name(nb_setting_type_t t) {
    switch (t) {
    case NB_SETTING_STRING: return "string";
    case NB_SETTING_INT: return "integer";
    case NB_SETTING_BOOL: return "boolean";
    case NB_SETTING_DURATION: return "duration";
    case NB_SETTING_BYTES: return "bytes";
    }
    return "string";
}

static const char *expected(nb_setting_type_t t) {
    switch (t) {
    case NB_SETTING_INT: return "an integer";
    case NB_SETTING_BOOL: return "0 or 1 (also true/false, yes/no, on/off)";
    case NB_SETTING_DURATION: return "a number of seconds (1.5), or with a unit: 500ms, 2s, 5m, 1h";
    case NB_SETTING_BYTES: return "a number of bytes (suffix k, m or g allowed)";
    case NB_SETTING_STRING: break;
    }
    return "a string";
}

/* Parses v as the setting's type into s: false if it is not one. */
static bool parse_value(struct nb__plugin_setting *s, const char *v) {
    switch (s->decl->type) {
    case NB_SETTING_STRING:
        return true;
    case NB_SETTING_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno || end == v || *end != '\0' || isspace((unsigned char)*v))
            return false;
        s->i = n;
        return true;
    }
    case NB_SETTING_BOOL: {
        bool b;
        if (!nb__config_parse_bool(v, &b))
            return false;
        s->i = b;
        return true;
    }
    case NB_SETTING_DURATION:
        return nb__config_parse_seconds(v, &s->seconds);
    case NB_SETTING_BYTES: {
        uint64_t u;
        if (!nb__config_parse_u64(v, &u) || u > INT64_MAX)
            return false;
        s->i = (int64_t)u;
        return true;
    }
    }
    return false;
}

static const nb_setting_t *declared_settings(const nb_plugin_def_t *def) { return NB__DEF_HOOK(def, settings); }

static size_t count(const nb_setting_t *decls) {
    size_t n = 0;
    while (decls && decls[n].name)
        n++;
    return n;
}

/* Whether the plugin will run: the provider of a service SERVICES enables. */
static bool will_run(const nb__registry_t *reg, const nb_plugin_t *p) {
    const nb__service_t *svc = nb__registry_service(reg, p->def->service);
    return svc && svc->provider == p && svc->state != NB_SVC_DISABLED;
}

/* Resolves one plugin's settings; a bad value of a plugin that will run is an error. */
static int resolve(const nb__registry_t *reg, nb_plugin_t *p, char **err) {
    const nb_setting_t *decls = declared_settings(p->def);
    size_t n = count(decls);
    if (n == 0)
        return 0;
    if ((p->settings = calloc(n, sizeof *p->settings)) == NULL) {
        *err = nb__strdup_printf("out of memory");
        return NB_ENOMEM;
    }
    p->nsettings = n;
    for (size_t i = 0; i < n; i++) {
        struct nb__plugin_setting *s = &p->settings[i];
        s->decl = &decls[i];
        s->source = NB_SRC_DEFAULT;
        const char *v = reg->cfg ? nb__config_lookup(reg->cfg, decls[i].name, &s->source) : NULL;
        bool given = v != NULL;
        if (!given)
            v = decls[i].def;
        if (v == NULL)
            continue;
        if ((s->value = strdup(v)) == NULL) {
            *err = nb__strdup_printf("out of memory");
            return NB_ENOMEM;
        }
        if (parse_value(s, v))
            continue;
        if (given && will_run(reg, p)) {
            *err = nb__strdup_printf("%s: invalid value '%s' (%s): expected %s (a setting of plugin %s)", decls[i].name,
                                     v, nb__config_source_name(s->source), expected(decls[i].type), p->def->name);
            return NB_EINVAL;
        }
        if (!given) /* the plugin's own default is wrong: tell its author, read it as unset */
            fprintf(stderr, "nimbus: plugin %s: setting %s: default '%s' is not %s\n", p->def->name, decls[i].name, v,
                    expected(decls[i].type));
        free(s->value);
        s->value = NULL;
    }
    return 0;
}

static bool declared_by_any(void *ctx, const char *name) {
    const nb__registry_t *reg = ctx;
    for (size_t i = 0; i < reg->nplugins; i++)
        for (const nb_setting_t *d = declared_settings(reg->plugins[i]->def); d && d->name; d++)
            if (strcmp(d->name, name) == 0)
                return true;
    return false;
}

/* LocalStack names a service's settings after it: S3_..., SQS_..., DYNAMODB_... */
static bool service_prefixed(void *ctx, const char *name) {
    const nb__registry_t *reg = ctx;
    for (size_t i = 0; i < reg->specs.len; i++) {
        const char *svc = reg->specs.items[i]->service;
        size_t k = 0;
        for (; svc[k] && name[k]; k++)
            if (name[k] != (svc[k] == '-' ? '_' : toupper((unsigned char)svc[k])))
                break;
        if (svc[k] == '\0' && name[k] == '_')
            return true;
    }
    return false;
}

int nb__registry_settings(nb__registry_t *reg, FILE *warn, char **err) {
    *err = NULL;
    for (size_t i = 0; i < reg->nplugins; i++) {
        int rc = resolve(reg, reg->plugins[i], err);
        if (rc != 0)
            return rc;
    }
    if (reg->cfg && nb__config_check_unknown(reg->cfg, declared_by_any, service_prefixed, reg, warn, err) != 0)
        return NB_EINVAL;
    return 0;
}

void nb__plugin_settings_free(nb_plugin_t *p) {
    for (size_t i = 0; i < p->nsettings; i++)
        free(p->settings[i].value);
    free(p->settings);
    p->settings = NULL;
    p->nsettings = 0;
}

/* ------------------------------------------------------------------ listing */

static void print_decls(FILE *out, const nb_plugin_def_t *def) {
    const nb_setting_t *decls = declared_settings(def);
    if (count(decls) == 0)
        return;
    fprintf(out, "\nservice %s (plugin %s):\n", def->service, def->name);
    for (const nb_setting_t *d = decls; d->name; d++) {
        char help[512];
        snprintf(help, sizeof help, "%s (%s)", d->help ? d->help : "", type_name(d->type));
        nb__config_print_line(out, NULL, d->name, help, d->def);
    }
}

/* Reads a plugin file's descriptor only: no spec, no init (nimbus --help). */
static void help_file(void *ctx, const char *path) {
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    const nb_plugin_def_t *def = dl ? dlsym(dl, "nb_plugin_def") : NULL;
    if (def && def->signature == NB_PLUGIN_SIGNATURE && def->abi_major == NB_ABI_MAJOR &&
        def->abi_minor <= NB_ABI_MINOR && def->name && def->service)
        print_decls(ctx, def);
    if (dl)
        dlclose(dl);
}

static void help_dir(void *ctx, const char *dir) { nb__plugin_dir_each(dir, help_file, ctx); }

void nb__plugin_settings_help(FILE *out, const char *plugin_path) {
    fprintf(out, "\nSettings of service plugins (the environment, the config file or --set NAME=VALUE):\n");
    nb__plugin_dirs_each(plugin_path, help_dir, out);
}

void nb__registry_print_settings(const nb__registry_t *reg, FILE *out) {
    for (size_t i = 0; i < reg->nplugins; i++) {
        const nb_plugin_t *p = reg->plugins[i];
        if (p->nsettings == 0)
            continue;
        const nb__service_t *svc = nb__registry_service(reg, p->def->service);
        fprintf(out, "service %s (plugin %s%s):\n", p->def->service, p->def->name,
                svc && svc->provider == p ? svc->state == NB_SVC_DISABLED ? ", disabled" : "" : ", not its provider");
        for (size_t k = 0; k < p->nsettings; k++) {
            const struct nb__plugin_setting *s = &p->settings[k];
            fprintf(out, "  %s=%s (%s)\n", s->decl->name, s->value ? s->value : "", nb__config_source_name(s->source));
        }
    }
}

/* ------------------------------------------------------------------ getters */

static const struct nb__plugin_setting *find(nb_plugin_t *self, const char *name, nb_setting_type_t want) {
    for (size_t i = 0; self && i < self->nsettings; i++)
        if (strcmp(self->settings[i].decl->name, name) == 0) {
            /* any type reads as its text */
            if (self->settings[i].decl->type != want && want != NB_SETTING_STRING &&
                !(want == NB_SETTING_INT && self->settings[i].decl->type == NB_SETTING_BYTES))
                fprintf(stderr, "nimbus: plugin %s reads %s, declared %s, as %s\n", self->def->name, name,
                        type_name(self->settings[i].decl->type), type_name(want));
            return self->settings[i].value ? &self->settings[i] : NULL;
        }
    fprintf(stderr, "nimbus: plugin %s reads setting %s, which it does not declare\n",
            self && self->def ? self->def->name : "?", name);
    return NULL;
}

const char *nb__api_setting_string(nb_plugin_t *self, const char *name) {
    const struct nb__plugin_setting *s = find(self, name, NB_SETTING_STRING);
    return s ? s->value : NULL;
}

int64_t nb__api_setting_int(nb_plugin_t *self, const char *name) {
    const struct nb__plugin_setting *s = find(self, name, NB_SETTING_INT);
    return s ? s->i : 0;
}

int nb__api_setting_bool(nb_plugin_t *self, const char *name) {
    const struct nb__plugin_setting *s = find(self, name, NB_SETTING_BOOL);
    return s ? (int)s->i : 0;
}

double nb__api_setting_seconds(nb_plugin_t *self, const char *name) {
    const struct nb__plugin_setting *s = find(self, name, NB_SETTING_DURATION);
    return s ? s->seconds : 0;
}
