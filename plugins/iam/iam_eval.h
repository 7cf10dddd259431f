/*
 * IAM policy evaluation, AWS's logic for identity policies: an explicit Deny wins, then an
 * Allow, else the implicit deny; Action/NotAction and Resource/NotResource with '*' and '?'
 * wildcards; Condition operators String*, Arn*, Numeric*, Date*, Bool, IpAddress, Null,
 * with ...IfExists and ForAnyValue:/ForAllValues:. Depends on jansson only, so the
 * enforcement of issue 13 item 4 can take it as it is.
 */
#ifndef IAM_EVAL_H
#define IAM_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef enum { IAM_IMPLICIT_DENY, IAM_ALLOWED, IAM_EXPLICIT_DENY } iam_decision_t;

/* What is asked: the action ("s3:GetObject"), the resource ARN ("*" for none) and the
 * request's context: an object of lower-cased key names ("aws:sourceip") to arrays of strings. */
typedef struct iam_request {
    const char *action;
    const char *resource;
    const json_t *context;
} iam_request_t;

/* One policy's verdict on a request: IAM_EXPLICIT_DENY if a Deny statement matches, IAM_ALLOWED
 * if an Allow does, else IAM_IMPLICIT_DENY. Each matching statement's index is appended to
 * `matched` (may be NULL). `policy` is a parsed document. */
iam_decision_t iam_eval_policy(const json_t *policy, const iam_request_t *r, json_t *matched);

/* Glob match of IAM: '*' any run, '?' one character; case-insensitive for actions. */
bool iam_wildcard(const char *pattern, const char *text, bool nocase);

/* A condition key as the context is keyed: lower-cased into dst (key names are case-insensitive);
 * false if it does not fit (or key is NULL). */
bool iam_eval_key(char *dst, size_t size, const char *key);

/* The condition keys a policy uses, added (lower-cased, once) to `keys`. */
void iam_eval_condition_keys(const json_t *policy, json_t *keys);

#endif
