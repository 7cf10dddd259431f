/* moto-server's endpoints, for suites written against moto:
 *   POST /moto-api/reset       clears every service's state: {"status": "ok"}, as moto answers
 *   GET  /moto-api/data.json   the state of the services started, as moto's {service: {model: [...]}}:
 *                              here each model is a table of the service's store and each item a row
 *                              of it (store/dump.c); nothing for a service not started yet */
#include <string.h>

#include "gateway/internal.h"
#include "store/store.h"

bool nb__moto_api(nb__gateway_t *gw, nb__http_exchange_t *x, nb__http_request_t *req) {
    if (strncmp(req->path, "/moto-api/", 10) != 0)
        return false;
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    bool failed = false;
    if (strcmp(req->path, "/moto-api/reset") == 0 && strcmp(req->method, "POST") == 0) {
        json_t *done = nb__internal_reset_all(gw, &failed);
        if (failed)
            nb__internal_respond_json(gw, x, req, 500, done);
        else {
            json_decref(done);
            nb__internal_respond_json(gw, x, req, 200, json_pack("{s:s}", "status", "ok"));
        }
    } else if (strcmp(req->path, "/moto-api/data.json") == 0 && get) {
        json_t *doc = nb__internal_per_store(gw, nb__store_dump, "/moto-api/data.json", &failed);
        nb__internal_respond_json(gw, x, req, failed ? 500 : 200, doc);
    } else {
        nb__internal_respond_json(gw, x, req, 404, json_pack("{s:s}", "error", "no such moto-api endpoint"));
    }
    return true;
}
