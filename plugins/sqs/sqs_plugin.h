/*
 * SQS: queues and messages in the plugin's SQLite store; an in-memory table of
 * queues (rebuilt from the store at init) for lookups and long-poll waiters.
 */
#ifndef SQS_PLUGIN_H
#define SQS_PLUGIN_H

#include <stdbool.h>
#include <stdint.h>

#include <nimbus/plugin.h>
#include <nimbus/store.h>

#include "sqs_util.h"

typedef struct sqs_waiter sqs_waiter_t;

typedef struct sqs_queue {
    struct sqs_queue *hnext; /* hash chain */
    int64_t qid;
    char account[16], region[32], name[96];
    char arn[192];
    json_t *attrs; /* the settable attributes as AWS strings (defaults filled in): the row's copy */
    json_t *tags;
    double created, modified, last_purge;
    int64_t fifo_seq;
    /* parsed from attrs */
    int delay, max_size, retention, wait, visibility;
    bool fifo, cbd, dedup_per_group;
    char dlq_arn[192];
    int max_receive; /* 0: no redrive */
    json_t *attempts; /* FIFO ReceiveRequestAttemptId -> {expires, output}, NULL until used */
    int64_t inflight_hint; /* an upper bound of the messages in flight, recounted near the cap */
    /* long polls waiting on this queue, oldest first */
    sqs_waiter_t *whead, *wtail;
    nb_timer_t *wake; /* a wake-up of the waiters is scheduled, at wake_at */
    double wake_at;
} sqs_queue_t;

typedef struct sqs_state {
    nb_plugin_t *self;
    nb_store_t store;
    sqs_queue_t **buckets;
    size_t nbuckets, nqueues;
    int64_t next_qid;
    struct sqs_task *tasks; /* message move tasks, newest first */
    bool stopping;          /* the server stops: receives no longer wait */
    int url_strategy;       /* SQS_ENDPOINT_STRATEGY: SQS_URL_* */
} sqs_state_t;

enum { SQS_URL_STANDARD, SQS_URL_DOMAIN, SQS_URL_PATH, SQS_URL_OFF };

extern NB_PLUGIN_HIDDEN sqs_state_t sqs;

/* Queue table (sqs_queue.c) */
sqs_queue_t *sqs_queue_get(const char *account, const char *region, const char *name);
sqs_queue_t *sqs_queue_by_arn(const char *arn);
/* The queue a request's QueueUrl names; answers QueueDoesNotExist and returns NULL if none. */
sqs_queue_t *sqs_queue_from_url(nb_req_t *req, const json_t *in);
/* The queue a QueueUrl (or a bare name) names, NULL without an error set. */
sqs_queue_t *sqs_queue_named(nb_req_t *req, const char *url);
/* ENFORCE_IAM=1 (sqs_authz.c): the action table and the queue's Policy as its resource policy. */
extern const nb_authz_action_t sqs_actions[];
int sqs_resource_policy(nb_plugin_t *self, nb_req_t *req, const json_t *in, nb_resource_policy_t *out);
/* Queue URLs (sqs_url.c). The queue's URL in the shape SQS_ENDPOINT_STRATEGY selects, on the
 * request's memory (nb_req_printf); NULL if out of memory. */
const char *sqs_queue_url(nb_req_t *req, const sqs_queue_t *q);
/* /_aws/sqs/messages (sqs_dev.c): 0 or NB_E*. */
int sqs_dev_register(nb_plugin_t *self);
/* Reads SQS_ENDPOINT_STRATEGY: 0, or -1 (logged) for a value LocalStack does not have. */
int sqs_url_strategy_load(nb_plugin_t *self);
int sqs_queues_load(void);
void sqs_state_reset(void); /* drops the caches after a state reset */
/* Message row numbers (sqs_seq.c): load (again) from the store at init, after a rollback or a
 * reset; take one for each INSERT into messages (> 0, or NB_ESTORE). */
int sqs_seq_load(void);
int64_t sqs_seq_take(void);
void sqs_queues_free(void);
int sqs_queue_save_meta(sqs_queue_t *q);

/* Messages (sqs_message.c) */
/* The columns of a messages row that sqs_message_json reads, in its order. */
#define SQS_MESSAGE_COLUMNS "id, body, attrs, sysattrs, md5_body, sent, receives, first_receive, grp, dedup, seqno, src_arn"
/* A ReceiveMessage entry from a row of SQS_MESSAGE_COLUMNS: the system attributes (sysnames) and
 * message attributes (attrnames) asked for ("All" is all); NULL without memory. */
json_t *sqs_message_json(const sqs_queue_t *q, sqlite3_stmt *row, const json_t *sysnames, const json_t *attrnames,
                         const char *receipt);
void sqs_waiters_cancel(sqs_queue_t *q); /* answers every waiter (empty) before a queue goes */
void sqs_waiters_cancel_all(void);       /* the server stops: every long poll ends now, empty */
int64_t sqs_count(sqs_queue_t *q, int kind); /* 0 visible, 1 in flight, 2 delayed */
void sqs_expire(sqs_queue_t *q);
void sqs_tasks_free(void);

/* Handlers */
nb_result_t sqs_create_queue(nb_req_t *req, const json_t *in);
nb_result_t sqs_get_queue_url(nb_req_t *req, const json_t *in);
nb_result_t sqs_list_queues(nb_req_t *req, const json_t *in);
nb_result_t sqs_delete_queue(nb_req_t *req, const json_t *in);
nb_result_t sqs_get_queue_attributes(nb_req_t *req, const json_t *in);
nb_result_t sqs_set_queue_attributes(nb_req_t *req, const json_t *in);
nb_result_t sqs_tag_queue(nb_req_t *req, const json_t *in);
nb_result_t sqs_untag_queue(nb_req_t *req, const json_t *in);
nb_result_t sqs_list_queue_tags(nb_req_t *req, const json_t *in);
nb_result_t sqs_add_permission(nb_req_t *req, const json_t *in);
nb_result_t sqs_remove_permission(nb_req_t *req, const json_t *in);
nb_result_t sqs_list_dead_letter_source_queues(nb_req_t *req, const json_t *in);
nb_result_t sqs_purge_queue(nb_req_t *req, const json_t *in);
nb_result_t sqs_send_message(nb_req_t *req, const json_t *in);
nb_result_t sqs_send_message_batch(nb_req_t *req, const json_t *in);
nb_result_t sqs_receive_message(nb_req_t *req, const json_t *in);
nb_result_t sqs_delete_message(nb_req_t *req, const json_t *in);
nb_result_t sqs_delete_message_batch(nb_req_t *req, const json_t *in);
nb_result_t sqs_change_message_visibility(nb_req_t *req, const json_t *in);
nb_result_t sqs_change_message_visibility_batch(nb_req_t *req, const json_t *in);
nb_result_t sqs_start_message_move_task(nb_req_t *req, const json_t *in);
nb_result_t sqs_list_message_move_tasks(nb_req_t *req, const json_t *in);
nb_result_t sqs_cancel_message_move_task(nb_req_t *req, const json_t *in);


#endif
