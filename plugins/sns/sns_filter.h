/* SNS subscription filter policies: compile a FilterPolicy once, match it against each published message.
 * Pure C11 over jansson (no core symbols), so the unit test builds it alone. Sources: sns_filter.c (checks and
 * compiles), sns_filter_lex.c (reads the policy as AWS's parser does, for its error positions),
 * sns_filter_match.c (matches); sns_filter_int.h is their shared inside. */
#ifndef SNS_FILTER_H
#define SNS_FILTER_H

#include <jansson.h>
#include <stddef.h>

typedef struct sns_filter sns_filter_t;

/* NULL when invalid: *err (malloc'd) is the text after "Invalid parameter: FilterPolicy: ", worded as AWS
 * words it (including, for syntax errors, AWS's "\n at [Source: ...; line: 1, column: N]" suffix). */
sns_filter_t *sns_filter_compile(const char *json, size_t len, char **err);

/* body_scope 0: attributes = the message's MessageAttributes as a jansson object name -> {"Type","Value"}
   (Type String, String.Array (Value is a JSON array text), Number, Binary);
   body_scope 1: body/len is the message body (JSON; a body that is not JSON matches nothing). 1 match, 0 not. */
int sns_filter_match(const sns_filter_t *f, int body_scope, const json_t *attributes, const char *body, size_t len);

void sns_filter_free(sns_filter_t *f);

/* 1 when the policy nests objects (only FilterPolicyScope=MessageBody accepts it: for MessageAttributes AWS
 * answers "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
 * without the "FilterPolicy: " part, so the caller words that one). */
int sns_filter_is_nested(const sns_filter_t *f);

#endif
