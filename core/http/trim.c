/*
 * Giving memory back after a burst of connections. Freed connection and request memory stays
 * in malloc's free lists, scattered between live blocks, so the heap's top cannot shrink and
 * the RSS a burst of 20,000 connections left stays after they close. Once the connections have
 * fallen to half of their peak (and by at least NB__TRIM_MIN), malloc_trim() hands the free
 * pages to the kernel, a second later so that one trim covers a whole wave of closes.
 */
#include <malloc.h>

#include "http/server_int.h"

#define NB__TRIM_MIN 256       /* connections gone since the peak before a trim is worth it */
#define NB__TRIM_DELAY_MS 1000 /* closes of one wave coalesce into one trim */

static void on_trim(uv_timer_t *t) {
    nb__http_server_t *srv = t->data;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    srv->trim_peak = srv->nconns;
}

void nb__http_trim_init(nb__http_server_t *srv) {
    uv_timer_init(srv->loop, &srv->trim);
    srv->trim.data = srv;
    uv_unref((uv_handle_t *)&srv->trim); /* never what keeps the loop alive */
}

void nb__http_trim_conn_opened(nb__http_server_t *srv) {
    if (srv->nconns > srv->trim_peak)
        srv->trim_peak = srv->nconns;
}

void nb__http_trim_conn_gone(nb__http_server_t *srv) {
    if (srv->closing || uv_is_active((uv_handle_t *)&srv->trim))
        return;
    if (srv->trim_peak - srv->nconns >= NB__TRIM_MIN && srv->nconns <= srv->trim_peak / 2)
        uv_timer_start(&srv->trim, on_trim, NB__TRIM_DELAY_MS, 0);
}
