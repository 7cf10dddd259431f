/* In-process events between plugins (events.c): nb_api_t's event functions. */
#ifndef NB_GATEWAY_EVENTS_H
#define NB_GATEWAY_EVENTS_H

#include "nimbus/plugin.h"

int nb__event_publish(nb_plugin_t *self, nb_req_t *req, const char *name, const char *account, const char *region,
                      json_t *detail_new);
nb_subscription_t *nb__event_subscribe(nb_plugin_t *self, const char *pattern, nb_event_cb cb, void *data);
void nb__event_unsubscribe(nb_subscription_t *sub);
int nb__event_subscribed(const char *name);

#endif
