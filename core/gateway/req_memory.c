#include "gateway/req_memory.h"

#include "gateway/request.h"
#include "nimbus/errno.h"
#include "util/arena.h"

void *nb__req_alloc(nb_req_t *req, size_t size) { return req ? nb__arena_alloc(&req->arena, size) : NULL; }

char *nb__req_strdup(nb_req_t *req, const char *s) {
    return req && s ? nb__arena_strdup(&req->arena, s) : NULL;
}

char *nb__req_printf(nb_req_t *req, const char *fmt, ...) {
    if (req == NULL || fmt == NULL)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *s = nb__arena_vprintf(&req->arena, fmt, ap);
    va_end(ap);
    return s;
}

int nb__req_on_free(nb_req_t *req, void (*fn)(void *data), void *data) {
    return req && fn ? nb__arena_on_free(&req->arena, fn, data) : NB_EINVAL;
}
