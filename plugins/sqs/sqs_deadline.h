/*
 * Long-poll deadlines: one plugin timer for every waiting receiver, at the earliest deadline,
 * and a binary heap of deadlines, instead of a timer per waiter (a libuv timer and its wrapper
 * cost ~240 bytes; 10,000 receivers waiting together add up). A node lives in its waiter.
 */
#ifndef SQS_DEADLINE_H
#define SQS_DEADLINE_H

#include <stddef.h>

typedef struct sqs_deadline {
    double at;  /* seconds (now_s clock) */
    size_t idx; /* position in the heap + 1; 0: not in it */
    void (*expired)(struct sqs_deadline *d); /* runs once at the deadline, d already out of the heap */
} sqs_deadline_t;

/* Puts d in the heap at d->at (moves it if it is in already); 0 or NB_ENOMEM. */
int sqs_deadline_add(sqs_deadline_t *d);
/* Takes d out of the heap, if in it. */
void sqs_deadline_remove(sqs_deadline_t *d);
/* Frees the heap and its timer (the plugin stops; every node was removed). */
void sqs_deadlines_free(void);

#endif
