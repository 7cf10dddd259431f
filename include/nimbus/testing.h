/*
 * nimbus/testing.h - the plugin test harness: a Nimbus core in the test's own process,
 * driven by calls instead of HTTP, with a clock that moves only when the test says.
 *
 *     nb_test_t *h = nb_test_new("sqs");                  // the built sqs plugin, its spec
 *     json_t *out = NULL;
 *     nb_test_error_t err;
 *     nb_test_call(h, "sqs", "CreateQueue", "{\"QueueName\":\"q\"}", &out, &err);
 *     ...
 *     nb_test_advance(h, 30000);                          // 30 s pass at once: timers fire
 *     nb_test_free(h);
 *
 * Operations are called by name with spec-shaped JSON input (member names as in the
 * spec, see nimbus/plugin.h "Values"), validated against the service's spec and run by
 * its provider in a store transaction of their own, exactly like an HTTP request after
 * its parse (they are in-process calls, nb_call_async underneath). The protocol's
 * parser and serializer are not involved: test those end to end (tests/e2e).
 *
 * Stores are in memory (PERSISTENCE off); blobs go under a temporary folder. Time: from
 * nb_test_new on, nb_now() in every plugin reads a manual clock that starts at the wall
 * clock's time and moves only with nb_test_advance, which fires the plugins' timers
 * (nb_timer_start) as they fall due, in order, running whatever they start before the next
 * one. A test of a 20-second long poll takes microseconds.
 *
 * One harness at a time per process (the clock is process-wide). Every function runs on
 * the test's thread; none sleeps. Build: link the `nimbus_testing` library (CMake target,
 * see tests/CMakeLists.txt: files named test_*_harness.c get it and the built plugins).
 */
#ifndef NIMBUS_TESTING_H
#define NIMBUS_TESTING_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nb_test nb_test_t;
typedef struct nb_test_pending nb_test_pending_t;

/* How a call failed. */
typedef struct nb_test_error {
    int rc;            /* 0 on success; else an NB_E* code: NB_ENOENT (service not enabled,
                        * operation not implemented), NB_EINVAL (validation or an AWS error the
                        * operation answered), NB_EAGAIN (nb_test_call: still pending) */
    int status;        /* the HTTP status a client would have seen (200 on success) */
    char code[128];    /* the AWS error code, "QueueDoesNotExist"; "" on success */
    char message[1024]; /* its message, truncated to fit; "" on success */
} nb_test_error_t;

typedef struct nb_test_options {
    const char *services;        /* SERVICES: "sqs" or "s3,sqs"; NULL: every service found */
    const char *plugin_path;     /* NIMBUS_PLUGIN_PATH: more plugin folders (a test plugin's); NULL: none.
                                  * The built plugins (lib/nimbus/plugins of the build tree) are always found. */
    const char *spec_path;       /* NIMBUS_SPEC_PATH, ':'-separated; NULL: the built-in specs */
    const char *const *settings; /* more settings, "NAME=value", NULL-terminated; may be NULL */
    bool log;                    /* print the core's request log lines (one per call) to stdout */
} nb_test_options_t;

/* Starts a core with the services named (NULL: all) from the built plugins and specs.
 * NULL on failure, with the reason on stderr. */
nb_test_t *nb_test_new(const char *services);
/* The same with options; on failure *err (if err is not NULL) is a malloc'd reason. */
nb_test_t *nb_test_new_with(const nb_test_options_t *opts, char **err);
/* Lets the plugins answer what waits (their shutdown hooks: empty long polls), cancels
 * calls still pending, unloads the plugins, frees everything and gives nb_now() back the
 * wall clock. A nb_test_pending_t not yet collected stays valid for nb_test_result /
 * nb_test_abort only until this returns: collect them first. */
void nb_test_free(nb_test_t *h);

/* The caller the following calls come from, as a client's SigV4 credential would say:
 * the account is derived from the access key id as the gateway derives it (a 12-digit key
 * is the account, a key in the credential registry its account, any other key 000000000000), region NULL keeps the current one. The
 * default: no access key, account 000000000000, us-east-1. */
void nb_test_set_identity(nb_test_t *h, const char *access_key, const char *region);
/* The account calls are made as (after nb_test_set_identity). */
const char *nb_test_account(const nb_test_t *h);

/* Calls an operation and runs the loop until it answers (without moving the clock).
 * input_json: the input as JSON text (NULL or "" for {}). On success returns 0 and, when
 * out is not NULL, *out is the output (the caller's reference: json_decref it), with an
 * output's streaming payload (S3 GetObject's Body) as a string member under the payload's
 * name. On failure returns the NB_E* code of err->rc and fills err (if not NULL); *out is
 * NULL. An operation that answers later (a long poll) is cancelled as a client that goes
 * away would be, and NB_EAGAIN returned: start those with nb_test_start. */
int nb_test_call(nb_test_t *h, const char *service, const char *operation, const char *input_json, json_t **out,
                 nb_test_error_t *err);

/* Starts a call and runs what is ready now, so an operation that answers at once is done
 * on return; one that waits (ReceiveMessage with WaitTimeSeconds) is done once a later
 * call, nb_test_run or nb_test_advance lets it answer. NULL without memory. */
nb_test_pending_t *nb_test_start(nb_test_t *h, const char *service, const char *operation, const char *input_json);
/* Whether the call answered. */
bool nb_test_done(const nb_test_pending_t *p);
/* The result of a call that answered, as nb_test_call gives it; frees p. A call that has not
 * answered yet is aborted (nb_test_abort) and NB_EAGAIN returned. */
int nb_test_result(nb_test_pending_t *p, json_t **out, nb_test_error_t *err);
/* The client goes away: the callee sees its nb_req_on_abort callback run; the result is
 * dropped. Frees p; safe whether or not the call answered. */
void nb_test_abort(nb_test_pending_t *p);

/* Runs everything ready now without moving the clock: calls' turns, thread-pool work
 * (blocking until it completes), timers due now (nb_timer_start with 0 ms). */
void nb_test_run(nb_test_t *h);
/* Moves the clock forward by ms, firing each plugin timer as it falls due (the clock then
 * reads its due time) and running what it started before the next (nb_test_run). */
void nb_test_advance(nb_test_t *h, uint64_t ms);
/* nb_now() as the plugins see it: epoch seconds. */
double nb_test_now(const nb_test_t *h);

#ifdef __cplusplus
}
#endif
#endif /* NIMBUS_TESTING_H */
