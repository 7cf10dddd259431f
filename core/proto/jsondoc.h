/* JSON documents a plugin stores (S3's object attributes in a text column): read and written on
 * every request that touches them, so through the one-pass reader and writer of the protocols
 * rather than jansson's character-at-a-time stream (ABI 1.9, nb_json_parse / nb_json_text). */
#ifndef NB_PROTO_JSONDOC_H
#define NB_PROTO_JSONDOC_H

#include <stddef.h>
#include <jansson.h>

/* text (len bytes) as a value, the one json_loadb(JSON_DECODE_ANY) gives: new reference, or
 * NULL when it is not JSON. */
json_t *nb__json_doc_parse(const char *text, size_t len);

/* value as compact JSON text, the bytes json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) prints:
 * malloc'd, NULL when out of memory or value holds a string that is not UTF-8. */
char *nb__json_doc_text(const json_t *value);

#endif
