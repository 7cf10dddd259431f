#include "config/config.h"
#include "config/quirks.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nimbus/version.h"
#include "util/arn.h"

typedef enum { T_BOOL, T_STRING, T_LIST, T_LISTEN, T_SIZE, T_SECONDS } setting_type_t;

typedef struct setting {
    const char *name;
    const char *flag; /* without the leading "--" */
    setting_type_t type;
    const char *def;
    const char *help;
} setting_t;

static const setting_t settings[] = {
    {"SERVICES", "services", T_LIST, "", "Comma-separated services to enable (folder names under specs/); empty enables all"},
    {"EAGER_SERVICE_LOADING", "eager-service-loading", T_BOOL, "0",
     "1: start every enabled service at startup; 0: on its first request"},
    {"GATEWAY_LISTEN", "gateway-listen", T_LISTEN, "127.0.0.1:4566,[::1]:4566",
     "Comma-separated host:port addresses to listen on (the default covers both meanings of localhost)"},
    {"PERSISTENCE", "persistence", T_BOOL, "0", "1: keep state in DATA_DIR across restarts (crash-safe)"},
    {"DATA_DIR", "data-dir", T_STRING, NULL, "Where persistent state lives (default $HOME/.local/share/nimbus)"},
    {"DEBUG", "debug", T_BOOL, "0", "1: log request and response details"},
    {"LOCALSTACK_HOST", "localstack-host", T_STRING, NULL,
     "host:port used in URLs the server returns (queue URLs, ...) [default: "
     "localhost.localstack.cloud:<GATEWAY_LISTEN's first port>]"},
    {"NIMBUS_PLUGIN_PATH", "plugin-path", T_STRING, "", "Extra ':'-separated folders to load service plugins from"},
    {"NIMBUS_SPEC_PATH", "spec-path", T_STRING, NULL, "':'-separated folders holding service specs"},
    {"NIMBUS_MAX_HEADER_SIZE", "max-header-size", T_SIZE, "65536", "Largest request head in bytes (431 above)"},
    {"NIMBUS_MAX_BODY_SIZE", "max-body-size", T_SIZE, "5368709120", "Largest request body in bytes (413 above)"},
    {"NIMBUS_BODY_SPILL_THRESHOLD", "body-spill-threshold", T_SIZE, "1048576",
     "Request bodies above this many bytes go to a temp file"},
    {"NIMBUS_IDLE_TIMEOUT", "idle-timeout", T_SECONDS, "60", "Seconds a keep-alive connection may stay idle"},
    {"NIMBUS_HEADER_TIMEOUT", "header-timeout", T_SECONDS, "30", "Seconds a client has to send a request head"},
    {"NIMBUS_HTTPS", "https", T_BOOL, "1",
     "1: serve HTTPS on the same port as HTTP (told apart by a connection's first byte); 0: HTTP only"},
    {"CUSTOM_SSL_CERT_PATH", "custom-ssl-cert-path", T_STRING, NULL,
     "PEM file with the HTTPS certificate chain, and its key unless NIMBUS_SSL_KEY_PATH names one "
     "[default: a certificate made once into DATA_DIR/tls, signed by the CA DATA_DIR/tls/ca.crt]"},
    {"NIMBUS_SSL_KEY_PATH", "ssl-key-path", T_STRING, NULL, "PEM file with the private key of CUSTOM_SSL_CERT_PATH"},
    {"NIMBUS_TLS_HANDSHAKE_TIMEOUT", "tls-handshake-timeout", T_SECONDS, "10",
     "Seconds a client has to finish its TLS handshake"},
    {"NIMBUS_SHUTDOWN_TIMEOUT", "shutdown-timeout", T_SECONDS, "10",
     "Seconds to let in-flight requests finish on SIGINT/SIGTERM"},
    {"EXTRA_CORS_ALLOWED_ORIGINS", "extra-cors-origins", T_LIST, "",
     "Comma-separated origins (http://myapp.test:8080, or *) allowed besides localhost, 127.0.0.1, [::1], "
     "*.localhost.localstack.cloud and app.localstack.cloud; requests from other origins get 403"},
    {"DISABLE_CORS_CHECKS", "disable-cors-checks", T_BOOL, "0",
     "1: let requests from any web page origin through (no 403 for disallowed origins)"},
    {"DISABLE_CORS_HEADERS", "disable-cors-headers", T_BOOL, "0", "1: send no default CORS headers"},
    {nb__setting_disable_custom_cors, nb__flag_disable_custom_cors, T_BOOL, "0",
     "1: services with CORS rules of their own (bucket CORS) answer with the default headers instead"},
    {nb__setting_skip_presign_check, nb__flag_skip_presign_check, T_BOOL, "1",
     "0: check the signatures of presigned URLs as LocalStack does (1: not checked; their expiry always is)"},
    {nb__setting_check_issued_keys, nb__flag_check_issued_keys, T_BOOL, "0",
     "1: verify the SigV4 signatures of requests signed with access keys a service issued (wrong secret: "
     "SignatureDoesNotMatch; expired session: ExpiredToken); the root account's keys (test, 12 digits) stay "
     "unchecked"},
    {"NIMBUS_ALLOWED_HOSTS", "allowed-hosts", T_LIST, NULL,
     "Comma-separated extra Host names to serve (*.example.test matches subdomains, * any); while listening on "
     "loopback only, other names get 403 (DNS rebinding); when set, also enforced on other addresses"},
    {"NIMBUS_MAX_STRUCTURED_BODY_SIZE", "max-structured-body-size", T_SIZE, NULL,
     "Largest parsed (JSON, XML, form, CBOR) request body in bytes, for every service [default: AWS's limit "
     "of each service, see docs/limits.md]"},
    {"NIMBUS_REQUEST_LOG", "request-log", T_STRING, NULL,
     "A file to append one JSON line to per AWS request answered (time, service, operation, status, "
     "duration_ms, account, region, request_id, error) [default: none]"},
    {"LS_LOG", "ls-log", T_STRING, NULL,
     "LocalStack's log level: trace, trace-internal or debug log as DEBUG=1; info (the default) logs a line per "
     "request; warn, warning or error drop those lines"},
    {"LOCALSTACK_VOLUME_DIR", "volume-dir", T_STRING, NULL,
     "LocalStack's volume folder (/var/lib/localstack in its image): unless DATA_DIR is set, state lives in its "
     "state/ folder"},
    {"DEFAULT_REGION", "default-region", T_STRING, "us-east-1",
     "Region of requests whose credentials name none (no SigV4 scope: unsigned, SigV2), of in-process calls and of "
     "init scripts"},
    {"NIMBUS_DEFAULT_ACCOUNT", "default-account", T_STRING, NULL,
     "Account of requests whose access key is neither a 12-digit account id nor a key a service issued "
     "(the credential registry) (123456789012: moto's) [default: "
     "MOTO_ACCOUNT_ID, else 000000000000]"},
    {"MOTO_ACCOUNT_ID", "moto-account-id", T_STRING, NULL, "moto's name of NIMBUS_DEFAULT_ACCOUNT (weaker than it)"},
    {"NIMBUS_INIT_PATH", "init-path", T_STRING, "/etc/localstack/init:/etc/nimbus/init",
     "':'-separated init hook folders: the .sh and .py files in their boot.d, start.d, ready.d and shutdown.d run "
     "at each stage (docs/init-hooks.md)"},
    /* read by core/store/store.c from the environment at each commit, so tests can arm it while
     * the server runs; listed here so that it is a known setting, not an unknown one */
    {"NIMBUS_FAULT_COMMIT", "fault-commit", T_STRING, NULL,
     "Tests only (environment): a file; while it exists (empty, or naming a service on a line) that service's "
     "commits fail as on a full disk"},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
    return -1;
}

static const setting_t *find_setting(const char *name) {
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    return NULL;
}

static const setting_t *find_flag(const char *flag, size_t len) {
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strlen(settings[i].flag) == len && strncmp(settings[i].flag, flag, len) == 0)
            return &settings[i];
    return NULL;
}

static bool known_dynamic(const char *name) { return strncmp(name, "PROVIDER_OVERRIDE_", 18) == 0; }

static nb__config_entry_t *entry(const nb__config_t *cfg, const char *name) {
    for (size_t i = 0; i < cfg->len; i++)
        if (strcmp(cfg->entries[i].name, name) == 0)
            return &cfg->entries[i];
    return NULL;
}

/* Sets (replaces) a raw value and where it came from. */
static int cfg_set(nb__config_t *cfg, const char *name, const char *value, nb__config_source_t source, int line) {
    char *v = strdup(value);
    if (v == NULL)
        return -1;
    nb__config_entry_t *e = entry(cfg, name);
    if (e == NULL) {
        char *n = strdup(name);
        nb__config_entry_t *grown = n ? realloc(cfg->entries, (cfg->len + 1) * sizeof *grown) : NULL;
        if (grown == NULL) {
            free(n);
            free(v);
            return -1;
        }
        cfg->entries = grown;
        e = &cfg->entries[cfg->len++];
        e->name = n;
        e->value = NULL;
    }
    free(e->value);
    e->value = v;
    e->source = source;
    e->line = line;
    return 0;
}

const char *nb__config_get(const nb__config_t *cfg, const char *name) {
    const nb__config_entry_t *e = entry(cfg, name);
    return e ? e->value : NULL;
}

static const char *env_value(char **envp, const char *name) {
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

const char *nb__config_lookup(const nb__config_t *cfg, const char *name, nb__config_source_t *source) {
    /* Names no core setting has were stored from the file and --set only: the environment
     * sits between them. */
    const nb__config_entry_t *e = entry(cfg, name);
    const char *env = e && e->source == NB_SRC_FLAG ? NULL : env_value(cfg->envp, name);
    if (env) {
        *source = NB_SRC_ENV;
        return env;
    }
    if (e && e->source != NB_SRC_DEFAULT) {
        *source = e->source;
        return e->value;
    }
    return NULL;
}

const char *nb__config_source_name(nb__config_source_t source) {
    switch (source) {
    case NB_SRC_DEFAULT: return "default";
    case NB_SRC_FILE: return "config file";
    case NB_SRC_ENV: return "environment";
    case NB_SRC_FLAG: return "flag";
    }
    return "default";
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_file(nb__config_t *cfg, const char *path, char **err) {
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fail(err, "config file %s: %s", path, strerror(errno));
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        if (strncmp(s, "export ", 7) == 0)
            s = trim(s + 7);
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            rc = fail(err, "config file %s:%d: expected KEY=VALUE, got '%s'", path, lineno, s);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
            val[vl - 1] = '\0';
            val++;
        }
        /* a name no core setting has may be a plugin's: checked once plugins are loaded */
        if (cfg_set(cfg, key, val, NB_SRC_FILE, lineno) != 0)
            rc = fail(err, "out of memory");
    }
    fclose(f);
    return rc;
}

bool nb__config_parse_bool(const char *v, bool *out) {
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off", ""};
    for (size_t i = 0; i < 4; i++)
        if (strcasecmp(v, yes[i]) == 0)
            return (*out = true), true;
    for (size_t i = 0; i < 5; i++)
        if (strcasecmp(v, no[i]) == 0)
            return (*out = false), true;
    return false;
}

bool nb__config_parse_u64(const char *v, uint64_t *out) {
    if (!isdigit((unsigned char)*v))
        return false;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    uint64_t mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mult = 1024ull * 1024 * 1024, end++;
    if (errno || *end != '\0' || (mult > 1 && n > UINT64_MAX / mult))
        return false;
    *out = (uint64_t)n * mult;
    return true;
}

bool nb__config_parse_seconds(const char *v, double *out) {
    static const struct {
        const char *unit;
        double seconds;
    } units[] = {{"", 1}, {"s", 1}, {"ms", 0.001}, {"m", 60}, {"h", 3600}};
    if (!isdigit((unsigned char)*v) && *v != '.')
        return false;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || d < 0 || d != d)
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            *out = d * units[i].seconds;
            return true;
        }
    return false;
}

const char *nb__config_client_host(const char *listen_host) {
    if (strcmp(listen_host, "0.0.0.0") == 0)
        return "127.0.0.1";
    if (strcmp(listen_host, "::") == 0)
        return "::1";
    return listen_host;
}

static int parse_listen(nb__config_t *cfg, const char *v, char **err) {
    cfg->nlisten = 0;
    char *copy = strdup(v), *save = NULL;
    if (copy == NULL)
        return fail(err, "out of memory");
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        /* As LocalStack: ":4566" is the default host, "0.0.0.0" the default port. */
        char *colon = strrchr(tok, ':');
        if (colon && colon != tok && strchr(tok, ']') > colon) /* "[::1]": a bracketed host alone */
            colon = NULL;
        char *host = tok;
        const char *port_text = "4566";
        if (colon) {
            *colon = '\0';
            port_text = colon + 1;
        }
        if (*host == '\0')
            host = "127.0.0.1";
        if (host[0] == '[') { /* [::1]:4566 */
            host++;
            size_t hl = strlen(host);
            if (hl == 0 || host[hl - 1] != ']') {
                rc = -1;
                break;
            }
            host[hl - 1] = '\0';
        }
        char *end;
        long port = strtol(port_text, &end, 10);
        if (*host == '\0' || *port_text == '\0' || *end != '\0' || port < 0 || port > 65535 || strlen(host) >= sizeof cfg->listen[0].host ||
            cfg->nlisten == NB_MAX_LISTEN) {
            rc = -1;
            break;
        }
        snprintf(cfg->listen[cfg->nlisten].host, sizeof cfg->listen[0].host, "%s", host);
        cfg->listen[cfg->nlisten++].port = (int)port;
    }
    free(copy);
    if (rc != 0 || cfg->nlisten == 0)
        return fail(err,
                    "GATEWAY_LISTEN: invalid value '%s': expected comma-separated host:port (port 0-65535, at most "
                    "%d), e.g. 127.0.0.1:4566,[::1]:4566",
                    v, NB_MAX_LISTEN);
    return 0;
}

static void free_list(char **list) {
    for (char **s = list; s && *s; s++)
        free(*s);
    free(list);
}

/* The trimmed, non-empty items of a comma-separated value as a NULL-terminated list
 * (NULL when there are none; nb__config_free frees it, also after an error). -1: out of memory. */
static int split_list(const char *v, char ***out) {
    *out = NULL;
    char *copy = strdup(v), *save = NULL;
    char **list = copy ? calloc(strlen(v) / 2 + 2, sizeof *list) : NULL;
    if (list == NULL) {
        free(copy);
        return -1;
    }
    size_t n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (*tok == '\0')
            continue;
        if ((list[n++] = strdup(tok)) == NULL) {
            free_list(list);
            free(copy);
            return -1;
        }
    }
    free(copy);
    if (n == 0) {
        free(list);
        list = NULL;
    }
    *out = list;
    return 0;
}

static int parse_services(nb__config_t *cfg, const char *v, char **err) {
    if (split_list(v, &cfg->services) != 0)
        return fail(err, "out of memory");
    for (char **s = cfg->services; s && *s; s++) {
        for (char *c = *s; *c; c++) {
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.') {
                return fail(err, "SERVICES: invalid service name '%s': expected comma-separated service names (folders under specs/)", *s);
            }
            *c = (char)tolower((unsigned char)*c);
        }
    }
    return 0;
}

/* EXTRA_CORS_ALLOWED_ORIGINS: origins as browsers send them in Origin, scheme://host[:port]
 * without a path (a trailing '/' is dropped), "null", or "*" for any. */
static int parse_origins(nb__config_t *cfg, const char *v, char **err) {
    if (split_list(v, &cfg->cors_origins) != 0)
        return fail(err, "out of memory");
    for (char **s = cfg->cors_origins; s && *s; s++) {
        size_t len = strlen(*s);
        if (len > 1 && (*s)[len - 1] == '/' && (*s)[len - 2] != '/')
            (*s)[len - 1] = '\0';
        const char *sep = strstr(*s, "://");
        if (strcmp(*s, "*") != 0 && strcmp(*s, "null") != 0 && (sep == NULL || sep == *s || strchr(sep + 3, '/'))) {
            return fail(err, "EXTRA_CORS_ALLOWED_ORIGINS: invalid origin '%s': expected comma-separated "
                             "scheme://host[:port] (e.g. http://myapp.test:8080) or *", *s);
        }
    }
    return 0;
}

/* NIMBUS_ALLOWED_HOSTS: host names without port, "*.suffix" for its subdomains, or "*". */
static int parse_hosts(nb__config_t *cfg, const char *v, char **err) {
    if (v == NULL)
        return 0;
    if (split_list(v, &cfg->allowed_hosts) != 0)
        return fail(err, "out of memory");
    for (char **s = cfg->allowed_hosts; s && *s; s++) {
        bool any = strcmp(*s, "*") == 0;
        char *name = strncmp(*s, "*.", 2) == 0 ? *s + 2 : any ? *s + 1 : *s;
        bool ok = any || *name != '\0';
        for (char *c = name; *c && ok; c++) {
            ok = isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '_';
            *c = (char)tolower((unsigned char)*c);
        }
        if (!ok)
            return fail(err, "NIMBUS_ALLOWED_HOSTS: invalid host '%s': expected comma-separated host names without "
                             "port (nimbus, *.example.test) or *", *s);
    }
    return 0;
}

/* Whether every address Nimbus listens on is a loopback one, so that only processes of this
 * machine (and the browsers running here) reach it. */
static bool listens_on_loopback_only(const nb__config_t *cfg) {
    for (size_t i = 0; i < cfg->nlisten; i++) {
        const char *h = cfg->listen[i].host;
        if (strncmp(h, "127.", 4) != 0 && strcmp(h, "::1") != 0 && strcasecmp(h, "localhost") != 0)
            return false;
    }
    return cfg->nlisten > 0;
}

static int validate(nb__config_t *cfg, char **err) {
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_t *s = &settings[i];
        const char *v = nb__config_get(cfg, s->name);
        if (v == NULL)
            continue;
        bool b;
        uint64_t u;
        switch (s->type) {
        case T_BOOL:
            if (!nb__config_parse_bool(v, &b))
                return fail(err, "%s: invalid value '%s': expected 0 or 1 (also true/false, yes/no, on/off)", s->name, v);
            break;
        case T_SIZE:
            if (!nb__config_parse_u64(v, &u) || u == 0)
                return fail(err, "%s: invalid value '%s': expected a positive number of bytes (suffix k, m or g allowed)",
                            s->name, v);
            break;
        case T_SECONDS:
            if (!nb__config_parse_u64(v, &u) || u > 86400 * 365)
                return fail(err, "%s: invalid value '%s': expected a number of seconds", s->name, v);
            break;
        case T_LISTEN:
        case T_LIST:
        case T_STRING:
            break;
        }
    }
    static const char *const levels[] = {"trace", "trace-internal", "debug", "info", "warn", "warning", "error"};
    const char *level = nb__config_get(cfg, "LS_LOG");
    bool level_ok = level == NULL;
    for (size_t i = 0; !level_ok && i < sizeof levels / sizeof levels[0]; i++)
        level_ok = strcasecmp(level, levels[i]) == 0;
    if (!level_ok)
        return fail(err, "LS_LOG: invalid value '%s': expected trace, trace-internal, debug, info, warn, warning or "
                         "error", level);
    const char *region = nb__config_get(cfg, "DEFAULT_REGION");
    if (region == NULL || strlen(region) >= 32 || !nb__is_region_name(region)) /* 32: the context's buffer */
        return fail(err, "DEFAULT_REGION: invalid value '%s': expected a region name such as us-east-1", region);
    static const char *const account_names[] = {"NIMBUS_DEFAULT_ACCOUNT", "MOTO_ACCOUNT_ID"};
    for (size_t i = 0; i < 2; i++) {
        const char *account = nb__config_get(cfg, account_names[i]);
        if (account && !nb__is_account_id(account))
            return fail(err, "%s: invalid value '%s': expected a 12-digit account id such as 123456789012",
                        account_names[i], account);
    }
    const char *lh = nb__config_get(cfg, "LOCALSTACK_HOST");
    if (lh && (*lh == '\0' || strchr(lh, '/') || strchr(lh, ' ')))
        return fail(err, "LOCALSTACK_HOST: invalid value '%s': expected host or host:port", lh);
    return 0;
}

static uint64_t get_u64(const nb__config_t *cfg, const char *name) {
    uint64_t u = 0;
    nb__config_parse_u64(nb__config_get(cfg, name), &u);
    return u;
}

static bool get_bool(const nb__config_t *cfg, const char *name) {
    bool b = false;
    nb__config_parse_bool(nb__config_get(cfg, name), &b);
    return b;
}

static int apply_flag(nb__config_t *cfg, int argc, char **argv, int *i, char **err) {
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const setting_t *s = find_flag(arg, len);
    if (s == NULL && strncmp(arg, "set", len) == 0 && len == 3) { /* --set KEY=VALUE */
        const char *kv = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
        const char *e = kv ? strchr(kv, '=') : NULL;
        if (e == NULL)
            return fail(err, "--set: expected KEY=VALUE");
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(e - kv), kv);
        return cfg_set(cfg, key, e + 1, NB_SRC_FLAG, 0); /* a plugin's, or checked once plugins are loaded */
    }
    if (s == NULL)
        return fail(err, "unknown option '--%.*s' (see nimbus --help)", (int)len, arg);
    const char *value = eq ? eq + 1 : NULL;
    if (value == NULL) {
        if (s->type == T_BOOL && (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0))
            value = "1"; /* a bare boolean flag: --persistence */
        else if (*i + 1 < argc)
            value = argv[++*i];
        else
            return fail(err, "option --%s needs a value", s->flag);
    }
    return cfg_set(cfg, s->name, value, NB_SRC_FLAG, 0);
}

nb__config_result_t nb__config_load(nb__config_t *cfg, int argc, char **argv, char **envp, FILE *out, char **err) {
    memset(cfg, 0, sizeof *cfg);
    cfg->envp = envp;
    *err = NULL;
    /* --help, --version and --config first: they decide what is read. */
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            nb__config_print_help(out);
            return NB_CONFIG_HELP;
        }
        if (strcmp(argv[i], "--version") == 0) {
            fprintf(out, "nimbus %s\n", NB_VERSION_STRING);
            return NB_CONFIG_VERSION;
        }
        if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        else if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                fail(err, "option --config needs a file");
                return NB_CONFIG_ERROR;
            }
            file = argv[++i];
        }
    }
    for (char **e = envp; file == NULL && e && *e; e++)
        if (strncmp(*e, "NIMBUS_CONFIG=", 14) == 0 && (*e)[14] != '\0') /* empty: no file */
            file = *e + 14;
    /* Weakest first: file, environment, flags; then defaults for what none of them set. */
    if (file) {
        cfg->config_file = file;
        if (load_file(cfg, file, err) != 0)
            return NB_CONFIG_ERROR;
    }
    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL)
            continue;
        char key[128];
        if ((size_t)(eq - *e) >= sizeof key)
            continue;
        snprintf(key, sizeof key, "%.*s", (int)(eq - *e), *e);
        if ((find_setting(key) || known_dynamic(key)) && cfg_set(cfg, key, eq + 1, NB_SRC_ENV, 0) != 0)
            goto oom;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--config=", 9) == 0)
            continue;
        if (strncmp(argv[i], "--", 2) != 0) {
            fail(err, "unexpected argument '%s' (see nimbus --help)", argv[i]);
            return NB_CONFIG_ERROR;
        }
        if (apply_flag(cfg, argc, argv, &i, err) != 0)
            return NB_CONFIG_ERROR;
    }
    /* Only the default's IPv6 loopback may be missing (IPv6 disabled): a given address must work. */
    bool default_listen = nb__config_get(cfg, "GATEWAY_LISTEN") == NULL;
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].def && nb__config_get(cfg, settings[i].name) == NULL &&
            cfg_set(cfg, settings[i].name, settings[i].def, NB_SRC_DEFAULT, 0) != 0)
            goto oom;
    if (validate(cfg, err) != 0 || parse_listen(cfg, nb__config_get(cfg, "GATEWAY_LISTEN"), err) != 0 ||
        parse_services(cfg, nb__config_get(cfg, "SERVICES"), err) != 0 ||
        parse_origins(cfg, nb__config_get(cfg, "EXTRA_CORS_ALLOWED_ORIGINS"), err) != 0 ||
        parse_hosts(cfg, nb__config_get(cfg, "NIMBUS_ALLOWED_HOSTS"), err) != 0)
        return NB_CONFIG_ERROR;
    for (size_t i = 0; i < cfg->nlisten; i++)
        cfg->listen[i].optional = default_listen && strchr(cfg->listen[i].host, ':') != NULL;
    /* Booleans read through nb__config_get (plugins' nb_config_get) are "1" or "0", whatever the spelling. */
    for (size_t i = 0; i < NSETTINGS; i++) {
        const nb__config_entry_t *e = entry(cfg, settings[i].name);
        if (settings[i].type == T_BOOL && e &&
            cfg_set(cfg, e->name, get_bool(cfg, e->name) ? "1" : "0", e->source, e->line) != 0)
            goto oom;
    }
    cfg->eager_loading = get_bool(cfg, "EAGER_SERVICE_LOADING");
    cfg->persistence = get_bool(cfg, "PERSISTENCE");
    cfg->debug = get_bool(cfg, "DEBUG");
    /* As LocalStack: DEBUG=1 is LS_LOG=debug, and a finer level turns it on. */
    const char *level = nb__config_get(cfg, "LS_LOG");
    if (level && (strcasecmp(level, "debug") == 0 || strncasecmp(level, "trace", 5) == 0))
        cfg->debug = true;
    cfg->quiet = level && (strncasecmp(level, "warn", 4) == 0 || strcasecmp(level, "error") == 0);
    cfg->default_region = nb__config_get(cfg, "DEFAULT_REGION");
    cfg->default_account = nb__config_get(cfg, "NIMBUS_DEFAULT_ACCOUNT");
    if (cfg->default_account == NULL)
        cfg->default_account = nb__config_get(cfg, "MOTO_ACCOUNT_ID");
    if (cfg->default_account == NULL)
        cfg->default_account = "000000000000";
    cfg->init_path = nb__config_get(cfg, "NIMBUS_INIT_PATH");
    cfg->disable_cors_checks = get_bool(cfg, "DISABLE_CORS_CHECKS");
    cfg->disable_cors_headers = get_bool(cfg, "DISABLE_CORS_HEADERS");
    cfg->disable_custom_cors = get_bool(cfg, nb__setting_disable_custom_cors);
    cfg->check_issued_keys = get_bool(cfg, nb__setting_check_issued_keys);
    cfg->loopback_only = listens_on_loopback_only(cfg);
    if (nb__config_get(cfg, "LOCALSTACK_HOST") == NULL) { /* as LocalStack: the port it listens on */
        char lh[128];
        snprintf(lh, sizeof lh, "localhost.localstack.cloud:%d", cfg->listen[0].port);
        if (cfg_set(cfg, "LOCALSTACK_HOST", lh, NB_SRC_DEFAULT, 0) != 0)
            goto oom;
    }
    cfg->localstack_host = nb__config_get(cfg, "LOCALSTACK_HOST");
    cfg->plugin_path = nb__config_get(cfg, "NIMBUS_PLUGIN_PATH");
    cfg->spec_path = nb__config_get(cfg, "NIMBUS_SPEC_PATH");
    cfg->request_log = nb__config_get(cfg, "NIMBUS_REQUEST_LOG");
    cfg->data_dir = nb__config_get(cfg, "DATA_DIR");
    const char *volume = nb__config_get(cfg, "LOCALSTACK_VOLUME_DIR");
    if (cfg->data_dir == NULL && volume && *volume) { /* LocalStack's layout: <volume>/state */
        char dd[4096];
        snprintf(dd, sizeof dd, "%s/state", volume);
        if (cfg_set(cfg, "DATA_DIR", dd, NB_SRC_DEFAULT, 0) != 0)
            goto oom;
        cfg->data_dir = nb__config_get(cfg, "DATA_DIR");
    }
    if (cfg->data_dir == NULL) {
        const char *home = NULL;
        for (char **e = envp; e && *e; e++)
            if (strncmp(*e, "HOME=", 5) == 0)
                home = *e + 5;
        char dd[4096];
        snprintf(dd, sizeof dd, "%s/.local/share/nimbus", home && *home ? home : "/tmp");
        if (cfg_set(cfg, "DATA_DIR", dd, NB_SRC_DEFAULT, 0) != 0)
            goto oom;
        cfg->data_dir = nb__config_get(cfg, "DATA_DIR");
    }
    cfg->max_header_bytes = (size_t)get_u64(cfg, "NIMBUS_MAX_HEADER_SIZE");
    cfg->max_body_bytes = get_u64(cfg, "NIMBUS_MAX_BODY_SIZE");
    cfg->body_spill_bytes = (size_t)get_u64(cfg, "NIMBUS_BODY_SPILL_THRESHOLD");
    cfg->idle_timeout_ms = get_u64(cfg, "NIMBUS_IDLE_TIMEOUT") * 1000;
    cfg->header_timeout_ms = get_u64(cfg, "NIMBUS_HEADER_TIMEOUT") * 1000;
    cfg->shutdown_grace_ms = get_u64(cfg, "NIMBUS_SHUTDOWN_TIMEOUT") * 1000;
    cfg->https = get_bool(cfg, "NIMBUS_HTTPS");
    cfg->ssl_cert_path = nb__config_get(cfg, "CUSTOM_SSL_CERT_PATH");
    cfg->ssl_key_path = nb__config_get(cfg, "NIMBUS_SSL_KEY_PATH");
    cfg->tls_handshake_timeout_ms = get_u64(cfg, "NIMBUS_TLS_HANDSHAKE_TIMEOUT") * 1000;
    if (nb__config_get(cfg, "NIMBUS_MAX_STRUCTURED_BODY_SIZE"))
        cfg->max_structured_bytes = get_u64(cfg, "NIMBUS_MAX_STRUCTURED_BODY_SIZE");
    return NB_CONFIG_OK;
oom:
    fail(err, "out of memory");
    return NB_CONFIG_ERROR;
}

bool nb__config_service_enabled(const nb__config_t *cfg, const char *service) {
    if (cfg->services == NULL)
        return true;
    for (char **s = cfg->services; *s; s++)
        if (strcasecmp(*s, service) == 0)
            return true;
    return false;
}

void nb__config_print_help(FILE *out) {
    fprintf(out,
            "nimbus %s - a local AWS cloud emulator (LocalStack-compatible)\n\n"
            "usage: nimbus [--config FILE] [--SETTING VALUE ...] [--set NAME=VALUE]\n\n"
            "Each setting comes from a flag, else the environment, else the config file\n"
            "(KEY=VALUE lines), else its default.\n\n",
            NB_VERSION_STRING);
    for (size_t i = 0; i < NSETTINGS; i++)
        nb__config_print_line(out, settings[i].flag, settings[i].name, settings[i].help, settings[i].def);
    nb__config_print_line(out, "set NAME=VALUE", "PROVIDER_OVERRIDE_<SERVICE>",
                          "Which plugin serves a service when several do (by plugin name)", NULL);
    nb__config_print_line(out, "config FILE", "NIMBUS_CONFIG", "Read settings from FILE", NULL);
    nb__config_print_line(out, "help", "", "Print this help", NULL);
    nb__config_print_line(out, "version", "", "Print the version", NULL);
    fprintf(out, "\n  nimbus config [--SETTING VALUE ...]: print every setting's value and where it came from\n");
}

void nb__config_print_line(FILE *out, const char *flag, const char *name, const char *help, const char *def) {
    fprintf(out, "  %s%-24s %-28s %s", flag ? "--" : "  ", flag ? flag : "", name, help ? help : "");
    if (def && *def)
        fprintf(out, " [default: %s]", def);
    fputc('\n', out);
}

void nb__config_print_values(const nb__config_t *cfg, FILE *out) {
    fprintf(out, "core:\n");
    for (size_t i = 0; i < cfg->len; i++) {
        const nb__config_entry_t *e = &cfg->entries[i];
        if (find_setting(e->name) || known_dynamic(e->name))
            fprintf(out, "  %s=%s (%s)\n", e->name, e->value, nb__config_source_name(e->source));
    }
}

/* The environment's name of entry "K=V" in buf; false if it has none or it is too long. */
static bool env_name(const char *kv, char *buf, size_t len) {
    const char *eq = strchr(kv, '=');
    if (eq == NULL || (size_t)(eq - kv) >= len)
        return false;
    snprintf(buf, len, "%.*s", (int)(eq - kv), kv);
    return true;
}

static bool known(const char *name, bool (*declared)(void *, const char *), void *ctx) {
    return find_setting(name) || known_dynamic(name) || strcmp(name, "NIMBUS_CONFIG") == 0 ||
           nb__config_ignored(name) || (declared && declared(ctx, name));
}

int nb__config_check_unknown(const nb__config_t *cfg, bool (*declared)(void *ctx, const char *name),
                             bool (*looks_like)(void *ctx, const char *name), void *ctx, FILE *warn, char **err) {
    *err = NULL;
    for (size_t i = 0; i < cfg->len; i++) {
        const nb__config_entry_t *e = &cfg->entries[i];
        if (known(e->name, declared, ctx))
            continue;
        if (e->source == NB_SRC_FILE)
            return fail(err, "config file %s:%d: unknown setting '%s' (see nimbus --help)", cfg->config_file, e->line,
                        e->name);
        return fail(err, "--set: unknown setting '%s' (see nimbus --help)", e->name);
    }
    for (char **kv = cfg->envp; warn && kv && *kv; kv++) {
        char name[128];
        if (!env_name(*kv, name, sizeof name))
            continue;
        const char *missing = NULL, *as = nb__config_ignored_as(name, &missing), *value = *kv + strlen(name) + 1;
        bool b, as_b;
        if (as && nb__config_parse_bool(value, &b) && nb__config_parse_bool(as, &as_b) && b != as_b)
            fprintf(warn, "nimbus: %s=%s is not supported: Nimbus behaves as with %s=%s (%s)\n", name, value, name,
                    as, missing);
        if (known(name, declared, ctx))
            continue;
        if (strncmp(name, "NIMBUS_", 7) == 0 || strncmp(name, "LOCALSTACK_", 11) == 0 ||
            (looks_like && looks_like(ctx, name)))
            fprintf(warn, "nimbus: unknown setting %s: ignored (see nimbus --help)\n", name);
    }
    return 0;
}

void nb__config_free(nb__config_t *cfg) {
    for (size_t i = 0; i < cfg->len; i++) {
        free(cfg->entries[i].name);
        free(cfg->entries[i].value);
    }
    free(cfg->entries);
    free_list(cfg->services);
    free_list(cfg->cors_origins);
    free_list(cfg->allowed_hosts);
    memset(cfg, 0, sizeof *cfg);
}
