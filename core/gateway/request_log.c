/* NIMBUS_REQUEST_LOG: one JSON object per line for each AWS request answered, for tools to read
 * (jq, a test's assertions, a dashboard). Written when the response is finished (request.c's
 * log stage); when the setting is unset the gateway's file is NULL and that stage pays one
 * branch. Line-buffered: a reader sees each request as soon as it is answered. */
#include "gateway/request.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"

int nb__request_log_open(nb__gateway_t *gw, char **err) {
    const char *path = gw->cfg->request_log;
    if (path == NULL || *path == '\0')
        return 0;
    gw->request_log = fopen(path, "ae"); /* appended: a restart keeps the earlier lines */
    if (gw->request_log == NULL) {
        *err = nb__strdup_printf("NIMBUS_REQUEST_LOG: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    setvbuf(gw->request_log, NULL, _IOLBF, 0);
    return 0;
}

void nb__request_log_close(nb__gateway_t *gw) {
    if (gw->request_log)
        fclose(gw->request_log);
    gw->request_log = NULL;
}

void nb__request_log_write(const nb_req_t *req, int status) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char when[64], stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when, sizeof when, "%s.%03ldZ", stamp, now.tv_nsec / 1000000);
    double ms = (double)(uv_hrtime() - req->start_ns) / 1e6;
    json_t *line = json_pack("{s:s,s:s,s:s,s:i,s:f,s:s,s:s,s:s,s:s?}", "time", when, "service",
                             req->route.spec ? req->route.spec->service : "unknown", "operation",
                             req->route.op ? req->route.op->name : "UnknownOperation", "status", status,
                             "duration_ms", ms, "account", req->ctx.account,
                             "region", req->ctx.region, "request_id", req->request_id, "error",
                             req->has_error ? req->err.code : NULL);
    if (line == NULL)
        return;
    json_dumpf(line, req->gw->request_log, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    fputc('\n', req->gw->request_log);
    json_decref(line);
}
