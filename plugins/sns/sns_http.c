/*
 * SNS deliveries to HTTP/HTTPS subscribers (sns_deliver.h): one POST per attempt through the
 * core's outbound client (nb_http_send, ABI 1.10), AWS's headers, and the retries the delivery
 * policy asks for, waited out on timers: the loop never blocks.
 *
 * AWS counts an answer from 200 to 499 as delivered (a 4xx is not retried) and retries a 5xx, a
 * timeout (15 s an attempt) or a failed connection. A delivery under way when the server stops is
 * dropped here without sns_delivery_done: its outbox row stays, and the drain hands it out again
 * after the restart.
 *
 * Certificates: an https endpoint must present one the system's CA store trusts, as AWS requires,
 * except on a loopback host (localhost, 127.0.0.0/8, ::1), where the self-signed certificates of
 * local test endpoints are accepted.
 */
#include "sns_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ATTEMPT_TIMEOUT_MS 15000
#define USER_AGENT "Amazon Simple Notification Service Agent"
#define CONTENT_TYPE_DEFAULT "text/plain; charset=UTF-8"

/* The healthy retry policy of a DeliveryPolicy, in AWS's four phases: numNoDelayRetries at once,
 * numMinDelayRetries minDelayTarget apart, the backoff phase from minDelayTarget to
 * maxDelayTarget, then numMaxDelayRetries maxDelayTarget apart; numRetries in all. */
typedef enum backoff { BACKOFF_LINEAR, BACKOFF_ARITHMETIC, BACKOFF_GEOMETRIC, BACKOFF_EXPONENTIAL } backoff_t;

typedef struct retry_policy {
    int num_retries, no_delay, min_delay_retries, max_delay_retries;
    double min_delay, max_delay; /* seconds */
    backoff_t backoff;
} retry_policy_t;

typedef struct http_delivery {
    nb_plugin_t *self;
    int64_t outbox_id;
    char *endpoint, *body, *message_type, *message_id, *topic_arn, *subscription_arn, *content_type;
    size_t body_len;
    bool raw, insecure;
    retry_policy_t policy;
    int retries; /* made so far */
    nb_http_out_t *out;
    nb_timer_t *retry_timer;
    struct http_delivery *prev, *next;
} http_delivery_t;

static http_delivery_t *deliveries; /* every delivery under way or waiting for its next retry */

/* ---- the delivery policy ---- */

static int int_member(const json_t *o, const char *name, int fallback, int lo, int hi) {
    const json_t *v = json_object_get(o, name);
    if (!json_is_number(v))
        return fallback;
    double d = json_number_value(v);
    return d < lo ? lo : d > hi ? hi : (int)d;
}

/* AWS's default for HTTP/S: 3 retries, 20 seconds apart. */
static void read_policy(const char *text, retry_policy_t *p, char **content_type) {
    *p = (retry_policy_t){.num_retries = 3, .min_delay = 20, .max_delay = 20};
    *content_type = NULL;
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    if (doc == NULL)
        return;
    /* a subscription's policy, or a topic's, whose "http" member holds the defaults of its subscriptions */
    const json_t *http = json_object_get(doc, "http");
    const json_t *healthy = json_object_get(doc, "healthyRetryPolicy");
    if (healthy == NULL)
        healthy = json_object_get(http, "defaultHealthyRetryPolicy");
    const json_t *request = json_object_get(doc, "requestPolicy");
    if (request == NULL)
        request = json_object_get(http, "defaultRequestPolicy");
    if (json_is_object(healthy)) {
        p->num_retries = int_member(healthy, "numRetries", 3, 0, 100);
        p->no_delay = int_member(healthy, "numNoDelayRetries", 0, 0, p->num_retries);
        p->min_delay_retries = int_member(healthy, "numMinDelayRetries", 0, 0, p->num_retries - p->no_delay);
        p->max_delay_retries =
            int_member(healthy, "numMaxDelayRetries", 0, 0, p->num_retries - p->no_delay - p->min_delay_retries);
        p->min_delay = int_member(healthy, "minDelayTarget", 20, 0, 3600);
        p->max_delay = int_member(healthy, "maxDelayTarget", (int)p->min_delay, (int)p->min_delay, 3600);
        const char *fn = json_string_value(json_object_get(healthy, "backoffFunction"));
        p->backoff = fn == NULL                          ? BACKOFF_LINEAR
                     : strcasecmp(fn, "arithmetic") == 0  ? BACKOFF_ARITHMETIC
                     : strcasecmp(fn, "geometric") == 0   ? BACKOFF_GEOMETRIC
                     : strcasecmp(fn, "exponential") == 0 ? BACKOFF_EXPONENTIAL
                                                          : BACKOFF_LINEAR;
    }
    const char *ct = json_string_value(json_object_get(request, "headerContentType"));
    if (ct && *ct)
        *content_type = strdup(ct);
    json_decref(doc);
}

/* Seconds to wait before retry k (1-based). The backoff phase rises from minDelayTarget to
 * maxDelayTarget along its function's curve; its ends are AWS's, the curves between them an
 * approximation of AWS's (no jitter). */
static double retry_delay(const retry_policy_t *p, int k) {
    if (k <= p->no_delay)
        return 0;
    k -= p->no_delay;
    if (k <= p->min_delay_retries)
        return p->min_delay;
    k -= p->min_delay_retries;
    int backoff = p->num_retries - p->no_delay - p->min_delay_retries - p->max_delay_retries;
    if (k > backoff)
        return p->max_delay;
    double x = backoff > 1 ? (double)(k - 1) / (backoff - 1) : 1.0, f;
    switch (p->backoff) {
    case BACKOFF_ARITHMETIC: f = x * x; break;
    case BACKOFF_GEOMETRIC: f = x * x * x; break;
    case BACKOFF_EXPONENTIAL: { /* 2^(10x) from 1 to 1024, between its whole powers in straight lines */
        double e = 10.0 * x;
        int whole = (int)e;
        f = ((double)(1u << whole) * (1.0 + (e - whole)) - 1.0) / 1023.0;
        break;
    }
    default: f = x; break;
    }
    return p->min_delay + (p->max_delay - p->min_delay) * f;
}

/* ---- one delivery ---- */

static void delivery_free(http_delivery_t *d) {
    if (d->prev)
        d->prev->next = d->next;
    else if (deliveries == d)
        deliveries = d->next;
    if (d->next)
        d->next->prev = d->prev;
    if (d->retry_timer)
        nb_timer_stop(d->retry_timer);
    free(d->endpoint);
    free(d->body);
    free(d->message_type);
    free(d->message_id);
    free(d->topic_arn);
    free(d->subscription_arn);
    free(d->content_type);
    free(d);
}

static void ended(http_delivery_t *d, int delivered) {
    nb_plugin_t *self = d->self;
    int64_t id = d->outbox_id;
    delivery_free(d);
    sns_delivery_done(self, id, delivered);
}

static void attempt(http_delivery_t *d);

static void give_up(nb_timer_t *t, void *data) {
    (void)t;
    ended(data, 0); /* stops t */
}

static void retry_now(nb_timer_t *t, void *data) {
    (void)t;
    http_delivery_t *d = data;
    nb_timer_stop(d->retry_timer);
    d->retry_timer = NULL;
    attempt(d);
}

static void answered(const nb_http_result_t *r, void *data) {
    http_delivery_t *d = data;
    d->out = NULL;
    if (r->status == NB_ECANCELED) { /* the server stops: the outbox row stays for the next start */
        delivery_free(d);
        return;
    }
    if (r->status >= 200 && r->status < 500) {
        ended(d, 1);
        return;
    }
    char why[64];
    if (r->status < 0)
        snprintf(why, sizeof why, "%s", nb_strerror(r->status));
    else
        snprintf(why, sizeof why, "HTTP %d", r->status);
    if (d->retries >= d->policy.num_retries) {
        nb_log(d->self, NB_LOG_WARN, "sns: delivery of message %s to %s failed (%s) after %d retries", d->message_id,
               d->subscription_arn, why, d->retries);
        ended(d, 0);
        return;
    }
    double delay = retry_delay(&d->policy, ++d->retries);
    nb_log(d->self, NB_LOG_INFO, "sns: delivery of message %s to %s failed (%s): retry %d of %d in %.0f s",
           d->message_id, d->subscription_arn, why, d->retries, d->policy.num_retries, delay);
    d->retry_timer = nb_timer_start(d->self, (uint64_t)(delay * 1000), 0, retry_now, d);
    if (d->retry_timer == NULL)
        ended(d, 0);
}

/* One POST with AWS's headers; a failure to even start it ends the delivery. */
static void attempt(http_delivery_t *d) {
    nb_http_field_t headers[8];
    size_t n = 0;
    headers[n++] = (nb_http_field_t){"Content-Type", d->content_type ? d->content_type : CONTENT_TYPE_DEFAULT};
    headers[n++] = (nb_http_field_t){"User-Agent", USER_AGENT};
    headers[n++] = (nb_http_field_t){"x-amz-sns-message-type", d->message_type};
    headers[n++] = (nb_http_field_t){"x-amz-sns-message-id", d->message_id};
    headers[n++] = (nb_http_field_t){"x-amz-sns-topic-arn", d->topic_arn};
    if (strcmp(d->message_type, "SubscriptionConfirmation") != 0)
        headers[n++] = (nb_http_field_t){"x-amz-sns-subscription-arn", d->subscription_arn};
    if (d->raw)
        headers[n++] = (nb_http_field_t){"x-amz-sns-rawdelivery", "true"};
    nb_http_request_t rq = NB_HTTP_REQUEST_INIT;
    rq.method = "POST";
    rq.url = d->endpoint;
    rq.headers = headers;
    rq.nheaders = n;
    rq.body = d->body;
    rq.body_len = d->body_len;
    rq.timeout_ms = ATTEMPT_TIMEOUT_MS;
    rq.insecure_tls = d->insecure;
    int rc = nb_http_send(d->self, &rq, answered, d, &d->out);
    if (rc != 0) { /* an endpoint no retry can reach (not an http(s) URL) */
        nb_log(d->self, NB_LOG_WARN, "sns: delivery of message %s to %s cannot start: %s", d->message_id,
               d->subscription_arn, nb_strerror(rc));
        /* ended on the loop's next turn: the drain that handed d out is still on the stack */
        if ((d->retry_timer = nb_timer_start(d->self, 0, 0, give_up, d)) == NULL)
            ended(d, 0);
    }
}

/* Whether a URL's host is this machine's loopback. */
static bool loopback_url(const char *url) {
    const char *s = strstr(url, "://");
    if (s == NULL)
        return false;
    s += 3;
    size_t auth = strcspn(s, "/?#");
    const char *at = memchr(s, '@', auth);
    if (at)
        s = at + 1;
    if (strncmp(s, "[::1]", 5) == 0)
        return true;
    size_t host = strcspn(s, ":/?#");
    return (host == 9 && strncasecmp(s, "localhost", 9) == 0) || strncmp(s, "127.", 4) == 0;
}

void sns_http_deliver(nb_plugin_t *self, const sns_delivery_t *in) {
    http_delivery_t *d = calloc(1, sizeof *d);
    if (d == NULL) {
        sns_delivery_done(self, in->outbox_id, 0);
        return;
    }
    d->self = self;
    d->outbox_id = in->outbox_id;
    d->endpoint = strdup(in->endpoint ? in->endpoint : "");
    d->body = malloc(in->body_len + 1);
    d->message_type = strdup(in->message_type ? in->message_type : "Notification");
    d->message_id = strdup(in->message_id ? in->message_id : "");
    d->topic_arn = strdup(in->topic_arn ? in->topic_arn : "");
    d->subscription_arn = strdup(in->subscription_arn ? in->subscription_arn : "");
    d->body_len = in->body_len;
    d->raw = in->raw != 0;
    d->insecure = loopback_url(d->endpoint);
    read_policy(in->delivery_policy, &d->policy, &d->content_type);
    d->next = deliveries;
    if (deliveries)
        deliveries->prev = d;
    deliveries = d;
    if (!d->endpoint || !d->body || !d->message_type || !d->message_id || !d->topic_arn || !d->subscription_arn) {
        ended(d, 0);
        return;
    }
    if (in->body_len)
        memcpy(d->body, in->body, in->body_len);
    d->body[in->body_len] = '\0';
    attempt(d);
}

void sns_http_stop(nb_plugin_t *self) {
    for (http_delivery_t *d = deliveries, *next; d; d = next) {
        next = d->next;
        if (d->self != self)
            continue;
        nb_http_cancel(d->out);
        delivery_free(d);
    }
}
