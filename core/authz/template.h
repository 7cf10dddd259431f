/*
 * The templates of nimbus/authz.h's action tables: a resource ARN or a denial message built
 * from the request's values ({partition}, {region}, {account}, ... given as variables) and the
 * input's top-level string members ({Bucket}, {QueueUrl/1}: the last '/'-separated segment).
 */
#ifndef NB_AUTHZ_TEMPLATE_H
#define NB_AUTHZ_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

typedef struct nb__template_var {
    const char *name, *value;
} nb__template_var_t;

/* The expansion of tpl, malloc'd; NULL when a placeholder has no value (a member the input
 * lacks, an unknown name) or without memory. Variables are looked up before input members. */
char *nb__template_expand(const char *tpl, const json_t *input, const nb__template_var_t *vars, size_t nvars);
/* The same into dst (size bytes), for a caller that keeps no copy: the expansion's length (it fit
 * when less than size), -1 when a placeholder has no value. */
long nb__template_expand_to(char *dst, size_t size, const char *tpl, const json_t *input,
                            const nb__template_var_t *vars, size_t nvars);

/* Calls fn(ctx, key, value) for each "key=Member" pair of an action row's context whose member
 * the input has as a string, number or boolean (as text). */
void nb__template_context_each(const char *spec, const json_t *input,
                               void (*fn)(void *ctx, const char *key, const char *value), void *ctx);

#endif
