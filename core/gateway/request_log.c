/* NIMBUS_REQUEST_LOG: one JSON object per line for each AWS request answered, for tools to read
 * (jq, a test's assertions, a dashboard). Written when the response is finished (request.c's
 * log stage); when the setting is unset the gateway's file is NULL and that stage pays one
 * branch. Each line is written before its response is sent (line-buffered): a client that has
 * its answer finds the line in the file, which is what a test asserting on the log needs. */
#include "gateway/request.h"

#include <errno.h>
#include <string.h>

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
    if (gw->request_log == NULL)
        return;
    fclose(gw->request_log);
    gw->request_log = NULL;
}

/* A JSON string's contents: the error code is a plugin's text, the other fields are names
 * (spec identifiers, digits, a checked region, a UUID) that need no escaping. */
static void put_escaped(FILE *f, const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

void nb__request_log_write(const nb_req_t *req, int status) {
    long ms;
    const char *stamp = nb__log_time(&ms);
    FILE *f = req->gw->request_log;
    fprintf(f,
            "{\"time\":\"%s.%03ldZ\",\"service\":\"%s\",\"operation\":\"%s\",\"status\":%d,\"duration_ms\":%.3f,"
            "\"account\":\"%s\",\"region\":\"%s\",\"request_id\":\"%s\",\"error\":",
            stamp, ms, req->route.spec ? req->route.spec->service : "unknown",
            req->route.op ? req->route.op->name : "UnknownOperation", status,
            (double)(uv_hrtime() - req->start_ns) / 1e6, req->ctx.account, req->ctx.region, req->request_id);
    if (req->has_error && req->err.code) {
        fputc('"', f);
        put_escaped(f, req->err.code);
        fputs("\"}\n", f);
    } else {
        fputs("null}\n", f);
    }
}
