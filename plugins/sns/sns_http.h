/*
 * SNS deliveries to HTTP/HTTPS subscribers (sns_http.c): sns_http_deliver is declared with the
 * outbox in sns_deliver.h; this adds what the plugin's fini calls.
 */
#ifndef SNS_HTTP_H
#define SNS_HTTP_H

#include "sns_deliver.h"

/* Drops every HTTP delivery of self under way or waiting for a retry (its POST cancelled, its
 * retry timer stopped) without sns_delivery_done: their outbox rows stay for the next start.
 * The sns plugin's fini calls it, so nothing of them outlives the plugin. */
void sns_http_stop(nb_plugin_t *self);

#endif
