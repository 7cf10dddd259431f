/*
 * Outbound HTTP requests of plugins (ABI 1.10, nimbus/http_out.h): what the API table and the
 * server's stop and unload paths call. Every request under way is on one list, by owner.
 */
#ifndef NB_NET_HTTP_OUT_H
#define NB_NET_HTTP_OUT_H

#include "nimbus/plugin.h"

int nb__http_send(nb_plugin_t *self, const nb_http_request_t *req, nb_http_out_cb cb, void *data,
                  nb_http_out_t **out);
void nb__http_cancel(nb_http_out_t *h);
/* Every request of owner (NULL: of every plugin) ends now with NB_ECANCELED, its callback run. */
void nb__http_out_cancel_all(nb_plugin_t *owner);
/* The plugin's code goes: its requests still under way are closed without a callback. */
void nb__http_out_release(nb_plugin_t *owner);

#endif
