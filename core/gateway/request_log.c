/* NIMBUS_REQUEST_LOG: one JSON object per line for each AWS request answered, for tools to read
 * (jq, a test's assertions, a dashboard). Written when the response is finished (request.c's
 * log stage); when the setting is unset the gateway's file is NULL and that stage pays one
 * branch. Each line is written before its response is sent (line-buffered): a client that has
 * its answer finds the line in the file, which is what a test asserting on the log needs. */
#include "gateway/request.h"

#include <errno.h>
#include <string.h>

#include "gateway/log_line.h"
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

/* ,"name":"value" (a value that needs no escaping). */
static void put_field(nb__buf_t *l, const char *name, const char *value) {
    nb__buf_puts(l, ",\"");
    nb__buf_puts(l, name);
    nb__buf_puts(l, "\":\"");
    nb__buf_puts(l, value);
    nb__buf_putc(l, '"');
}

/* Built like the text log's line (log_line.h). The error code is a plugin's text, escaped; the
 * other fields are names (spec identifiers, digits, a checked region, a UUID) that need none. */
void nb__request_log_write(const nb_req_t *req, int status) {
    nb__buf_t *l = nb__log_line_begin();
    nb__buf_puts(l, "{\"time\":\"");
    nb__log_line_time(l);
    nb__buf_puts(l, "Z\"");
    put_field(l, "service", nb__log_service(req));
    put_field(l, "operation", nb__log_operation(req));
    nb__buf_puts(l, ",\"status\":");
    nb__log_line_int(l, status);
    nb__buf_puts(l, ",\"duration_ms\":");
    nb__log_line_elapsed_ms(l, req, 3);
    put_field(l, "account", req->ctx.account);
    put_field(l, "region", req->ctx.region);
    put_field(l, "request_id", req->request_id);
    nb__buf_puts(l, ",\"error\":");
    if (req->has_error && req->err.code) {
        nb__buf_putc(l, '"');
        nb__log_line_json_chars(l, req->err.code);
        nb__buf_puts(l, "\"}\n");
    } else {
        nb__buf_puts(l, "null}\n");
    }
    nb__log_line_write(l, req->gw->request_log);
}
